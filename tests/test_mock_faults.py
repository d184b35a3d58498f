"""Fault injection (``conformance.mock.faults``): drops, 503s and delays, over real HTTP."""

from __future__ import annotations

import asyncio
import logging
import random
import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from mock_fixtures import LIB, PASSWORD, USER, Api, assert_error

from conformance.client import RequestTimeout, ServiceUnavailable, TransportError, VcenterClient
from conformance.mock import MockServer, MockSettings
from conformance.mock.faults import (
    MAX_DELAY_SECONDS,
    ConnectionDropped,
    FaultInjector,
    FaultMiddleware,
    Faults,
    parse_fault_spec,
)

pytest_plugins = ["mock_fixtures"]

SESSION = "/api/session"


@pytest.fixture
def api(mock: MockServer) -> Iterator[Api]:
    """A logged-in client of the shared mock; faults are off again afterwards."""
    client = Api(mock.url)
    client.login()
    yield client
    client.close()
    mock.backend.set_faults(None)


def statuses(api: Api, count: int, path: str = SESSION) -> list[int]:
    return [api.get(path).status_code for _ in range(count)]


def faults_info(server: MockServer) -> dict[str, Any]:
    response = requests.get(server.url + "/mock-api/faults", timeout=5)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


# -- 503 --------------------------------------------------------------------------------


def test_no_fault_by_default(mock: MockServer) -> None:
    assert mock.backend.faults is None
    assert mock.backend.fault_injector is None
    info = faults_info(mock)
    assert info == {
        "faults": None,
        "matched": 0,
        "injected": {"drop": 0, "unavailable": 0, "delay": 0},
    }


def test_unavailable_every_third_request_is_a_vapi_503(mock: MockServer, api: Api) -> None:
    mock.backend.set_faults(Faults(unavailable_every=3))
    responses = [api.get(SESSION) for _ in range(6)]
    assert [r.status_code for r in responses] == [200, 200, 503, 200, 200, 503]
    body = assert_error(responses[2], 503, "SERVICE_UNAVAILABLE")
    assert body["messages"][0]["id"] == "mock.fault.service_unavailable"
    info = faults_info(mock)
    assert info["matched"] == 6
    assert info["injected"] == {"drop": 0, "unavailable": 2, "delay": 0}
    assert info["faults"]["unavailable_every"] == 3


def test_login_and_admin_routes_are_spared_unless_asked(mock: MockServer) -> None:
    mock.backend.set_faults(Faults(unavailable_every=1, paths=("/",)))
    client = Api(mock.url)
    try:
        client.login()  # POST /api/session is not faulted by default
        assert client.get(SESSION).status_code == 503
        assert client.get("/no/such/route").status_code == 503  # "/" matches every path
        assert requests.get(mock.url + "/mock-api/state", timeout=5).status_code == 200
        mock.backend.set_faults(Faults(unavailable_every=1, include_login=True))
        response = client.post(SESSION, auth=(USER, PASSWORD))
        assert_error(response, 503, "SERVICE_UNAVAILABLE")
    finally:
        client.close()


def test_paths_filter_matches_whole_segments(mock: MockServer, api: Api) -> None:
    mock.backend.set_faults(Faults(unavailable_every=1, paths=("/api/content/local-library",)))
    assert api.get(SESSION).status_code == 200
    assert api.get(LIB).status_code == 503
    assert api.get(LIB + "/lib-1").status_code == 503
    injector = FaultInjector(Faults(unavailable_every=1, paths=("/api/content/",)))
    assert injector.matches("GET", "/api/content")
    assert injector.matches("GET", "/api/content/x")
    assert not injector.matches("GET", "/api/contents")
    assert not injector.matches("GET", "/mock-api/state")


def test_seeded_random_mode_replays(mock: MockServer, api: Api) -> None:
    faults = Faults(unavailable_rate=0.5, seed=7)
    draws = random.Random(7)
    expected = [503 if draws.random() < 0.5 else 200 for _ in range(20)]
    assert 200 in expected and 503 in expected
    mock.backend.set_faults(faults)
    assert statuses(api, 20) == expected
    mock.backend.set_faults(faults)  # a new configuration starts over
    assert statuses(api, 20) == expected


def test_turning_faults_off_restores_normal_answers(mock: MockServer, api: Api) -> None:
    mock.backend.set_faults(Faults(unavailable_every=1))
    assert api.get(SESSION).status_code == 503
    mock.backend.set_faults(Faults())  # inactive: the same as None
    assert mock.backend.faults is None and mock.backend.fault_injector is None
    assert statuses(api, 3) == [200, 200, 200]


# -- drop -------------------------------------------------------------------------------


def test_drop_closes_the_connection_without_any_response(
    mock: MockServer, api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    mock.backend.set_faults(Faults(drop_every=2))
    with caplog.at_level(logging.WARNING):
        assert api.get(SESSION).status_code == 200
        with pytest.raises(requests.ConnectionError):
            api.get(SESSION)
        with pytest.raises(requests.ConnectionError):  # a body left unread changes nothing
            api.get(SESSION)
            api.post(LIB, json={"name": "x" * 10_000})
        # On the wire: not even a status line.
        mock.backend.set_faults(Faults(drop_every=1))
        with socket.create_connection(("127.0.0.1", mock.port), timeout=5) as sock:
            sock.sendall(b"GET /api/session HTTP/1.1\r\nHost: x\r\n\r\n")
            try:
                data = sock.recv(1024)
            except ConnectionResetError:
                data = b""
        assert data == b""
        mock.backend.set_faults(None)
        assert api.get(SESSION).status_code == 200
    # uvicorn saw a clean disconnect: no "returned without starting response", no 500.
    assert not [r for r in caplog.records if r.name.startswith("uvicorn")]
    assert faults_info(mock)["matched"] == 0  # off: nothing counted


def test_drop_wins_over_unavailable(mock: MockServer, api: Api) -> None:
    mock.backend.set_faults(Faults(drop_every=1, unavailable_every=1))
    with pytest.raises(requests.ConnectionError):
        api.get(SESSION)
    assert faults_info(mock)["injected"] == {"drop": 1, "unavailable": 0, "delay": 0}


def test_drop_without_an_abort_hook_raises() -> None:
    """In-process (no uvicorn protocol of ours) a drop cannot close a socket: it raises."""

    class Source:
        fault_injector = FaultInjector(Faults(drop_every=1))

    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("never reached")

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        raise AssertionError("nothing is sent")

    middleware = FaultMiddleware(app, Source())
    scope = {"type": "http", "method": "GET", "path": SESSION}
    with pytest.raises(ConnectionDropped):
        asyncio.run(middleware(scope, receive, send))


# -- delay ------------------------------------------------------------------------------


def test_delay_beyond_the_client_timeout_is_a_timeout(mock: MockServer, api: Api) -> None:
    mock.backend.set_faults(Faults(delay_seconds=0.3))
    with pytest.raises(requests.Timeout):
        api.http.post(mock.url + LIB, json=_library(), timeout=0.05)
    started = time.monotonic()
    response = api.http.post(mock.url + LIB, json=_library(), timeout=5)  # body replayed
    assert time.monotonic() - started >= 0.3
    assert response.status_code == 201, response.text
    mock.backend.set_faults(None)
    time.sleep(0.1)  # past the abandoned request's delay
    # The request whose client hung up during the delay was never handled.
    assert api.get(LIB).json() == [response.json()]


def test_delay_only_every_nth(mock: MockServer, api: Api) -> None:
    mock.backend.set_faults(Faults(delay_seconds=0.2, delay_every=2))
    times = []
    for _ in range(4):
        started = time.monotonic()
        assert api.get(SESSION).status_code == 200
        times.append(time.monotonic() - started)
    assert [t >= 0.2 for t in times] == [False, True, False, True]


def test_stopping_the_server_cuts_a_delay_short() -> None:
    faults = Faults(delay_seconds=MAX_DELAY_SECONDS)
    errors: list[BaseException] = []
    with MockServer(MockSettings(faults=faults)) as server:

        def call() -> None:
            try:
                requests.get(server.url + SESSION, timeout=30)
            except requests.RequestException as exc:
                errors.append(exc)

        thread = threading.Thread(target=call)
        thread.start()
        deadline = time.monotonic() + 5
        while not server.backend.fault_injector or not server.backend.fault_injector.delayed:
            assert time.monotonic() < deadline
            time.sleep(0.005)
        started = time.monotonic()
    assert time.monotonic() - started < 1.5
    thread.join(5)
    assert len(errors) == 1 and isinstance(errors[0], requests.ConnectionError)


def _library() -> dict[str, Any]:
    return {
        "name": "slow",
        "type": "LOCAL",
        "storage_backings": [{"type": "DATASTORE", "datastore_id": "datastore-101"}],
    }


# -- configuration ----------------------------------------------------------------------


def test_settings_faults_apply_from_start_and_after_reset() -> None:
    with MockServer(MockSettings(faults=Faults(unavailable_every=1))) as server:
        token = requests.post(server.url + SESSION, auth=(USER, PASSWORD), timeout=5).json()
        headers = {"vmware-api-session-id": token}
        assert requests.get(server.url + SESSION, headers=headers, timeout=5).status_code == 503
        server.backend.set_faults(None)
        assert requests.get(server.url + SESSION, headers=headers, timeout=5).status_code == 200
        assert requests.post(server.url + "/mock-api/reset", timeout=5).status_code == 204
        assert server.backend.faults == Faults(unavailable_every=1)


def test_admin_route_sets_and_clears_faults(mock: MockServer, api: Api) -> None:
    url = mock.url + "/mock-api/faults"
    response = requests.put(
        url, json={"unavailable_every": 1, "paths": ["/api/content"]}, timeout=5
    )
    assert response.status_code == 200, response.text
    assert response.json()["faults"] == {
        **Faults().to_json(),
        "unavailable_every": 1,
        "paths": ["/api/content"],
    }
    assert mock.backend.faults == Faults(unavailable_every=1, paths=("/api/content",))
    assert api.get(LIB).status_code == 503
    assert api.get(SESSION).status_code == 200
    for bad in ({"drop_every": -1}, {"dropp_every": 1}, {"delay_seconds": "1"}, {"paths": "x"}):
        response = requests.put(url, json=bad, timeout=5)
        assert_error(response, 400, "INVALID_ARGUMENT")
    assert_error(requests.put(url, data=b"[1]", timeout=5), 400, "INVALID_ARGUMENT")
    assert mock.backend.faults is not None  # a rejected PUT changes nothing
    assert requests.put(url, json={}, timeout=5).json()["faults"] is None
    assert api.get(LIB).status_code == 200


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"drop_rate": 1.5}, "drop_rate must be a number from 0 to 1"),
        ({"unavailable_rate": float("nan")}, "unavailable_rate must be a number"),
        ({"drop_every": -1}, "drop_every must be a whole number >= 0"),
        ({"drop_every": True}, "drop_every must be a whole number >= 0"),
        ({"delay_every": 1.5}, "delay_every must be a whole number >= 0"),
        ({"delay_seconds": MAX_DELAY_SECONDS + 1}, "delay_seconds must be a number from 0 to 300"),
        ({"paths": ("api",)}, "each prefix must start with '/'"),
        ({"paths": 3}, "paths must be a list of path prefixes"),
        ({"include_login": "yes"}, "include_login must be true or false"),
        ({"seed": 1.0}, "seed must be a whole number or null"),
    ],
)
def test_faults_validation(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Faults(**fields)


def test_faults_activity_and_json_round_trip() -> None:
    assert not Faults().active
    assert not Faults(drop_every=1, paths=()).active
    assert Faults(delay_seconds=0.1).active
    assert Faults(paths="/api/x").paths == ("/api/x",)  # type: ignore[arg-type]
    faults = Faults(drop_rate=0.25, delay_seconds=1, delay_every=3, seed=5, include_login=True)
    assert Faults.from_json(faults.to_json()) == faults
    assert FaultInjector.of(Faults()) is None and FaultInjector.of(None) is None


# -- client view: Error, never Fail -----------------------------------------------------


def test_the_suite_client_reports_faults_as_errors(mock: MockServer) -> None:
    client = VcenterClient(mock.url, USER, PASSWORD, timeout=0.1, retry_delay=0)
    try:
        client.login()
        mock.backend.set_faults(Faults(unavailable_every=1))
        with pytest.raises(ServiceUnavailable):
            client.request("GET", SESSION)
        mock.backend.set_faults(Faults(drop_every=1))
        with pytest.raises(TransportError) as dropped:
            client.request("GET", SESSION)
        assert not isinstance(dropped.value, RequestTimeout)
        mock.backend.set_faults(Faults(delay_seconds=0.3))
        with pytest.raises(RequestTimeout):
            client.request("GET", SESSION)
        mock.backend.set_faults(None)
        assert client.request("GET", SESSION).status == 200
    finally:
        mock.backend.set_faults(None)
        client.close()


# -- command-line spec ------------------------------------------------------------------


def test_parse_fault_spec() -> None:
    assert parse_fault_spec("unavailable_every=3,delay_seconds=2") == Faults(
        unavailable_every=3, delay_seconds=2.0
    )
    assert parse_fault_spec(" drop_rate = 0.1 , seed=42, include_login=yes ") == Faults(
        drop_rate=0.1, seed=42, include_login=True
    )
    assert parse_fault_spec("drop_every=2,paths=/api/session,paths=/api/content") == Faults(
        drop_every=2, paths=("/api/session", "/api/content")
    )
    assert parse_fault_spec("seed=none,drop_every=1").seed is None
    assert parse_fault_spec("") == parse_fault_spec("off") == Faults()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("drop_every", "'drop_every' is not key=value"),
        ("drop_every=3,,", "'' is not key=value"),
        ("dropevery=3", "unknown key 'dropevery'; known: drop_rate, drop_every"),
        ("drop_every=three", "drop_every must be a whole number, not 'three'"),
        ("drop_rate=lots", "drop_rate must be a number, not 'lots'"),
        ("include_login=maybe", "include_login must be true or false, not 'maybe'"),
        ("seed=x", "seed must be a whole number or none, not 'x'"),
        ("drop_every=1,drop_every=2", "drop_every given twice"),
        ("drop_rate=2", "drop_rate must be a number from 0 to 1, not 2.0"),
        ("paths=api", "each prefix must start with '/'"),
    ],
)
def test_parse_fault_spec_errors(spec: str, message: str) -> None:
    with pytest.raises(
        ValueError, match=f"^{re.escape(f'fault spec {spec!r}: ')}.*{re.escape(message)}"
    ):
        parse_fault_spec(spec)
