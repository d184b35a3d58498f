"""MockServer over real HTTP, ``serve``, the /mock-api admin routes and MockSettings."""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from mock_fixtures import PASSWORD, US, USER, Api, assert_error

from conformance.mock import FLAWS, FakeClock, MockServer, MockSettings, create_app
from conformance.mock.models import Backend

pytest_plugins = ["mock_fixtures"]

ROOT = Path(__file__).resolve().parents[1]


def _refused(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_mock_server_starts_serves_and_stops_cleanly() -> None:
    threads_before = set(threading.enumerate())
    with MockServer(MockSettings()) as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert not server.url.endswith("/")
        assert server.port > 0
        response = requests.post(server.url + "/api/session", auth=(USER, PASSWORD), timeout=5)
        assert response.status_code == 201
        assert server.backend is server.app.state.backend
        assert server.backend.dump()["api_sessions"][0]["user"] == USER
        # The real clock cannot be advanced from outside.
        response = requests.post(
            server.url + "/mock-api/clock/advance", json={"seconds": 1}, timeout=5
        )
        assert_error(response, 400, "INVALID_ARGUMENT")
        port = server.port
    assert set(threading.enumerate()) == threads_before
    assert _refused(port)


def test_mock_servers_run_side_by_side_but_not_on_one_port(mock_server: MockServer) -> None:
    with MockServer() as other:
        assert other.port != mock_server.port
        assert other.backend is not mock_server.backend
        assert requests.get(other.url + "/mock-api/flaws", timeout=5).status_code == 200
    with pytest.raises(OSError):
        MockServer(port=mock_server.port).start()


def test_serve_runs_until_interrupted() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = f"from conformance.mock import serve; serve(port={port})"
    process = subprocess.Popen(
        [sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 10
        while _refused(port):
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "serve() did not start listening"
            time.sleep(0.02)
        response = requests.post(
            f"http://127.0.0.1:{port}/api/session", auth=(USER, PASSWORD), timeout=5
        )
        assert response.status_code == 201
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()


def test_create_app_exposes_its_backend() -> None:
    clock = FakeClock()
    app = create_app(MockSettings(clock=clock, flaws=frozenset({"get-includes-id"})))
    backend = app.state.backend
    assert isinstance(backend, Backend)
    assert backend.clock is clock
    assert backend.flaws == {"get-includes-id"}


# -- settings ---------------------------------------------------------------------------


def test_settings_defaults_match_the_brief() -> None:
    settings = MockSettings()
    assert settings.user == "administrator@vsphere.local"
    assert settings.password == "secret"
    assert settings.flaws == frozenset()
    assert settings.session_timeout == 300.0
    assert settings.api_session_timeout == 1800.0
    assert settings.clock is None


def test_settings_are_frozen_and_validate_flaws() -> None:
    settings = MockSettings(flaws=["get-includes-id"])  # type: ignore[arg-type]
    assert settings.flaws == frozenset({"get-includes-id"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.user = "x"  # type: ignore[misc]
    with pytest.raises(ValueError, match="no-such-flaw"):
        MockSettings(flaws=frozenset({"no-such-flaw"}))
    with pytest.raises(ValueError, match="positive"):
        MockSettings(session_timeout=0)


# -- admin routes -----------------------------------------------------------------------


def test_admin_reset_drops_all_state_and_tokens(api: Api) -> None:
    api.update_session()
    response = requests.post(api.base_url + "/mock-api/reset", timeout=5)
    assert response.status_code == 204
    assert_error(api.get(US), 401, "UNAUTHENTICATED")
    state = requests.get(api.base_url + "/mock-api/state", timeout=5).json()
    assert state["libraries"] == state["items"] == state["update_sessions"] == []
    assert state["api_sessions"] == []


def test_admin_reset_restores_configured_flaws(api: Api) -> None:
    api.put("/mock-api/flaws", json={"flaws": ["get-includes-id"]})
    api.post("/mock-api/reset")
    assert api.get("/mock-api/flaws").json()["flaws"] == []


def test_admin_clock_advance_expires_sessions(api: Api, clock: FakeClock) -> None:
    session_id = api.update_session()
    start = clock.now()
    response = api.post("/mock-api/clock/advance", json={"seconds": 301})
    assert response.status_code == 200
    assert clock.now() == start + 301
    assert response.json()["now"].endswith("Z")
    assert_error(api.get(f"{US}/{session_id}"), 404, "NOT_FOUND")


@pytest.mark.parametrize("body", [{}, {"seconds": -1}, {"seconds": "5"}, {"seconds": True}])
def test_admin_clock_advance_rejects_bad_seconds(api: Api, body: object) -> None:
    assert_error(api.post("/mock-api/clock/advance", json=body), 400, "INVALID_ARGUMENT")


def test_admin_flaws_get_and_put(api: Api) -> None:
    body = api.get("/mock-api/flaws").json()
    assert body == {"flaws": [], "available": dict(FLAWS)}
    response = api.put("/mock-api/flaws", json={"flaws": ["get-includes-id"]})
    assert response.status_code == 200
    assert response.json() == {"flaws": ["get-includes-id"]}
    assert "id" in api.us_get(api.update_session())
    api.put("/mock-api/flaws", json={"flaws": []})
    assert "id" not in api.us_get(api.update_session(api.item(name="other")))


@pytest.mark.parametrize(
    "body", [{"flaws": ["no-such-flaw"]}, {"flaws": "get-includes-id"}, {"flaws": [1]}, {}]
)
def test_admin_flaws_put_rejects_unknown_names(api: Api, body: object) -> None:
    assert_error(api.put("/mock-api/flaws", json=body), 400, "INVALID_ARGUMENT")
    assert api.get("/mock-api/flaws").json()["flaws"] == []


def test_admin_errors_ignore_wire_flaws(api: Api) -> None:
    api.put("/mock-api/flaws", json={"flaws": ["error-text-plain", "malformed-json-500"]})
    response = api.put("/mock-api/flaws", data=b"{oops")
    assert_error(response, 400, "INVALID_ARGUMENT")


def test_admin_state_dumps_sessions(api: Api) -> None:
    item_id = api.item()
    session_id = api.update_session(item_id)
    download_id = api.download_session(item_id)
    state = api.get("/mock-api/state").json()
    assert [s["id"] for s in state["update_sessions"]] == [session_id]
    assert state["update_sessions"][0]["state"] == "ACTIVE"
    assert [s["id"] for s in state["download_sessions"]] == [download_id]
    assert [i["id"] for i in state["items"]] == [item_id]
    assert state["fake_clock"] is True
    assert all("token" not in s for s in state["api_sessions"])


def test_admin_routes_need_no_session(anon: Api) -> None:
    assert anon.get("/mock-api/state").status_code == 200


def test_mock_server_speaks_https_when_given_a_certificate(tmp_path: Path) -> None:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    ca_file, key_file, cert_file = (tmp_path / n for n in ("ca.pem", "key.pem", "cert.pem"))
    ca.cert_pem.write_to_path(str(ca_file))
    cert.private_key_pem.write_to_path(str(key_file))
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    with MockServer(ssl_certfile=str(cert_file), ssl_keyfile=str(key_file)) as server:
        assert server.url.startswith("https://127.0.0.1:")
        response = requests.post(
            server.url + "/api/session", auth=(USER, PASSWORD), verify=str(ca_file), timeout=5
        )
        assert response.status_code == 201
