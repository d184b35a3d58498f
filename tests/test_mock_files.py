"""The mock's file services: update-session files (add, list, get, remove, validate),
item files, download-session files (list, get, prepare), and hostile file names."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from mock_file_helpers import (
    DATA,
    NAME,
    add,
    add_ok,
    completed_item,
    file_info,
    files_url,
    item_files,
    prepare,
    send,
    sha1,
    stored,
    upload,
)
from mock_fixtures import DS, ITEM, US, Api, assert_error

from conformance.mock import MockServer

pytest_plugins = ["mock_fixtures"]

FAIL_BODY = {"client_error_message": "boom"}


def _validate(api: Api, session_id: str) -> Any:
    return api.post(files_url(session_id), params={"action": "validate"})


# -- add --------------------------------------------------------------------------------


def test_add_returns_201_waiting_info_with_an_absolute_upload_uri(
    api: Api, mock: MockServer
) -> None:
    session_id = api.update_session()
    response = add(api, session_id, size=len(DATA))
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    info = response.json()
    assert info["name"] == NAME
    assert info["source_type"] == "PUSH"
    assert info["status"] == "WAITING_FOR_TRANSFER"
    assert info["bytes_transferred"] == 0
    assert "size" not in info  # only once READY
    assert "error_message" not in info
    assert re.fullmatch(
        re.escape(mock.url) + r"/cls/data/[0-9a-f]{32}/disk\.iso", info["upload_endpoint"]["uri"]
    )


def test_add_also_answers_to_action_add(api: Api) -> None:
    session_id = api.update_session()
    response = api.post(
        files_url(session_id),
        params={"action": "add"},
        json={"name": NAME, "source_type": "PUSH"},
    )
    assert response.status_code == 201
    assert response.json()["status"] == "WAITING_FOR_TRANSFER"


def test_unknown_file_action_has_no_operation(api: Api) -> None:
    response = api.post(files_url(api.update_session()), params={"action": "nope"}, json={})
    assert_error(response, 404, "NOT_FOUND")


def test_add_echoes_the_spec_checksum(api: Api) -> None:
    info = add_ok(api, api.update_session(), checksum_info={"checksum": "ab" * 20})
    assert info["checksum_info"] == {"algorithm": "SHA1", "checksum": "ab" * 20}


def test_add_with_source_type_none_has_no_endpoint_and_counts_as_missing(api: Api) -> None:
    session_id = api.update_session()
    info = add_ok(api, session_id, source_type="NONE")
    assert "upload_endpoint" not in info
    assert _validate(api, session_id).json()["missing_files"] == [NAME]


def test_add_same_name_replaces_the_file(api: Api, mock: MockServer) -> None:
    session_id = api.update_session()
    first = upload(api, session_id)
    assert len(stored(mock)) == 1
    second = add_ok(api, session_id)
    assert second["status"] == "WAITING_FOR_TRANSFER"
    assert second["upload_endpoint"] != first["upload_endpoint"]
    assert [f["name"] for f in api.get(files_url(session_id)).json()] == [NAME]
    assert stored(mock) == []  # the replaced bytes are gone
    assert_error(send(first["upload_endpoint"]["uri"], DATA), 404, "NOT_FOUND")


@pytest.mark.parametrize(
    "spec",
    [
        {},
        {"name": NAME},
        {"source_type": "PUSH"},
        {"name": 5, "source_type": "PUSH"},
        {"name": NAME, "source_type": "FTP"},
        {"name": NAME, "source_type": "PUSH", "size": -1},
        {"name": NAME, "source_type": "PUSH", "size": "ten"},
        {"name": NAME, "source_type": "PUSH", "size": 2**63},  # beyond int64
        {"name": NAME, "source_type": "PUSH", "checksum_info": {"algorithm": "SHA1"}},
        {
            "name": NAME,
            "source_type": "PUSH",
            "checksum_info": {"checksum": "x", "algorithm": "CRC"},
        },
        {"name": NAME, "source_type": "PULL"},
        {"name": NAME, "source_type": "PULL", "source_endpoint": {}},
        {"name": NAME, "source_type": "PULL", "source_endpoint": {"uri": "file:///etc/passwd"}},
        {"name": NAME, "source_type": "PULL", "source_endpoint": {"uri": "ds:///vmfs/x.iso"}},
    ],
)
def test_add_rejects_bad_specs(api: Api, spec: dict[str, Any]) -> None:
    session_id = api.update_session()
    assert_error(api.post(files_url(session_id), json=spec), 400, "INVALID_ARGUMENT")
    assert api.get(files_url(session_id)).json() == []


def test_add_needs_a_body(api: Api) -> None:
    assert_error(api.post(files_url(api.update_session())), 400, "INVALID_ARGUMENT")


@pytest.mark.parametrize("action", ["complete", "cancel", "fail"])
def test_add_on_a_finished_session_is_nacs(api: Api, action: str) -> None:
    session_id = api.update_session()
    body = FAIL_BODY if action == "fail" else None
    assert api.us_action(session_id, action, json=body).status_code == 204
    state = api.us_get(session_id)["state"]
    error = assert_error(add(api, session_id), 400, "NOT_ALLOWED_IN_CURRENT_STATE")
    assert error["messages"][0]["args"] == ["add", state]


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("POST", ""),
        ("GET", ""),
        ("GET", "/x.iso"),
        ("DELETE", "/x.iso"),
        ("POST", "?action=validate"),
    ],
)
def test_file_operations_on_an_unknown_session_are_404(api: Api, method: str, suffix: str) -> None:
    body = {"name": NAME, "source_type": "PUSH"} if method == "POST" else None
    response = api.request(method, f"{US}/no-such-session/file{suffix}", json=body)
    assert_error(response, 404, "NOT_FOUND")


def test_file_operations_need_a_login(anon: Api) -> None:
    assert_error(anon.get(f"{US}/x/file"), 401, "UNAUTHENTICATED")
    assert_error(anon.get(f"{DS}/x/file"), 401, "UNAUTHENTICATED")
    assert_error(anon.get(f"{ITEM}/x/file"), 401, "UNAUTHENTICATED")


# -- list, get, remove ------------------------------------------------------------------


def test_list_and_get_show_the_added_files_in_order(api: Api) -> None:
    session_id = api.update_session()
    first, second = add_ok(api, session_id, "a.ovf"), add_ok(api, session_id, "b.vmdk")
    assert api.get(files_url(session_id)).json() == [first, second]
    assert file_info(api, session_id, "b.vmdk") == second


def test_unknown_file_name_in_an_existing_session_is_400(api: Api) -> None:
    session_id = api.update_session()
    add_ok(api, session_id)
    assert_error(api.get(files_url(session_id, "other.iso")), 400, "INVALID_ARGUMENT")
    assert_error(api.delete(files_url(session_id, "other.iso")), 400, "INVALID_ARGUMENT")


def test_remove_drops_the_file_its_bytes_and_its_endpoint(api: Api, mock: MockServer) -> None:
    session_id = api.update_session()
    info = upload(api, session_id)
    assert api.delete(files_url(session_id, NAME)).status_code == 204
    assert api.get(files_url(session_id)).json() == []
    assert_error(api.get(files_url(session_id, NAME)), 400, "INVALID_ARGUMENT")
    assert stored(mock) == []
    assert_error(send(info["upload_endpoint"]["uri"], DATA), 404, "NOT_FOUND")


def test_files_stay_listed_after_the_session_ends(api: Api) -> None:
    session_id = api.update_session()
    upload(api, session_id)
    assert api.us_action(session_id, "complete").status_code == 204
    assert [f["status"] for f in api.get(files_url(session_id)).json()] == ["READY"]


# -- validate ---------------------------------------------------------------------------


def test_validate_of_an_empty_session_has_all_three_keys(api: Api) -> None:
    response = _validate(api, api.update_session())
    assert response.status_code == 200
    assert response.json() == {"has_errors": False, "missing_files": [], "invalid_files": []}


def test_validate_reports_missing_and_invalid_files(api: Api) -> None:
    session_id = api.update_session()
    add_ok(api, session_id, "missing.iso")
    upload(api, session_id, "bad.iso", DATA, verified=False, size=1)
    upload(api, session_id, "good.iso")
    result = _validate(api, session_id).json()
    assert result["has_errors"] is True
    assert result["missing_files"] == ["missing.iso"]
    [invalid] = result["invalid_files"]
    assert invalid["name"] == "bad.iso"
    assert "bad.iso" in invalid["error_message"]["default_message"]
    assert invalid["error_message"]["id"].endswith("file_size_mismatch")


@pytest.mark.parametrize("action", ["complete", "cancel", "fail"])
def test_validate_on_a_finished_session_is_nacs(api: Api, action: str) -> None:
    session_id = api.update_session()
    body = FAIL_BODY if action == "fail" else None
    api.us_action(session_id, action, json=body)
    error = assert_error(_validate(api, session_id), 400, "NOT_ALLOWED_IN_CURRENT_STATE")
    assert error["messages"][0]["args"][0] == "validate"


# -- hostile names ----------------------------------------------------------------------

HOSTILE = [
    "",
    ".",
    "..",
    "../escape.iso",
    "..\\escape.iso",
    "a..b",
    "/etc/passwd",
    "dir/x.iso",
    "dir\\x.iso",
    "nul\x00byte.iso",
    "bell\x07.iso",
    "tab\t.iso",
    "new\nline.iso",
    "x" * 256,
    "x" * 1001,
    "x" * 5000,
    "\u202eosi.exe",  # right-to-left override
    "zero\u200bwidth.iso",
    "line\u2028sep.iso",
    "private\ue000use.iso",
    "bom\ufeff.iso",
]


@pytest.mark.parametrize("name", HOSTILE, ids=lambda n: repr(n)[:30])
def test_hostile_names_are_rejected_and_nothing_is_written(
    api: Api, mock: MockServer, name: str
) -> None:
    item_id = api.item()
    session_id = api.update_session(item_id)
    body = assert_error(add(api, session_id, name), 400, "INVALID_ARGUMENT")
    assert "\x00" not in json.dumps(body)  # names are echoed escaped
    assert api.get(files_url(session_id)).json() == []
    assert stored(mock) == []
    assert item_files(api, item_id) == []


def test_lone_surrogate_names_are_rejected(api: Api, mock: MockServer) -> None:
    session_id = api.update_session()
    raw = b'{"name": "a\\ud800b.iso", "source_type": "PUSH"}'
    response = api.post(
        files_url(session_id), data=raw, headers={"Content-Type": "application/json"}
    )
    error = assert_error(response, 400, "INVALID_ARGUMENT")
    assert "\\ud800" in error["messages"][0]["default_message"]
    assert stored(mock) == []


@pytest.mark.parametrize("quoted", ["..%2Fescape.iso", "a%00b.iso", "a%5Cb.iso", "dir/x.iso"])
def test_hostile_names_in_paths_are_400(api: Api, quoted: str) -> None:
    session_id = api.update_session()
    assert_error(api.get(f"{files_url(session_id)}/{quoted}"), 400, "INVALID_ARGUMENT")
    assert_error(api.delete(f"{files_url(session_id)}/{quoted}"), 400, "INVALID_ARGUMENT")


@pytest.mark.parametrize("name", ["résumé.iso", "日本語.ovf", "a b.iso", "x" * 255, ".hidden"])
def test_ordinary_unusual_names_work_end_to_end(api: Api, name: str) -> None:
    item_id = completed_item(api, {name: DATA})
    [info] = item_files(api, item_id)
    assert info["name"] == name
    response = api.get(f"{ITEM}/{item_id}/file", params={"name": name})
    assert response.status_code == 200


def test_the_hostile_name_flaw_still_stores_under_generated_names(
    api: Api, mock: MockServer
) -> None:
    mock.backend.set_flaws({"hostile-name-accepted"})
    session_id = api.update_session()
    uri = add_ok(api, session_id, "../../escape.iso")["upload_endpoint"]["uri"]
    assert uri.endswith("/..%2F..%2Fescape.iso")
    assert send(uri, DATA).status_code == 200
    [info] = api.get(files_url(session_id)).json()  # (a client would normalize a get URL)
    assert (info["name"], info["status"]) == ("../../escape.iso", "READY")
    assert len(stored(mock)) == 1  # in the data directory, under a generated name


# -- item files -------------------------------------------------------------------------


def test_item_files_of_a_new_item_are_empty(api: Api) -> None:
    assert item_files(api, api.item()) == []


def test_item_file_get_of_an_unknown_name_is_404(api: Api) -> None:
    item_id = completed_item(api)
    response = api.get(f"{ITEM}/{item_id}/file", params={"name": "other.iso"})
    assert_error(response, 404, "NOT_FOUND")


def test_item_files_of_an_unknown_item_are_404(api: Api) -> None:
    assert_error(api.get(f"{ITEM}/nope/file"), 404, "NOT_FOUND")


def test_item_file_info_has_the_documented_fields(api: Api) -> None:
    item_id = completed_item(api)
    expected = {
        "name": NAME,
        "size": len(DATA),
        "cached": True,
        "version": "2",
        "checksum_info": {"algorithm": "SHA1", "checksum": sha1(DATA)},
    }
    assert item_files(api, item_id) == [expected]
    assert api.get(f"{ITEM}/{item_id}/file", params={"name": NAME}).json() == expected
    item = api.get(f"{ITEM}/{item_id}").json()
    assert item["size"] == len(DATA)
    assert item["content_version"] == "2"


# -- download-session files -------------------------------------------------------------


def test_download_session_lists_item_files_unprepared(api: Api) -> None:
    item_id = completed_item(api, {"a.ovf": b"ovf", "b.vmdk": DATA})
    download_id = api.download_session(item_id)
    assert api.get(f"{DS}/{download_id}/file").json() == [
        {"name": "a.ovf", "size": 3, "bytes_transferred": 0, "status": "UNPREPARED"},
        {"name": "b.vmdk", "size": len(DATA), "bytes_transferred": 0, "status": "UNPREPARED"},
    ]


def test_prepare_answers_200_prepared_with_an_endpoint(api: Api, mock: MockServer) -> None:
    download_id = api.download_session(completed_item(api))
    response = prepare(api, download_id)
    assert response.status_code == 200
    info = response.json()
    assert info["status"] == "PREPARED"
    assert re.fullmatch(
        re.escape(mock.url) + r"/cls/data/[0-9a-f]{32}/disk\.iso", info["download_endpoint"]["uri"]
    )
    got = api.get(f"{DS}/{download_id}/file", params={"file_name": NAME}).json()
    assert got == info
    assert prepare(api, download_id).json() == info  # again: the same endpoint


def test_download_session_unknown_file_is_400(api: Api) -> None:
    download_id = api.download_session(completed_item(api))
    assert_error(prepare(api, download_id, "other.iso"), 400, "INVALID_ARGUMENT")
    response = api.get(f"{DS}/{download_id}/file", params={"file_name": "other.iso"})
    assert_error(response, 400, "INVALID_ARGUMENT")


def test_download_session_file_operations_on_an_unknown_session_are_404(api: Api) -> None:
    assert_error(api.get(f"{DS}/nope/file"), 404, "NOT_FOUND")
    assert_error(api.get(f"{DS}/nope/file", params={"file_name": NAME}), 404, "NOT_FOUND")
    assert_error(prepare(api, "nope"), 404, "NOT_FOUND")


def test_prepare_direct_is_403_unauthorized(api: Api) -> None:
    download_id = api.download_session(completed_item(api))
    assert_error(prepare(api, download_id, endpoint_type="DIRECT"), 403, "UNAUTHORIZED")


@pytest.mark.parametrize(
    "body", [None, {}, {"file_name": 5}, {"file_name": NAME, "endpoint_type": "FTP"}]
)
def test_prepare_rejects_bad_bodies(api: Api, body: Any) -> None:
    download_id = api.download_session(completed_item(api))
    response = api.post(f"{DS}/{download_id}/file", params={"action": "prepare"}, json=body)
    assert_error(response, 400, "INVALID_ARGUMENT")


def test_download_file_post_without_prepare_has_no_operation(api: Api) -> None:
    download_id = api.download_session(completed_item(api))
    response = api.post(f"{DS}/{download_id}/file", json={"file_name": NAME})
    assert_error(response, 404, "NOT_FOUND")


@pytest.mark.parametrize("action", ["cancel", "fail"])
def test_prepare_on_a_finished_download_session_is_nacs(api: Api, action: str) -> None:
    download_id = api.download_session(completed_item(api))
    api.ds_action(download_id, action, json=FAIL_BODY if action == "fail" else None)
    error = assert_error(prepare(api, download_id), 400, "NOT_ALLOWED_IN_CURRENT_STATE")
    assert error["messages"][0]["args"][0] == "prepare"
