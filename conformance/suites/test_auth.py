"""The API login session (``/api/session``): login, get, logout and 401s.

contract.md §2 and §10.1; every session operation on the seed pages needs
an authenticated caller.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable

import pytest

from conformance.checks import check_datetime
from conformance.client import VcenterApi, VcenterClient
from conformance.config import Config

from ._verify import Verifier


@pytest.mark.requirement("AUTH-LOGIN-201")
def test_session_login_returns_bare_token(
    make_client: Callable[[], VcenterClient], verify: Verifier
) -> None:
    client = make_client()
    exchange = client.login()  # a refusal raises LoginFailed: nothing to judge then
    verify.success(exchange, 201, "AUTH-LOGIN-201", "login", operation_id="session_create")
    verify.that(
        isinstance(exchange.json, str),
        "AUTH-LOGIN-201",
        "login must return the session id as a bare JSON string",
        expected='"<token>"',
        actual=type(exchange.json).__name__,
        exchange=exchange,
    )


@pytest.mark.requirement("AUTH-LOGIN-BAD-401")
def test_session_login_with_bad_password_is_unauthenticated(
    make_client: Callable[[], VcenterClient], settings: Config, verify: Verifier
) -> None:
    client = make_client()
    wrong = base64.b64encode(f"{settings.user}:wrong-{secrets.token_hex(6)}".encode()).decode()
    exchange = client.request(
        "POST", "/api/session", auth=False, headers={"Authorization": f"Basic {wrong}"}
    )
    verify.error(
        exchange,
        requirement="AUTH-LOGIN-BAD-401",
        what="login with a wrong password",
    )


@pytest.mark.requirement("AUTH-NO-SESSION-401")
def test_update_session_list_without_session_is_unauthenticated(
    client: VcenterClient, verify: Verifier
) -> None:
    verify.error(
        client.request("GET", "/api/content/library/item/update-session", auth=False),
        requirement="AUTH-NO-SESSION-401",
        what="update session list without vmware-api-session-id",
    )


@pytest.mark.requirement("AUTH-NO-SESSION-401")
def test_download_session_list_with_bogus_session_is_unauthenticated(
    client: VcenterClient, verify: Verifier
) -> None:
    verify.error(
        client.request(
            "GET",
            "/api/content/library/item/download-session",
            session_token=secrets.token_hex(16),
        ),
        requirement="AUTH-NO-SESSION-401",
        what="download session list with a session id the target never issued",
    )


@pytest.mark.requirement("AUTH-SESSION-GET", "WIRE-DATETIME-FORMAT")
def test_session_get_describes_the_session(
    api: VcenterApi, settings: Config, verify: Verifier
) -> None:
    exchange = api.session.get()
    body = verify.success(
        exchange, 200, "AUTH-SESSION-GET", "session get", operation_id="session_get"
    )
    verify.that(
        isinstance(body, dict)
        # vCenter may name the user as user@DOMAIN or DOMAIN\\user: the name must be in it
        and settings.user.split("@")[0].lower() in str(body.get("user", "")).lower(),
        "AUTH-SESSION-GET",
        "the session must name the user who logged in",
        expected=settings.user,
        actual=body.get("user") if isinstance(body, dict) else body,
        exchange=exchange,
    )
    for field in ("created_time", "last_accessed_time"):
        verify.soft(check_datetime, body.get(field), field, exchange)


@pytest.mark.requirement("AUTH-LOGOUT-204")
def test_session_logout_ends_the_session(
    make_client: Callable[[], VcenterClient], verify: Verifier
) -> None:
    client = make_client()
    client.login()
    token = client.token
    assert token is not None
    exchange = client.request("DELETE", "/api/session")
    verify.void(exchange, "AUTH-LOGOUT-204", "logout")
    verify.error(
        client.request("GET", "/api/session", session_token=token),
        requirement="AUTH-LOGOUT-204",
        what="session get with the session id of a logged-out session",
    )
