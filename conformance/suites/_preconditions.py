"""Shared preconditions, judged once per run, and the one bounded poll.

Many tests need the same thing from the target before they can judge anything: an
upload that becomes READY, an update session that reaches DONE after ``complete``, a
download file that becomes PREPARED. When the target never gives it, every such test
would wait out its poll in turn, and a broken target would take the number of those
tests times the poll timeout to get a verdict. Instead, the run remembers (in a
:class:`Preconditions` registry, one per pytest session) which precondition failed:

* the first test that meets the failure reports it (a setup step failed: an Error that
  names the requirement the failure breaks), after at most one poll timeout;
* every later test that needs it stops at once with :class:`PreconditionFailed`
  ("precondition failed: <what> (see <REQUIREMENT-ID>)"), also an Error;
* the test that judges that requirement still judges it, but its poll does not wait
  again for a change that already failed to come (one read, then the verdict).

Both errors are ``ClientError`` subclasses, never an ``AssertionError``, so the
reporting plugin classifies them as Error: the suite could not judge those tests, the
target did not fail them.

:func:`poll` is the suite's one polling loop: exponential backoff, bounded by the run's
``poll_timeout`` (``--poll-timeout``), separate from the per-request ``timeout``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from conformance.client import ClientError, Exchange, UnexpectedResponse

#: First pause between two reads of a poll, doubled after each read up to MAX_PAUSE.
FIRST_PAUSE = 0.05
MAX_PAUSE = 2.0


@dataclass(frozen=True)
class Precondition:
    """Something many tests need from the target; ``requirement`` is the rule it breaks."""

    what: str
    requirement: str


UPLOAD_READY = Precondition("an uploaded file reaching READY", "USF-UPLOAD-READY")
SESSION_DONE = Precondition("an update session reaching DONE after complete", "US-COMPLETE-DONE")
FILE_PREPARED = Precondition(
    "a download session file reaching PREPARED with a download_endpoint", "DSF-PREPARE"
)


class PreconditionFailed(ClientError):
    """A precondition this test needs failed earlier in the run: the test was not run.

    A ``ClientError``: there is no answer worth judging; reported as Error, with its
    own one-line message.
    """

    def __init__(self, precondition: Precondition, earlier: str) -> None:
        super().__init__(
            f"precondition failed: {precondition.what} (see {precondition.requirement}); "
            f"earlier in this run, {earlier}"
        )
        self.precondition = precondition


@dataclass(frozen=True)
class _Failure:
    detail: str
    #: a poll for it ran out of time (rather than the target answering something else)
    timed_out: bool


class Preconditions:
    """The precondition failures one run has seen (thread-safe; the first one is kept)."""

    def __init__(self) -> None:
        self._failures: dict[Precondition, _Failure] = {}
        self._lock = threading.Lock()

    def check(self, precondition: Precondition) -> None:
        """Raise :class:`PreconditionFailed` if ``precondition`` failed earlier in the run."""
        failure = self._failures.get(precondition)
        if failure is not None:
            raise PreconditionFailed(precondition, failure.detail)

    def failed(self, precondition: Precondition) -> bool:
        return precondition in self._failures

    def timed_out(self, precondition: Precondition) -> bool:
        """A poll for ``precondition`` already waited its whole budget in vain."""
        failure = self._failures.get(precondition)
        return failure is not None and failure.timed_out

    def record(self, precondition: Precondition, detail: str, *, timed_out: bool = False) -> None:
        with self._lock:
            earlier = self._failures.get(precondition)
            if earlier is None:
                self._failures[precondition] = _Failure(detail, timed_out)
            elif timed_out and not earlier.timed_out:
                self._failures[precondition] = _Failure(earlier.detail, True)

    def broken(
        self, precondition: Precondition, exchange: Exchange, detail: str
    ) -> UnexpectedResponse:
        """Record that ``precondition`` does not hold; return the setup error to raise."""
        self.record(precondition, detail)
        return UnexpectedResponse(
            f"setup step failed: {detail} (see {precondition.requirement})\n"
            f"{exchange.describe(1500)}",
            exchange,
        )


_run = Preconditions()


def preconditions() -> Preconditions:
    """The current run's registry (the suite's conftest starts a new one per session)."""
    return _run


def start_run() -> Preconditions:
    """Forget every earlier failure: a new run judges its target afresh."""
    global _run
    _run = Preconditions()
    return _run


def poll(
    fetch: Callable[[], Exchange],
    pending: Callable[[Any], bool],
    wait: float,
    *,
    precondition: Precondition | None = None,
) -> Exchange:
    """Call ``fetch`` until its 200 body is no longer ``pending``, for at most ``wait`` s.

    Returns the last exchange: a non-200 answer, a settled body, or the one the wait
    ended on (which the caller then judges as it is). The pauses between reads double
    from :data:`FIRST_PAUSE` up to :data:`MAX_PAUSE` and never run past ``wait``. With a
    ``precondition``: if an earlier poll for it ran out of time, read once and do not wait
    again; if this one runs out of time, the registry remembers it.
    """
    registry = preconditions()
    if precondition is not None and registry.timed_out(precondition):
        wait = 0.0
    ends = time.monotonic() + wait
    pause = FIRST_PAUSE
    while True:
        exchange = fetch()
        if exchange.status != 200 or not pending(exchange.json):
            return exchange
        left = ends - time.monotonic()
        if left <= 0:
            if precondition is not None and wait > 0:
                registry.record(
                    precondition,
                    f"still pending after the poll timeout ({wait:g} s): "
                    f"{exchange.method} {urlsplit(exchange.url).path}",
                    timed_out=True,
                )
            return exchange
        time.sleep(min(pause, left))
        pause = min(pause * 2, MAX_PAUSE)
