"""The controller's side of a parallel run (``run -n N``) that belongs to the suite:
the expiry probe, made before the workers start.

Made by the worker that runs the expiry test, the probe would be made when that test
runs, at the end, and the run would then wait the whole expiration timeout after the
rest. Made here, its lifetime runs while the workers start and run the suite, and
the expiry test, dispatched last, waits only for what is left of it.

xdist's controller collects no tests and so never loads the suite's conftest: the
CLI registers :class:`ControllerExpiryProbe` beside the reporting plugin.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

import pytest

from conformance.client import ClientError, Exchange, VcenterApi
from conformance.config import Config
from conformance.sandbox import Sandbox, connect

from ._expiry import EXPIRY_PROBE_INPUT, ExpiryProbe, make_expiry_probe


class ControllerExpiryProbe:
    """Makes the probe at the start of the run, hands it to every worker, and removes
    it (with its item and library) at the end.

    The controller has no tests, so it cannot know whether the expiry test is selected:
    it makes the probe whenever ``expiry_wait`` lets that test judge, which costs a few
    requests. Its library is ``<prefix>-<run>-lib-<N+1>``, after the workers' ``lib-1``
    … ``lib-N``: inside the run prefix, so ``cleanup`` sweeps it after a killed run.
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

    def make(self) -> None:
        """Best effort: if it cannot be made here, the worker that runs the expiry test
        makes its own when the test runs, and reports why if it cannot either."""
        with contextlib.suppress(ClientError, RuntimeError):
            self.client.login()
            self.sandbox.open()
            self.probe = make_expiry_probe(self.sandbox)

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Start making the probe; xdist starts the workers meanwhile (in its own
        pytest_sessionstart, which runs last), a few round trips saved."""
        if self._maker is not None or self.settings.expiry_wait <= 0:
            return  # with expiry_wait 0 the expiry test skips without judging
        self._maker = threading.Thread(target=self.make, name="expiry-probe", daemon=True)
        self._maker.start()

    def _wait_for_probe(self) -> None:
        if self._maker is not None:
            self._maker.join()

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """xdist: what a worker receives when it starts (the first one waits for the probe)."""
        self._wait_for_probe()
        if self.probe is not None:
            node.workerinput[EXPIRY_PROBE_INPUT] = self.probe.to_wire()

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Once every worker is done, and before the results are written: a problem
        removing what the controller made is then the run's Error, as a worker's is."""
        if self._maker is None:
            return
        self._wait_for_probe()
        self._maker = None
        problems = self.sandbox.cleanup()
        with contextlib.suppress(ClientError):
            self.client.logout()
        self.client.close()
        if problems:
            self.report_error(
                "cleanup could not remove: "
                + "; ".join(problems)
                + f" (run `vcenter-conformance cleanup` for prefix {self.settings.run_prefix})"
            )
