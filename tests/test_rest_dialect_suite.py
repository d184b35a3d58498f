"""The suite judging the legacy /rest dialect, run as a user runs it (``--api rest``).

Proves both ways: a conforming mock passes every requirement that applies on /rest;
state-machine flaws of the mock fail their requirements seen through /rest; /rest wire
flaws (which the mock's own flaws do not produce, see its README) made by a proxy
(tests/legacy_door.py) fail the REST-* requirements; ``--api auto`` picks /api where
it exists and /rest where /api is missing (6.7).
"""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from legacy_door import legacy_door
from suite_runner import NO_EXPIRY, PASSWORD, USER, SuiteRun, run_suite

from conformance.mock import MockServer, MockSettings

pytestmark = pytest.mark.slow

#: flaw (a mock flaw, or a legacy_door mode) -> (-k selection, requirements that must fail)
CASES: dict[str, tuple[str, set[str]]] = {
    "complete-keeps-active": ("complete", {"US-COMPLETE-DONE"}),
    "list-ignores-filter": ("list_filters", {"US-LIST", "DS-LIST"}),
    "delete-active-allowed": ("delete", {"US-DELETE-ACTIVE-400"}),
    "door:rest-created-201": ("rest_wire", {"REST-CREATE-VALUE"}),
    "door:rest-void-204": ("rest_wire", {"REST-VOID-200"}),
    "door:rest-bare-errors": ("rest_wire", {"REST-ERROR-ENVELOPE"}),
    "door:rest-bare-get": ("rest_wire", {"REST-GET-VALUE"}),
}


REST_COOKIE = frozenset({"rest-session-cookie"})


def _run(
    reports: Path,
    run_id: str,
    *args: str,
    flaw: str | None = None,
    door: str | None = None,
    variants: frozenset[str] = frozenset(),
) -> SuiteRun:
    flaws = frozenset({flaw} if flaw else ())
    settings = MockSettings(user=USER, password=PASSWORD, flaws=flaws, variants=variants)
    with MockServer(settings) as server:
        if door is None:
            return run_suite(reports, *args, target=server.url, run_id=run_id)
        with legacy_door(server.url, door) as url:
            return run_suite(reports, *args, target=url, run_id=run_id)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SuiteRun]:
    reports = tmp_path_factory.mktemp("rest-runs")
    jobs = {
        # The /rest login sets the session cookie too, as vCenter's does: the requests the
        # suite makes without a session must still carry none (AUTH-NO-SESSION-401).
        "conforming": lambda: _run(
            reports, "conforming", "--api", "rest", *NO_EXPIRY, variants=REST_COOKIE
        ),
        "auto-on-6.7": lambda: _run(
            reports, "auto-67", "--api", "auto", "--no-property-tests", *NO_EXPIRY, door="6.7"
        ),
        "auto-on-mock": lambda: _run(reports, "auto-mock", "--no-property-tests", *NO_EXPIRY),
    }
    for name, (k, _) in CASES.items():
        mode = name.removeprefix("door:") if name.startswith("door:") else None
        flaw = None if mode else name
        jobs[name] = lambda flaw=flaw, mode=mode, k=k, name=name: _run(
            reports,
            name.replace(":", "-"),
            "--api",
            "rest",
            "--no-property-tests",
            "-k",
            k,
            flaw=flaw,
            door=mode,
        )
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


def test_rest_passes_every_requirement_that_applies_on_a_conforming_mock(
    runs: dict[str, SuiteRun],
) -> None:
    run = runs["conforming"]
    assert run.returncode == 0, run.explain()
    assert run.results["run"]["api"] == "rest"
    statuses = run.statuses()
    assert not [r for r, s in statuses.items() if s in ("fail", "error")], run.explain()
    for requirement in (
        "AUTH-NO-SESSION-401",
        "REST-CREATE-VALUE",
        "REST-GET-VALUE",
        "REST-VOID-200",
        "REST-ERROR-ENVELOPE",
        "US-COMPLETE-DONE",
        "US-LIST",
    ):
        assert statuses[requirement] == "pass", requirement
    # what /rest does not have is deselected: not judged, and not held against the verdict
    by_id = {r["id"]: r for r in run.results["requirements"]}
    for requirement in ("WIRE-VOID-204", "USF-ADD-ACTION-FORM", "PROP-CONTRACT"):
        assert by_id[requirement]["status"] == "not_run", requirement
        assert not by_id[requirement]["selected"], requirement
    assert run.results["verdict"] == "PASS"


def test_auto_falls_back_to_rest_on_a_target_without_api(runs: dict[str, SuiteRun]) -> None:
    run = runs["auto-on-6.7"]
    assert run.returncode == 0, run.explain()
    assert run.results["run"]["api"] == "rest"


def test_auto_picks_api_where_it_exists(runs: dict[str, SuiteRun]) -> None:
    run = runs["auto-on-mock"]
    assert run.returncode == 0, run.explain()
    assert run.results["run"]["api"] == "api"
    assert run.statuses()["REST-CREATE-VALUE"] == "not_run"


@pytest.mark.parametrize("flaw", list(CASES))
def test_rest_checks_fail_on_a_flaw_seen_through_rest(flaw: str, runs: dict[str, SuiteRun]) -> None:
    run = runs[flaw]
    statuses = run.statuses()
    for requirement in CASES[flaw][1]:
        assert statuses[requirement] == "fail", (requirement, run.explain())
    assert run.results["run"]["api"] == "rest"


def test_a_rest_run_before_and_an_api_run_after_diff_without_regression(
    runs: dict[str, SuiteRun],
) -> None:
    before, after = runs["conforming"], runs["auto-on-mock"]
    diff = subprocess.run(
        [sys.executable, "-m", "conformance", "diff", str(before.run_dir), str(after.run_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert diff.returncode == 0, diff.stdout + diff.stderr
    assert "dialect rest" in diff.stdout and "dialect api" in diff.stdout
    assert "Regressions (pass → fail): 0" in diff.stdout
    assert "No longer judged (pass → error, skip or not run): 0" in diff.stdout
    assert "REST-VOID-200" in diff.stdout and "WIRE-VOID-204" in diff.stdout
