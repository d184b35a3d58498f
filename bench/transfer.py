"""Upload and download throughput of the mock, against bare Starlette apps.

Usage: python bench/transfer.py [--size 1GiB] [--repeat N] [--verify] [--data-dir DIR]

Starts three servers in subprocesses, all uvicorn with httptools and uvloop on loopback:

* ``mock``: the mock vCenter. PUT goes to an update-session file whose AddSpec has the
  size and SHA1, so the mock hashes, stores and verifies; GET comes back through a
  download session;
* ``bare``: Starlette with nothing but a streaming sink (drains the body) and source
  (streams one block of zeros over and over): the framework's ceiling;
* ``bare+file``: Starlette doing the obvious file I/O and nothing else: the sink writes
  each chunk to a file, the source is ``FileResponse`` of that file;
* ``bare+sha1``: the same, and the sink also SHA1s each chunk: the mock's work on an upload
  (hash + write), done the obvious way, in the event loop.

In one run it PUTs ``--size`` bytes to each and GETs them back; the client streams one
1 MiB block over ``http.client``, never the whole payload. Prints MB/s (10^6 bytes/s) per
server and direction with the server's CPU seconds per GiB, the mock/bare ratios, and the
mock's peak RSS (VmHWM of its process). Targets: mock/bare at least 0.7, peak RSS under
100 MiB. Stored payloads go to a temporary directory in ``--data-dir`` (default /dev/shm
when there is one, so the disk does not set the pace), removed afterwards.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import http.client
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from _servers import Server, run_uvicorn, start

BLOCK = 1 << 20
MIB = 1 << 20
_UNITS = {"": 1, "B": 1, "K": 1 << 10, "KIB": 1 << 10, "M": MIB, "MIB": MIB, "G": 1 << 30}
_UNITS["GIB"] = 1 << 30
USER, PASSWORD = "administrator@vsphere.local", "secret"
OCTETS = "application/octet-stream"
_BLOCK = os.urandom(BLOCK)
DATASTORE = "datastore-101"


def parse_size(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+)\s*([A-Za-z]*)\s*", text)
    if match is None or match.group(2).upper() not in _UNITS:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (try 1GiB, 64MiB, 1000000)")
    size = int(match.group(1)) * _UNITS[match.group(2).upper()]
    if size <= 0:
        raise argparse.ArgumentTypeError("the size must be positive")
    return size


# -- the servers (subprocess side) ------------------------------------------------------


def bare_app(data_dir: str | None) -> Any:
    """The baselines: ``/data`` drains and streams zeros, ``/file`` writes and reads a file."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import FileResponse, PlainTextResponse, Response, StreamingResponse
    from starlette.routing import Route

    path = os.path.join(data_dir or tempfile.gettempdir(), f"bare-{os.getpid()}.bin")

    async def sink(request: Request) -> Response:
        count = 0
        async for chunk in request.stream():
            count += len(chunk)
        return PlainTextResponse(str(count))

    async def zeros(size: int) -> AsyncIterator[bytes]:
        block = bytes(BLOCK)
        while size > 0:
            yield block if size >= BLOCK else block[:size]
            size -= BLOCK

    async def source(request: Request) -> Response:
        size = int(request.query_params["size"])
        return StreamingResponse(
            zeros(size), headers={"Content-Length": str(size)}, media_type=OCTETS
        )

    async def file_sink(request: Request) -> Response:
        count = 0
        with open(path, "wb") as file:
            async for chunk in request.stream():
                file.write(chunk)
                count += len(chunk)
        return PlainTextResponse(str(count))

    async def file_source(request: Request) -> Response:
        return FileResponse(path, media_type=OCTETS)

    async def hashing_sink(request: Request) -> Response:
        digest = hashlib.sha1()
        with open(path, "wb") as file:
            async for chunk in request.stream():
                digest.update(chunk)
                file.write(chunk)
        return PlainTextResponse(digest.hexdigest())

    return Starlette(
        routes=[
            Route("/data", sink, methods=["PUT"]),
            Route("/data", source),
            Route("/file", file_sink, methods=["PUT"]),
            Route("/file", file_source),
            Route("/hashed", hashing_sink, methods=["PUT"]),
            Route("/hashed", file_source),
        ]
    )


def serve(kind: str, port: int, data_dir: str | None) -> None:
    """Child process: serve ``kind`` on ``port`` until SIGTERM."""
    if kind == "mock":
        from conformance.mock import MockSettings, create_app

        app = create_app(MockSettings(user=USER, password=PASSWORD, data_dir=data_dir))
    else:
        app = bare_app(data_dir)
    run_uvicorn(app, port)


def start_server(kind: str, data_dir: str | None = None) -> Server:
    return start(__file__, kind, [] if data_dir is None else ["--data-dir", data_dir])


# -- the client -------------------------------------------------------------------------


def payload(size: int) -> Iterator[bytes]:
    """The payload every server receives: one fixed random block, repeated."""
    while size > 0:
        yield _BLOCK if size >= BLOCK else _BLOCK[:size]
        size -= BLOCK


def sha1_of(size: int) -> str:
    digest = hashlib.sha1()
    for chunk in payload(size):
        digest.update(chunk)
    return digest.hexdigest()


def put(port: int, path: str, size: int) -> float:
    """Stream ``size`` bytes to ``path``; return the seconds it took (until the answer)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        started = time.perf_counter()
        conn.putrequest("PUT", path, skip_accept_encoding=True)
        conn.putheader("Content-Length", str(size))
        conn.putheader("Content-Type", OCTETS)
        conn.endheaders()
        for chunk in payload(size):
            conn.send(chunk)
        response = conn.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - started
        if response.status != 200:
            raise RuntimeError(f"PUT {path}: {response.status} {body[:300]!r}")
        return elapsed
    finally:
        conn.close()


def get(port: int, path: str, size: int, verify: str | None) -> float:
    """Read ``path`` to the end into one reused buffer; check the length (and SHA1)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    buffer = bytearray(BLOCK)
    view = memoryview(buffer)
    digest = hashlib.sha1() if verify else None
    try:
        started = time.perf_counter()
        conn.request("GET", path)
        response = conn.getresponse()
        if response.status != 200:
            raise RuntimeError(f"GET {path}: {response.status} {response.read()[:300]!r}")
        received = 0
        while count := response.readinto(buffer):
            received += count
            if digest is not None:
                digest.update(view[:count])
        elapsed = time.perf_counter() - started
    finally:
        conn.close()
    if received != size:
        raise RuntimeError(f"GET {path}: {received} bytes, expected {size}")
    if digest is not None and digest.hexdigest() != verify:
        raise RuntimeError(f"GET {path}: the bytes differ from the upload")
    return elapsed


class MockApi:
    """Just enough /api to get a file into an item and a download URI out of it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.headers: dict[str, str] = {"Content-Type": "application/json"}
        self.item = ""

    def call(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        data = None if body is None else json.dumps(body)
        # a connection per call: an idle keep-alive one would time out during a transfer
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=data, headers=self.headers)
            response = conn.getresponse()
            raw = response.read()
        finally:
            conn.close()
        if response.status != expect:
            raise RuntimeError(f"{method} {path}: {response.status} {raw[:300]!r}")
        return json.loads(raw) if raw else None

    def login(self) -> None:
        basic = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        self.headers["Authorization"] = "Basic " + basic
        token = self.call("POST", "/api/session", expect=201)
        del self.headers["Authorization"]
        self.headers["vmware-api-session-id"] = token

    def upload_path(self, size: int, checksum: str) -> tuple[str, str]:
        """An update session with one PUSH file; returns (session id, upload path)."""
        backing = [{"type": "DATASTORE", "datastore_id": DATASTORE}]
        lib = self.call(
            "POST",
            "/api/content/local-library",
            {"name": "bench", "storage_backings": backing},
            201,
        )
        item = self.call(
            "POST", "/api/content/library/item", {"library_id": lib, "name": "bench"}, 201
        )
        self.item = item
        session = self.call(
            "POST", "/api/content/library/item/update-session", {"library_item_id": item}, 201
        )
        spec = {
            "name": "payload.bin",
            "source_type": "PUSH",
            "size": size,
            "checksum_info": {"algorithm": "SHA1", "checksum": checksum},
        }
        info = self.call(
            "POST", f"/api/content/library/item/update-session/{session}/file", spec, 201
        )
        return session, urlsplit(info["upload_endpoint"]["uri"]).path

    def complete(self, session: str) -> None:
        base = f"/api/content/library/item/update-session/{session}"
        info = self.call("GET", base + "/file/payload.bin")
        if info["status"] != "READY":
            raise RuntimeError(f"the upload is {info['status']}: {info.get('error_message')}")
        self.call("POST", base + "?action=complete", expect=204)

    def download_path(self) -> str:
        base = "/api/content/library/item/download-session"
        session = self.call("POST", base, {"library_item_id": self.item}, 201)
        info = self.call(
            "POST", f"{base}/{session}/file?action=prepare", {"file_name": "payload.bin"}
        )
        return str(urlsplit(info["download_endpoint"]["uri"]).path)


@dataclass
class Result:
    """One transfer: its throughput and the server CPU it cost."""

    mbps: float
    cpu_per_gib: float


def measured(child: Server, size: int, transfer: Callable[[], float]) -> Result:
    cpu = child.cpu_seconds()
    seconds = transfer()
    used = child.cpu_seconds() - cpu
    return Result(size / seconds / 1e6, used * (1 << 30) / size)


def default_data_dir() -> str | None:
    """RAM-backed /dev/shm when there is one: the bench measures the mock, not the disk."""
    return "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


SERVERS = ("mock", "bare", "bare+file", "bare+sha1")
DIRECTIONS = (("up", "upload"), ("down", "download"))


def one_round(
    mock: Server, bare: Server, size: int, checksum: str, verify: bool
) -> dict[tuple[str, str], Result]:
    api = MockApi(mock.port)
    api.login()
    session, upload = api.upload_path(size, checksum)
    results = {("mock", "up"): measured(mock, size, partial(put, mock.port, upload, size))}
    api.complete(session)
    download = partial(get, mock.port, api.download_path(), size, checksum if verify else None)
    results["mock", "down"] = measured(mock, size, download)
    api.call("DELETE", f"/api/content/library/item/{api.item}", expect=204)  # frees the bytes
    results["bare", "up"] = measured(bare, size, partial(put, bare.port, "/data", size))
    download = partial(get, bare.port, f"/data?size={size}", size, None)
    results["bare", "down"] = measured(bare, size, download)
    results["bare+file", "up"] = measured(bare, size, partial(put, bare.port, "/file", size))
    download = partial(get, bare.port, "/file", size, checksum if verify else None)
    results["bare+file", "down"] = measured(bare, size, download)
    results["bare+sha1", "up"] = measured(bare, size, partial(put, bare.port, "/hashed", size))
    download = partial(get, bare.port, "/hashed", size, checksum if verify else None)
    results["bare+sha1", "down"] = measured(bare, size, download)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=parse_size, default=1 << 30, help="payload (1GiB)")
    parser.add_argument("--repeat", type=int, default=1, help="rounds; the best one counts")
    parser.add_argument("--verify", action="store_true", help="SHA1 the downloaded files")
    parser.add_argument(
        "--data-dir",
        default=default_data_dir(),
        help="where payloads are stored (default: /dev/shm if any, else the temp dir)",
    )
    parser.add_argument("--serve", choices=("mock", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        with contextlib.suppress(KeyboardInterrupt):
            serve(args.serve, args.port, args.data_dir)
        return 0

    size: int = args.size
    print(
        f"payload {size / MIB:.0f} MiB over loopback, uvicorn httptools+uvloop, "
        f"{args.repeat} round(s), {os.cpu_count()} CPUs, "
        f"data in {args.data_dir or tempfile.gettempdir()}"
    )
    checksum = sha1_of(size)
    data_dir = tempfile.mkdtemp(prefix="bench-transfer-", dir=args.data_dir)
    mock, bare = start_server("mock", data_dir), start_server("bare", data_dir)
    best: dict[tuple[str, str], Result] = {}
    try:
        for number in range(1, args.repeat + 1):
            results = one_round(mock, bare, size, checksum, args.verify)
            print(
                f"round {number}: "
                + " | ".join(
                    f"{server} up {results[server, 'up'].mbps:.0f} "
                    f"down {results[server, 'down'].mbps:.0f}"
                    for server in SERVERS
                )
            )
            for key, result in results.items():
                if key not in best or result.mbps > best[key].mbps:
                    best[key] = result
        peak = mock.peak_rss()
    finally:
        mock.stop()
        bare.stop()
        shutil.rmtree(data_dir, ignore_errors=True)

    print(f"{'':10}{'server':<11}{'MB/s':>7}{'CPU s/GiB':>11}")
    for direction, label in DIRECTIONS:
        for server in SERVERS:
            result = best[server, direction]
            print(f"{label:10}{server:<11}{result.mbps:7.0f}{result.cpu_per_gib:11.2f}")
    ratios = {d: best["mock", d].mbps / best["bare", d].mbps for d, _ in DIRECTIONS}
    to_file = {d: best["mock", d].mbps / best["bare+file", d].mbps for d, _ in DIRECTIONS}
    hashed = best["mock", "up"].mbps / best["bare+sha1", "up"].mbps
    print(
        f"mock/bare: upload {ratios['up']:.2f}, download {ratios['down']:.2f}; "
        f"mock/bare+file: upload {to_file['up']:.2f}, download {to_file['down']:.2f}; "
        f"mock/bare+sha1: upload {hashed:.2f}"
    )
    print(f"mock peak RSS: {peak / MIB:.1f} MiB (VmHWM)")
    met = min(ratios.values()) >= 0.7 and peak < 100 * MIB
    print("targets (mock/bare >= 0.7, peak RSS < 100 MiB):", "met" if met else "NOT met")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
