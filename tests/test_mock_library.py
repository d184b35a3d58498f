"""The mock's fixtures: datastores, version, local libraries, library items, client tokens."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from mock_fixtures import DATASTORE, DS, ISO_MS_Z, ITEM, LIB, US, Api, assert_error

pytest_plugins = ["mock_fixtures"]

BACKING = {"type": "DATASTORE", "datastore_id": DATASTORE}


def test_datastore_list_has_the_fixture_datastore(api: Api) -> None:
    response = api.get("/api/vcenter/datastore")
    assert response.status_code == 200
    [datastore] = response.json()
    assert datastore["datastore"] == DATASTORE
    assert datastore["name"] == "mock-datastore-1"
    assert datastore["type"] == "VMFS"
    assert 0 < datastore["free_space"] <= datastore["capacity"]


def test_datastore_list_filters_by_name(api: Api) -> None:
    assert api.get("/api/vcenter/datastore", params={"names": "nope"}).json() == []
    assert len(api.get("/api/vcenter/datastore", params={"names": "mock-datastore-1"}).json()) == 1


def test_system_version_reports_8_0_2(api: Api) -> None:
    body = api.get("/api/appliance/system/version").json()
    assert body["version"] == "8.0.2"
    assert {"product", "build", "type", "summary", "releasedate", "install_time"} <= body.keys()


def test_local_library_create_get_list_delete(api: Api) -> None:
    response = api.post(LIB, json={"name": "lib1", "storage_backings": [BACKING], "extra": 1})
    assert response.status_code == 201
    library_id = response.json()
    body = api.get(f"{LIB}/{library_id}").json()
    assert body["id"] == library_id
    assert body["name"] == "lib1"
    assert body["type"] == "LOCAL"
    assert body["storage_backings"] == [BACKING]
    assert re.match(ISO_MS_Z, body["creation_time"])
    assert api.get(LIB).json() == [library_id]
    assert api.delete(f"{LIB}/{library_id}").status_code == 204
    assert_error(api.get(f"{LIB}/{library_id}"), 404, "NOT_FOUND")
    assert api.get(LIB).json() == []


@pytest.mark.parametrize(
    ("body", "error_type"),
    [
        ({"storage_backings": [BACKING]}, "INVALID_ARGUMENT"),
        ({"name": "", "storage_backings": [BACKING]}, "INVALID_ARGUMENT"),
        ({"name": 5, "storage_backings": [BACKING]}, "INVALID_ARGUMENT"),
        ({"name": "x"}, "INVALID_ARGUMENT"),
        ({"name": "x", "storage_backings": []}, "INVALID_ARGUMENT"),
        ({"name": "x", "storage_backings": BACKING}, "INVALID_ARGUMENT"),
        ({"name": "x", "storage_backings": ["DATASTORE"]}, "INVALID_ARGUMENT"),
        (
            {"name": "x", "storage_backings": [{"type": "DATASTORE", "datastore_id": "ds-9"}]},
            "INVALID_ARGUMENT",
        ),
        ({"name": "x", "storage_backings": [{"type": "OTHER"}]}, "INVALID_ARGUMENT"),
        ({"name": "x", "storage_backings": [BACKING, BACKING]}, "UNSUPPORTED"),
    ],
)
def test_local_library_create_rejects_bad_specs(api: Api, body: object, error_type: str) -> None:
    assert_error(api.post(LIB, json=body), 400, error_type)
    assert api.get(LIB).json() == []


def test_local_library_delete_cascades_to_items_and_sessions(api: Api) -> None:
    library_id = api.library()
    item_id = api.item(library_id)
    session_id = api.update_session(item_id)
    download_id = api.download_session(item_id)
    assert api.delete(f"{LIB}/{library_id}").status_code == 204
    assert_error(api.get(f"{ITEM}/{item_id}"), 404, "NOT_FOUND")
    assert_error(api.get(f"{US}/{session_id}"), 404, "NOT_FOUND")
    assert_error(api.get(f"{DS}/{download_id}"), 404, "NOT_FOUND")


def test_library_item_create_and_get(api: Api) -> None:
    library_id = api.library()
    response = api.post(ITEM, json={"library_id": library_id, "name": "disk", "type": "iso"})
    assert response.status_code == 201
    item_id = response.json()
    body = api.get(f"{ITEM}/{item_id}").json()
    assert body["id"] == item_id
    assert body["library_id"] == library_id
    assert body["name"] == "disk"
    assert body["type"] == "iso"
    assert body["content_version"] == "1"
    assert body["size"] == 0
    assert body["cached"] is True
    assert re.match(ISO_MS_Z, body["creation_time"])


def test_library_item_list_by_library(api: Api) -> None:
    first, second = api.library("a"), api.library("b")
    item_a = api.item(first)
    assert api.get(ITEM, params={"library_id": first}).json() == [item_a]
    assert api.get(ITEM, params={"library_id": second}).json() == []
    assert_error(api.get(ITEM, params={"library_id": "nope"}), 404, "NOT_FOUND")
    assert_error(api.get(ITEM), 400, "INVALID_ARGUMENT")


def test_library_item_create_in_unknown_library_is_404(api: Api) -> None:
    assert_error(api.post(ITEM, json={"library_id": "nope", "name": "x"}), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    "fields",
    [{"name": ""}, {"name": "x" * 81}, {"name": 3}, {}, {"name": "x", "description": "d" * 2001}],
    ids=["empty-name", "long-name", "int-name", "no-name", "long-description"],
)
def test_library_item_create_rejects_bad_names(api: Api, fields: dict[str, object]) -> None:
    library_id = api.library()
    assert_error(api.post(ITEM, json={"library_id": library_id, **fields}), 400, "INVALID_ARGUMENT")


def test_library_item_name_of_80_characters_is_fine(api: Api) -> None:
    assert api.post(ITEM, json={"library_id": api.library(), "name": "x" * 80}).status_code == 201


def test_library_item_duplicate_name_is_already_exists(api: Api) -> None:
    library_id = api.library()
    api.item(library_id, "same")
    response = api.post(ITEM, json={"library_id": library_id, "name": "same"})
    body = assert_error(response, 400, "ALREADY_EXISTS")
    assert body["messages"][0]["args"][0] == "same"
    assert api.post(ITEM, json={"library_id": api.library("other"), "name": "same"}).ok


def test_library_item_delete_cascades_to_sessions(api: Api) -> None:
    item_id = api.item()
    session_id = api.update_session(item_id)
    assert api.delete(f"{ITEM}/{item_id}").status_code == 204
    assert_error(api.get(f"{ITEM}/{item_id}"), 404, "NOT_FOUND")
    assert_error(api.get(f"{US}/{session_id}"), 404, "NOT_FOUND")
    assert_error(api.delete(f"{ITEM}/{item_id}"), 404, "NOT_FOUND")


def test_library_item_file_list_is_empty_for_now(api: Api) -> None:
    item_id = api.item()
    response = api.get(f"{ITEM}/{item_id}/file")
    assert response.status_code == 200
    assert response.json() == []
    assert_error(api.get(f"{ITEM}/nope/file"), 404, "NOT_FOUND")


# -- client_token -----------------------------------------------------------------------

CREATES: dict[str, tuple[str, Callable[[Api], dict[str, Any]]]] = {
    "library": (LIB, lambda api: {"name": "lib", "storage_backings": [BACKING]}),
    "item": (ITEM, lambda api: {"library_id": api.library(), "name": "it"}),
    "update-session": (US, lambda api: {"library_item_id": api.item()}),
    "download-session": (DS, lambda api: {"library_item_id": api.item()}),
}


@pytest.mark.parametrize("kind", CREATES)
@pytest.mark.parametrize("how", ["query", "header"])
def test_create_with_repeated_client_token_returns_the_same_id(
    api: Api, kind: str, how: str
) -> None:
    path, make_body = CREATES[kind]
    body = make_body(api)
    token = str(uuid.uuid4())
    send = (
        {"params": {"client_token": token}}
        if how == "query"
        else {"headers": {"Client-Token": token}}
    )
    first = api.post(path, json=body, **send)
    second = api.post(path, json=body, **send)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    other = api.post(path, json=body, params={"client_token": str(uuid.uuid4())})
    if kind != "update-session":  # a second ACTIVE update session on the item is RESOURCE_BUSY
        assert other.json() != first.json()


@pytest.mark.parametrize("kind", CREATES)
def test_create_with_non_uuid_client_token_is_invalid_argument(api: Api, kind: str) -> None:
    path, make_body = CREATES[kind]
    response = api.post(path, json=make_body(api), params={"client_token": "not-a-uuid"})
    assert_error(response, 400, "INVALID_ARGUMENT")
