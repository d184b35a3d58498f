"""The REST client: what it records, what it hides, and what it turns into Errors."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import urlsplit

import pytest

from conformance.client import (
    LoginFailed,
    Redactor,
    RequestTimeout,
    ServiceUnavailable,
    TransportError,
    VcenterApi,
    VcenterClient,
)
from conformance.mock import FakeClock, MockServer, MockSettings

USER, PASSWORD = "administrator@vsphere.local", "pa55-word-for-client-tests"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def server(clock: FakeClock) -> Iterator[MockServer]:
    settings = MockSettings(user=USER, password=PASSWORD, clock=clock, api_session_timeout=600)
    with MockServer(settings) as running:
        yield running


def client_for(url: str, **kwargs: object) -> VcenterClient:
    return VcenterClient(url, USER, PASSWORD, redactor=Redactor(), timeout=5, **kwargs)  # type: ignore[arg-type]


def test_login_token_and_password_never_appear_in_recorded_exchanges(server: MockServer) -> None:
    client = client_for(server.url)
    seen = []
    client.add_listener(seen.append)
    login = client.login()
    assert client.token and login.status == 201
    VcenterApi(client).update_sessions.list()
    text = "".join(e.describe() + e.as_curl() + str(e.to_dict()) for e in seen)
    assert client.token not in text
    assert PASSWORD not in text
    assert "[REDACTED]" in text


def test_bad_password_raises_login_failed_without_the_password(server: MockServer) -> None:
    client = VcenterClient(server.url, USER, "not-the-password", redactor=Redactor())
    with pytest.raises(LoginFailed) as info:
        client.login()
    assert info.value.exchange is not None and info.value.exchange.status == 401
    assert "not-the-password" not in str(info.value)


def test_an_expired_login_session_is_renewed_once(server: MockServer, clock: FakeClock) -> None:
    client = client_for(server.url)
    client.login()
    first = client.token
    clock.advance(601)  # the API session expires for inactivity
    exchange = VcenterApi(client).update_sessions.list()
    assert exchange.status == 200
    assert client.relogins == 1 and client.token != first


def test_a_request_with_an_explicit_token_is_not_renewed(server: MockServer) -> None:
    client = client_for(server.url)
    client.login()
    exchange = client.request("GET", "/api/session", session_token="bogus-token-value")
    assert exchange.status == 401
    assert client.relogins == 0


class _Stub(BaseHTTPRequestHandler):
    status = 503
    delay = 0.0
    calls = 0

    def do_GET(self) -> None:
        type(self).calls += 1
        if self.delay:
            threading.Event().wait(self.delay)
        # a client that timed out has gone: nothing to answer, and nothing to print
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.send_response(self.status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"error_type": "SERVICE_UNAVAILABLE", "messages": []}')

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stub() -> Iterator[tuple[str, type[_Stub]]]:
    handler = type("Handler", (_Stub,), {"calls": 0})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", handler
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_503_is_retried_then_raised_as_service_unavailable(stub: tuple[str, type[_Stub]]) -> None:
    url, handler = stub
    client = client_for(url, unavailable_retries=2, retry_delay=0.01)
    with pytest.raises(ServiceUnavailable) as info:
        client.request("GET", "/api/content/library/item/update-session")
    assert handler.calls == 3
    assert info.value.exchange.status == 503


def test_no_answer_within_the_timeout_raises_request_timeout(stub: tuple[str, type[_Stub]]) -> None:
    url, handler = stub
    handler.delay, handler.status = 1.0, 200
    client = VcenterClient(url, USER, PASSWORD, redactor=Redactor(), timeout=0.2)
    with pytest.raises(RequestTimeout):
        client.request("GET", "/api/session")


class _CookieSetter(BaseHTTPRequestHandler):
    """Sets a session cookie on every answer (as vCenter's /rest login does) and notes
    every Cookie header that comes back."""

    cookies_seen: ClassVar[list[str]] = []

    def _answer(self) -> None:
        type(self).cookies_seen.append(self.headers.get("Cookie", ""))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Set-Cookie", "vmware-api-session-id=from-the-login; Path=/")
        self.end_headers()
        self.wfile.write(b'"from-the-login"')

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


def test_a_cookie_the_target_sets_is_never_sent_back() -> None:
    """A kept session cookie would authenticate the requests a test makes without a
    session (AUTH-NO-SESSION-401): the session travels in the header only."""
    handler = type("Handler", (_CookieSetter,), {"cookies_seen": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        client = client_for(f"http://127.0.0.1:{httpd.server_address[1]}")
        client.login()
        client.request("GET", "/api/content/library/item/update-session")
        client.request("GET", "/api/content/library/item/update-session", auth=False)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
    assert len(handler.cookies_seen) == 3
    assert handler.cookies_seen == ["", "", ""]


def test_a_closed_port_raises_transport_error() -> None:
    client = client_for("http://127.0.0.1:9")
    with pytest.raises(TransportError):
        client.request("GET", "/api/session")


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        (
            "GET https://u:pw-1@vc.example/api: refused",
            "GET https://REDACTED@vc.example/api: refused",
        ),
        ("http://token-1@h:8/x?y=1", "http://REDACTED@h:8/x?y=1"),
        ("see https://u:p@ss-1@vc.example#x", "see https://REDACTED@vc.example#x"),
        (
            '{"uri":"https://a:b-1@h/cls/data/x","by":"administrator@vsphere.local"}',
            '{"uri":"https://REDACTED@h/cls/data/x","by":"administrator@vsphere.local"}',
        ),
        ("curl 'https://u:pw-1@[::1]:8443/x'", "curl 'https://REDACTED@[::1]:8443/x'"),
    ],
)
def test_redactor_blanks_credentials_in_any_url_and_keeps_it_parseable(
    text: str, redacted: str
) -> None:
    assert Redactor().redact(text) == redacted


@pytest.mark.parametrize(
    "text",
    [
        "administrator@vsphere.local logged in",
        "https://vc.example/api/session as administrator@vsphere.local",
        "mailto:someone@example.com",
    ],
)
def test_redactor_leaves_text_without_url_credentials_alone(text: str) -> None:
    assert Redactor().redact(text) == text


def test_a_registered_password_inside_url_credentials_leaves_the_url_parseable() -> None:
    """The blanked URL is parsed again for the coverage table: ``[REDACTED]`` in the
    authority reads as a broken IPv6 address, which once crashed pytest."""
    redactor = Redactor([PASSWORD])
    text = redactor.redact(f"http://{USER}:{PASSWORD}@127.0.0.1:8080/api/session")
    assert text == "http://REDACTED@127.0.0.1:8080/api/session"
    assert urlsplit(text).hostname == "127.0.0.1"
