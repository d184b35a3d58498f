"""Update session files: add, upload, list, get, validate, remove; what the item shows.

Seed pages 002 (complete) and 004 (the service: "Modifications are not visible to
other clients unless the session is completed and all necessary files have been
received"); contract.md §3, §4, §5, §8, §9 and §10 items 8-10 for the file
service, which the pages name but do not detail. Payloads are a few KiB of
random bytes per test; digests are computed on the client side.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from conformance.client import Exchange, VcenterApi
from conformance.config import Config
from conformance.sandbox import Sandbox, require

from ._files import (
    TRANSFER_PENDING,
    Payload,
    add_push,
    checksum_matches,
    content_version,
    endpoint_uri,
    field,
    find,
    is_transfer_url,
    item_files,
    names,
    payload,
    pick,
    poll,
    status_in,
    stock_item,
    transfer_ok,
    upload_file,
    verify_item_file_size,
)
from ._preconditions import UPLOAD_READY
from ._sessions import await_done, complete_session, end_update_session, settle, state
from ._verify import Verifier

# transfers and polls: many round trips each (a parallel run starts them early)
pytestmark = [pytest.mark.destructive, pytest.mark.long]


@pytest.fixture
def wait(settings: Config) -> float:
    """How long a change the docs let happen later may take (see ``_files``)."""
    return settings.poll_timeout


def file_get(api: VcenterApi, session_id: str, name: str, wait: float) -> Exchange:
    """``get`` of a session file, once its transfer has settled (bounded)."""
    return poll(
        lambda: api.update_session_files.get(session_id, name),
        status_in(TRANSFER_PENDING | {"WAITING_FOR_TRANSFER"}),
        wait,
        precondition=UPLOAD_READY,
    )


def file_view(files: list[dict[str, Any]]) -> dict[str, tuple[Any, Any, Any]]:
    """What another client sees of an item's files: name -> (size, checksum, version)."""
    return {
        str(f.get("name")): (
            f.get("size"),
            field(f.get("checksum_info"), "checksum"),
            f.get("version"),
        )
        for f in files
    }


def check_added(verify: Verifier, body: Any, data: Payload) -> None:
    """The File.Info of a PUSH file just added (contract §4, §5, §10 item 9)."""
    added = {"name": data.name, "source_type": "PUSH"}
    verify.equal(pick(body, *added), added, "the added file's name and source type")
    nothing_yet = {"status": "WAITING_FOR_TRANSFER", "bytes_transferred": 0}
    verify.equal(pick(body, *nothing_yet), nothing_yet, "a PUSH file that has received nothing")
    verify.that(
        is_transfer_url(endpoint_uri(body, "upload_endpoint")),
        "a PUSH file must carry upload_endpoint.uri, an absolute http(s) URL",
        expected="upload_endpoint: {uri: https://…}",
        actual=field(body, "upload_endpoint"),
    )
    verify.that(
        "size" not in body,
        "size must not be set before the file is READY",
        expected="no size",
        actual=field(body, "size"),
    )


# -- add ----------------------------------------------------------------------------------


@pytest.mark.requirement("USF-ADD-PUSH-201")
def test_update_session_file_add_push_returns_upload_endpoint(
    api: VcenterApi, update_session: str, verify: Verifier
) -> None:
    data = payload()
    files = api.update_session_files
    added = files.add_push(update_session, data.name, size=data.size, checksum=data.sha1)
    body = verify.success(added, 201, "file add (PUSH)", operation_id="update_session_file_add")
    check_added(verify, body, data)


@pytest.mark.requirement("USF-ADD-ACTION-FORM")
@pytest.mark.dialect(
    "api", reason="the …/file?action=add path form is /api's; /rest has only ?~action=add"
)
def test_update_session_file_add_action_form_is_accepted(
    api: VcenterApi, update_session: str, verify: Verifier
) -> None:
    data = payload()
    added = api.update_session_files.add_push(update_session, data.name, action_form=True)
    if added.status == 404:
        pytest.skip(
            "the target does not serve POST …/file?action=add (only the published "
            "POST …/file form); contract.md §9 reports both forms"
        )
    body = verify.success(
        added,
        range(200, 300),  # the exact 201 is USF-ADD-PUSH-201's
        "file add (POST …/file?action=add)",
        operation_id="update_session_file_add_action",
    )
    check_added(verify, body, data)


BAD_NAMES = {"parent-dir": "../vcc-escape.bin", "path-separator": "vcc-dir/x.bin"}


@pytest.mark.requirement("USF-ADD-PATH-NAME-400")
@pytest.mark.parametrize("case", list(BAD_NAMES))
def test_update_session_file_add_with_a_path_as_name_is_invalid_argument(
    api: VcenterApi, update_session: str, verify: Verifier, case: str
) -> None:
    spec = {"name": BAD_NAMES[case], "source_type": "PUSH"}
    added = api.update_session_files.add(update_session, spec)
    verify.error(added, f"file add named {BAD_NAMES[case]!r}")


@pytest.mark.requirement("USF-ADD-EMPTY-NAME-400")
def test_update_session_file_add_with_an_empty_name_is_invalid_argument(
    api: VcenterApi, update_session: str, verify: Verifier
) -> None:
    added = api.update_session_files.add(update_session, {"name": "", "source_type": "PUSH"})
    verify.error(added, "file add with an empty name")


# -- upload, get, list --------------------------------------------------------------------

UPLOADS = {"PUT-with-session": ("PUT", True), "POST-without-session": ("POST", False)}


@pytest.mark.requirement("USF-UPLOAD-READY")
@pytest.mark.parametrize("upload", list(UPLOADS))
def test_update_session_file_upload_makes_the_file_ready(
    api: VcenterApi, update_session: str, verify: Verifier, wait: float, upload: str
) -> None:
    method, with_session = UPLOADS[upload]
    data = payload()
    uri = add_push(api, update_session, data, size=data.size, checksum=data.sha1)
    sent = api.transfers.upload(uri, data.data, method=method, with_session=with_session)
    transfer_ok(verify, sent, f"{method} of {data.describe()} to upload_endpoint.uri")
    got = file_get(api, update_session, data.name, wait)
    info = verify.success(
        got, 200, "file get after the upload", operation_id="update_session_file_get"
    )
    verify.equal(info.get("status"), "READY", "the status of a file whose bytes all came")
    received = {"size": data.size, "bytes_transferred": data.size}
    verify.equal(pick(info, *received), received, "the size and bytes_transferred of a READY file")
    if info.get("checksum_info") is not None:
        verify.that(
            checksum_matches(info["checksum_info"], data),
            "checksum_info of the received file must be the checksum of the bytes sent",
            expected=data.describe(),
            actual=info["checksum_info"],
        )


@pytest.mark.requirement("USF-LIST")
def test_update_session_file_list_shows_the_session_files(
    api: VcenterApi, update_session: str, verify: Verifier, wait: float
) -> None:
    sent, waiting = payload(), payload()
    upload_file(api, update_session, sent, wait=wait)
    add_push(api, update_session, waiting)
    listed = api.update_session_files.list(update_session)
    files = verify.success(listed, 200, "file list", operation_id="update_session_file_list")
    verify.that(
        {sent.name, waiting.name} <= set(names(files)),
        "the list must hold every file added in the session",
        expected=sorted([sent.name, waiting.name]),
        actual=names(files),
    )
    ready = {"status": "READY", "bytes_transferred": sent.size}
    verify.equal(pick(find(files, sent.name), *ready), ready, "the uploaded file in the list")
    pending = {"status": "WAITING_FOR_TRANSFER", "bytes_transferred": 0}
    verify.equal(pick(find(files, waiting.name), *pending), pending, "the file not sent yet")


FILE_OPERATIONS: dict[str, Callable[[VcenterApi, str, str], Exchange]] = {
    "get": lambda api, sid, name: api.update_session_files.get(sid, name),
    "remove": lambda api, sid, name: api.update_session_files.remove(sid, name),
}


@pytest.mark.requirement("USF-UNKNOWN-FILE-400")
@pytest.mark.parametrize("operation", list(FILE_OPERATIONS))
def test_update_session_file_unknown_name_is_invalid_argument(
    api: VcenterApi, update_session: str, verify: Verifier, operation: str
) -> None:
    name = f"vcc-never-added-{uuid.uuid4().hex[:8]}.bin"
    answer = FILE_OPERATIONS[operation](api, update_session, name)
    verify.error(answer, f"file {operation} of a name the session does not have")


SESSION_OPERATIONS: dict[str, Callable[[VcenterApi, str], Exchange]] = {
    "add": lambda api, sid: api.update_session_files.add_push(sid, "vcc-x.bin"),
    "list": lambda api, sid: api.update_session_files.list(sid),
    "get": lambda api, sid: api.update_session_files.get(sid, "vcc-x.bin"),
    "remove": lambda api, sid: api.update_session_files.remove(sid, "vcc-x.bin"),
    "validate": lambda api, sid: api.update_session_files.validate(sid),
}


@pytest.mark.requirement("USF-UNKNOWN-SESSION-404")
@pytest.mark.parametrize("operation", list(SESSION_OPERATIONS))
def test_update_session_file_operations_of_an_unknown_session_are_not_found(
    api: VcenterApi, verify: Verifier, unknown_update_session_id: str, operation: str
) -> None:
    answer = SESSION_OPERATIONS[operation](api, unknown_update_session_id)
    verify.error(answer, f"file {operation} in an unknown update session")


ENDINGS = {"CANCELED": "cancel", "DONE": "complete"}


@pytest.mark.requirement("USF-NOT-ACTIVE-400")
@pytest.mark.parametrize("operation", ["add", "validate"])
@pytest.mark.parametrize("state", list(ENDINGS))
def test_update_session_file_add_and_validate_after_the_session_ended_are_rejected(
    api: VcenterApi, update_session: str, verify: Verifier, wait: float, state: str, operation: str
) -> None:
    end_update_session(api, update_session, ENDINGS[state], wait=wait)
    refused = SESSION_OPERATIONS[operation](api, update_session)
    verify.error(refused, f"file {operation} in a {state} update session")


# -- validate and complete ----------------------------------------------------------------


@pytest.mark.requirement("USF-VALIDATE-SHAPE")
def test_update_session_file_validate_after_upload_has_no_errors(
    api: VcenterApi, update_session: str, verify: Verifier, wait: float
) -> None:
    upload_file(api, update_session, payload(), wait=wait)
    validated = api.update_session_files.validate(update_session)
    result = verify.success(
        validated,
        200,
        "validate after every file came",
        operation_id="update_session_file_validate",
    )
    clean = {"has_errors": False, "missing_files": [], "invalid_files": []}
    verify.equal(pick(result, *clean), clean, "validate of a session whose files all came")


@pytest.mark.requirement("USF-VALIDATE-MISSING")
def test_update_session_file_validate_reports_a_file_not_received(
    api: VcenterApi, update_session: str, verify: Verifier
) -> None:
    data = payload()
    add_push(api, update_session, data)
    validated = api.update_session_files.validate(update_session)
    if validated.status == 400:
        # The published 8.0.2 spec: 400 "if some of the files that will be uploaded by
        # the client aren't received correctly".
        verify.error(validated, "validate with a file never sent")
        return
    # The result's shape (all three keys) is USF-VALIDATE-SHAPE's; here only where the
    # file is named.
    result = verify.success(validated, 200, "validate with a file never sent")
    if not isinstance(result, dict):
        result = {}
    invalid = [field(entry, "name") for entry in result.get("invalid_files") or []]
    verify.that(
        result.get("has_errors") is True
        and (data.name in (result.get("missing_files") or []) or data.name in invalid),
        "validate must report the file added but never sent (has_errors, and its name in "
        "missing_files or invalid_files)",
        expected={"has_errors": True, "missing_files": [data.name]},
        actual=result,
    )


@pytest.mark.requirement("USF-COMPLETE-MISSING-400")
def test_update_session_complete_with_a_file_not_received_is_refused(
    api: VcenterApi, item: str, update_session: str, verify: Verifier, wait: float
) -> None:
    data = payload()
    add_push(api, update_session, data)
    completed = api.update_sessions.complete(update_session)
    if 200 <= completed.status < 300:  # a complete that ends nothing is US-COMPLETE-DONE's
        settle(api, update_session, wait=wait)
    verify.error(completed, "complete with a file added but never sent")
    after = state(verify, api.update_sessions, update_session)
    verify.that(
        after != "DONE",
        "a refused complete must not leave the session DONE",
        expected="ACTIVE or ERROR",
        actual=after,
    )
    verify_not_in_item(verify, api, item, data, "a file that was never received")


def verify_not_in_item(
    verify: Verifier, api: VcenterApi, item: str, data: Payload, what: str
) -> None:
    files = names(item_files(verify, api, item))
    verify.that(
        data.name not in files,
        f"the item must not show {what}",
        expected=f"no {data.name}",
        actual=files,
    )


def judge_rejected_upload(
    api: VcenterApi,
    verify: Verifier,
    item: str,
    session_id: str,
    data: Payload,
    *,
    size: int | None = None,
    checksum: str | None = None,
    wait: float,
) -> None:
    """Upload ``data`` against a wrong size or checksum: the upload must fail.

    A target may refuse the bytes at once, put the file in ERROR once received, or
    verify only at complete (contract §9: "the session goes to ERROR after
    complete"); in every case the session must not reach DONE and the item must not
    get the file. A complete that answers 204 and leaves the session ACTIVE did
    nothing: that is US-COMPLETE-DONE's to judge (an Error here).
    """
    uri = add_push(api, session_id, data, size=size, checksum=checksum)
    api.transfers.upload(uri, data.data)  # a target may refuse the bytes right away
    settled = poll(
        lambda: api.update_session_files.get(session_id, data.name),
        status_in(TRANSFER_PENDING),
        wait,
    )
    # Read, not judged: the file info's shape is USF-UPLOAD-READY's. What this requirement
    # decides on is the session's end and the item, below.
    body = verify.observed(settled, 200, "file get after the upload").json
    info = body if isinstance(body, dict) else {}
    if info.get("status") == "ERROR":
        verify.that(
            isinstance(info.get("error_message"), dict),
            "a file in ERROR must say why (error_message)",
            expected="error_message: {id, default_message, args}",
            actual=info.get("error_message"),
        )
    completed = api.update_sessions.complete(session_id)
    if completed.status == 204:
        ended = settle(api, session_id, wait=wait, verify=verify)
    else:
        verify.error(completed, "complete after a rejected upload")
        ended = state(verify, api.update_sessions, session_id)
    verify.that(
        ended == "ERROR" or (completed.status != 204 and ended == "ACTIVE"),
        "an update session whose upload did not match its AddSpec must not reach DONE",
        expected="ERROR (or ACTIVE after a refused complete)",
        actual=ended,
    )
    verify_not_in_item(verify, api, item, data, "a file whose upload did not match its AddSpec")


@pytest.mark.requirement("USF-CHECKSUM-MISMATCH-ERROR")
def test_update_session_file_checksum_mismatch_fails_the_upload(
    api: VcenterApi, item: str, update_session: str, verify: Verifier, wait: float
) -> None:
    data = payload()
    wrong = payload(data.size).sha1  # the SHA1 of other bytes of the same length
    judge_rejected_upload(
        api, verify, item, update_session, data, size=data.size, checksum=wrong, wait=wait
    )


@pytest.mark.requirement("USF-SIZE-MISMATCH-ERROR")
def test_update_session_file_size_mismatch_fails_the_upload(
    api: VcenterApi, item: str, update_session: str, verify: Verifier, wait: float
) -> None:
    data = payload()
    judge_rejected_upload(api, verify, item, update_session, data, size=data.size + 1, wait=wait)


@pytest.mark.requirement("USF-REMOVE")
def test_update_session_file_remove_keeps_the_file_out_of_the_item(
    api: VcenterApi, item: str, update_session: str, verify: Verifier, wait: float
) -> None:
    kept, removed = payload(), payload()
    upload_file(api, update_session, kept, wait=wait)
    upload_file(api, update_session, removed, wait=wait)
    verify.void(api.update_session_files.remove(update_session, removed.name), "file remove")
    # The session's list may show the removed file until complete or drop it at once: "The
    # file will only be effectively removed when the update session is completed."
    complete_session(api, update_session, wait=wait)
    listed = verify.observed(api.item_files.list(item), 200, "listing the item's files")
    verify.that(
        kept.name in names(listed.json) and removed.name not in names(listed.json),
        "after complete the item must hold the kept file and not the removed one",
        expected=f"{kept.name} and not {removed.name}",
        actual=names(listed.json),
    )


# -- visibility: before complete, after cancel, after complete -----------------------------


def pending_update(
    verify: Verifier, api: VcenterApi, sandbox: Sandbox, wait: float
) -> tuple[str, str, Payload, dict[str, tuple[Any, Any, Any]], Any]:
    """An item holding a file, and an ACTIVE update session on it that received a new
    file and new content for the old one: (item, session, the new file, the item's
    files and content_version before the session)."""
    old = payload(2048)
    item = stock_item(api, sandbox, old, wait=wait)
    before, version = file_view(item_files(verify, api, item)), content_version(verify, api, item)
    session = sandbox.new_update_session(item)
    added = payload(4096)
    upload_file(api, session, added, wait=wait)
    upload_file(api, session, payload(3072, name=old.name), wait=wait)
    return item, session, added, before, version


@pytest.mark.requirement("USF-INVISIBLE-BEFORE-COMPLETE")
def test_update_session_file_content_is_invisible_before_complete(
    api: VcenterApi, sandbox: Sandbox, verify: Verifier, wait: float
) -> None:
    item, _session, added, before, version = pending_update(verify, api, sandbox, wait)
    # The list's shape is ITEM-FILES-AFTER-COMPLETE's; what is judged here is what it holds.
    files = item_files(verify, api, item)
    verify.equal(file_view(files), before, "the item's files while the update session is ACTIVE")
    download = api.download_session_files.list(sandbox.new_download_session(item))
    offered = verify.success(download, 200, "download session file list")
    verify.that(
        added.name not in names(offered),
        "a download session must not offer a file of an update session not completed",
        expected=f"no {added.name}",
        actual=names(offered),
    )
    verify.equal(
        content_version(verify, api, item), version, "the item's content_version before complete"
    )


@pytest.mark.requirement("USF-CANCEL-DISCARDS")
def test_update_session_cancel_discards_the_uploaded_content(
    api: VcenterApi, sandbox: Sandbox, verify: Verifier, wait: float
) -> None:
    item, session, _added, before, version = pending_update(verify, api, sandbox, wait)
    verify.void(api.update_sessions.cancel(session), "cancel")
    files = item_files(verify, api, item)
    verify.equal(file_view(files), before, "the item's files after cancel")
    verify.equal(
        content_version(verify, api, item), version, "the item's content_version after cancel"
    )


@pytest.mark.requirement("USF-UPLOAD-AFTER-CANCEL-REFUSED")
def test_update_session_upload_after_cancel_is_refused(
    api: VcenterApi, item: str, update_session: str, verify: Verifier
) -> None:
    data = payload()
    uri = add_push(api, update_session, data)
    require(api.update_sessions.cancel(update_session), 204, "cancel")
    sent = api.transfers.upload(uri, data.data)
    verify.that(
        not 200 <= sent.status < 300,
        "the upload endpoint of a canceled session must refuse the bytes",
        expected="4xx",
        actual=sent.status,
        exchange=sent,
    )
    verify_not_in_item(verify, api, item, data, "bytes sent after cancel")


@pytest.mark.requirement("ITEM-FILES-AFTER-COMPLETE")
def test_item_files_show_the_uploaded_file_after_complete(
    api: VcenterApi, item: str, update_session: str, verify: Verifier, wait: float
) -> None:
    data = payload()
    upload_file(api, update_session, data, wait=wait)
    require(api.update_sessions.complete(update_session), 204, "complete")
    # PUSH: "the library item will be updated once this call returns" (seed 002): read at
    # once, judged once the session is known to have completed.
    listed, one = api.item_files.list(item), api.item_files.get(item, data.name)
    await_done(api, update_session, wait=wait)
    files = verify.success(listed, 200, "item file list", operation_id="library_item_file_list")
    check_item_file(verify, find(files, data.name), data, names(files))
    info = verify.success(one, 200, "item file get", operation_id="library_item_file_get")
    check_item_file(verify, info, data, names(files))


def check_item_file(verify: Verifier, info: Any, data: Payload, listed: list[str]) -> None:
    verify.that(
        isinstance(info, dict) and info.get("name") == data.name,
        "the item must show the file the completed session uploaded",
        expected=data.name,
        actual=listed,
    )
    verify_item_file_size(verify, info, data)
    if field(info, "checksum_info") is not None:
        verify.that(
            checksum_matches(info["checksum_info"], data),
            "the item file's checksum_info must be the checksum of the bytes uploaded",
            expected=data.describe(),
            actual=info["checksum_info"],
        )


@pytest.mark.requirement("ITEM-CONTENT-VERSION-AFTER-COMPLETE")
def test_item_content_version_changes_when_a_session_completes(
    api: VcenterApi, item: str, update_session: str, verify: Verifier, wait: float
) -> None:
    before = content_version(verify, api, item)
    got = verify.success(api.update_sessions.get(update_session), 200, "update session get")
    created_at = field(got, "library_item_content_version")
    verify.equal(created_at, before, "library_item_content_version (the item's, at creation)")
    upload_file(api, update_session, payload(), wait=wait)
    complete_session(api, update_session, wait=wait)
    after = content_version(verify, api, item)
    verify.that(
        after is not None and after != before,
        "a completed session that changed the item's files must give it a new content_version",
        expected=f"not {before!r}",
        actual=after,
    )


@pytest.mark.requirement("ITEM-FILE-UNKNOWN-404")
def test_item_file_get_of_an_unknown_name_is_not_found(
    api: VcenterApi, item: str, verify: Verifier
) -> None:
    name = f"vcc-never-uploaded-{uuid.uuid4().hex[:8]}.bin"
    verify.error(api.item_files.get(item, name), "item file get of a name the item does not have")
