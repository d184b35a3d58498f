"""``content.library.item.update_session``: create, get, list, update, delete and actions."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .. import errors
from ..clock import format_time
from ..models import Backend, UpdateSession, UpdateState, WarningBehavior
from . import shapes
from .common import (
    Body,
    authenticated,
    backend_of,
    client_token,
    created,
    no_content,
    ok,
    opt_int,
    optional_object,
    req_str,
    required_object,
    unknown_fields,
)

__all__ = ["act", "create", "delete", "get", "list_ids", "update"]

_PREVIEW_INFO = {"state": "NOT_APPLICABLE"}


def _warning_behavior(body: Body) -> list[WarningBehavior] | None:
    """``warning_behavior`` of a body already checked against its shape."""
    raw = body.get("warning_behavior")
    if raw is None:
        return None
    return [WarningBehavior(entry["type"], entry["ignored"]) for entry in raw]


def render(backend: Backend, session: UpdateSession) -> dict[str, Any]:
    """UpdateSessionModel as ``get`` returns it: no ``id``, ``preview_info`` only if ACTIVE."""
    out: dict[str, Any] = {}
    if backend.flawed("get-includes-id"):
        out["id"] = session.id
    out["library_item_id"] = session.library_item_id
    out["library_item_content_version"] = session.library_item_content_version
    out["client_progress"] = session.client_progress
    out["state"] = session.state.value
    out["expiration_time"] = format_time(
        session.expires_at, zone=not backend.flawed("datetime-no-timezone")
    )
    if session.state is UpdateState.ACTIVE:
        show_preview = not backend.varied("no-preview-info")
    else:
        show_preview = backend.flawed("preview-info-after-active")
    if show_preview:
        out["preview_info"] = _PREVIEW_INFO
    if session.warning_behavior is not None:
        out["warning_behavior"] = [w.to_json() for w in session.warning_behavior]
    if session.error_message is not None:
        out["error_message"] = session.error_message.to_json()
    return out


@authenticated
async def create(request: Request) -> Response:
    backend = backend_of(request)
    body = await required_object(request)
    if body.get("library_item_id") is None and backend.flawed("create-without-item-404"):
        raise errors.not_found("library item", "")
    shapes.check(shapes.UPDATE_SESSION_CREATE, body, unknown=unknown_fields(request))
    token = client_token(request)
    repeated = backend.varied("client-token-repeat-200") and (
        backend.tokens.lookup("update-session", token, backend.update_sessions.exists) is not None
    )
    session_id = backend.update_sessions.create(
        library_item_id=req_str(body, "library_item_id"),
        warning_behavior=_warning_behavior(body),
        client_token=token,
    )
    status = 200 if repeated or backend.flawed("create-returns-200") else 201
    return created(backend, session_id, status)


@authenticated
async def list_ids(request: Request) -> Response:
    backend = backend_of(request)
    return ok(
        backend, backend.update_sessions.list_ids(request.query_params.get("library_item_id"))
    )


@authenticated
async def get(request: Request) -> Response:
    backend = backend_of(request)
    session = backend.update_sessions.find(request.path_params["update_session_id"])
    return ok(backend, render(backend, session))


@authenticated
async def update(request: Request) -> Response:
    """PATCH: only ``warning_behavior`` is honoured; other fields are type-checked, then ignored."""
    backend = backend_of(request)
    body = await required_object(request)
    try:
        shapes.check(shapes.UPDATE_SESSION_PATCH, body, unknown=unknown_fields(request))
    except errors.InvalidArgument:
        if not backend.flawed("patch-invalid-accepted"):
            raise
        body = {}  # the flaw: a body that does not deserialize is taken as "change nothing"
    backend.update_sessions.update(
        request.path_params["update_session_id"],
        warning_behavior=_warning_behavior(body),
        client_progress=opt_int(body, "client_progress"),
    )
    return no_content(backend)


@authenticated
async def delete(request: Request) -> Response:
    backend = backend_of(request)
    backend.update_sessions.delete(request.path_params["update_session_id"])
    return no_content(backend)


# -- POST /{id}?action=... --------------------------------------------------------------


async def _complete(request: Request, backend: Backend, session_id: str) -> None:
    backend.update_sessions.complete(session_id)


async def _cancel(request: Request, backend: Backend, session_id: str) -> None:
    backend.update_sessions.cancel(session_id)


async def _fail(request: Request, backend: Backend, session_id: str) -> None:
    body = await required_object(request)
    shapes.check(shapes.FAIL, body, unknown=unknown_fields(request))
    backend.update_sessions.fail(session_id, req_str(body, "client_error_message"))


async def _keep_alive(request: Request, backend: Backend, session_id: str) -> None:
    body = await optional_object(request) or {}
    shape = (
        shapes.UPDATE_KEEP_ALIVE_UNBOUNDED
        if backend.varied("progress-unbounded")
        else shapes.UPDATE_KEEP_ALIVE
    )
    shapes.check(shape, body, unknown=unknown_fields(request))
    backend.update_sessions.keep_alive(session_id, opt_int(body, "client_progress"))


_ACTIONS = {"complete": _complete, "cancel": _cancel, "fail": _fail, "keep-alive": _keep_alive}


@authenticated
async def act(request: Request) -> Response:
    """Dispatch on ``?action=``; a missing or unknown action has no operation: 404."""
    action = request.query_params.get("action")
    handler = _ACTIONS.get(action or "")
    if handler is None:
        raise errors.no_operation_for_url(f"{request.url.path}?action={action or ''}")
    backend = backend_of(request)
    await handler(request, backend, request.path_params["update_session_id"])
    return no_content(backend)
