"""``content.library.item.update_session``: create, get, list, update, delete and actions."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .. import errors
from ..models import Backend, UpdateSession, UpdateState, WarningBehavior
from ..models.update_session import UpdateSessions
from . import shapes
from .common import (
    Body,
    authenticated,
    backend_of,
    client_token,
    created,
    no_content,
    opt_int,
    req_str,
    required_object,
    unknown_fields,
)
from .sessions import FAIL, SessionKind, keep_alive, no_body

__all__ = ["KIND", "act", "create", "delete", "get", "list_ids", "update"]

_PREVIEW_INFO = {"state": "NOT_APPLICABLE"}


def _warning_behavior(body: Body) -> tuple[WarningBehavior, ...] | None:
    """``warning_behavior`` of a body already checked against its shape."""
    raw = body.get("warning_behavior")
    if raw is None:
        return None
    return tuple(WarningBehavior(entry["type"], entry["ignored"]) for entry in raw)


def _details(backend: Backend, session: UpdateSession) -> dict[str, Any]:
    """``preview_info`` only while ACTIVE, then ``warning_behavior`` if set."""
    out: dict[str, Any] = {}
    if session.state is UpdateState.ACTIVE:
        show_preview = not backend.varied("no-preview-info")
    else:
        show_preview = backend.flawed("preview-info-after-active")
    if show_preview:
        out["preview_info"] = _PREVIEW_INFO
    if session.warning_behavior is not None:
        out["warning_behavior"] = [w.to_json() for w in session.warning_behavior]
    return out


KIND: SessionKind[UpdateSessions] = SessionKind(
    store=lambda backend: backend.update_sessions,
    id_param="update_session_id",
    details=_details,
    actions={
        "complete": no_body(UpdateSessions.complete),
        "cancel": no_body(UpdateSessions.cancel),
        "fail": FAIL,
        "keep-alive": keep_alive(
            shapes.UPDATE_KEEP_ALIVE, shapes.UPDATE_KEEP_ALIVE_UNBOUNDED, "client_progress"
        ),
    },
)
list_ids, get, delete, act = KIND.endpoints()


@authenticated
async def create(request: Request) -> Response:
    backend = backend_of(request)
    body = await required_object(request)
    if body.get("library_item_id") is None and backend.flawed("create-without-item-404"):
        raise errors.not_found("library item", "")
    shapes.check(shapes.UPDATE_SESSION_CREATE, body, unknown=unknown_fields(request))
    token = client_token(request)
    sessions = backend.update_sessions
    repeated = backend.varied("client-token-repeat-200") and (
        backend.tokens.lookup(sessions.token_kind, token, sessions.exists) is not None
    )
    session_id = sessions.create(
        req_str(body, "library_item_id"), token, warning_behavior=_warning_behavior(body)
    )
    status = 200 if repeated or backend.flawed("create-returns-200") else 201
    return created(backend, session_id, status)


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
