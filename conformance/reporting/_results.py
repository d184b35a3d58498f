"""Test outcomes, their roll-up by requirement, and ``results.json``.

Statuses follow the OCI conformance suite: PASS, FAIL (the target broke a
requirement), SKIP (an optional feature the target lacks, with the reason),
ERROR (the suite could not judge: network, timeout, broken setup). A
requirement no selected test covered is NOT_RUN.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from conformance.catalog import Catalog
from conformance.profiles import Profile

RESULTS_SCHEMA_VERSION = 1


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"
    ERROR = "error"
    #: would be FAIL, but the vendor profile lists it as a known deviation (not expired)
    KNOWN_DEVIATION = "known_deviation"
    NOT_RUN = "not_run"


# Worst first: a requirement takes the worst status among its verdicts.
_SEVERITY = [
    Status.FAIL,
    Status.ERROR,
    Status.KNOWN_DEVIATION,
    Status.PASS,
    Status.SKIP,
    Status.NOT_RUN,
]


def worst(statuses: list[Status]) -> Status:
    for status in _SEVERITY:
        if status in statuses:
            return status
    return Status.NOT_RUN


@dataclass
class CaseOutcome:
    """What one test found. ``failures`` are dicts from ConformanceFailure.to_dict()."""

    nodeid: str
    name: str
    requirements: list[str]
    status: Status = Status.PASS
    message: str = ""
    failures: list[dict[str, Any]] = field(default_factory=list)
    #: cited requirements the test could not judge (it stopped on another failure)
    not_judged: list[str] = field(default_factory=list)
    duration_s: float = 0.0
    seed: str | None = None

    def verdict_for(self, requirement: str) -> Status | None:
        """This test's verdict on ``requirement``, or None if it says nothing about it."""
        if any(f["requirement"] == requirement for f in self.failures):
            return Status.FAIL
        if requirement not in self.requirements:
            return None
        if requirement in self.not_judged:
            return Status.ERROR
        if self.status is Status.FAIL:
            # The test failed on other requirements only, after judging this one.
            return Status.PASS
        return self.status

    def to_dict(self) -> dict[str, Any]:
        return {
            "nodeid": self.nodeid,
            "status": self.status.value,
            "requirements": self.requirements,
            "message": self.message,
            "failures": self.failures,
            "not_judged": self.not_judged,
            "duration_s": round(self.duration_s, 3),
            "seed": self.seed,
        }


@dataclass
class RequirementResult:
    id: str
    level: str
    title: str
    source: str
    status: Status
    tests: list[str]
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "level": self.level,
            "title": self.title,
            "source": self.source,
            "status": self.status.value,
            "tests": self.tests,
            "message": self.message,
        }


def roll_up(
    catalog: Catalog,
    outcomes: list[CaseOutcome],
    profile: Profile | None = None,
    today: date | None = None,
) -> list[RequirementResult]:
    """One result per catalog requirement, from every test verdict on it.

    A Fail the ``profile`` lists as a deviation becomes KNOWN_DEVIATION until
    the entry expires; after that it is a Fail again, and says so.
    """
    today = today or datetime.now(UTC).date()
    results = []
    for req in catalog:
        verdicts: list[tuple[CaseOutcome, Status]] = []
        for outcome in outcomes:
            verdict = outcome.verdict_for(req.id)
            if verdict is not None:
                verdicts.append((outcome, verdict))
        # "Not judged" (the test stopped on another requirement first) counts
        # only when no test judged this requirement at all.
        judged = [v for o, v in verdicts if req.id not in o.not_judged or v is Status.FAIL]
        status = worst(judged or [v for _, v in verdicts])
        message = ""
        for outcome, verdict in verdicts:
            if verdict is status and status in (Status.FAIL, Status.ERROR, Status.SKIP):
                failure = next((f for f in outcome.failures if f["requirement"] == req.id), None)
                if failure:
                    message = f"{failure['title']}: {failure['message']}"
                elif req.id in outcome.not_judged:
                    message = f"not judged: {outcome.name} stopped on another failure first"
                else:
                    message = outcome.message
                break
        deviation = profile.deviation_for(req.id) if profile else None
        if deviation is not None and status is Status.FAIL:
            where = f"{deviation.reason} ({deviation.link})"
            if deviation.active_on(today):
                status = Status.KNOWN_DEVIATION
                message = f"known deviation until {deviation.expires}: {where}. Found: {message}"
            else:
                message = f"known deviation EXPIRED on {deviation.expires}: {where}. {message}"
        results.append(
            RequirementResult(
                id=req.id,
                level=req.level,
                title=req.title,
                source=req.source,
                status=status,
                tests=[o.nodeid for o, _ in verdicts],
                message=message,
            )
        )
    return results


def count(statuses: list[Status]) -> dict[str, int]:
    return {s.value: statuses.count(s) for s in Status}


def exit_code_for(requirements: list[RequirementResult], outcomes: list[CaseOutcome]) -> int:
    """0 all good, 1 any Fail, 3 Error but no Fail (the suite could not judge).

    Fails count by requirement (a known deviation is not one); Errors count by
    requirement and by test (a cleanup that failed is an Error of no requirement).
    """
    statuses = [r.status for r in requirements]
    statuses += [Status.ERROR for o in outcomes if o.status is Status.ERROR]
    if Status.FAIL in statuses:
        return 1
    if Status.ERROR in statuses:
        return 3
    return 0


def build_results(
    *,
    run: dict[str, Any],
    catalog: Catalog,
    outcomes: list[CaseOutcome],
    profile: Profile | None = None,
) -> dict[str, Any]:
    requirements = roll_up(catalog, outcomes, profile)
    return {
        "schema_version": RESULTS_SCHEMA_VERSION,
        "run": run,
        "exit_code": exit_code_for(requirements, outcomes),
        "summary": {
            "requirements": count([r.status for r in requirements]),
            "tests": count([o.status for o in outcomes]),
        },
        "requirements": [r.to_dict() for r in requirements],
        "tests": [o.to_dict() for o in outcomes],
    }


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=False) + "\n", encoding="utf-8")


def read_results(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if data.get("schema_version") != RESULTS_SCHEMA_VERSION:
        raise ValueError(f"{path}: not a results.json of schema version {RESULTS_SCHEMA_VERSION}")
    return data
