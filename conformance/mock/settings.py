"""The one frozen settings object the mock is built from."""

from __future__ import annotations

from dataclasses import dataclass, field

from .clock import Clock
from .faults import Faults
from .flaws import check_flaws
from .variants import check_variants

__all__ = ["MockSettings"]


@dataclass(frozen=True)
class MockSettings:
    """Credentials, timeouts, flaws and clock of one mock vCenter.

    ``session_timeout`` is the inactivity timeout of update and download sessions
    (vCenter's default is five minutes); ``api_session_timeout`` is the sliding
    inactivity timeout of ``vmware-api-session-id`` tokens. ``clock=None`` means the
    real clock. ``flaws`` are names from ``FLAWS`` and ``variants`` from ``VARIANTS``; unknown
    names raise ValueError.
    ``faults`` (``faults.Faults``) injects transport failures; ``None`` means none.
    """

    user: str = "administrator@vsphere.local"
    password: str = "secret"
    flaws: frozenset[str] = field(default_factory=frozenset)
    #: names from ``VARIANTS``: legitimate choices other than the default's
    variants: frozenset[str] = field(default_factory=frozenset)
    session_timeout: float = 300.0
    api_session_timeout: float = 1800.0
    clock: Clock | None = None
    faults: Faults | None = None
    #: where uploaded bytes go: a fresh directory is made inside it (None: a temp dir)
    data_dir: str | None = None

    def __post_init__(self) -> None:
        # Accept any iterable of names (a list from a config file), store a frozenset.
        object.__setattr__(self, "flaws", check_flaws(self.flaws))
        object.__setattr__(self, "variants", check_variants(self.variants))
        if self.session_timeout <= 0 or self.api_session_timeout <= 0:
            raise ValueError("timeouts must be positive")
