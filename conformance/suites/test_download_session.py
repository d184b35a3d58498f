"""Download sessions: create, get, list, keep-alive, cancel, fail, delete.

Seed page 001 (delete); contract.md §3 and §4 for the rest.
"""

from __future__ import annotations

from functools import partial

import pytest

from conformance.checks import check_datetime
from conformance.client import VcenterApi
from conformance.config import Config
from conformance.sandbox import Sandbox, require, require_ended

from ._sessions import (
    created_id,
    model,
    verify_deleted,
    verify_keep_alive_extends,
    verify_list_filter,
    verify_state,
)
from ._verify import Verifier

pytestmark = pytest.mark.destructive


@pytest.mark.requirement("DS-CREATE-201")
def test_download_session_create_returns_bare_id(
    api: VcenterApi, item: str, verify: Verifier
) -> None:
    created = api.download_sessions.create({"library_item_id": item})
    created_id(verify, created, "download session create")


@pytest.mark.requirement("DS-CREATE-UNKNOWN-ITEM-404")
def test_download_session_create_on_unknown_item_is_not_found(
    api: VcenterApi, verify: Verifier, unknown_item_id: str
) -> None:
    created = api.download_sessions.create({"library_item_id": unknown_item_id})
    verify.error(created, "download session create on an unknown library item")


@pytest.mark.requirement("DS-GET-MODEL", "WIRE-DATETIME-FORMAT")
def test_download_session_get_returns_documented_model(
    api: VcenterApi, item: str, download_session: str, verify: Verifier
) -> None:
    got = api.download_sessions.get(download_session)
    body = verify.success(got, 200, "download session get", operation_id="download_session_get")
    verify.that("id" not in body, "get must not return id", actual=body)
    verify.equal(body.get("library_item_id"), item, "library_item_id (the session's item)")
    verify.equal(body.get("state"), "ACTIVE", "the state of a new download session")
    verify.soft(check_datetime, body.get("expiration_time"), "expiration_time", got)


@pytest.mark.requirement("DS-LIST")
def test_download_session_list_filters_by_library_item(
    api: VcenterApi, sandbox: Sandbox, verify: Verifier
) -> None:
    items = (sandbox.new_item(), sandbox.new_item())
    created = (sandbox.new_download_session(items[0]), sandbox.new_download_session(items[1]))
    verify_list_filter(verify, api.download_sessions, items, created, "download_session_list")


@pytest.mark.requirement("DS-DELETE-ANY-STATE")
@pytest.mark.parametrize("state", ["ACTIVE", "CANCELED", "ERROR"])
def test_download_session_delete_works_in_every_state(
    api: VcenterApi, download_session: str, verify: Verifier, state: str
) -> None:
    if state == "CANCELED":
        require(api.download_sessions.cancel(download_session), 204, "cancel")
    elif state == "ERROR":
        require(api.download_sessions.fail(download_session, "vcenter-conformance"), 204, "fail")
    what = f"delete of a {state} download session"
    verify_deleted(verify, api.download_sessions, download_session, what)


UNKNOWN_ID_OPERATIONS = {
    "get": lambda api, sid: api.download_sessions.get(sid),
    "delete": lambda api, sid: api.download_sessions.delete(sid),
    "cancel": lambda api, sid: api.download_sessions.cancel(sid),
    "fail": lambda api, sid: api.download_sessions.fail(sid, "vcenter-conformance"),
    "keep-alive": lambda api, sid: api.download_sessions.keep_alive(sid),
}


@pytest.mark.requirement("DS-UNKNOWN-ID-404")
@pytest.mark.parametrize("operation", list(UNKNOWN_ID_OPERATIONS))
def test_download_session_unknown_id_is_not_found(
    api: VcenterApi, verify: Verifier, unknown_download_session_id: str, operation: str
) -> None:
    answer = UNKNOWN_ID_OPERATIONS[operation](api, unknown_download_session_id)
    verify.error(answer, f"{operation} of an unknown download session")


@pytest.mark.requirement("DS-NOT-ACTIVE-400")
@pytest.mark.parametrize("operation", ["cancel", "fail", "keep-alive"])
def test_download_session_operations_after_cancel_are_rejected(
    api: VcenterApi, download_session: str, verify: Verifier, operation: str
) -> None:
    require(api.download_sessions.cancel(download_session), 204, "cancel")
    require_ended(api.download_sessions.get(download_session), "cancel", "DS-CANCEL-CANCELED")
    refused = UNKNOWN_ID_OPERATIONS[operation](api, download_session)
    verify.error(refused, f"{operation} of a CANCELED download session")


@pytest.mark.requirement("DS-CANCEL-CANCELED")
def test_download_session_cancel_reaches_canceled(
    api: VcenterApi, download_session: str, verify: Verifier
) -> None:
    verify.void(api.download_sessions.cancel(download_session), "cancel")
    verify_state(verify, api.download_sessions, download_session, "CANCELED", "after cancel")


@pytest.mark.requirement("DS-FAIL-ERROR")
def test_download_session_fail_reaches_error(
    api: VcenterApi, download_session: str, verify: Verifier
) -> None:
    message = "vcenter-conformance simulated download failure"
    verify.void(api.download_sessions.fail(download_session, message), "fail")
    body = model(verify, api.download_sessions, download_session)
    verify.equal(body.get("state"), "ERROR", "the state after fail")
    verify.that(
        message in str(body.get("error_message")),
        "error_message must carry the client's message",
        expected=message,
        actual=body.get("error_message"),
    )


@pytest.mark.long
@pytest.mark.requirement("DS-KEEPALIVE-EXTENDS")
def test_download_session_keep_alive_extends_expiration(
    api: VcenterApi, download_session: str, verify: Verifier, settings: Config
) -> None:
    keep_alive = partial(api.download_sessions.keep_alive, download_session, progress=10)
    pause = settings.keepalive_pause
    verify_keep_alive_extends(verify, api.download_sessions, download_session, keep_alive, pause)


@pytest.mark.requirement("DS-KEEPALIVE-PROGRESS")
def test_download_session_keep_alive_records_progress(
    api: VcenterApi, download_session: str, verify: Verifier
) -> None:
    verify.void(api.download_sessions.keep_alive(download_session, progress=40), "keep-alive")
    progress = model(verify, api.download_sessions, download_session).get("client_progress")
    verify.equal(progress, 40, "client_progress after a keep-alive with progress 40")
