"""A mock vCenter for the /api Content Library update and download sessions.

Built like moto: a routing table (``routes``), thin handlers per service (``handlers``),
state and rules without HTTP (``models``), vAPI errors with a class-level status
(``errors``), an injectable clock (``clock``), test-only rule violations (``flaws``) and
transport failures (``faults``). It imports nothing from the rest of ``conformance``: only
the stdlib, starlette, uvicorn and orjson (``tls``, imported only on demand, needs
cryptography).
"""

from .app import create_app
from .clock import Clock, FakeClock, SystemClock
from .faults import Faults, parse_fault_spec
from .flaws import FLAWS
from .models import Backend
from .server import MockServer, serve
from .settings import MockSettings
from .variants import VARIANTS

__all__ = [
    "FLAWS",
    "VARIANTS",
    "Backend",
    "Clock",
    "FakeClock",
    "Faults",
    "MockServer",
    "MockSettings",
    "SystemClock",
    "create_app",
    "parse_fault_spec",
    "serve",
]
