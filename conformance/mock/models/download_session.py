"""Download sessions: no DONE state, and ``delete`` has no state precondition (§4)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING

from .. import errors
from .common import BaseSession, SessionStore
from .files import DownloadFile

if TYPE_CHECKING:
    from .backend import Backend

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
class DownloadSession(BaseSession[DownloadState]):
    state: DownloadState = ACTIVE
    # Files this session has prepared (``download_files.py``), by name.
    files: dict[str, DownloadFile] = field(default_factory=dict)


class DownloadSessions(SessionStore[DownloadSession, DownloadState]):
    kind = "download session"
    nacs_noun = "download session"
    token_kind = "download-session"
    transitions = DOWNLOAD_TRANSITIONS
    lenient_flaw = "download-non-active-ops-allowed"
    unknown_item_flaw = "download-create-unknown-item-accepted"

    def __init__(self, backend: Backend) -> None:
        super().__init__(backend, DownloadSession)

    def _canceled(self, session: DownloadSession, new: DownloadState) -> None:
        if not self._b.flawed("download-cancel-keeps-active"):
            session.state = new

    def delete(self, session_id: str) -> None:
        session = self.find(session_id)
        if session.state is ACTIVE and self._b.flawed("download-delete-active-rejected"):
            raise errors.not_allowed("delete", session.state, self.nacs_noun)
        self._remove(session)
