"""``com.vmware.cis.session``: login with Basic auth, get, logout."""

from __future__ import annotations

import base64
import binascii

from starlette.requests import Request
from starlette.responses import Response

from ..clock import format_time
from .common import SESSION_HEADER, backend_of, created, no_content, ok

__all__ = ["get_session", "login", "logout"]


def _basic_credentials(header: str | None) -> tuple[str | None, str | None]:
    """(user, password) from ``Authorization: Basic ...``; (None, None) if absent or broken."""
    if header is None:
        return None, None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else (None, None)


async def login(request: Request) -> Response:
    backend = backend_of(request)
    user, password = _basic_credentials(request.headers.get("authorization"))
    token = backend.api_sessions.login(user, password)
    return created(backend, token, 200 if backend.flawed("login-returns-200") else 201)


async def get_session(request: Request) -> Response:
    backend = backend_of(request)
    session = backend.api_sessions.touch(request.headers.get(SESSION_HEADER))
    info = {
        "user": session.user,
        "created_time": format_time(session.created_at),
        "last_accessed_time": format_time(session.last_accessed_at),
    }
    if backend.flawed("session-get-omits-user"):
        del info["user"]
    return ok(backend, info)


async def logout(request: Request) -> Response:
    backend = backend_of(request)
    backend.api_sessions.logout(request.headers.get(SESSION_HEADER))
    return no_content(backend)
