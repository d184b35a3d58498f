"""Download sessions: no DONE state, and ``delete`` has no state precondition (§4)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from .. import errors
from .common import BaseSession, SessionStore, next_state
from .files import DownloadFile

__all__ = ["DOWNLOAD_TRANSITIONS", "DownloadSession", "DownloadSessions", "DownloadState"]


class DownloadState(StrEnum):
    ACTIVE = "ACTIVE"
    CANCELED = "CANCELED"
    ERROR = "ERROR"


ACTIVE = DownloadState.ACTIVE
CANCELED = DownloadState.CANCELED
ERROR = DownloadState.ERROR

#: (state, vAPI operation) -> new state; all three are ACTIVE-only.
DOWNLOAD_TRANSITIONS: Mapping[tuple[DownloadState, str], DownloadState] = MappingProxyType(
    {
        (ACTIVE, "keep_alive"): ACTIVE,
        (ACTIVE, "cancel"): CANCELED,
        (ACTIVE, "fail"): ERROR,
    }
)


@dataclass(eq=False)
class DownloadSession(BaseSession):
    state: DownloadState = ACTIVE
    # Files this session has prepared (``download_files.py``), by name.
    files: dict[str, DownloadFile] = field(default_factory=dict)


class DownloadSessions(SessionStore[DownloadSession]):
    kind = "download session"
    nacs_noun = "download session"
    token_kind = "download-session"

    def create(self, library_item_id: str, client_token: str | None) -> str:
        reused = self._reuse(client_token)
        if reused is not None:
            return reused
        item_id, content_version = self._item_for_create(
            library_item_id, accept_unknown=self._b.flawed("download-create-unknown-item-accepted")
        )
        session = DownloadSession(
            id=self._b.new_id(),
            library_item_id=item_id,
            library_item_content_version=content_version,
            expires_at=self._new_expiry(),
        )
        self._add(session)
        self._b.tokens.remember(self.token_kind, client_token, session.id)
        return session.id

    def _step(self, session: DownloadSession, operation: str) -> DownloadState | None:
        return next_state(
            DOWNLOAD_TRANSITIONS,
            session.state,
            operation,
            self.nacs_noun,
            lenient=self._b.flawed("download-non-active-ops-allowed"),
        )

    def keep_alive(self, session_id: str, progress: int | None) -> None:
        session = self.find(session_id)
        if self._step(session, "keep_alive") is None:
            return
        self._extend(session)
        if progress is not None:
            session.client_progress = progress

    def cancel(self, session_id: str) -> None:
        session = self.find(session_id)
        new = self._step(session, "cancel")
        if new is not None and not self._b.flawed("download-cancel-keeps-active"):
            session.state = new

    def fail(self, session_id: str, client_error_message: str) -> None:
        session = self.find(session_id)
        new = self._step(session, "fail")
        if new is None:
            return
        session.state = new
        session.error_message = self._client_error(client_error_message)

    def delete(self, session_id: str) -> None:
        session = self.find(session_id)
        if session.state is ACTIVE and self._b.flawed("download-delete-active-rejected"):
            raise errors.not_allowed("delete", session.state, self.nacs_noun)
        self._remove(session)

    def _dump_one(self, session: DownloadSession) -> dict[str, Any]:
        out = super()._dump_one(session)
        out["state"] = str(session.state)
        return out
