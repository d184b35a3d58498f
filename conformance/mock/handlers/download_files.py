"""``content.library.item.downloadsession.file`` (list, get, prepare) and
``content.library.item.file`` (an item's files: list, get)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .. import errors
from ..models import Backend
from ..models.download_files import Offer
from ..models.files import ItemFile, PrepareStatus
from . import shapes
from .common import (
    authenticated,
    backend_of,
    ok,
    opt_str,
    req_str,
    required_object,
    unknown_fields,
)
from .update_files import base_url

__all__ = ["act", "item_files", "list_or_get", "render", "render_item_file"]


def render(backend: Backend, offer: Offer, *, listing: bool = False) -> dict[str, Any]:
    """``downloadsession.File.Info``: the endpoint only when PREPARED, the checksum only
    after a whole download (contract §4)."""
    state = offer.state
    out: dict[str, Any] = {"name": offer.item_file.name, "size": offer.item_file.size}
    if not (listing and backend.flawed("file-list-omits-bytes-transferred")):
        out["bytes_transferred"] = state.bytes_transferred
    out["status"] = state.status.value
    if state.status is PrepareStatus.PREPARED and state.endpoint is not None:
        out["download_endpoint"] = state.endpoint.to_json()
    if state.checksum is not None:
        out["checksum_info"] = state.checksum.to_json()
    return out


#: the datastore block of the ``item-file-size-blocks`` variant
_BLOCK = 1 << 20


def render_item_file(backend: Backend, file: ItemFile) -> dict[str, Any]:
    """``item.File.Info``; ``size`` in bytes (in KiB, rounded up, under a flaw; the
    storage used on 1 MiB blocks under a variant)."""
    size = file.size
    if backend.flawed("item-file-size-in-kib"):
        size = -(-size // 1024)
    elif backend.varied("item-file-size-blocks"):
        size = -(-size // _BLOCK) * _BLOCK
    return {
        "name": file.name,
        "size": size,
        "cached": True,
        "version": file.version,
        "checksum_info": file.checksum.to_json(),
    }


@authenticated
async def list_or_get(request: Request) -> Response:
    """``GET .../download-session/{id}/file``: list, or get with ``?file_name=``."""
    backend = backend_of(request)
    session_id = request.path_params["download_session_id"]
    name = request.query_params.get("file_name")
    if name is not None:
        return ok(backend, render(backend, backend.download_files.get(session_id, name)))
    offers = backend.download_files.list(session_id)
    return ok(backend, [render(backend, o, listing=True) for o in offers])


@authenticated
async def act(request: Request) -> Response:
    """``POST .../download-session/{id}/file?action=prepare``; 200 with the file Info."""
    backend = backend_of(request)
    action = request.query_params.get("action")
    if action != "prepare":
        raise errors.no_operation_for_url(f"{request.url.path}?action={action or ''}")
    body = await required_object(request)
    shapes.check(shapes.FILE_PREPARE, body, unknown=unknown_fields(request))
    offer = backend.download_files.prepare(
        request.path_params["download_session_id"],
        req_str(body, "file_name"),
        opt_str(body, "endpoint_type") or "HTTPS",
        base_url(request),
    )
    return ok(backend, render(backend, offer))


@authenticated
async def item_files(request: Request) -> Response:
    """``GET .../item/{id}/file``: list, or get with ``?name=`` (unknown: 404)."""
    backend = backend_of(request)
    item_id = request.path_params["library_item_id"]
    name = request.query_params.get("name")
    if name is not None:
        file = backend.download_files.item_file(item_id, name)
        return ok(backend, render_item_file(backend, file))
    files = backend.download_files.item_files(item_id).values()
    return ok(backend, [render_item_file(backend, f) for f in files])
