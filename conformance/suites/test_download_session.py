"""Download sessions: create, get, list, keep-alive, cancel, fail, delete.

Seed page 001 (delete); contract.md §3 and §4 for the rest.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from conformance.checks import check_datetime
from conformance.client import VcenterApi
from conformance.sandbox import Sandbox, require, require_ended

from ._verify import Verifier, verify_list_filter
from .test_update_session import moved_forward

pytestmark = pytest.mark.destructive


def get_model(api: VcenterApi, verify: Verifier, session_id: str, requirement: str) -> Any:
    exchange = api.download_sessions.get(session_id)
    body = verify.success(exchange, 200, requirement, "get of the download session")
    verify.that(isinstance(body, dict), requirement, "get did not return an object", actual=body)
    return body


@pytest.mark.requirement("DS-CREATE-201")
def test_download_session_create_returns_bare_id(
    api: VcenterApi, sandbox: Sandbox, item: str, verify: Verifier
) -> None:
    exchange = api.download_sessions.create({"library_item_id": item})
    sandbox.track_created(exchange, "download")
    body = verify.success(exchange, 201, "DS-CREATE-201", "download session create")
    verify.that(
        isinstance(body, str) and bool(body),
        "DS-CREATE-201",
        "create must return the new session's id as a bare JSON string",
        expected='"<id>"',
        actual=exchange.response_text[:200],
        exchange=exchange,
    )


@pytest.mark.requirement("DS-CREATE-UNKNOWN-ITEM-404")
def test_download_session_create_on_unknown_item_is_not_found(
    api: VcenterApi, sandbox: Sandbox, verify: Verifier, unknown_item_id: str
) -> None:
    exchange = api.download_sessions.create({"library_item_id": unknown_item_id})
    sandbox.track_created(exchange, "download")
    verify.error(
        exchange,
        requirement="DS-CREATE-UNKNOWN-ITEM-404",
        what="download session create on an unknown library item",
    )


@pytest.mark.requirement("DS-GET-MODEL", "WIRE-DATETIME-FORMAT")
def test_download_session_get_returns_documented_model(
    api: VcenterApi, item: str, download_session: str, verify: Verifier
) -> None:
    exchange = api.download_sessions.get(download_session)
    body = verify.success(
        exchange, 200, "DS-GET-MODEL", "download session get", operation_id="download_session_get"
    )
    verify.that(
        "id" not in body, "DS-GET-MODEL", "get must not return id", actual=body, exchange=exchange
    )
    verify.that(
        body.get("library_item_id") == item and body.get("state") == "ACTIVE",
        "DS-GET-MODEL",
        "a new download session is ACTIVE on the item it was created for",
        expected={"library_item_id": item, "state": "ACTIVE"},
        actual={k: body.get(k) for k in ("library_item_id", "state")},
        exchange=exchange,
    )
    verify.soft(check_datetime, body.get("expiration_time"), "expiration_time", exchange)


@pytest.mark.requirement("DS-LIST")
def test_download_session_list_filters_by_library_item(
    api: VcenterApi, sandbox: Sandbox, verify: Verifier
) -> None:
    items = (sandbox.new_item(), sandbox.new_item())
    created = (sandbox.new_download_session(items[0]), sandbox.new_download_session(items[1]))
    verify_list_filter(
        verify, api.download_sessions, items, created, "DS-LIST", "download_session_list"
    )


@pytest.mark.requirement("DS-DELETE-ANY-STATE")
@pytest.mark.parametrize("state", ["ACTIVE", "CANCELED", "ERROR"])
def test_download_session_delete_works_in_every_state(
    api: VcenterApi, download_session: str, verify: Verifier, state: str
) -> None:
    if state == "CANCELED":
        require(api.download_sessions.cancel(download_session), 204, "cancel")
    elif state == "ERROR":
        require(api.download_sessions.fail(download_session, "vcenter-conformance"), 204, "fail")
    verify.void(
        api.download_sessions.delete(download_session),
        "DS-DELETE-ANY-STATE",
        f"delete of a {state} download session",
    )
    verify.error(
        api.download_sessions.get(download_session),
        requirement="DS-DELETE-ANY-STATE",
        what="get after delete",
    )


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
    verify.error(
        UNKNOWN_ID_OPERATIONS[operation](api, unknown_download_session_id),
        requirement="DS-UNKNOWN-ID-404",
        what=f"{operation} of an unknown download session",
    )


@pytest.mark.requirement("DS-NOT-ACTIVE-400")
@pytest.mark.parametrize("operation", ["cancel", "fail", "keep-alive"])
def test_download_session_operations_after_cancel_are_rejected(
    api: VcenterApi, download_session: str, verify: Verifier, operation: str
) -> None:
    require(api.download_sessions.cancel(download_session), 204, "cancel")
    require_ended(api.download_sessions.get(download_session), "cancel", "DS-CANCEL-CANCELED")
    verify.error(
        UNKNOWN_ID_OPERATIONS[operation](api, download_session),
        requirement="DS-NOT-ACTIVE-400",
        what=f"{operation} of a CANCELED download session",
    )


@pytest.mark.requirement("DS-CANCEL-CANCELED")
def test_download_session_cancel_reaches_canceled(
    api: VcenterApi, download_session: str, verify: Verifier
) -> None:
    verify.void(api.download_sessions.cancel(download_session), "DS-CANCEL-CANCELED", "cancel")
    state = get_model(api, verify, download_session, "DS-CANCEL-CANCELED").get("state")
    verify.that(
        state == "CANCELED",
        "DS-CANCEL-CANCELED",
        "cancel must reach CANCELED",
        expected="CANCELED",
        actual=state,
    )


@pytest.mark.requirement("DS-FAIL-ERROR")
def test_download_session_fail_reaches_error(
    api: VcenterApi, download_session: str, verify: Verifier
) -> None:
    message = "vcenter-conformance simulated download failure"
    verify.void(api.download_sessions.fail(download_session, message), "DS-FAIL-ERROR", "fail")
    body = get_model(api, verify, download_session, "DS-FAIL-ERROR")
    verify.that(
        body.get("state") == "ERROR",
        "DS-FAIL-ERROR",
        "fail must reach ERROR",
        expected="ERROR",
        actual=body.get("state"),
    )
    verify.that(
        message in str(body.get("error_message")),
        "DS-FAIL-ERROR",
        "error_message must carry the client's message",
        expected=message,
        actual=body.get("error_message"),
    )


@pytest.mark.requirement("DS-KEEPALIVE-EXTENDS")
def test_download_session_keep_alive_extends_expiration(
    api: VcenterApi, download_session: str, verify: Verifier, settings: Any
) -> None:
    req = "DS-KEEPALIVE-EXTENDS"
    before = get_model(api, verify, download_session, req).get("expiration_time")
    time.sleep(settings.keepalive_wait)
    verify.void(api.download_sessions.keep_alive(download_session, progress=10), req, "keep-alive")
    after = get_model(api, verify, download_session, req).get("expiration_time")
    verify.that(
        moved_forward(before, after, req),
        req,
        "keep-alive must move expiration_time forward",
        expected=f"later than {before}",
        actual=after,
    )


@pytest.mark.requirement("DS-KEEPALIVE-PROGRESS")
def test_download_session_keep_alive_records_progress(
    api: VcenterApi, download_session: str, verify: Verifier
) -> None:
    req = "DS-KEEPALIVE-PROGRESS"
    verify.void(api.download_sessions.keep_alive(download_session, progress=40), req, "keep-alive")
    progress = get_model(api, verify, download_session, req).get("client_progress")
    verify.that(
        progress == 40,
        req,
        "keep-alive's progress must be recorded as client_progress",
        expected=40,
        actual=progress,
    )
