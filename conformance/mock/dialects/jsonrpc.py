"""The JSON-RPC 2.0 front door at ``POST /api``, the protocol the official SDK speaks (§7.2).

The request is ``{"jsonrpc": "2.0", "method": "invoke", "id": ..., "params": {"serviceId",
"operationId", "input", "ctx"}}``, with typed input values. The operation runs through the
/api handlers (``invoke.call``); the answer is ``{"jsonrpc": "2.0", "id": <same>, "result":
{"output": <typed>}}`` or ``{"result": {"error": {"ERROR": {"com.vmware.vapi.std.errors.<x>":
...}}}}``, always HTTP 200 with a ``vapi-error`` header naming the error, as the runtime's
server does (``vmware/vapi/protocol/server/msg/json_handler.py``). Credentials come from
``ctx.securityCtx``: ``user_pass`` for login, then ``session_id``; a
``vmware-api-session-id`` header wins over the context, an ``Authorization: Basic`` header
also logs in. Malformed envelopes get JSON-RPC error objects with the runtime's codes.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .. import errors
from ..handlers.common import loads
from .invoke import SESSION_HEADER, call, error_struct
from .operations import MESSAGE, OPERATIONS, find
from .vapi_types import TypedValueError, decode, encode_any

__all__ = ["endpoint"]

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
INVALID_OPERATION = -31001
_MESSAGES = {
    PARSE_ERROR: "Parse error.",
    INVALID_REQUEST: "Invalid Request.",
    METHOD_NOT_FOUND: "Method not found.",
    INVALID_PARAMS: "Invalid params.",
    INTERNAL_ERROR: "Internal error.",
    INVALID_OPERATION: "Mismatching operation identifier in HTTP header and payload",
}
USER_PASS = "com.vmware.vapi.std.security.user_pass"
SESSION_ID = "com.vmware.vapi.std.security.session_id"


class _ProtocolError(Exception):
    def __init__(self, code: int, detail: str | None = None) -> None:
        super().__init__(_MESSAGES[code])
        self.code = code
        self.detail = detail


#: ``json.dumps(..., separators=(",", ":"))`` without making its encoder on every call
_ENCODER = json.JSONEncoder(separators=(",", ":"))


class _Answer(Response):
    """A JSON-RPC answer; always HTTP 200, with ``vapi-error`` naming a vAPI error."""

    media_type = "application/json"

    def __init__(self, request_id: Any, member: str, value: Any, error: str | None = None) -> None:
        body = _ENCODER.encode({"jsonrpc": "2.0", "id": request_id, member: value})
        self.status_code = 200
        self.background = None
        self.body = body.encode()
        self.raw_headers = [
            (b"content-length", str(len(self.body)).encode()),
            (b"content-type", b"application/json"),
        ]
        if error is not None:
            self.raw_headers.append((b"vapi-error", error.encode()))


def _protocol_error(request_id: Any, error: _ProtocolError) -> Response:
    body: dict[str, Any] = {"code": error.code, "message": _MESSAGES[error.code]}
    if error.detail:
        body["data"] = error.detail
    if error.code in (PARSE_ERROR, INVALID_REQUEST):
        request_id = None
    return _Answer(request_id, "error", body)


async def endpoint(request: Request) -> Response:
    request_id: Any = None
    try:
        try:
            envelope = loads(await request.body())
        except (ValueError, RecursionError) as exc:
            raise _ProtocolError(PARSE_ERROR, type(exc).__name__) from exc
        if not isinstance(envelope, dict) or envelope.get("jsonrpc") != "2.0":
            raise _ProtocolError(INVALID_REQUEST)
        request_id = envelope.get("id")
        if envelope.get("method") != "invoke":
            raise _ProtocolError(METHOD_NOT_FOUND)
        return await _invoke(request, request_id, envelope.get("params"))
    except _ProtocolError as exc:
        return _protocol_error(request_id, exc)


async def _invoke(request: Request, request_id: Any, params: Any) -> Response:
    if not isinstance(params, dict):
        raise _ProtocolError(INVALID_PARAMS)
    service, name = params.get("serviceId"), params.get("operationId")
    if not isinstance(service, str) or not isinstance(name, str):
        raise _ProtocolError(INVALID_PARAMS)
    sent = _vapi_headers(request)
    header_service, header_operation = sent.get(b"vapi-service"), sent.get(b"vapi-operation")
    if (header_service, header_operation) != (None, None) and (
        header_service != service or header_operation != name
    ):
        raise _ProtocolError(INVALID_OPERATION)
    try:
        inputs = decode(params.get("input")) or {}
    except (TypedValueError, RecursionError) as exc:
        raise _ProtocolError(INVALID_PARAMS, str(exc)) from exc
    ctx = params.get("ctx")
    security = ctx.get("securityCtx") if isinstance(ctx, dict) else None
    if not isinstance(inputs, dict):
        raise _ProtocolError(INVALID_PARAMS)
    operation = find(service, name)
    try:
        if operation is None:
            if any(known == service for known, _ in OPERATIONS):
                raise errors.unknown_operation(service, name)
            raise errors.unknown_service(service)
        has_session_header = _SESSION_HEADER in sent
        result = await call(request, operation, inputs, _credentials(security, has_session_header))
    except errors.VapiError as exc:
        error = {"error": encode_error(request, exc)}
        return _Answer(request_id, "result", error, exc.legacy_type)
    return _Answer(request_id, "result", {"output": operation.output.encode(result)})


_SESSION_HEADER = SESSION_HEADER.encode()
_WATCHED = frozenset({b"vapi-service", b"vapi-operation", _SESSION_HEADER})


def _vapi_headers(request: Request) -> dict[bytes, str]:
    """The few headers this door reads, straight from the scope (no ``Headers`` object)."""
    return {
        name: value.decode("latin-1")
        for name, value in request.scope["headers"]
        if name in _WATCHED
    }


def _credentials(security: Any, has_session_header: bool) -> dict[str, str]:
    """The /api headers for the security context the SDK sent."""
    if not isinstance(security, dict):
        return {}
    scheme = security.get("schemeId")
    if scheme == USER_PASS:
        user, password = security.get("userName"), security.get("password")
        if isinstance(user, str) and isinstance(password, str):
            pair = base64.b64encode(f"{user}:{password}".encode()).decode()
            return {"authorization": "Basic " + pair}
    if scheme == SESSION_ID and not has_session_header:
        session_id = security.get("sessionId")
        if isinstance(session_id, str) and session_id.isascii():
            return {SESSION_HEADER: session_id}
    return {}


def encode_error(request: Request, error: errors.VapiError) -> Any:
    """The typed standard error: ``{"ERROR": {"com.vmware.vapi.std.errors.<x>": {...}}}``."""
    body = error_struct(request, error)
    fields: dict[str, Any] = {
        "messages": [MESSAGE.encode(m) for m in body["messages"]],
        "data": {"OPTIONAL": None if "data" not in body else encode_any(body["data"])},
        "error_type": {"OPTIONAL": body.get("error_type")},
    }
    if isinstance(error, errors.Unauthenticated | errors.Unauthorized):
        challenge = (error.headers or {}).get("WWW-Authenticate")
        fields["challenge"] = {"OPTIONAL": challenge}
    return {"ERROR": {error.legacy_type: fields}}
