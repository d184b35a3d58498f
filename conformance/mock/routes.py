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

from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route, Router
from starlette.types import Receive, Scope, Send

from .dialects import jsonrpc, rest_legacy
from .handlers import admin, cis, fixtures, library, transfer
from .handlers import download_files as df
from .handlers import download_session as ds
from .handlers import update_files as uf
from .handlers import update_session as us
from .handlers.common import Endpoint

__all__ = ["ROUTES", "MockRouter"]

ITEM = "/api/content/library/item"
US = ITEM + "/update-session"
DS = ITEM + "/download-session"
DATA = "/cls/data"  # upload and download endpoints (§8), outside /api


class _Resource(Route):
    """A ``Route`` dispatching on the HTTP method, served without Starlette's per-route
    wrapper: the app's ``ExceptionMiddleware`` already turns a handler's exception into
    its answer, so the wrapper's second ``Request`` and exception guard bought nothing.
    ``endpoint`` stays a plain ``request -> response`` function (``dialects/invoke.py``
    calls it in-process)."""

    def __init__(self, path: str, table: dict[str, Endpoint]) -> None:
        self.table = table  # method -> endpoint; the front door (``fastpath.py``) reads it

        async def dispatch(request: Request) -> Response:
            return await table[request.method](request)

        super().__init__(path, dispatch, methods=list(table), name=path)

        async def serve(scope: Scope, receive: Receive, send: Send) -> None:
            response = await table[scope["method"]](Request(scope, receive, send))
            await response(scope, receive, send)

        self.app = serve


def resource(path: str, **methods: Endpoint) -> Route:
    """One route for ``path`` dispatching on the HTTP method (HEAD follows GET)."""
    table = {name.upper(): endpoint for name, endpoint in methods.items()}
    if "GET" in table:
        table["HEAD"] = table["GET"]
    return _Resource(path, table)


class MockRouter(Router):
    """Starlette's router, with a cheap first pass over the routes.

    Starlette asks every route in turn to match the path with its regex; most cannot
    match, and asking costs a call and a regex each. The first pass skips a route whose
    literal start (its path up to the first ``{``; the whole path when it has no
    parameter) the path does not have, which is exact: a route's regex only matches
    paths that start with its literal part. Only routes left are asked, in the same
    order; anything but a full match (a 405, a 404) goes to Starlette's own pass, and so
    does a request under a ``root_path`` (none here: the mock is never mounted).
    """

    def __init__(self, routes: Sequence[BaseRoute], **kwargs: Any) -> None:
        super().__init__(routes, **kwargs)
        self._literal: list[tuple[str, bool, BaseRoute]] = []
        for route in self.routes:
            if isinstance(route, Route):
                literal, brace, _ = route.path.partition("{")
                self._literal.append((literal, not brace, route))
            else:  # another kind of route: always asked
                self._literal.append(("", False, route))

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope.get("root_path"):  # else: Starlette's pass
            path = scope["path"]
            for literal, exact, route in self._literal:
                if (path == literal) if exact else path.startswith(literal):
                    match, child_scope = route.matches(scope)
                    if match is Match.FULL:
                        scope.setdefault("router", self)
                        scope["route"] = route
                        scope.update(child_scope)
                        await route.handle(scope, receive, send)
                        return
        await super().app(scope, receive, send)


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
    resource("/api", post=jsonrpc.endpoint),
    resource(
        "/rest/{rest_path:path}",
        get=rest_legacy.endpoint,
        post=rest_legacy.endpoint,
        put=rest_legacy.endpoint,
        patch=rest_legacy.endpoint,
        delete=rest_legacy.endpoint,
    ),
    # admin (tests only)
    resource("/mock-api/reset", post=admin.reset),
    resource("/mock-api/clock/advance", post=admin.advance_clock),
    resource("/mock-api/flaws", get=admin.get_flaws, put=admin.put_flaws),
    resource("/mock-api/variants", get=admin.get_variants, put=admin.put_variants),
    resource("/mock-api/faults", get=admin.get_faults, put=admin.put_faults),
    resource("/mock-api/state", get=admin.state),
]
