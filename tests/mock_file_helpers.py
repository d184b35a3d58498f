"""Helpers for the mock's file-service tests: add, upload, complete, download, and
the flaw probes of the file services (merged into ``test_mock_flaws.PROBES``)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from mock_fixtures import DS, ITEM, SESSION_HEADER, US, Api

from conformance.mock import FakeClock, MockServer

NAME = "disk.iso"
DATA = b"The quick brown fox jumps over the lazy dog.\n" * 100

Probe = Callable[[Api, FakeClock], Any]


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def files_url(session_id: str, name: str | None = None) -> str:
    return f"{US}/{session_id}/file" + ("" if name is None else f"/{name}")


def add(api: Api, session_id: str, name: str = NAME, **spec: Any) -> requests.Response:
    """``POST .../file`` with a bare AddSpec (PUSH unless said otherwise)."""
    body = {"name": name, "source_type": "PUSH", **spec}
    return api.post(files_url(session_id), json=body)


def add_ok(api: Api, session_id: str, name: str = NAME, **spec: Any) -> dict[str, Any]:
    response = add(api, session_id, name, **spec)
    assert response.status_code == 201, response.text
    info: dict[str, Any] = response.json()
    return info


def file_info(api: Api, session_id: str, name: str = NAME) -> dict[str, Any]:
    response = api.get(files_url(session_id, name))
    assert response.status_code == 200, response.text
    info: dict[str, Any] = response.json()
    return info


def send(uri: str, data: Any, method: str = "PUT", token: str | None = None) -> requests.Response:
    """Upload to an endpoint; without a session header unless ``token`` (clients differ)."""
    headers = {} if token is None else {SESSION_HEADER: token}
    return requests.request(method, uri, data=data, headers=headers, timeout=30)


def upload(
    api: Api,
    session_id: str,
    name: str = NAME,
    data: bytes = DATA,
    *,
    verified: bool = True,
    **spec: Any,
) -> dict[str, Any]:
    """Add a PUSH file (with size and SHA1 unless ``verified=False``), upload it,
    and return its Info afterwards."""
    if verified:
        spec = {"size": len(data), "checksum_info": {"checksum": sha1(data)}, **spec}
    info = add_ok(api, session_id, name, **spec)
    response = send(info["upload_endpoint"]["uri"], data)
    assert response.status_code == 200, response.text
    return file_info(api, session_id, name)


def completed_item(api: Api, files: dict[str, bytes] | None = None, item_id: str = "") -> str:
    """An item whose content is ``files`` (one update session, completed)."""
    item_id = item_id or api.item()
    session_id = api.update_session(item_id)
    for name, data in (files or {NAME: DATA}).items():
        assert upload(api, session_id, name, data)["status"] == "READY"
    assert api.us_action(session_id, "complete").status_code == 204
    return item_id


def prepare(api: Api, download_id: str, name: str = NAME, **extra: Any) -> requests.Response:
    return api.post(
        f"{DS}/{download_id}/file", params={"action": "prepare"}, json={"file_name": name, **extra}
    )


def download_uri(api: Api, item_id: str, name: str = NAME) -> str:
    response = prepare(api, api.download_session(item_id), name)
    assert response.status_code == 200, response.text
    uri: str = response.json()["download_endpoint"]["uri"]
    return uri


def download(api: Api, item_id: str, name: str = NAME) -> bytes:
    """The bytes a client gets for ``name`` through a new download session."""
    response = requests.get(download_uri(api, item_id, name), timeout=30)
    assert response.status_code == 200, response.text
    return response.content


def item_files(api: Api, item_id: str) -> list[dict[str, Any]]:
    response = api.get(f"{ITEM}/{item_id}/file")
    assert response.status_code == 200, response.text
    files: list[dict[str, Any]] = response.json()
    return files


def stored(mock: MockServer) -> list[Path]:
    """Every entry of the mock's data directory; each must be a generated file name."""
    entries = sorted(mock.backend.storage.root.rglob("*"))
    for entry in entries:
        assert entry.parent == mock.backend.storage.root, entry
        assert entry.is_file() and not entry.is_symlink(), entry
        assert re.fullmatch(r"[0-9a-f]{32}", entry.name), entry
    return entries


# -- flaw probes: each returns one observation; the second item is the correct answer ----


def _item_file_count_after_upload(api: Api, clock: FakeClock) -> int:
    item_id = api.item()
    upload(api, api.update_session(item_id))
    return len(item_files(api, item_id))


def _item_file_count_after_cancel(api: Api, clock: FakeClock) -> int:
    item_id = api.item()
    session_id = api.update_session(item_id)
    upload(api, session_id)
    api.us_action(session_id, "cancel")
    return len(item_files(api, item_id))


def _status_after_bad_upload(**spec: Any) -> Probe:
    def probe(api: Api, clock: FakeClock) -> Any:
        return upload(api, api.update_session(), verified=False, **spec)["status"]

    return probe


def _complete_with_missing_file(api: Api, clock: FakeClock) -> int:
    session_id = api.update_session()
    add_ok(api, session_id)
    return api.us_action(session_id, "complete").status_code


def _validate_missing(api: Api, clock: FakeClock) -> Any:
    session_id = api.update_session()
    add_ok(api, session_id)
    return api.post(files_url(session_id), params={"action": "validate"}).json()["missing_files"]


def _download_intact(api: Api, clock: FakeClock) -> bool:
    return download(api, completed_item(api)) == DATA


def _unknown_file_status(api: Api, clock: FakeClock) -> int:
    session_id = api.update_session()
    return api.get(files_url(session_id, "nope.iso")).status_code


def _upload_after_cancel(api: Api, clock: FakeClock) -> int:
    session_id = api.update_session()
    info = add_ok(api, session_id)
    api.us_action(session_id, "cancel")
    return send(info["upload_endpoint"]["uri"], DATA).status_code


def _list_has_bytes_transferred(api: Api, clock: FakeClock) -> bool:
    session_id = api.update_session()
    add_ok(api, session_id)
    return "bytes_transferred" in api.get(files_url(session_id)).json()[0]


def _add_after_complete(api: Api, clock: FakeClock) -> int:
    session_id = api.update_session()
    api.us_action(session_id, "complete")
    return add(api, session_id).status_code


def _upload_without_session_header(api: Api, clock: FakeClock) -> int:
    info = add_ok(api, api.update_session())
    return send(info["upload_endpoint"]["uri"], DATA, method="POST").status_code


def _validate_keys(api: Api, clock: FakeClock) -> list[str]:
    session_id = api.update_session()
    upload(api, session_id)
    return sorted(api.post(files_url(session_id), params={"action": "validate"}).json())


def _files_after_remove(api: Api, clock: FakeClock) -> list[str]:
    session_id = api.update_session()
    add_ok(api, session_id)
    api.delete(files_url(session_id, NAME))
    return [f["name"] for f in api.get(files_url(session_id)).json()]


def _download_after_cancel(api: Api, clock: FakeClock) -> int:
    download_id = api.download_session(completed_item(api))
    uri = prepare(api, download_id).json()["download_endpoint"]["uri"]
    api.ds_action(download_id, "cancel")
    return requests.get(uri, timeout=30).status_code


FILE_PROBES: dict[str, tuple[Probe, Any]] = {
    "content-visible-before-complete": (_item_file_count_after_upload, 0),
    "cancel-keeps-content": (_item_file_count_after_cancel, 0),
    "upload-never-ready": (lambda api, clock: upload(api, api.update_session())["status"], "READY"),
    "checksum-not-verified": (
        _status_after_bad_upload(checksum_info={"checksum": "0" * 40}),
        "ERROR",
    ),
    "size-not-verified": (_status_after_bad_upload(size=1), "ERROR"),
    "complete-ignores-missing-files": (_complete_with_missing_file, 400),
    "validate-omits-missing": (_validate_missing, [NAME]),
    "download-corrupts-bytes": (_download_intact, True),
    "unknown-file-404": (_unknown_file_status, 400),
    "hostile-name-accepted": (
        lambda api, clock: add(api, api.update_session(), "../escape.iso").status_code,
        400,
    ),
    "upload-after-cancel-accepted": (_upload_after_cancel, 400),
    "file-list-omits-bytes-transferred": (_list_has_bytes_transferred, True),
    "file-add-returns-200": (lambda api, clock: add(api, api.update_session()).status_code, 201),
    "file-add-action-form-rejected": (
        lambda api, clock: (
            api.post(
                files_url(api.update_session()),
                params={"action": "add"},
                json={"name": NAME, "source_type": "PUSH"},
            ).status_code
        ),
        201,
    ),
    "empty-file-name-accepted": (
        lambda api, clock: add(api, api.update_session(), "").status_code,
        400,
    ),
    "upload-needs-session-header": (_upload_without_session_header, 200),
    "file-unknown-session-400": (
        lambda api, clock: api.get(files_url("no-such-session")).status_code,
        404,
    ),
    "file-add-after-end-accepted": (_add_after_complete, 400),
    "validate-omits-empty-invalid-files": (
        _validate_keys,
        ["has_errors", "invalid_files", "missing_files"],
    ),
    "remove-keeps-file": (_files_after_remove, []),
    "item-file-size-in-kib": (
        lambda api, clock: item_files(api, completed_item(api))[0]["size"],
        len(DATA),
    ),
    "item-file-unknown-400": (
        lambda api, clock: (
            api.get(f"{ITEM}/{api.item()}/file", params={"name": "nope.iso"}).status_code
        ),
        404,
    ),
    "prepare-without-endpoint": (
        lambda api, clock: (
            "download_endpoint" in prepare(api, api.download_session(completed_item(api))).json()
        ),
        True,
    ),
    "download-file-list-unknown-session-empty": (
        lambda api, clock: api.get(f"{DS}/no-such-session/file").status_code,
        404,
    ),
    "download-url-valid-after-cancel": (_download_after_cancel, 404),
}
