"""Workers of ``run -n`` forked from a process that has already started, on Linux.

Every worker of a parallel run used to start from nothing: Python, pytest, requests,
jsonschema, the catalog, the contract and the suite's modules, about half a CPU second
each, all of them at once on however few cores there are. The first test runs only when
the last worker has collected, so on two cores four workers cost a second and more of
wall time before any test (bench/parallel.py). This server pays that once: it imports
and loads all of it while the run logs in, then forks one worker per request.

``run`` binds the server's socket (a Unix socket in a directory only this user can
enter) before it starts the server, and gives pytest-xdist ``--tx N*popen//python=<the
launcher>``. Each worker's "python" is ``_prefork_launcher.py``, which sends its
standard streams, working directory, environment and arguments over the socket; the
forked worker takes them over and runs xdist's bootstrap line as ``python -c`` would.
Nothing else changes: xdist talks to the worker over the same pipes, and a launcher that
cannot reach the server becomes an ordinary worker.

Only what a worker imports to collect is preloaded: not the property tests' module
(Schemathesis and Hypothesis), which a worker imports when it needs it, so that nothing
random is shared between workers. ``random`` and ``tempfile`` reseed themselves in a
forked child.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import PROPERTY_TESTS_MODULE

LAUNCHER = Path(__file__).with_name("_prefork_launcher.py")
#: what a worker imports before its first test; then the suite's test modules
PRELOAD = (
    "pytest",
    "xdist.plugin",
    "xdist.remote",
    "execnet",
    "conformance.suites._startup",
    "conformance.suites.conftest",
)
#: the largest request a launcher sends (its environment, mostly)
_MAX_REQUEST = 1 << 20
#: a server nobody asks for a worker for this long ends (its run is gone)
_IDLE_TIMEOUT = 300.0


def suite_modules() -> list[str]:
    """The suite's test modules, as pytest imports them; not the property tests'."""
    found = sorted(Path(__file__).parent.glob("test_*.py"))
    return [f"{__package__}.{path.stem}" for path in found if path.name != PROPERTY_TESTS_MODULE]


def supported() -> bool:
    """Linux only: fork, and standard streams passed over a Unix socket."""
    return sys.platform == "linux" and hasattr(socket, "send_fds") and hasattr(os, "fork")


@contextlib.contextmanager
def prefork_server(workers: int) -> Iterator[str]:
    """Start the server for ``workers`` workers; yield the ``python=`` command of
    pytest-xdist's ``--tx``; stop the server and remove its socket at the end."""
    directory = tempfile.mkdtemp(prefix="vcc-prefork-")  # mode 0700
    path = os.path.join(directory, "server")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        listener.bind(path)
        listener.listen(workers)
        server = subprocess.Popen(
            [sys.executable, "-m", __name__, str(listener.fileno()), directory],
            pass_fds=[listener.fileno()],
            stdin=subprocess.DEVNULL,
        )
    except BaseException:
        listener.close()
        shutil.rmtree(directory, ignore_errors=True)
        raise
    listener.close()  # the server has its own copy; a launcher's connection waits for it
    try:
        yield shlex.join([sys.executable, "-S", "-E", str(LAUNCHER), path])
    finally:
        server.terminate()
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(directory, ignore_errors=True)


def serve(listener: socket.socket, directory: str) -> None:
    """Preload, then fork a worker per request, until told to stop (``run`` does, once its
    workers are done) or nobody has asked for a while (its run is gone). A worker that
    xdist restarts asks again; it is served as the first ones were."""
    for module in (*PRELOAD, *suite_modules()):
        importlib.import_module(module)
    from conformance.catalog import catalog
    from conformance.checks._contract import contract

    catalog()
    contract()
    signal.signal(signal.SIGTERM, _stop)
    listener.settimeout(_IDLE_TIMEOUT)
    workers: list[int] = []
    try:
        while True:
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                return
            message, fds, _, _ = socket.recv_fds(connection, _MAX_REQUEST, 3)
            worker = os.fork()
            if worker == 0:
                listener.close()
                _become_worker(json.loads(message), fds, connection)
            workers.append(worker)
            connection.close()
            for fd in fds:
                os.close(fd)
    finally:
        listener.close()
        shutil.rmtree(directory, ignore_errors=True)  # also when its run was killed
        # Waited for, so that their CPU time counts in the run's (bench/parallel.py); by
        # the time ``run`` says stop, xdist has seen every worker end.
        for worker in workers:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(worker, 0)


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _become_worker(request: dict[str, Any], fds: list[int], connection: socket.socket) -> None:
    """In the forked child: take the launcher's streams, directory and environment and run
    its ``-c`` code as ``python -u -c`` would. Never returns. The connection stays open
    until the process ends, which is how the launcher knows it has; the code's exit
    status goes over it first (a worker that ends itself early says nothing: 0)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    for number, fd in enumerate(fds):  # its standard input, output and error
        os.dup2(fd, number)
        os.close(fd)
    args = [str(arg) for arg in request["args"]]
    os.chdir(str(request["cwd"]))
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in request["env"].items()})
    sys.stdin = io.TextIOWrapper(io.BufferedReader(io.FileIO(0, "r", closefd=False)))
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), write_through=True)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), write_through=True)
    code = args[args.index("-c") + 1]
    sys.argv = ["-c", *args[args.index("-c") + 2 :]]
    main = types.ModuleType("__main__")
    sys.modules["__main__"] = main
    status = 0
    try:
        exec(code, main.__dict__)
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
        status = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
    with contextlib.suppress(OSError):
        connection.send(bytes([status & 0xFF]))
    os._exit(status)


if __name__ == "__main__":
    serve(socket.socket(fileno=int(sys.argv[1])), sys.argv[2])
