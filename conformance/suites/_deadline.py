"""The run's deadline: a wall-time budget after which no test starts and no request is sent.

``vcenter-conformance run --deadline S`` (setting ``deadline``, default 900 s; 0 means
none). Once the budget is spent:

* every test not yet started is reported as Error, "run deadline of S s reached",
  without running (the suite's ``pytest_runtest_setup`` hook calls :meth:`check`);
* the test running stops at its next request (:meth:`guard`, installed as the client's
  ``before_request`` and on the property tests' HTTP session), so a request already
  sent is the most the run overruns by: one request timeout;
* the sandbox's cleanup still runs (the guard only acts while a test runs) and the
  reports are still written.

:class:`RunDeadlineReached` is a ``ClientError``, no ``AssertionError``: the reporting
plugin counts it as Error (the suite could not judge), never as Fail.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from conformance.client import ClientError


class RunDeadlineReached(ClientError):
    """The run's wall-time budget is spent: this test was not run, or not to its end.

    A ``ClientError`` (no request is sent once it is raised): reported as Error, with
    its own one-line message.
    """


class RunDeadline:
    """A wall-time budget; ``spent`` seconds of it were used before it was made."""

    def __init__(
        self, seconds: float, clock: Callable[[], float] = time.monotonic, *, spent: float = 0.0
    ) -> None:
        self.seconds = seconds
        self._clock = clock
        self._started = clock() - spent
        #: True while a test runs: only then does :meth:`guard` stop requests
        self.armed = False

    def remaining(self) -> float:
        if not self.seconds:
            return math.inf
        return self.seconds - (self._clock() - self._started)

    def passed(self) -> bool:
        return self.remaining() <= 0

    def check(self) -> None:
        """Raise :class:`RunDeadlineReached` once the budget is spent."""
        if self.passed():
            raise RunDeadlineReached(f"run deadline of {self.seconds:g} s reached")

    def guard(self) -> None:
        """Before a request: stop the running test once the budget is spent.

        Outside a test (the sandbox's cleanup at the end of the run) it never stops
        anything.
        """
        if self.armed:
            self.check()

    def session(self) -> requests.Session:
        """A ``requests`` session whose every request passes :meth:`guard` first."""
        return self.guard_session(requests.Session())

    def guard_session(self, session: requests.Session) -> requests.Session:
        """Make every request of ``session`` pass :meth:`guard` first."""
        adapter = _GuardedAdapter(self.guard)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session


def deadline_in(error: BaseException) -> RunDeadlineReached | None:
    """The deadline behind ``error``, also when wrapped in an exception group.

    Hypothesis wraps what stopped a property test (``FlakyFailure`` when a replay did
    not send the request that was stopped): the test was stopped by the deadline all
    the same.
    """
    if isinstance(error, RunDeadlineReached):
        return error
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            found = deadline_in(inner)
            if found is not None:
                return found
    return None


class _GuardedAdapter(HTTPAdapter):
    def __init__(self, guard: Callable[[], None]) -> None:
        super().__init__()
        self._guard = guard

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        self._guard()
        return super().send(request, *args, **kwargs)
