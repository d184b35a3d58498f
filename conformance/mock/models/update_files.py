"""``content.library.item.updatesession.file``: add, get, list, remove, validate, and the
bytes themselves (uploads and PULLs) up to ``complete``.

Rules (contract §4, §5, §8, §10):

* ``add`` needs an ACTIVE session; the same name again replaces that file (and its bytes).
* Bytes are verified after receipt: a ``size`` or ``checksum_info`` that differs from the
  AddSpec puts the file in ERROR. The session itself stays ACTIVE until ``complete``.
* ``complete`` with a file in ERROR moves the session to ERROR and answers 400 NACS with
  args ``[complete, ERROR, reason]`` (§9); with files not received it answers 400 NACS
  and the session stays ACTIVE; while PULLs still run it returns and the session becomes
  DONE (or ERROR) when they end (§4).
* The item sees the bytes only once the session is DONE; cancel, fail, expiry and delete
  discard them from disk.

Transfers write from worker threads; every state change happens on the event loop
(``finish`` and ``abort`` are called there).
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
from .update_session import UpdateSession, UpdateState

if TYPE_CHECKING:
    from .backend import Backend

__all__ = ["DATA_PATH", "AddSpec", "UpdateSessionFiles", "Validation"]

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


def data_uri(base_url: str, token: str, name: str) -> str:
    return f"{base_url.rstrip('/')}{DATA_PATH}/{token}/{quote(name, safe='')}"


class UpdateSessionFiles:
    """The files of every update session, and the upload tokens that lead to them."""

    def __init__(self, backend: Backend) -> None:
        self._b = backend
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
        if self._b.flawed("file-unknown-session-400") and not self._b.update_sessions.exists(
            session_id
        ):
            raise errors.invalid_argument(
                "com.vmware.vdcs.cls-main.invalid_session_id",
                f"The update session ID '{session_id}' is invalid.",
                session_id,
            )
        return self._b.update_sessions.find(session_id)

    def _require_active(self, session: UpdateSession, operation: str) -> None:
        if session.state is not UpdateState.ACTIVE:
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
        del session.files[file.name]
        self._drop(file)

    def validate(self, session_id: str) -> Validation:
        session = self._session(session_id)
        self._require_active(session, "validate")
        files = session.files.values()
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
        if ref is None or not self._b.update_sessions.exists(ref[0]):
            self._uploads.pop(token, None)
            raise errors.transfer_endpoint_not_found(path)
        session = self._b.update_sessions.find(ref[0])
        file = session.files.get(ref[1])
        if file is None or file.token != token:
            self._uploads.pop(token, None)
            raise errors.transfer_endpoint_not_found(path)
        if session.state is not UpdateState.ACTIVE:
            if self._b.flawed("upload-after-cancel-accepted"):
                return None
            raise errors.not_allowed("upload", session.state, _NOUN)
        return self._begin(session, file)

    def begin_pull(self, session_id: str, name: str) -> Transfer:
        session = self._b.update_sessions.find(session_id)
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
        if transfer.abandoned or not self._b.update_sessions.exists(transfer.session_id):
            return None
        session = self._b.update_sessions.find(transfer.session_id)
        if (
            session.state is not UpdateState.ACTIVE
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

    def finish(self, transfer: Transfer) -> None:
        """All bytes are in: verify them against the AddSpec (READY or ERROR).

        Raises for an upload whose session ended meanwhile (its bytes are discarded).
        """
        session = self._end(transfer)
        if session is None:
            self._raise_stale(transfer)
            return
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
        self._settle(session)

    def abort(self, transfer: Transfer, reason: str) -> None:
        """The transfer broke (connection closed, source unreachable): file ERROR."""
        session = self._end(transfer)
        self._b.storage.discard(transfer.receiver.path)
        if session is None:
            return
        file = transfer.file
        file.bytes_transferred = transfer.receiver.count
        file.status = TRANSFER_TRANSITIONS[(file.status, "broken")]
        file.error_message = errors.transfer_error(shown(file.name), reason)
        self._settle(session)

    def _raise_stale(self, transfer: Transfer) -> None:
        path = f"{DATA_PATH}/{transfer.file.token}"
        if not self._b.update_sessions.exists(transfer.session_id):
            raise errors.transfer_endpoint_not_found(path)
        session = self._b.update_sessions.find(transfer.session_id)
        if session.state is not UpdateState.ACTIVE:
            raise errors.not_allowed("upload", session.state, _NOUN)
        raise errors.transfer_endpoint_not_found(path)  # the file was replaced or removed

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

    # -- hooks of the update-session state machine --------------------------------------
    def ready_to_complete(self, session: UpdateSession) -> bool:
        """Check the files for ``complete``: True if the session can be DONE now.

        A file in ERROR moves the session to ERROR and raises NACS; files not received
        raise NACS (the session stays ACTIVE); running PULLs return False and mark the
        session ``completing``, to be settled when they end.
        """
        files = list(session.files.values())
        latent = [f for f in files if f.latent_problem is not None and f.status is READY]
        if latent:  # the checksum-mismatch-at-complete variant: 204, then ERROR
            message = latent[0].latent_problem
            self._fail_session(session, message.default_message if message else "mismatch")
            return False
        failed = [f for f in files if f.status is FAILED]
        if failed:
            message = failed[0].error_message
            reason = message.default_message if message else f"{failed[0].name} failed"
            self._fail_session(session, reason)
            raise errors.import_failed("complete", reason)
        missing = [
            f.name
            for f in files
            if f.status is WAITING
            or (f.status is TRANSFERRING and f.source_type is not SourceType.PULL)
        ]
        if missing and not self._b.flawed("complete-ignores-missing-files"):
            refusal = errors.files_missing("complete", [shown(n) for n in missing])
            if self._b.varied("complete-missing-fails-session"):
                self._fail_session(session, refusal.messages[0].default_message)
            raise refusal
        if any(f.status is TRANSFERRING and f.source_type is SourceType.PULL for f in files):
            session.completing = True
            return False
        return True

    def _settle(self, session: UpdateSession) -> None:
        """A transfer ended: finish a ``complete`` that waited for the PULLs."""
        if not session.completing or session.state is not UpdateState.ACTIVE:
            return
        if any(f.status is TRANSFERRING for f in session.files.values()):
            return
        session.completing = False
        try:
            ready = self.ready_to_complete(session)
        except errors.NotAllowedInCurrentState as exc:
            if session.state is UpdateState.ACTIVE:  # files missing: nobody to answer
                self._fail_session(session, exc.messages[0].default_message)
            return
        if ready:
            self._b.update_sessions.settle(session)

    def _fail_session(self, session: UpdateSession, reason: str) -> None:
        session.state = UpdateState.ERROR
        session.error_message = errors.import_failure(session.library_item_id, reason)
        self.discard(session)

    def commit(self, session: UpdateSession) -> None:
        """The session is DONE (or a flaw says so): READY files become the item's content."""
        item = self._b.library.get_item(session.library_item_id)
        for file in session.files.values():
            if file.status is READY and file.data is not None and file.checksum is not None:
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
        for session in self._b.update_sessions.for_item(item_id):
            if session.state is not UpdateState.ACTIVE:
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
