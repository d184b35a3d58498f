"""Injectable clocks, so session expiry can be tested without sleeping.

Everything in the mock that depends on time asks a ``Clock`` for ``now()`` (seconds
since the epoch, UTC). ``SystemClock`` is the default; tests pass a ``FakeClock``
and call ``advance()``.
"""

from __future__ import annotations

import functools
import time
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "FakeClock", "SystemClock", "format_time"]

#: 2025-01-01T00:00:00Z: a fixed, readable start for fake time.
FAKE_EPOCH = 1_735_689_600.0


@runtime_checkable
class Clock(Protocol):
    """What the backend needs from a clock."""

    def now(self) -> float:
        """Return the current time in seconds since the epoch (UTC)."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> float:
        return time.time()

    def __repr__(self) -> str:
        return "SystemClock()"


class FakeClock:
    """A clock that only moves when told to; thread-safe enough (one float store)."""

    def __init__(self, start: float = FAKE_EPOCH) -> None:
        self._now = float(start)

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> float:
        """Move time forward by ``seconds`` (not backwards) and return the new time."""
        if seconds < 0:
            raise ValueError("a FakeClock only moves forward")
        self._now += seconds
        return self._now

    def __repr__(self) -> str:
        return f"FakeClock({format_time(self._now)!r})"


def format_time(ts: float, *, zone: bool = True) -> str:
    """Render ``ts`` as ``YYYY-MM-DDThh:mm:ss.sssZ``, the form the vAPI client emits (§7.3).

    ``zone=False`` drops the ``Z`` (only the ``datetime-no-timezone`` flaw asks for that).
    """
    seconds, millis = divmod(int(ts * 1000), 1000)
    text = _whole_seconds(seconds) + f".{millis:03d}"
    return text + "Z" if zone else text


@functools.lru_cache(maxsize=1024)
def _whole_seconds(seconds: int) -> str:
    """The date and time of ``seconds``; cached, as the same expiry is shown again and again."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
