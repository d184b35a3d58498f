"""The backend: all state of one mock vCenter, its clock and its active flaws."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..clock import Clock, FakeClock, SystemClock, format_time
from ..flaws import FLAWS, check_flaws
from ..settings import MockSettings
from .cis import ApiSessions
from .common import ClientTokens
from .download_session import DownloadSessions
from .library import ContentLibrary
from .update_session import UpdateSessions

__all__ = ["Backend"]


class Backend:
    """One store per service, sharing a clock, the flaw switches and the client tokens."""

    def __init__(self, settings: MockSettings | None = None) -> None:
        self.settings = settings if settings is not None else MockSettings()
        self.clock: Clock = (
            self.settings.clock if self.settings.clock is not None else SystemClock()
        )
        self._flaws: frozenset[str] = self.settings.flaws
        self.tokens = ClientTokens()
        self.api_sessions = ApiSessions(self)
        self.library = ContentLibrary(self)
        self.update_sessions = UpdateSessions(self)
        self.download_sessions = DownloadSessions(self)

    # -- flaws -------------------------------------------------------------------------
    @property
    def flaws(self) -> frozenset[str]:
        return self._flaws

    def set_flaws(self, names: Iterable[str]) -> None:
        """Replace the active flaws (ValueError on an unknown name); takes effect at once."""
        self._flaws = check_flaws(names)

    def flawed(self, name: str) -> bool:
        """Is flaw ``name`` on? A name missing from FLAWS is a bug in the mock: KeyError."""
        if name not in FLAWS:
            raise KeyError(f"no such flaw: {name}")
        return name in self._flaws

    # -- lifecycle ---------------------------------------------------------------------
    def reset(self) -> None:
        """Drop all state and runtime flaw changes; keep settings and the clock's time."""
        self._flaws = self.settings.flaws
        self.tokens.clear()
        self.api_sessions.reset()
        self.library.reset()
        self.update_sessions.reset()
        self.download_sessions.reset()

    def advance_clock(self, seconds: float) -> float:
        """Move a FakeClock forward; TypeError if the clock is real."""
        if not isinstance(self.clock, FakeClock):
            raise TypeError("the mock runs on the real clock")
        return self.clock.advance(seconds)

    def dump(self) -> dict[str, Any]:
        """Everything, as plain JSON data, for tests and debugging."""
        return {
            "now": format_time(self.clock.now()),
            "fake_clock": isinstance(self.clock, FakeClock),
            "flaws": sorted(self._flaws),
            "api_sessions": self.api_sessions.dump(),
            **self.library.dump(),
            "update_sessions": self.update_sessions.dump(),
            "download_sessions": self.download_sessions.dump(),
        }
