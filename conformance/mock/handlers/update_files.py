"""``content.library.item.updatesession.file``: add, list, get, remove and validate."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .. import errors
from ..models import Backend
from ..models.files import ChecksumInfo, SourceType, TransferEndpoint, TransferStatus, UploadFile
from ..models.update_files import AddSpec
from . import shapes, transfer
from .common import (
    Body,
    authenticated,
    backend_of,
    no_content,
    ok,
    opt_int,
    req_str,
    required_object,
    unknown_fields,
)

__all__ = ["act", "get_file", "list_files", "remove_file", "render"]


def render(backend: Backend, file: UploadFile, *, listing: bool = False) -> dict[str, Any]:
    """``updatesession.File.Info``: ``size`` only when READY (contract §4)."""
    out: dict[str, Any] = {"name": file.name, "source_type": file.source_type.value}
    if file.status is TransferStatus.READY and file.size is not None:
        out["size"] = file.size
    checksum = file.expected_checksum or file.checksum
    if checksum is not None:
        out["checksum_info"] = checksum.to_json()
    if file.source_endpoint is not None:
        out["source_endpoint"] = file.source_endpoint.to_json()
    if file.upload_endpoint is not None:
        out["upload_endpoint"] = file.upload_endpoint.to_json()
    if not (listing and backend.flawed("file-list-omits-bytes-transferred")):
        out["bytes_transferred"] = file.transferred
    out["status"] = file.status.value
    if file.error_message is not None:
        out["error_message"] = file.error_message.to_json()
    out["keep_in_storage"] = True
    return out


def base_url(request: Request) -> str:
    """Scheme, host and port the client used: transfer URIs are absolute (§8)."""
    return str(request.base_url).rstrip("/")


def _add_spec(body: Body) -> AddSpec:
    """The AddSpec of a body already checked against its shape."""
    endpoint = body.get("source_endpoint")
    checksum = body.get("checksum_info")
    return AddSpec(
        name=req_str(body, "name"),
        source_type=SourceType(body["source_type"]),
        source_endpoint=None
        if endpoint is None
        else TransferEndpoint(
            endpoint["uri"],
            endpoint.get("ssl_certificate_thumbprint"),
            endpoint.get("ssl_certificate"),
        ),
        size=opt_int(body, "size"),
        checksum_info=None
        if checksum is None
        else ChecksumInfo(checksum["checksum"], checksum.get("algorithm") or "SHA1"),
    )


async def _add(request: Request, backend: Backend, session_id: str) -> Response:
    body = await required_object(request)
    shapes.check(shapes.FILE_ADD_SPEC, body, unknown=unknown_fields(request))
    file = backend.update_files.add(session_id, _add_spec(body), base_url(request))
    status = 200 if backend.flawed("file-add-returns-200") else 201
    answer = ok(backend, render(backend, file), status)  # WAITING_FOR_TRANSFER, as added
    if file.source_type is SourceType.PULL:
        transfer.start_pull(backend, session_id, file.name)
    return answer


async def _validate(request: Request, backend: Backend, session_id: str) -> Response:
    result = backend.update_files.validate(session_id)
    out: dict[str, Any] = {
        "has_errors": result.has_errors,
        "missing_files": list(result.missing_files),
        "invalid_files": [
            {"name": name, "error_message": message.to_json()}
            for name, message in result.invalid_files
        ],
    }
    if not out["invalid_files"] and backend.flawed("validate-omits-empty-invalid-files"):
        del out["invalid_files"]
    return ok(backend, out)


# ``POST .../file`` is add (the spec and the 9.x bindings); ``?action=add`` too (§9).
_ACTIONS = {"": _add, "add": _add, "validate": _validate}


@authenticated
async def act(request: Request) -> Response:
    backend = backend_of(request)
    action = request.query_params.get("action", "")
    handler = _ACTIONS.get(action)
    if handler is None:
        raise errors.no_operation_for_url(f"{request.url.path}?action={action}")
    if action == "add" and backend.varied("file-add-action-form-absent"):
        raise errors.no_operation_for_url(f"{request.url.path}?action={action}")
    if action == "add" and backend.flawed("file-add-action-form-rejected"):
        raise errors.invalid_argument(
            "vapi.method.input.unexpected", "Unexpected query parameter 'action'.", "action"
        )
    return await handler(request, backend, request.path_params["update_session_id"])


@authenticated
async def list_files(request: Request) -> Response:
    backend = backend_of(request)
    files = backend.update_files.list(request.path_params["update_session_id"])
    return ok(backend, [render(backend, f, listing=True) for f in files])


@authenticated
async def get_file(request: Request) -> Response:
    backend = backend_of(request)
    file = backend.update_files.get(
        request.path_params["update_session_id"], request.path_params["file_name"]
    )
    return ok(backend, render(backend, file))


@authenticated
async def remove_file(request: Request) -> Response:
    backend = backend_of(request)
    backend.update_files.remove(
        request.path_params["update_session_id"], request.path_params["file_name"]
    )
    return no_content(backend)
