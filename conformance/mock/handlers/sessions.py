"""What update and download sessions share at the edge: one renderer of a session model,
one dispatcher of ``POST /{id}?action=...`` driven by a table of actions per kind, and
the list, get and delete endpoints.

A kind (``update_session.KIND``, ``download_session.KIND``) is data: which store, which
path parameter, the fields only it renders, and its actions. An action says how its body
is read and which store operation it runs; the order of checks is the same for every
action (authentication, the body and its shape, then the store's 404 and NACS).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from starlette.requests import Request
from starlette.responses import Response

from .. import errors
from ..clock import format_time
from ..models import Backend
from ..models.common import BaseSession, SessionStore
from . import shapes
from .common import (
    Body,
    Endpoint,
    authenticated,
    backend_of,
    no_content,
    ok,
    opt_int,
    optional_object,
    req_str,
    required_object,
    unknown_fields,
)

__all__ = ["FAIL", "Action", "SessionKind", "keep_alive", "no_body"]

Store = TypeVar("Store", bound="SessionStore[Any, Any]", contravariant=True)
Kind = TypeVar("Kind", bound="SessionStore[Any, Any]")


@dataclass(frozen=True, slots=True)
class Action(Generic[Store]):
    """One ``?action=``: its body (checked against ``shape``), then ``run`` on the store."""

    run: Callable[[Store, Backend, str, Body], None]
    #: how the body is read (README, "Bodies"): ``required_object`` (fail),
    #: ``optional_object`` (keep-alive: none, ``{}`` or ``null``); None: any body is ignored
    read: Callable[[Request], Awaitable[Body | None]] | None = None
    #: the body's shape; the backend picks it (a variant may widen it)
    shape: Callable[[Backend], shapes.Struct] | None = None

    async def __call__(self, request: Request, store: Store, session_id: str) -> None:
        backend = backend_of(request)
        body = (await self.read(request) or {}) if self.read is not None else {}
        if self.shape is not None:
            shapes.check(self.shape(backend), body, unknown=unknown_fields(request))
        self.run(store, backend, session_id, body)


def no_body(run: Callable[[Kind, str], None]) -> Action[Kind]:
    """An action that ignores any body: ``run(store, session_id)``."""
    return Action(lambda store, backend, session_id, body: run(store, session_id))


#: ``fail`` ``{"client_error_message": ...}``: the same for both kinds.
FAIL: Action[SessionStore[Any, Any]] = Action(
    lambda store, backend, session_id, body: store.fail(
        session_id, req_str(body, "client_error_message")
    ),
    required_object,
    lambda backend: shapes.FAIL,
)


def keep_alive(
    shape: shapes.Struct,
    unbounded: shapes.Struct,
    key: str,
    *,
    flawed_key: tuple[str, str] | None = None,
) -> Action[SessionStore[Any, Any]]:
    """keep-alive with the progress under ``key`` (0..100; any integer under the
    ``progress-unbounded`` variant); ``flawed_key`` = (flaw, key read instead under it)."""

    def progress_key(backend: Backend) -> str:
        if flawed_key is not None and backend.flawed(flawed_key[0]):
            return flawed_key[1]
        return key

    return Action(
        lambda store, backend, session_id, body: store.keep_alive(
            session_id, opt_int(body, progress_key(backend))
        ),
        optional_object,
        lambda backend: unbounded if backend.varied("progress-unbounded") else shape,
    )


@dataclass(frozen=True, slots=True)
class SessionKind(Generic[Kind]):
    """One kind of transfer session at the edge; its endpoints are methods."""

    store: Callable[[Backend], Kind]
    id_param: str  # the path parameter naming the session
    actions: Mapping[str, Action[Kind]]
    #: fields only this kind has, rendered between ``expiration_time`` and ``error_message``
    details: Callable[[Backend, Any], dict[str, Any]] = lambda backend, session: {}

    def render(self, backend: Backend, session: BaseSession[Any]) -> dict[str, Any]:
        """The session model as ``get`` returns it: no ``id`` (but under a flaw)."""
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
        out.update(self.details(backend, session))
        if session.error_message is not None:
            out["error_message"] = session.error_message.to_json()
        return out

    def endpoints(self) -> tuple[Endpoint, Endpoint, Endpoint, Endpoint]:
        """(list, get, delete, act), each behind ``authenticated``."""
        return (
            authenticated(self._list_ids),
            authenticated(self._get),
            authenticated(self._delete),
            authenticated(self._act),
        )

    async def _list_ids(self, request: Request) -> Response:
        backend = backend_of(request)
        item_id = request.query_params.get("library_item_id")
        return ok(backend, self.store(backend).list_ids(item_id))

    async def _get(self, request: Request) -> Response:
        backend = backend_of(request)
        session = self.store(backend).find(request.path_params[self.id_param])
        return ok(backend, self.render(backend, session))

    async def _delete(self, request: Request) -> Response:
        backend = backend_of(request)
        self.store(backend).delete(request.path_params[self.id_param])
        return no_content(backend)

    async def _act(self, request: Request) -> Response:
        """Dispatch on ``?action=``; a missing or unknown action has no operation: 404."""
        action = request.query_params.get("action")
        run = self.actions.get(action or "")
        if run is None:
            raise errors.no_operation_for_url(f"{request.url.path}?action={action or ''}")
        backend = backend_of(request)
        await run(request, self.store(backend), request.path_params[self.id_param])
        return no_content(backend)
