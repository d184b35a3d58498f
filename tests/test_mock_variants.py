"""Each variant changes what a client observes, and only when it is switched on.

Variants are legitimate choices a correct server may make where the sources leave room
(``conformance/mock/variants.py``). As for flaws, a probe drives the mock and returns one
observation; the default mock gives one answer, the mock with the variant another. That
the suite passes every variant is proved by running it (tests/test_variant_proofs.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import requests
from mock_file_helpers import DATA, add_ok, files_url, send
from mock_fixtures import DS, PASSWORD, US, USER, Api, observe

from conformance.mock import VARIANTS, FakeClock, MockServer

pytest_plugins = ["mock_fixtures"]

Probe = Callable[[Api, FakeClock], Any]
TOKEN = "9f1f5a3c-0c39-4d0c-9a55-3d9b2c1e7a10"


def _malformed_type(api: Api, clock: FakeClock) -> Any:
    response = api.post(US, data=b"{not json", headers={"Content-Type": "application/json"})
    return response.status_code, response.json()["error_type"]


def _create_with_extra(api: Api, clock: FakeClock) -> Any:
    response = api.post(US, json={"library_item_id": api.item(), "x_unknown": 1})
    return response.status_code, response.json() if response.status_code >= 400 else None


def _error_type_of(response: Any) -> Any:
    return response.status_code, response.json().get("error_type")


def _odd_token(api: Api, clock: FakeClock) -> int:
    item_id = api.item()
    return api.post(
        US, json={"library_item_id": item_id}, params={"client_token": "abc"}
    ).status_code


def _progress_101(api: Api, clock: FakeClock) -> int:
    return api.us_action(
        api.update_session(), "keep-alive", json={"client_progress": 101}
    ).status_code


def _busy_status(api: Api, clock: FakeClock) -> int:
    item_id = api.item()
    api.update_session(item_id)
    return api.post(US, json={"library_item_id": item_id}).status_code


def _mismatch(api: Api, clock: FakeClock) -> Any:
    session_id = api.update_session()
    info = add_ok(api, session_id, size=len(DATA) + 1)
    upload_status = send(info["upload_endpoint"]["uri"], DATA).status_code
    file_status = api.get(files_url(session_id, "disk.iso")).json()["status"]
    complete_status = api.us_action(session_id, "complete").status_code
    return upload_status, file_status, complete_status, api.us_get(session_id)["state"]


def _validate_lists(api: Api, clock: FakeClock) -> Any:
    session_id = api.update_session()
    add_ok(api, session_id)
    result = api.post(files_url(session_id), params={"action": "validate"}).json()
    return result["missing_files"], [f["name"] for f in result["invalid_files"]]


def _state_after_incomplete(api: Api, clock: FakeClock) -> Any:
    session_id = api.update_session()
    add_ok(api, session_id)
    return api.us_action(session_id, "complete").status_code, api.us_get(session_id)["state"]


def _repeat_status(api: Api, clock: FakeClock) -> int:
    item_id = api.item()
    first = api.post(US, json={"library_item_id": item_id}, params={"client_token": TOKEN})
    again = api.post(US, json={"library_item_id": item_id}, params={"client_token": TOKEN})
    assert first.json() == again.json()
    return again.status_code


def _lifetime(api: Api, clock: FakeClock) -> int:
    session_id = api.update_session()
    clock.advance(301)
    return api.get(f"{US}/{session_id}").status_code


def _has_preview(api: Api, clock: FakeClock) -> bool:
    return "preview_info" in api.us_get(api.update_session())


def _removed_listed(api: Api, clock: FakeClock) -> Any:
    """The session's file names after a remove, and whether complete then succeeds."""
    session_id = api.update_session()
    add_ok(api, session_id)
    api.delete(files_url(session_id, "disk.iso"))
    listed = [f["name"] for f in api.get(files_url(session_id)).json()]
    return listed, api.us_action(session_id, "complete").status_code


def _action_add_status(api: Api, clock: FakeClock) -> int:
    session_id = api.update_session()
    body = {"name": "a.iso", "source_type": "PUSH"}
    return api.post(files_url(session_id), params={"action": "add"}, json=body).status_code


def _id_is_uuid(api: Api, clock: FakeClock) -> bool:
    return re.fullmatch(r"[0-9a-f-]{36}", api.update_session()) is not None


def _malformed_id_status(api: Api, clock: FakeClock) -> tuple[int, int]:
    real = api.update_session()
    well_formed = real[:-1] + ("0" if real[-1] != "0" else "1")
    return api.get(f"{US}/not an id").status_code, api.get(f"{US}/{well_formed}").status_code


def _content_type(api: Api, clock: FakeClock) -> str:
    return api.get(US).headers["content-type"]


def _expiration_time(api: Api, clock: FakeClock) -> str:
    """The form of expiration_time after the seconds (its digits as 9s)."""
    return re.sub(r"\d", "9", str(api.us_get(api.update_session())["expiration_time"])[19:])


def _extra_field(api: Api, clock: FakeClock) -> bool:
    return "x_newer_server_field" in api.us_get(api.update_session())


def _error_data(api: Api, clock: FakeClock) -> bool:
    return "data" in api.get(f"{DS}/{TOKEN}").json()


def _list_order(api: Api, clock: FakeClock) -> bool:
    first, second = api.update_session(), api.update_session()
    return bool(api.get(US).json() == [first, second])


def _rest_cookie_login(api: Api, clock: FakeClock) -> tuple[bool, int]:
    """Does a /rest login set the session cookie, and does that cookie alone authenticate?"""
    fresh = requests.Session()  # its own cookie jar, and no session header
    try:
        login = fresh.post(api.base_url + "/rest/com/vmware/cis/session", auth=(USER, PASSWORD))
        listed = fresh.get(api.base_url + "/rest/com/vmware/content/library/item/update-session")
        return "vmware-api-session-id" in login.cookies, listed.status_code
    finally:
        fresh.close()


def _item_file_size(api: Api, clock: FakeClock) -> int:
    """The size the item reports for the file after complete."""
    item = api.item()
    session_id = api.update_session(item)
    info = add_ok(api, session_id)
    assert send(info["upload_endpoint"]["uri"], DATA).status_code == 200
    assert api.us_action(session_id, "complete").status_code == 204
    return int(api.get(f"/api/content/library/item/{item}/file").json()[0]["size"])


PROBES: dict[str, tuple[Probe, Any]] = {
    "malformed-json-invalid-request": (_malformed_type, (400, "INVALID_ARGUMENT")),
    "unknown-fields-refused": (lambda a, c: _create_with_extra(a, c)[0], 201),
    "unknown-fields-unexpected-input": (lambda a, c: _create_with_extra(a, c)[0], 201),
    "client-token-any-format": (_odd_token, 400),
    "progress-unbounded": (_progress_101, 400),
    "resource-busy-400": (_busy_status, 500),
    "checksum-mismatch-at-upload": (_mismatch, (200, "ERROR", 400, "ERROR")),
    "checksum-mismatch-at-complete": (_mismatch, (200, "ERROR", 400, "ERROR")),
    "validate-missing-as-invalid": (_validate_lists, (["disk.iso"], [])),
    "complete-missing-fails-session": (_state_after_incomplete, (400, "ACTIVE")),
    "remove-at-complete": (_removed_listed, ([], 204)),
    "client-token-repeat-200": (_repeat_status, 201),
    "session-timeout-10min": (_lifetime, 404),
    "no-preview-info": (_has_preview, True),
    "file-add-action-form-absent": (_action_add_status, 201),
    "opaque-ids": (_id_is_uuid, True),
    "malformed-id-400": (_malformed_id_status, (404, 404)),
    "content-type-charset": (_content_type, "application/json"),
    "datetime-offset": (_expiration_time, ".999Z"),
    "datetime-microseconds": (_expiration_time, ".999Z"),
    "extra-response-fields": (_extra_field, False),
    "error-details": (_error_data, False),
    "lists-reversed": (_list_order, True),
    "rest-session-cookie": (_rest_cookie_login, (False, 401)),
    "item-file-size-blocks": (_item_file_size, len(DATA)),
}


def _observe(mock: MockServer, variants: set[str], probe: Probe) -> Any:
    return observe(mock, probe, variants=variants)


def test_every_variant_has_a_probe() -> None:
    assert set(PROBES) == set(VARIANTS)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_variant_changes_observable_behaviour(mock: MockServer, variant: str) -> None:
    probe, default = PROBES[variant]
    assert _observe(mock, set(), probe) == default
    assert _observe(mock, {variant}, probe) != default, f"{variant}: {VARIANTS[variant]}"


@pytest.mark.parametrize(
    ("variant", "error_type"),
    [
        ("unknown-fields-refused", "INVALID_ARGUMENT"),
        ("unknown-fields-unexpected-input", "UNEXPECTED_INPUT"),
    ],
)
def test_unknown_fields_are_refused_as_a_vapi_error(
    mock: MockServer, variant: str, error_type: str
) -> None:
    status, body = _observe(mock, {variant}, _create_with_extra)
    assert (status, body["error_type"]) == (400, error_type)
    assert "x_unknown" in body["messages"][0]["default_message"]


def test_checksum_mismatch_variants_never_commit(mock: MockServer) -> None:
    assert _observe(mock, {"checksum-mismatch-at-upload"}, _mismatch)[0] == 400
    upload, file_status, complete, state = _observe(
        mock, {"checksum-mismatch-at-complete"}, _mismatch
    )
    assert (upload, file_status, complete, state) == (200, "READY", 204, "ERROR")


def test_variants_are_switched_at_runtime_and_reset(mock: MockServer) -> None:
    api = Api(mock.url)
    try:
        response = api.put("/mock-api/variants", json={"variants": ["opaque-ids"]})
        assert response.json() == {"variants": ["opaque-ids"]}
        assert api.put("/mock-api/variants", json={"variants": ["nope"]}).status_code == 400
        listed = api.get("/mock-api/variants").json()
        assert listed["variants"] == ["opaque-ids"] and set(listed["available"]) == set(VARIANTS)
    finally:
        api.close()
    mock.backend.reset()
    assert mock.backend.variants == frozenset()


def test_variant_descriptions_are_one_line() -> None:
    for name, description in VARIANTS.items():
        assert name == name.lower() and " " not in name
        assert description and "\n" not in description
