"""Test outcomes, their roll-up by requirement, and ``results.json``.

Statuses follow the OCI conformance suite: PASS, FAIL (the target broke a
MUST), WARN (the target broke a SHOULD: reported, but the run still passes
unless ``strict``), SKIP (an optional feature the target lacks, with the
reason), ERROR (the suite could not judge: network, timeout, broken setup). A
requirement no test judged is NOT_RUN; it is *selected* when a selected test
cites it (``-k`` and ``--no-property-tests`` deselect).

The run's verdict follows from the requirements: FAIL (exit 1) when one
failed; INCOMPLETE (exit 3) when the suite could not judge something it was
asked to (an Error, or a selected MUST that ended Skip or not run); PASS
(exit 0) otherwise, Warns included.
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
    #: the target broke a SHOULD: shown everywhere, but not a Fail (unless ``strict``)
    WARN = "warn"
    SKIP = "skip"
    ERROR = "error"
    #: would be FAIL, but the vendor profile lists it as a known deviation (not expired)
    KNOWN_DEVIATION = "known_deviation"
    NOT_RUN = "not_run"


# Worst first: a requirement takes the worst status among its verdicts.
_SEVERITY = [
    Status.FAIL,
    Status.ERROR,
    Status.WARN,
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
        if self.status in (Status.FAIL, Status.WARN):
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
    #: a selected test cites it (False: deselected by -k or --no-property-tests)
    selected: bool = True

    @property
    def unjudged_must(self) -> bool:
        """A MUST the run was asked to judge and did not: the verdict cannot be PASS."""
        return (
            self.level == "MUST"
            and self.selected
            and self.status in (Status.ERROR, Status.SKIP, Status.NOT_RUN)
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "level": self.level,
            "title": self.title,
            "source": self.source,
            "status": self.status.value,
            "selected": self.selected,
            "unjudged_must": self.unjudged_must,
            "tests": self.tests,
            "message": self.message,
        }


def roll_up(
    catalog: Catalog,
    outcomes: list[CaseOutcome],
    profile: Profile | None = None,
    today: date | None = None,
    *,
    strict: bool = False,
    selected: set[str] | None = None,
) -> list[RequirementResult]:
    """One result per catalog requirement, from every test verdict on it.

    A Fail the ``profile`` lists as a deviation becomes KNOWN_DEVIATION until
    the entry expires; after that it is a Fail again, and says so. A Fail of a
    SHOULD (or MAY) is a WARN, unless ``strict``. ``selected``: the requirements
    the selected tests cite (None: those the outcomes cite).
    """
    today = today or datetime.now(UTC).date()
    if selected is None:
        selected = {r for o in outcomes for r in o.requirements}
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
                    stopped_on = outcome.failures[-1]["requirement"] if outcome.failures else ""
                    message = (
                        f"not judged: {outcome.name} stopped on a failure of {stopped_on} first"
                        if stopped_on
                        else f"not judged: {outcome.name} stopped on another failure first"
                    )
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
        if status is Status.FAIL and req.level != "MUST":
            if strict:
                message = f"{req.level} broken, a Fail under --strict: {message}"
            else:
                status = Status.WARN
        is_selected = req.id in selected or bool(verdicts)
        if status is Status.NOT_RUN and not is_selected:
            message = (
                "not selected: no selected test cites it "
                "(-k, --requirement, --api, --no-property-tests)"
            )
        results.append(
            RequirementResult(
                id=req.id,
                level=req.level,
                title=req.title,
                source=req.source,
                status=status,
                tests=[o.nodeid for o, _ in verdicts],
                message=message,
                selected=is_selected,
            )
        )
    return results


def count(statuses: list[Status]) -> dict[str, int]:
    return {s.value: statuses.count(s) for s in Status}


class Verdict(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    INCOMPLETE = "INCOMPLETE"


EXIT_CODES = {Verdict.PASS: 0, Verdict.FAIL: 1, Verdict.INCOMPLETE: 3}


def verdict_for(requirements: list[RequirementResult], outcomes: list[CaseOutcome]) -> Verdict:
    """FAIL on any Fail; else INCOMPLETE on any Error or unjudged selected MUST; else PASS.

    Fails count by requirement (a known deviation is not one; a Warn is not one
    unless ``strict`` made it a Fail); Errors count by requirement and by test (a
    cleanup that failed is an Error of no requirement).
    """
    if any(r.status is Status.FAIL for r in requirements):
        return Verdict.FAIL
    if any(o.status is Status.ERROR for o in outcomes) or any(
        r.status is Status.ERROR or r.unjudged_must for r in requirements
    ):
        return Verdict.INCOMPLETE
    return Verdict.PASS


def exit_code_for(requirements: list[RequirementResult], outcomes: list[CaseOutcome]) -> int:
    """0 PASS (Warns allowed), 1 FAIL, 3 INCOMPLETE (see :func:`verdict_for`)."""
    return EXIT_CODES[verdict_for(requirements, outcomes)]


def verdict_line(verdict: str, exit_code: int, requirements: list[dict[str, Any]]) -> str:
    """``FAIL (exit 1): 73 requirements: 2 fail, 1 warn, 70 pass``, plus what was unjudged."""
    counts: dict[str, int] = {}
    for r in requirements:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    not_selected = sum(1 for r in requirements if r["status"] == "not_run" and not r["selected"])
    if not_selected:
        counts["not_run"] -= not_selected
        counts["not selected"] = not_selected
    order = [s.value for s in _SEVERITY] + ["not selected"]
    parts = ", ".join(f"{counts[s]} {s.replace('_', ' ')}" for s in order if counts.get(s))
    line = f"{verdict} (exit {exit_code}): {len(requirements)} requirements: {parts}"
    unjudged = [r["id"] for r in requirements if r.get("unjudged_must")]
    if unjudged:
        line += f"; MUST not judged: {_first_few(unjudged)}"
    return line


def _first_few(ids: list[str], few: int = 5) -> str:
    shown = ", ".join(ids[:few])
    return shown if len(ids) <= few else f"{shown} and {len(ids) - few} more"


def build_results(
    *,
    run: dict[str, Any],
    catalog: Catalog,
    outcomes: list[CaseOutcome],
    profile: Profile | None = None,
    strict: bool = False,
    selected: set[str] | None = None,
) -> dict[str, Any]:
    requirements = roll_up(catalog, outcomes, profile, strict=strict, selected=selected)
    verdict = verdict_for(requirements, outcomes)
    listed = [r.to_dict() for r in requirements]
    return {
        "schema_version": RESULTS_SCHEMA_VERSION,
        "run": run,
        "verdict": verdict.value,
        "verdict_line": verdict_line(verdict.value, EXIT_CODES[verdict], listed),
        "exit_code": EXIT_CODES[verdict],
        "strict": strict,
        "summary": {
            "requirements": count([r.status for r in requirements]),
            "tests": count([o.status for o in outcomes]),
        },
        "requirements": listed,
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
