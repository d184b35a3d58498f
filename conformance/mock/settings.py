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

    Limits (see the README's "Limits"): ``max_body_bytes`` bounds a JSON request body
    (uploads are not bounded); ``max_head_bytes`` the request line and headers;
    ``request_idle_timeout`` how long a request may send nothing before it is complete
    (the connection is then closed, and an upload's file goes to ERROR).
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
    max_body_bytes: int = 1 << 20
    max_head_bytes: int = 32 << 10
    request_idle_timeout: float = 30.0

    def __post_init__(self) -> None:
        # Accept any iterable of names (a list from a config file), store a frozenset.
        object.__setattr__(self, "flaws", check_flaws(self.flaws))
        object.__setattr__(self, "variants", check_variants(self.variants))
        if self.session_timeout <= 0 or self.api_session_timeout <= 0:
            raise ValueError("timeouts must be positive")
        if self.max_body_bytes <= 0 or self.max_head_bytes <= 0 or self.request_idle_timeout <= 0:
            raise ValueError("limits must be positive")
