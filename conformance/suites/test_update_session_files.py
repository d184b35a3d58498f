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
    new_download_session,
    payload,
    poll,
    status_in,
    stock_item,
    transfer_ok,
    upload_file,
)
from ._preconditions import SESSION_DONE, UPLOAD_READY
from ._verify import Verifier

pytestmark = pytest.mark.destructive


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


def session_state(api: VcenterApi, verify: Verifier, session_id: str, requirement: str) -> Any:
    exchange = api.update_sessions.get(session_id)
    body = verify.success(exchange, 200, requirement, "get of the update session")
    return field(body, "state")


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


def check_added(verify: Verifier, body: Any, data: Payload, requirement: str) -> None:
    """The File.Info of a PUSH file just added (contract §4, §5, §10 item 9)."""
    verify.that(
        field(body, "name") == data.name and field(body, "source_type") == "PUSH",
        requirement,
        "File.Info must name the added file and its source type",
        expected={"name": data.name, "source_type": "PUSH"},
        actual={k: field(body, k) for k in ("name", "source_type")},
    )
    verify.that(
        field(body, "status") == "WAITING_FOR_TRANSFER" and field(body, "bytes_transferred") == 0,
        requirement,
        "a PUSH file that has received nothing is WAITING_FOR_TRANSFER with bytes_transferred 0",
        expected={"status": "WAITING_FOR_TRANSFER", "bytes_transferred": 0},
        actual={k: field(body, k) for k in ("status", "bytes_transferred")},
    )
    verify.that(
        is_transfer_url(endpoint_uri(body, "upload_endpoint")),
        requirement,
        "a PUSH file must carry upload_endpoint.uri, an absolute http(s) URL",
        expected="upload_endpoint: {uri: https://…}",
        actual=field(body, "upload_endpoint"),
    )
    verify.that(
        "size" not in body,
        requirement,
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
    exchange = api.update_session_files.add_push(
        update_session, data.name, size=data.size, checksum=data.sha1
    )
    body = verify.success(
        exchange, 201, "USF-ADD-PUSH-201", "file add (PUSH)", operation_id="update_session_file_add"
    )
    check_added(verify, body, data, "USF-ADD-PUSH-201")


@pytest.mark.requirement("USF-ADD-ACTION-FORM")
@pytest.mark.dialect(
    "api", reason="the …/file?action=add path form is /api's; /rest has only ?~action=add"
)
def test_update_session_file_add_action_form_is_accepted(
    api: VcenterApi, update_session: str, verify: Verifier
) -> None:
    data = payload()
    exchange = api.update_session_files.add_push(update_session, data.name, action_form=True)
    if exchange.status == 404:
        pytest.skip(
            "the target does not serve POST …/file?action=add (only the published "
            "POST …/file form); contract.md §9 reports both forms"
        )
    body = verify.success(
        exchange,
        range(200, 300),  # the exact 201 is USF-ADD-PUSH-201's
        "USF-ADD-ACTION-FORM",
        "file add (POST …/file?action=add)",
        operation_id="update_session_file_add_action",
    )
    check_added(verify, body, data, "USF-ADD-ACTION-FORM")


BAD_NAMES = {"parent-dir": "../vcc-escape.bin", "path-separator": "vcc-dir/x.bin"}


@pytest.mark.requirement("USF-ADD-PATH-NAME-400")
@pytest.mark.parametrize("case", list(BAD_NAMES))
def test_update_session_file_add_with_a_path_as_name_is_invalid_argument(
    api: VcenterApi, update_session: str, verify: Verifier, case: str
) -> None:
    exchange = api.update_session_files.add(
        update_session, {"name": BAD_NAMES[case], "source_type": "PUSH"}
    )
    verify.error(
        exchange,
        requirement="USF-ADD-PATH-NAME-400",
        what=f"file add named {BAD_NAMES[case]!r}",
    )


@pytest.mark.requirement("USF-ADD-EMPTY-NAME-400")
def test_update_session_file_add_with_an_empty_name_is_invalid_argument(
    api: VcenterApi, update_session: str, verify: Verifier
) -> None:
    verify.error(
        api.update_session_files.add(update_session, {"name": "", "source_type": "PUSH"}),
        requirement="USF-ADD-EMPTY-NAME-400",
        what="file add with an empty name",
    )


# -- upload, get, list --------------------------------------------------------------------

UPLOADS = {"PUT-with-session": ("PUT", True), "POST-without-session": ("POST", False)}


@pytest.mark.requirement("USF-UPLOAD-READY")
@pytest.mark.parametrize("upload", list(UPLOADS))
def test_update_session_file_upload_makes_the_file_ready(
    api: VcenterApi, update_session: str, verify: Verifier, wait: float, upload: str
) -> None:
    req = "USF-UPLOAD-READY"
    method, with_session = UPLOADS[upload]
    data = payload()
    uri = add_push(api, update_session, data, size=data.size, checksum=data.sha1)
    sent = api.transfers.upload(uri, data.data, method=method, with_session=with_session)
    transfer_ok(verify, sent, req, f"{method} of {data.describe()} to upload_endpoint.uri")
    info = verify.success(
        file_get(api, update_session, data.name, wait),
        200,
        req,
        "file get after the upload",
        operation_id="update_session_file_get",
    )
    verify.that(
        info.get("status") == "READY",
        req,
        "a file whose bytes were all received (and match its size and checksum) is READY",
        expected="READY",
        actual={k: info.get(k) for k in ("status", "error_message")},
    )
    verify.that(
        info.get("size") == data.size and info.get("bytes_transferred") == data.size,
        req,
        "a READY file reports the size received, and bytes_transferred equal to it",
        expected={"size": data.size, "bytes_transferred": data.size},
        actual={k: info.get(k) for k in ("size", "bytes_transferred")},
    )
    if info.get("checksum_info") is not None:
        verify.that(
            checksum_matches(info["checksum_info"], data),
            req,
            "checksum_info of the received file must be the checksum of the bytes sent",
            expected=data.describe(),
            actual=info["checksum_info"],
        )


@pytest.mark.requirement("USF-LIST")
def test_update_session_file_list_shows_the_session_files(
    api: VcenterApi, update_session: str, verify: Verifier, wait: float
) -> None:
    req = "USF-LIST"
    sent, waiting = payload(), payload()
    upload_file(api, update_session, sent, wait=wait)
    add_push(api, update_session, waiting)
    files = verify.success(
        api.update_session_files.list(update_session),
        200,
        req,
        "file list",
        operation_id="update_session_file_list",
    )
    verify.that(
        {sent.name, waiting.name} <= set(names(files)),
        req,
        "the list must hold every file added in the session",
        expected=sorted([sent.name, waiting.name]),
        actual=names(files),
    )
    ready, pending = find(files, sent.name) or {}, find(files, waiting.name) or {}
    verify.that(
        ready.get("status") == "READY" and ready.get("bytes_transferred") == sent.size,
        req,
        "the list must show the uploaded file READY with all its bytes transferred",
        expected={"status": "READY", "bytes_transferred": sent.size},
        actual={k: ready.get(k) for k in ("status", "bytes_transferred")},
    )
    verify.that(
        pending.get("status") == "WAITING_FOR_TRANSFER" and pending.get("bytes_transferred") == 0,
        req,
        "the list must show the file not sent yet as WAITING_FOR_TRANSFER, 0 bytes transferred",
        expected={"status": "WAITING_FOR_TRANSFER", "bytes_transferred": 0},
        actual={k: pending.get(k) for k in ("status", "bytes_transferred")},
    )


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
    verify.error(
        FILE_OPERATIONS[operation](api, update_session, name),
        requirement="USF-UNKNOWN-FILE-400",
        what=f"file {operation} of a name the session does not have",
    )


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
    verify.error(
        SESSION_OPERATIONS[operation](api, unknown_update_session_id),
        requirement="USF-UNKNOWN-SESSION-404",
        what=f"file {operation} in an unknown update session",
    )


ENDINGS = {"CANCELED": "cancel", "DONE": "complete"}


@pytest.mark.requirement("USF-NOT-ACTIVE-400")
@pytest.mark.parametrize("operation", ["add", "validate"])
@pytest.mark.parametrize("state", list(ENDINGS))
def test_update_session_file_add_and_validate_after_the_session_ended_are_rejected(
    api: VcenterApi, update_session: str, verify: Verifier, state: str, operation: str
) -> None:
    ending = ENDINGS[state]
    require(getattr(api.update_sessions, ending)(update_session), 204, ending)
    verify.error(
        SESSION_OPERATIONS[operation](api, update_session),
        requirement="USF-NOT-ACTIVE-400",
        what=f"file {operation} in a {state} update session",
    )


# -- validate and complete ----------------------------------------------------------------


@pytest.mark.requirement("USF-VALIDATE-SHAPE")
def test_update_session_file_validate_after_upload_has_no_errors(
    api: VcenterApi, update_session: str, verify: Verifier, wait: float
) -> None:
    req = "USF-VALIDATE-SHAPE"
    upload_file(api, update_session, payload(), wait=wait)
    result = verify.success(
        api.update_session_files.validate(update_session),
        200,
        req,
        "validate after every file was received",
        operation_id="update_session_file_validate",
    )
    verify.that(
        result.get("has_errors") is False
        and result.get("missing_files") == []
        and result.get("invalid_files") == [],
        req,
        "validate of a session whose files were all received must find no errors",
        expected={"has_errors": False, "missing_files": [], "invalid_files": []},
        actual=result,
    )


@pytest.mark.requirement("USF-VALIDATE-MISSING")
def test_update_session_file_validate_reports_a_file_not_received(
    api: VcenterApi, update_session: str, verify: Verifier
) -> None:
    req = "USF-VALIDATE-MISSING"
    data = payload()
    add_push(api, update_session, data)
    exchange = api.update_session_files.validate(update_session)
    if exchange.status == 400:
        # The published 8.0.2 spec: 400 "if some of the files that will be uploaded by
        # the client aren't received correctly".
        verify.error(
            exchange,
            requirement=req,
            what="validate with a file never sent",
        )
        return
    # The result's shape (all three keys) is USF-VALIDATE-SHAPE's; here only where the
    # file is named.
    result = verify.success(exchange, 200, req, "validate with a file never sent")
    if not isinstance(result, dict):
        result = {}
    invalid = [field(entry, "name") for entry in result.get("invalid_files") or []]
    verify.that(
        result.get("has_errors") is True
        and (data.name in (result.get("missing_files") or []) or data.name in invalid),
        req,
        "validate must report the file added but never sent (has_errors, and its name in "
        "missing_files or invalid_files)",
        expected={"has_errors": True, "missing_files": [data.name]},
        actual=result,
    )


@pytest.mark.requirement("USF-COMPLETE-MISSING-400")
def test_update_session_complete_with_a_file_not_received_is_refused(
    api: VcenterApi, item: str, update_session: str, verify: Verifier
) -> None:
    req = "USF-COMPLETE-MISSING-400"
    data = payload()
    add_push(api, update_session, data)
    verify.error(
        api.update_sessions.complete(update_session),
        requirement=req,
        what="complete with a file added but never sent",
    )
    state = session_state(api, verify, update_session, req)
    verify.that(
        state != "DONE",
        req,
        "a refused complete must not leave the session DONE",
        expected="ACTIVE or ERROR",
        actual=state,
    )
    files = item_files(api, item)
    verify.that(
        data.name not in names(files),
        req,
        "the item must not show a file that was never received",
        expected=f"no {data.name}",
        actual=names(files),
    )


def judge_rejected_upload(
    api: VcenterApi,
    verify: Verifier,
    item: str,
    session_id: str,
    data: Payload,
    requirement: str,
    *,
    size: int | None = None,
    checksum: str | None = None,
    wait: float,
) -> None:
    """Upload ``data`` against a wrong size or checksum: the upload must fail.

    A target may refuse the bytes at once, put the file in ERROR once received, or
    verify only at complete (contract §9: "the session goes to ERROR after
    complete"); in every case the session must not reach DONE and the item must not
    get the file.
    """
    uri = add_push(api, session_id, data, size=size, checksum=checksum)
    api.transfers.upload(uri, data.data)  # a target may refuse the bytes right away
    info = verify.success(
        poll(
            lambda: api.update_session_files.get(session_id, data.name),
            status_in(TRANSFER_PENDING),
            wait,
        ),
        200,
        requirement,
        "file get after the upload",
        operation_id="update_session_file_get",
    )
    if info.get("status") == "ERROR":
        verify.that(
            isinstance(info.get("error_message"), dict),
            requirement,
            "a file in ERROR must say why (error_message)",
            expected="error_message: {id, default_message, args}",
            actual=info.get("error_message"),
        )
    completed = api.update_sessions.complete(session_id)
    if completed.status != 204:
        verify.error(
            completed,
            requirement=requirement,
            what="complete after a rejected upload",
        )
    final = poll(
        lambda: api.update_sessions.get(session_id),
        lambda body: completed.status == 204 and field(body, "state") == "ACTIVE",
        wait,
        precondition=SESSION_DONE,
    )
    state = field(verify.success(final, 200, requirement, "get of the update session"), "state")
    verify.that(
        state == "ERROR" or (completed.status != 204 and state == "ACTIVE"),
        requirement,
        "an update session whose upload did not match its AddSpec must not reach DONE",
        expected="ERROR (or ACTIVE after a refused complete)",
        actual=state,
    )
    files = item_files(api, item)
    verify.that(
        data.name not in names(files),
        requirement,
        "the item must not get a file whose upload did not match its AddSpec",
        expected=f"no {data.name}",
        actual=names(files),
    )


@pytest.mark.requirement("USF-CHECKSUM-MISMATCH-ERROR")
def test_update_session_file_checksum_mismatch_fails_the_upload(
    api: VcenterApi, item: str, update_session: str, verify: Verifier, wait: float
) -> None:
    data = payload()
    wrong = payload(data.size).sha1  # the SHA1 of other bytes of the same length
    judge_rejected_upload(
        api,
        verify,
        item,
        update_session,
        data,
        "USF-CHECKSUM-MISMATCH-ERROR",
        size=data.size,
        checksum=wrong,
        wait=wait,
    )


@pytest.mark.requirement("USF-SIZE-MISMATCH-ERROR")
def test_update_session_file_size_mismatch_fails_the_upload(
    api: VcenterApi, item: str, update_session: str, verify: Verifier, wait: float
) -> None:
    data = payload()
    judge_rejected_upload(
        api,
        verify,
        item,
        update_session,
        data,
        "USF-SIZE-MISMATCH-ERROR",
        size=data.size + 1,
        wait=wait,
    )


@pytest.mark.requirement("USF-REMOVE")
def test_update_session_file_remove_keeps_the_file_out_of_the_item(
    api: VcenterApi, item: str, update_session: str, verify: Verifier, wait: float
) -> None:
    req = "USF-REMOVE"
    kept, removed = payload(), payload()
    upload_file(api, update_session, kept, wait=wait)
    upload_file(api, update_session, removed, wait=wait)
    verify.void(api.update_session_files.remove(update_session, removed.name), req, "file remove")
    listed = verify.success(
        api.update_session_files.list(update_session), 200, req, "file list after remove"
    )
    verify.that(
        removed.name not in names(listed) and kept.name in names(listed),
        req,
        "the session's file list must drop the removed file and keep the other",
        expected=f"{kept.name} and not {removed.name}",
        actual=names(listed),
    )
    require(api.update_sessions.complete(update_session), 204, "complete")
    files = item_files(api, item)
    verify.that(
        kept.name in names(files) and removed.name not in names(files),
        req,
        "after complete the item must hold the kept file and not the removed one",
        expected=f"{kept.name} and not {removed.name}",
        actual=names(files),
    )


# -- visibility: before complete, after cancel, after complete -----------------------------


@pytest.mark.requirement("USF-INVISIBLE-BEFORE-COMPLETE")
def test_update_session_file_content_is_invisible_before_complete(
    api: VcenterApi, sandbox: Sandbox, verify: Verifier, wait: float
) -> None:
    req = "USF-INVISIBLE-BEFORE-COMPLETE"
    old = payload(2048)
    item = stock_item(api, sandbox, old, wait=wait)
    before, version = file_view(item_files(api, item)), content_version(api, item)
    session = sandbox.new_update_session(item)
    added, replacement = payload(4096), payload(3072, name=old.name)
    upload_file(api, session, added, wait=wait)
    upload_file(api, session, replacement, wait=wait)
    files = verify.success(
        api.item_files.list(item),
        200,
        req,
        "item file list while the update session is ACTIVE",
        operation_id="library_item_file_list",
    )
    verify.that(
        file_view(files) == before,
        req,
        "until complete, the item must show the files it had: no added file, no new content",
        expected=before,
        actual=file_view(files),
    )
    download = new_download_session(api, sandbox, item)
    offered = verify.success(
        api.download_session_files.list(download),
        200,
        req,
        "download session file list while the update session is ACTIVE",
    )
    verify.that(
        added.name not in names(offered),
        req,
        "a download session must not offer a file of an update session not completed",
        expected=f"no {added.name}",
        actual=names(offered),
    )
    after = content_version(api, item)
    verify.that(
        after == version,
        req,
        "the item's content_version must not change before complete",
        expected=version,
        actual=after,
    )


@pytest.mark.requirement("USF-CANCEL-DISCARDS")
def test_update_session_cancel_discards_the_uploaded_content(
    api: VcenterApi, sandbox: Sandbox, verify: Verifier, wait: float
) -> None:
    req = "USF-CANCEL-DISCARDS"
    old = payload(2048)
    item = stock_item(api, sandbox, old, wait=wait)
    before, version = file_view(item_files(api, item)), content_version(api, item)
    session = sandbox.new_update_session(item)
    upload_file(api, session, payload(4096), wait=wait)
    upload_file(api, session, payload(3072, name=old.name), wait=wait)
    verify.void(api.update_sessions.cancel(session), req, "cancel")
    files = verify.success(
        api.item_files.list(item),
        200,
        req,
        "item file list after cancel",
        operation_id="library_item_file_list",
    )
    verify.that(
        file_view(files) == before,
        req,
        "after cancel the item must show exactly the files it had before the session",
        expected=before,
        actual=file_view(files),
    )
    after = content_version(api, item)
    verify.that(
        after == version,
        req,
        "cancel must not change the item's content_version",
        expected=version,
        actual=after,
    )


@pytest.mark.requirement("USF-UPLOAD-AFTER-CANCEL-REFUSED")
def test_update_session_upload_after_cancel_is_refused(
    api: VcenterApi, item: str, update_session: str, verify: Verifier
) -> None:
    req = "USF-UPLOAD-AFTER-CANCEL-REFUSED"
    data = payload()
    uri = add_push(api, update_session, data)
    require(api.update_sessions.cancel(update_session), 204, "cancel")
    sent = api.transfers.upload(uri, data.data)
    verify.that(
        not 200 <= sent.status < 300,
        req,
        "the upload endpoint of a canceled session must refuse the bytes",
        expected="4xx",
        actual=sent.status,
        exchange=sent,
    )
    files = item_files(api, item)
    verify.that(
        data.name not in names(files),
        req,
        "bytes sent after cancel must not reach the item",
        expected=f"no {data.name}",
        actual=names(files),
    )


@pytest.mark.requirement("ITEM-FILES-AFTER-COMPLETE")
def test_item_files_show_the_uploaded_file_after_complete(
    api: VcenterApi, item: str, update_session: str, verify: Verifier, wait: float
) -> None:
    req = "ITEM-FILES-AFTER-COMPLETE"
    data = payload()
    upload_file(api, update_session, data, wait=wait)
    require(api.update_sessions.complete(update_session), 204, "complete")
    # PUSH: "the library item will be updated once this call returns" (seed 002).
    files = verify.success(
        api.item_files.list(item),
        200,
        req,
        "item file list after complete",
        operation_id="library_item_file_list",
    )
    check_item_file(verify, find(files, data.name), data, req, names(files))
    one = verify.success(
        api.item_files.get(item, data.name),
        200,
        req,
        "item file get after complete",
        operation_id="library_item_file_get",
    )
    check_item_file(verify, one, data, req, names(files))


def check_item_file(
    verify: Verifier, info: Any, data: Payload, requirement: str, listed: list[str]
) -> None:
    verify.that(
        isinstance(info, dict) and info.get("name") == data.name,
        requirement,
        "the item must show the file the completed session uploaded",
        expected=data.name,
        actual=listed,
    )
    verify.that(
        field(info, "size") == data.size,
        requirement,
        "the item file's size must be the number of bytes uploaded",
        expected=data.size,
        actual=field(info, "size"),
    )
    if field(info, "checksum_info") is not None:
        verify.that(
            checksum_matches(info["checksum_info"], data),
            requirement,
            "the item file's checksum_info must be the checksum of the bytes uploaded",
            expected=data.describe(),
            actual=info["checksum_info"],
        )


@pytest.mark.requirement("ITEM-CONTENT-VERSION-AFTER-COMPLETE")
def test_item_content_version_changes_when_a_session_completes(
    api: VcenterApi, item: str, update_session: str, verify: Verifier, wait: float
) -> None:
    req = "ITEM-CONTENT-VERSION-AFTER-COMPLETE"
    before = content_version(api, item)
    model = verify.success(api.update_sessions.get(update_session), 200, req, "update session get")
    verify.that(
        field(model, "library_item_content_version") == before,
        req,
        "library_item_content_version must be the item's content_version when the session "
        "was created",
        expected=before,
        actual=field(model, "library_item_content_version"),
    )
    upload_file(api, update_session, payload(), wait=wait)
    require(api.update_sessions.complete(update_session), 204, "complete")
    after = content_version(api, item)
    verify.that(
        after is not None and after != before,
        req,
        "a completed session that changed the item's files must give it a new content_version",
        expected=f"not {before!r}",
        actual=after,
    )


@pytest.mark.requirement("ITEM-FILE-UNKNOWN-404")
def test_item_file_get_of_an_unknown_name_is_not_found(
    api: VcenterApi, item: str, verify: Verifier
) -> None:
    verify.error(
        api.item_files.get(item, f"vcc-never-uploaded-{uuid.uuid4().hex[:8]}.bin"),
        requirement="ITEM-FILE-UNKNOWN-404",
        what="item file get of a name the item does not have",
    )
