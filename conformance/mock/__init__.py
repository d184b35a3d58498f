"""A mock vCenter for the /api Content Library update and download sessions.

Built like moto: a routing table (``routes``), thin handlers per service (``handlers``),
state and rules without HTTP (``models``), vAPI errors with a class-level status
(``errors``), an injectable clock (``clock``) and test-only rule violations (``flaws``).
It imports nothing from the rest of ``conformance``: only the stdlib, starlette and uvicorn.
"""

from .app import create_app
from .clock import Clock, FakeClock, SystemClock
from .flaws import FLAWS
from .models import Backend
from .server import MockServer, serve
from .settings import MockSettings

__all__ = [
    "FLAWS",
    "Backend",
    "Clock",
    "FakeClock",
    "MockServer",
    "MockSettings",
    "SystemClock",
    "create_app",
    "serve",
]
