"""The mock's legacy /rest dialect, on the wire (contract §6.1, §9; published 8.0.2 /rest paths).

``/rest/com/vmware/...`` with ``id:{id}`` segments, ``?~action=`` and wrapped bodies; success
is 200 ``{"value": ...}`` (no body for void), errors ``{"type": ..., "value": {...}}``. The
same state as /api and JSON-RPC. ``/rest/<api path>`` is what the SDK's REST connector sends
(driven for real in ``test_sdk_rest.py``).
"""

from __future__ import annotations

from typing import Any

import requests
from mock_fixtures import DATASTORE, PASSWORD, USER, Api

from conformance.mock import FakeClock, MockServer

pytest_plugins = ["mock_fixtures"]

R = "/rest/com/vmware"
US = R + "/content/library/item/update-session"
US_FILE = R + "/content/library/item/updatesession/file"
DS = R + "/content/library/item/download-session"
DS_FILE = R + "/content/library/item/downloadsession/file"


def value(response: requests.Response) -> Any:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["value"], body
    return body["value"]


def void(response: requests.Response) -> None:
    assert response.status_code == 200, response.text
    assert response.content == b""


def legacy_error(response: requests.Response, status: int, name: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["type"] == "com.vmware.vapi.std.errors." + name
    inner: dict[str, Any] = body["value"]
    assert inner["error_type"] == name.upper()
    assert inner["messages"] and all(
        {"id", "default_message", "args"} <= set(m) for m in inner["messages"]
    )
    return inner


def legacy_login(anon: Api) -> str:
    token: str = value(anon.post(R + "/cis/session", auth=(USER, PASSWORD)))
    anon.http.headers["vmware-api-session-id"] = token
    return token


def new_item(anon: Api) -> str:
    spec = {
        "name": "lib",
        "type": "LOCAL",
        "storage_backings": [{"type": "DATASTORE", "datastore_id": DATASTORE}],
    }
    library_id = value(anon.post(R + "/content/local-library", json={"create_spec": spec}))
    assert value(anon.get(f"{R}/content/local-library/id:{library_id}"))["name"] == "lib"
    item = {"library_id": library_id, "name": "iso", "type": "iso"}
    item_id: str = value(anon.post(R + "/content/library/item", json={"create_spec": item}))
    assert value(anon.get(R + "/content/library/item", params={"library_id": library_id})) == [
        item_id
    ]
    return item_id


def test_legacy_login_get_and_logout(anon: Api) -> None:
    legacy_error(anon.post(R + "/cis/session", auth=(USER, "wrong")), 401, "unauthenticated")
    legacy_login(anon)
    assert value(anon.post(R + "/cis/session?~action=get"))["user"] == USER
    void(anon.delete(R + "/cis/session"))
    denied = anon.post(R + "/cis/session?~action=get")
    legacy_error(denied, 401, "unauthenticated")
    assert denied.headers["www-authenticate"] == 'Basic realm="VAPI endpoint"'


def test_legacy_update_session_lifecycle_with_files(anon: Api) -> None:
    legacy_login(anon)
    item_id = new_item(anon)
    token = "5f0c2d1e-1111-4222-8333-944455556666"
    create = {"client_token": token, "create_spec": {"library_item_id": item_id}}
    session_id = value(anon.post(US, json=create))
    assert value(anon.post(US, json=create)) == session_id  # client_token in the body
    assert value(anon.get(US, params={"library_item_id": item_id})) == [session_id]
    spec = {"file_spec": {"name": "a.iso", "source_type": "PUSH", "size": 3}}
    added = value(anon.post(f"{US_FILE}/id:{session_id}?~action=add", json=spec))
    assert added["status"] == "WAITING_FOR_TRANSFER"
    assert requests.put(added["upload_endpoint"]["uri"], data=b"abc", timeout=10).status_code == 200
    got = value(anon.post(f"{US_FILE}/id:{session_id}?~action=get", json={"file_name": "a.iso"}))
    assert (got["status"], got["size"]) == ("READY", 3)
    assert [
        f["name"] for f in value(anon.get(US_FILE, params={"update_session_id": session_id}))
    ] == ["a.iso"]
    validation = value(anon.post(f"{US_FILE}/id:{session_id}?~action=validate"))
    assert validation == {"has_errors": False, "missing_files": [], "invalid_files": []}
    void(anon.post(f"{US}/id:{session_id}?~action=keep-alive", json={"client_progress": 40}))
    void(anon.patch(f"{US}/id:{session_id}", json={"update_spec": {"warning_behavior": []}}))
    void(anon.post(f"{US}/id:{session_id}?~action=complete"))
    assert value(anon.get(f"{US}/id:{session_id}"))["state"] == "DONE"
    void(anon.delete(f"{US}/id:{session_id}"))
    legacy_error(anon.get(f"{US}/id:{session_id}"), 404, "not_found")


def test_legacy_download_session_prepare(anon: Api, api: Api) -> None:
    """``api`` uploads through /api; the legacy client downloads the same item."""
    legacy_login(anon)
    item_id = new_item(anon)
    session_id = api.update_session(item_id)
    added = api.post(
        f"/api/content/library/item/update-session/{session_id}/file",
        json={"name": "f", "source_type": "PUSH"},
    )
    requests.put(
        added.json()["upload_endpoint"]["uri"], data=b"bytes", timeout=10
    ).raise_for_status()
    assert api.us_action(session_id, "complete").status_code == 204
    download_id = value(anon.post(DS, json={"create_spec": {"library_item_id": item_id}}))
    files = value(anon.get(DS_FILE, params={"download_session_id": download_id}))
    assert [(f["name"], f["status"]) for f in files] == [("f", "UNPREPARED")]
    prepared = value(
        anon.post(f"{DS_FILE}/id:{download_id}?~action=prepare", json={"file_name": "f"})
    )
    assert requests.get(prepared["download_endpoint"]["uri"], timeout=10).content == b"bytes"
    got = value(anon.post(f"{DS_FILE}/id:{download_id}?~action=get", json={"file_name": "f"}))
    assert got["status"] == "PREPARED"
    void(anon.post(f"{DS}/id:{download_id}?~action=keep-alive", json={"progress": 10}))
    void(anon.post(f"{DS}/id:{download_id}?~action=cancel"))
    void(anon.delete(f"{DS}/id:{download_id}"))


def test_legacy_errors_use_the_runtime_status_map(anon: Api, api: Api) -> None:
    legacy_login(anon)
    session_id = api.update_session()
    item_id = api.us_get(session_id)["library_item_id"]
    busy = anon.post(US, json={"create_spec": {"library_item_id": item_id}})
    legacy_error(busy, 400, "resource_busy")  # the /rest spec's status; /api says 500
    legacy_error(anon.delete(f"{US}/id:{session_id}"), 400, "not_allowed_in_current_state")
    legacy_error(anon.get(f"{US}/id:nope"), 404, "not_found")
    legacy_error(anon.post(f"{US}/id:{session_id}?~action=explode"), 404, "not_found")
    legacy_error(anon.get(R + "/content/no-such-service"), 404, "not_found")
    legacy_error(anon.post(US, data=b"[1]"), 400, "invalid_argument")


def test_legacy_shares_state_with_api(anon: Api, api: Api) -> None:
    """A session created on /api is visible on /rest, and the other way round."""
    legacy_login(anon)
    session_id = api.update_session()
    assert value(anon.get(f"{US}/id:{session_id}"))["state"] == "ACTIVE"
    void(anon.post(f"{US}/id:{session_id}?~action=cancel"))
    assert api.us_get(session_id)["state"] == "CANCELED"


def test_rest_api_form_is_what_the_sdk_rest_connector_sends(anon: Api, api: Api) -> None:
    """``/rest/<api path>``: bare bodies, and a GET's bare ``?name`` filled from its body."""
    anon.http.headers["vmware-api-session-id"] = api.token or ""
    library_id = api.library()
    item_id = value(
        anon.post("/rest/content/library/item", json={"library_id": library_id, "name": "x"})
    )
    listed = anon.request(
        "GET", "/rest/content/library/item?library_id", json={"library_id": library_id}
    )
    assert value(listed) == [item_id]
    legacy_error(anon.get("/rest/"), 404, "not_found")


def test_legacy_shows_a_mock_flaw(anon: Api, api: Api, mock: MockServer) -> None:
    legacy_login(anon)
    session_id = api.update_session()
    mock.backend.set_flaws({"delete-active-allowed"})
    void(anon.delete(f"{US}/id:{session_id}"))
    legacy_error(anon.get(f"{US}/id:{session_id}"), 404, "not_found")


def test_legacy_sees_the_fake_clock(anon: Api, api: Api, clock: FakeClock) -> None:
    legacy_login(anon)
    session_id = api.update_session()
    clock.advance(300)
    assert value(anon.get(f"{US}/id:{session_id}"))["state"] == "ACTIVE"
    clock.advance(1)
    legacy_error(anon.get(f"{US}/id:{session_id}"), 404, "not_found")


def test_rest_api_form_body_value_that_is_not_unicode_is_rejected(anon: Api, api: Api) -> None:
    anon.http.headers["vmware-api-session-id"] = api.token or ""
    response = anon.request(
        "GET",
        "/rest/content/library/item?library_id",
        data=b'{"library_id": "\\ud800"}',
        headers={"Content-Type": "application/json"},
    )
    legacy_error(response, 400, "invalid_argument")
