"""A reverse proxy in front of the mock that looks like vCenter 6.7, or like a broken /rest.

The mock serves /rest correctly from the same state as /api, and its flaws about the
/api wire do not reach /rest (conformance/mock/README.md, "Dialects"). To prove the
/rest wire checks can fail, and that ``--api auto`` falls back to /rest where /api is
missing, this proxy forwards every request to a mock and then, by ``mode``:

* ``6.7``: answers 404 to every ``/api`` request (6.7 has only /rest);
* ``rest-created-201``: a /rest create answers 201 (the /api status) instead of 200;
* ``rest-void-204``: a /rest void operation answers 204 instead of 200;
* ``rest-bare-errors``: /rest errors lose their ``{"type", "value"}`` envelope;
* ``rest-bare-get``: an update session get answers the model without ``{"value": ...}``.

Not a test module; used by tests/test_rest_dialect*.py.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

MODES = ("6.7", "rest-created-201", "rest-void-204", "rest-bare-errors", "rest-bare-get")
_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}


def _handler(upstream: str, mode: str) -> type[BaseHTTPRequestHandler]:
    http = requests.Session()

    class Door(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            if mode == "6.7" and (self.path == "/api" or self.path.startswith("/api/")):
                self._answer(404, b"", "text/html")
                return
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP | {"host"}}
            response = http.request(
                self.command,
                upstream + self.path,
                data=body,
                headers=headers,
                allow_redirects=False,
                timeout=30,
            )
            status, content = response.status_code, response.content
            if self.path.startswith("/rest/com/vmware/content/"):
                status, content = _mangle(mode, self.command, self.path, status, content)
            self._answer(status, content, response.headers.get("Content-Type", ""))

        def _answer(self, status: int, content: bytes, content_type: str) -> None:
            self.send_response(status)
            if content_type and content:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _forward

        def log_message(self, *args: object) -> None:
            pass

    return Door


def _mangle(mode: str, method: str, path: str, status: int, content: bytes) -> tuple[int, bytes]:
    action = path.partition("~action=")[2]
    is_create = method == "POST" and "id:" not in path and not action
    if mode == "rest-created-201" and status == 200 and is_create:
        return 201, content
    if mode == "rest-void-204" and status == 200 and not content:
        return 204, content
    if mode == "rest-bare-get" and method == "GET" and "/update-session/id:" in path:
        body = json.loads(content) if status == 200 and content else None
        if isinstance(body, dict) and set(body) == {"value"}:
            return status, json.dumps(body["value"]).encode()
    if mode == "rest-bare-errors" and status >= 400 and content:
        body = json.loads(content)
        if isinstance(body, dict) and "value" in body:
            return status, json.dumps(body["value"]).encode()
    return status, content


@contextmanager
def legacy_door(upstream: str, mode: str) -> Iterator[str]:
    """Serve the proxy on a free loopback port; yield its URL."""
    if mode not in MODES:
        raise ValueError(mode)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(upstream.rstrip("/"), mode))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
