"""The direct door: the front door's requests answered from the HTTP parser's callbacks.

Under uvicorn a request costs the server, before the app does anything, an ASGI scope,
a ``RequestResponseCycle`` with its ``asyncio.Event``, a task, and a ``receive`` and two
``send`` coroutine calls that check and re-encode each header (``bench/hotpath.py``:
about 36 µs of a plain ASGI callable's lifecycle request, the mock's own work 35 more).
The requests a conformance run keeps making, the /api REST routes of the front door
(``fastpath.py``), are small and complete: so this protocol takes them whole.

At the end of the head it decides. A request the front door would answer (its route,
no fault configured) whose body is small and declared (``Content-Length``, no chunks),
that expects no ``100 Continue``, carries no ``X-Forwarded-*`` header (uvicorn's proxy
header layer would rewrite its scope), and comes while no earlier request of the
connection is still being answered, is **taken**: its body is collected as it arrives,
and when it is complete the same handler runs on the same ``Request`` (its coroutine
driven here, as none of these handlers waits for anything but its body), and the
answer is written as uvicorn writes it: the same status line, uvicorn's default headers
(``date``, ``server``), the answer's headers, ``connection: close`` when the request
did not keep the connection alive, then the body. Then uvicorn's own end-of-response
step runs (keep-alive timer, request count).

Everything else goes through uvicorn's normal path and the front door's ASGI entry:
transfers, admin routes, dialects, faults, 404 and 405, HEAD, big or chunked bodies,
requests behind a running one (pipelining), upgrades. So does a taken request whose
handler does wait after all, or whose answer is not a plain one (streamed, a background
task, a header uvicorn would refuse, a length that does not match): it is handed over
to a ``RequestResponseCycle`` made for it, and uvicorn finishes it as it finishes any.
The head limit and the idle timeout are the base protocol's, and apply alike.
"""

from __future__ import annotations

import asyncio
import urllib.parse
from collections.abc import Awaitable, Coroutine, Generator
from typing import Any, ClassVar, cast

import httptools
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware
from uvicorn.protocols.http.httptools_impl import (
    HEADER_RE,
    HEADER_VALUE_RE,
    STATUS_LINE,
    HttpToolsProtocol,
    RequestResponseCycle,
)

from .fastpath import FrontDoor, LeanRequest, is_plain, send_answer
from .faults import ABORT_EXTENSION
from .handlers.common import Endpoint
from .limits import STALL_EXTENSION, LimitedHttpToolsProtocol

__all__ = ["DirectHttpToolsProtocol", "direct_protocol"]

#: the largest body taken directly; a larger one streams through uvicorn (its read
#: buffer's high-water mark: below it, uvicorn would never pause reading either)
MAX_DIRECT_BODY = 64 * 1024

#: the headers that decide whether a request can be taken (in lower case, as kept)
_WATCHED = frozenset(
    {b"content-length", b"transfer-encoding", b"x-forwarded-for", b"x-forwarded-proto"}
)


def _front_door_of(config: Any) -> FrontDoor | None:
    """The app's ``FrontDoor``, if uvicorn serves the app as it is (or behind only its
    proxy header layer, which the door steps around); else None, and no direct door."""
    loaded = config.loaded_app
    if isinstance(loaded, ProxyHeadersMiddleware):
        loaded = loaded.app
    if loaded is not config.app:
        return None
    door = getattr(loaded, "front_door", None)
    return door if isinstance(door, FrontDoor) else None


class _Taken:
    """A request the direct door took: its handler, its body so far, and its uvicorn
    cycle once it is handed over."""

    __slots__ = ("body", "cycle", "delivered", "endpoint", "keep_alive", "protocol")

    def __init__(
        self, protocol: DirectHttpToolsProtocol, endpoint: Endpoint, keep_alive: bool
    ) -> None:
        self.protocol = protocol
        self.endpoint = endpoint
        self.keep_alive = keep_alive
        self.body = b""
        self.delivered = False
        self.cycle: RequestResponseCycle | None = None

    async def receive(self) -> Message:
        """The request's ASGI ``receive``: the body (which the ``Request`` holds already),
        then whatever uvicorn's cycle says (a disconnect)."""
        if not self.delivered:
            self.delivered = True
            return {"type": "http.request", "body": self.body, "more_body": False}
        message = await self.protocol._cycle_of(self).receive()
        return cast(Message, message)


class _Resume:
    """Awaits the rest of a coroutine that was started by hand and yielded ``waiting``
    (the future it waits for): a task awaiting this one carries it on."""

    def __init__(self, coroutine: Any, waiting: Any) -> None:
        self.coroutine = coroutine
        self.waiting = waiting

    def __await__(self) -> Generator[Any, None, Response | None]:
        try:
            yield self.waiting  # the task waits for it, then resumes the coroutine
        except BaseException as exc:  # a cancellation: the coroutine's, where it waits
            try:
                self.waiting = self.coroutine.throw(exc)
            except StopIteration as done:
                answer: Response | None = done.value
                return answer
            return (yield from self.__await__())
        result: Response | None = yield from self.coroutine.__await__()
        return result


class DirectHttpToolsProtocol(LimitedHttpToolsProtocol):
    """The mock's uvicorn protocol (``limits.py``) with the direct door.

    Its parser callbacks do the base classes' work in one call each (uvicorn's, then the
    limits'), and build the ASGI scope only at the end of the head, once it is known
    which door the request takes. The keep-alive timer is armed once and moved, not
    made anew for every answer: an idle connection closes after uvicorn's
    ``timeout_keep_alive`` since its last answer, as before.
    """

    #: (uvicorn's default headers list, those headers as bytes): uvicorn makes a new
    #: list each second (its ``date``), so the encoding is cached per list
    _defaults: ClassVar[tuple[object, bytes | None]] = (None, None)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        door = _front_door_of(self.config)
        # what holds for the whole connection: the app is the mock's, at the root, with
        # no concurrency limit (a 503 of uvicorn's) and no access log (uvicorn's lines)
        open_door = not self.root_path and self.limit_concurrency is None and not self.access_log
        self._door = door if open_door else None
        self._taken: _Taken | None = None
        self._idle_since: float | None = None  # the last answer's end, while idle

    # -- bytes in: the limits' work and uvicorn's, in one call --------------------------
    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        self._last_data = self.loop.time()
        if self._in_head:
            self._raw_head_bytes += len(data)
        self._idle_since = None  # busy (uvicorn would cancel its keep-alive timer here)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.logger.warning("Invalid HTTP request received.")
            self.send_400_response("Invalid HTTP request received.")
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
        if self._refused or self.transport.is_closing():
            return
        if self._in_head and self._raw_head_bytes > self.max_head_bytes:
            self._refuse_head()  # a head that never ends: httptools would hold it all
            return
        self._watch_idle()

    # -- the head ----------------------------------------------------------------------
    def on_message_begin(self) -> None:
        self.url = b""
        self.expect_100_continue = False
        self.headers = []
        self._receiving, self._in_head = True, True
        self._head_bytes = 0

    def on_url(self, url: bytes) -> None:
        self._head_bytes += len(url)
        if self._head_bytes > self.max_head_bytes:
            self._stop_head()
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_bytes += len(name) + len(value) + 4  # ": " and CRLF
        if self._head_bytes > self.max_head_bytes:
            self._stop_head()
        name = name.lower()
        if name == b"expect" and value.lower() == b"100-continue":
            self.expect_100_continue = True
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._raw_head_bytes = 0
        taken = self._take() if self._door is not None else None
        self._taken = taken
        if taken is not None:
            return
        # uvicorn's way: its scope (as its on_message_begin makes it), with the hooks
        self._stall = {"idle_timeout": self.idle_timeout, "stalled": False}
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": self.asgi_version, "spec_version": "2.3"},
            "http_version": "1.1",
            "server": self.server,
            "client": self.client,
            "scheme": self.scheme,
            "root_path": self.root_path,
            "headers": self.headers,
            "state": self.app_state.copy(),
            "extensions": {
                ABORT_EXTENSION: {"abort": self.transport.abort},
                STALL_EXTENSION: self._stall,
            },
        }
        self.scope = cast(Any, scope)
        HttpToolsProtocol.on_headers_complete(self)

    def _take(self) -> _Taken | None:
        """The request, if the direct door answers it."""
        door = self._door
        parser = self.parser
        cycle = self.cycle
        url = self.url
        if (
            door is None
            or door.backend.fault_injector is not None
            or self.expect_100_continue
            or (cycle is not None and not cycle.response_complete)
            or not url.startswith(b"/")
            or b"#" in url
            or not url.isascii()
            or self.transport.is_closing()
            or parser.should_upgrade()
        ):
            return None
        for name, value in self.headers:
            if name in _WATCHED:
                if name != b"content-length":
                    return None  # chunked, or the proxy header layer's to read
                if not value.strip().isdigit() or int(value) > MAX_DIRECT_BODY:
                    return None
        method = parser.get_method()
        if method == b"HEAD":
            return None
        # what httptools.parse_url gives for such a target (tests/test_mock_direct.py)
        raw_path, _, query = url.partition(b"?")
        path = raw_path.decode("ascii")
        if "%" in path:
            path = urllib.parse.unquote(path)
        method_name = method.decode("ascii")
        found = door.table.match(method_name, path)
        if found is None:
            return None
        http_version = parser.get_http_version()
        keep_alive = http_version != "1.0" and parser.should_keep_alive()
        # the scope uvicorn would make, and what the front door adds
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": self.asgi_version, "spec_version": "2.3"},
            "http_version": http_version,
            "server": self.server,
            "client": self.client,
            "scheme": self.scheme,
            "root_path": "",
            "headers": self.headers,
            "state": self.app_state.copy(),
            "method": method_name,
            "path": path,
            "raw_path": raw_path,
            "query_string": query,
            "app": door.app,
            "path_params": found[1],
        }
        self.scope = cast(Any, scope)
        return _Taken(self, found[0], keep_alive)

    # -- keep-alive: one timer per connection, moved on ------------------------------------
    def _unset_keepalive_if_required(self) -> None:
        self._idle_since = None  # busy: the timer, when due, finds nothing to do

    def on_response_complete(self) -> None:
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        self._idle_since = None
        self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
            return
        self._idle_since = self.loop.time()
        if self.timeout_keep_alive_task is None:
            self.timeout_keep_alive_task = self.loop.call_later(
                self.timeout_keep_alive, self._keep_alive_due
            )

    def _keep_alive_due(self) -> None:
        self.timeout_keep_alive_task = None
        since = self._idle_since
        if since is None:
            return  # a request came meanwhile; its answer arms the timer again
        left = since + self.timeout_keep_alive - self.loop.time()
        if left > 0:
            self.timeout_keep_alive_task = self.loop.call_later(left, self._keep_alive_due)
        else:
            self.timeout_keep_alive_handler()

    # -- the body, and the answer ------------------------------------------------------
    def on_body(self, body: bytes) -> None:
        taken = self._taken
        if taken is None:
            HttpToolsProtocol.on_body(self, body)
        else:
            taken.body += body

    def on_message_complete(self) -> None:
        self._receiving, self._in_head = False, True
        self._raw_head_bytes = 0
        taken = self._taken
        if taken is None:
            HttpToolsProtocol.on_message_complete(self)
            return
        self._taken = None
        self._answer(taken)

    def _answer(self, taken: _Taken) -> None:
        door = self._door
        assert door is not None
        request = LeanRequest(cast(Any, self.scope), taken.receive)
        request._body = taken.body  # read whole: no receive needed (handlers.common.read_body)
        receive = request.receive
        # driven here: an /api handler waits for nothing, as a rule
        work = cast(Coroutine[Any, Any, Response | None], taken.endpoint(request))
        try:
            waiting = work.send(None)
        except StopIteration as done:
            response: Response | None = done.value
        except BaseException as exc:  # the front door's error answer, driven alike
            work = door.answer(_raise(exc), request)
            try:
                waiting = work.send(None)
            except StopIteration as done:
                response = done.value
            except BaseException as failure:  # the renderer failed too: uvicorn's 500
                self._hand_over(taken, _raise(failure), receive)
                return
            else:
                self._hand_over(taken, _Resume(work, waiting), receive)
                return
        else:  # the handler waits for something after all: uvicorn carries on
            self._hand_over(taken, door.answer(_Resume(work, waiting), request), receive)
            return
        if response is None or taken.cycle is not None or not is_plain(response):
            self._hand_over(taken, _ready(response), receive)
            return
        data = self._encode(response, taken.keep_alive)
        if data is None:
            self._hand_over(taken, _ready(response), receive)
            return
        self.transport.write(data)
        if not taken.keep_alive:
            self.transport.close()
        self.on_response_complete()

    def _encode(self, response: Response, keep_alive: bool) -> bytes | None:
        """The answer as uvicorn writes it; None for anything it would write otherwise
        (chunked, a connection header) or refuse (a bad header, a wrong length)."""
        status = response.status_code
        body = response.body
        if not isinstance(body, bytes):
            return None
        status_line = STATUS_LINE.get(status)
        defaults = self.server_state.default_headers
        cached = DirectHttpToolsProtocol._defaults
        if cached[0] is not defaults:
            cached = DirectHttpToolsProtocol._defaults = (defaults, _encode_defaults(defaults))
        if status_line is None or cached[1] is None:
            return None
        content = [status_line, cached[1]]
        length = -1
        for pair in response.raw_headers:
            line = _LINES.get(pair)
            if line is None:
                line = _line(pair)
                if line is None:
                    return None
            if line[1] >= 0:  # a content-length
                if length >= 0:
                    return None
                length = line[1]
            content.append(line[0])
        if (length == -1 and status not in (204, 304)) or len(body) != max(length, 0):
            return None
        if not keep_alive:
            content.append(b"connection: close\r\n")
        content += (b"\r\n", body)
        return b"".join(content)

    # -- handing a taken request over to uvicorn ---------------------------------------
    def _cycle_of(self, taken: _Taken) -> RequestResponseCycle:
        """The uvicorn cycle of a taken request (made on first need): its body is in."""
        if taken.cycle is None:
            cycle = RequestResponseCycle(
                scope=self.scope,
                transport=self.transport,
                flow=self.flow,
                logger=self.logger,
                access_logger=self.access_logger,
                access_log=self.access_log,
                default_headers=self.server_state.default_headers,
                message_event=asyncio.Event(),
                expect_100_continue=False,
                keep_alive=taken.keep_alive,
                on_response=self.on_response_complete,
            )
            cycle.more_body = False
            taken.cycle = self.cycle = cycle
        return taken.cycle

    def _hand_over(self, taken: _Taken, rest: Awaitable[Response | None], receive: Receive) -> None:
        """Let uvicorn finish the request: a task awaits ``rest`` and sends its answer."""
        cycle = self._cycle_of(taken)

        async def finish(scope: Scope, _receive: Receive, send: Send) -> None:
            response = await rest
            if response is not None:
                await send_answer(response, scope, receive, send)

        self._start_asgi_task(cycle, cast(Any, finish))

    # -- the connection's end ----------------------------------------------------------
    def connection_lost(self, exc: Exception | None) -> None:
        self._taken = None  # a request cut short: nobody to answer
        if self.timeout_keep_alive_task is not None:
            self.timeout_keep_alive_task.cancel()
            self.timeout_keep_alive_task = None
        super().connection_lost(exc)

    def shutdown(self) -> None:
        taken = self._taken
        if taken is not None:  # still arriving: answer it, then close
            taken.keep_alive = False
            return
        super().shutdown()


#: header (name, value) -> (its line as uvicorn writes it, the length it declares or -1):
#: the answers' headers recur (content-type, most lengths), so each is checked once
_LINES: dict[tuple[bytes, bytes], tuple[bytes, int]] = {}
_LINES_KEPT = 512


def _line(pair: tuple[bytes, bytes]) -> tuple[bytes, int] | None:
    """A header checked as uvicorn checks it; None if uvicorn would refuse it or treat it
    specially (``transfer-encoding``, ``connection``)."""
    name, value = pair
    if HEADER_RE.search(name) or HEADER_VALUE_RE.search(value):
        return None
    name = name.lower()
    length = -1
    if name == b"content-length":
        try:
            length = int(value.decode())
        except ValueError:
            return None
        if length < 0:
            return None
    elif name in (b"transfer-encoding", b"connection"):
        return None
    line = (name + b": " + value + b"\r\n", length)
    if len(_LINES) < _LINES_KEPT:
        _LINES[pair] = line
    return line


def _encode_defaults(headers: list[tuple[bytes, bytes]]) -> bytes | None:
    """uvicorn's default headers (``date``, ``server``) as it writes them before an
    answer's own; None if any is one it would treat specially (or refuse)."""
    out = []
    for name, value in headers:
        lower = name.lower()
        if (
            HEADER_RE.search(name)
            or HEADER_VALUE_RE.search(value)
            or lower in (b"content-length", b"transfer-encoding", b"connection")
        ):
            return None
        out.append(lower + b": " + value + b"\r\n")
    return b"".join(out)


async def _ready(response: Response | None) -> Response | None:
    return response


async def _raise(exc: BaseException) -> Response | None:
    raise exc


def direct_protocol(max_head_bytes: int, idle_timeout: float) -> type[DirectHttpToolsProtocol]:
    """The direct door's protocol class with these limits, for ``uvicorn.Config(http=...)``."""
    attributes = {"max_head_bytes": max_head_bytes, "idle_timeout": idle_timeout}
    return cast(
        type[DirectHttpToolsProtocol],
        type("DirectHttpToolsProtocol", (DirectHttpToolsProtocol,), attributes),
    )
