"""The mock's update sessions: shapes, the state machine, one ACTIVE per item, expiry."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from mock_fixtures import ISO_MS_Z, ITEM, US, Api, assert_error

from conformance.mock import FakeClock

pytest_plugins = ["mock_fixtures"]

TERMINAL = {"complete": "DONE", "cancel": "CANCELED", "fail": "ERROR"}
FAIL_BODY = {"client_error_message": "disk on fire"}


def _finish(api: Api, session_id: str, action: str) -> None:
    body = FAIL_BODY if action == "fail" else None
    assert api.us_action(session_id, action, json=body).status_code == 204


def test_update_session_create_returns_201_and_bare_id(api: Api) -> None:
    response = api.post(US, json={"library_item_id": api.item()})
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    assert isinstance(response.json(), str)


def test_update_session_get_has_the_documented_fields_and_no_id(api: Api) -> None:
    item_id = api.item()
    body = api.us_get(api.update_session(item_id))
    assert "id" not in body
    assert body["library_item_id"] == item_id
    assert body["library_item_content_version"] == "1"
    assert body["client_progress"] == 0
    assert body["state"] == "ACTIVE"
    assert re.match(ISO_MS_Z, body["expiration_time"])
    assert body["preview_info"] == {"state": "NOT_APPLICABLE"}
    assert "warning_behavior" not in body
    assert "error_message" not in body


def _seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def test_update_session_expiration_is_five_minutes_after_create(api: Api, clock: FakeClock) -> None:
    body = api.us_get(api.update_session())
    assert _seconds(body["expiration_time"]) == pytest.approx(clock.now() + 300, abs=0.002)


def test_update_session_create_keeps_warning_behavior(api: Api) -> None:
    behavior = [{"type": "SELF_SIGNED_CERTIFICATE", "ignored": True}]
    body = api.us_get(api.update_session(warning_behavior=behavior))
    assert body["warning_behavior"] == behavior


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"library_item_id": 5},
        {"library_item_id": None},
        {"library_item_id": "x", "warning_behavior": {}},
        {"library_item_id": "x", "warning_behavior": [{"type": "NOPE", "ignored": True}]},
        {"library_item_id": "x", "warning_behavior": [{"type": "EXPIRED_CERTIFICATE"}]},
        {"library_item_id": "x", "client_progress": "ten"},
    ],
)
def test_update_session_create_rejects_bad_specs(api: Api, body: dict[str, object]) -> None:
    assert_error(api.post(US, json=body), 400, "INVALID_ARGUMENT")


def test_update_session_create_on_unknown_item_is_404(api: Api) -> None:
    assert_error(api.post(US, json={"library_item_id": "nope"}), 404, "NOT_FOUND")


def test_update_session_create_ignores_unknown_and_unused_fields(api: Api) -> None:
    body = {"library_item_id": api.item(), "state": "DONE", "client_progress": 50, "zzz": [1]}
    session = api.us_get(api._created(api.post(US, json=body)))
    assert session["state"] == "ACTIVE"
    assert session["client_progress"] == 0


def test_update_session_second_active_on_item_is_resource_busy(api: Api) -> None:
    item_id = api.item()
    first = api.update_session(item_id)
    body = assert_error(api.post(US, json={"library_item_id": item_id}), 500, "RESOURCE_BUSY")
    assert first in body["messages"][0]["args"]
    assert api.get(US, params={"library_item_id": item_id}).json() == [first]


@pytest.mark.parametrize("action", TERMINAL)
def test_update_session_create_succeeds_after_the_active_one_ends(api: Api, action: str) -> None:
    item_id = api.item()
    _finish(api, api.update_session(item_id), action)
    assert api.post(US, json={"library_item_id": item_id}).status_code == 201


def test_update_sessions_on_different_items_may_both_be_active(api: Api) -> None:
    library_id = api.library()
    api.update_session(api.item(library_id, "a"))
    api.update_session(api.item(library_id, "b"))


@pytest.mark.parametrize(("action", "state"), TERMINAL.items())
def test_update_session_action_moves_active_to_its_state(api: Api, action: str, state: str) -> None:
    session_id = api.update_session()
    response = api.us_action(session_id, action, json=FAIL_BODY if action == "fail" else None)
    assert response.status_code == 204
    assert response.content == b""
    body = api.us_get(session_id)
    assert body["state"] == state
    assert "preview_info" not in body


def test_update_session_complete_bumps_item_content_version(api: Api) -> None:
    item_id = api.item()
    _finish(api, api.update_session(item_id), "complete")
    assert api.get(f"{ITEM}/{item_id}").json()["content_version"] == "2"
    assert api.us_get(api.update_session(item_id))["library_item_content_version"] == "2"


@pytest.mark.parametrize("action", ["cancel", "fail"])
def test_update_session_cancel_and_fail_leave_content_version(api: Api, action: str) -> None:
    item_id = api.item()
    _finish(api, api.update_session(item_id), action)
    assert api.get(f"{ITEM}/{item_id}").json()["content_version"] == "1"


def test_update_session_fail_records_error_message(api: Api) -> None:
    session_id = api.update_session()
    _finish(api, session_id, "fail")
    message = api.us_get(session_id)["error_message"]
    assert message["default_message"] == "disk on fire"
    assert message["id"] and message["args"] == ["disk on fire"]


@pytest.mark.parametrize("body", [None, {}, {"client_error_message": 3}, [1], "x"])
def test_update_session_fail_needs_client_error_message(api: Api, body: object) -> None:
    session_id = api.update_session()
    assert_error(api.us_action(session_id, "fail", json=body), 400, "INVALID_ARGUMENT")
    assert api.us_get(session_id)["state"] == "ACTIVE"


ACTIVE_ONLY = {
    "complete": lambda api, sid: api.us_action(sid, "complete"),
    "cancel": lambda api, sid: api.us_action(sid, "cancel"),
    "fail": lambda api, sid: api.us_action(sid, "fail", json=FAIL_BODY),
    "keep-alive": lambda api, sid: api.us_action(sid, "keep-alive", json={}),
    "update": lambda api, sid: api.patch(f"{US}/{sid}", json={}),
}


@pytest.mark.parametrize("first", TERMINAL)
@pytest.mark.parametrize("operation", ACTIVE_ONLY)
def test_update_session_active_only_operation_after_end_is_nacs(
    api: Api, first: str, operation: str
) -> None:
    session_id = api.update_session()
    _finish(api, session_id, first)
    before = api.us_get(session_id)
    body = assert_error(
        ACTIVE_ONLY[operation](api, session_id), 400, "NOT_ALLOWED_IN_CURRENT_STATE"
    )
    assert body["messages"][0]["args"] == [operation.replace("-", "_"), TERMINAL[first]]
    assert api.us_get(session_id) == before


BY_ID = {
    "get": lambda api, sid: api.get(f"{US}/{sid}"),
    "delete": lambda api, sid: api.delete(f"{US}/{sid}"),
    **ACTIVE_ONLY,
}


@pytest.mark.parametrize("operation", BY_ID)
def test_update_session_operation_on_unknown_id_is_404(api: Api, operation: str) -> None:
    assert_error(BY_ID[operation](api, "no-such-session"), 404, "NOT_FOUND")


def test_update_session_delete_while_active_is_rejected(api: Api) -> None:
    session_id = api.update_session()
    body = assert_error(api.delete(f"{US}/{session_id}"), 400, "NOT_ALLOWED_IN_CURRENT_STATE")
    assert body["messages"][0]["args"] == ["delete", "ACTIVE"]
    assert api.us_get(session_id)["state"] == "ACTIVE"


@pytest.mark.parametrize("action", TERMINAL)
def test_update_session_delete_after_end_removes_it(api: Api, action: str) -> None:
    session_id = api.update_session()
    _finish(api, session_id, action)
    response = api.delete(f"{US}/{session_id}")
    assert response.status_code == 204
    assert response.content == b""
    assert_error(api.get(f"{US}/{session_id}"), 404, "NOT_FOUND")
    assert session_id not in api.get(US).json()


def test_update_session_list_filters_by_item(api: Api) -> None:
    library_id = api.library()
    item_a, item_b = api.item(library_id, "a"), api.item(library_id, "b")
    session_a, session_b = api.update_session(item_a), api.update_session(item_b)
    assert sorted(api.get(US).json()) == sorted([session_a, session_b])
    assert api.get(US, params={"library_item_id": item_a}).json() == [session_a]
    item_c = api.item(library_id, "c")
    assert api.get(US, params={"library_item_id": item_c}).json() == []


def test_update_session_list_of_unknown_item_is_404(api: Api) -> None:
    assert_error(api.get(US, params={"library_item_id": "nope"}), 404, "NOT_FOUND")


def test_update_session_patch_changes_only_warning_behavior(api: Api) -> None:
    session_id = api.update_session()
    before = api.us_get(session_id)
    behavior = [{"type": "UNTRUSTED_CERTIFICATE", "ignored": False}]
    body = {
        "warning_behavior": behavior,
        "client_progress": 42,
        "state": "DONE",
        "library_item_id": "other",
        "unknown": True,
    }
    assert api.patch(f"{US}/{session_id}", json=body).status_code == 204
    after = api.us_get(session_id)
    assert after["warning_behavior"] == behavior
    assert {**after, "warning_behavior": None} == {**before, "warning_behavior": None}


def test_update_session_patch_without_warning_behavior_keeps_it(api: Api) -> None:
    behavior = [{"type": "EXPIRED_CERTIFICATE", "ignored": True}]
    session_id = api.update_session(warning_behavior=behavior)
    assert api.patch(f"{US}/{session_id}", json={"warning_behavior": None}).status_code == 204
    assert api.us_get(session_id)["warning_behavior"] == behavior


@pytest.mark.parametrize(
    "body",
    [
        {"warning_behavior": "all"},
        {"warning_behavior": [{"type": "EXPIRED_CERTIFICATE", "ignored": "yes"}]},
        {"client_progress": "50"},
        {"client_progress": True},
        {"state": 1},
    ],
)
def test_update_session_patch_with_wrong_types_is_invalid_argument(
    api: Api, body: dict[str, object]
) -> None:
    session_id = api.update_session()
    assert_error(api.patch(f"{US}/{session_id}", json=body), 400, "INVALID_ARGUMENT")


def test_update_session_keep_alive_extends_expiry_and_sets_progress(
    api: Api, clock: FakeClock
) -> None:
    session_id = api.update_session()
    before = api.us_get(session_id)["expiration_time"]
    clock.advance(200)
    assert api.us_action(session_id, "keep-alive", json={"client_progress": 40}).status_code == 204
    after = api.us_get(session_id)
    assert _seconds(after["expiration_time"]) - _seconds(before) == pytest.approx(200, abs=0.002)
    assert after["client_progress"] == 40
    clock.advance(250)  # 450 s after create, 250 s after keep-alive: still alive
    assert api.us_get(session_id)["state"] == "ACTIVE"


@pytest.mark.parametrize("body", [None, {}, {"client_progress": None}])
def test_update_session_keep_alive_body_is_optional(api: Api, body: object) -> None:
    session_id = api.update_session()
    assert api.us_action(session_id, "keep-alive", json=body).status_code == 204
    assert api.us_get(session_id)["client_progress"] == 0


@pytest.mark.parametrize("progress", [-1, 101, "10", 1.5])
def test_update_session_keep_alive_rejects_bad_progress(api: Api, progress: object) -> None:
    session_id = api.update_session()
    response = api.us_action(session_id, "keep-alive", json={"client_progress": progress})
    assert_error(response, 400, "INVALID_ARGUMENT")


def test_update_session_expires_after_five_idle_minutes(api: Api, clock: FakeClock) -> None:
    item_id = api.item()
    session_id = api.update_session(item_id)
    clock.advance(300)
    assert api.us_get(session_id)["state"] == "ACTIVE"  # not earlier than expiration_time
    clock.advance(0.5)
    assert_error(api.get(f"{US}/{session_id}"), 404, "NOT_FOUND")
    assert api.get(US).json() == []
    assert api.post(US, json={"library_item_id": item_id}).status_code == 201  # not busy


def test_update_session_finished_sessions_expire_too(api: Api, clock: FakeClock) -> None:
    session_id = api.update_session()
    _finish(api, session_id, "complete")
    clock.advance(301)
    assert_error(api.get(f"{US}/{session_id}"), 404, "NOT_FOUND")


@pytest.mark.parametrize("action", ["bogus", ""])
def test_update_session_unknown_action_has_no_operation(api: Api, action: str) -> None:
    session_id = api.update_session()
    body = assert_error(api.us_action(session_id, action), 404, "NOT_FOUND")
    assert body["messages"][0]["id"] == "com.vmware.vapi.rest.operationsForUrlNotFound"
    assert_error(api.post(f"{US}/{session_id}"), 404, "NOT_FOUND")
    assert api.us_get(session_id)["state"] == "ACTIVE"
