"""The backend: all state of one mock vCenter, its clock and its active flaws."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..clock import Clock, FakeClock, SystemClock, format_time
from ..faults import FaultInjector, Faults
from ..flaws import FLAWS, check_flaws
from ..settings import MockSettings
from .cis import ApiSessions
from .common import ClientTokens
from .download_files import DownloadSessionFiles
from .download_session import DownloadSessions
from .library import ContentLibrary
from .storage import DataDir
from .update_files import UpdateSessionFiles
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
        #: read by ``FaultMiddleware`` on every request; None when no fault is active
        self.fault_injector: FaultInjector | None = FaultInjector.of(self.settings.faults)
        self.tokens = ClientTokens()
        self.api_sessions = ApiSessions(self)
        self.library = ContentLibrary(self)
        self.update_sessions = UpdateSessions(self)
        self.download_sessions = DownloadSessions(self)
        # file services and the bytes on disk (update_files.py, download_files.py)
        self.storage = DataDir(self.settings.data_dir)
        self.update_files = UpdateSessionFiles(self)
        self.download_files = DownloadSessionFiles(self)

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

    # -- faults ------------------------------------------------------------------------
    @property
    def faults(self) -> Faults | None:
        """The active fault configuration; None when no fault is active."""
        return self.fault_injector.faults if self.fault_injector is not None else None

    def set_faults(self, faults: Faults | None) -> None:
        """Replace the faults (``None`` or an inactive ``Faults()``: none); counters restart."""
        self.fault_injector = FaultInjector.of(faults)

    # -- lifecycle ---------------------------------------------------------------------
    def reset(self) -> None:
        """Drop all state and runtime flaw and fault changes; keep settings and the clock."""
        self._flaws = self.settings.flaws
        self.set_faults(self.settings.faults)
        self.tokens.clear()
        self.api_sessions.reset()
        self.library.reset()
        self.update_sessions.reset()
        self.download_sessions.reset()
        self.update_files.reset()
        self.download_files.reset()
        self.storage.wipe()

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
            "files": {**self.update_files.dump(), **self.download_files.dump()},
        }
