"""The expiry probe: an update session made at the start of the run and left alone,
judged by the expiry test at its end (US-EXPIRY-DELETES).

``vcenter-conformance run`` makes it in the controller (``_parallel.py``) as soon as the
target answered the preflight login, before pytest starts, in a library of its own
inside the run prefix (``<prefix>-<run>-lib-<N+1>``, after the workers' ``lib-1`` …
``lib-N``), and hands it to the suite (every worker of ``run -n N``): the test that
judges it then waits only for what is left of its lifetime. Under plain ``pytest``, the
suite makes it with its first test.
"""

from __future__ import annotations

import email.utils
import json
import os
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from conformance.sandbox import Sandbox, require

#: where a worker of a parallel run finds the file the controller writes the probe it made
#: to (``workerinput``): the workers start while it is being made, not after
EXPIRY_PROBE_INPUT = "vcc_expiry_probe_file"
#: seconds between two looks at that file, while the controller is still making the probe
_HANDOFF_POLL = 0.05
#: the name of the test that judges the probe (the controller removes the probe after it)
EXPIRY_TEST = "test_update_session_expires_without_activity"


@dataclass(frozen=True)
class ExpiryProbe:
    """An update session made at the start of the run and left alone, for the expiry test.

    ``lifetime_s`` is its expiration_time minus the Date of the answer that gave
    it (None, with ``unknown_because``, when the target does not say).
    """

    session_id: str
    lifetime_s: float | None
    read_at: float  # time.monotonic() when that answer came
    unknown_because: str = ""

    def seconds_left(self) -> float:
        assert self.lifetime_s is not None
        return self.lifetime_s - (time.monotonic() - self.read_at)

    def to_wire(self) -> dict[str, Any]:
        """Plain data for a worker. The time it was read goes as wall-clock time: a
        worker's monotonic clock need not be the controller's."""
        return {
            "session_id": self.session_id,
            "lifetime_s": self.lifetime_s,
            "read_at_epoch": time.time() - (time.monotonic() - self.read_at),
            "unknown_because": self.unknown_because,
        }

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> ExpiryProbe:
        age = max(0.0, time.time() - float(data["read_at_epoch"]))
        lifetime = data["lifetime_s"]
        return cls(
            session_id=str(data["session_id"]),
            lifetime_s=None if lifetime is None else float(lifetime),
            read_at=time.monotonic() - age,
            unknown_because=str(data["unknown_because"]),
        )


def make_expiry_probe(sandbox: Sandbox) -> ExpiryProbe:
    """Create the probe session on a new item of ``sandbox`` and read its lifetime."""
    session_id = sandbox.new_update_session(sandbox.new_item())
    exchange = require(
        sandbox.api.update_sessions.get(session_id), 200, "get of the new update session"
    )
    read_at = time.monotonic()
    body = exchange.json if isinstance(exchange.json, dict) else {}
    date, expiration = exchange.header("Date"), body.get("expiration_time")
    if not date:
        return ExpiryProbe(session_id, None, read_at, "the target sends no Date header")
    try:
        expires = datetime.fromisoformat(str(expiration).replace("Z", "+00:00"))
        lifetime = (expires - email.utils.parsedate_to_datetime(date)).total_seconds()
    except (TypeError, ValueError):
        because = f"expiration_time {expiration!r} is not an RFC 3339 date-time with a zone"
        return ExpiryProbe(session_id, None, read_at, because)
    return ExpiryProbe(session_id, lifetime, read_at)


def write_handoff(path: Path, probe: ExpiryProbe | None) -> None:
    """Tell the workers how making the probe ended: the probe, or None (the worker that
    runs the expiry test then makes its own). Written whole, then renamed: a worker never
    reads half of it."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps({"probe": probe.to_wire() if probe else None}), "utf-8")
    os.replace(partial, path)


def read_handoff(path: Path, timeout: float) -> ExpiryProbe | None:
    """The probe the controller made, waiting up to ``timeout`` seconds for it to say (it
    is made at the start of the run and the expiry test runs last, so it rarely waits).
    None: not made, or not said in time (this worker then makes its own)."""
    give_up = time.monotonic() + timeout
    while True:
        try:
            wire = json.loads(path.read_text("utf-8"))["probe"]
        except FileNotFoundError:
            if time.monotonic() >= give_up:
                return None
            time.sleep(_HANDOFF_POLL)
            continue
        return None if wire is None else ExpiryProbe.from_wire(wire)
