"""Fault injection: dropped connections, 503s and slow answers, on purpose.

Flaws (``flaws.py``) break a rule of the API; faults break the *transport*, so a suite
can check that it reports an unreachable or unavailable target as Error, never as Fail.

* ``Faults`` is the frozen configuration: which requests (``paths``, ``include_login``)
  and what happens to them (drop, 503, delay), every Nth matching request or at random
  with a seed. ``MockSettings.faults`` sets it at start; ``Backend.set_faults`` and
  ``PUT /mock-api/faults`` change it while the server runs.
* ``FaultInjector`` is the live state of one configuration: the request counter, the
  random generator and what was injected so far.
* ``FaultMiddleware`` is the pure-ASGI middleware that applies it. With no active fault
  it costs one attribute read per request.
* ``AbortableHttpToolsProtocol`` is uvicorn's httptools protocol with an abort hook in
  the ASGI scope, so a dropped request closes its TCP connection without a response
  (``MockServer`` and ``serve`` use it). Elsewhere (an in-process test client, another
  server) a drop raises ``ConnectionDropped`` instead.
* ``parse_fault_spec`` reads a ``key=value,...`` string, for a command-line option.

``/mock-api/`` is never faulted.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from . import errors

__all__ = [
    "ABORT_EXTENSION",
    "MAX_DELAY_SECONDS",
    "AbortableHttpToolsProtocol",
    "ConnectionDropped",
    "FaultInjector",
    "FaultMiddleware",
    "Faults",
    "parse_fault_spec",
]

#: Upper bound of ``delay_seconds``: a fault, not a hung server.
MAX_DELAY_SECONDS = 300.0
#: ASGI scope extension carrying ``{"abort": callable}`` that aborts the connection.
ABORT_EXTENSION = "vcenter-mock.abort"

_ADMIN_PREFIX = "/mock-api"
_LOGIN = ("POST", "/api/session")
_DISCONNECT_WAIT = 5.0  # after an abort, connection_lost comes on the next loop turn


@dataclass(frozen=True)
class Faults:
    """Which requests fail, and how.

    A request is *matched* when its path is under one of ``paths`` (whole segments:
    ``/api`` or ``/api/`` matches ``/api`` and ``/api/…``, not ``/apis``), it is not under
    ``/mock-api/``, and it is not the login ``POST /api/session`` unless
    ``include_login``. Matched requests are counted from 1; for each matched request:

    * it is **dropped** (connection closed, no response) when ``drop_every`` divides
      the count, or with probability ``drop_rate``;
    * otherwise it answers **503** SERVICE_UNAVAILABLE when ``unavailable_every``
      divides the count, or with probability ``unavailable_rate``;
    * it is **delayed** by ``delay_seconds`` first (before a drop or a 503 too) when
      ``delay_every`` divides the count or with probability ``delay_rate`` — or always,
      when both are 0.

    ``*_every = 0`` and ``*_rate = 0`` mean never; ``seed`` makes the random choices
    reproducible (``None``: a fresh seed). ``Faults()`` is no fault at all.
    """

    drop_rate: float = 0.0
    drop_every: int = 0
    unavailable_rate: float = 0.0
    unavailable_every: int = 0
    delay_seconds: float = 0.0
    delay_rate: float = 0.0
    delay_every: int = 0
    paths: tuple[str, ...] = ("/api",)
    include_login: bool = False
    seed: int | None = None

    def __post_init__(self) -> None:
        for name in ("drop_rate", "unavailable_rate", "delay_rate"):
            _check_number(name, getattr(self, name), 0.0, 1.0)
        for name in ("drop_every", "unavailable_every", "delay_every"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a whole number >= 0, not {value!r}")
        _check_number("delay_seconds", self.delay_seconds, 0.0, MAX_DELAY_SECONDS)
        paths = (self.paths,) if isinstance(self.paths, str) else self.paths
        try:
            paths = tuple(paths)
        except TypeError:
            raise ValueError(f"paths must be a list of path prefixes, not {paths!r}") from None
        for prefix in paths:
            if not isinstance(prefix, str) or not prefix.startswith("/"):
                raise ValueError(f"paths: each prefix must start with '/', not {prefix!r}")
        object.__setattr__(self, "paths", paths)
        if not isinstance(self.include_login, bool):
            raise ValueError(f"include_login must be true or false, not {self.include_login!r}")
        if self.seed is not None and (
            isinstance(self.seed, bool) or not isinstance(self.seed, int)
        ):
            raise ValueError(f"seed must be a whole number or null, not {self.seed!r}")

    @property
    def active(self) -> bool:
        """Does this configuration ever change an answer?"""
        return bool(
            self.paths
            and (
                self.drop_rate
                or self.drop_every
                or self.unavailable_rate
                or self.unavailable_every
                or self.delay_seconds
            )
        )

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["paths"] = list(self.paths)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Faults:
        """From a JSON object; missing fields take their defaults, unknown ones are errors."""
        unknown = sorted(set(data) - _FIELDS.keys())
        if unknown:
            raise ValueError(f"unknown fault field(s) {unknown}; known: {sorted(_FIELDS)}")
        values = dict(data)
        if isinstance(values.get("paths"), list):
            values["paths"] = tuple(values["paths"])
        return cls(**values)


_FIELDS = {f.name: f for f in dataclasses.fields(Faults)}


def _check_number(name: str, value: object, low: float, high: float) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not low <= value <= high
    ):
        raise ValueError(f"{name} must be a number from {low:g} to {high:g}, not {value!r}")


# -- live state -------------------------------------------------------------------------


class Fault(NamedTuple):
    """What happens to one request: a delay first, then a drop or a 503 (or neither)."""

    delay: float
    drop: bool
    unavailable: bool


class FaultInjector:
    """One ``Faults`` configuration at work: its counter, its random generator, its tally.

    Only the server's event loop calls ``pick``; a new configuration gets a new injector.
    """

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self._random = random.Random(faults.seed)
        self._always_delay = not (faults.delay_every or faults.delay_rate)
        self._bases = tuple(prefix.rstrip("/") for prefix in faults.paths)  # "/" → "": all
        self.matched = 0
        self.dropped = 0
        self.unavailable = 0
        self.delayed = 0

    @classmethod
    def of(cls, faults: Faults | None) -> FaultInjector | None:
        """An injector for an active configuration, else None (the middleware's fast path)."""
        return cls(faults) if faults is not None and faults.active else None

    def matches(self, method: str, path: str) -> bool:
        if path == _ADMIN_PREFIX or path.startswith(_ADMIN_PREFIX + "/"):
            return False
        if (method, path) == _LOGIN and not self.faults.include_login:
            return False
        return any(path == base or path.startswith(base + "/") for base in self._bases)

    def pick(self, method: str, path: str) -> Fault | None:
        """The fault for this request, if any; counts matched requests and injected faults."""
        if not self.matches(method, path):
            return None
        self.matched += 1
        f = self.faults
        # One draw per non-zero rate and request, always in this order: a seed replays.
        drop = self._hit(f.drop_every, f.drop_rate)
        unavailable = self._hit(f.unavailable_every, f.unavailable_rate) and not drop
        delay = 0.0
        if f.delay_seconds and (self._always_delay or self._hit(f.delay_every, f.delay_rate)):
            delay = f.delay_seconds
        if not (drop or unavailable or delay):
            return None
        self.dropped += drop
        self.unavailable += unavailable
        self.delayed += bool(delay)
        return Fault(delay, drop, unavailable)

    def _hit(self, every: int, rate: float) -> bool:
        counted = bool(every) and self.matched % every == 0
        drawn = bool(rate) and self._random.random() < rate
        return counted or drawn

    def dump(self) -> dict[str, Any]:
        return {
            "matched": self.matched,
            "injected": {
                "drop": self.dropped,
                "unavailable": self.unavailable,
                "delay": self.delayed,
            },
        }


# -- the middleware ---------------------------------------------------------------------


class FaultSource(Protocol):
    """Where the middleware finds the live injector (the ``Backend``)."""

    @property
    def fault_injector(self) -> FaultInjector | None: ...


class ConnectionDropped(Exception):
    """A drop where the server offers no abort hook (not ``MockServer``/``serve``)."""


_UNAVAILABLE = errors.ServiceUnavailable(
    errors.Message(
        "mock.fault.service_unavailable",
        "The service is temporarily unavailable (a fault injected by the mock vCenter).",
    )
)
_UNAVAILABLE_BODY = json.dumps(_UNAVAILABLE.body(), separators=(",", ":")).encode()
_UNAVAILABLE_HEADERS = [
    (b"content-type", b"application/json"),
    (b"content-length", str(len(_UNAVAILABLE_BODY)).encode()),
]


class FaultMiddleware:
    """Pure-ASGI middleware applying ``source.fault_injector`` to each HTTP request."""

    def __init__(self, app: ASGIApp, source: FaultSource) -> None:
        self.app = app
        self.source = source

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        injector = self.source.fault_injector
        if injector is None or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        fault = injector.pick(scope["method"], scope["path"])
        if fault is None:
            await self.app(scope, receive, send)
            return
        if fault.delay:
            replay = await _delay(fault.delay, receive)
            if replay is None:
                return  # the client hung up while waiting: nothing to answer
        else:
            replay = receive
        if fault.drop:
            await _drop(scope, receive)
        elif fault.unavailable:
            await send(
                {"type": "http.response.start", "status": 503, "headers": _UNAVAILABLE_HEADERS}
            )
            await send({"type": "http.response.body", "body": _UNAVAILABLE_BODY})
        else:
            await self.app(scope, replay, send)


async def _delay(seconds: float, receive: Receive) -> Receive | None:
    """Sleep ``seconds``, watching the connection; a ``receive`` that replays what came.

    Returns None when the client disconnects meanwhile (a client timeout, or the server
    stopping): the request is then never handled, and no task outlives its connection.
    """
    received: list[Message] = []

    async def watch() -> None:
        while True:
            message = await receive()
            received.append(message)
            if message["type"] == "http.disconnect":
                return

    watcher = asyncio.ensure_future(watch())
    done, _ = await asyncio.wait({watcher}, timeout=seconds)
    if watcher in done:
        return None
    watcher.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await watcher

    async def replay() -> Message:
        return received.pop(0) if received else await receive()

    return replay


async def _drop(scope: Scope, receive: Receive) -> None:
    """Abort the TCP connection, then wait until the server has noticed.

    Returning before uvicorn marks the request disconnected would make it log an error
    and try to send its own 500 on the dead connection.
    """
    hook = scope.get("extensions", {}).get(ABORT_EXTENSION)
    if hook is None:
        raise ConnectionDropped("fault injected: drop the connection")
    abort: Callable[[], None] = hook["abort"]
    abort()
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(_DISCONNECT_WAIT):
            while (await receive())["type"] != "http.disconnect":
                pass


class AbortableHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, offering ``ABORT_EXTENSION`` in every request scope."""

    def on_message_begin(self) -> None:
        super().on_message_begin()
        extensions = self.scope.setdefault("extensions", {})
        extensions[ABORT_EXTENSION] = {"abort": self.transport.abort}


# -- command line -----------------------------------------------------------------------


def parse_fault_spec(spec: str) -> Faults:
    """``"unavailable_every=3,delay_seconds=2"`` → ``Faults``; ValueError says what is wrong.

    Keys are ``Faults`` field names. ``paths`` may repeat, one prefix each
    (``paths=/api/session,paths=/api/content``); ``seed=none`` is no seed; booleans are
    ``true``/``false`` (or ``1``/``0``, ``yes``/``no``). An empty spec, ``none`` or
    ``off`` is no fault.
    """
    text = spec.strip()
    if text.lower() in ("", "none", "off"):
        return Faults()
    values: dict[str, Any] = {}
    paths: list[str] = []
    for part in text.split(","):
        item = part.strip()
        key, sep, raw = item.partition("=")
        key, raw = key.strip(), raw.strip()
        if not sep or not key:
            raise ValueError(f"fault spec {spec!r}: {item!r} is not key=value")
        if key not in _FIELDS:
            raise ValueError(
                f"fault spec {spec!r}: unknown key {key!r}; known: {', '.join(_FIELDS)}"
            )
        if key == "paths":
            paths.append(raw)
            continue
        if key in values:
            raise ValueError(f"fault spec {spec!r}: {key} given twice")
        values[key] = _parse_value(spec, key, raw)
    if paths:
        values["paths"] = tuple(paths)
    try:
        return Faults(**values)
    except ValueError as exc:
        raise ValueError(f"fault spec {spec!r}: {exc}") from None


def _parse_value(spec: str, key: str, raw: str) -> object:
    default = _FIELDS[key].default
    try:
        if key == "seed":
            return None if raw.lower() in ("none", "null", "") else int(raw)
        if isinstance(default, bool):
            return _BOOLEANS[raw.lower()]
        if isinstance(default, int):
            return int(raw)
        return float(raw)
    except (KeyError, ValueError):
        kind = {bool: "true or false", int: "a whole number", float: "a number"}
        expected = "a whole number or none" if key == "seed" else kind[type(default)]
        raise ValueError(f"fault spec {spec!r}: {key} must be {expected}, not {raw!r}") from None


_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
