"""Run the mock: ``MockServer`` (uvicorn in a background thread) and ``serve`` (blocking)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from types import TracebackType
from typing import Any

import uvicorn

from .app import create_app
from .direct import direct_protocol
from .models import Backend
from .settings import MockSettings

__all__ = ["MockServer", "serve"]

_START_TIMEOUT = 10.0
_STOP_TIMEOUT = 10.0


def _config(
    app: Any,
    settings: MockSettings,
    host: str,
    port: int,
    ssl_certfile: str | None,
    ssl_keyfile: str | None,
    *,
    quiet: bool,
) -> uvicorn.Config:
    """uvicorn tuned for throughput: httptools + uvloop, no websockets, no access log;
    the protocol bounds request heads and idle requests (``limits.py``).

    ``quiet`` (in-process servers) leaves logging alone and only lets warnings through;
    otherwise uvicorn configures its usual console logging.
    """
    logging: dict[str, Any] = {"log_config": None} if quiet else {}
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        # httptools, able to drop a connection (faults.py), with the request limits, and
        # answering the front door's requests from its parser callbacks (direct.py)
        http=direct_protocol(settings.max_head_bytes, settings.request_idle_timeout),
        loop="uvloop",
        ws="none",
        lifespan="off",
        access_log=False,
        log_level="warning" if quiet else "info",
        **logging,
        timeout_graceful_shutdown=2,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
    )


class _PromptServer(uvicorn.Server):
    """uvicorn, but stopping drops open connections at once.

    On shutdown uvicorn closes idle keep-alive connections gracefully; over TLS that
    close waits for the client's close_notify, which an idle client never sends, and the
    server thread hangs. A test mock has nothing to drain, so abort every connection.
    """

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for connection in list(self.server_state.connections):
            transport = getattr(connection, "transport", None)
            if transport is not None:
                transport.abort()
        await super().shutdown(sockets)


class _TidyServer(uvicorn.Server):
    """uvicorn for ``serve``: removes the mock's data directory as it shuts down.

    After a SIGTERM uvicorn re-raises the signal once it has shut down, and the default
    handler ends the process without running atexit hooks; so the uploaded bytes go here.
    """

    def __init__(self, config: uvicorn.Config, backend: Backend) -> None:
        super().__init__(config)
        self._backend = backend

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            await super().shutdown(sockets)
        finally:
            self._backend.storage.close()


def _bind(host: str, port: int) -> socket.socket:
    """Bind the listening socket here, so port 0 yields a known free port before start."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


class MockServer:
    """The mock vCenter served by uvicorn in a background thread.

    ``with MockServer(settings) as server:`` starts it, waits until it listens, and stops
    it (joining the thread) on exit. ``server.url`` has no trailing slash;
    ``server.backend`` is the live state. Pass ``ssl_certfile``/``ssl_keyfile`` for HTTPS.
    """

    def __init__(
        self,
        settings: MockSettings | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        ssl_certfile: str | None = None,
        ssl_keyfile: str | None = None,
    ) -> None:
        self.app = create_app(settings)
        self.backend: Backend = self.app.state.backend
        self.host = host
        self._port = port
        self._certfile = ssl_certfile
        self._keyfile = ssl_keyfile
        self._sock: socket.socket | None = None
        self._server: _PromptServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._sock is None:
            raise RuntimeError("the mock server is not running")
        return int(self._sock.getsockname()[1])

    @property
    def url(self) -> str:
        scheme = "https" if self._certfile else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    def start(self) -> MockServer:
        if self._thread is not None:
            raise RuntimeError("the mock server is already running")
        self._sock = _bind(self.host, self._port)
        config = _config(
            self.app,
            self.backend.settings,
            self.host,
            self.port,
            self._certfile,
            self._keyfile,
            quiet=True,
        )
        self._server = _PromptServer(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._sock]},
            name=f"mock-vcenter-{self.port}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the mock server did not start (see the log above)")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(_STOP_TIMEOUT)
            if self._thread.is_alive():
                raise RuntimeError("the mock server thread did not stop")
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
        self._sock = self._server = self._thread = None

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve(
    settings: MockSettings | None = None,
    host: str = "127.0.0.1",
    port: int = 8989,
    *,
    ssl_certfile: str | None = None,
    ssl_keyfile: str | None = None,
) -> None:
    """Serve the mock until interrupted; for ``vcenter-conformance mock``.

    After Ctrl-C (SIGINT) uvicorn shuts down gracefully and re-raises the signal; the
    resulting KeyboardInterrupt is swallowed here, so ``serve`` simply returns.
    """
    app = create_app(settings)
    backend: Backend = app.state.backend
    config = _config(app, backend.settings, host, port, ssl_certfile, ssl_keyfile, quiet=False)
    with contextlib.suppress(KeyboardInterrupt):
        _TidyServer(config, backend).run()
