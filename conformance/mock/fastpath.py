"""The mock's front door: /api REST requests straight to their handler, in plain ASGI.

Under uvicorn a lifecycle request (create, complete, delete) cost the mock about 150 µs
of server CPU, bare Starlette 100 and a plain ASGI callable 55 (``bench/hotpath.py``);
in-process, the difference was Starlette's layers, not the mock's rules: two middleware
layers that each wrap ``send``, the exception layer, the router's regexes and scope
updates, and the ``Response`` call. So the /api REST routes, the only ones a conformance
run keeps calling, and the JSON-RPC (``POST /api``, the SDK's) and /rest doors, are
served here:

* ``ShapeTable`` matches a path by its segments (literal, ``{param}``, a trailing
  ``{name:path}``) and the method, with Starlette's rule: the first route in the table
  that matches path and method, else nothing (Starlette then answers 404 or 405);
* the handler is the same ``request -> response`` function, given the same Starlette
  ``Request`` (path parameters in the scope, as the router puts them);
* its answer is sent as ``Response.__call__`` sends it (status, raw headers, body), and an
  exception is answered by the app's one error renderer, as the exception and crash
  layers would.

Everything else goes to the Starlette app: transfers, the admin routes, a 404 or a
405, a request under a ``root_path``, and every request while a fault is configured (the
fault layer lives there), so those answers are the same by construction.
``tests/test_mock_fastpath.py`` replays requests through both doors.
Under uvicorn the mock's protocol (``direct.py``) answers most of these requests from
its parser callbacks, with the same handlers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from starlette.datastructures import QueryParams
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from .handlers.common import Endpoint

__all__ = ["PREFIX", "FrontDoor", "LeanRequest", "ShapeTable", "is_plain", "send_answer"]

#: the routes served here: the /api REST resources, ``POST /api`` (the JSON-RPC door)
#: and the legacy /rest door; a path that starts otherwise is Starlette's at once
PREFIX = ("/api", "/rest/")

ErrorAnswer = Callable[[Request, Exception], Awaitable[Response]]


@dataclass(frozen=True)
class _Shape:
    """One route's path as segments: literals by position, parameters by position, and
    the name of a trailing ``path`` parameter (which takes the rest, "/" and all)."""

    size: int  # segments before the tail, the leading "" included
    literals: tuple[tuple[int, str], ...]
    params: tuple[tuple[int, str], ...]
    tail: str | None
    table: dict[str, Endpoint]

    def params_of(self, parts: list[str]) -> dict[str, str] | None:
        """The path parameters if ``parts`` has this shape, else None."""
        count = len(parts)
        if count != self.size if self.tail is None else count <= self.size:
            return None
        for index, literal in self.literals:
            if parts[index] != literal:
                return None
        out = {}
        for index, name in self.params:
            value = parts[index]
            if not value:  # Starlette's str convertor: [^/]+
                return None
            out[name] = value
        if self.tail is not None:
            out[self.tail] = "/".join(parts[self.size :])
        return out


def _shape(path: str, table: dict[str, Endpoint]) -> _Shape:
    """The shape of a route path; ValueError for a parameter type it cannot match."""
    parts = path.split("/")
    literals: list[tuple[int, str]] = []
    params: list[tuple[int, str]] = []
    tail = None
    for index, part in enumerate(parts):
        if not (part.startswith("{") and part.endswith("}")):
            if "{" in part or "}" in part:
                raise ValueError(f"{path}: a parameter inside a segment")
            literals.append((index, part))
            continue
        name, _, kind = part[1:-1].partition(":")
        if kind == "path" and index == len(parts) - 1:
            tail = name
        elif kind in ("", "str"):
            params.append((index, name))
        else:
            raise ValueError(f"{path}: a {kind or 'str'} parameter the front door cannot match")
    size = len(parts) - (tail is not None)
    return _Shape(size, tuple(literals), tuple(params), tail, table)


class ShapeTable:
    """The /api REST routes of a routing table, matched by segments instead of regexes.

    Built from the routes that have a method table (``routes.resource``), in table
    order, so the first match is the one Starlette's router would pick: its regexes for
    these paths (``[^/]+`` per parameter, ``.*`` for a trailing ``path`` one) match
    exactly the segment lists matched here.
    """

    def __init__(self, routes: Iterable[BaseRoute]) -> None:
        self._shapes: list[_Shape] = []
        for route in routes:
            path = getattr(route, "path", "")
            table = getattr(route, "table", None)
            if not path.startswith(PREFIX):
                continue
            if table is None:
                raise ValueError(f"{path}: a front door route without a method table")
            self._shapes.append(_shape(path, table))
        self._by_size: dict[int, tuple[_Shape, ...]] = {}
        #: recent paths -> the routes they match, in table order, with their parameters:
        #: a session's path is asked for again and again (get, actions, delete); emptied
        #: when full, so it stays small
        self._recent: dict[str, tuple[tuple[dict[str, Endpoint], dict[str, str]], ...]] = {}

    def _candidates(self, size: int) -> Sequence[_Shape]:
        found = self._by_size.get(size)
        if found is None:
            found = tuple(
                s for s in self._shapes if (s.size == size if s.tail is None else size > s.size)
            )
            if size <= 64:  # a bounded cache: head size bounds the segments, not tightly
                self._by_size[size] = found
        return found

    def match(self, method: str, path: str) -> tuple[Endpoint, dict[str, str]] | None:
        """The endpoint and path parameters for a request, or None (Starlette decides)."""
        matches = self._recent.get(path)
        if matches is None:
            if not path.startswith(PREFIX):
                return None
            matches = self._matches(path)
            if len(self._recent) >= _RECENT_KEPT:
                self._recent.clear()
            self._recent[path] = matches
        for table, params in matches:
            endpoint = table.get(method)
            if endpoint is not None:
                return endpoint, params.copy()
        return None  # a 405, or no route: Starlette's

    def _matches(self, path: str) -> tuple[tuple[dict[str, Endpoint], dict[str, str]], ...]:
        """Every route whose path matches, in table order, with its parameters."""
        parts = path.split("/")
        found = []
        for shape in self._candidates(len(parts)):
            params = shape.params_of(parts)
            if params is not None:
                found.append((shape.table, params))
        return tuple(found)


_RECENT_KEPT = 1024


class LeanRequest(Request):
    """Starlette's ``Request``, reading a plain query string (no ``%`` escape, no ``+``)
    without ``urllib``: ``action=complete`` is on every action call."""

    @property
    def query_params(self) -> QueryParams:
        try:
            return self._query_params
        except AttributeError:
            pass
        raw: bytes = self.scope["query_string"]
        known = _SHORT_QUERIES.get(raw)
        if known is not None:
            self._query_params = known
            return known
        if b"%" in raw or b"+" in raw:
            self._query_params = QueryParams(raw)
            return self._query_params
        # parse_qsl(keep_blank_values=True) without escapes: split, keep "a" as "a="; then
        # the state QueryParams(raw) would hold, set directly (its generic constructor
        # costs several times the split; tests/test_mock_fastpath.py compares the two)
        parts = [part.partition("=") for part in raw.decode("latin-1").split("&") if part]
        params = QueryParams.__new__(QueryParams)
        params._list = [(name, value) for name, _, value in parts]
        params._dict = {name: value for name, _, value in parts}
        self._query_params = params
        if len(raw) <= _SHORT_QUERY and len(_SHORT_QUERIES) < _SHORT_QUERIES_KEPT:
            _SHORT_QUERIES[raw] = params  # immutable: shared by every request that has it
        return params


#: short query strings read so far (``action=complete``...), up to a bound: a session id
#: or token is longer, so ids do not fill it
_SHORT_QUERIES: dict[bytes, QueryParams] = {}
_SHORT_QUERY = 32
_SHORT_QUERIES_KEPT = 256


class _Backed(Protocol):
    @property
    def fault_injector(self) -> object | None: ...


class FrontDoor:
    """The mock's ASGI entry: the /api REST routes by ``ShapeTable``, the rest to
    ``fallback`` (the Starlette app's own entry).

    ``app`` goes in the scope, as Starlette puts itself there (handlers read the backend
    from it); ``on_error`` answers an exception as the app's exception and crash layers do.
    """

    def __init__(
        self,
        fallback: ASGIApp,
        app: object,
        backend: _Backed,
        routes: Iterable[BaseRoute],
        on_error: ErrorAnswer,
    ) -> None:
        self.fallback = fallback
        self.app = app
        self.backend = backend
        self.table = ShapeTable(routes)
        self.on_error = on_error

    def route(self, scope: Scope) -> tuple[Endpoint, dict[str, str]] | None:
        """The endpoint and path parameters of a request this door answers, else None:
        not HTTP, under a ``root_path``, no /api REST route, or a fault configured."""
        if (
            scope["type"] != "http"
            or self.backend.fault_injector is not None
            or scope.get("root_path")
        ):
            return None
        return self.table.match(scope["method"], scope["path"])

    async def answer(self, work: Awaitable[Response | None], request: Request) -> Response | None:
        """``work``'s answer (an endpoint's call on ``request``), or the error renderer's
        for what it raised; None when the client is gone (a disconnect while its body
        was read)."""
        try:
            return await work
        except ClientDisconnect:
            return None  # nobody is listening (a client gone, or a stalled request aborted)
        except Exception as exc:
            return await self.on_error(request, exc)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self.route(scope)
        if found is None:
            await self.fallback(scope, receive, send)
            return
        endpoint, params = found
        scope["app"] = self.app
        scope["path_params"] = params
        request = LeanRequest(scope, receive, send)
        response = await self.answer(endpoint(request), request)
        if response is not None:
            await send_answer(response, scope, receive, send)


def is_plain(response: Response) -> bool:
    """Is ``response`` sent as ``Response.__call__`` sends it (status, headers, body),
    with nothing streamed and no background task?"""
    return type(response).__call__ is Response.__call__ and response.background is None


async def send_answer(response: Response, scope: Scope, receive: Receive, send: Send) -> None:
    """Send ``response`` as ``Response.__call__`` would, without its call."""
    if not is_plain(response):
        await response(scope, receive, send)  # a streaming or otherwise special answer
        return
    await send(
        {
            "type": "http.response.start",
            "status": response.status_code,
            "headers": response.raw_headers,
        }
    )
    await send({"type": "http.response.body", "body": response.body})
