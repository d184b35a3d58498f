"""The mock's cis session service: login, the session header, logout, inactivity expiry."""

from __future__ import annotations

import re

import pytest
from mock_fixtures import ISO_MS_Z, PASSWORD, SESSION_HEADER, US, USER, Api, assert_error

from conformance.mock import FakeClock

pytest_plugins = ["mock_fixtures"]


def test_session_create_with_basic_auth_returns_201_and_bare_token(anon: Api) -> None:
    response = anon.post("/api/session", auth=(USER, PASSWORD))
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    token = response.json()
    assert isinstance(token, str) and len(token) >= 32


def test_session_create_tokens_are_unique(anon: Api) -> None:
    assert anon.login() != anon.login()


@pytest.mark.parametrize(
    "auth",
    [None, (USER, "wrong"), ("someone@vsphere.local", PASSWORD), ("", "")],
    ids=["none", "bad-password", "bad-user", "empty"],
)
def test_session_create_with_bad_credentials_is_401(
    anon: Api, auth: tuple[str, str] | None
) -> None:
    response = anon.post("/api/session", auth=auth)
    body = assert_error(response, 401, "UNAUTHENTICATED")
    assert "Basic" in response.headers["www-authenticate"]
    assert body["messages"][0]["default_message"] == "Authentication required."


@pytest.mark.parametrize("header", ["Basic !!!notbase64", "Bearer abc", "Basic " + "YWJj"])
def test_session_create_with_malformed_authorization_is_401(anon: Api, header: str) -> None:
    assert_error(
        anon.post("/api/session", headers={"Authorization": header}), 401, "UNAUTHENTICATED"
    )


def test_session_get_returns_user_and_times(api: Api) -> None:
    response = api.get("/api/session")
    assert response.status_code == 200
    body = response.json()
    assert body["user"] == USER
    assert re.match(ISO_MS_Z, body["created_time"])
    assert re.match(ISO_MS_Z, body["last_accessed_time"])


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/session"),
        ("DELETE", "/api/session"),
        ("GET", US),
        ("POST", US),
        ("GET", "/api/vcenter/datastore"),
        ("GET", "/api/content/local-library"),
        ("POST", f"{US}/whatever?action=complete"),
    ],
)
def test_calls_without_session_header_are_401(anon: Api, method: str, path: str) -> None:
    assert_error(anon.request(method, path, json={}), 401, "UNAUTHENTICATED")


def test_calls_with_unknown_token_are_401(anon: Api) -> None:
    response = anon.get(US, headers={SESSION_HEADER: "0" * 32})
    assert_error(response, 401, "UNAUTHENTICATED")


def test_session_delete_returns_204_and_kills_the_token(api: Api) -> None:
    assert api.get(US).status_code == 200
    response = api.delete("/api/session")
    assert response.status_code == 204
    assert response.content == b""
    assert_error(api.get(US), 401, "UNAUTHENTICATED")
    assert_error(api.delete("/api/session"), 401, "UNAUTHENTICATED")


def test_logout_leaves_other_sessions_alive(api: Api, anon: Api) -> None:
    first = api.token
    api.login()
    assert api.delete("/api/session").status_code == 204
    assert api.get(US, headers={SESSION_HEADER: first}).status_code == 200


def test_api_session_expires_after_inactivity(api: Api, clock: FakeClock) -> None:
    clock.advance(1800.001)
    assert_error(api.get(US), 401, "UNAUTHENTICATED")


def test_api_session_timeout_slides_with_use(api: Api, clock: FakeClock) -> None:
    for _ in range(3):
        clock.advance(1700)
        assert api.get(US).status_code == 200
    body = api.get("/api/session").json()
    assert body["created_time"] != body["last_accessed_time"]
