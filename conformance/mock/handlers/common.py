"""Request parsing and response helpers shared by every handler."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from .. import errors
from ..models import Backend

__all__ = [
    "SESSION_HEADER",
    "STDLIB_JSON",
    "Body",
    "BodyTooLarge",
    "Endpoint",
    "JsonAnswer",
    "authenticated",
    "backend_of",
    "client_token",
    "created",
    "header",
    "loads",
    "no_content",
    "ok",
    "opt_int",
    "opt_str",
    "optional_object",
    "parse_json",
    "read_body",
    "req_str",
    "required_object",
    "unknown_fields",
]

SESSION_HEADER = "vmware-api-session-id"

Endpoint = Callable[[Request], Awaitable[Response]]
Body = dict[str, Any]


def backend_of(request: Request) -> Backend:
    """The app's state: ``create_app`` sets ``app.backend`` (a plain attribute, read on
    every request; ``app.state.backend`` is the same object, for tests)."""
    backend: Backend = request.scope["app"].backend  # a typed name, not cast(): a call less
    return backend


_SESSION_HEADER_RAW = SESSION_HEADER.encode("latin-1")


def authenticated(endpoint: Endpoint) -> Endpoint:
    """Require a live ``vmware-api-session-id`` (and restart its inactivity timer)."""

    @functools.wraps(endpoint)
    async def wrapper(request: Request) -> Response:
        backend = backend_of(request)
        if not backend.flawed("no-auth-required"):
            backend.api_sessions.touch(_session_header(request))
        return await endpoint(request)

    return wrapper


def _session_header(request: Request) -> str | None:
    return header(request, _SESSION_HEADER_RAW)


def header(request: Request, name: bytes) -> str | None:
    """``request.headers.get(name)``, without building the ``Headers``: ``name`` in lower
    case, as the ASGI server gives header names, and the first one wins, as there."""
    for key, value in request.scope["headers"]:
        if key == name:
            text: str = value.decode("latin-1")
            return text
    return None


# -- responses --------------------------------------------------------------------------


def ok(backend: Backend, data: Any, status: int = 200) -> Response:
    """A JSON success body: the bare value, as /api sends it."""
    if backend.variants:
        data = wire_variants(backend, data)
        if isinstance(data, list) and backend.varied("lists-reversed"):
            data.reverse()
    if backend.flawed("success-legacy-envelope"):
        data = {"value": data}
    return JsonAnswer(data, status, json_media_type(backend))


#: What Starlette's ``JSONResponse`` encodes with, built once (the fallback of ``JsonAnswer``,
#: and the /rest dialect's encoder).
STDLIB_JSON = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


class JsonAnswer(Response):
    """``JSONResponse(data, status, media_type=...)``, the same bytes and headers, cheaper.

    Encoding was the largest single cost of a GET (``bench/hotpath.py``): the stdlib
    ``json.dumps`` with non-default options builds an encoder per call, about 10 µs;
    orjson takes under 1. Its output is the stdlib's for every value the mock sends (UTF-8,
    no spaces) except two: NaN and infinities, which orjson writes as ``null`` and the
    stdlib refuses (a 500); and floats under 1e-4, which orjson writes without an
    exponent (``0.00001`` for ``1e-05``, the same number). So a body with ``null`` in it,
    and anything orjson refuses (an integer over 64 bits, a lone surrogate, a non-string
    key), is encoded by the stdlib as before; only the small-float spelling differs.
    """

    media_type = "application/json"

    def __init__(self, data: Any, status: int, media_type: str) -> None:
        self.status_code = status
        self.media_type = media_type
        self.background = None
        try:
            body = orjson.dumps(data)
        except TypeError:  # orjson.JSONEncodeError
            body = None
        if body is None or b"null" in body:
            body = STDLIB_JSON.encode(data).encode("utf-8")
        self.body = body
        self.raw_headers = [(b"content-type", media_type.encode("latin-1"))]
        if status >= 200 and status not in (204, 304):  # as Starlette: no length on those
            self.raw_headers.insert(0, (b"content-length", str(len(body)).encode("latin-1")))


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
    return _Empty(200 if backend.flawed("void-returns-200") else 204)


class _Empty(Response):
    """``Response(status_code=status)``, the same headers, without rendering a body."""

    def __init__(self, status: int) -> None:
        self.status_code = status
        self.background = None
        self.body = b""
        # as Starlette: a content-length, but none on a 204 (or 1xx, or 304)
        self.raw_headers = [] if status < 200 or status in (204, 304) else [_NO_LENGTH]


_NO_LENGTH = (b"content-length", b"0")


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
    raw = await read_body(request)
    if not raw.strip():
        if required:
            raise errors.bad_body("a request body is required")
        return None
    try:
        value = parse_json(raw)
    except _NotJson as exc:
        if backend_of(request).flawed("malformed-json-500"):
            raise errors.internal_error(type(exc.__cause__).__name__) from exc
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


class BodyTooLarge(errors.InvalidArgument):
    """413, with the vAPI body of an INVALID_ARGUMENT: the input is refused, and the
    status is the one HTTP clients and proxies know for "too large" (RFC 9110 §15.5.14)."""

    status = 413


class _NotJson(ValueError):
    """The bytes are not JSON (the cause says why)."""


async def read_body(request: Request) -> bytes:
    """The whole request body, at most ``MockSettings.max_body_bytes`` of it.

    A larger ``Content-Length`` is refused before a byte is read; a body without one
    (chunked) is counted as it streams in and refused once it passes the limit. Either
    way the mock never holds more than the limit, and the rest of the body is discarded
    by the server as it arrives, so the connection stays usable.
    """
    limit = backend_of(request).settings.max_body_bytes
    declared = header(request, b"content-length") or ""
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    whole: bytes | None = getattr(request, "_body", None)  # read already (direct.py)
    if whole is not None:
        if len(whole) > limit:
            raise _too_large(limit)
        return whole
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


#: orjson reads strict JSON in UTF-8 as the stdlib does, refusing a lone surrogate (so
#: its result is clean), a BOM, NaN and other encodings (the stdlib then decides), but
#: reads an integer beyond 64 bits as a float; no integer of up to 18 digits is.
_LONG_NUMBER = re.compile(rb"\d{19}")


def loads(raw: bytes) -> Any:
    """``json.loads(raw)``: the same value, or the same exception, five times cheaper where
    orjson reads the bytes as the stdlib does (see ``_LONG_NUMBER``); anything orjson
    refuses the stdlib reads (or refuses) as before."""
    if _LONG_NUMBER.search(raw) is None:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return json.loads(raw)


def parse_json(raw: bytes) -> Any:
    """``json.loads``, refusing what the mock could not store or send back.

    A lone UTF-16 surrogate (``"\\ud800"``) is valid JSON but no UTF-8 can encode it:
    stored, it would break every later answer that shows it. Raises ``_NotJson`` (a
    ValueError) for bytes that are not JSON, and 400 INVALID_ARGUMENT for invalid Unicode
    anywhere in the value, keys included.
    """
    if _LONG_NUMBER.search(raw) is None:
        try:  # the common case, five times cheaper: see _LONG_NUMBER
            return orjson.loads(raw)
        except orjson.JSONDecodeError:  # anything else: the stdlib decides, as before
            pass
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise _NotJson(str(exc)) from exc
    try:  # orjson refuses a lone surrogate anywhere: passing, the value is clean
        orjson.dumps(value)
        return value
    except TypeError:  # orjson.JSONEncodeError: a surrogate, or a number orjson cannot take
        pass
    try:  # one pass in C over every string, keys and nested values alike
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        where, text = _first_invalid_string(value)
        raise errors.bad_body(
            f"{text} at {where} is not valid Unicode (it has a lone UTF-16 surrogate)"
        ) from exc
    except RecursionError as exc:
        raise _NotJson("nested too deeply") from exc
    return value


def _first_invalid_string(value: Any) -> tuple[str, str]:
    """Where the first string no UTF-8 can encode is (a path such as ``a/0/b``, or the
    key of one), and that string escaped; only called once ``parse_json`` found one."""
    stack: list[tuple[str, Any]] = [("(body)", value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str) and not _encodable(item):
            return where, ascii(item)
        children: list[tuple[Any, Any]] = []
        if isinstance(item, dict):
            children = list(item.items())
            for key in item:
                if not _encodable(key):
                    return f"{where} (a key)", ascii(key)
        elif isinstance(item, list):
            children = list(enumerate(item))
        prefix = "" if where == "(body)" else where + "/"
        stack.extend((f"{prefix}{key}", child) for key, child in reversed(children))
    return "(body)", "a string"


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _too_large(limit: int) -> BodyTooLarge:
    text = f"The request body is larger than {limit} bytes."
    return BodyTooLarge(errors.Message("mock.request.body_too_large", text, (str(limit),)))


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
    token = request.query_params.get("client_token") if request.scope["query_string"] else None
    return token if token is not None else header(request, b"client-token")
