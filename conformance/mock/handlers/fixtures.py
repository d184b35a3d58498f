"""Read-only fixtures a client looks at before it starts: datastores and the version."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from .common import authenticated, backend_of, ok

__all__ = ["list_datastores", "system_version"]

_VERSION = {
    "version": "8.0.2",
    "build": "mock",
    "product": "VMware vCenter Server (mock)",
    "type": "vCenter Server with an embedded Platform Services Controller",
    "summary": "vcenter-conformance mock vCenter",
    "releasedate": "2023-09-21",
    "install_time": "2025-01-01T00:00:00.000Z",
}


@authenticated
async def list_datastores(request: Request) -> Response:
    """``GET /api/vcenter/datastore``, honouring the ``names`` and ``datastores`` filters."""
    backend = backend_of(request)
    names = set(request.query_params.getlist("names"))
    ids = set(request.query_params.getlist("datastores"))
    return ok(
        backend,
        [
            {
                "datastore": d.id,
                "name": d.name,
                "type": d.type,
                "free_space": d.free_space,
                "capacity": d.capacity,
            }
            for d in backend.library.datastores()
            if (not names or d.name in names) and (not ids or d.id in ids)
        ],
    )


@authenticated
async def system_version(request: Request) -> Response:
    return ok(backend_of(request), _VERSION)
