"""The controller's side of a run that belongs to the suite: the expiry probe, made
before the tests start (``run``, serial or ``run -n N``).

Made with the first test, the probe would be made only once Python, pytest and the
suite have started and the first test's sandbox is open; made by the worker that runs
the expiry test, only when that test runs, at the end, and the run would then wait the
whole expiration timeout after the rest. Made here, as soon as the target has answered
the preflight login, its lifetime runs while pytest starts (and the workers of a
parallel run start) and the suite runs, and the expiry test, run last, waits only for
what is left of it.

xdist's controller collects no tests and so never loads the suite's conftest: the CLI
registers :class:`ControllerExpiryProbe` beside the reporting plugin, and, in a serial
run, the suite's ``expiry_probe`` fixture takes the probe from it.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from conformance.client import ClientError, Exchange, VcenterApi
from conformance.config import Config
from conformance.sandbox import Sandbox, connect

from ._deadline import RunDeadline
from ._expiry import (
    EXPIRY_PROBE_INPUT,
    EXPIRY_TEST,
    ExpiryProbe,
    make_expiry_probe,
    write_handoff,
)

#: the file in the run directory that tells the workers the probe (removed at the end)
HANDOFF_FILE = ".expiry-probe.json"
#: the probe is made with at most this many requests (login, datastores, library, item,
#: session, get): a worker waits for it no longer than as many request timeouts
PROBE_REQUESTS = 6


def handoff_wait(timeout: float, deadline: RunDeadline | None) -> float:
    """How long a worker's expiry test waits for the probe the controller is making: as
    long as making it may take (``PROBE_REQUESTS`` request timeouts), never past the
    run's deadline."""
    wait = PROBE_REQUESTS * timeout
    if deadline is not None:
        wait = min(wait, max(0.0, deadline.remaining()))
    return wait


class ControllerExpiryProbe:
    """Makes the probe at the start of the run, hands it to the suite (every worker of a
    parallel run, or the fixture of a serial one), and removes it (with its item and
    library) once the expiry test is over, or at once when no selected test judges it.

    The controller of a parallel run has no tests, and the probe is made before the
    suite is collected: it is made whenever ``expiry_wait`` lets the expiry test judge,
    which costs a few requests. Its library is ``<prefix>-<run>-lib-<N+1>``, after the
    workers' ``lib-1`` … ``lib-N`` (a serial run's ``lib-1``): inside the run prefix, so
    ``cleanup`` sweeps it after a killed run.
    """

    def __init__(
        self,
        settings: Config,
        workers: int,
        observe: Callable[[Exchange], None],
        report_error: Callable[[str], None],
    ) -> None:
        self.settings = settings
        self.client = connect(settings)
        self.client.add_listener(observe)
        self.sandbox = Sandbox(VcenterApi(self.client), settings, worker=workers)
        self.report_error = report_error
        self.probe: ExpiryProbe | None = None
        self._maker: threading.Thread | None = None
        self._remover: threading.Thread | None = None
        self._problems: list[str] = []
        #: where the workers of a parallel run read the probe once it is made
        self._handoff: Path | None = None

    def make(self) -> None:
        """Best effort: if it cannot be made here, the suite makes its own when the expiry
        test runs (a worker's sandbox, or the serial run's), and reports why if it cannot
        either."""
        try:
            with contextlib.suppress(ClientError, RuntimeError):
                self.client.login()
                self.sandbox.open()
                self.probe = make_expiry_probe(self.sandbox)
        finally:
            if self._handoff is not None:
                write_handoff(self._handoff, self.probe)

    def start(self) -> None:
        """Start making the probe in the background (once; not with ``expiry_wait`` 0,
        with which the expiry test skips without judging)."""
        if self._maker is not None or self.settings.expiry_wait <= 0:
            return
        # in the run's own directory: a run killed before its end leaves it there, not in
        # the system's temporary directory
        self.settings.run_dir.mkdir(parents=True, exist_ok=True)
        self._handoff = self.settings.run_dir / HANDOFF_FILE
        self._maker = threading.Thread(target=self.make, name="expiry-probe", daemon=True)
        self._maker.start()

    @property
    def started(self) -> bool:
        """Whether the probe is being made (or was) here."""
        return self._maker is not None

    def wait_for_probe(self) -> ExpiryProbe | None:
        """The probe, once the attempt to make it is over (None: not made here)."""
        if self._maker is not None:
            self._maker.join()
        return self.probe

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """A parallel run: start making the probe, if the CLI has not yet; xdist starts the
        workers meanwhile (in its own pytest_sessionstart, which runs last). A serial run
        that selects tests leaves it to the suite (made with the first test, if needed)."""
        if session.config.pluginmanager.getplugin("dsession") is not None:
            self.start()

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """xdist: what a worker receives when it starts: where to read the probe. Not the
        probe itself, which would make the workers' start wait for its six round trips
        (1.2 s at 200 ms each); it is read when the expiry test runs, last."""
        if self._handoff is not None:
            node.workerinput[EXPIRY_PROBE_INPUT] = str(self._handoff)

    # -- removing it as soon as it has served ---------------------------------------------
    def _selected(self, nodeids: Iterable[str]) -> bool:
        return any(nodeid.split("::")[-1].startswith(EXPIRY_TEST) for nodeid in nodeids)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """A serial run: no selected expiry test, nothing to wait for. (xdist's controller
        collects nothing: its workers' collections say, below.)"""
        if session.config.pluginmanager.getplugin("dsession") is not None:
            return
        if not self._selected(item.nodeid for item in session.items):
            self._remove_in_background()

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        """A parallel run: every worker collects the same tests."""
        if not self._selected(ids):
            self._remove_in_background()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """The expiry test is over (its teardown reported): remove the probe while the rest
        of the run ends, not after it."""
        if report.when == "teardown" and self._selected([report.nodeid]):
            self._remove_in_background()

    def _remove(self) -> None:
        self.wait_for_probe()
        try:
            self._problems = self.sandbox.cleanup()
        except Exception as exc:  # reported at the end, as the cleanup's own problems are
            self._problems = [f"the expiry probe's library ({type(exc).__name__}: {exc})"]
        with contextlib.suppress(ClientError):
            self.client.logout()
        self.client.close()

    def _remove_in_background(self) -> None:
        if self._maker is None or self._remover is not None:
            return  # nothing made, or already being removed
        self._remover = threading.Thread(target=self._remove, name="expiry-probe-removal")
        self._remover.start()

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Once every test is done, and before the results are written: a problem
        removing what the controller made is then the run's Error, as a worker's is."""
        if self._maker is None:
            return
        self._remove_in_background()
        assert self._remover is not None
        self._remover.join()
        self._maker = None
        if self._handoff is not None:
            self._handoff.unlink(missing_ok=True)
        if self._problems:
            self.report_error(
                "cleanup could not remove: "
                + "; ".join(self._problems)
                + f" (run `vcenter-conformance cleanup` for prefix {self.settings.run_prefix})"
            )


def exit_promptly_when_done() -> None:
    """A worker of ``run -n``: once the controller has told it to exit, end the process at
    once instead of letting Python tear down every module and object it holds.

    By then the worker has sent every report, removed its sandbox and closed its channel;
    the controller writes the results. The teardown itself cost about 0.2 s of the run's
    wall time, every run, with the controller waiting for the slowest worker
    (bench/parallel.py). Exit handlers run last-registered first: those of modules
    imported later, during the tests, still run; those registered before the worker
    configured (logging's flush: a worker logs to no file) are skipped.
    """

    def _exit_now() -> None:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(0)

    atexit.register(_exit_now)
