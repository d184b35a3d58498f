"""API sessions (``com.vmware.cis.session``): Basic-auth login, sliding inactivity expiry."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import errors

if TYPE_CHECKING:
    from .backend import Backend

__all__ = ["ApiSession", "ApiSessions"]


@dataclass(eq=False)
class ApiSession:
    user: str
    created_at: float
    last_accessed_at: float


class ApiSessions:
    """Tokens for the ``vmware-api-session-id`` header."""

    def __init__(self, backend: Backend) -> None:
        self._b = backend
        self._sessions: dict[str, ApiSession] = {}

    def reset(self) -> None:
        self._sessions.clear()

    def _expired(self, session: ApiSession, now: float) -> bool:
        if self._b.flawed("api-session-never-expires"):
            return False
        return now - session.last_accessed_at > self._b.settings.api_session_timeout

    def login(self, user: str | None, password: str | None) -> str:
        """Check the Basic credentials and return a new, unguessable token."""
        settings = self._b.settings
        if (
            user is None
            or password is None
            or not hmac.compare_digest(user.encode(), settings.user.encode())
            or not (
                hmac.compare_digest(password.encode(), settings.password.encode())
                or self._b.flawed("bad-password-accepted")
            )
        ):
            raise errors.authentication_required()
        now = self._b.clock.now()
        for token in [t for t, s in self._sessions.items() if self._expired(s, now)]:
            del self._sessions[token]
        token = secrets.token_hex(16)
        self._sessions[token] = ApiSession(user=user, created_at=now, last_accessed_at=now)
        return token

    def touch(self, token: str | None) -> ApiSession:
        """The live session for ``token`` (its inactivity timer restarted), or 401."""
        session = None if token is None else self._sessions.get(token)
        if token is None or session is None:
            raise errors.authentication_required()
        now = self._b.clock.now()
        if self._expired(session, now):
            del self._sessions[token]
            raise errors.authentication_required()
        session.last_accessed_at = now
        return session

    def logout(self, token: str | None) -> None:
        self.touch(token)
        if token is not None and not self._b.flawed("logout-keeps-token"):
            del self._sessions[token]

    def dump(self) -> list[dict[str, Any]]:
        # Tokens are credentials: the dump shows who and when, never the token itself.
        return [
            {"user": s.user, "created_at": s.created_at, "last_accessed_at": s.last_accessed_at}
            for s in self._sessions.values()
        ]
