"""``content.library.item.file`` (an item's content) and
``content.library.item.downloadsession.file`` (list, prepare, get, and the bytes).

A download session lists the item's files as they are when asked; ``prepare`` makes one
PREPARED at once with a download endpoint, which stays valid while the session is ACTIVE
and the file exists (contract §4: cancel invalidates transfer URLs; so do fail, delete
and expiry). ``endpoint_type: DIRECT`` is 403 UNAUTHORIZED: the mock has no datastore
path to hand out.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import errors
from .download_session import DownloadSession, DownloadState
from .files import (
    PREPARE_TRANSITIONS,
    DownloadFile,
    ItemFile,
    TransferEndpoint,
    check_name,
    shown,
)
from .update_files import DATA_PATH, data_uri

if TYPE_CHECKING:
    from .backend import Backend

__all__ = ["DownloadSessionFiles", "Offer"]


@dataclass(frozen=True, slots=True)
class Offer:
    """One row of a download session's file list: the item file and its prepare state."""

    item_file: ItemFile
    state: DownloadFile


class DownloadSessionFiles:
    """Item files, and the download sessions' view of them."""

    def __init__(self, backend: Backend) -> None:
        self._b = backend
        self._downloads: dict[str, tuple[str, str]] = {}  # token -> (session id, file name)

    def reset(self) -> None:
        self._downloads.clear()

    # -- item files --------------------------------------------------------------------
    def item_files(self, item_id: str) -> dict[str, ItemFile]:
        """The item's content; with ``content-visible-before-complete``, uploads too."""
        item = self._b.library.get_item(item_id)
        files = dict(item.files)
        if self._b.flawed("content-visible-before-complete"):
            files.update((f.name, f) for f in self._b.update_files.staged(item_id))
        return files

    def item_file(self, item_id: str, name: str) -> ItemFile:
        """``item.file.get``: an unknown name is 404 NOT_FOUND (contract §3)."""
        file = self.item_files(item_id).get(name)
        if file is None:
            if self._b.flawed("item-file-unknown-400"):  # as the session file services answer
                raise errors.unknown_file(shown(name), "library item", item_id, as_404=False)
            raise errors.item_file_not_found(shown(name), item_id)
        return file

    # -- the download-session file service ----------------------------------------------
    def _offer(self, session: DownloadSession, name: str) -> Offer:
        check_name(name)
        item_file = self.item_files(session.library_item_id).get(name)
        if item_file is None:
            raise errors.unknown_file(
                shown(name),
                "download session",
                session.id,
                as_404=self._b.flawed("unknown-file-404"),
            )
        state = session.files.get(name) or DownloadFile(name)
        return Offer(item_file, state)

    def list(self, session_id: str) -> list[Offer]:
        if self._b.flawed("download-file-list-unknown-session-empty") and not (
            self._b.download_sessions.exists(session_id)
        ):
            return []
        session = self._b.download_sessions.find(session_id)
        files = self.item_files(session.library_item_id)
        return [Offer(f, session.files.get(f.name) or DownloadFile(f.name)) for f in files.values()]

    def get(self, session_id: str, name: str) -> Offer:
        return self._offer(self._b.download_sessions.find(session_id), name)

    def prepare(self, session_id: str, name: str, endpoint_type: str, base_url: str) -> Offer:
        session = self._b.download_sessions.find(session_id)
        if session.state is not DownloadState.ACTIVE:
            raise errors.not_allowed("prepare", session.state, "download session")
        offer = self._offer(session, name)
        if endpoint_type == "DIRECT":
            raise errors.direct_transfer_unauthorized()
        state = offer.state
        state.status = PREPARE_TRANSITIONS[(state.status, "prepare")]
        if state.token is None and not self._b.flawed("prepare-without-endpoint"):
            state.token = uuid.uuid4().hex
            state.endpoint = TransferEndpoint(data_uri(base_url, state.token, name))
            self._downloads[state.token] = (session.id, name)
        session.files[name] = state
        return offer

    def open(self, token: str) -> Offer:
        """The file behind a download endpoint; 404 once the session is not ACTIVE."""
        ref = self._downloads.get(token)
        path = f"{DATA_PATH}/{token}"
        if ref is None or not self._b.download_sessions.exists(ref[0]):
            self._downloads.pop(token, None)
            raise errors.transfer_endpoint_not_found(path)
        session = self._b.download_sessions.find(ref[0])
        state = session.files.get(ref[1])
        item_file = self.item_files(session.library_item_id).get(ref[1])
        serving = session.state is DownloadState.ACTIVE or (
            session.state is DownloadState.CANCELED
            and self._b.flawed("download-url-valid-after-cancel")
        )
        if not serving or state is None or state.token != token or item_file is None:
            raise errors.transfer_endpoint_not_found(path)
        return Offer(item_file, state)

    @staticmethod
    def sent(offer: Offer, count: int, *, whole: bool) -> None:
        """Progress of a download; once all bytes went out, the checksum is known (§4)."""
        offer.state.bytes_transferred = count
        if whole:
            offer.state.checksum = offer.item_file.checksum

    def dump(self) -> dict[str, Any]:
        return {"download_endpoints": len(self._downloads)}
