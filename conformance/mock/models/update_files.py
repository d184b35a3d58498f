"""``content.library.item.updatesession.file``: add, get, list, remove, validate, and the
bytes themselves (uploads and PULLs) up to ``complete``.

Rules (contract §4, §5, §8, §10):

* ``add`` needs an ACTIVE session; the same name again replaces that file (and its bytes).
* Bytes are verified after receipt: a ``size`` or ``checksum_info`` that differs from the
  AddSpec puts the file in ERROR. The session itself stays ACTIVE until ``complete``.
* ``complete`` (``update_session.py``, which owns this service) asks ``readiness``: a
  file in ERROR fails the session, files not received refuse it, running PULLs make it
  wait; once DONE, ``commit`` hands the bytes to the item.
* The item sees the bytes only once the session is DONE; cancel, fail, expiry and delete
  discard them from disk.

This service looks sessions up but never changes their state. Transfers write from
worker threads; every state change happens on the event loop: the transfer code calls
the session store's ``finish`` and ``abort`` there, which call ``received`` and ``broken``
here, then settle the session.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from .. import errors
from ..errors import Message
from .files import (
    HASH_ALGORITHMS,
    TRANSFER_TRANSITIONS,
    ChecksumInfo,
    ItemFile,
    SourceType,
    Transfer,
    TransferEndpoint,
    TransferStatus,
    UploadFile,
    check_name,
    shown,
)

if TYPE_CHECKING:
    from .backend import Backend
    from .update_session import UpdateSession, UpdateSessions

__all__ = ["DATA_PATH", "AddSpec", "Readiness", "UpdateSessionFiles", "Validation"]

#: Upload and download URIs: ``<base>/cls/data/<uuid>/<file name>``, as on vCenter (§8).
DATA_PATH = "/cls/data"

WAITING = TransferStatus.WAITING_FOR_TRANSFER
TRANSFERRING = TransferStatus.TRANSFERRING
READY = TransferStatus.READY
FAILED = TransferStatus.ERROR

_NOUN = "import session"
_PULL_SCHEMES = frozenset({"http", "https"})


@dataclass(frozen=True, slots=True)
class AddSpec:
    name: str
    source_type: SourceType
    source_endpoint: TransferEndpoint | None = None
    size: int | None = None
    checksum_info: ChecksumInfo | None = None


@dataclass(frozen=True, slots=True)
class Validation:
    """``ValidationResult``: missing file names, and (name, message) of files in ERROR."""

    missing_files: tuple[str, ...]
    invalid_files: tuple[tuple[str, Message], ...]

    @property
    def has_errors(self) -> bool:
        return bool(self.missing_files or self.invalid_files)


@dataclass(frozen=True, slots=True)
class Readiness:
    """What a session's files say to ``complete``: reasons are the first bad file's."""

    latent: str | None  # a READY file's mismatch found only now (a variant)
    failed: str | None  # a file in ERROR
    missing: tuple[str, ...]  # names (shown) not received: WAITING, or a PUSH still TRANSFERRING
    pulling: bool  # a PULL is still TRANSFERRING
    transferring: bool  # any file is TRANSFERRING


#: what a session without files says: nothing in the way
_NO_FILES = Readiness(latent=None, failed=None, missing=(), pulling=False, transferring=False)


def data_uri(base_url: str, token: str, name: str) -> str:
    return f"{base_url.rstrip('/')}{DATA_PATH}/{token}/{quote(name, safe='')}"


class UpdateSessionFiles:
    """The files of every update session, and the upload tokens that lead to them.

    Owned by the session store (``sessions``), which it uses only to look sessions up.
    """

    def __init__(self, backend: Backend, sessions: UpdateSessions) -> None:
        self._b = backend
        self._sessions = sessions
        self._uploads: dict[str, tuple[str, str]] = {}  # token -> (session id, file name)
        self._running: set[Transfer] = set()

    def reset(self) -> None:
        for transfer in self._running:
            transfer.abandoned = True
        self._running.clear()
        self._uploads.clear()

    # -- lookups -----------------------------------------------------------------------
    def _allow_paths(self) -> bool:
        return self._b.flawed("hostile-name-accepted")

    def _file(self, session: UpdateSession, name: str) -> UploadFile:
        check_name(name, allow_paths=self._allow_paths())
        file = session.files.get(name)
        if file is None:
            raise errors.unknown_file(
                shown(name), "update session", session.id, as_404=self._b.flawed("unknown-file-404")
            )
        return file

    def _session(self, session_id: str) -> UpdateSession:
        """The live update session the file service names, or 404 (400 under a flaw)."""
        if self._b.flawed("file-unknown-session-400") and not self._sessions.exists(session_id):
            raise errors.invalid_argument(
                "com.vmware.vdcs.cls-main.invalid_session_id",
                f"The update session ID '{session_id}' is invalid.",
                session_id,
            )
        return self._sessions.find(session_id)

    def _require_active(self, session: UpdateSession, operation: str) -> None:
        if not session.active:
            raise errors.not_allowed(operation, session.state, _NOUN)

    # -- the file service --------------------------------------------------------------
    def add(self, session_id: str, spec: AddSpec, base_url: str) -> UploadFile:
        """Register a file; PUSH gets an upload endpoint, PULL is started by the caller."""
        if spec.source_type is SourceType.PULL:  # part of the input: checked first
            if spec.source_endpoint is None:
                raise errors.missing_field("source_endpoint")
            if urlsplit(spec.source_endpoint.uri).scheme.lower() not in _PULL_SCHEMES:
                raise errors.unsupported_source(spec.source_endpoint.uri)
        session = self._session(session_id)
        check_name(
            spec.name,
            allow_paths=self._allow_paths(),
            allow_empty=self._b.flawed("empty-file-name-accepted"),
        )
        if not self._b.flawed("file-add-after-end-accepted"):
            self._require_active(session, "add")
        old = session.files.pop(spec.name, None)
        if old is not None:
            self._drop(old)
        file = UploadFile(
            name=spec.name,
            source_type=spec.source_type,
            expected_size=spec.size,
            expected_checksum=spec.checksum_info,
            source_endpoint=spec.source_endpoint if spec.source_type is SourceType.PULL else None,
        )
        if spec.source_type is SourceType.PUSH:
            file.token = uuid.uuid4().hex
            file.upload_endpoint = TransferEndpoint(data_uri(base_url, file.token, spec.name))
            self._uploads[file.token] = (session.id, spec.name)
        session.files[spec.name] = file
        return file

    def list(self, session_id: str) -> list[UploadFile]:
        return list(self._session(session_id).files.values())

    def get(self, session_id: str, name: str) -> UploadFile:
        return self._file(self._session(session_id), name)

    def remove(self, session_id: str, name: str) -> None:
        """Any state (the contract declares no NACS): drops the record and its bytes."""
        session = self._session(session_id)
        file = self._file(session, name)
        if self._b.flawed("remove-keeps-file"):
            return
        if self._b.varied("remove-at-complete"):
            file.removed = True  # still listed; complete leaves it out of the item
            return
        del session.files[file.name]
        self._drop(file)

    def validate(self, session_id: str) -> Validation:
        session = self._session(session_id)
        self._require_active(session, "validate")
        files = [f for f in session.files.values() if not f.removed]
        missing = tuple(f.name for f in files if f.status in (WAITING, TRANSFERRING))
        if self._b.flawed("validate-omits-missing"):
            missing = ()
        invalid = tuple(
            (f.name, f.error_message or errors.transfer_error(shown(f.name), "unknown"))
            for f in files
            if f.status is FAILED
        )
        if missing and self._b.varied("validate-missing-as-invalid"):
            not_received = tuple(
                (name, errors.transfer_error(shown(name), "not received")) for name in missing
            )
            return Validation((), invalid + not_received)
        return Validation(missing, invalid)

    # -- transfers ---------------------------------------------------------------------
    def begin_upload(self, token: str, path: str) -> Transfer | None:
        """Start receiving bytes for the upload endpoint ``token``.

        404 for an unknown token or a session that is gone (deleted, expired), 400 NACS
        for a session that is no longer ACTIVE. None under ``upload-after-cancel-accepted``
        for a non-ACTIVE session: the caller drains the body and throws it away.
        """
        ref = self._uploads.get(token)
        if ref is None or not self._sessions.exists(ref[0]):
            self._uploads.pop(token, None)
            raise errors.transfer_endpoint_not_found(path)
        session = self._sessions.find(ref[0])
        file = session.files.get(ref[1])
        if file is None or file.token != token:
            self._uploads.pop(token, None)
            raise errors.transfer_endpoint_not_found(path)
        if not session.active:
            if self._b.flawed("upload-after-cancel-accepted"):
                return None
            raise errors.not_allowed("upload", session.state, _NOUN)
        return self._begin(session, file)

    def begin_pull(self, session_id: str, name: str) -> Transfer:
        session = self._sessions.find(session_id)
        return self._begin(session, session.files[name])

    def _begin(self, session: UpdateSession, file: UploadFile) -> Transfer:
        new = TRANSFER_TRANSITIONS.get((file.status, "receive"))
        if new is None:
            raise errors.file_busy(shown(file.name))
        self._b.storage.discard(file.data)
        receiver = self._b.storage.receiver(HASH_ALGORITHMS[file.algorithm])
        transfer = Transfer(session.id, file, receiver)
        file.status, file.transfer = new, transfer
        file.bytes_transferred, file.size, file.checksum = 0, None, None
        file.data, file.error_message, file.latent_problem = None, None, None
        self._running.add(transfer)
        return transfer

    def _current(self, transfer: Transfer) -> UpdateSession | None:
        """The transfer's session if the transfer still counts, else None."""
        if transfer.abandoned or not self._sessions.exists(transfer.session_id):
            return None
        session = self._sessions.find(transfer.session_id)
        if (
            not session.active
            or session.files.get(transfer.file.name) is not transfer.file
            or transfer.file.transfer is not transfer
        ):
            return None
        return session

    def _end(self, transfer: Transfer) -> UpdateSession | None:
        self._running.discard(transfer)
        transfer.receiver.close()
        session = self._current(transfer)
        if session is None:
            self._b.storage.discard(transfer.receiver.path)
        else:
            transfer.file.transfer = None
        return session

    def received(self, transfer: Transfer) -> UpdateSession:
        """All bytes are in: verify them against the AddSpec (READY or ERROR); the session.

        Raises for an upload whose session ended meanwhile (its bytes are discarded).
        """
        session = self._end(transfer)
        if session is None:
            raise self._stale(transfer)
        file, receiver = transfer.file, transfer.receiver
        actual = ChecksumInfo(receiver.close(), file.algorithm)
        file.bytes_transferred = receiver.count
        problem: Message | None = None
        expected = file.expected_checksum
        if (
            file.expected_size is not None
            and receiver.count != file.expected_size
            and not self._b.flawed("size-not-verified")
        ):
            problem = errors.size_mismatch(shown(file.name), file.expected_size, receiver.count)
        elif (
            expected is not None
            and not expected.matches(actual)
            and not self._b.flawed("checksum-not-verified")
        ):
            problem = errors.checksum_mismatch(
                shown(file.name), expected.algorithm, expected.checksum, actual.checksum
            )
        if problem is not None and self._b.varied("checksum-mismatch-at-complete"):
            file.latent_problem, problem = problem, None  # found only at complete
        if problem is None and self._b.flawed("upload-never-ready"):
            self._b.storage.discard(receiver.path)  # the file stays TRANSFERRING for ever
        elif problem is None:
            file.status = TRANSFER_TRANSITIONS[(file.status, "received")]
            file.size, file.checksum, file.data = receiver.count, actual, receiver.path
        else:
            file.status = TRANSFER_TRANSITIONS[(file.status, "rejected")]
            file.error_message = problem
            self._b.storage.discard(receiver.path)
        return session

    def broken(self, transfer: Transfer, reason: str) -> UpdateSession | None:
        """The transfer broke (connection closed, source unreachable): file ERROR; the
        session, or None if the transfer no longer counted."""
        session = self._end(transfer)
        self._b.storage.discard(transfer.receiver.path)
        if session is None:
            return None
        file = transfer.file
        file.bytes_transferred = transfer.receiver.count
        file.status = TRANSFER_TRANSITIONS[(file.status, "broken")]
        file.error_message = errors.transfer_error(shown(file.name), reason)
        return session

    def _stale(self, transfer: Transfer) -> errors.VapiError:
        """Why an upload whose session ended (or whose file went) is refused."""
        path = f"{DATA_PATH}/{transfer.file.token}"
        if not self._sessions.exists(transfer.session_id):
            return errors.transfer_endpoint_not_found(path)
        session = self._sessions.find(transfer.session_id)
        if not session.active:
            return errors.not_allowed("upload", session.state, _NOUN)
        return errors.transfer_endpoint_not_found(path)  # the file was replaced or removed

    def _drop(self, file: UploadFile, *, endpoint: bool = True) -> None:
        """Forget a file's bytes, its running transfer and (``endpoint``) its upload URI.

        Sessions that end keep their endpoints, so a late upload gets 400 NACS rather
        than 404; only a removed or replaced file, or a session that is gone, loses them.
        """
        if file.transfer is not None:
            file.transfer.abandoned = True
            file.transfer = None
        self._b.storage.discard(file.data)
        file.data = None
        if endpoint and file.token is not None:
            self._uploads.pop(file.token, None)

    # -- what the session store asks and tells ------------------------------------------
    @staticmethod
    def readiness(session: UpdateSession) -> Readiness:
        """What the files say to ``complete`` (nothing changes)."""
        if not session.files:
            return _NO_FILES  # the common case, and the hot path's (``bench/hotpath.py``)
        files = [f for f in session.files.values() if not f.removed]
        latent = next(
            (f.latent_problem for f in files if f.latent_problem is not None and f.status is READY),
            None,
        )
        failed = next((f for f in files if f.status is FAILED), None)
        failure: str | None = None
        if failed is not None:
            message = failed.error_message
            failure = message.default_message if message else f"{failed.name} failed"
        return Readiness(
            latent=None if latent is None else latent.default_message,
            failed=failure,
            missing=tuple(
                shown(f.name)
                for f in files
                if f.status is WAITING
                or (f.status is TRANSFERRING and f.source_type is not SourceType.PULL)
            ),
            pulling=any(
                f.status is TRANSFERRING and f.source_type is SourceType.PULL for f in files
            ),
            transferring=any(f.status is TRANSFERRING for f in files),
        )

    def commit(self, session: UpdateSession) -> None:
        """The session is DONE (or a flaw says so): READY files become the item's content."""
        item = self._b.library.get_item(session.library_item_id)
        for file in session.files.values():
            kept = file.status is READY and not file.removed
            if kept and file.data is not None and file.checksum is not None:
                old = item.files.get(file.name)
                if old is not None:
                    self._b.storage.discard(old.data)
                item.files[file.name] = ItemFile(
                    name=file.name,
                    size=file.bytes_transferred,
                    checksum=file.checksum,
                    version=str(item.content_version),
                    data=file.data,
                )
                file.data = None  # the item owns the bytes now
            else:
                self._drop(file, endpoint=False)
        item.modified_at = self._b.clock.now()

    def discard(self, session: UpdateSession, *, keep: bool = False) -> None:
        """cancel, fail, or a failed complete: delete the bytes (``keep``: a flaw commits)."""
        session.completing = False
        if keep:
            self.commit(session)
            return
        for file in session.files.values():
            self._drop(file, endpoint=False)

    def forget(self, session: UpdateSession) -> None:
        """The session is gone (delete, expiry, its item deleted): bytes and endpoints."""
        session.completing = False
        for file in session.files.values():
            self._drop(file)

    # -- views -------------------------------------------------------------------------
    def staged(self, item_id: str) -> Iterator[ItemFile]:
        """READY files of the item's ACTIVE sessions, as item files (a flaw shows them)."""
        for session in self._sessions.for_item(item_id):
            if not session.active:
                continue
            for file in session.files.values():
                if file.status is READY and file.data is not None and file.checksum is not None:
                    yield ItemFile(file.name, file.bytes_transferred, file.checksum, "0", file.data)

    def dump(self) -> dict[str, Any]:
        return {
            "data_dir": self._b.storage.location,
            "upload_endpoints": len(self._uploads),
            "running_transfers": len(self._running),
        }
