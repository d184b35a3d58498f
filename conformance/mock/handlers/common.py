"""Request parsing and response helpers shared by every handler."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any, cast

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .. import errors
from ..models import Backend

__all__ = [
    "SESSION_HEADER",
    "Body",
    "Endpoint",
    "authenticated",
    "backend_of",
    "client_token",
    "created",
    "no_content",
    "ok",
    "opt_int",
    "opt_str",
    "optional_object",
    "req_str",
    "required_object",
    "unknown_fields",
]

SESSION_HEADER = "vmware-api-session-id"

Endpoint = Callable[[Request], Awaitable[Response]]
Body = dict[str, Any]


def backend_of(request: Request) -> Backend:
    return cast(Backend, request.app.state.backend)


def authenticated(endpoint: Endpoint) -> Endpoint:
    """Require a live ``vmware-api-session-id`` (and restart its inactivity timer)."""

    @functools.wraps(endpoint)
    async def wrapper(request: Request) -> Response:
        backend = backend_of(request)
        if not backend.flawed("no-auth-required"):
            backend.api_sessions.touch(request.headers.get(SESSION_HEADER))
        return await endpoint(request)

    return wrapper


# -- responses --------------------------------------------------------------------------


def ok(backend: Backend, data: Any, status: int = 200) -> Response:
    """A JSON success body: the bare value, as /api sends it."""
    if backend.variants:
        data = wire_variants(backend, data)
        if isinstance(data, list) and backend.varied("lists-reversed"):
            data.reverse()
    if backend.flawed("success-legacy-envelope"):
        data = {"value": data}
    return JSONResponse(data, status_code=status, media_type=json_media_type(backend))


def json_media_type(backend: Backend) -> str:
    if backend.varied("content-type-charset"):
        return "application/json; charset=utf-8"
    return "application/json"


_ZULU = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$")


def wire_variants(backend: Backend, data: Any) -> Any:
    """The freedoms any JSON server has, applied to a body on its way out (variants)."""
    if isinstance(data, dict):
        out = {k: wire_variants(backend, v) for k, v in data.items()}
        if backend.varied("extra-response-fields"):
            out["x_newer_server_field"] = {"added_in": "a later release"}
        return out
    if isinstance(data, list):
        items = [wire_variants(backend, v) for v in data]
        return items
    if isinstance(data, str):
        match = _ZULU.match(data)
        if match is not None:
            if backend.varied("datetime-offset"):
                return match.group(1) + "+00:00"
            if backend.varied("datetime-microseconds"):
                return f"{match.group(1)}.{(match.group(2) or '').ljust(6, '0')[:6]}Z"
    return data


def created(backend: Backend, ident: str, status: int = 201) -> Response:
    """Creates answer 201 with the new id as a bare JSON string."""
    return ok(backend, ident, status)


def no_content(backend: Backend) -> Response:
    """Void operations answer 204 with no body (200 under ``void-returns-200``)."""
    return Response(status_code=200 if backend.flawed("void-returns-200") else 204)


# -- request bodies ---------------------------------------------------------------------


async def required_object(request: Request) -> Body:
    """The JSON object in a required body."""
    body = await _read_object(request, required=True)
    assert body is not None  # _read_object raises instead
    return body


async def optional_object(request: Request) -> Body | None:
    """The JSON object in an optional body; None when it is absent, empty or ``null``."""
    return await _read_object(request, required=False)


async def _read_object(request: Request, *, required: bool) -> Body | None:
    """Parse the body as a JSON object.

    Anything that is not a JSON object is 400 INVALID_ARGUMENT, never a 500 (unless the
    ``malformed-json-500`` flaw is on). Unknown keys are kept and ignored by the callers.
    """
    raw = await request.body()
    if not raw.strip():
        if required:
            raise errors.bad_body("a request body is required")
        return None
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        if backend_of(request).flawed("malformed-json-500"):
            raise errors.internal_error(type(exc).__name__) from exc
        if backend_of(request).varied("malformed-json-invalid-request"):
            raise errors.unparseable_body() from exc
        raise errors.bad_body("the body is not valid JSON") from exc
    if value is None and not required:
        return None
    if not isinstance(value, dict):
        raise errors.bad_body("the body must be a JSON object")
    return value


def unknown_fields(request: Request) -> str | None:
    """How this mock answers unknown body properties: ignored (None) or refused (a type)."""
    backend = backend_of(request)
    if backend.varied("unknown-fields-unexpected-input"):
        return "UNEXPECTED_INPUT"
    if backend.varied("unknown-fields-refused"):
        return "INVALID_ARGUMENT"
    return None


def opt_str(body: Body, key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise errors.wrong_type(key, "a string")
    return value


def req_str(body: Body, key: str) -> str:
    value = opt_str(body, key)
    if value is None:
        raise errors.missing_field(key)
    return value


def opt_int(body: Body, key: str) -> int | None:
    """An integer field; ``5.0`` counts as 5 (JSON does not tell them apart)."""
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise errors.wrong_type(key, "an integer")
    return value


def client_token(request: Request) -> str | None:
    """``client_token``: a query parameter in the 8.0.2 spec, a header in the 9.x bindings."""
    token = request.query_params.get("client_token")
    return token if token is not None else request.headers.get("client-token")
