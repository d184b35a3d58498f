"""``content.local_library`` and ``content.library.item``: the fixtures sessions hang off."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .. import errors
from ..clock import format_time
from ..models.library import Item, Library, StorageBacking
from . import shapes
from .common import (
    authenticated,
    backend_of,
    client_token,
    created,
    no_content,
    ok,
    opt_str,
    req_str,
    required_object,
    unknown_fields,
)

__all__ = [
    "create_item",
    "create_library",
    "delete_item",
    "delete_library",
    "get_item",
    "get_library",
    "list_items",
    "list_libraries",
]


def _library_json(library: Library) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": library.id,
        "name": library.name,
        "description": library.description or "",  # always present in get results
        "type": "LOCAL",
    }
    out.update(
        storage_backings=[library.storage_backing.to_json()],
        creation_time=format_time(library.created_at),
        last_modified_time=format_time(library.created_at),
        version="1",
        server_guid=library.server_guid,
    )
    return out


def _item_json(item: Item) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": item.id,
        "library_id": item.library_id,
        "name": item.name,
        "description": item.description or "",  # always present in get results
    }
    if item.type is not None:
        out["type"] = item.type
    out.update(
        content_version=str(item.content_version),
        metadata_version=str(item.metadata_version),
        version=str(item.metadata_version),
        size=item.size,
        cached=True,
        creation_time=format_time(item.created_at),
        last_modified_time=format_time(item.modified_at),
    )
    return out


def _backings(body: dict[str, Any]) -> list[StorageBacking]:
    """``storage_backings`` of a body already checked against its shape."""
    return [
        StorageBacking(entry["type"], entry.get("datastore_id"), entry.get("storage_uri"))
        for entry in body.get("storage_backings") or ()
    ]


@authenticated
async def create_library(request: Request) -> Response:
    backend = backend_of(request)
    body = await required_object(request)
    shapes.check(shapes.LIBRARY_CREATE, body, unknown=unknown_fields(request))
    library_id = backend.library.create_library(
        name=req_str(body, "name"),
        description=opt_str(body, "description"),
        backings=_backings(body),
        client_token=client_token(request),
    )
    return created(backend, library_id)


@authenticated
async def list_libraries(request: Request) -> Response:
    backend = backend_of(request)
    return ok(backend, backend.library.list_libraries())


@authenticated
async def get_library(request: Request) -> Response:
    backend = backend_of(request)
    return ok(
        backend, _library_json(backend.library.get_library(request.path_params["library_id"]))
    )


@authenticated
async def delete_library(request: Request) -> Response:
    backend = backend_of(request)
    backend.library.delete_library(request.path_params["library_id"])
    return no_content(backend)


@authenticated
async def create_item(request: Request) -> Response:
    backend = backend_of(request)
    body = await required_object(request)
    shapes.check(shapes.ITEM_CREATE, body, unknown=unknown_fields(request))
    item_id = backend.library.create_item(
        library_id=req_str(body, "library_id"),
        name=req_str(body, "name"),
        item_type=opt_str(body, "type"),
        description=opt_str(body, "description"),
        client_token=client_token(request),
    )
    return created(backend, item_id)


@authenticated
async def list_items(request: Request) -> Response:
    backend = backend_of(request)
    library_id = request.query_params.get("library_id")
    if library_id is None:
        raise errors.invalid_argument(
            "vapi.method.input.missing",
            "The required query parameter 'library_id' is missing.",
            "library_id",
        )
    return ok(backend, backend.library.list_items(library_id))


@authenticated
async def get_item(request: Request) -> Response:
    backend = backend_of(request)
    return ok(backend, _item_json(backend.library.get_item(request.path_params["library_item_id"])))


@authenticated
async def delete_item(request: Request) -> Response:
    backend = backend_of(request)
    backend.library.delete_item(request.path_params["library_item_id"])
    return no_content(backend)
