"""Build the Starlette app, and render every error in one place.

The single renderer turns any ``VapiError`` (and Starlette's own 404/405, and any bug)
into the /api error body ``{"error_type", "messages", "data"?}`` with
``Content-Type: application/json``. The wire-format flaws are applied here and only here.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as AsgiMessage

from . import errors
from .errors import Message, VapiError
from .fastpath import FrontDoor
from .faults import ConnectionDropped, FaultMiddleware
from .handlers.common import backend_of, json_media_type, wire_variants
from .models import Backend
from .routes import ROUTES, MockRouter
from .settings import MockSettings

__all__ = ["create_app", "render_error"]

_ADMIN_PREFIX = "/mock-api/"
_log = logging.getLogger("conformance.mock")


def render_error(request: Request, exc: VapiError, status: int | None = None) -> Response:
    """The one place an error becomes a response; ``status`` overrides the class's."""
    backend = backend_of(request)
    status = exc.status if status is None else status
    if request.url.path.startswith(_ADMIN_PREFIX):
        return JSONResponse(exc.body(), status_code=status, headers=exc.headers)
    if isinstance(exc, errors.ResourceBusy) and backend.varied("resource-busy-400"):
        status = 400
    body = exc.body(with_error_type=not backend.flawed("error-body-no-error-type"))
    if backend.variants:
        body = _error_variants(backend, body)
    if backend.flawed("error-messages-empty"):
        body["messages"] = []
    if backend.flawed("error-body-legacy-envelope"):
        body = {"type": exc.legacy_type, "value": body}
    if backend.flawed("error-text-plain"):
        return Response(json.dumps(body), status, exc.headers, media_type="text/plain")
    return JSONResponse(
        body, status_code=status, headers=exc.headers, media_type=json_media_type(backend)
    )


def _error_variants(backend: Backend, body: dict[str, Any]) -> dict[str, Any]:
    """Legitimate extras of an error body: data, message params and localized text."""
    if backend.varied("error-details"):
        body.setdefault("data", {})
        for message in body["messages"]:
            message.setdefault("params", {})
            message.setdefault("localized", message["default_message"])
    out: dict[str, Any] = wire_variants(backend, body)
    return out


async def _on_vapi_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, VapiError)
    return render_error(request, exc)


async def _on_http_error(request: Request, exc: Exception) -> Response:
    """Starlette's routing errors: no route (404) or no such method on a route (405)."""
    assert isinstance(exc, HTTPException)
    path = request.url.path
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        return render_error(
            request, errors.no_operation_for_method(request.method, path, allowed), 405
        )
    if exc.status_code == 404:
        return render_error(request, errors.no_operation_for_url(path))
    generic = VapiError(Message("com.vmware.vapi.rest.httpError", exc.detail))
    return render_error(request, generic, exc.status_code)


async def _on_crash(request: Request, exc: Exception) -> Response:
    """A bug in the mock: still a vAPI body, never an HTML traceback."""
    return render_error(request, errors.internal_error(type(exc).__name__))


async def _on_any_error(request: Request, exc: Exception) -> Response:
    """The front door's error answer: what the exception layer (a vAPI error, a routing
    error) or else ``CrashMiddleware`` (a bug, logged) answers for ``exc``."""
    if isinstance(exc, VapiError):
        return await _on_vapi_error(request, exc)
    if isinstance(exc, HTTPException):
        return await _on_http_error(request, exc)
    scope = request.scope
    _log.error("the mock failed on %s %s", scope["method"], scope["path"], exc_info=exc)
    return await _on_crash(request, exc)


class CrashMiddleware:
    """The outermost layer: answer a bug with the vAPI 500 here, so that the connection
    stays open.

    It stands where Starlette's ``ServerErrorMiddleware`` would (``MockApp`` builds the
    stack without it: one layer and one wrapped ``send`` less per request). That one
    answers too, but then re-raises, and uvicorn closes a connection whose application
    raised: the client sees a reset on its next request. Once the answer has started
    there is nothing to do but that. A ``ConnectionDropped`` (a drop fault where the
    server offers no abort hook) is answered and re-raised, as Starlette's layer did,
    so that an in-process client sees the drop.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: AsgiMessage) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except ClientDisconnect:
            return  # nobody is listening (a client gone, or a stalled request aborted)
        except ConnectionDropped as exc:
            if not started:
                await (await _on_crash(Request(scope, receive), exc))(scope, receive, send)
            raise
        except Exception as exc:
            if started:
                raise
            _log.exception("the mock failed on %s %s", scope["method"], scope["path"])
            response = await _on_crash(Request(scope, receive), exc)
            await response(scope, receive, send)


class MockApp(Starlette):
    """The Starlette app with its ``Backend`` as a plain attribute (``backend_of``),
    a front door for the /api REST routes (``fastpath.py``), and behind it a shorter
    middleware stack: ``CrashMiddleware`` → ``FaultMiddleware`` → Starlette's
    ``ExceptionMiddleware`` → ``MockRouter``."""

    backend: Backend
    front_door: FrontDoor

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.front_door(scope, receive, send)

    async def behind_the_door(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Starlette's own entry: the middleware stack, then the router."""
        await super().__call__(scope, receive, send)

    def build_middleware_stack(self) -> ASGIApp:
        handlers = {
            key: handler
            for key, handler in self.exception_handlers.items()
            if key not in (500, Exception)  # Exception: CrashMiddleware's, as in Starlette
        }
        app: ASGIApp = ExceptionMiddleware(self.router, handlers=handlers, debug=self.debug)
        app = FaultMiddleware(app, source=self.backend)  # faults.py; cheap when off
        return CrashMiddleware(app)


def create_app(settings: MockSettings | None = None) -> MockApp:
    """A fresh mock vCenter; ``app.state.backend`` is its state, for in-process tests."""
    backend = Backend(settings)
    app = MockApp(
        routes=ROUTES,
        exception_handlers={
            VapiError: _on_vapi_error,
            HTTPException: _on_http_error,
            Exception: _on_crash,
        },
    )
    # vCenter does not redirect; a wrong path is a 404
    app.router = MockRouter(ROUTES, redirect_slashes=False)
    app.state.backend = app.backend = backend
    app.front_door = FrontDoor(app.behind_the_door, app, backend, ROUTES, _on_any_error)
    return app
