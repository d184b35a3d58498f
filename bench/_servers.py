"""Start the bench servers the same way in every bench script (hotpath.py, transfer.py,
vcsim.py), and drive them with wrk the same way (``run_wrk``, ``LIFECYCLE_LUA``).

A bench script runs each server as a child process of itself:
``python <script> --serve KIND --port PORT [extra...]``; ``start`` picks the port, launches
the child (pinned to a core when asked), waits until it accepts a connection, and returns
a ``Server`` that measures the child's CPU time and memory and stops it.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "API_LIFECYCLE",
    "LIFECYCLE_LUA",
    "Server",
    "call",
    "free_port",
    "pinned",
    "run_uvicorn",
    "run_wrk",
    "start",
]

_START_TIMEOUT = 30.0


def free_port() -> int:
    """A loopback port free now (the child binds it a moment later)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinned(args: list[str], core: int | None) -> list[str]:
    """``args`` run on one CPU core (``taskset``), when asked and there are two or more."""
    if core is not None and (os.cpu_count() or 1) >= 2 and shutil.which("taskset"):
        return ["taskset", "-c", str(core), *args]
    return args


def _stat_fields(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        return stat.read().rsplit(")", 1)[1].split()  # the name may hold spaces


def _descendants(pid: int) -> list[int]:
    """``pid`` and every process under it (a server may run its workers as children)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parent = int(_stat_fields(int(entry))[1])
            except (OSError, IndexError, ValueError):
                continue  # gone meanwhile
            parents.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(parents.get(current, ()))
    return found


@dataclass
class Server:
    """One server child process: ``kind`` (its name in the output), its port and start-up."""

    kind: str
    proc: subprocess.Popen[bytes]
    port: int
    startup: float

    def cpu_seconds(self) -> float:
        """User plus system CPU time the server and its children have used so far."""
        total = 0
        for pid in _descendants(self.proc.pid):
            try:
                fields = _stat_fields(pid)
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def _status(self, key: str) -> int:
        """A ``/proc/<pid>/status`` figure in bytes, summed over the server's processes."""
        total = 0
        for pid in _descendants(self.proc.pid):
            try:
                with open(f"/proc/{pid}/status", encoding="ascii") as status:
                    for line in status:
                        if line.startswith(key + ":"):
                            total += int(line.split()[1]) * 1024
            except OSError:
                continue
        return total

    def rss_mib(self) -> float:
        return self._status("VmRSS") / (1 << 20)

    def peak_rss(self) -> int:
        """VmHWM in bytes: the most memory the server has held at once."""
        return self._status("VmHWM")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start(script: str, kind: str, extra: Sequence[str] = (), *, core: int | None = None) -> Server:
    """Run ``script --serve kind --port P *extra`` and wait until it accepts connections."""
    port = free_port()
    args = [sys.executable, os.path.abspath(script), "--serve", kind, "--port", str(port)]
    began = time.perf_counter()
    # the child's stderr goes to a file, shown only if it does not start (the child keeps
    # its own descriptor of the file once ours is closed)
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            pinned([*args, *extra], core), stdout=subprocess.DEVNULL, stderr=log
        )
        deadline = time.monotonic() + _START_TIMEOUT
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    proc.wait()
                    log.seek(0)
                    said = log.read().decode(errors="replace")
                    raise RuntimeError(f"the {kind} server did not start:\n{said}") from None
                time.sleep(0.002)
    return Server(kind, proc, port, time.perf_counter() - began)


def run_uvicorn(app: Any, port: int, http: Any = "httptools") -> None:
    """Serve a baseline app as the mock's ``serve`` does: uvicorn, httptools (or another
    ``http`` protocol), uvloop, no websockets, no lifespan, no access log; returns on
    SIGTERM."""
    import uvicorn

    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        http=http,
        loop="uvloop",
        ws="none",
        lifespan="off",
        access_log=False,
        log_level="warning",
    )
    uvicorn.Server(config).run()


def call(port: int, method: str, path: str, body: Any = None, headers: Any = None) -> Any:
    """One JSON request to a bench server on 127.0.0.1 (a set-up step: a non-2xx raises)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        data = None if body is None else json.dumps(body).encode()
        conn.request(method, path, data, {"Content-Type": "application/json", **(headers or {})})
        response = conn.getresponse()
        raw = response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {raw[:200]!r}")
        return json.loads(raw) if raw.strip() else None
    finally:
        conn.close()


#: wrk's script for update-session lifecycles (create, complete, delete), one item per
#: connection, each thread's requests strictly in turn. The paths and the create body
#: come from the environment (``ITEM`` and ``ID`` stand for the item and the session), so
#: that one script drives /api and legacy /rest alike; the session id is the last quoted
#: string of the create's answer (a bare JSON string, or /rest's ``{"value": ...}``).
LIFECYCLE_LUA = """
local items = {}
for item in string.gmatch(os.getenv("BENCH_ITEMS"), "[^,]+") do items[#items + 1] = item end
local next_item = 0
function setup(thread)
  next_item = next_item + 1
  thread:set("item", items[next_item])
end
local headers = {
  ["vmware-api-session-id"] = os.getenv("BENCH_TOKEN"),
  ["Content-Type"] = "application/json",
}
local create, body = os.getenv("BENCH_CREATE"), os.getenv("BENCH_BODY")
local complete, delete = os.getenv("BENCH_COMPLETE"), os.getenv("BENCH_DELETE")
local step, session = 0, ""
function request()
  if step == 0 then
    return wrk.format("POST", create, headers, string.gsub(body, "ITEM", item))
  elseif step == 1 then
    return wrk.format("POST", string.gsub(complete, "ID", session), headers)
  end
  return wrk.format("DELETE", string.gsub(delete, "ID", session), headers)
end
function response(status, _, answer)
  if step == 0 then session = string.match(answer, '"([^"]+)"%s*}?%s*$') end
  step = (step + 1) % 3
end
"""

#: the /api lifecycle for :data:`LIFECYCLE_LUA`: the environment it reads
API_LIFECYCLE = {
    "BENCH_CREATE": "/api/content/library/item/update-session",
    "BENCH_BODY": '{"library_item_id":"ITEM"}',
    "BENCH_COMPLETE": "/api/content/library/item/update-session/ID?action=complete",
    "BENCH_DELETE": "/api/content/library/item/update-session/ID",
}

_REQUESTS = re.compile(r"(\d+) requests in ([\d.]+)(us|ms|s|m)")
_BAD = re.compile(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)")
_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def run_wrk(
    server: Server,
    lua: str,
    env: dict[str, str],
    *,
    threads: int,
    connections: int,
    seconds: int,
) -> tuple[int, float, float]:
    """wrk against ``server`` on core 1 with ``lua`` and ``env``: the requests answered,
    the seconds they took, and the server's CPU seconds meanwhile. A non-2xx answer or a
    socket error raises: a figure over failed requests would mean nothing."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    url = f"http://127.0.0.1:{server.port}"
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "-s", script.name, url]
    try:
        before = server.cpu_seconds()
        done = subprocess.run(
            pinned(args, 1),
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=seconds + 30,
            check=False,
        )
        cpu = server.cpu_seconds() - before
    finally:
        os.unlink(script.name)
    match = _REQUESTS.search(done.stdout)
    if done.returncode != 0 or match is None or _BAD.search(done.stdout) is not None:
        raise RuntimeError(f"wrk failed against {server.kind}:\n{done.stdout}{done.stderr}")
    return int(match.group(1)), float(match.group(2)) * _UNITS[match.group(3)], cpu
