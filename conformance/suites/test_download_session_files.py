"""Download session files: list, prepare, get, the download itself; and the round trip.

contract.md §3, §4, §5, §8 and §10 item 12 (the seed pages do not detail this
service); seed page 001 for the delete that ends the round trip. Payloads are a
few KiB of random bytes per test, compared on the client side by their bytes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from conformance.client import Exchange, VcenterApi
from conformance.config import Config
from conformance.sandbox import Sandbox, require

from ._files import (
    PREPARE_PENDING,
    TRANSFER_PENDING,
    Payload,
    add_push,
    describe_bytes,
    endpoint_uri,
    field,
    find,
    is_transfer_url,
    names,
    payload,
    pick,
    poll,
    status_in,
    stock_item,
    transfer_ok,
    verify_item_file_size,
)
from ._preconditions import FILE_PREPARED, UPLOAD_READY, preconditions
from ._sessions import await_done, verify_deleted
from ._verify import Verifier

# transfers and polls: many round trips each (a parallel run starts them early)
pytestmark = [pytest.mark.destructive, pytest.mark.long]


@pytest.fixture
def wait(settings: Config) -> float:
    """How long a change the docs let happen later may take (see ``_files``)."""
    return settings.poll_timeout


@pytest.fixture
def stocked(api: VcenterApi, sandbox: Sandbox, wait: float) -> tuple[str, Payload]:
    """A new item holding one uploaded file, and that file."""
    data = payload()
    return stock_item(api, sandbox, data, wait=wait), data


def prepared_get(api: VcenterApi, session_id: str, name: str, wait: float) -> Exchange:
    """``get`` of a download session file, once its preparation has settled (bounded)."""
    return poll(
        lambda: api.download_session_files.get(session_id, name),
        status_in(PREPARE_PENDING),
        wait,
        precondition=FILE_PREPARED,
    )


def prepare_file(api: VcenterApi, session_id: str, name: str, wait: float) -> str:
    """Prepare a file and wait for PREPARED (setup step); return its download URI."""
    preconditions().check(FILE_PREPARED)
    require(api.download_session_files.prepare(session_id, name), 200, f"prepare of {name!r}")
    got = prepared_get(api, session_id, name, wait)
    uri = endpoint_uri(got.json, "download_endpoint")
    if field(got.json, "status") != "PREPARED" or uri is None:
        raise preconditions().broken(
            FILE_PREPARED, got, f"{name!r} did not become PREPARED with a download_endpoint"
        )
    return uri


@pytest.mark.requirement("DSF-LIST-UNPREPARED")
def test_download_session_file_list_shows_unprepared_files(
    api: VcenterApi, sandbox: Sandbox, stocked: tuple[str, Payload], verify: Verifier
) -> None:
    item, data = stocked
    session = sandbox.new_download_session(item)
    listed = api.download_session_files.list(session)
    files = verify.success(listed, 200, "file list", operation_id="download_session_file_list")
    info = find(files, data.name) or {}
    verify.that(
        info.get("name") == data.name,
        "the download session must list the item's file",
        expected=data.name,
        actual=names(files),
    )
    verify.equal(info.get("status"), "UNPREPARED", "the status of a file nobody asked to prepare")
    got = api.download_session_files.get(session, data.name)
    one = verify.success(
        got, 200, "file get before prepare", operation_id="download_session_file_get"
    )
    unprepared = {"name": data.name, "status": "UNPREPARED"}
    verify.equal(pick(one, *unprepared), unprepared, "get of a file nobody asked to prepare")


@pytest.mark.requirement("DSF-PREPARE")
def test_download_session_file_prepare_makes_the_file_prepared(
    api: VcenterApi,
    sandbox: Sandbox,
    stocked: tuple[str, Payload],
    verify: Verifier,
    wait: float,
) -> None:
    item, data = stocked
    check_prepare(api, verify, sandbox.new_download_session(item), data, wait)


def check_prepare(
    api: VcenterApi, verify: Verifier, session: str, data: Payload, wait: float
) -> str:
    """prepare answers 200 with the file's Info; get then reaches PREPARED with a URI."""
    prepared = api.download_session_files.prepare(session, data.name)
    started = verify.success(prepared, 200, "prepare", operation_id="download_session_file_prepare")
    verify.that(
        started.get("name") == data.name
        and started.get("status") in PREPARE_PENDING | {"PREPARED"},
        "prepare must answer with the file's Info, its preparation requested or done",
        expected={"name": data.name, "status": "PREPARE_REQUESTED, PREPARING or PREPARED"},
        actual=pick(started, "name", "status"),
    )
    got = prepared_get(api, session, data.name, wait)
    info = verify.success(
        got, 200, "file get after prepare", operation_id="download_session_file_get"
    )
    uri = endpoint_uri(info, "download_endpoint")
    verify.that(
        info.get("status") == "PREPARED" and is_transfer_url(uri),
        f"the file must become PREPARED, with download_endpoint.uri an absolute http(s) URL "
        f"(polled for {wait:g} s)",
        expected={"status": "PREPARED", "download_endpoint": {"uri": "https://…"}},
        actual=pick(info, "status", "download_endpoint", "error_message"),
    )
    return uri or ""


DOWNLOADS = {"with-session": True, "without-session": False}


@pytest.mark.requirement("DSF-DOWNLOAD-SAME-BYTES")
@pytest.mark.parametrize("download", list(DOWNLOADS))
def test_download_session_file_download_gives_the_same_bytes(
    api: VcenterApi,
    sandbox: Sandbox,
    stocked: tuple[str, Payload],
    verify: Verifier,
    wait: float,
    download: str,
) -> None:
    item, data = stocked
    uri = prepare_file(api, sandbox.new_download_session(item), data.name, wait)
    check_download(api, verify, uri, data, DOWNLOADS[download])


def check_download(
    api: VcenterApi, verify: Verifier, uri: str, data: Payload, with_session: bool = True
) -> None:
    got = api.transfers.download(uri, with_session=with_session)
    transfer_ok(verify, got.exchange, "GET of download_endpoint.uri")
    verify.that(
        got.content == data.data,
        "the downloaded bytes must be the bytes uploaded",
        expected=data.describe(),
        actual=describe_bytes(got.content),
        exchange=got.exchange,
    )


FILE_OPERATIONS: dict[str, Callable[[VcenterApi, str, str], Exchange]] = {
    "get": lambda api, sid, name: api.download_session_files.get(sid, name),
    "prepare": lambda api, sid, name: api.download_session_files.prepare(sid, name),
}


@pytest.mark.requirement("DSF-UNKNOWN-FILE-400")
@pytest.mark.parametrize("operation", list(FILE_OPERATIONS))
def test_download_session_file_unknown_name_is_invalid_argument(
    api: VcenterApi, download_session: str, verify: Verifier, operation: str
) -> None:
    name = f"vcc-never-uploaded-{uuid.uuid4().hex[:8]}.bin"
    answer = FILE_OPERATIONS[operation](api, download_session, name)
    verify.error(answer, f"file {operation} of a name the item does not have")


SESSION_OPERATIONS: dict[str, Callable[[VcenterApi, str], Exchange]] = {
    "list": lambda api, sid: api.download_session_files.list(sid),
    "get": lambda api, sid: api.download_session_files.get(sid, "vcc-x.bin"),
    "prepare": lambda api, sid: api.download_session_files.prepare(sid, "vcc-x.bin"),
}


@pytest.mark.requirement("DSF-UNKNOWN-SESSION-404")
@pytest.mark.parametrize("operation", list(SESSION_OPERATIONS))
def test_download_session_file_operations_of_an_unknown_session_are_not_found(
    api: VcenterApi, verify: Verifier, unknown_download_session_id: str, operation: str
) -> None:
    answer = SESSION_OPERATIONS[operation](api, unknown_download_session_id)
    verify.error(answer, f"file {operation} in an unknown download session")


@pytest.mark.requirement("DSF-CANCEL-INVALIDATES")
def test_download_session_cancel_invalidates_the_download_url(
    api: VcenterApi,
    sandbox: Sandbox,
    stocked: tuple[str, Payload],
    verify: Verifier,
    wait: float,
) -> None:
    item, data = stocked
    session = sandbox.new_download_session(item)
    uri = prepare_file(api, session, data.name, wait)
    require(api.download_sessions.cancel(session), 204, "cancel of the download session")
    got = api.transfers.download(uri)
    verify.that(
        not got.ok,
        "the download endpoint of a canceled download session must not serve the file",
        expected="4xx",
        actual=f"{got.exchange.status}: {describe_bytes(got.content)}",
        exchange=got.exchange,
    )


@pytest.mark.requirement(
    "USF-UPLOAD-READY",
    "USF-VALIDATE-SHAPE",
    "ITEM-FILES-AFTER-COMPLETE",
    "DSF-PREPARE",
    "DSF-DOWNLOAD-SAME-BYTES",
    "DS-DELETE-ANY-STATE",
)
def test_file_round_trip_gives_back_the_same_bytes(
    api: VcenterApi, sandbox: Sandbox, verify: Verifier, wait: float
) -> None:
    """upload → validate → complete → the item shows the file → download session →
    prepare → download → the same bytes → delete."""
    data = payload(8192)
    item = sandbox.new_item()
    session = sandbox.new_update_session(item)
    with verify.under("USF-UPLOAD-READY"):
        uri = add_push(api, session, data, size=data.size, checksum=data.sha1)
        transfer_ok(verify, api.transfers.upload(uri, data.data), "upload")
        settled = poll(
            lambda: api.update_session_files.get(session, data.name),
            status_in(TRANSFER_PENDING | {"WAITING_FOR_TRANSFER"}),
            wait,
            precondition=UPLOAD_READY,
        )
        ready = verify.success(
            settled, 200, "file get after the upload", operation_id="update_session_file_get"
        )
        expected = {"status": "READY", "size": data.size}
        verify.equal(pick(ready, *expected), expected, "the uploaded file")
    with verify.under("USF-VALIDATE-SHAPE"):
        validated = api.update_session_files.validate(session)
        result = verify.success(
            validated, 200, "validate", operation_id="update_session_file_validate"
        )
        verify.equal(result.get("has_errors"), False, "has_errors after every file came")
    with verify.under("ITEM-FILES-AFTER-COMPLETE"):
        require(api.update_sessions.complete(session), 204, "complete")
        listed = api.item_files.list(item)  # read once complete returns (seed 002) ...
        await_done(api, session, wait=wait)  # ... judged once the session completed
        files = verify.success(listed, 200, "item file list", operation_id="library_item_file_list")
        verify_item_file_size(verify, find(files, data.name), data)
    download = sandbox.new_download_session(item)
    with verify.under("DSF-PREPARE"):
        link = check_prepare(api, verify, download, data, wait)
    with verify.under("DSF-DOWNLOAD-SAME-BYTES"):
        check_download(api, verify, link, data)
    with verify.under("DS-DELETE-ANY-STATE"):
        verify_deleted(verify, api.download_sessions, download, "delete after a download")
