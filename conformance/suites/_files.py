"""Helpers of the file-service tests: payloads, bounded polling and the upload flow.

Payloads are a few KiB of random bytes generated per test, with their digests
computed here, on the client side. Where the docs say a change may become
visible later (a transfer settling, prepare reaching PREPARED, a PULL-style
``complete``), the tests poll ``get`` with a bounded wait: the run's poll timeout
(``--poll-timeout``, 30 s by default), separate from the per-request timeout. The
setup steps that wait for such a change are shared preconditions
(``_preconditions``): when one fails, the later tests that need it stop at once.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from conformance.client import Exchange, UnexpectedResponse, VcenterApi
from conformance.sandbox import Sandbox, require

from ._preconditions import SESSION_DONE, UPLOAD_READY, preconditions
from ._preconditions import poll as poll  # the test modules poll through this module
from ._sessions import complete_session
from ._sessions import field as field  # the file tests read bodies through this module
from ._sessions import pick as pick
from ._verify import Verifier

#: ChecksumInfo.algorithm -> hashlib name (contract §5; unset means SHA1).
ALGORITHMS = {"SHA1": "sha1", "MD5": "md5", "SHA256": "sha256", "SHA512": "sha512"}
#: File transfer states that may still change on their own (contract §4).
TRANSFER_PENDING = frozenset({"TRANSFERRING", "VALIDATING"})
PREPARE_PENDING = frozenset({"PREPARE_REQUESTED", "PREPARING"})
NACS = "NOT_ALLOWED_IN_CURRENT_STATE"


@dataclass(frozen=True)
class Payload:
    """A file to upload: its name, its bytes and their digests."""

    name: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def sha1(self) -> str:
        return self.digest("SHA1")

    def digest(self, algorithm: str) -> str:
        return hashlib.new(ALGORITHMS[algorithm], self.data).hexdigest()

    def describe(self) -> str:
        return f"{self.size} bytes, SHA1 {self.sha1}"


def payload(size: int = 4096, *, name: str | None = None) -> Payload:
    """Random bytes under a fresh, plain file name."""
    return Payload(name or f"vcc-{uuid.uuid4().hex[:12]}.bin", os.urandom(size))


def describe_bytes(data: bytes) -> str:
    """What a report may show of transferred bytes: never the bytes themselves."""
    return f"{len(data)} bytes, SHA1 {hashlib.sha1(data).hexdigest()}"


def status_in(statuses: Collection[str]) -> Callable[[Any], bool]:
    return lambda body: field(body, "status") in statuses


def is_transfer_url(uri: Any) -> bool:
    """An absolute http(s) URL (contract §5: TransferEndpoint.uri; §8)."""
    if not isinstance(uri, str):
        return False
    parts = urlsplit(uri)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def endpoint_uri(body: Any, key: str) -> str | None:
    """``body[key].uri`` (upload_endpoint, download_endpoint), if it is there."""
    uri = field(field(body, key), "uri")
    return uri if isinstance(uri, str) else None


def names(files: Any) -> list[str]:
    """The names in a list of File.Info (anything else gives no names)."""
    if not isinstance(files, list):
        return []
    return [str(f.get("name")) for f in files if isinstance(f, dict)]


def find(files: Any, name: str) -> dict[str, Any] | None:
    if not isinstance(files, list):
        return None
    for info in files:
        if isinstance(info, dict) and info.get("name") == name:
            return info
    return None


def checksum_matches(info: Any, data: Payload) -> bool:
    """A ChecksumInfo (algorithm default SHA1) that matches the payload's bytes."""
    algorithm = field(info, "algorithm") or "SHA1"
    checksum = field(info, "checksum")
    if algorithm not in ALGORITHMS or not isinstance(checksum, str):
        return False
    return checksum.strip().lower() == data.digest(algorithm)


def verify_item_file_size(verify: Verifier, info: Any, data: Payload) -> None:
    """An item file's size is the storage it uses: at least the bytes uploaded, or 0 for
    a file not cached.

    "The file size is the storage used and not the uploaded or provisioned size ... the
    amount of storage that the disk consumes may be different from the disk file size"
    and "When the file is not cached, the size is 0" (published 8.0.2 spec): a datastore
    may round up to its block size, so more is allowed. Less is not: the suite uploads
    random bytes, which no storage keeps in fewer bytes (ITEM-FILES-AFTER-COMPLETE's
    accepts).
    """
    size, cached = field(info, "size"), field(info, "cached")
    if size == 0 and cached is False:
        return
    verify.that(
        isinstance(size, int) and not isinstance(size, bool) and size >= data.size,
        "the item file's size must be the storage it uses: at least the bytes uploaded "
        "(or 0 if not cached)",
        expected=f">= {data.size} (or 0 with cached false)",
        actual=size,
    )


def transfer_ok(verify: Verifier, exchange: Exchange, what: str) -> None:
    """A transfer endpoint answered 2xx (its body, if any, is not /api's to judge)."""
    verify.that(
        200 <= exchange.status < 300,
        f"{what}: the transfer endpoint answered {exchange.status}",
        expected="2xx",
        actual=exchange.status,
        exchange=exchange,
    )


# -- setup steps (a refusal here is an Error, not a Fail) ---------------------------------


def setup_failed(exchange: Exchange, what: str) -> UnexpectedResponse:
    return UnexpectedResponse(f"setup step failed: {what}\n{exchange.describe(1500)}", exchange)


def add_push(
    api: VcenterApi,
    session_id: str,
    data: Payload,
    *,
    size: int | None = None,
    checksum: str | None = None,
) -> str:
    """Add a PUSH file (setup step) and return its upload URI."""
    exchange = require(
        api.update_session_files.add_push(session_id, data.name, size=size, checksum=checksum),
        201,
        f"adding file {data.name!r} to the update session",
    )
    uri = endpoint_uri(exchange.json, "upload_endpoint")
    if uri is None:
        raise setup_failed(exchange, "file add returned no upload_endpoint.uri")
    return uri


def upload_file(
    api: VcenterApi, session_id: str, data: Payload, *, wait: float, verified: bool = True
) -> Exchange:
    """Add, upload and wait for the file to be READY (setup step); return the last get.

    A file that does not become READY breaks the shared precondition ``UPLOAD_READY``.
    """
    registry = preconditions()
    registry.check(UPLOAD_READY)
    size, checksum = (data.size, data.sha1) if verified else (None, None)
    uri = add_push(api, session_id, data, size=size, checksum=checksum)
    sent = api.transfers.upload(uri, data.data)
    if not 200 <= sent.status < 300:
        raise setup_failed(sent, f"uploading {data.name!r} answered {sent.status}")
    got = poll(
        lambda: api.update_session_files.get(session_id, data.name),
        status_in(TRANSFER_PENDING | {"WAITING_FOR_TRANSFER"}),
        wait,
        precondition=UPLOAD_READY,
    )
    if got.status != 200:
        raise setup_failed(got, f"file get of {data.name!r} after the upload answered {got.status}")
    status = field(got.json, "status")
    if status != "READY":
        raise registry.broken(
            UPLOAD_READY, got, f"the uploaded file {data.name!r} is {status}, not READY"
        )
    return got


def stock_item(api: VcenterApi, sandbox: Sandbox, data: Payload, *, wait: float) -> str:
    """A new item holding ``data``, through a completed update session (setup step)."""
    registry = preconditions()
    registry.check(UPLOAD_READY)  # at once, before creating anything for nothing
    registry.check(SESSION_DONE)
    item_id = sandbox.new_item()
    session_id = sandbox.new_update_session(item_id)
    upload_file(api, session_id, data, wait=wait)
    complete_session(api, session_id, wait=wait)
    return item_id


def item_files(verify: Verifier, api: VcenterApi, item_id: str) -> list[dict[str, Any]]:
    """The item's file list, read to be judged (200 required; the evidence of a failure)."""
    body = verify.observed(api.item_files.list(item_id), 200, "listing the item's files").json
    return [f for f in body if isinstance(f, dict)] if isinstance(body, list) else []


def content_version(verify: Verifier, api: VcenterApi, item_id: str) -> Any:
    """The item's content_version, read to be judged (200 required; the evidence)."""
    return field(
        verify.observed(api.items.get(item_id), 200, "get of the item").json, "content_version"
    )
