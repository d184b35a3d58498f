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
from conformance.client import (
    DOWNLOAD_SESSION_PATH,
    UPDATE_SESSION_PATH,
    VcenterApi,
    VcenterClient,
)
from conformance.config import Config

from ._verify import Verifier


@pytest.mark.requirement("AUTH-LOGIN-201")
def test_session_login_returns_bare_token(
    make_client: Callable[[], VcenterClient], verify: Verifier
) -> None:
    login = make_client().login()  # a refusal raises LoginFailed: nothing to judge then
    verify.success(login, 201, "login", operation_id="session_create")
    verify.that(
        isinstance(login.json, str),
        "login must return the session id as a bare JSON string",
        expected='"<token>"',
        actual=type(login.json).__name__,
    )


@pytest.mark.requirement("AUTH-LOGIN-BAD-401")
def test_session_login_with_bad_password_is_unauthenticated(
    make_client: Callable[[], VcenterClient], settings: Config, verify: Verifier
) -> None:
    wrong = base64.b64encode(f"{settings.user}:wrong-{secrets.token_hex(6)}".encode()).decode()
    basic = {"Authorization": f"Basic {wrong}"}
    login = make_client().request("POST", "/api/session", auth=False, headers=basic)
    verify.error(login, "login with a wrong password")


@pytest.mark.requirement("AUTH-NO-SESSION-401")
def test_update_session_list_without_session_is_unauthenticated(
    client: VcenterClient, verify: Verifier
) -> None:
    listed = client.request("GET", UPDATE_SESSION_PATH, auth=False)
    verify.error(listed, "update session list without vmware-api-session-id")


@pytest.mark.requirement("AUTH-NO-SESSION-401")
def test_download_session_list_with_bogus_session_is_unauthenticated(
    client: VcenterClient, verify: Verifier
) -> None:
    listed = client.request("GET", DOWNLOAD_SESSION_PATH, session_token=secrets.token_hex(16))
    verify.error(listed, "download session list with a session id the target never issued")


@pytest.mark.requirement("AUTH-SESSION-GET", "WIRE-DATETIME-FORMAT")
def test_session_get_describes_the_session(
    api: VcenterApi, settings: Config, verify: Verifier
) -> None:
    got = api.session.get()
    body = verify.success(got, 200, "session get", operation_id="session_get")
    user = body.get("user") if isinstance(body, dict) else body
    # vCenter may name the user as user@DOMAIN or DOMAIN\\user: the name must be in it
    verify.that(
        isinstance(body, dict) and settings.user.split("@")[0].lower() in str(user or "").lower(),
        "the session must name the user who logged in",
        expected=settings.user,
        actual=user,
    )
    for field in ("created_time", "last_accessed_time"):
        verify.soft(check_datetime, body.get(field), field, got)


@pytest.mark.requirement("AUTH-LOGOUT-204")
def test_session_logout_ends_the_session(
    make_client: Callable[[], VcenterClient], verify: Verifier
) -> None:
    client = make_client()
    client.login()
    token = client.token
    assert token is not None
    verify.void(client.request("DELETE", "/api/session"), "logout")
    got = client.request("GET", "/api/session", session_token=token)
    verify.error(got, "session get with the session id of a logged-out session")
