"""Files of update sessions, library items and download sessions: types and rules as data.

Three kinds of record (contract §5):

* ``UploadFile``: a file of an update session, from ``add`` until the session ends; it
  owns its received bytes (``data``) until ``complete`` hands them to the item;
* ``ItemFile``: a file of a library item, the content a completed session left behind;
* ``DownloadFile``: what a download session knows about one item file (prepared or not).

Client file names are labels only: bytes live on disk under generated names
(``storage.DataDir``), so no name can reach outside the data directory. Names are
checked all the same (``check_name``), as vCenter rejects them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .. import errors
from ..errors import Message
from .storage import Receiver

__all__ = [
    "HASH_ALGORITHMS",
    "MAX_FILE_NAME",
    "PREPARE_TRANSITIONS",
    "TRANSFER_TRANSITIONS",
    "ChecksumInfo",
    "DownloadFile",
    "ItemFile",
    "PrepareStatus",
    "SourceType",
    "Transfer",
    "TransferEndpoint",
    "TransferStatus",
    "UploadFile",
    "check_name",
    "shown",
]


class SourceType(StrEnum):
    NONE = "NONE"
    PUSH = "PUSH"
    PULL = "PULL"


class TransferStatus(StrEnum):
    """``updatesession.File.TransferStatus``; VALIDATING is never used by the mock."""

    WAITING_FOR_TRANSFER = "WAITING_FOR_TRANSFER"
    TRANSFERRING = "TRANSFERRING"
    READY = "READY"
    VALIDATING = "VALIDATING"
    ERROR = "ERROR"


class PrepareStatus(StrEnum):
    """``downloadsession.File.PrepareStatus``; prepare goes straight to PREPARED."""

    UNPREPARED = "UNPREPARED"
    PREPARE_REQUESTED = "PREPARE_REQUESTED"
    PREPARING = "PREPARING"
    PREPARED = "PREPARED"
    ERROR = "ERROR"


WAITING = TransferStatus.WAITING_FOR_TRANSFER
TRANSFERRING = TransferStatus.TRANSFERRING
READY = TransferStatus.READY
FAILED = TransferStatus.ERROR

#: (status, event) -> new status of an update-session file. ``receive``: bytes start to
#: arrive (a new upload replaces earlier bytes, so READY and ERROR may receive again);
#: ``received``: all bytes in and verified; ``rejected``: size or checksum mismatch;
#: ``broken``: the transfer failed. A second upload while one runs has no entry: rejected.
TRANSFER_TRANSITIONS: Mapping[tuple[TransferStatus, str], TransferStatus] = MappingProxyType(
    {
        (WAITING, "receive"): TRANSFERRING,
        (READY, "receive"): TRANSFERRING,
        (FAILED, "receive"): TRANSFERRING,
        (TRANSFERRING, "received"): READY,
        (TRANSFERRING, "rejected"): FAILED,
        (TRANSFERRING, "broken"): FAILED,
    }
)

#: (status, operation) -> new status of a download-session file.
PREPARE_TRANSITIONS: Mapping[tuple[PrepareStatus, str], PrepareStatus] = MappingProxyType(
    {
        (PrepareStatus.UNPREPARED, "prepare"): PrepareStatus.PREPARED,
        (PrepareStatus.PREPARED, "prepare"): PrepareStatus.PREPARED,
    }
)

#: ChecksumInfo.algorithm -> hashlib name; SHA1 is the default (contract §5).
HASH_ALGORITHMS: Mapping[str, str] = MappingProxyType(
    {"SHA1": "sha1", "MD5": "md5", "SHA256": "sha256", "SHA512": "sha512"}
)
DEFAULT_ALGORITHM = "SHA1"

# -- file names -------------------------------------------------------------------------

MAX_FILE_NAME = 255
_SHOWN_LENGTH = 80
# control, format (RTL overrides, zero-width), surrogate, private-use, unassigned,
# line and paragraph separators
_BAD_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def shown(name: str) -> str:
    """``name`` made safe to echo in a message: escaped (``repr``) and shortened."""
    text = repr(name)[1:-1]
    return text if len(text) <= _SHOWN_LENGTH else text[:_SHOWN_LENGTH] + "..."


def name_problem(name: str, *, allow_paths: bool = False, allow_empty: bool = False) -> str | None:
    """Why ``name`` is no acceptable file name, or None.

    ``allow_paths`` (the ``hostile-name-accepted`` flaw) lets ``..``, ``/`` and ``\\``
    through; odd characters are rejected all the same, since they cannot be rendered.
    ``allow_empty`` (the ``empty-file-name-accepted`` flaw) lets ``""`` through.
    """
    if not name:
        return None if allow_empty else "it is empty"
    if len(name) > MAX_FILE_NAME:
        return f"it is longer than {MAX_FILE_NAME} characters"
    if not allow_paths:
        if "/" in name or "\\" in name:
            return "it contains a path separator"
        if ".." in name or name == ".":
            return "it contains a relative path component"
    for char in name:
        if unicodedata.category(char) in _BAD_CATEGORIES:
            return f"it contains the character U+{ord(char):04X}"
    return None


def check_name(name: str, *, allow_paths: bool = False, allow_empty: bool = False) -> None:
    """Raise 400 INVALID_ARGUMENT unless ``name`` is an acceptable file name."""
    problem = name_problem(name, allow_paths=allow_paths, allow_empty=allow_empty)
    if problem is not None:
        raise errors.invalid_file_name(shown(name), problem)


# -- records ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChecksumInfo:
    checksum: str
    algorithm: str = DEFAULT_ALGORITHM

    def matches(self, other: ChecksumInfo) -> bool:
        return (
            self.algorithm == other.algorithm
            and self.checksum.strip().lower() == other.checksum.lower()
        )

    def to_json(self) -> dict[str, Any]:
        return {"algorithm": self.algorithm, "checksum": self.checksum}


@dataclass(frozen=True, slots=True)
class TransferEndpoint:
    uri: str
    ssl_certificate_thumbprint: str | None = None
    ssl_certificate: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"uri": self.uri}
        if self.ssl_certificate_thumbprint is not None:
            out["ssl_certificate_thumbprint"] = self.ssl_certificate_thumbprint
        if self.ssl_certificate is not None:
            out["ssl_certificate"] = self.ssl_certificate
        return out


@dataclass(eq=False)
class UploadFile:
    """One file of an update session (``updatesession.File.Info`` plus what the mock keeps).

    ``token`` is the unguessable id in the upload URI (PUSH); ``data`` the verified
    bytes on disk, owned by this record until ``complete`` moves them to the item.
    """

    name: str
    source_type: SourceType
    expected_size: int | None = None
    expected_checksum: ChecksumInfo | None = None
    source_endpoint: TransferEndpoint | None = None
    upload_endpoint: TransferEndpoint | None = None
    token: str | None = None
    status: TransferStatus = WAITING
    bytes_transferred: int = 0
    size: int | None = None
    checksum: ChecksumInfo | None = None
    error_message: Message | None = None
    #: a mismatch the ``checksum-mismatch-at-complete`` variant reports only at complete
    latent_problem: Message | None = None
    data: Path | None = None
    transfer: Transfer | None = None
    #: removed from the session, still listed until complete (``remove-at-complete``)
    removed: bool = False

    @property
    def transferred(self) -> int:
        """``bytes_transferred``, live while a transfer runs."""
        if self.transfer is not None:
            return self.transfer.receiver.count
        return self.bytes_transferred

    @property
    def algorithm(self) -> str:
        """The digest computed while the bytes arrive: the AddSpec's, else SHA1."""
        if self.expected_checksum is not None:
            return self.expected_checksum.algorithm
        return DEFAULT_ALGORITHM


@dataclass(eq=False)
class Transfer:
    """Bytes on their way into one ``UploadFile`` (an upload request or a PULL).

    ``abandoned`` is set when the file is replaced or removed, or its session ends:
    the writer stops, and whatever it wrote is deleted.
    """

    session_id: str
    file: UploadFile
    receiver: Receiver
    abandoned: bool = False


@dataclass(eq=False)
class ItemFile:
    """One file of a library item (``item.File.Info``); ``data`` holds its bytes."""

    name: str
    size: int
    checksum: ChecksumInfo
    version: str
    data: Path


@dataclass(eq=False)
class DownloadFile:
    """A download session's view of one item file, once prepared."""

    name: str
    status: PrepareStatus = PrepareStatus.UNPREPARED
    token: str | None = None
    endpoint: TransferEndpoint | None = None
    bytes_transferred: int = 0
    checksum: ChecksumInfo | None = None  # set once the client has downloaded it all
