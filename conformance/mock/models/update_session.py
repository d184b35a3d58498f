"""Update sessions: the state machine as data, plus the one-ACTIVE-per-item rule.

Sources: contract §4 (binding docstrings, 8.0.2 spec) and the seed pages. Every operation
in ``UPDATE_TRANSITIONS`` is allowed only from ACTIVE; anything else is
NotAllowedInCurrentState. ``delete`` is separate: it is allowed only in ``UPDATE_DELETABLE``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from .. import errors
from .common import BaseSession, SessionStore, next_state
from .files import UploadFile

__all__ = [
    "UPDATE_ACTIVE_ONLY",
    "UPDATE_DELETABLE",
    "UPDATE_TRANSITIONS",
    "WARNING_TYPES",
    "UpdateSession",
    "UpdateSessions",
    "UpdateState",
    "WarningBehavior",
]


class UpdateState(StrEnum):
    ACTIVE = "ACTIVE"
    DONE = "DONE"
    ERROR = "ERROR"
    CANCELED = "CANCELED"


ACTIVE = UpdateState.ACTIVE
DONE = UpdateState.DONE
ERROR = UpdateState.ERROR
CANCELED = UpdateState.CANCELED

#: (state, vAPI operation) -> new state. Operation names are the vAPI ones, as they
#: appear in NACS message args (``keep_alive``, not the URL's ``keep-alive``).
UPDATE_TRANSITIONS: Mapping[tuple[UpdateState, str], UpdateState] = MappingProxyType(
    {
        (ACTIVE, "complete"): DONE,
        (ACTIVE, "cancel"): CANCELED,
        (ACTIVE, "fail"): ERROR,
        (ACTIVE, "keep_alive"): ACTIVE,
        (ACTIVE, "update"): ACTIVE,
    }
)
UPDATE_ACTIVE_ONLY = frozenset(op for (_, op) in UPDATE_TRANSITIONS)
UPDATE_DELETABLE = frozenset({DONE, ERROR, CANCELED})

WARNING_TYPES = frozenset(
    {
        "SELF_SIGNED_CERTIFICATE",
        "EXPIRED_CERTIFICATE",
        "NOT_YET_VALID_CERTIFICATE",
        "UNTRUSTED_CERTIFICATE",
    }
)


@dataclass(frozen=True, slots=True)
class WarningBehavior:
    type: str
    ignored: bool

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "ignored": self.ignored}


@dataclass(eq=False)
class UpdateSession(BaseSession):
    state: UpdateState = ACTIVE
    warning_behavior: tuple[WarningBehavior, ...] | None = None
    # The file service's records (``update_files.py``), by name, in the order added.
    files: dict[str, UploadFile] = field(default_factory=dict)
    # complete was called while PULLs ran: DONE (or ERROR) when they end (§4).
    completing: bool = False


class UpdateSessions(SessionStore[UpdateSession]):
    kind = "update session"
    nacs_noun = "import session"  # vCenter's own wording (contract §9)
    token_kind = "update-session"

    def create(
        self,
        library_item_id: str,
        warning_behavior: Sequence[WarningBehavior] | None,
        client_token: str | None,
    ) -> str:
        reused = self._reuse(client_token)
        if reused is not None:
            return reused
        item_id, content_version = self._item_for_create(
            library_item_id, accept_unknown=self._b.flawed("create-unknown-item-accepted")
        )
        if not self._b.flawed("second-active-allowed"):
            blocking = self._b.flawed("ended-session-blocks-item")
            for other in self.for_item(item_id):
                if other.state is ACTIVE or blocking:
                    raise errors.update_session_busy(item_id, other.id)
        session = UpdateSession(
            id=self._b.new_id(),
            library_item_id=item_id,
            library_item_content_version=content_version,
            expires_at=self._new_expiry(),
            warning_behavior=None if warning_behavior is None else tuple(warning_behavior),
        )
        self._add(session)
        self._b.tokens.remember(self.token_kind, client_token, session.id)
        return session.id

    def _step(self, session: UpdateSession, operation: str) -> UpdateState | None:
        return next_state(
            UPDATE_TRANSITIONS,
            session.state,
            operation,
            self.nacs_noun,
            lenient=self._b.flawed("non-active-ops-allowed"),
        )

    def update(
        self,
        session_id: str,
        warning_behavior: Sequence[WarningBehavior] | None,
        client_progress: int | None,
    ) -> None:
        """PATCH: only ``warning_behavior`` changes; ``client_progress`` only under a flaw."""
        session = self.find(session_id)
        if self._step(session, "update") is None:
            return
        if warning_behavior is not None and not self._b.flawed("patch-ignores-warning-behavior"):
            session.warning_behavior = tuple(warning_behavior)
        if client_progress is not None and self._b.flawed("patch-changes-progress"):
            session.client_progress = client_progress

    def keep_alive(self, session_id: str, client_progress: int | None) -> None:
        session = self.find(session_id)
        if self._step(session, "keep_alive") is None:
            return
        self._extend(session)
        if client_progress is not None and not self._b.flawed("keep-alive-ignores-progress"):
            session.client_progress = client_progress

    def complete(self, session_id: str) -> None:
        session = self.find(session_id)
        new = self._step(session, "complete")
        if new is None or self._b.flawed("complete-keeps-active"):
            return
        if self._b.update_files.ready_to_complete(session):  # raises if files are not
            self.settle(session)

    def settle(self, session: UpdateSession) -> None:
        """Every file is in: DONE, and the files become the item's content."""
        session.state = UPDATE_TRANSITIONS[(session.state, "complete")]
        if not self._b.flawed("complete-no-version-bump"):
            self._b.library.bump_content_version(session.library_item_id)
        self._b.update_files.commit(session)

    def cancel(self, session_id: str) -> None:
        session = self.find(session_id)
        new = self._step(session, "cancel")
        if new is None:
            return
        session.state = ERROR if self._b.flawed("cancel-to-error") else new
        self._b.update_files.discard(session, keep=self._b.flawed("cancel-keeps-content"))

    def fail(self, session_id: str, client_error_message: str) -> None:
        session = self.find(session_id)
        new = self._step(session, "fail")
        if new is None:
            return
        session.state = new
        session.error_message = self._client_error(client_error_message)
        self._b.update_files.discard(session)

    def delete(self, session_id: str) -> None:
        session = self.find(session_id)
        if session.state is ACTIVE:
            if not self._b.flawed("delete-active-allowed"):
                raise errors.not_allowed("delete", session.state, self.nacs_noun)
        elif session.state is DONE and self._b.flawed("delete-done-rejected"):
            raise errors.not_allowed("delete", session.state, self.nacs_noun)
        if not self._b.flawed("delete-keeps-session"):
            self._remove(session)

    def _remove(self, session: UpdateSession) -> None:
        """Deleted, expired, or its item deleted: the uploaded bytes go too."""
        super()._remove(session)
        self._b.update_files.forget(session)

    def _dump_one(self, session: UpdateSession) -> dict[str, Any]:
        out = super()._dump_one(session)
        out["state"] = str(session.state)
        out["files"] = {
            name: {"status": str(f.status), "bytes_transferred": f.transferred}
            for name, f in session.files.items()
        }
        out["warning_behavior"] = (
            None
            if session.warning_behavior is None
            else [w.to_json() for w in session.warning_behavior]
        )
        return out
