"""Requests per second of the mock's hot path, against baselines on the same server.

Usage: python bench/hotpath.py [--seconds S] [--rounds R] [--connections C]
                               [--lifecycle-connections L] [--servers a,b,...]
                               [--scenarios get,lifecycle]

Needs ``wrk`` (Debian: ``apt-get install wrk``), the load generator: a C program, so the
server, not the client, sets the pace. Starts each server in a subprocess on 127.0.0.1
(``bench/_servers.py``); ``--servers`` picks them (default ``mock,bare,raw,models``):

* ``mock``: the mock vCenter exactly as ``vcenter-conformance mock`` serves it (``serve``);
* ``bare``: Starlette on the same uvicorn (httptools, uvloop, no access log) with the same
  three update-session routes doing nothing but a dict look-up and a JSON answer;
* ``raw``: the same routes as one plain ASGI callable, no framework: the server's ceiling;
* ``models``: that plain callable over the mock's own state (``Backend``: the session
  check, the state rules, the rendering): the floor for the mock on this server;
* ``granian-asgi``, ``granian-rsgi``: the plain callable on granian, and the same routes
  in granian's own interface (``pip install -e '.[bench]'``); ``mock-httptools`` (the
  mock on stock httptools, without its limits) and ``raw-limits`` (the plain callable
  on the mock's protocol) price the mock's uvicorn protocol; ``mock-asgi`` (the mock
  on its protocol without the direct door, ``conformance/mock/direct.py``: every request
  through uvicorn's ASGI path) prices the direct door.

Then, in interleaved rounds (a load spike on the machine hits all alike):

* ``get``: ``GET /api/content/library/item/update-session/{id}`` of one session, with the
  session header, over ``--connections`` keep-alive connections;
* ``lifecycle``: create -> ``?action=complete`` -> delete, over ``--lifecycle-connections``
  connections, each (one wrk thread each) working on its own library item, so the mock's
  one-ACTIVE-session-per-item rule holds and every answer is a 2xx.

On two or more cores the servers are pinned to core 0 and wrk to core 1 (``taskset``).
Prints per scenario and server the median requests/s (lifecycles/s), the server's CPU
microseconds per request (summed over its processes) and what that makes per second of
server CPU, then the ratios to ``bare`` and to ``raw`` by rate and by CPU (targets: get
at least 0.9x bare; lifecycles at least 7,063/s, half of govmomi's vcsim on the
reference machine), then each server's start-up time and RSS. On a shared machine the
rate follows the share of core 0 each server gets; the CPU per request is steadier.
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import statistics
import sys
from dataclasses import dataclass, field
from typing import Any

import _servers
from _servers import API_LIFECYCLE, LIFECYCLE_LUA, Server, call, run_uvicorn, start

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


# -- the servers (subprocess side) ------------------------------------------------------


def _session(library_item_id: str) -> dict[str, Any]:
    return {
        "library_item_id": library_item_id,
        "library_item_content_version": "1",
        "client_progress": 0,
        "state": "ACTIVE",
        "expiration_time": "2026-12-06T07:00:00.000Z",
        "preview_info": {"state": "NOT_APPLICABLE"},
    }


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
        sessions[session_id] = _session(body["library_item_id"])
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


def raw_app() -> Any:
    """The same routes as one plain ASGI callable: no framework at all (orjson answers)."""
    import uuid

    import orjson

    sessions: dict[str, dict[str, Any]] = {}
    json_headers = [(b"content-type", b"application/json")]
    prefix = US + "/"

    async def answer(send: Any, status: int, body: bytes = b"") -> None:
        headers = [(b"content-length", str(len(body)).encode()), *json_headers] if body else []
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        method, path = scope["method"], scope["path"]
        if path == US and method == "POST":
            chunks = []
            more = True
            while more:
                message = await receive()
                chunks.append(message.get("body", b""))
                more = message.get("more_body", False)
            body = orjson.loads(b"".join(chunks))
            session_id = str(uuid.uuid4())
            sessions[session_id] = _session(body["library_item_id"])
            await answer(send, 201, orjson.dumps(session_id))
        elif path.startswith(prefix) and method == "GET":
            await answer(send, 200, orjson.dumps(sessions[path[len(prefix) :]]))
        elif path.startswith(prefix) and method == "POST":
            sessions[path[len(prefix) :]]["state"] = "DONE"
            await answer(send, 204)
        elif path.startswith(prefix) and method == "DELETE":
            del sessions[path[len(prefix) :]]
            await answer(send, 204)
        else:
            await answer(send, 404, b"{}")

    return app


def models_app() -> Any:
    """The plain ASGI callable over the mock's own state (``Backend``): its rules, session
    check and rendering with no framework; the floor for the mock on this server."""
    import orjson

    from conformance.mock import MockSettings
    from conformance.mock.handlers.update_session import KIND
    from conformance.mock.models import Backend
    from conformance.mock.models.library import StorageBacking

    backend = Backend(MockSettings(user=USER, password=PASSWORD))
    token = backend.api_sessions.login(USER, PASSWORD)
    library = backend.library.create_library(
        "bench", None, [StorageBacking("DATASTORE", "datastore-101")], None
    )
    items: dict[str, str] = {}  # the bench's item names -> the backend's item ids
    sessions = backend.update_sessions
    json_headers = [(b"content-type", b"application/json")]
    prefix = US + "/"

    async def answer(send: Any, status: int, body: bytes = b"") -> None:
        headers = [(b"content-length", str(len(body)).encode()), *json_headers] if body else []
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        method, path = scope["method"], scope["path"]
        backend.api_sessions.touch(token)
        if path == US and method == "POST":
            chunks = []
            more = True
            while more:
                message = await receive()
                chunks.append(message.get("body", b""))
                more = message.get("more_body", False)
            name = orjson.loads(b"".join(chunks))["library_item_id"]
            item = items.get(name)
            if item is None:
                item = items[name] = backend.library.create_item(library, name, None, None, None)
            session_id = sessions.create(item, None)
            await answer(send, 201, orjson.dumps(session_id))
        elif path.startswith(prefix) and method == "GET":
            session = sessions.find(path[len(prefix) :])
            await answer(send, 200, orjson.dumps(KIND.render(backend, session)))
        elif path.startswith(prefix) and method == "POST":
            sessions.complete(path[len(prefix) :])
            await answer(send, 204)
        elif path.startswith(prefix) and method == "DELETE":
            sessions.delete(path[len(prefix) :])
            await answer(send, 204)
        else:
            await answer(send, 404, b"{}")

    return app


def rsgi_app() -> Any:
    """The same routes in granian's own interface (RSGI): no ASGI messages either."""
    import uuid

    import orjson

    sessions: dict[str, dict[str, Any]] = {}
    json_headers = [("content-type", "application/json")]
    prefix = US + "/"

    class App:
        async def __rsgi__(self, scope: Any, proto: Any) -> None:
            method, path = scope.method, scope.path
            if path == US and method == "POST":
                body = orjson.loads(await proto())
                session_id = str(uuid.uuid4())
                sessions[session_id] = _session(body["library_item_id"])
                proto.response_bytes(201, json_headers, orjson.dumps(session_id))
            elif path.startswith(prefix) and method == "GET":
                data = orjson.dumps(sessions[path[len(prefix) :]])
                proto.response_bytes(200, json_headers, data)
            elif path.startswith(prefix) and method == "POST":
                sessions[path[len(prefix) :]]["state"] = "DONE"
                proto.response_empty(204, [])
            elif path.startswith(prefix) and method == "DELETE":
                del sessions[path[len(prefix) :]]
                proto.response_empty(204, [])
            else:
                proto.response_bytes(404, json_headers, b"{}")

    return App()


def run_granian(factory: str, interface: str, port: int) -> None:
    """Serve ``hotpath:<factory>()`` on granian: one worker, one runtime thread, uvloop."""
    from pathlib import Path

    from granian import Granian
    from granian.constants import HTTPModes, Interfaces, Loops

    Granian(
        f"hotpath:{factory}",
        address="127.0.0.1",
        port=port,
        interface=Interfaces(interface),
        workers=1,
        runtime_threads=1,
        loop=Loops.uvloop,
        http=HTTPModes.http1,
        websockets=False,
        log_enabled=False,
        factory=True,
        working_dir=Path(__file__).parent,
    ).serve()


#: name -> what the child serves, and on which server
SERVERS = {
    "mock": "the mock vCenter, as `vcenter-conformance mock` serves it (uvicorn)",
    "bare": "Starlette, the three routes over a dict (uvicorn)",
    "raw": "one plain ASGI callable, the same routes (uvicorn)",
    "models": "the plain ASGI callable over the mock's own state and rules (uvicorn)",
    "mock-httptools": "the mock's app on stock uvicorn httptools (no drop hook, no limits)",
    "mock-asgi": "the mock on its protocol without the direct door (uvicorn's ASGI path)",
    "raw-limits": "the plain ASGI callable on the mock's uvicorn protocol (limits.py)",
    "granian-asgi": "the same ASGI callable on granian",
    "granian-rsgi": "the same routes in RSGI on granian",
}


def serve_child(kind: str, port: int) -> None:
    """Child process: serve ``kind`` on ``port`` until SIGTERM."""
    if kind == "mock":
        from conformance.mock import MockSettings, serve

        serve(MockSettings(user=USER, password=PASSWORD), port=port)
    elif kind == "bare":
        run_uvicorn(bare_app(), port)
    elif kind == "raw":
        run_uvicorn(raw_app(), port)
    elif kind == "models":
        run_uvicorn(models_app(), port)
    elif kind == "mock-httptools":
        from conformance.mock import MockSettings, create_app

        run_uvicorn(create_app(MockSettings(user=USER, password=PASSWORD)), port)
    elif kind == "mock-asgi":
        from conformance.mock import MockSettings, create_app
        from conformance.mock.limits import limited_protocol

        app = create_app(MockSettings(user=USER, password=PASSWORD))
        run_uvicorn(app, port, http=limited_protocol(32 << 10, 30.0))
    elif kind == "raw-limits":
        from conformance.mock.limits import limited_protocol

        run_uvicorn(raw_app(), port, http=limited_protocol(32 << 10, 30.0))
    elif kind == "granian-asgi":
        run_granian("raw_app", "asgi", port)
    elif kind == "granian-rsgi":
        run_granian("rsgi_app", "rsgi", port)


# -- the parent -------------------------------------------------------------------------


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
        if not self.server.kind.startswith("mock"):
            self.items = names
            return
        auth = {SESSION_HEADER: self.token}
        self.items = [
            call(self.server.port, "POST", ITEM, {"library_id": self.library_id, "name": n}, auth)
            for n in names
        ]


def set_up(server: Server) -> Target:
    port = server.port
    if not server.kind.startswith("mock"):
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


def run_wrk(target: Target, scenario: str, seconds: int, connections: int) -> Figure:
    lua = GET_LUA if scenario == "get" else LIFECYCLE_LUA
    threads = min(connections, 4) if scenario == "get" else connections
    env = {
        "BENCH_TOKEN": target.token,
        "BENCH_PATH": target.session_path,
        "BENCH_ITEMS": ",".join(target.items),
        **API_LIFECYCLE,
    }
    count, elapsed, cpu = _servers.run_wrk(
        target.server, lua, env, threads=threads, connections=connections, seconds=seconds
    )
    per_second = count / elapsed / (3 if scenario == "lifecycle" else 1)
    return Figure(per_second, cpu / count * 1e6)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="per wrk run (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--connections", type=int, default=50, help="for get (default 50)")
    parser.add_argument("--lifecycle-connections", type=int, default=8, help="(default 8)")
    parser.add_argument(
        "--servers",
        default="mock,bare,raw,models",
        help="comma-separated, from: " + ", ".join(SERVERS) + " (default mock,bare,raw,models)",
    )
    parser.add_argument(
        "--scenarios", default="get,lifecycle", help="get, lifecycle or both (the default)"
    )
    parser.add_argument("--serve", choices=list(SERVERS), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_child(args.serve, args.port)
        return 0
    kinds = [k.strip() for k in args.servers.split(",") if k.strip()]
    scenarios = [k.strip() for k in args.scenarios.split(",") if k.strip()]
    if not kinds or any(k not in SERVERS for k in kinds) or len(set(kinds)) != len(kinds):
        parser.error(f"--servers: a comma-separated list of {', '.join(SERVERS)}")
    if not scenarios or any(s not in ("get", "lifecycle") for s in scenarios):
        parser.error("--scenarios: get, lifecycle or get,lifecycle")
    if not 1 <= args.seconds <= 60 or not 1 <= args.rounds <= 20:
        parser.error("--seconds must be 1-60 and --rounds 1-20")
    if not 1 <= args.connections <= 1000 or not 1 <= args.lifecycle_connections <= 64:
        parser.error("--connections must be 1-1000 and --lifecycle-connections 1-64")
    if shutil.which("wrk") is None:
        parser.error("needs wrk on PATH (Debian: apt-get install wrk)")

    servers: list[Server] = []
    try:
        for kind in kinds:
            servers.append(start(__file__, kind, core=0))
        targets = {s.kind: set_up(s) for s in servers}
        figures: dict[tuple[str, str], list[Figure]] = {}
        rss_before = {kind: t.server.rss_mib() for kind, t in targets.items()}
        for _ in range(args.rounds):
            for scenario in scenarios:
                connections = args.connections if scenario == "get" else args.lifecycle_connections
                for kind, target in targets.items():
                    if scenario == "lifecycle":
                        target.fresh_items(connections)
                    figure = run_wrk(target, scenario, args.seconds, connections)
                    figures.setdefault((scenario, kind), []).append(figure)
        rss_after = {kind: t.server.rss_mib() for kind, t in targets.items()}
    finally:
        for server in servers:
            server.stop()

    print(f"{args.rounds} rounds of {args.seconds} s against 127.0.0.1; load average", end=" ")
    print(", ".join(f"{x:.1f}" for x in os.getloadavg()), "at the end")
    for scenario in scenarios:
        unit = "req/s" if scenario == "get" else "lifecycles/s"
        per = 1 if scenario == "get" else 3
        medians: dict[str, tuple[float, float]] = {}
        for kind in kinds:
            runs = figures[(scenario, kind)]
            rate = statistics.median(f.per_second for f in runs)
            cpu = statistics.median(f.cpu_us for f in runs)
            medians[kind] = (rate, cpu)
            spread = ", ".join(f"{f.per_second:,.0f}" for f in runs)
            bound = 1e6 / (cpu * per)  # what one core would do, the server alone on it
            print(
                f"{scenario:9} {kind:12}: {rate:8,.0f} {unit} ({spread}); "
                f"{cpu:4.0f} µs server CPU/req, {bound:8,.0f} {unit} per server CPU second"
            )
        for base in ("bare", "raw"):
            if base not in medians:
                continue
            for kind in kinds:
                if kind == base or (base == "raw" and kind == "bare"):
                    continue
                ratio = medians[kind][0] / medians[base][0]
                cpu_ratio = medians[base][1] / medians[kind][1]
                print(
                    f"{scenario:9} {kind}/{base}: {ratio:.2f}x by rate, "
                    f"{cpu_ratio:.2f}x by server CPU"
                )
        if "mock" in medians:
            rate, cpu = medians["mock"]
            if scenario == "get" and "bare" in medians:
                print(f"{scenario:9} target: mock/bare at least 0.9x")
            elif scenario == "lifecycle":
                bound = 1e6 / (cpu * 3)
                print(
                    f"{scenario:9} mock vs vcsim's {VCSIM_LIFECYCLES:,}/s (reference machine): "
                    f"{rate / VCSIM_LIFECYCLES:.2f}x by rate here, "
                    f"{bound / VCSIM_LIFECYCLES:.2f}x per server CPU second (target 0.5x)"
                )
    for kind, target in targets.items():
        server = target.server
        print(
            f"{kind} start-up {server.startup * 1000:.0f} ms (until it accepts a connection); "
            f"RSS {rss_before[kind]:.1f} MiB before the runs, {rss_after[kind]:.1f} MiB after"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
