"""The mock cannot be poisoned: invalid Unicode is refused, error answers keep the
connection alive, and request bodies, heads and stalls are bounded (issue 13, item 12)."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from mock_fixtures import DS, ITEM, LIB, PASSWORD, US, USER, Api, assert_error

from conformance.mock import MockServer, MockSettings
from conformance.mock.models import Backend

pytest_plugins = ["mock_fixtures"]

# -- (a) invalid Unicode ----------------------------------------------------------------

#: A lone UTF-16 surrogate, as JSON writes it: valid JSON, but no UTF-8 can encode it.
LONE = "\\ud800"


def _placements(field: str) -> dict[str, str]:
    """Where a lone surrogate can hide in a body of ``{field: "..."}``."""
    return {
        "value": f'{{"{field}": "{LONE}"}}',
        "low-surrogate": f'{{"{field}": "x\\udfffy"}}',
        "key": f'{{"{field}": "x", "{LONE}": 1}}',
        "nested": f'{{"{field}": "x", "warning_behavior": [{{"type": "{LONE}"}}]}}',
        "deep-key": f'{{"{field}": "x", "a": {{"b": [{{"c{LONE}": null}}]}}}}',
    }


# (method, path template, a string field of the body)
OPERATIONS = {
    "library-create": ("POST", LIB, "name"),
    "item-create": ("POST", ITEM, "name"),
    "update-create": ("POST", US, "library_item_id"),
    "update-patch": ("PATCH", US + "/{us}", "x"),
    "update-fail": ("POST", US + "/{us}?action=fail", "client_error_message"),
    "update-keep-alive": ("POST", US + "/{us}?action=keep-alive", "x"),
    "download-create": ("POST", DS, "library_item_id"),
    "download-fail": ("POST", DS + "/{ds}?action=fail", "client_error_message"),
    "file-add": ("POST", US + "/{us}/file", "name"),
    "file-prepare": ("POST", DS + "/{ds}/file?action=prepare", "file_name"),
}


def _path(api: Api, template: str) -> str:
    item_id = api.item()
    return template.format(us=api.update_session(item_id), ds=api.download_session(item_id))


@pytest.mark.parametrize("where", list(_placements("f")))
@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_lone_surrogate_anywhere_in_a_body_is_invalid_argument(
    api: Api, mock: MockServer, operation: str, where: str
) -> None:
    method, template, field = OPERATIONS[operation]
    body = _placements(field)[where].encode()
    response = api.request(method, _path(api, template), data=body)
    error = assert_error(response, 400, "INVALID_ARGUMENT")
    assert "lone UTF-16 surrogate" in error["messages"][0]["default_message"]
    assert api.get("/mock-api/state").status_code == 200


def test_a_surrogate_pair_is_valid_unicode_and_accepted(api: Api) -> None:
    response = api.post(LIB, data=_library_body('"lib \\ud83d\\ude00"'))
    assert response.status_code == 201, response.text
    assert api.get(f"{LIB}/{response.json()}").json()["name"] == "lib \U0001f600"


def _library_body(name_json: str, description_json: str = '"d"') -> bytes:
    return (
        f'{{"name": {name_json}, "description": {description_json}, "type": "LOCAL", '
        f'"storage_backings": [{{"type": "DATASTORE", "datastore_id": "datastore-101"}}]}}'
    ).encode()


@pytest.mark.parametrize("field", ["name", "description"])
def test_a_surrogate_cannot_poison_a_library(api: Api, field: str) -> None:
    """Once stored, it made every GET of the library and of /mock-api/state answer 500."""
    bad = f'"{LONE}"'
    body = _library_body(bad) if field == "name" else _library_body('"l"', bad)
    assert_error(api.post(LIB, data=body), 400, "INVALID_ARGUMENT")
    assert api.get(LIB).status_code == 200
    assert api.get("/mock-api/state").status_code == 200


def test_a_surrogate_cannot_poison_a_session_through_fail(api: Api) -> None:
    session = api.update_session()
    body = f'{{"client_error_message": "{LONE}"}}'.encode()
    assert_error(api.us_action(session, "fail", data=body), 400, "INVALID_ARGUMENT")
    assert api.us_get(session)["state"] == "ACTIVE"
    assert api.get("/mock-api/state").status_code == 200


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/mock-api/flaws", f'{{"flaws": ["{LONE}"]}}'),
        ("/mock-api/faults", f'{{"paths": ["/api/{LONE}"]}}'),
    ],
)
def test_the_admin_routes_refuse_invalid_unicode_too(anon: Api, path: str, body: str) -> None:
    assert_error(anon.put(path, data=body.encode()), 400, "INVALID_ARGUMENT")
    assert anon.get("/mock-api/state").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        US + "?library_item_id=%ED%A0%80",  # a surrogate, UTF-8-encoded: invalid UTF-8
        US + "/%ED%A0%80",
        DS + "?library_item_id=%ff%fe",
        ITEM + "/x/file?name=%ED%A0%80",
    ],
)
def test_invalid_utf8_in_paths_and_queries_never_poisons(api: Api, path: str) -> None:
    """Starlette decodes them with replacement characters: nothing unencodable gets in."""
    assert api.get(path).status_code in (200, 400, 404)
    body = {"library_item_id": api.item()}
    created = api.post(US + "?client_token=%ED%A0%80", json=body)
    assert created.status_code in (201, 400), created.text  # tokens are UUIDs
    assert api.get("/mock-api/state").status_code == 200


# -- (b) error answers keep the connection alive ----------------------------------------


def _exchange(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any] | str, http.client.HTTPResponse]:
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    try:
        return response.status, json.loads(data), response
    except ValueError:
        return response.status, data.decode("latin-1"), response


@pytest.fixture
def connection(mock: MockServer) -> Iterator[http.client.HTTPConnection]:
    """One kept-alive connection to the mock, logged in."""
    conn = http.client.HTTPConnection("127.0.0.1", mock.port, timeout=10)
    status, token, _ = _exchange(
        conn, "POST", "/api/session", headers={"Authorization": _basic(USER, PASSWORD)}
    )
    assert status == 201
    conn.token = token  # type: ignore[attr-defined]
    yield conn
    conn.close()


def _basic(user: str, password: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _same_socket_answers_again(connection: http.client.HTTPConnection) -> None:
    sock = connection.sock
    status, _, response = _exchange(connection, "GET", "/mock-api/flaws")
    assert status == 200
    assert connection.sock is sock, "the mock closed the connection after the error"
    assert response.getheader("connection", "").lower() != "close"


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/api/nowhere", None, 404),
        ("PUT", US, None, 405),
        ("POST", US, b"{not json", 400),
        ("POST", US, f'{{"library_item_id": "{LONE}"}}'.encode(), 400),
        ("GET", "/api/session", None, 401),
    ],
)
def test_error_answers_keep_the_connection_alive(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    body: bytes | None,
    status: int,
) -> None:
    headers = {"vmware-api-session-id": connection.token}  # type: ignore[attr-defined]
    if status == 401:
        headers = {}
    got, answer, _ = _exchange(connection, method, path, body, headers)
    assert got == status, answer
    _same_socket_answers_again(connection)


def test_a_crash_is_a_vapi_500_and_keeps_the_connection_alive(
    connection: http.client.HTTPConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(self: Backend) -> dict[str, Any]:
        raise RuntimeError("a bug in the mock")

    monkeypatch.setattr(Backend, "dump", crash)
    status, body, response = _exchange(connection, "GET", "/mock-api/state")
    assert status == 500
    assert isinstance(body, dict) and body["error_type"] == "INTERNAL_SERVER_ERROR", body
    assert response.getheader("content-type") == "application/json"
    monkeypatch.undo()
    _same_socket_answers_again(connection)


def test_resource_busy_500_keeps_the_connection_alive(
    api: Api, connection: http.client.HTTPConnection
) -> None:
    item = api.item()
    api.update_session(item)
    headers = {
        "vmware-api-session-id": connection.token,  # type: ignore[attr-defined]
        "Content-Type": "application/json",
    }
    body = json.dumps({"library_item_id": item}).encode()
    status, answer, _ = _exchange(connection, "POST", US, body, headers)
    assert status == 500 and isinstance(answer, dict), answer
    assert answer["error_type"] == "RESOURCE_BUSY"
    _same_socket_answers_again(connection)


def _raw(mock: MockServer, data: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", mock.port), timeout=10)
    sock.sendall(data)
    return sock


def _read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


# -- (c) bounded requests ---------------------------------------------------------------

LIMIT = 4096
IDLE = 1.0  # seconds; the tests wait for what follows it, never measure it


@pytest.fixture(scope="module")
def strict_server() -> Iterator[MockServer]:
    """A mock with small limits, so the tests stay small."""
    settings = MockSettings(
        user=USER,
        password=PASSWORD,
        max_body_bytes=LIMIT,
        max_head_bytes=LIMIT,
        request_idle_timeout=IDLE,
    )
    with MockServer(settings) as server:
        yield server


@pytest.fixture
def strict(strict_server: MockServer) -> Iterator[Api]:
    strict_server.backend.reset()
    client = Api(strict_server.url)
    client.login()
    yield client
    client.close()


def _padded(size: int) -> bytes:
    """A JSON object of exactly ``size`` bytes."""
    head = b'{"library_item_id": "x", "pad": "'
    return head + b"p" * (size - len(head) - 2) + b'"}'


def test_the_body_limit_is_a_documented_default() -> None:
    assert MockSettings().max_body_bytes == 1 << 20


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_over_the_limit_is_413_with_a_vapi_body(strict: Api, chunked: bool) -> None:
    body = _padded(LIMIT + 1)
    data: Any = iter([body[:1000], body[1000:]]) if chunked else body
    response = strict.post(US, data=data)
    error = assert_error(response, 413, "INVALID_ARGUMENT")
    assert error["messages"][0]["args"] == [str(LIMIT)]
    assert strict.get(US).status_code == 200  # the same pooled connection goes on


def test_a_body_at_the_limit_is_read(strict: Api) -> None:
    response = strict.post(US, data=_padded(LIMIT))
    assert_error(response, 404, "NOT_FOUND")  # read and parsed: item "x" does not exist


def test_the_admin_routes_have_the_same_limit(strict: Api) -> None:
    assert_error(strict.put("/mock-api/flaws", data=_padded(LIMIT + 1)), 413, "INVALID_ARGUMENT")


def test_a_refused_body_is_not_read_and_the_connection_goes_on(
    strict_server: MockServer,
) -> None:
    """A declared 50 MB is refused at once; what the client still sends is discarded."""
    conn = http.client.HTTPConnection("127.0.0.1", strict_server.port, timeout=10)
    conn.putrequest("PUT", "/mock-api/flaws")  # reads its body, and needs no login
    conn.putheader("Content-Length", str(50 << 20))
    conn.endheaders()
    conn.send(b'{"flaws": ["' + b"x" * 100_000)
    response = conn.getresponse()
    assert response.status == 413
    response.read()
    conn.close()


def test_a_head_over_the_limit_is_431_and_the_connection_closes(
    strict_server: MockServer,
) -> None:
    request = b"GET /api/session HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * LIMIT + b"\r\n\r\n"
    with _raw(strict_server, request) as sock:
        answer = _read_all(sock)
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 431 Request Header Fields Too Large"
    headers, _, body = rest.partition(b"\r\n\r\n")
    assert b"content-type: application/json" in headers.lower()
    assert json.loads(body)["error_type"] == "INVALID_ARGUMENT"


def test_a_header_that_never_ends_is_431_too(strict_server: MockServer) -> None:
    with _raw(strict_server, b"GET / HTTP/1.1\r\nX-Big: " + b"b" * (LIMIT + 100)) as sock:
        answer = _read_all(sock)
    assert answer.startswith(b"HTTP/1.1 431 ")


def test_the_head_limit_leaves_ordinary_requests_alone(strict: Api) -> None:
    response = strict.get(US, headers={"X-Fine": "f" * (LIMIT // 2)})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "start",
    [
        b"GET /api/session HTTP/1.1\r\nHost: x\r\n",  # a head that stops
        b"PUT /mock-api/flaws HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{",
        b"PUT /mock-api/flaws HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{\r\n",
    ],
    ids=["head", "body", "chunked-body"],
)
def test_a_stalled_request_is_closed_after_the_idle_timeout(
    strict_server: MockServer, start: bytes
) -> None:
    with _raw(strict_server, start) as sock:
        assert _read_all(sock) == b""  # closed by the mock, with no answer


def _stalled_upload(server: MockServer, api: Api, chunked: bool) -> tuple[str, str]:
    """(session id, file name) of an upload that sent 10 of 1000 bytes and stalled."""
    session = api.update_session()
    added = api.post(
        f"{US}/{session}/file", json={"name": "f.bin", "source_type": "PUSH", "size": 1000}
    )
    assert added.status_code == 201, added.text
    path = added.json()["upload_endpoint"]["uri"].split(str(server.port), 1)[1]
    framing = (
        b"Transfer-Encoding: chunked\r\n\r\na\r\n" if chunked else b"Content-Length: 1000\r\n\r\n"
    )
    with _raw(
        server, f"PUT {path} HTTP/1.1\r\nHost: x\r\n".encode() + framing + b"0123456789"
    ) as sock:
        assert _file_status_once_changed(api, session, "WAITING_FOR_TRANSFER") == "TRANSFERRING"
        _read_all(sock)  # until the mock gives up on it
    return session, "f.bin"


def _file_status_once_changed(api: Api, session: str, status: str) -> str:
    """The file's status once it is no longer ``status`` (the mock works on its own time)."""
    for _ in range(500):
        now = str(api.get(f"{US}/{session}/file/f.bin").json()["status"])
        if now != status:
            return now
        time.sleep(0.01)
    return status


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_stalled_upload_puts_its_file_in_error_and_complete_answers(
    strict_server: MockServer, strict: Api, chunked: bool
) -> None:
    session, name = _stalled_upload(strict_server, strict, chunked)
    info = strict.get(f"{US}/{session}/file/{name}").json()
    assert info["status"] == "ERROR", info
    assert "no bytes" in info["error_message"]["default_message"], info
    complete = strict.us_action(session, "complete")
    body = assert_error(complete, 400, "NOT_ALLOWED_IN_CURRENT_STATE")
    assert "ERROR" in body["messages"][0]["args"]
    assert strict.us_get(session)["state"] == "ERROR"


def test_a_slow_but_steady_upload_is_not_cut(strict_server: MockServer, strict: Api) -> None:
    """Idle means no bytes at all: an upload that keeps sending goes on past the timeout."""
    session = strict.update_session()
    added = strict.post(
        f"{US}/{session}/file", json={"name": "s.bin", "source_type": "PUSH", "size": 8}
    )
    uri = added.json()["upload_endpoint"]["uri"]

    def trickle() -> Iterator[bytes]:
        for _ in range(8):
            time.sleep(IDLE / 10)
            yield b"x"

    assert strict.http.put(uri, data=trickle(), timeout=10).status_code == 200
    assert strict.get(f"{US}/{session}/file/s.bin").json()["status"] == "READY"


# -- memory: a 50 MB body is refused without being held -----------------------------------

MIB = 1 << 20


@pytest.fixture
def mock_process() -> Iterator[tuple[int, int]]:
    """(pid, port) of a mock in a process of its own (so its memory is its own), default limits."""
    if not Path("/proc/self/status").exists():
        pytest.skip("reads the peak RSS from /proc")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code = (
        "from conformance.mock import MockSettings, serve; "
        f"serve(MockSettings(user={USER!r}, password={PASSWORD!r}), port={port})"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        for _ in range(500):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)):
                break
            time.sleep(0.02)
        yield process.pid, port
    finally:
        process.terminate()
        process.wait(timeout=30)


def _peak_rss(pid: int) -> int:
    """VmHWM: the most resident memory the process ever had, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def _zeros(total: int) -> Iterator[bytes]:
    chunk = b'{"flaws": ["' + b"0" * (MIB - 12)
    sent = 0
    while sent < total:
        part = chunk[: total - sent]
        sent += len(part)
        yield part
        chunk = b"0" * MIB


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_50_mb_json_body_is_refused_without_holding_it(
    mock_process: tuple[int, int], chunked: bool
) -> None:
    pid, port = mock_process
    url = f"http://127.0.0.1:{port}/mock-api/flaws"
    assert requests.put(url, json={"flaws": []}, timeout=30).status_code == 200  # warm up
    before = _peak_rss(pid)
    size = 50 * MIB
    if chunked:
        response = requests.put(url, data=_zeros(size), timeout=60)
        status, body = response.status_code, response.json()
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.putrequest("PUT", "/mock-api/flaws")
        conn.putheader("Content-Length", str(size))
        conn.endheaders()
        for part in _zeros(size):
            conn.send(part)
        answer = conn.getresponse()
        status, body = answer.status, json.loads(answer.read())
        conn.close()
    assert status == 413 and body["error_type"] == "INVALID_ARGUMENT", (status, body)
    grown = _peak_rss(pid) - before
    print(f"peak RSS growth: {grown / MIB:.1f} MiB")
    assert grown < 16 * MIB, f"the mock's peak RSS grew by {grown / MIB:.1f} MiB"
