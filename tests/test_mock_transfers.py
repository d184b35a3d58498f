"""The mock's bytes: uploads (PUT, POST, chunked), verification, PULL from a loopback
source, downloads, visibility only after complete, discarding on cancel/fail/expiry/
delete, rejected uploads, and streaming without holding the payload in memory."""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from mock_file_helpers import (
    DATA,
    NAME,
    add_ok,
    completed_item,
    download,
    download_uri,
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

from conformance.mock import Backend, FakeClock, MockServer, MockSettings
from conformance.mock.errors import NotAllowedInCurrentState

pytest_plugins = ["mock_fixtures"]

MIB = 1 << 20


def _wait_for(predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.005)
    return value


# -- the whole lifecycle ----------------------------------------------------------------


def test_full_lifecycle_over_http(api: Api, mock: MockServer) -> None:
    item_id = api.item()
    session_id = api.update_session(item_id)
    info = add_ok(api, session_id, size=len(DATA), checksum_info={"checksum": sha1(DATA)})
    assert api.token is not None
    # govc style: PUT with the session header
    assert send(info["upload_endpoint"]["uri"], DATA, "PUT", api.token).status_code == 200
    ready = file_info(api, session_id)
    assert ready["status"] == "READY"
    assert ready["size"] == ready["bytes_transferred"] == len(DATA)
    assert api.post(files_url(session_id), params={"action": "validate"}).json() == {
        "has_errors": False,
        "missing_files": [],
        "invalid_files": [],
    }
    assert item_files(api, item_id) == []  # not before complete
    assert api.us_action(session_id, "complete").status_code == 204
    assert api.us_get(session_id)["state"] == "DONE"
    [item_file] = item_files(api, item_id)
    assert item_file["name"] == NAME
    assert item_file["size"] == len(DATA)
    assert item_file["checksum_info"] == {"algorithm": "SHA1", "checksum": sha1(DATA)}
    assert api.get(f"{ITEM}/{item_id}").json()["content_version"] == "2"

    download_id = api.download_session(item_id)
    [listed] = api.get(f"{DS}/{download_id}/file").json()
    assert (listed["status"], listed["bytes_transferred"]) == ("UNPREPARED", 0)
    assert prepare(api, download_id).status_code == 200
    prepared = api.get(f"{DS}/{download_id}/file", params={"file_name": NAME}).json()
    assert prepared["status"] == "PREPARED"
    uri = prepared["download_endpoint"]["uri"]
    got = requests.get(uri, timeout=10)  # the VMware sample: no session header
    assert got.status_code == 200
    assert got.content == DATA
    assert got.headers["content-length"] == str(len(DATA))
    after = api.get(f"{DS}/{download_id}/file", params={"file_name": NAME}).json()
    assert after["bytes_transferred"] == len(DATA)
    assert after["checksum_info"] == {"algorithm": "SHA1", "checksum": sha1(DATA)}

    assert api.delete(f"{DS}/{download_id}").status_code == 204
    assert_error(requests.get(uri, timeout=10), 404, "NOT_FOUND")
    assert api.delete(f"{US}/{session_id}").status_code == 204
    assert download(api, item_id) == DATA  # the content outlives the session
    assert len(stored(mock)) == 1


def test_post_upload_without_session_header(api: Api) -> None:
    """VMware's Python sample: urllib POST, Content-Type text/ovf, no session header."""
    session_id = api.update_session()
    info = add_ok(api, session_id, size=len(DATA))
    response = requests.post(
        info["upload_endpoint"]["uri"],
        data=DATA,
        headers={"Content-Type": "text/ovf", "Cache-Control": "no-cache"},
        timeout=10,
    )
    assert response.status_code == 200
    assert file_info(api, session_id)["status"] == "READY"


def test_chunked_upload_from_a_generator(api: Api) -> None:
    session_id = api.update_session()
    info = add_ok(api, session_id, size=len(DATA) * 3)
    assert send(info["upload_endpoint"]["uri"], iter([DATA, DATA, DATA])).status_code == 200
    assert file_info(api, session_id)["size"] == len(DATA) * 3


def test_empty_file(api: Api) -> None:
    item_id = completed_item(api, {"empty.txt": b""})
    assert item_files(api, item_id)[0]["size"] == 0
    download_id = api.download_session(item_id)
    uri = prepare(api, download_id, "empty.txt").json()["download_endpoint"]["uri"]
    got = requests.get(uri, timeout=10)
    assert (got.status_code, got.content, got.headers["content-length"]) == (200, b"", "0")
    info = api.get(f"{DS}/{download_id}/file", params={"file_name": "empty.txt"}).json()
    assert info["checksum_info"]["checksum"] == sha1(b"")


@pytest.mark.parametrize("algorithm", ["SHA1", "MD5", "SHA256", "SHA512"])
def test_checksums_are_verified_in_every_algorithm(api: Api, algorithm: str) -> None:
    digest = hashlib.new(algorithm.lower(), DATA).hexdigest().upper()  # case does not matter
    session_id = api.update_session()
    checksum = {"algorithm": algorithm, "checksum": digest}
    info = upload(api, session_id, verified=False, checksum_info=checksum)
    assert info["status"] == "READY"
    bad = {"algorithm": algorithm, "checksum": "0" * len(digest)}
    assert upload(api, session_id, "b.iso", verified=False, checksum_info=bad)["status"] == "ERROR"


def test_reupload_replaces_the_bytes(api: Api, mock: MockServer) -> None:
    session_id = api.update_session()
    info = add_ok(api, session_id)
    uri = info["upload_endpoint"]["uri"]
    assert send(uri, b"first").status_code == 200
    assert send(uri, b"second!").status_code == 200
    assert file_info(api, session_id)["size"] == 7
    assert len(stored(mock)) == 1


def test_head_on_a_download_endpoint_sends_no_body(api: Api) -> None:
    uri = download_uri(api, completed_item(api))
    response = requests.head(uri, timeout=10)
    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(DATA))
    assert response.content == b""


def test_a_new_session_replaces_item_files_by_name(api: Api, mock: MockServer) -> None:
    item_id = completed_item(api, {"a.ovf": b"one", "b.vmdk": b"two"})
    completed_item(api, {"b.vmdk": b"three"}, item_id=item_id)
    files = {f["name"]: f for f in item_files(api, item_id)}
    assert {n: (f["size"], f["version"]) for n, f in files.items()} == {
        "a.ovf": (3, "2"),
        "b.vmdk": (5, "3"),
    }
    assert download(api, item_id, "b.vmdk") == b"three"
    assert len(stored(mock)) == 2  # the old b.vmdk bytes are gone
    assert api.get(f"{ITEM}/{item_id}").json()["size"] == 8


def test_deleting_the_item_deletes_its_bytes(api: Api, mock: MockServer) -> None:
    item_id = completed_item(api)
    assert len(stored(mock)) == 1
    assert api.delete(f"{ITEM}/{item_id}").status_code == 204
    assert stored(mock) == []


def test_reset_wipes_the_data_directory(api: Api, mock: MockServer) -> None:
    completed_item(api)
    upload(api, api.update_session())
    assert len(stored(mock)) == 2
    mock.backend.reset()
    assert stored(mock) == []


def test_data_directory_is_made_on_first_use_inside_data_dir(tmp_path: Path) -> None:
    backend = Backend(MockSettings(data_dir=str(tmp_path / "data")))
    assert backend.storage.location is None  # most mocks never store a byte
    backend.reset()
    assert backend.storage.location is None
    receiver = backend.storage.receiver("sha1")
    receiver.write(b"abc")
    assert receiver.close() == sha1(b"abc")
    root = backend.storage.root
    assert root.parent == tmp_path / "data"
    assert [p.read_bytes() for p in root.iterdir()] == [b"abc"]
    assert oct(receiver.path.stat().st_mode & 0o777) == "0o600"
    backend.storage.close()
    assert not root.exists()
    assert (tmp_path / "data").exists()  # the caller's directory stays


def test_serve_removes_its_data_directory_on_sigterm(tmp_path: Path) -> None:
    """uvicorn re-raises SIGTERM after shutting down, which skips atexit hooks."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code = (
        "from conformance.mock import MockSettings, serve; "
        f"serve(MockSettings(data_dir={str(tmp_path)!r}), port={port})"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        api = Api(f"http://127.0.0.1:{port}")
        _wait_for(lambda: _listening(port), timeout=20)
        api.login()
        upload(api, api.update_session())
        assert len(list(tmp_path.rglob("*"))) == 2  # the mock's directory and one file
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(10)
    assert list(tmp_path.iterdir()) == []


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


# -- verification failures and missing files --------------------------------------------


@pytest.mark.parametrize(
    ("spec", "message_id"),
    [
        ({"size": len(DATA) + 1}, "file_size_mismatch"),
        ({"checksum_info": {"checksum": sha1(b"other")}}, "file_checksum_mismatch"),
    ],
)
def test_mismatch_fails_the_file_then_complete_fails_the_session(
    api: Api, mock: MockServer, spec: dict[str, Any], message_id: str
) -> None:
    item_id = api.item()
    session_id = api.update_session(item_id)
    info = upload(api, session_id, verified=False, **spec)
    assert info["status"] == "ERROR"
    assert info["error_message"]["id"].endswith(message_id)
    assert "size" not in info
    assert stored(mock) == []  # rejected bytes are not kept
    error = assert_error(api.us_action(session_id, "complete"), 400, "NOT_ALLOWED_IN_CURRENT_STATE")
    args = error["messages"][0]["args"]
    assert args[:2] == ["complete", "ERROR"]
    assert args[2] == info["error_message"]["default_message"]
    session = api.us_get(session_id)
    assert session["state"] == "ERROR"
    assert info["error_message"]["default_message"] in session["error_message"]["default_message"]
    assert item_files(api, item_id) == []
    assert api.get(f"{ITEM}/{item_id}").json()["content_version"] == "1"


def test_a_failed_file_can_be_removed_before_complete(api: Api) -> None:
    session_id = api.update_session()
    upload(api, session_id, verified=False, size=1)
    upload(api, session_id, "good.iso")
    assert api.delete(files_url(session_id, NAME)).status_code == 204
    assert api.us_action(session_id, "complete").status_code == 204


def test_missing_files_fail_complete_and_the_session_stays_active(api: Api) -> None:
    session_id = api.update_session()
    info = add_ok(api, session_id)
    upload(api, session_id, "other.iso")
    result = api.post(files_url(session_id), params={"action": "validate"}).json()
    assert result == {"has_errors": True, "missing_files": [NAME], "invalid_files": []}
    error = assert_error(api.us_action(session_id, "complete"), 400, "NOT_ALLOWED_IN_CURRENT_STATE")
    assert error["messages"][0]["args"][0] == "complete"
    assert NAME in error["messages"][0]["default_message"]
    assert api.us_get(session_id)["state"] == "ACTIVE"
    assert send(info["upload_endpoint"]["uri"], DATA).status_code == 200
    assert api.us_action(session_id, "complete").status_code == 204


def test_interrupted_upload_puts_the_file_in_error(api: Api, mock: MockServer) -> None:
    session_id = api.update_session()
    uri = urlsplit(add_ok(api, session_id)["upload_endpoint"]["uri"])
    assert uri.port is not None
    with socket.create_connection((uri.hostname, uri.port), timeout=5) as sock:
        head = f"PUT {uri.path} HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"
        sock.sendall(head.encode() + b"only a few bytes")
    info = _wait_for(lambda: (i := file_info(api, session_id))["status"] == "ERROR" and i)
    assert "connection closed" in info["error_message"]["default_message"]
    assert stored(mock) == []


def test_cancel_during_an_upload_rejects_it_and_keeps_nothing(api: Api, mock: MockServer) -> None:
    session_id = api.update_session()
    uri = urlsplit(add_ok(api, session_id)["upload_endpoint"]["uri"])
    assert uri.port is not None
    with socket.create_connection((uri.hostname, uri.port), timeout=5) as sock:
        head = f"PUT {uri.path} HTTP/1.1\r\nHost: x\r\nContent-Length: {4 * MIB}\r\n\r\n"
        sock.sendall(head.encode() + bytes(MIB))
        _wait_for(lambda: file_info(api, session_id)["status"] == "TRANSFERRING")
        assert api.us_action(session_id, "cancel").status_code == 204
        with contextlib.suppress(OSError):  # the mock may answer before reading it all
            sock.sendall(bytes(3 * MIB))
        answer = sock.recv(65536).decode("latin-1")
    assert answer.startswith("HTTP/1.1 400"), answer[:200]
    assert "NOT_ALLOWED_IN_CURRENT_STATE" in answer
    _wait_for(lambda: api.get("/mock-api/state").json()["files"]["running_transfers"] == 0)
    assert stored(mock) == []


def test_a_second_upload_while_one_runs_is_rejected(api: Api, mock: MockServer) -> None:
    session_id = api.update_session()
    token = urlsplit(add_ok(api, session_id)["upload_endpoint"]["uri"]).path.split("/")[3]
    files = mock.backend.update_files
    first = files.begin_upload(token, "/cls/data/x")
    assert first is not None
    assert file_info(api, session_id)["status"] == "TRANSFERRING"
    with pytest.raises(NotAllowedInCurrentState):
        files.begin_upload(token, "/cls/data/x")
    mock.backend.update_sessions.abort(first, "test")
    assert stored(mock) == []


# -- visibility and discarding ----------------------------------------------------------


def test_content_is_invisible_until_complete(api: Api) -> None:
    item_id = api.item()
    session_id = api.update_session(item_id)
    upload(api, session_id)
    download_id = api.download_session(item_id)
    assert item_files(api, item_id) == []
    assert api.get(f"{DS}/{download_id}/file").json() == []
    assert_error(prepare(api, download_id), 400, "INVALID_ARGUMENT")
    assert api.get(f"{ITEM}/{item_id}").json()["size"] == 0
    api.us_action(session_id, "complete")
    assert [f["name"] for f in api.get(f"{DS}/{download_id}/file").json()] == [NAME]


def _cancel(api: Api, session_id: str, clock: FakeClock) -> None:
    assert api.us_action(session_id, "cancel").status_code == 204


def _fail(api: Api, session_id: str, clock: FakeClock) -> None:
    body = {"client_error_message": "boom"}
    assert api.us_action(session_id, "fail", json=body).status_code == 204


def _expire(api: Api, session_id: str, clock: FakeClock) -> None:
    clock.advance(301)
    assert api.get(f"{US}/{session_id}").status_code == 404


def _delete_item(api: Api, session_id: str, clock: FakeClock) -> None:
    item_id = api.us_get(session_id)["library_item_id"]
    assert api.delete(f"{ITEM}/{item_id}").status_code == 204


ENDINGS: dict[str, tuple[Callable[[Api, str, FakeClock], None], int]] = {
    # how the session ends -> what a later upload to its endpoint answers
    "cancel": (_cancel, 400),
    "fail": (_fail, 400),
    "expire": (_expire, 404),
    "delete-item": (_delete_item, 404),
}


@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_ending_a_session_discards_its_bytes_and_rejects_uploads(
    api: Api, mock: MockServer, clock: FakeClock, ending: str
) -> None:
    end, upload_status = ENDINGS[ending]
    item_id = api.item()
    session_id = api.update_session(item_id)
    uri = upload(api, session_id)["upload_endpoint"]["uri"]
    assert len(stored(mock)) == 1
    end(api, session_id, clock)
    assert stored(mock) == []
    if ending != "delete-item":
        assert item_files(api, item_id) == []
        assert api.get(f"{ITEM}/{item_id}").json()["content_version"] == "1"
    error_type = "NOT_FOUND" if upload_status == 404 else "NOT_ALLOWED_IN_CURRENT_STATE"
    assert_error(send(uri, DATA), upload_status, error_type)
    assert stored(mock) == []


def test_deleting_an_ended_session_forgets_its_endpoints(api: Api, mock: MockServer) -> None:
    session_id = api.update_session()
    uri = upload(api, session_id)["upload_endpoint"]["uri"]
    api.us_action(session_id, "cancel")
    assert api.delete(f"{US}/{session_id}").status_code == 204
    assert_error(send(uri, DATA), 404, "NOT_FOUND")


def test_upload_to_a_completed_session_is_nacs(api: Api, mock: MockServer) -> None:
    session_id = api.update_session()
    uri = upload(api, session_id)["upload_endpoint"]["uri"]
    api.us_action(session_id, "complete")
    error = assert_error(send(uri, b"late"), 400, "NOT_ALLOWED_IN_CURRENT_STATE")
    assert error["messages"][0]["args"] == ["upload", "DONE"]
    assert len(stored(mock)) == 1  # the item's bytes, untouched


@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_upload_to_an_unknown_endpoint_is_404(mock: MockServer, method: str) -> None:
    uri = f"{mock.url}/cls/data/{'0' * 32}/x.iso"
    assert_error(send(uri, DATA, method), 404, "NOT_FOUND")
    assert stored(mock) == []


def test_download_endpoints_die_with_their_session(api: Api, clock: FakeClock) -> None:
    item_id = completed_item(api)
    for end in ("cancel", "fail", "expire"):
        download_id = api.download_session(item_id)
        response = prepare(api, download_id)
        uri = response.json()["download_endpoint"]["uri"]
        if end == "expire":
            clock.advance(301)
        else:
            body = {"client_error_message": "x"} if end == "fail" else None
            assert api.ds_action(download_id, end, json=body).status_code == 204
        assert_error(requests.get(uri, timeout=10), 404, "NOT_FOUND")


def test_download_of_an_unknown_endpoint_is_404(mock: MockServer) -> None:
    assert_error(requests.get(f"{mock.url}/cls/data/abc/x", timeout=10), 404, "NOT_FOUND")


def test_data_endpoints_reject_other_methods(api: Api) -> None:
    uri = download_uri(api, completed_item(api))
    assert_error(requests.delete(uri, timeout=10), 405, "OPERATION_NOT_FOUND")


# -- PULL -------------------------------------------------------------------------------


class Source:
    """A loopback HTTP server for PULL: ``files[path] = bytes``; ``gate`` holds responses."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.gate = threading.Event()
        self.gate.set()
        source = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                data = source.files.get(self.path)
                if data is None:
                    self.send_error(404)
                    return
                source.gate.wait(10)
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def close(self) -> None:
        self.gate.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def source() -> Iterator[Source]:
    server = Source()
    yield server
    server.close()


def _pull(api: Api, session_id: str, uri: str, **spec: Any) -> dict[str, Any]:
    return add_ok(api, session_id, source_type="PULL", source_endpoint={"uri": uri}, **spec)


def _settled(api: Api, session_id: str, name: str = NAME) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        info = file_info(api, session_id, name)
        return None if info["status"] in ("WAITING_FOR_TRANSFER", "TRANSFERRING") else info

    result: dict[str, Any] = _wait_for(done)
    return result


def test_pull_from_a_loopback_source(api: Api, source: Source) -> None:
    source.files["/disk.iso"] = DATA
    item_id = api.item()
    session_id = api.update_session(item_id)
    uri = source.url("/disk.iso")
    added = _pull(api, session_id, uri, size=len(DATA), checksum_info={"checksum": sha1(DATA)})
    assert added["source_endpoint"] == {"uri": uri}
    assert "upload_endpoint" not in added
    info = _settled(api, session_id)
    assert (info["status"], info["size"]) == ("READY", len(DATA))
    assert api.us_action(session_id, "complete").status_code == 204
    assert download(api, item_id) == DATA


@pytest.mark.parametrize(
    ("path", "spec", "message"),
    [
        ("/missing", {}, "Error transferring file"),
        ("/disk.iso", {"size": 3}, "bytes were expected"),
        ("/disk.iso", {"checksum_info": {"checksum": "0" * 40}}, "checksum"),
    ],
)
def test_pull_failures_put_the_file_in_error(
    api: Api, mock: MockServer, source: Source, path: str, spec: dict[str, Any], message: str
) -> None:
    source.files["/disk.iso"] = DATA
    session_id = api.update_session()
    _pull(api, session_id, source.url(path), **spec)
    info = _settled(api, session_id)
    assert info["status"] == "ERROR"
    assert message in info["error_message"]["default_message"]
    assert stored(mock) == []
    assert_error(api.us_action(session_id, "complete"), 400, "NOT_ALLOWED_IN_CURRENT_STATE")


def test_pull_from_an_unreachable_source_fails_the_file(api: Api) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nobody listens there once closed
    session_id = api.update_session()
    _pull(api, session_id, f"http://127.0.0.1:{port}/x.iso")
    assert _settled(api, session_id)["status"] == "ERROR"


def test_complete_during_a_pull_returns_and_finishes_later(api: Api, source: Source) -> None:
    """§4: for PULL, complete may return while the session is still ACTIVE."""
    source.files["/disk.iso"] = DATA
    source.gate.clear()
    item_id = api.item()
    session_id = api.update_session(item_id)
    _pull(api, session_id, source.url("/disk.iso"))
    assert file_info(api, session_id)["status"] == "TRANSFERRING"
    assert api.us_action(session_id, "complete").status_code == 204
    assert api.us_get(session_id)["state"] == "ACTIVE"
    source.gate.set()
    _wait_for(lambda: api.us_get(session_id)["state"] == "DONE")
    assert download(api, item_id) == DATA


def test_complete_during_a_failing_pull_ends_in_error(api: Api, source: Source) -> None:
    source.files["/disk.iso"] = DATA
    source.gate.clear()
    session_id = api.update_session()
    _pull(api, session_id, source.url("/disk.iso"), size=1)
    assert api.us_action(session_id, "complete").status_code == 204
    source.gate.set()
    session = _wait_for(lambda: (s := api.us_get(session_id))["state"] != "ACTIVE" and s)
    assert session["state"] == "ERROR"
    assert "bytes were expected" in session["error_message"]["default_message"]


def test_cancel_during_a_pull_discards_it(api: Api, mock: MockServer, source: Source) -> None:
    source.files["/disk.iso"] = DATA
    source.gate.clear()
    session_id = api.update_session()
    _pull(api, session_id, source.url("/disk.iso"))
    assert api.us_action(session_id, "cancel").status_code == 204
    source.gate.set()
    # through the event loop (not backend.dump() from this thread): no race with it
    _wait_for(lambda: api.get("/mock-api/state").json()["files"]["running_transfers"] == 0)
    assert stored(mock) == []


# -- streaming --------------------------------------------------------------------------


def _vm(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        match = re.search(rf"^{field}:\s+(\d+) kB", status.read(), re.MULTILINE)
    assert match is not None
    return int(match.group(1)) * 1024


def _reset_peak() -> None:
    with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
        clear_refs.write("5")  # VmHWM := VmRSS


def test_large_transfers_stream_without_holding_the_payload(api: Api, mock: MockServer) -> None:
    """50 MiB up and down; the process (client and mock) grows by far less than that."""
    size, block = 50 * MIB, bytes(range(256)) * 4096
    item_id = api.item()
    session_id = api.update_session(item_id)
    info = add_ok(api, session_id, size=size)
    _reset_peak()
    before = _vm("VmRSS")
    response = send(info["upload_endpoint"]["uri"], (block for _ in range(size // len(block))))
    assert response.status_code == 200
    upload_growth = _vm("VmHWM") - before
    assert file_info(api, session_id)["status"] == "READY"
    assert api.us_action(session_id, "complete").status_code == 204

    uri = download_uri(api, item_id)
    _reset_peak()
    before = _vm("VmRSS")
    received = 0
    with requests.get(uri, stream=True, timeout=30) as got:
        for chunk in got.iter_content(MIB):
            received += len(chunk)
    download_growth = _vm("VmHWM") - before
    assert received == size
    assert upload_growth < 20 * MIB, upload_growth
    assert download_growth < 20 * MIB, download_growth
