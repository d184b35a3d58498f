"""Update-session lifecycles per second: govmomi's vcsim against the mock, in one window.

Usage: python bench/vcsim.py [--seconds S] [--rounds R] [--connections C]

Issue 11 sets the mock's lifecycle target as a share of vcsim's rate (14,126/s on the
machine it was measured on). This bench measures a vcsim here, in the same window as the
mock, so the ratio does not depend on a figure from another day: govmomi's vcsim 0.24.2,
built from Debian's sources as tests/test_vcsim.py builds it (``apt-get install golang-go
golang-github-vmware-govmomi-dev``). That vcsim serves the lifecycle only in the legacy
/rest form, so the mock is measured in that form too, and in its /api form.

A lifecycle is create -> complete -> delete of an update session, each connection (one
wrk thread each) on its own library item. Servers are pinned to core 0 and wrk to core 1
(``taskset``, on two or more cores), as in bench/hotpath.py; rounds are interleaved.
Prints the median lifecycles per second, the server CPU per request, and the mock's
ratios to vcsim by rate and by server CPU.
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _servers
from _servers import API_LIFECYCLE, LIFECYCLE_LUA, Server, pinned, start

USER, PASSWORD = "administrator@vsphere.local", "secret"
GOVMOMI = Path("/usr/share/gocode/src/github.com/vmware/govmomi")
DEBIAN_SOURCES = "golang-github-vmware-govmomi-dev"
MAIN_GO = Path(__file__).resolve().parents[1] / "tests" / "vcsim" / "main.go"

#: the lifecycle in each form: (create path and body, complete path, delete path)
FORMS = {
    "api": (
        API_LIFECYCLE["BENCH_CREATE"],
        API_LIFECYCLE["BENCH_BODY"],
        API_LIFECYCLE["BENCH_COMPLETE"],
        API_LIFECYCLE["BENCH_DELETE"],
    ),
    "rest": (
        "/rest/com/vmware/content/library/item/update-session",
        '{"create_spec":{"library_item_id":"ITEM"}}',
        "/rest/com/vmware/content/library/item/update-session/id:ID?~action=complete",
        "/rest/com/vmware/content/library/item/update-session/id:ID",
    ),
}


def build_vcsim(directory: Path) -> Path:
    """vcsim 0.24.2 built from Debian's govmomi sources (tests/vcsim/main.go)."""
    source = directory / "src" / "vcsimmain"
    source.mkdir(parents=True, exist_ok=True)
    shutil.copy(MAIN_GO, source / "main.go")
    env = {**os.environ, "GOPATH": f"{directory}:/usr/share/gocode", "GO111MODULE": "off"}
    binary = directory / "vcsim"
    subprocess.run(["go", "build", "-o", str(binary), "vcsimmain"], env=env, check=True)
    return binary


def start_vcsim(binary: Path) -> Server:
    began = time.perf_counter()
    proc = subprocess.Popen(
        pinned([str(binary), "-l", "127.0.0.1:0"], 0),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    port = re.search(rb"127\.0\.0\.1:(\d+)", proc.stdout.readline())
    if port is None:
        proc.kill()
        raise RuntimeError("vcsim did not say where it listens")
    return Server("vcsim", proc, int(port.group(1)), time.perf_counter() - began)


def call(port: int, method: str, path: str, body: Any = None, headers: Any = None) -> Any:
    """``_servers.call``, with a /rest answer's ``{"value": ...}`` taken off."""
    value = _servers.call(port, method, path, body, headers)
    return value["value"] if isinstance(value, dict) and set(value) == {"value"} else value


def set_up(server: Server, form: str, items: int, datastore: str) -> tuple[str, list[str]]:
    """Log in, make a library and ``items`` items (in /rest for vcsim): token and item ids."""
    port = server.port
    basic = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    login = "/rest/com/vmware/cis/session" if form == "rest" else "/api/session"
    token = call(port, "POST", login, headers={"Authorization": "Basic " + basic})
    auth = {"vmware-api-session-id": token}
    backing = {"type": "DATASTORE", "datastore_id": datastore}
    library = {
        "name": f"bench-{time.monotonic_ns()}",
        "type": "LOCAL",
        "storage_backings": [backing],
    }
    if form == "rest":
        library_id = call(
            port, "POST", "/rest/com/vmware/content/local-library", {"create_spec": library}, auth
        )
        made = [
            call(
                port,
                "POST",
                "/rest/com/vmware/content/library/item",
                {"create_spec": {"library_id": library_id, "name": f"item-{n}", "type": "iso"}},
                auth,
            )
            for n in range(items)
        ]
    else:
        library_id = call(port, "POST", "/api/content/local-library", library, auth)
        made = [
            call(
                port,
                "POST",
                "/api/content/library/item",
                {"library_id": library_id, "name": f"item-{n}", "type": "iso"},
                auth,
            )
            for n in range(items)
        ]
    return token, made


def run_wrk(
    server: Server, form: str, token: str, items: list[str], seconds: int
) -> tuple[float, float]:
    """Lifecycles per second and server CPU microseconds per request."""
    create, body, complete, delete = FORMS[form]
    env = {
        "BENCH_TOKEN": token,
        "BENCH_ITEMS": ",".join(items),
        "BENCH_CREATE": create,
        "BENCH_BODY": body,
        "BENCH_COMPLETE": complete,
        "BENCH_DELETE": delete,
    }
    requests, elapsed, cpu = _servers.run_wrk(
        server, LIFECYCLE_LUA, env, threads=len(items), connections=len(items), seconds=seconds
    )
    return requests / elapsed / 3, cpu / requests * 1e6


def serve_mock(port: int) -> None:
    from conformance.mock import MockSettings, serve

    serve(MockSettings(user=USER, password=PASSWORD), port=port)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--serve", choices=["mock"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_mock(args.port)
        return 0
    if shutil.which("go") is None or not (GOVMOMI / "vapi" / "simulator").is_dir():
        print(
            "needs Go and govmomi's sources (Debian): apt-get install golang-go " + DEBIAN_SOURCES
        )
        return 2
    if shutil.which("wrk") is None:
        print("needs wrk: apt-get install wrk")
        return 2
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as work:
        binary = build_vcsim(Path(work) / "go")
        datastore = Path(work) / "datastore"
        datastore.mkdir()
        vcsim = start_vcsim(binary)
        mock = start(__file__, "mock", core=0)
        runs = {("vcsim", "rest"): vcsim, ("mock", "rest"): mock, ("mock", "api"): mock}
        figures: dict[tuple[str, str], list[tuple[float, float]]] = {key: [] for key in runs}
        try:
            for _ in range(args.rounds):
                for (kind, form), server in runs.items():
                    store = str(datastore) if kind == "vcsim" else "datastore-101"
                    token, items = set_up(server, form, args.connections, store)
                    figures[(kind, form)].append(run_wrk(server, form, token, items, args.seconds))
        finally:
            vcsim.stop()
            mock.stop()
    medians = {
        key: (statistics.median(r for r, _ in got), statistics.median(c for _, c in got))
        for key, got in figures.items()
    }
    for (kind, form), (rate, cpu) in medians.items():
        per_cpu_second = 1e6 / (cpu * 3)
        print(
            f"{kind:5} {form:4}: {rate:8,.0f} lifecycles/s, {cpu:5.1f} µs server CPU per request "
            f"({per_cpu_second:,.0f} lifecycles per server CPU second)"
        )
    base_rate, base_cpu = medians[("vcsim", "rest")]
    for form in ("rest", "api"):
        rate, cpu = medians[("mock", form)]
        print(
            f"mock {form} / vcsim rest: {rate / base_rate:.2f}x by rate, "
            f"{base_cpu / cpu:.2f}x by server CPU (issue 11's target: 0.5x)"
        )
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
