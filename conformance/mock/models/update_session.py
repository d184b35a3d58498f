"""Update sessions: the state machine as data, the one-ACTIVE-per-item rule, and
``complete``, which owns the session's file service.

Sources: contract §4 (binding docstrings, 8.0.2 spec) and the seed pages. Every operation
in ``UPDATE_TRANSITIONS`` is allowed only from ACTIVE; anything else is
NotAllowedInCurrentState. ``delete`` is separate: it is allowed only in ``UPDATE_DELETABLE``.

``complete`` is a one-way chain: this store asks its file service what the files say
(``readiness``), decides the session's state, and on DONE tells the service to hand the
bytes to the item (``commit``). The file service never changes a session's state; when
a transfer ends, the transfer code tells this store (``finish``, ``abort``), which lets
the file service record it, then settles a ``complete`` that waited for PULLs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .. import errors
from .common import BaseSession, SessionStore
from .files import Transfer, UploadFile
from .update_files import UpdateSessionFiles

if TYPE_CHECKING:
    from .backend import Backend

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
class UpdateSession(BaseSession[UpdateState]):
    state: UpdateState = ACTIVE
    warning_behavior: tuple[WarningBehavior, ...] | None = None
    # The file service's records (``update_files.py``), by name, in the order added.
    files: dict[str, UploadFile] = field(default_factory=dict)
    # complete was called while PULLs ran: DONE (or ERROR) when they end (§4).
    completing: bool = False

    @property
    def active(self) -> bool:
        return self.state is ACTIVE


class UpdateSessions(SessionStore[UpdateSession, UpdateState]):
    """The update sessions, and (``files``) the file service that holds their files."""

    kind = "update session"
    nacs_noun = "import session"  # vCenter's own wording (contract §9)
    token_kind = "update-session"
    transitions = UPDATE_TRANSITIONS
    lenient_flaw = "non-active-ops-allowed"
    unknown_item_flaw = "create-unknown-item-accepted"
    ignores_progress_flaw = "keep-alive-ignores-progress"

    def __init__(self, backend: Backend) -> None:
        super().__init__(backend, UpdateSession)
        self.files = UpdateSessionFiles(backend, self)

    def reset(self) -> None:
        super().reset()
        self.files.reset()

    def _admit(self, item_id: str) -> None:
        """One ACTIVE update session per item (RESOURCE_BUSY)."""
        if self._b.flawed("second-active-allowed"):
            return
        blocking = self._b.flawed("ended-session-blocks-item")
        for other in self.for_item(item_id):
            if other.state is ACTIVE or blocking:
                raise errors.update_session_busy(item_id, other.id)

    def update(
        self,
        session_id: str,
        warning_behavior: tuple[WarningBehavior, ...] | None,
        client_progress: int | None,
    ) -> None:
        """PATCH: only ``warning_behavior`` changes; ``client_progress`` only under a flaw."""
        session = self.find(session_id)
        if self._step(session, "update") is None:
            return
        if warning_behavior is not None and not self._b.flawed("patch-ignores-warning-behavior"):
            session.warning_behavior = warning_behavior
        if client_progress is not None and self._b.flawed("patch-changes-progress"):
            session.client_progress = client_progress

    # -- complete: readiness -> settle -> commit ---------------------------------------
    def complete(self, session_id: str) -> None:
        session = self.find(session_id)
        new = self._step(session, "complete")
        if new is None or self._b.flawed("complete-keeps-active"):
            return
        self._complete(session)

    def _complete(self, session: UpdateSession) -> None:
        """Judge the files for ``complete``; DONE if they are all in.

        A file in ERROR moves the session to ERROR and raises NACS; files not received
        raise NACS (the session stays ACTIVE); running PULLs mark the session
        ``completing``, to be settled when they end.
        """
        files = self.files.readiness(session)
        if files.latent is not None:  # the checksum-mismatch-at-complete variant: 204, then ERROR
            self._fail_import(session, files.latent)
            return
        if files.failed is not None:
            self._fail_import(session, files.failed)
            raise errors.import_failed("complete", files.failed)
        if files.missing and not self._b.flawed("complete-ignores-missing-files"):
            refusal = errors.files_missing("complete", list(files.missing))
            if self._b.varied("complete-missing-fails-session"):
                self._fail_import(session, refusal.messages[0].default_message)
            raise refusal
        if files.pulling:
            session.completing = True
            return
        self._settle(session)

    def _settle(self, session: UpdateSession) -> None:
        """Every file is in: DONE, and the files become the item's content."""
        session.state = UPDATE_TRANSITIONS[(session.state, "complete")]
        if not self._b.flawed("complete-no-version-bump"):
            self._b.library.bump_content_version(session.library_item_id)
        self.files.commit(session)

    def _fail_import(self, session: UpdateSession, reason: str) -> None:
        """``complete`` found a bad file: ERROR ("The import of library item ... has failed")."""
        session.state = ERROR
        session.error_message = errors.import_failure(session.library_item_id, reason)
        self.files.discard(session)

    # -- transfers end here --------------------------------------------------------------
    def finish(self, transfer: Transfer) -> None:
        """All bytes of a transfer are in: the file is verified (READY or ERROR).

        Raises for an upload whose session ended meanwhile (its bytes are discarded).
        """
        self._transfer_ended(self.files.received(transfer))

    def abort(self, transfer: Transfer, reason: str) -> None:
        """The transfer broke (connection closed, source unreachable): file ERROR."""
        self._transfer_ended(self.files.broken(transfer, reason))

    def _transfer_ended(self, session: UpdateSession | None) -> None:
        """Finish a ``complete`` that waited for the PULLs, once the last one ended."""
        if session is None or not session.completing or session.state is not ACTIVE:
            return
        if self.files.readiness(session).transferring:
            return
        session.completing = False
        try:
            self._complete(session)
        except errors.NotAllowedInCurrentState as exc:
            if session.state is ACTIVE:  # files missing: nobody to answer
                self._fail_import(session, exc.messages[0].default_message)

    # -- the other ends ------------------------------------------------------------------
    def _canceled(self, session: UpdateSession, new: UpdateState) -> None:
        session.state = ERROR if self._b.flawed("cancel-to-error") else new
        self.files.discard(session, keep=self._b.flawed("cancel-keeps-content"))

    def _discard(self, session: UpdateSession) -> None:
        self.files.discard(session)

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
        self.files.forget(session)

    def _dump_one(self, session: UpdateSession) -> dict[str, Any]:
        out = super()._dump_one(session)
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
