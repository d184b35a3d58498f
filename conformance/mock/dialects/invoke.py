"""Run one /api request in-process, so every dialect reaches the same handlers and state.

A dialect describes the request (method, path, query, body, headers); ``forward`` builds
an ASGI scope from the client's own request (scheme, host and port survive, so transfer
URIs point where the client called), routes it with the app's routing table and calls the
handler. A vAPI error propagates as the ``VapiError`` the handler raised; the dialect
renders it in its own format.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Message

from .. import errors
from ..handlers.common import SESSION_HEADER, backend_of, loads
from .operations import Operation

__all__ = ["SESSION_HEADER", "call", "error_struct", "forward", "payload", "wellformed"]

_DROPPED_HEADERS = frozenset({b"content-length", b"content-type", b"client-token"})


async def call(
    request: Request, operation: Operation, inputs: Mapping[str, Any], headers: Mapping[str, str]
) -> Any:
    """Perform ``operation`` with its input fields; returns the /api result as plain JSON."""
    path = operation.path
    for name in operation.path_fields:
        value = inputs.get(name)
        if value is None:
            raise errors.missing_field(name)
        if not isinstance(value, str):
            raise errors.wrong_type(name, "a string")
        path = path.replace("{" + name + "}", wellformed(name, value))
    query: list[tuple[str, str]] = []
    if operation.action is not None:
        query.append(("action", operation.action))
    for name in operation.query:
        _add_query(query, name, inputs.get(name))
    if operation.query_struct is not None:
        spec = inputs.get(operation.query_struct)
        if isinstance(spec, dict):
            for name, value in spec.items():
                _add_query(query, name, value)
    body: Any = None
    if operation.body is not None:
        body = inputs.get(operation.body)
        if body is None:
            raise errors.missing_field(operation.body)
    elif operation.body_fields:
        body = {
            name: inputs[name] for name in operation.body_fields if inputs.get(name) is not None
        }
    extra = dict(headers)
    token = inputs.get("client_token") if operation.client_token else None
    if isinstance(token, str):
        extra["client-token"] = wellformed("client_token", token)
    raw = b"" if body is None else json.dumps(body).encode()
    response = await forward(
        request,
        operation.method,
        path,
        urlencode(query),
        raw,
        extra,
        route_key=(operation.service, operation.name),
    )
    return payload(request, response)


def _add_query(query: list[tuple[str, str]], name: str, value: Any) -> None:
    if value is None:
        return
    for item in value if isinstance(value, list) else [value]:
        query.append((name, wellformed(name, item) if isinstance(item, str) else json.dumps(item)))


def wellformed(name: str, value: str) -> str:
    """A string bound for a path, query or header: JSON can carry lone surrogates there."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise errors.wrong_type(name, "a string of valid Unicode") from exc
    return value


async def forward(
    request: Request,
    method: str,
    path: str,
    query_string: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    route_key: object = None,
) -> Response:
    """The handler's response to ``method path?query`` with ``body`` and these headers.

    ``headers`` are added to the client's own (minus its body headers); a name given
    in both takes the value given here. Requests with the same ``route_key`` (an
    operation) try the route the first one took before walking the table.
    """
    overrides = {name.lower().encode("latin-1"): value for name, value in headers.items()}
    raw_headers = [
        (name, value)
        for name, value in request.scope["headers"]
        if name not in _DROPPED_HEADERS and name not in overrides
    ]
    raw_headers.extend((name, value.encode("utf-8")) for name, value in overrides.items())
    if body:
        raw_headers.append((b"content-type", b"application/json"))
        raw_headers.append((b"content-length", str(len(body)).encode()))
    client_scope = request.scope
    scope: dict[str, Any] = {
        "type": "http",
        "http_version": client_scope.get("http_version", "1.1"),
        "scheme": client_scope.get("scheme", "http"),
        "server": client_scope.get("server"),
        "client": client_scope.get("client"),
        "app": client_scope.get("app"),
        "method": method,
        "path": path,
        "raw_path": path.encode("utf-8"),
        "root_path": "",
        "query_string": query_string.encode("latin-1"),
        "headers": raw_headers,
    }
    if "state" in client_scope:
        scope["state"] = client_scope["state"]
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    routes: list[Any] = request.app.router.routes
    cached = _ROUTES.get((id(routes), route_key)) if route_key is not None else None
    if cached is not None:
        match, child = cached.matches(scope)
        if match is Match.FULL:
            scope.update(child)
            return await _respond(cached, scope, receive)
    allowed: list[str] = []
    for route in routes:
        match, child = route.matches(scope)
        if match is Match.FULL and isinstance(route, Route):
            scope.update(child)
            if route_key is not None:
                _ROUTES[(id(routes), route_key)] = route
            return await _respond(route, scope, receive)
        if match is Match.PARTIAL and isinstance(route, Route):
            allowed.extend(sorted(route.methods or ()))
    if allowed:
        raise errors.no_operation_for_method(method, path, ", ".join(allowed))
    raise errors.no_operation_for_url(path)


_ROUTES: dict[tuple[int, object], Route] = {}


async def _respond(route: Route, scope: dict[str, Any], receive: Any) -> Response:
    response: Response = await route.endpoint(Request(scope, receive))
    return response


def payload(request: Request, response: Response) -> Any:
    """The JSON value of a handler's success response (None when it has no body).

    ``success-legacy-envelope`` wraps /api bodies in ``{"value": ...}``; that flaw is about
    the /api wire, so the dialects see the bare value.
    """
    if not response.body:
        return None
    value = loads(bytes(response.body))
    if backend_of(request).flawed("success-legacy-envelope") and isinstance(value, dict):
        value = value.get("value")
    return value


def error_struct(request: Request, error: errors.VapiError) -> dict[str, Any]:
    """The standard-error structure every dialect sends, with the flaws that change it."""
    backend = backend_of(request)
    body = error.body(with_error_type=not backend.flawed("error-body-no-error-type"))
    if backend.flawed("error-messages-empty"):
        body["messages"] = []
    return body
