"""Wire-level rules of the mock: error bodies, content types, unknown routes, bad bodies."""

from __future__ import annotations

from typing import Any

import pytest
from mock_fixtures import DS, ITEM, LIB, US, Api, assert_error

from conformance.mock import MockServer

pytest_plugins = ["mock_fixtures"]

BAD_BODIES = {
    "not-json": b"{not json",
    "truncated": b'{"library_item_id": "x"',
    "not-utf8": b'{"name": "\xff\xfe"}',
    "deeply-nested": b"[" * 100_000,
    "array": b"[1, 2]",
    "string": b'"hello"',
    "number": b"42",
}

# (method, path template, whether an empty body is fine)
BODY_OPERATIONS = {
    "library-create": ("POST", LIB, False),
    "item-create": ("POST", ITEM, False),
    "update-create": ("POST", US, False),
    "update-patch": ("PATCH", US + "/{us}", False),
    "update-fail": ("POST", US + "/{us}?action=fail", False),
    "update-keep-alive": ("POST", US + "/{us}?action=keep-alive", True),
    "download-create": ("POST", DS, False),
    "download-fail": ("POST", DS + "/{ds}?action=fail", False),
    "download-keep-alive": ("POST", DS + "/{ds}?action=keep-alive", True),
}


def _path(api: Api, template: str) -> str:
    item_id = api.item()
    return template.format(us=api.update_session(item_id), ds=api.download_session(item_id))


@pytest.mark.parametrize("bad", BAD_BODIES)
@pytest.mark.parametrize("operation", BODY_OPERATIONS)
def test_bad_request_bodies_are_invalid_argument_never_500(
    api: Api, operation: str, bad: str
) -> None:
    method, template, _ = BODY_OPERATIONS[operation]
    response = api.request(
        method,
        _path(api, template),
        data=BAD_BODIES[bad],
        headers={"Content-Type": "application/json"},
    )
    assert_error(response, 400, "INVALID_ARGUMENT")


@pytest.mark.parametrize("operation", BODY_OPERATIONS)
def test_missing_required_body_is_invalid_argument(api: Api, operation: str) -> None:
    method, template, optional = BODY_OPERATIONS[operation]
    response = api.request(method, _path(api, template))
    if optional:
        assert response.status_code == 204
    else:
        assert_error(response, 400, "INVALID_ARGUMENT")


def test_body_without_content_type_is_still_parsed(api: Api) -> None:
    item_id = api.item()
    response = api.post(US, data=f'{{"library_item_id": "{item_id}"}}'.encode())
    assert response.status_code == 201


@pytest.mark.parametrize(
    "path", ["/api/nope", "/api/content/library/item/x/y/z", "/nothing", "/api/session/"]
)
def test_unknown_route_is_404_with_vapi_body(api: Api, path: str) -> None:
    body = assert_error(api.get(path), 404, "NOT_FOUND")
    assert body["messages"][0]["id"] == "com.vmware.vapi.rest.operationsForUrlNotFound"
    assert body["messages"][0]["args"] == [path]


def test_wrong_method_on_known_path_is_405_with_vapi_body(api: Api) -> None:
    response = api.put(US)
    assert_error(response, 405, "OPERATION_NOT_FOUND")
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "POST"}


def test_void_operations_answer_204_without_body_or_content_type(api: Api) -> None:
    session_id = api.update_session()
    response = api.us_action(session_id, "keep-alive")
    assert response.status_code == 204
    assert response.content == b""
    assert "content-type" not in response.headers


def test_every_json_answer_is_application_json(api: Api) -> None:
    session_id = api.update_session()
    for response in (
        api.get(US),
        api.get(f"{US}/{session_id}"),
        api.get("/api/session"),
        api.get("/api/vcenter/datastore"),
        api.delete(f"{US}/{session_id}"),  # error
        api.get("/api/nope"),  # error
    ):
        assert response.headers["content-type"] == "application/json", response.request.url


def test_head_follows_get(api: Api) -> None:
    response = api.request("HEAD", US)
    assert response.status_code == 200
    assert response.content == b""


def test_ids_in_paths_are_not_url_decoded_into_other_routes(api: Api) -> None:
    assert_error(api.get(f"{US}/a%2Fb"), 404, "NOT_FOUND")


def test_a_bug_in_the_mock_still_answers_a_vapi_500(
    api: Api, mock: MockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom() -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(mock.backend.library, "datastores", boom)
    assert_error(api.get("/api/vcenter/datastore"), 500, "INTERNAL_SERVER_ERROR")


# -- request shapes: every documented field is type-checked, even where it is ignored ------

MESSAGE = {"id": "m", "default_message": "text", "args": []}
INVALID_FIELDS: dict[str, tuple[str, dict[str, Any]]] = {
    "us-expiration-empty": (US, {"expiration_time": ""}),
    "us-expiration-space": (US, {"expiration_time": "2025-01-01 00:00:00Z"}),
    "us-expiration-no-zone": (US, {"expiration_time": "2025-01-01T00:00:00"}),
    "us-expiration-month-13": (US, {"expiration_time": "2025-13-01T00:00:00Z"}),
    "us-state-unknown": (US, {"state": "FOO"}),
    "us-progress-101": (US, {"client_progress": 101}),
    "us-progress-fraction": (US, {"client_progress": 1.5}),
    "us-message-missing-id": (US, {"error_message": {"default_message": "x", "args": []}}),
    "us-message-int-arg": (US, {"error_message": {**MESSAGE, "args": [1]}}),
    "us-message-bad-param": (US, {"error_message": {**MESSAGE, "params": {"p": {"i": "x"}}}}),
    "us-preview-state": (US, {"preview_info": {"state": "MAYBE"}}),
    "us-warning-ignored": (
        US,
        {"warning_behavior": [{"type": "EXPIRED_CERTIFICATE", "ignored": 1}]},
    ),
    "ds-expiration-empty": (DS, {"expiration_time": ""}),
    "ds-state-done": (DS, {"state": "DONE"}),
    "ds-message-not-object": (DS, {"error_message": "oops"}),
}


@pytest.mark.parametrize("case", INVALID_FIELDS)
def test_create_with_a_wrongly_typed_ignored_field_is_invalid_argument(api: Api, case: str) -> None:
    path, fields = INVALID_FIELDS[case]
    response = api.post(path, json={"library_item_id": api.item(), **fields})
    body = assert_error(response, 400, "INVALID_ARGUMENT")
    assert next(iter(fields)) in body["messages"][0]["default_message"]


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        (LIB, {"type": "REMOTE"}),
        (LIB, {"storage_backings": [{"datastore_id": "datastore-101"}]}),
        (LIB, {"creation_time": "yesterday"}),
        (ITEM, {"size": -1}),
        (ITEM, {"cached": "yes"}),
        (ITEM, {"last_sync_time": 0}),
    ],
)
def test_fixture_create_with_a_wrongly_typed_field_is_invalid_argument(
    api: Api, path: str, fields: dict[str, object]
) -> None:
    if path == LIB:
        body = {"name": "x", "storage_backings": [{"type": "DATASTORE", "datastore_id": "d"}]}
    else:
        body = {"library_id": api.library(), "name": "x"}
    assert_error(api.post(path, json={**body, **fields}), 400, "INVALID_ARGUMENT")


@pytest.mark.parametrize(
    "stamp",
    [
        "2025-01-01T00:00:00Z",
        "2025-01-01T00:00:00.000Z",
        "2025-01-01T00:00:00.123456+02:00",
        "2025-01-01t00:00:00z",
    ],
)
def test_valid_date_times_in_ignored_fields_are_accepted(api: Api, stamp: str) -> None:
    response = api.post(US, json={"library_item_id": api.item(), "expiration_time": stamp})
    assert response.status_code == 201


def test_null_means_unset_for_optional_fields(api: Api) -> None:
    fields = {"warning_behavior": None, "state": None, "error_message": None, "id": None}
    session_id = api._created(api.post(US, json={"library_item_id": api.item(), **fields}))
    assert "warning_behavior" not in api.us_get(session_id)
    assert api.patch(f"{US}/{session_id}", json=fields).status_code == 204


def test_integral_numbers_count_as_integers(api: Api) -> None:
    session_id = api.update_session()
    assert api.patch(f"{US}/{session_id}", json={"client_progress": 49.0}).status_code == 204
    assert api.us_action(session_id, "keep-alive", json={"client_progress": 40.0}).ok
    assert api.us_get(session_id)["client_progress"] == 40
    download_id = api.download_session()
    assert api.ds_action(download_id, "keep-alive", json={"progress": 62.0}).ok
    assert api.ds_get(download_id)["client_progress"] == 62
