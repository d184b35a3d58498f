"""Calls per second of one update-session ``get`` through the mock's three dialects.

Usage: python bench/dialects.py [--calls N] [--rounds R]

Starts the mock in a subprocess (uvicorn, httptools, uvloop, loopback, a FakeClock so the
session never expires), creates one update session, then times the same ``get`` as

* ``rest``: ``GET /api/content/library/item/update-session/{id}``;
* ``jsonrpc``: ``POST /api`` with the SDK's envelope (``serviceId``
  ``com.vmware.content.library.item.update_session``, ``operationId`` ``get``, a
  ``session_id`` security context), the typed answer decoded by the client as JSON;
* ``rest-legacy``: ``GET /rest/com/vmware/content/library/item/update-session/id:{id}``.

One keep-alive ``http.client`` connection per dialect; the rounds interleave the dialects
so a load spike on the machine hits all three alike. Prints the median calls/s of each and
its ratio to ``rest`` (target: ``jsonrpc`` and ``rest-legacy`` at least 0.7), and the CPU
time per call of the server process and of this client.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

USER, PASSWORD = "administrator@vsphere.local", "secret"
ITEM = "/api/content/library/item"
SERVER = (
    "import sys\n"
    "from conformance.mock import FakeClock, MockSettings, serve\n"
    "serve(MockSettings(user=sys.argv[1], password=sys.argv[2], clock=FakeClock()),"
    " port=int(sys.argv[3]))\n"
)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux ``/proc``)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the mock did not start")


class Client:
    """One keep-alive connection; ``call`` returns the decoded JSON body."""

    def __init__(self, port: int, headers: dict[str, str]) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port)
        self.headers = headers

    def call(self, method: str, path: str, body: bytes | None = None) -> object:
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # uvicorn closes a connection idle for 5 s (while the other dialects ran)
            self.connection.close()
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        data = response.read()
        if response.status >= 300:
            raise SystemExit(f"{method} {path}: {response.status} {data[:200]!r}")
        return json.loads(data) if data else None


def set_up(port: int) -> tuple[str, str]:
    """Login, a library, an item and one update session; returns (token, session id)."""
    basic = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    token = str(Client(port, {"Authorization": "Basic " + basic}).call("POST", "/api/session"))
    api = Client(port, {"vmware-api-session-id": token})
    backing = {"type": "DATASTORE", "datastore_id": "datastore-101"}
    library = {"name": "bench", "type": "LOCAL", "storage_backings": [backing]}
    library_id = api.call("POST", "/api/content/local-library", json.dumps(library).encode())
    item = json.dumps({"library_id": library_id, "name": "item"}).encode()
    item_id = api.call("POST", ITEM, item)
    session = json.dumps({"library_item_id": item_id}).encode()
    return token, str(api.call("POST", ITEM + "/update-session", session))


def dialects(port: int, token: str, session_id: str) -> dict[str, Callable[[], object]]:
    rest = Client(port, {"vmware-api-session-id": token})
    rpc = Client(port, {})
    legacy = Client(port, {"vmware-api-session-id": token})
    envelope = {
        "jsonrpc": "2.0",
        "method": "invoke",
        "id": "1",
        "params": {
            "serviceId": "com.vmware.content.library.item.update_session",
            "operationId": "get",
            "input": {"STRUCTURE": {"operation-input": {"update_session_id": session_id}}},
            "ctx": {
                "appCtx": {"opId": "bench"},
                "securityCtx": {
                    "schemeId": "com.vmware.vapi.std.security.session_id",
                    "sessionId": token,
                },
            },
        },
    }
    rpc_body = json.dumps(envelope, separators=(",", ":")).encode()
    rest_path = f"{ITEM}/update-session/{session_id}"
    legacy_path = f"/rest/com/vmware/content/library/item/update-session/id:{session_id}"
    return {
        "rest": lambda: rest.call("GET", rest_path),
        "jsonrpc": lambda: rpc.call("POST", "/api", rpc_body),
        "rest-legacy": lambda: legacy.call("GET", legacy_path),
    }


def check_answers(calls: dict[str, Callable[[], object]]) -> None:
    """All three doors answer the same session before anything is timed."""
    rest = calls["rest"]()
    rpc = calls["jsonrpc"]()
    legacy = calls["rest-legacy"]()
    assert isinstance(rest, dict) and isinstance(rpc, dict) and isinstance(legacy, dict)
    model = rpc["result"]["output"]["STRUCTURE"]
    state = model["com.vmware.content.library.item.update_session_model"]["state"]
    assert rest["state"] == state["OPTIONAL"] == legacy["value"]["state"] == "ACTIVE"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per dialect and round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    port = free_port()
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER, USER, PASSWORD, str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(port)
        token, session_id = set_up(port)
        calls = dialects(port, token, session_id)
        check_answers(calls)
        rates: dict[str, list[float]] = {name: [] for name in calls}
        server_cpu = dict.fromkeys(calls, 0.0)
        client_cpu = dict.fromkeys(calls, 0.0)
        for _ in range(args.rounds):
            for name, call in calls.items():
                server_before, client_before = cpu_seconds(server.pid), time.process_time()
                started = time.perf_counter()
                for _ in range(args.calls):
                    call()
                rates[name].append(args.calls / (time.perf_counter() - started))
                server_cpu[name] += cpu_seconds(server.pid) - server_before
                client_cpu[name] += time.process_time() - client_before
    finally:
        server.terminate()
        server.wait(timeout=10)
    base = statistics.median(rates["rest"])
    print(f"update-session get, {args.calls} calls x {args.rounds} rounds, median calls/s:")
    for name, values in rates.items():
        median = statistics.median(values)
        spread = f"{min(values):.0f}-{max(values):.0f}"
        per_call = 1e6 / (args.calls * args.rounds)
        server_us, client_us = server_cpu[name] * per_call, client_cpu[name] * per_call
        cpu = f"server {server_us:4.0f} us, client {client_us:4.0f} us"
        print(
            f"  {name:12} {median:8.0f}/s  ({spread})  {median / base:.2f}x rest  CPU/call: {cpu}"
        )


if __name__ == "__main__":
    main()
