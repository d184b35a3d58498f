"""The direct door (``conformance/mock/direct.py``) writes the bytes uvicorn's own path does.

Each test sends the same raw bytes over real sockets to two mocks: one as served (the
direct door on), one on the protocol without it (every request through uvicorn's ASGI
path and the front door), with ids and tokens from a counter restarted for each, and
compares what comes back byte for byte (uvicorn's ``date`` header aside). Each also
checks that the direct door did take requests, so that no comparison is of one path
with itself. The requests cover keep-alive, pipelining (a taken request behind a
handed-over one, and the reverse), ``Connection: close``, HTTP/1.0, a body in pieces,
a flaw, a variant, a fault, 401 without a session, the head limit, and what the direct
door leaves to uvicorn (HEAD, chunked bodies, ``Expect: 100-continue``, 404s).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import re
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import httptools
import pytest
from mock_fixtures import count_ids
from starlette.responses import Response, StreamingResponse

from conformance.mock import FakeClock, MockServer, MockSettings
from conformance.mock import server as server_module
from conformance.mock.direct import DirectHttpToolsProtocol
from conformance.mock.fastpath import FrontDoor
from conformance.mock.faults import Faults
from conformance.mock.limits import limited_protocol
from conformance.mock.routes import ROUTES

USER, PASSWORD = "administrator@vsphere.local", "secret"
ITEM = "/api/content/library/item"
US = ITEM + "/update-session"
LIB = "/api/content/local-library"
BASIC = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
HEAD_LIMIT = 4096

#: (raw request bytes, or a list of pieces sent apart) -> the answers, as bytes each
Script = Callable[["Conversation"], None]


@pytest.fixture
def fixed_ids(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Ids and tokens from a counter; calling the fixture's value restarts it."""
    return count_ids(monkeypatch)


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The requests the direct door answered itself, as ``METHOD path``."""
    answered: list[str] = []
    original = DirectHttpToolsProtocol._answer

    def counted(self: DirectHttpToolsProtocol, request: Any) -> None:
        answered.append(f"{self.scope['method']} {self.scope['path']}")
        original(self, request)

    monkeypatch.setattr(DirectHttpToolsProtocol, "_answer", counted)
    return answered


class Conversation:
    """One mock and the raw answers a script got from it, in order."""

    def __init__(self, server: MockServer) -> None:
        self.server = server
        self.answers: list[bytes] = []
        self.values: dict[str, str] = {}

    @contextlib.contextmanager
    def connect(self) -> Iterator[socket.socket]:
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as sock:
            yield sock

    def exchange(
        self,
        sock: socket.socket,
        data: bytes | list[bytes],
        answers: int = 1,
        *,
        head: bool = False,
    ) -> list[bytes]:
        """Send ``data`` (pieces apart, a moment between them), read ``answers`` answers
        (``head``: answers to HEAD, without the body their length announces)."""
        for piece in [data] if isinstance(data, bytes) else data:
            sock.sendall(piece)
            if not isinstance(data, bytes):
                time.sleep(0.05)
        got = read_answers(sock, answers, head=head)
        self.answers.extend(got)
        return got

    def closed(self, sock: socket.socket) -> bool:
        """Did the server close the connection (after what was read)?"""
        sock.settimeout(5)
        try:
            rest = sock.recv(1)
        except ConnectionResetError:
            return True
        self.answers.append(b"(closed)" if not rest else b"(open)")
        return not rest


def read_answers(sock: socket.socket, count: int, *, head: bool = False) -> list[bytes]:
    """``count`` whole HTTP answers from ``sock`` (by their length, as the mock sends)."""
    buffer = b""
    out: list[bytes] = []
    while len(out) < count:
        end = buffer.find(b"\r\n\r\n")
        if end >= 0:
            top = buffer[: end + 4]
            length = re.search(rb"(?im)^content-length: *(\d+)\r$", top)
            size = end + 4 + (int(length.group(1)) if length and not head else 0)
            if b"transfer-encoding: chunked" in top.lower():
                size = buffer.find(b"\r\n0\r\n\r\n", end) + 7
                if size < 7:
                    size = len(buffer) + 1
            if len(buffer) >= size:
                out.append(buffer[:size])
                buffer = buffer[size:]
                continue
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            out.append(b"(closed)" + buffer)
            break
        buffer += chunk
    assert not buffer, buffer
    return out


def request(
    method: str,
    path: str,
    body: Any = None,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    version: str = "1.1",
) -> bytes:
    raw = b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
    lines = [f"{method} {path} HTTP/{version}", "Host: 127.0.0.1"]
    if token is not None:
        lines.append(f"vmware-api-session-id: {token}")
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if raw and "Transfer-Encoding" not in (headers or {}):
        lines.append(f"Content-Length: {len(raw)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + raw


def value_of(answer: bytes) -> str:
    """The created id (or token) in an answer's body, under a flaw's envelope too."""
    value = json.loads(answer.partition(b"\r\n\r\n")[2])
    return str(value["value"] if isinstance(value, dict) else value)


def set_up(talk: Conversation, sock: socket.socket) -> str:
    """Log in, make a library and an item; the session token (``item`` in ``values``)."""
    (login,) = talk.exchange(
        sock, request("POST", "/api/session", headers={"Authorization": f"Basic {BASIC}"})
    )
    token = value_of(login)
    backing = [{"type": "DATASTORE", "datastore_id": "datastore-101"}]
    (library,) = talk.exchange(
        sock, request("POST", LIB, {"name": "l", "storage_backings": backing}, token=token)
    )
    (item,) = talk.exchange(
        sock, request("POST", ITEM, {"library_id": value_of(library), "name": "i"}, token=token)
    )
    talk.values["item"] = value_of(item)
    return token


def open_session(talk: Conversation, sock: socket.socket) -> tuple[str, str]:
    """:func:`set_up`, then an update session on its item: the token and the session's
    path."""
    token = set_up(talk, sock)
    (created,) = talk.exchange(
        sock, request("POST", US, {"library_item_id": talk.values["item"]}, token=token)
    )
    return token, f"{US}/{value_of(created)}"


def both(
    restart: Callable[[], None],
    monkeypatch: pytest.MonkeyPatch,
    script: Script,
    **settings: Any,
) -> tuple[list[bytes], list[bytes]]:
    """The script's answers from a mock with the direct door, and from one without."""
    results = []
    for direct in (True, False):
        with monkeypatch.context() as patch:
            if not direct:
                patch.setattr(server_module, "direct_protocol", limited_protocol)
            restart()
            mock_settings = MockSettings(
                user=USER,
                password=PASSWORD,
                clock=FakeClock(),
                max_head_bytes=HEAD_LIMIT,
                max_body_bytes=1024,
                **settings,
            )
            with MockServer(mock_settings) as server:
                talk = Conversation(server)
                script(talk)
                results.append([_undated(answer) for answer in talk.answers])
    return results[0], results[1]


def _undated(answer: bytes) -> bytes:
    return re.sub(rb"(?m)^date: [^\r]*\r\n", b"date: (now)\r\n", answer)


def assert_alike(direct: list[bytes], plain: list[bytes]) -> None:
    assert len(direct) == len(plain), (direct, plain)
    for index, (a, b) in enumerate(zip(direct, plain, strict=True)):
        assert a == b, f"answer {index}:\n{a!r}\n{b!r}"


def statuses(answers: list[bytes]) -> list[int]:
    return [int(a.split(b" ", 2)[1]) for a in answers if a.startswith(b"HTTP/")]


# -- the scripts ----------------------------------------------------------------------


def lifecycle(talk: Conversation) -> None:
    """Keep-alive on one connection: the session's whole life, and its errors."""
    with talk.connect() as sock:
        token, session = open_session(talk, sock)
        item = talk.values["item"]
        for step in [
            request("POST", US, {"library_item_id": item}, token=token),  # busy
            request("GET", session, token=token),
            request("GET", US, token=token),
            request("GET", US + "?library_item_id=" + item, token=token),
            request("PATCH", session, {"client_progress": 5}, token=token),
            request("PATCH", session, {"client_progress": "five"}, token=token),
            request("POST", session + "?action=keep-alive", {"client_progress": 7}, token=token),
            request("POST", session + "?action=explode", token=token),
            request("DELETE", session, token=token),  # still ACTIVE
            request("POST", session + "?action=complete", token=token),
            request("GET", session, token=token),
            request("DELETE", session, token=token),
            request("GET", session, token=token),  # gone: 404
            request("GET", session),  # no session header: 401
            request("GET", session, token="nope"),  # an unknown token: 401
            request("POST", US, b"{", token=token),
            request("POST", US, b"x" * 2000, token=token),  # over the body limit: 413
            request("GET", f"{US}/a%20b", token=token),
            request("GET", f"{US}/x?a=1&b=%41", token=token),
            request("PUT", US, token=token),  # 405: uvicorn's path
            request("GET", US + "/", token=token),  # 404: uvicorn's path
            request("GET", "/mock-api/state"),  # admin: uvicorn's path
        ]:
            talk.exchange(sock, step)


def pipelined(talk: Conversation) -> None:
    """Requests sent together: taken ones, then one uvicorn answers, then taken again."""
    with talk.connect() as sock:
        token, session = open_session(talk, sock)
        item = talk.values["item"]
        burst = [
            request("GET", session, token=token),
            request("POST", session + "?action=keep-alive", token=token),
            request("GET", "/mock-api/state"),  # through uvicorn's cycle
            request("GET", session, token=token),  # behind it: queued, not taken
            request("POST", session + "?action=complete", token=token),
            request("DELETE", session, token=token),
            request("GET", session, token=token),
        ]
        talk.exchange(sock, b"".join(burst), answers=len(burst))
        # then a body split across segments, and a head arriving in pieces
        create = request("POST", US, {"library_item_id": item}, token=token)
        talk.exchange(sock, [create[:20], create[20:-10], create[-10:]])


def closing(talk: Conversation) -> None:
    """``Connection: close`` and HTTP/1.0: the answer says so and the connection ends."""
    with talk.connect() as sock:
        token = set_up(talk, sock)
    for headers, version in [({"Connection": "close"}, "1.1"), ({}, "1.0")]:
        with talk.connect() as sock:
            talk.exchange(sock, request("GET", US, token=token, headers=headers, version=version))
            assert talk.closed(sock)
    with talk.connect() as sock:  # keep-alive asked for in HTTP/1.0: kept
        talk.exchange(
            sock,
            request("GET", US, token=token, headers={"Connection": "keep-alive"}, version="1.0"),
        )
        talk.exchange(sock, request("GET", US, token=token))


def left_to_uvicorn(talk: Conversation) -> None:
    """What the direct door does not take: HEAD, chunks, 100-continue, proxy headers."""
    with talk.connect() as sock:
        token = set_up(talk, sock)
        item = talk.values["item"]
        chunked = b'{"library_item_id": "' + item.encode() + b'"}'
        body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(chunked), chunked)
        (created,) = talk.exchange(
            sock,
            request("POST", US, body, token=token, headers={"Transfer-Encoding": "chunked"}),
        )
        session = f"{US}/{value_of(created)}"
        talk.exchange(sock, request("HEAD", session, token=token), head=True)
        expecting = request("POST", session + "?action=keep-alive", b"{}", token=token)
        head, _, rest = expecting.partition(b"\r\n\r\n")
        talk.exchange(sock, head + b"\r\nExpect: 100-continue\r\n\r\n")  # "100 Continue"
        talk.exchange(sock, rest)
        talk.exchange(
            sock, request("GET", session, token=token, headers={"X-Forwarded-Proto": "https"})
        )


def head_limit(talk: Conversation) -> None:
    """A head over the limit is 431 and the connection closes, on a kept-alive one too."""
    with talk.connect() as sock:
        token = set_up(talk, sock)
        big = {"X-Big": "b" * HEAD_LIMIT}
        talk.exchange(sock, request("GET", US, token=token, headers=big))
        assert talk.closed(sock)


# -- the tests --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "script", [lifecycle, pipelined, closing, left_to_uvicorn, head_limit], ids=lambda s: s.__name__
)
def test_the_direct_door_answers_as_uvicorns_path(
    fixed_ids: Callable[[], None],
    taken: list[str],
    monkeypatch: pytest.MonkeyPatch,
    script: Script,
) -> None:
    direct, plain = both(fixed_ids, monkeypatch, script)
    assert_alike(direct, plain)
    assert taken, "the direct door took no request"
    assert 201 in statuses(direct)


def test_the_lifecycle_takes_what_it_can_and_gets_every_kind_of_answer(
    fixed_ids: Callable[[], None], taken: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    direct, _ = both(fixed_ids, monkeypatch, lifecycle)
    # 500: RESOURCE_BUSY, a second ACTIVE session on the item
    assert set(statuses(direct)) == {200, 201, 204, 400, 401, 404, 405, 413, 500}
    methods = {entry.split()[0] for entry in taken}
    assert methods == {"GET", "POST", "PATCH", "DELETE"}
    assert "GET /mock-api/state" not in taken and f"PUT {US}" not in taken


def test_pipelined_requests_behind_a_handed_over_one_wait_their_turn(
    fixed_ids: Callable[[], None], taken: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    direct, _ = both(fixed_ids, monkeypatch, pipelined)
    burst = direct[4:11]
    assert statuses(burst) == [200, 204, 200, 200, 204, 204, 404]
    assert burst[2].endswith(b"}") and b"update_sessions" in burst[2]  # the admin state
    assert sum(entry.startswith(f"GET {US}/") for entry in taken) == 1  # not the queued one


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"flaws": frozenset({"create-returns-200"})}, 200),
        ({"flaws": frozenset({"void-returns-200"})}, 200),
        ({"variants": frozenset({"content-type-charset"})}, 201),
        ({"variants": frozenset({"opaque-ids"})}, 201),
    ],
    ids=lambda value: (
        str(sorted(value.get("flaws", value.get("variants", []))))
        if isinstance(value, dict)
        else str(value)
    ),
)
def test_a_flaw_or_a_variant_answers_alike_through_both(
    fixed_ids: Callable[[], None],
    taken: list[str],
    monkeypatch: pytest.MonkeyPatch,
    settings: dict[str, Any],
    expected: int,
) -> None:
    direct, plain = both(fixed_ids, monkeypatch, lifecycle, **settings)
    assert_alike(direct, plain)
    assert taken and expected in statuses(direct)


def test_a_fault_sends_every_request_through_uvicorns_path(
    fixed_ids: Callable[[], None], taken: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def faulty(talk: Conversation) -> None:
        with talk.connect() as sock:
            token = set_up(talk, sock)
            talk.server.backend.set_faults(Faults(unavailable_every=2, paths=(US,)))
            for _ in range(3):
                talk.exchange(sock, request("GET", US, token=token))
            talk.server.backend.set_faults(Faults(drop_every=1, paths=(US,)))
            talk.exchange(sock, request("GET", US, token=token))  # dropped: "(closed)"

    direct, plain = both(fixed_ids, monkeypatch, faulty)
    assert_alike(direct, plain)
    assert statuses(direct)[-3:] == [200, 503, 200] and direct[-1] == b"(closed)"
    assert not any(entry == f"GET {US}" for entry in taken)


def test_a_handler_that_waits_is_finished_by_uvicorn_in_turn(
    fixed_ids: Callable[[], None], taken: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A taken request whose handler awaits something is handed over mid-way; requests
    pipelined behind it wait for it, and a non-plain answer is streamed by uvicorn."""
    (table,) = [
        route.table
        for route in ROUTES
        if getattr(route, "path", "") == f"{US}/{{update_session_id}}"
    ]
    act, get = table["POST"], table["GET"]

    async def slow_act(request: Any) -> Response:
        if request.scope["query_string"] == b"action=keep-alive":
            await asyncio.sleep(0.05)
        return await act(request)

    async def streamed_get(request: Any) -> Response:
        if request.scope["query_string"] != b"stream=1":
            return await get(request)

        async def chunks() -> Any:
            yield b'"streamed"'

        return StreamingResponse(chunks(), media_type="application/json")

    monkeypatch.setitem(table, "POST", slow_act)
    monkeypatch.setitem(table, "GET", streamed_get)

    def script(talk: Conversation) -> None:
        with talk.connect() as sock:
            token, session = open_session(talk, sock)
            burst = [
                request("POST", session + "?action=keep-alive", token=token),
                request("POST", session + "?action=complete", token=token),
                request("GET", session, token=token),
            ]
            talk.exchange(sock, b"".join(burst), answers=len(burst))
            talk.exchange(sock, request("GET", session + "?stream=1", token=token))
            talk.exchange(sock, request("GET", session, token=token))

    direct, plain = both(fixed_ids, monkeypatch, script)
    assert_alike(direct, plain)
    assert statuses(direct[-5:]) == [204, 204, 200, 200, 200]
    assert b'"DONE"' in direct[-3] and b'"DONE"' in direct[-1]
    assert b"transfer-encoding: chunked" in direct[-2]
    # taken: the keep-alive (handed over as it waits), not the two queued behind it,
    # then the streamed GET (handed over for its answer) and the last GET
    assert [entry.split()[0] for entry in taken[-3:]] == ["POST", "GET", "GET"]
    assert sum(entry.startswith(f"POST {US}/") for entry in taken) == 1


def test_a_failing_error_renderer_is_uvicorns_500_through_both(
    fixed_ids: Callable[[], None],
    taken: list[str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(request: Any, exc: Exception) -> Response:
        raise RuntimeError("the renderer broke")

    original_init = FrontDoor.__init__

    def init(self: FrontDoor, *args: Any) -> None:
        original_init(self, *args)
        self.on_error = broken

    monkeypatch.setattr(FrontDoor, "__init__", init)

    def script(talk: Conversation) -> None:
        with talk.connect() as sock:
            (login,) = talk.exchange(
                sock,
                request("POST", "/api/session", headers={"Authorization": f"Basic {BASIC}"}),
            )
            talk.exchange(sock, request("GET", f"{US}/nope", token=value_of(login)))
            assert talk.closed(sock)

    with caplog.at_level("ERROR", logger="uvicorn.error"):
        direct, plain = both(fixed_ids, monkeypatch, script)
    assert_alike(direct, plain)
    assert statuses(direct) == [201, 500] and b"Internal Server Error" in direct[1]
    assert f"GET {US}/nope" in taken


@pytest.mark.parametrize(
    "target",
    [b"/a/b?x=1", b"/a/b?", b"/a?b?c", b"//x/y?z", b"/a%20b", b"/", b"/?", b"/a;b", b'/"<>^`{|}~'],
)
def test_the_split_target_is_httptools_reading(target: bytes) -> None:
    """The direct door splits a target that starts with "/" and has no "#" at its first
    "?": what ``httptools.parse_url``, which uvicorn uses, reads."""
    parsed = httptools.parse_url(target)
    path, _, query = target.partition(b"?")
    assert (path, query) == (parsed.path, parsed.query or b"")


def test_an_idle_kept_alive_connection_is_closed_after_uvicorns_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The keep-alive timer is moved, not made anew: an idle connection still closes, and
    one kept busy is not closed under it."""
    config = server_module._config

    def short(*args: Any, **kwargs: Any) -> Any:
        made = config(*args, **kwargs)
        made.timeout_keep_alive = 0.5
        return made

    monkeypatch.setattr(server_module, "_config", short)
    with MockServer(MockSettings(user=USER, password=PASSWORD)) as server:
        talk = Conversation(server)
        with talk.connect() as sock:
            token = set_up(talk, sock)
            for _ in range(8):  # 1.2 s of requests 0.15 s apart: never idle for 0.5 s
                time.sleep(0.15)
                (answer,) = talk.exchange(sock, request("GET", US, token=token))
                assert answer.startswith(b"HTTP/1.1 200 ")
            time.sleep(1.0)
            assert talk.closed(sock)
