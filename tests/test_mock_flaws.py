"""Each flaw changes what a client observes, and only when it is switched on.

For every name in FLAWS, a probe drives the mock and returns one observation. The test
runs the probe on a correct mock and on a mock with just that flaw, and checks that the
correct mock gives the documented answer and the flawed one does not.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from mock_file_helpers import FILE_PROBES
from mock_fixtures import DS, ITEM, PASSWORD, SESSION_HEADER, US, USER, Api, observe

from conformance.mock import FLAWS, FakeClock, MockServer

pytest_plugins = ["mock_fixtures"]

Probe = Callable[[Api, FakeClock], Any]
FAIL = {"client_error_message": "boom"}


def _state_after(action: str, body: Any = None) -> Probe:
    def probe(api: Api, clock: FakeClock) -> Any:
        session_id = api.update_session()
        api.us_action(session_id, action, json=body)
        return api.us_get(session_id)["state"]

    return probe


def _second_create_status(api: Api, clock: FakeClock) -> int:
    item_id = api.item()
    api.update_session(item_id)
    return api.post(US, json={"library_item_id": item_id}).status_code


def _unknown_session_error(api: Api, clock: FakeClock) -> Any:
    return api.get(f"{US}/no-such-session")


def _completed_session(api: Api) -> str:
    session_id = api.update_session()
    assert api.us_action(session_id, "complete").status_code == 204
    return session_id


def _list_filtered(api: Api, clock: FakeClock) -> int:
    library_id = api.library()
    item_a, item_b = api.item(library_id, "a"), api.item(library_id, "b")
    api.update_session(item_a)
    api.update_session(item_b)
    return len(api.get(US, params={"library_item_id": item_a}).json())


def _token_reused(api: Api, clock: FakeClock) -> bool:
    item_id, token = api.item(), str(uuid.uuid4())
    ids = [
        api.post(DS, json={"library_item_id": item_id}, params={"client_token": token}).json()
        for _ in range(2)
    ]
    return bool(ids[0] == ids[1])


def _expiry_moves(api: Api, clock: FakeClock) -> bool:
    session_id = api.update_session()
    before = api.us_get(session_id)["expiration_time"]
    clock.advance(100)
    api.us_action(session_id, "keep-alive")
    return bool(api.us_get(session_id)["expiration_time"] != before)


def _item_version_after_complete(api: Api, clock: FakeClock) -> str:
    item_id = api.item()
    session_id = api.update_session(item_id)
    api.us_action(session_id, "complete")
    return str(api.get(f"{ITEM}/{item_id}").json()["content_version"])


def _session_after_idle(api: Api, clock: FakeClock) -> int:
    session_id = api.update_session()
    clock.advance(301)
    return api.get(f"{US}/{session_id}").status_code


def _api_after_idle(api: Api, clock: FakeClock) -> int:
    clock.advance(1801)
    return api.get(US).status_code


def _logout_then_call(api: Api, clock: FakeClock) -> int:
    api.delete("/api/session")
    return api.get(US).status_code


def _download_state_after_cancel(api: Api, clock: FakeClock) -> str:
    session_id = api.download_session()
    api.ds_action(session_id, "cancel")
    return str(api.ds_get(session_id)["state"])


def _create_after_cancel_status(api: Api, clock: FakeClock) -> int:
    item_id = api.item()
    api.us_action(api.update_session(item_id), "cancel")
    return api.post(US, json={"library_item_id": item_id}).status_code


def _keep_alive_progress(api: Api, clock: FakeClock) -> int:
    session_id = api.update_session()
    api.us_action(session_id, "keep-alive", json={"client_progress": 50})
    return int(api.us_get(session_id)["client_progress"])


def _download_keep_alive_after_cancel(api: Api, clock: FakeClock) -> int:
    session_id = api.download_session()
    api.ds_action(session_id, "cancel")
    return api.ds_action(session_id, "keep-alive").status_code


def _download_progress(api: Api, clock: FakeClock) -> int:
    session_id = api.download_session()
    api.ds_action(session_id, "keep-alive", json={"progress": 30})
    return int(api.ds_get(session_id)["client_progress"])


#: flaw -> (probe, what a correct mock answers)
PROBES: dict[str, tuple[Probe, Any]] = {
    "delete-active-allowed": (
        lambda api, clock: api.delete(f"{US}/{api.update_session()}").status_code,
        400,
    ),
    "delete-done-rejected": (
        lambda api, clock: api.delete(f"{US}/{_completed_session(api)}").status_code,
        204,
    ),
    "complete-keeps-active": (_state_after("complete"), "DONE"),
    "non-active-ops-allowed": (
        lambda api, clock: api.us_action(_completed_session(api), "cancel").status_code,
        400,
    ),
    "cancel-to-error": (_state_after("cancel"), "CANCELED"),
    "fail-drops-message": (
        lambda api, clock: "error_message" in _fail_and_get(api),
        True,
    ),
    "complete-no-version-bump": (_item_version_after_complete, "2"),
    "second-active-allowed": (_second_create_status, 500),
    "preview-info-after-active": (
        lambda api, clock: "preview_info" in api.us_get(_completed_session(api)),
        False,
    ),
    "patch-changes-progress": (
        lambda api, clock: _patch_and_get(api, {"client_progress": 50})["client_progress"],
        0,
    ),
    "patch-ignores-warning-behavior": (
        lambda api, clock: (
            "warning_behavior"
            in _patch_and_get(
                api, {"warning_behavior": [{"type": "EXPIRED_CERTIFICATE", "ignored": True}]}
            )
        ),
        True,
    ),
    "keep-alive-no-extend": (_expiry_moves, True),
    "download-keep-alive-client-progress": (_download_progress, 30),
    "sessions-never-expire": (_session_after_idle, 404),
    "expiry-one-hour": (_session_after_idle, 404),
    "unknown-id-400": (lambda api, clock: _unknown_session_error(api, clock).status_code, 404),
    "list-ignores-filter": (_list_filtered, 1),
    "list-unknown-item-empty": (
        lambda api, clock: api.get(US, params={"library_item_id": "nope"}).status_code,
        404,
    ),
    "get-includes-id": (lambda api, clock: "id" in api.us_get(api.update_session()), False),
    "create-returns-200": (
        lambda api, clock: api.post(US, json={"library_item_id": api.item()}).status_code,
        201,
    ),
    "create-unknown-item-accepted": (
        lambda api, clock: api.post(US, json={"library_item_id": str(uuid.uuid4())}).status_code,
        404,
    ),
    "create-without-item-404": (lambda api, clock: api.post(US, json={}).status_code, 400),
    "ended-session-blocks-item": (_create_after_cancel_status, 201),
    "patch-invalid-accepted": (
        lambda api, clock: (
            api.patch(
                f"{US}/{api.update_session()}", json={"warning_behavior": "not-a-list"}
            ).status_code
        ),
        400,
    ),
    "keep-alive-ignores-progress": (_keep_alive_progress, 50),
    "download-create-returns-200": (
        lambda api, clock: api.post(DS, json={"library_item_id": api.item()}).status_code,
        201,
    ),
    "download-create-unknown-item-accepted": (
        lambda api, clock: api.post(DS, json={"library_item_id": str(uuid.uuid4())}).status_code,
        404,
    ),
    "download-non-active-ops-allowed": (_download_keep_alive_after_cancel, 400),
    "void-returns-200": (
        lambda api, clock: api.us_action(api.update_session(), "keep-alive").status_code,
        204,
    ),
    "client-token-ignored": (_token_reused, True),
    "delete-keeps-session": (
        lambda api, clock: _delete_then_get(api, _completed_session(api)),
        404,
    ),
    "download-delete-active-rejected": (
        lambda api, clock: api.delete(f"{DS}/{api.download_session()}").status_code,
        204,
    ),
    "download-cancel-keeps-active": (_download_state_after_cancel, "CANCELED"),
    "no-auth-required": (
        lambda api, clock: api.get(US, headers={SESSION_HEADER: None}).status_code,
        401,
    ),
    "logout-keeps-token": (_logout_then_call, 401),
    "login-returns-200": (
        lambda api, clock: api.post("/api/session", auth=(USER, PASSWORD)).status_code,
        201,
    ),
    "bad-password-accepted": (
        lambda api, clock: api.post("/api/session", auth=(USER, "wrong-" + PASSWORD)).status_code,
        401,
    ),
    "session-get-omits-user": (
        lambda api, clock: sorted(api.get("/api/session").json()),
        ["created_time", "last_accessed_time", "user"],
    ),
    "api-session-never-expires": (_api_after_idle, 401),
    "error-body-no-error-type": (
        lambda api, clock: "error_type" in _unknown_session_error(api, clock).json(),
        True,
    ),
    "error-body-legacy-envelope": (
        lambda api, clock: sorted(_unknown_session_error(api, clock).json()),
        ["error_type", "messages"],
    ),
    "error-messages-empty": (
        lambda api, clock: len(_unknown_session_error(api, clock).json()["messages"]),
        1,
    ),
    "error-text-plain": (
        lambda api, clock: _unknown_session_error(api, clock).headers["content-type"],
        "application/json",
    ),
    "success-legacy-envelope": (lambda api, clock: api.get(US).json(), []),
    "malformed-json-500": (
        lambda api, clock: api.post(US, data=b"{oops").status_code,
        400,
    ),
    "datetime-no-timezone": (
        lambda api, clock: api.us_get(api.update_session())["expiration_time"][-1],
        "Z",
    ),
    **FILE_PROBES,  # files and transfers (mock_file_helpers.py)
}


def _fail_and_get(api: Api) -> dict[str, Any]:
    session_id = api.update_session()
    api.us_action(session_id, "fail", json=FAIL)
    return api.us_get(session_id)


def _patch_and_get(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    session_id = api.update_session()
    assert api.patch(f"{US}/{session_id}", json=body).status_code == 204
    return api.us_get(session_id)


def _delete_then_get(api: Api, session_id: str) -> int:
    assert api.delete(f"{US}/{session_id}").status_code == 204
    return api.get(f"{US}/{session_id}").status_code


def _observe(mock: MockServer, flaws: set[str], probe: Probe) -> Any:
    return observe(mock, probe, flaws=flaws)


def test_every_flaw_has_a_probe() -> None:
    assert set(PROBES) == set(FLAWS)


@pytest.mark.parametrize("flaw", sorted(FLAWS))
def test_flaw_changes_observable_behaviour(mock: MockServer, flaw: str) -> None:
    probe, correct = PROBES[flaw]
    assert _observe(mock, set(), probe) == correct
    flawed = _observe(mock, {flaw}, probe)
    assert flawed != correct, f"{flaw}: {FLAWS[flaw]}"


def test_flaw_descriptions_are_one_line() -> None:
    for name, description in FLAWS.items():
        assert name == name.lower() and " " not in name
        assert description and "\n" not in description
