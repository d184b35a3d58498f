"""The routing table, and nothing else (moto's ``urls.py``).

One ``Route`` per path, with the handler per method, so a wrong method gets 405 with
the right ``Allow`` header. Order matters: the session collections must come before
``/item/{library_item_id}``, which would otherwise swallow ``update-session``; and the
hot paths come first, because the router tries each route in turn.

File names in paths use the ``path`` converter: the vAPI runtime does not encode them
(§7.1), so ``dir/x.iso`` must reach the handler, which rejects it (400), not the router.

The other dialects come after every /api REST route, so they cost the REST hot path
nothing (putting them first, even behind a plain string test, cost a REST get 2-8% of
its in-process CPU): ``POST /api`` exactly is the JSON-RPC front door (§7.2), and ``/rest/...``
the legacy /rest dialect; both run the same handlers in-process (``dialects/``).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .dialects import jsonrpc, rest_legacy
from .handlers import admin, cis, fixtures, library, transfer
from .handlers import download_files as df
from .handlers import download_session as ds
from .handlers import update_files as uf
from .handlers import update_session as us
from .handlers.common import Endpoint

__all__ = ["ROUTES"]

ITEM = "/api/content/library/item"
US = ITEM + "/update-session"
DS = ITEM + "/download-session"
DATA = "/cls/data"  # upload and download endpoints (§8), outside /api


def resource(path: str, **methods: Endpoint) -> Route:
    """One route for ``path`` dispatching on the HTTP method (HEAD follows GET)."""
    table = {name.upper(): endpoint for name, endpoint in methods.items()}
    if "GET" in table:
        table["HEAD"] = table["GET"]

    async def dispatch(request: Request) -> Response:
        return await table[request.method](request)

    return Route(path, dispatch, methods=list(table), name=path)


ROUTES = [
    # Hot paths first: the router tries routes in order.
    # bytes in (PUT/POST) and out (GET); the token is the credential
    resource(
        DATA + "/{token}/{file_name:path}",
        put=transfer.upload,
        post=transfer.upload,
        get=transfer.download,
    ),
    # update sessions
    resource(US, get=us.list_ids, post=us.create),
    resource(
        US + "/{update_session_id}", get=us.get, patch=us.update, delete=us.delete, post=us.act
    ),
    resource(US + "/{update_session_id}/file", get=uf.list_files, post=uf.act),
    resource(
        US + "/{update_session_id}/file/{file_name:path}", get=uf.get_file, delete=uf.remove_file
    ),
    # download sessions
    resource(DS, get=ds.list_ids, post=ds.create),
    resource(DS + "/{download_session_id}", get=ds.get, delete=ds.delete, post=ds.act),
    resource(DS + "/{download_session_id}/file", get=df.list_or_get, post=df.act),
    # library items (after the session collections)
    resource(ITEM, get=library.list_items, post=library.create_item),
    resource(ITEM + "/{library_item_id}", get=library.get_item, delete=library.delete_item),
    resource(ITEM + "/{library_item_id}/file", get=df.item_files),
    # local libraries and other fixtures
    resource("/api/content/local-library", get=library.list_libraries, post=library.create_library),
    resource(
        "/api/content/local-library/{library_id}",
        get=library.get_library,
        delete=library.delete_library,
    ),
    resource("/api/vcenter/datastore", get=fixtures.list_datastores),
    resource("/api/appliance/system/version", get=fixtures.system_version),
    # cis session
    resource("/api/session", post=cis.login, get=cis.get_session, delete=cis.logout),
    # the other dialects of the same operations: JSON-RPC on POST /api exactly, and /rest
    Route("/api", jsonrpc.endpoint, methods=["POST"], name="jsonrpc"),
    Route(
        "/rest/{rest_path:path}",
        rest_legacy.endpoint,
        methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
        name="rest",
    ),
    # admin (tests only)
    resource("/mock-api/reset", post=admin.reset),
    resource("/mock-api/clock/advance", post=admin.advance_clock),
    resource("/mock-api/flaws", get=admin.get_flaws, put=admin.put_flaws),
    resource("/mock-api/variants", get=admin.get_variants, put=admin.put_variants),
    resource("/mock-api/faults", get=admin.get_faults, put=admin.put_faults),
    resource("/mock-api/state", get=admin.state),
]
