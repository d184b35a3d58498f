"""``content.library.item.download_session``: create, get, list, delete and actions."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .. import errors
from ..clock import format_time
from ..models import Backend, DownloadSession
from . import shapes
from .common import (
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

__all__ = ["act", "create", "delete", "get", "list_ids"]


def render(backend: Backend, session: DownloadSession) -> dict[str, Any]:
    """The DownloadSessionModel as ``get`` returns it (no ``id``)."""
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
    if session.error_message is not None:
        out["error_message"] = session.error_message.to_json()
    return out


@authenticated
async def create(request: Request) -> Response:
    backend = backend_of(request)
    body = await required_object(request)
    shapes.check(shapes.DOWNLOAD_SESSION_CREATE, body, unknown=unknown_fields(request))
    session_id = backend.download_sessions.create(
        library_item_id=req_str(body, "library_item_id"), client_token=client_token(request)
    )
    return created(
        backend, session_id, 200 if backend.flawed("download-create-returns-200") else 201
    )


@authenticated
async def list_ids(request: Request) -> Response:
    backend = backend_of(request)
    return ok(
        backend, backend.download_sessions.list_ids(request.query_params.get("library_item_id"))
    )


@authenticated
async def get(request: Request) -> Response:
    backend = backend_of(request)
    session = backend.download_sessions.find(request.path_params["download_session_id"])
    return ok(backend, render(backend, session))


@authenticated
async def delete(request: Request) -> Response:
    backend = backend_of(request)
    backend.download_sessions.delete(request.path_params["download_session_id"])
    return no_content(backend)


# -- POST /{id}?action=... --------------------------------------------------------------


async def _cancel(request: Request, backend: Backend, session_id: str) -> None:
    backend.download_sessions.cancel(session_id)


async def _fail(request: Request, backend: Backend, session_id: str) -> None:
    body = await required_object(request)
    shapes.check(shapes.FAIL, body, unknown=unknown_fields(request))
    backend.download_sessions.fail(session_id, req_str(body, "client_error_message"))


async def _keep_alive(request: Request, backend: Backend, session_id: str) -> None:
    """The body key is ``progress`` here, not ``client_progress`` (contract §3)."""
    body = await optional_object(request) or {}
    shape = (
        shapes.DOWNLOAD_KEEP_ALIVE_UNBOUNDED
        if backend.varied("progress-unbounded")
        else shapes.DOWNLOAD_KEEP_ALIVE
    )
    shapes.check(shape, body, unknown=unknown_fields(request))
    key = "client_progress" if backend.flawed("download-keep-alive-client-progress") else "progress"
    backend.download_sessions.keep_alive(session_id, opt_int(body, key))


_ACTIONS = {"cancel": _cancel, "fail": _fail, "keep-alive": _keep_alive}


@authenticated
async def act(request: Request) -> Response:
    """Dispatch on ``?action=``; a missing or unknown action has no operation: 404."""
    action = request.query_params.get("action")
    handler = _ACTIONS.get(action or "")
    if handler is None:
        raise errors.no_operation_for_url(f"{request.url.path}?action={action or ''}")
    backend = backend_of(request)
    await handler(request, backend, request.path_params["download_session_id"])
    return no_content(backend)
