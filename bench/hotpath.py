"""Requests per second of the mock's hot path, against a bare Starlette app on the same server.

Usage: python bench/hotpath.py [--seconds S] [--rounds R] [--connections C]
                               [--lifecycle-connections L]

Needs ``wrk`` (Debian: ``apt-get install wrk``), the load generator: a C program, so the
server, not the client, sets the pace. Starts two servers in subprocesses on 127.0.0.1:

* ``mock``: the mock vCenter exactly as ``vcenter-conformance mock`` serves it (``serve``);
* ``bare``: Starlette on the same uvicorn (httptools, uvloop, no access log) with the same
  three update-session routes doing nothing but a dict look-up and a JSON answer: the
  framework's ceiling.

Then, in interleaved rounds (a load spike on the machine hits both alike):

* ``get``: ``GET /api/content/library/item/update-session/{id}`` of one session, with the
  session header, over ``--connections`` keep-alive connections;
* ``lifecycle``: create -> ``?action=complete`` -> delete, over ``--lifecycle-connections``
  connections, each (one wrk thread each) working on its own library item, so the mock's
  one-ACTIVE-session-per-item rule holds and every answer is a 2xx.

On two or more cores the servers are pinned to core 0 and wrk to core 1 (``taskset``).
Prints per scenario and server the median requests/s (lifecycles/s), the server's CPU
microseconds per request, and the mock/bare ratios (targets: get at least 0.9x; lifecycles
at least 7,063/s, half of govmomi's vcsim on the reference machine); then the mock's
start-up time and its RSS before and after the lifecycles.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

USER, PASSWORD = "administrator@vsphere.local", "secret"
ITEM = "/api/content/library/item"
US = ITEM + "/update-session"
SESSION_HEADER = "vmware-api-session-id"
VCSIM_LIFECYCLES = 14_126  # govmomi's vcsim on the reference machine (issue 11)

# wrk scripts: one connection per thread, so each thread's requests are strictly in turn.
GET_LUA = """
wrk.method = "GET"
wrk.headers["vmware-api-session-id"] = os.getenv("BENCH_TOKEN")
wrk.path = os.getenv("BENCH_PATH")
"""

LIFECYCLE_LUA = """
local items = {}
for item in string.gmatch(os.getenv("BENCH_ITEMS"), "[^,]+") do items[#items + 1] = item end
local next_item = 0
function setup(thread)
  next_item = next_item + 1
  thread:set("item", items[next_item])
end
local base = "/api/content/library/item/update-session"
local headers = {
  ["vmware-api-session-id"] = os.getenv("BENCH_TOKEN"),
  ["Content-Type"] = "application/json",
}
local step, session = 0, ""
function request()
  if step == 0 then
    return wrk.format("POST", base, headers, '{"library_item_id":"' .. item .. '"}')
  elseif step == 1 then
    return wrk.format("POST", base .. "/" .. session .. "?action=complete", headers)
  end
  return wrk.format("DELETE", base .. "/" .. session, headers)
end
function response(status, _, body)
  if step == 0 then session = string.sub(body, 2, -2) end
  step = (step + 1) % 3
end
"""


# -- the servers (subprocess side) ------------------------------------------------------


def bare_app() -> Any:
    """Starlette with the update-session routes the bench calls, over a plain dict."""
    import uuid

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    sessions: dict[str, dict[str, Any]] = {}

    async def create(request: Request) -> Response:
        body = await request.json()
        session_id = str(uuid.uuid4())
        sessions[session_id] = {
            "library_item_id": body["library_item_id"],
            "library_item_content_version": "1",
            "client_progress": 0,
            "state": "ACTIVE",
            "expiration_time": "2026-12-06T07:00:00.000Z",
            "preview_info": {"state": "NOT_APPLICABLE"},
        }
        return JSONResponse(session_id, status_code=201)

    async def get(request: Request) -> Response:
        return JSONResponse(sessions[request.path_params["id"]])

    async def act(request: Request) -> Response:
        sessions[request.path_params["id"]]["state"] = "DONE"
        return Response(status_code=204)

    async def delete(request: Request) -> Response:
        del sessions[request.path_params["id"]]
        return Response(status_code=204)

    return Starlette(
        routes=[
            Route(US, create, methods=["POST"]),
            Route(US + "/{id}", get, methods=["GET"]),
            Route(US + "/{id}", act, methods=["POST"]),
            Route(US + "/{id}", delete, methods=["DELETE"]),
        ]
    )


def serve_child(kind: str, port: int) -> None:
    """Child process: serve ``kind`` on ``port`` until SIGTERM."""
    if kind == "mock":
        from conformance.mock import MockSettings, serve

        serve(MockSettings(user=USER, password=PASSWORD), port=port)
        return
    import uvicorn

    config = uvicorn.Config(
        bare_app(),
        host="127.0.0.1",
        port=port,
        http="httptools",
        loop="uvloop",
        ws="none",
        lifespan="off",
        access_log=False,
        log_level="warning",
    )
    uvicorn.Server(config).run()


# -- the parent -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinned(args: list[str], core: int) -> list[str]:
    if (os.cpu_count() or 1) >= 2 and shutil.which("taskset"):
        return ["taskset", "-c", str(core), *args]
    return args


@dataclass
class Server:
    kind: str
    proc: subprocess.Popen[bytes]
    port: int
    startup: float

    def cpu_seconds(self) -> float:
        """User plus system CPU time the server process has used so far."""
        with open(f"/proc/{self.proc.pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mib(self) -> float:
        with open(f"/proc/{self.proc.pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS in /proc/<pid>/status")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start(kind: str) -> Server:
    port = free_port()
    args = [sys.executable, os.path.abspath(__file__), "--serve", kind, "--port", str(port)]
    began = time.perf_counter()
    proc = subprocess.Popen(pinned(args, 0), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"the {kind} server did not start") from None
            time.sleep(0.002)
    return Server(kind, proc, port, time.perf_counter() - began)


def call(port: int, method: str, path: str, body: Any = None, headers: Any = None) -> Any:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        data = None if body is None else json.dumps(body).encode()
        conn.request(method, path, data, {"Content-Type": "application/json", **(headers or {})})
        response = conn.getresponse()
        raw = response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {raw[:200]!r}")
        return json.loads(raw) if raw else None
    finally:
        conn.close()


@dataclass
class Target:
    """What the load needs on one server: the session token, one session, a library."""

    server: Server
    token: str
    session_path: str
    library_id: str
    items: list[str] = field(default_factory=list)
    made: int = 0

    def fresh_items(self, count: int) -> None:
        """New items for a lifecycle run: the last run may have left sessions ACTIVE."""
        names = [f"item-{self.made + n}" for n in range(count)]
        self.made += count
        if self.server.kind == "bare":
            self.items = names
            return
        auth = {SESSION_HEADER: self.token}
        self.items = [
            call(self.server.port, "POST", ITEM, {"library_id": self.library_id, "name": n}, auth)
            for n in names
        ]


def set_up(server: Server) -> Target:
    port = server.port
    if server.kind == "bare":
        session_id = call(port, "POST", US, {"library_item_id": "item"})
        return Target(server, "none", f"{US}/{session_id}", "library")
    basic = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    token = call(port, "POST", "/api/session", headers={"Authorization": "Basic " + basic})
    auth = {SESSION_HEADER: token}
    backing = {"type": "DATASTORE", "datastore_id": "datastore-101"}
    library = {"name": "bench", "type": "LOCAL", "storage_backings": [backing]}
    library_id = call(port, "POST", "/api/content/local-library", library, auth)
    item = call(port, "POST", ITEM, {"library_id": library_id, "name": "got"}, auth)
    session_id = call(port, "POST", US, {"library_item_id": item}, auth)
    return Target(server, token, f"{US}/{session_id}", library_id)


@dataclass
class Figure:
    per_second: float  # requests (get) or lifecycles (lifecycle) per second
    cpu_us: float  # server CPU microseconds per request


_REQUESTS = re.compile(r"(\d+) requests in ([\d.]+)(us|ms|s|m)")
_BAD = re.compile(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)")


def run_wrk(target: Target, scenario: str, seconds: int, connections: int) -> Figure:
    lua = GET_LUA if scenario == "get" else LIFECYCLE_LUA
    threads = min(connections, 4) if scenario == "get" else connections
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    env = {
        **os.environ,
        "BENCH_TOKEN": target.token,
        "BENCH_PATH": target.session_path,
        "BENCH_ITEMS": ",".join(target.items),
    }
    url = f"http://127.0.0.1:{target.server.port}"
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "-s", script.name, url]
    try:
        before = target.server.cpu_seconds()
        done = subprocess.run(
            pinned(args, 1), env=env, capture_output=True, text=True, timeout=seconds + 30
        )
        cpu = target.server.cpu_seconds() - before
    finally:
        os.unlink(script.name)
    out = done.stdout
    match = _REQUESTS.search(out)
    bad = _BAD.search(out)
    if done.returncode != 0 or match is None or bad is not None:
        raise RuntimeError(f"wrk failed against {target.server.kind}:\n{out}{done.stderr}")
    count = int(match.group(1))
    scale = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}[match.group(3)]
    elapsed = float(match.group(2)) * scale
    per_second = count / elapsed / (3 if scenario == "lifecycle" else 1)
    return Figure(per_second, cpu / count * 1e6)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="per wrk run (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--connections", type=int, default=50, help="for get (default 50)")
    parser.add_argument("--lifecycle-connections", type=int, default=8, help="(default 8)")
    parser.add_argument("--serve", choices=["mock", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_child(args.serve, args.port)
        return 0
    if not 1 <= args.seconds <= 60 or not 1 <= args.rounds <= 20:
        parser.error("--seconds must be 1-60 and --rounds 1-20")
    if not 1 <= args.connections <= 1000 or not 1 <= args.lifecycle_connections <= 64:
        parser.error("--connections must be 1-1000 and --lifecycle-connections 1-64")
    if shutil.which("wrk") is None:
        parser.error("needs wrk on PATH (Debian: apt-get install wrk)")

    servers: list[Server] = []
    try:
        servers = [start("mock"), start("bare")]
        targets = {s.kind: set_up(s) for s in servers}
        figures: dict[tuple[str, str], list[Figure]] = {}
        rss_before = targets["mock"].server.rss_mib()
        for _ in range(args.rounds):
            for scenario, connections in (
                ("get", args.connections),
                ("lifecycle", args.lifecycle_connections),
            ):
                for kind, target in targets.items():
                    if scenario == "lifecycle":
                        target.fresh_items(connections)
                    figure = run_wrk(target, scenario, args.seconds, connections)
                    figures.setdefault((scenario, kind), []).append(figure)
        rss_after = targets["mock"].server.rss_mib()
    finally:
        for server in servers:
            server.stop()

    print(f"{args.rounds} rounds of {args.seconds} s against 127.0.0.1")
    for scenario, unit in (("get", "req/s"), ("lifecycle", "lifecycles/s")):
        medians = {}
        for kind in ("mock", "bare"):
            runs = figures[(scenario, kind)]
            rate = statistics.median(f.per_second for f in runs)
            cpu = statistics.median(f.cpu_us for f in runs)
            medians[kind] = (rate, cpu)
            spread = ", ".join(f"{f.per_second:,.0f}" for f in runs)
            print(f"{scenario:9} {kind:4}: {rate:9,.0f} {unit} ({spread}); {cpu:5.0f} µs CPU/req")
        ratio = medians["mock"][0] / medians["bare"][0]
        cpu_ratio = medians["bare"][1] / medians["mock"][1]
        line = f"{scenario:9} mock/bare: {ratio:.2f}x by rate, {cpu_ratio:.2f}x by server CPU"
        if scenario == "get":
            line += " (target 0.9x)"
        else:
            share = medians["mock"][0] / VCSIM_LIFECYCLES
            line += f"; {share:.2f}x vcsim's {VCSIM_LIFECYCLES:,}/s (target 0.5x)"
        print(line)
    mock = targets["mock"].server
    print(f"mock start-up {mock.startup * 1000:.0f} ms (until it accepts a connection)")
    print(f"mock RSS {rss_before:.1f} MiB before the runs, {rss_after:.1f} MiB after")
    return 0


if __name__ == "__main__":
    sys.exit(main())
