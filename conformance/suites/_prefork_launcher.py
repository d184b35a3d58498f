"""The "python" a worker of ``run -n`` is started with on Linux: it asks the run's
prefork server (``_prefork.py``) for a worker forked from a process that has already
imported pytest and the suite, hands it this process's standard streams, and waits
until it ends.

pytest-xdist starts each worker as ``<python> -u -c <bootstrap line>`` and talks to it
over its standard input and output; execnet lets that ``<python>`` be a command
(``--tx popen//python=...``): this script, run with ``python -S -E``, imports nothing
but the standard library and is on its way in a few milliseconds.

If the server cannot be reached, it becomes the ordinary worker instead: the same
Python, started with the same arguments. Standard library only; no project imports.
"""

from __future__ import annotations

import json
import os
import socket
import sys


def main(argv: list[str]) -> None:
    server, python_args = argv[0], argv[1:]
    try:
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        connection.connect(server)
        request = {"args": python_args, "cwd": os.getcwd(), "env": dict(os.environ)}
        socket.send_fds(connection, [json.dumps(request).encode("utf-8")], [0, 1, 2])
    except OSError:
        os.execv(sys.executable, [sys.executable, *python_args])
    # The worker holds the other end of the connection: it closes when the worker ends,
    # after a byte with its exit status (none: 0).
    status = 0
    while message := connection.recv(16):
        status = message[-1]
    sys.exit(status)


if __name__ == "__main__":
    main(sys.argv[1:])
