"""The mock's download sessions: no DONE state, delete in any state, ``progress`` key."""

from __future__ import annotations

import re

import pytest
from mock_fixtures import DS, ISO_MS_Z, ITEM, US, Api, assert_error

from conformance.mock import FakeClock

pytest_plugins = ["mock_fixtures"]

FAIL_BODY = {"client_error_message": "network down"}
ENDINGS = {"cancel": "CANCELED", "fail": "ERROR"}


def _end(api: Api, session_id: str, action: str) -> None:
    body = FAIL_BODY if action == "fail" else None
    assert api.ds_action(session_id, action, json=body).status_code == 204


def test_download_session_create_and_get(api: Api) -> None:
    item_id = api.item()
    response = api.post(DS, json={"library_item_id": item_id})
    assert response.status_code == 201
    session_id = response.json()
    body = api.ds_get(session_id)
    assert "id" not in body
    assert body["library_item_id"] == item_id
    assert body["library_item_content_version"] == "1"
    assert body["client_progress"] == 0
    assert body["state"] == "ACTIVE"
    assert re.match(ISO_MS_Z, body["expiration_time"])
    assert "error_message" not in body


def test_download_sessions_several_per_item_are_allowed(api: Api) -> None:
    item_id = api.item()
    first, second = api.download_session(item_id), api.download_session(item_id)
    assert first != second
    assert sorted(api.get(DS, params={"library_item_id": item_id}).json()) == sorted(
        [first, second]
    )


def test_download_session_does_not_block_update_session(api: Api) -> None:
    item_id = api.item()
    api.download_session(item_id)
    assert api.post(US, json={"library_item_id": item_id}).status_code == 201


@pytest.mark.parametrize("body", [{}, {"library_item_id": 1}, [], "x"])
def test_download_session_create_rejects_bad_specs(api: Api, body: object) -> None:
    assert_error(api.post(DS, json=body), 400, "INVALID_ARGUMENT")


def test_download_session_create_on_unknown_item_is_404(api: Api) -> None:
    assert_error(api.post(DS, json={"library_item_id": "nope"}), 404, "NOT_FOUND")


def test_download_session_list_filter_and_unknown_item(api: Api) -> None:
    library_id = api.library()
    item_a, item_b = api.item(library_id, "a"), api.item(library_id, "b")
    session_a, session_b = api.download_session(item_a), api.download_session(item_b)
    assert sorted(api.get(DS).json()) == sorted([session_a, session_b])
    assert api.get(DS, params={"library_item_id": item_b}).json() == [session_b]
    assert_error(api.get(DS, params={"library_item_id": "nope"}), 404, "NOT_FOUND")


@pytest.mark.parametrize(("action", "state"), ENDINGS.items())
def test_download_session_action_moves_active_to_its_state(
    api: Api, action: str, state: str
) -> None:
    session_id = api.download_session()
    _end(api, session_id, action)
    assert api.ds_get(session_id)["state"] == state


def test_download_session_fail_records_error_message(api: Api) -> None:
    session_id = api.download_session()
    _end(api, session_id, "fail")
    assert api.ds_get(session_id)["error_message"]["default_message"] == "network down"


@pytest.mark.parametrize("body", [None, {}, {"client_error_message": ["x"]}])
def test_download_session_fail_needs_client_error_message(api: Api, body: object) -> None:
    session_id = api.download_session()
    assert_error(api.ds_action(session_id, "fail", json=body), 400, "INVALID_ARGUMENT")


OPS = {
    "keep-alive": lambda api, sid: api.ds_action(sid, "keep-alive", json={"progress": 5}),
    "cancel": lambda api, sid: api.ds_action(sid, "cancel"),
    "fail": lambda api, sid: api.ds_action(sid, "fail", json=FAIL_BODY),
}


@pytest.mark.parametrize("first", ENDINGS)
@pytest.mark.parametrize("operation", OPS)
def test_download_session_operation_after_end_is_nacs(api: Api, first: str, operation: str) -> None:
    session_id = api.download_session()
    _end(api, session_id, first)
    body = assert_error(OPS[operation](api, session_id), 400, "NOT_ALLOWED_IN_CURRENT_STATE")
    assert body["messages"][0]["args"] == [operation.replace("-", "_"), ENDINGS[first]]
    assert api.ds_get(session_id)["state"] == ENDINGS[first]


@pytest.mark.parametrize("end", [None, "cancel", "fail"])
def test_download_session_delete_works_in_any_state(api: Api, end: str | None) -> None:
    session_id = api.download_session()
    if end:
        _end(api, session_id, end)
    response = api.delete(f"{DS}/{session_id}")
    assert response.status_code == 204
    assert_error(api.get(f"{DS}/{session_id}"), 404, "NOT_FOUND")


BY_ID = {
    "get": lambda api, sid: api.get(f"{DS}/{sid}"),
    "delete": lambda api, sid: api.delete(f"{DS}/{sid}"),
    "files": lambda api, sid: api.get(f"{DS}/{sid}/file"),
    **OPS,
}


@pytest.mark.parametrize("operation", BY_ID)
def test_download_session_operation_on_unknown_id_is_404(api: Api, operation: str) -> None:
    assert_error(BY_ID[operation](api, "no-such-session"), 404, "NOT_FOUND")


def test_download_session_keep_alive_uses_progress_key(api: Api, clock: FakeClock) -> None:
    session_id = api.download_session()
    before = api.ds_get(session_id)["expiration_time"]
    clock.advance(100)
    response = api.ds_action(session_id, "keep-alive", json={"progress": 30, "client_progress": 99})
    assert response.status_code == 204
    body = api.ds_get(session_id)
    assert body["client_progress"] == 30
    assert body["expiration_time"] > before


@pytest.mark.parametrize("body", [None, {}])
def test_download_session_keep_alive_body_is_optional(api: Api, body: object) -> None:
    assert api.ds_action(api.download_session(), "keep-alive", json=body).status_code == 204


def test_download_session_expires_after_five_idle_minutes(api: Api, clock: FakeClock) -> None:
    session_id = api.download_session()
    clock.advance(300.5)
    assert_error(api.get(f"{DS}/{session_id}"), 404, "NOT_FOUND")


def test_download_session_file_list_is_empty_for_now(api: Api) -> None:
    response = api.get(f"{DS}/{api.download_session()}/file")
    assert response.status_code == 200
    assert response.json() == []


def test_download_session_unknown_action_has_no_operation(api: Api) -> None:
    assert_error(api.ds_action(api.download_session(), "complete"), 404, "NOT_FOUND")


def test_download_session_keeps_content_version_of_its_creation(api: Api) -> None:
    item_id = api.item()
    download_id = api.download_session(item_id)
    update_id = api.update_session(item_id)
    assert api.us_action(update_id, "complete").status_code == 204
    assert api.get(f"{ITEM}/{item_id}").json()["content_version"] == "2"
    assert api.ds_get(download_id)["library_item_content_version"] == "1"
