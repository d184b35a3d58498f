"""The backend: all state of one mock vCenter, its clock and its active flaws."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from typing import Any

from .. import errors
from ..clock import Clock, FakeClock, SystemClock, format_time
from ..faults import FaultInjector, Faults
from ..flaws import FLAWS, check_flaws
from ..settings import MockSettings
from ..variants import VARIANTS, check_variants
from . import common
from .cis import ApiSessions
from .common import ClientTokens, is_uuid
from .download_files import DownloadSessionFiles
from .download_session import DownloadSessions
from .library import ContentLibrary
from .storage import DataDir
from .update_session import UpdateSessions

__all__ = ["Backend"]

_OPAQUE_ID = re.compile(r"^id-\d+-[0-9a-f]{8}$")


class Backend:
    """One store per service, sharing a clock, the flaw switches and the client tokens."""

    def __init__(self, settings: MockSettings | None = None) -> None:
        self.settings = settings if settings is not None else MockSettings()
        self.clock: Clock = (
            self.settings.clock if self.settings.clock is not None else SystemClock()
        )
        self._flaws: frozenset[str] = frozenset()
        self._variants: frozenset[str] = frozenset()
        #: every flaw and variant name -> is it on (``flawed``, ``varied``: one look-up)
        self._flawed: dict[str, bool] = {}
        self._varied: dict[str, bool] = {}
        self._switch(self.settings.flaws, self.settings.variants)
        self._id_counter = 0
        #: read by ``FaultMiddleware`` on every request; None when no fault is active
        self.fault_injector: FaultInjector | None = FaultInjector.of(self.settings.faults)
        self.tokens = ClientTokens()
        self.api_sessions = ApiSessions(self)
        self.library = ContentLibrary(self)
        self.update_sessions = UpdateSessions(self)
        self.download_sessions = DownloadSessions(self)
        # file services and the bytes on disk (update_files.py, download_files.py); an
        # update session's file service belongs to its store, which drives ``complete``
        self.storage = DataDir(self.settings.data_dir)
        self.update_files = self.update_sessions.files
        self.download_files = DownloadSessionFiles(self)

    # -- flaws -------------------------------------------------------------------------
    @property
    def flaws(self) -> frozenset[str]:
        return self._flaws

    def set_flaws(self, names: Iterable[str]) -> None:
        """Replace the active flaws (ValueError on an unknown name); takes effect at once."""
        self._switch(check_flaws(names), self._variants)

    def _switch(self, flaws: frozenset[str], variants: frozenset[str]) -> None:
        self._flaws, self._variants = flaws, variants
        self._flawed = {name: name in flaws for name in FLAWS}
        self._varied = {name: name in variants for name in VARIANTS}

    def flawed(self, name: str) -> bool:
        """Is flaw ``name`` on? A name missing from FLAWS is a bug in the mock: KeyError."""
        try:
            return self._flawed[name]  # asked about ten times a request: one look-up
        except KeyError:
            raise KeyError(f"no such flaw: {name}") from None

    # -- variants ----------------------------------------------------------------------
    @property
    def variants(self) -> frozenset[str]:
        return self._variants

    def set_variants(self, names: Iterable[str]) -> None:
        """Replace the active variants (ValueError on an unknown name); takes effect at once."""
        self._switch(self._flaws, check_variants(names))

    def varied(self, name: str) -> bool:
        """Is variant ``name`` on? A name missing from VARIANTS is a bug in the mock: KeyError."""
        try:
            return self._varied[name]
        except KeyError:
            raise KeyError(f"no such variant: {name}") from None

    def new_id(self) -> str:
        """A UUID, or under ``opaque-ids`` an id of another, still URL-safe, format."""
        if self.varied("opaque-ids"):
            self._id_counter += 1
            return f"id-{self._id_counter}-{secrets.token_hex(4)}"
        return common.new_id()

    def check_id_format(self, ident: str, kind: str) -> None:
        """Under ``malformed-id-400`` an id of a format this server never issues is 400."""
        if not self.varied("malformed-id-400"):
            return
        well_formed = _OPAQUE_ID.match(ident) if self.varied("opaque-ids") else is_uuid(ident)
        if not well_formed:
            raise errors.invalid_argument(
                "com.vmware.vdcs.cls-main.invalid_id", f"'{ident}' is not a valid {kind} id.", ident
            )

    @property
    def session_timeout(self) -> float:
        """The configured expiration timeout of update and download sessions."""
        return 600.0 if self.varied("session-timeout-10min") else self.settings.session_timeout

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
        self._switch(self.settings.flaws, self.settings.variants)
        self.set_faults(self.settings.faults)
        self.tokens.clear()
        self.api_sessions.reset()
        self.library.reset()
        self.update_sessions.reset()
        self.download_sessions.reset()  # the update sessions' store resets their files
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
            "variants": sorted(self._variants),
            "api_sessions": self.api_sessions.dump(),
            **self.library.dump(),
            "update_sessions": self.update_sessions.dump(),
            "download_sessions": self.download_sessions.dump(),
            "files": {**self.update_files.dump(), **self.download_files.dump()},
        }
