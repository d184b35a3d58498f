"""The legacy /rest dialect: the same operations with the pre-7.0U2 envelope (§6.1, §9).

Two kinds of path live under ``/rest``:

* ``/rest/com/vmware/<service>/...``, the published 8.0.2 /rest paths: ``id:{id}`` path
  segments, ``?~action=``, input fields as top-level body keys (``{"create_spec": ...}``)
  or query parameters. They are looked up in ``LEGACY`` and run as the operation's /api
  request (``invoke.call``).
* any other ``/rest/<path>``: what the official SDK's REST connector sends when its URL is
  ``<mock>/rest`` (the 9.1.1 bindings' /api templates, with bare /api bodies, §7.1). It
  runs as ``/api/<path>``; a GET whose query names a parameter without a value takes the
  value from its JSON body, as that connector sends ``Item.list`` and both file ``get``s.

Either way the answer is legacy: 200 with ``{"value": ...}`` (no body for void
operations), errors as ``{"type": "com.vmware.vapi.std.errors.<x>", "value": {...}}``
with the runtime's status map (RESOURCE_BUSY is 400 there, as the /rest spec lists it).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .. import errors
from ..handlers.common import SESSION_HEADER, STDLIB_JSON, backend_of, loads
from .invoke import call, error_struct, forward, payload, wellformed
from .operations import Operation, find

__all__ = ["LEGACY", "endpoint"]

_CIS = "com.vmware.cis.session"
_LIB = "com.vmware.content.local_library"
_ITEM = "com.vmware.content.library.item"
_US = _ITEM + ".update_session"
_DS = _ITEM + ".download_session"
_US_FILE = _ITEM + ".updatesession.file"
_DS_FILE = _ITEM + ".downloadsession.file"
_US_ID = "content/library/item/update-session/id:{update_session_id}"
_DS_ID = "content/library/item/download-session/id:{download_session_id}"
_US_FILE_ID = "content/library/item/updatesession/file/id:{update_session_id}"
_DS_FILE_ID = "content/library/item/downloadsession/file/id:{download_session_id}"

# (HTTP method, path after /rest/com/vmware/, ~action, service id, operation id)
_ROWS: tuple[tuple[str, str, str | None, str, str], ...] = (
    ("POST", "cis/session", None, _CIS, "create"),
    ("POST", "cis/session", "get", _CIS, "get"),
    ("DELETE", "cis/session", None, _CIS, "delete"),
    ("GET", "content/local-library", None, _LIB, "list"),
    ("POST", "content/local-library", None, _LIB, "create"),
    ("GET", "content/local-library/id:{library_id}", None, _LIB, "get"),
    ("DELETE", "content/local-library/id:{library_id}", None, _LIB, "delete"),
    ("GET", "content/library/item", None, _ITEM, "list"),
    ("POST", "content/library/item", None, _ITEM, "create"),
    ("GET", "content/library/item/id:{library_item_id}", None, _ITEM, "get"),
    ("DELETE", "content/library/item/id:{library_item_id}", None, _ITEM, "delete"),
    ("GET", "content/library/item/file", None, _ITEM + ".file", "list"),
    ("POST", "content/library/item/file/id:{library_item_id}", "get", _ITEM + ".file", "get"),
    ("GET", "content/library/item/update-session", None, _US, "list"),
    ("POST", "content/library/item/update-session", None, _US, "create"),
    ("GET", _US_ID, None, _US, "get"),
    ("PATCH", _US_ID, None, _US, "update"),
    ("DELETE", _US_ID, None, _US, "delete"),
    ("POST", _US_ID, "complete", _US, "complete"),
    ("POST", _US_ID, "cancel", _US, "cancel"),
    ("POST", _US_ID, "fail", _US, "fail"),
    ("POST", _US_ID, "keep-alive", _US, "keep_alive"),
    ("GET", "content/library/item/updatesession/file", None, _US_FILE, "list"),
    ("POST", _US_FILE_ID, "add", _US_FILE, "add"),
    ("POST", _US_FILE_ID, "get", _US_FILE, "get"),
    ("POST", _US_FILE_ID, "remove", _US_FILE, "remove"),
    ("POST", _US_FILE_ID, "validate", _US_FILE, "validate"),
    ("GET", "content/library/item/download-session", None, _DS, "list"),
    ("POST", "content/library/item/download-session", None, _DS, "create"),
    ("GET", _DS_ID, None, _DS, "get"),
    ("DELETE", _DS_ID, None, _DS, "delete"),
    ("POST", _DS_ID, "cancel", _DS, "cancel"),
    ("POST", _DS_ID, "fail", _DS, "fail"),
    ("POST", _DS_ID, "keep-alive", _DS, "keep_alive"),
    ("GET", "content/library/item/downloadsession/file", None, _DS_FILE, "list"),
    ("POST", _DS_FILE_ID, "get", _DS_FILE, "get"),
    ("POST", _DS_FILE_ID, "prepare", _DS_FILE, "prepare"),
)


def _pattern(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path)) + "$")


def _legacy_table() -> dict[tuple[str, str | None], list[tuple[re.Pattern[str], Operation]]]:
    table: dict[tuple[str, str | None], list[tuple[re.Pattern[str], Operation]]] = {}
    for method, path, action, service, name in _ROWS:
        operation = find(service, name)
        assert operation is not None, (service, name)
        table.setdefault((method, action), []).append((_pattern(path), operation))
    return table


LEGACY = _legacy_table()
_PREFIX = "/rest/com/vmware/"
_SERVICE_BUSY_STATUS = 400  # the runtime's vapi_to_http_error_map; the /rest spec agrees


_SESSION_COOKIE = "vmware-api-session-id"
_LOGIN = ("POST", "cis/session", None)


async def endpoint(request: Request) -> Response:
    try:
        if request.url.path.startswith(_PREFIX):
            return _with_session_cookie(request, _success(await _legacy(request)))
        response = await _api_form(request)
        return _success(payload(request, response) if response.body else None)
    except errors.VapiError as exc:
        return _error(request, exc)


async def _legacy(request: Request) -> Any:
    path = request.url.path[len(_PREFIX) :]
    query = dict(request.query_params)
    action = query.pop("~action", None)
    for pattern, operation in LEGACY.get((request.method, action), ()):
        match = pattern.match(path)
        if match is not None:
            inputs: dict[str, Any] = {**query, **await _body(request), **match.groupdict()}
            return await call(request, operation, inputs, _cookie_session(request))
    suffix = "" if action is None else f"?~action={action}"
    raise errors.no_operation_for_url(request.url.path + suffix)


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        value = loads(raw)
    except (ValueError, RecursionError) as exc:
        raise errors.bad_body("the body is not valid JSON") from exc
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise errors.bad_body("the body must be a JSON object")
    return value


async def _api_form(request: Request) -> Response:
    """``/rest/<path>`` as ``/api/<path>``, as the SDK's REST connector sends it."""
    rest = request.url.path[len("/rest") :]
    if rest in ("", "/"):
        raise errors.no_operation_for_url(request.url.path)
    raw = await request.body()
    pairs = parse_qsl(request.url.query, keep_blank_values=True)
    if request.method == "GET" and raw and any(value == "" for _, value in pairs):
        with_values = await _body(request)
        pairs = [(name, value or _text(with_values.get(name, ""))) for name, value in pairs]
        raw = b""
    return await forward(request, request.method, "/api" + rest, urlencode(pairs), raw, {})


def _cookie_session(request: Request) -> dict[str, str]:
    """Variant ``rest-session-cookie``: the session cookie stands for a missing header."""
    if not backend_of(request).varied("rest-session-cookie"):  # first: the cheap test
        return {}
    cookie = request.cookies.get(_SESSION_COOKIE)
    return {SESSION_HEADER: cookie} if cookie and SESSION_HEADER not in request.headers else {}


def _with_session_cookie(request: Request, response: Response) -> Response:
    """Variant ``rest-session-cookie``: a /rest login's token is also set as a cookie."""
    if response.status_code != 200 or not backend_of(request).varied("rest-session-cookie"):
        return response
    path = request.url.path[len(_PREFIX) :]
    if (request.method, path, request.query_params.get("~action")) == _LOGIN:
        token = json.loads(bytes(response.body))["value"]
        response.set_cookie(_SESSION_COOKIE, token, path="/rest", httponly=True)
    return response


def _text(value: Any) -> str:
    return wellformed("query", value) if isinstance(value, str) else json.dumps(value)


class _Json(JSONResponse):
    """``JSONResponse``, rendered by one shared encoder of its options: ``json.dumps`` with
    them makes an encoder on every call, a good part of a /rest answer's cost."""

    def render(self, content: Any) -> bytes:
        return STDLIB_JSON.encode(content).encode("utf-8")


def _success(value: Any) -> Response:
    if value is None:
        return Response(status_code=200)
    return _Json({"value": value})


def _error(request: Request, exc: errors.VapiError) -> Response:
    status = _SERVICE_BUSY_STATUS if isinstance(exc, errors.ResourceBusy) else exc.status
    body = {"type": exc.legacy_type, "value": error_struct(request, exc)}
    return _Json(body, status_code=status, headers=exc.headers)
