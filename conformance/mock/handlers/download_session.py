"""``content.library.item.download_session``: create, get, list, delete and actions."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..models.download_session import DownloadSessions
from . import shapes
from .common import (
    authenticated,
    backend_of,
    client_token,
    created,
    req_str,
    required_object,
    unknown_fields,
)
from .sessions import FAIL, SessionKind, keep_alive, no_body

__all__ = ["KIND", "act", "create", "delete", "get", "list_ids"]

KIND: SessionKind[DownloadSessions] = SessionKind(
    store=lambda backend: backend.download_sessions,
    id_param="download_session_id",
    actions={
        "cancel": no_body(DownloadSessions.cancel),
        "fail": FAIL,
        # the body key is ``progress`` here, not ``client_progress`` (contract §3)
        "keep-alive": keep_alive(
            shapes.DOWNLOAD_KEEP_ALIVE,
            shapes.DOWNLOAD_KEEP_ALIVE_UNBOUNDED,
            "progress",
            flawed_key=("download-keep-alive-client-progress", "client_progress"),
        ),
    },
)
list_ids, get, delete, act = KIND.endpoints()


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
