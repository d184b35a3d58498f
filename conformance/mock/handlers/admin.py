"""``/mock-api/``: moto-style admin routes for tests; never used by the conformance suite.

No authentication, and errors here are always rendered plainly (flaws do not apply).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .. import errors
from ..clock import format_time
from ..faults import Faults
from ..flaws import FLAWS
from ..variants import VARIANTS
from .common import backend_of, parse_json, read_body

__all__ = [
    "advance_clock",
    "get_faults",
    "get_flaws",
    "get_variants",
    "put_faults",
    "put_flaws",
    "put_variants",
    "reset",
    "state",
]


async def reset(request: Request) -> Response:
    backend_of(request).reset()
    return Response(status_code=204)  # never flawed


async def advance_clock(request: Request) -> Response:
    """Body ``{"seconds": N}``; only when the mock runs on a FakeClock."""
    backend = backend_of(request)
    body = await _body(request)
    seconds = body.get("seconds")
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, int | float)
        or not math.isfinite(seconds)
        or seconds < 0
    ):
        raise errors.wrong_type("seconds", "a non-negative number")
    try:
        now = backend.advance_clock(seconds)
    except TypeError as exc:
        raise errors.invalid_argument(
            "mock.clock.not_fake", "The mock runs on the real clock; it cannot be advanced."
        ) from exc
    return _json({"now": format_time(now)})


async def get_flaws(request: Request) -> Response:
    return _json({"flaws": sorted(backend_of(request).flaws), "available": dict(FLAWS)})


async def put_flaws(request: Request) -> Response:
    """Body ``{"flaws": [name, ...]}`` replaces the active flaws; an unknown name is 400."""
    backend = backend_of(request)
    await _replace_switches(request, "flaws", "flaw", backend.set_flaws)
    return _json({"flaws": sorted(backend.flaws)})


async def get_variants(request: Request) -> Response:
    return _json({"variants": sorted(backend_of(request).variants), "available": dict(VARIANTS)})


async def put_variants(request: Request) -> Response:
    """Body ``{"variants": [name, ...]}`` replaces the active variants; an unknown name is 400."""
    backend = backend_of(request)
    await _replace_switches(request, "variants", "variant", backend.set_variants)
    return _json({"variants": sorted(backend.variants)})


async def _replace_switches(
    request: Request, key: str, noun: str, replace: Callable[[list[str]], None]
) -> None:
    """Read ``{key: [name, ...]}`` and hand the names to ``replace`` (ValueError: 400)."""
    names = (await _body(request)).get(key)
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise errors.wrong_type(key, f"a list of {noun} names")
    try:
        replace(names)
    except ValueError as exc:
        raise errors.invalid_argument(f"mock.{key}.unknown", str(exc)) from exc


async def get_faults(request: Request) -> Response:
    """``{"faults": {field: value} or null, "matched": n, "injected": {kind: n}}``."""
    injector = backend_of(request).fault_injector
    if injector is None:
        none = {"drop": 0, "unavailable": 0, "delay": 0}
        return _json({"faults": None, "matched": 0, "injected": none})
    return _json({"faults": injector.faults.to_json(), **injector.dump()})


async def put_faults(request: Request) -> Response:
    """The body is a ``Faults`` object (missing fields: defaults; ``{}``: no fault)."""
    backend = backend_of(request)
    try:
        faults = Faults.from_json(await _body(request))
    except (TypeError, ValueError) as exc:
        raise errors.invalid_argument("mock.faults.invalid", str(exc)) from exc
    backend.set_faults(faults)
    return await get_faults(request)


async def state(request: Request) -> Response:
    return _json(backend_of(request).dump())


async def _body(request: Request) -> dict[str, Any]:
    """The JSON object in the body, parsed without any flaw getting in the way."""
    try:
        value = parse_json(await read_body(request))
    except ValueError as exc:
        raise errors.bad_body("the body is not valid JSON") from exc
    if not isinstance(value, dict):
        raise errors.bad_body("the body must be a JSON object")
    return value


def _json(data: object) -> Response:
    """Admin answers ignore the ``success-legacy-envelope`` flaw: tests read them as they are."""
    return JSONResponse(data)
