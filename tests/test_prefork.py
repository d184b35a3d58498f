"""The workers of ``run -n`` forked from a preloaded process (Linux): what a worker gets
from its launcher, and the launcher's way back to an ordinary worker."""

from __future__ import annotations

import argparse
import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.cli import _worker_python
from conformance.suites import _prefork

pytestmark = pytest.mark.skipif(not _prefork.supported(), reason="forks workers on Linux only")

#: what the worker prints: where it runs, what it was given, whether it was preloaded
REPORT = (
    "import os, sys; "
    "print(os.getcwd()); print(os.environ.get('VCC_GIVEN')); print(sys.argv[1:]); "
    "print(sys.stdin.readline().strip()); "
    "print('conformance.suites.conftest' in sys.modules)"
)


def _launch(command: list[str], code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*command, "-u", "-c", code, "an-argument"],
        input="a line on standard input\n",
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "VCC_GIVEN": "from the launcher"},
        timeout=120,
        check=False,
    )


def test_a_worker_is_forked_with_the_launchers_streams_directory_and_environment(
    tmp_path: Path,
) -> None:
    with _prefork.prefork_server(2) as python:
        ran = _launch(shlex.split(python), REPORT, tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines() == [
        str(tmp_path),
        "from the launcher",
        "['an-argument']",
        "a line on standard input",
        "True",  # forked from the server, which had imported the suite
    ]


def test_a_workers_exit_status_and_errors_reach_the_launcher(tmp_path: Path) -> None:
    with _prefork.prefork_server(2) as python:
        exited = _launch(shlex.split(python), "raise SystemExit(3)", tmp_path)
        broke = _launch(shlex.split(python), "import sys; print('out'); 1/0", tmp_path)
    assert exited.returncode == 3
    assert (broke.returncode, broke.stdout) == (1, "out\n")
    assert "ZeroDivisionError" in broke.stderr


def test_without_its_server_the_launcher_is_an_ordinary_python(tmp_path: Path) -> None:
    command = [sys.executable, "-S", "-E", str(_prefork.LAUNCHER), str(tmp_path / "none")]
    ran = _launch(command, REPORT, tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines()[-1] == "False"  # started from scratch


def test_only_this_user_can_reach_the_server() -> None:
    with _prefork.prefork_server(1) as python:
        server = Path(shlex.split(python)[-1])
        mode = stat.S_IMODE(server.parent.stat().st_mode)
        assert mode == 0o700
    assert not server.parent.exists()  # removed with the server


def test_run_forks_its_workers_only_when_it_has_several_and_can(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def worker_python(workers: int, no_prefork: bool = False) -> str | None:
        args = argparse.Namespace(workers=workers, no_prefork=no_prefork)
        with _worker_python(args) as command:
            return command

    forked = worker_python(4)
    assert forked is not None and str(_prefork.LAUNCHER) in forked
    assert worker_python(1) is None  # a serial run has no workers
    assert worker_python(4, no_prefork=True) is None

    def no_temporary_directory(prefix: str) -> str:
        raise PermissionError(prefix)

    monkeypatch.setattr(_prefork.tempfile, "mkdtemp", no_temporary_directory)
    assert worker_python(4) is None  # the workers start from scratch, the run goes on


def test_the_server_preloads_every_suite_module_but_the_property_tests() -> None:
    modules = _prefork.suite_modules()
    assert "conformance.suites.test_update_session" in modules
    assert "conformance.suites.test_auth" in modules
    assert not any(module.endswith(".test_properties") for module in modules)
