"""``run -n N``: the tests spread over N workers give the verdicts of a serial run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from suite_runner import NO_EXPIRY, PASSWORD, USER, SuiteRun, run_suite

from conformance.config import load_config
from conformance.mock import MockServer, MockSettings
from conformance.reporting.plugin import settings_from_wire, settings_to_wire

FLAW = "complete-keeps-active"
FLAW_BREAKS = "US-COMPLETE-DONE"


def test_a_worker_gets_the_controllers_settings_whole(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("x", encoding="utf-8")
    settings = load_config(
        env={},
        overrides={
            "target": "https://vc.example.com",
            "password": "pw",
            "ca_bundle": ca,
            "reports_dir": tmp_path / "reports",
            "requirements": ["US-COMPLETE-DONE"],
            "session_timeout": 20,
        },
    )
    assert settings_from_wire(settings_to_wire(settings)) == settings


def test_each_worker_names_its_own_library_inside_the_run_prefix() -> None:
    from conformance.sandbox import Sandbox

    settings = load_config(env={}, overrides={"run_id": "r1"})
    names = [Sandbox(None, settings, worker=n).name("lib") for n in range(3)]  # type: ignore[arg-type]
    assert names == ["vcc-r1-lib-1", "vcc-r1-lib-2", "vcc-r1-lib-3"]
    sweep_pattern = re.compile(rf"^vcc-{re.escape('r1')}-lib-\d+$")  # sandbox.sweep's
    assert all(sweep_pattern.match(name) for name in names)


def statuses(run: SuiteRun) -> dict[str, str]:
    return run.statuses()


@pytest.mark.slow
def test_serial_and_parallel_runs_agree_on_the_bundled_mock(tmp_path: Path) -> None:
    args = ("--no-property-tests", *NO_EXPIRY)
    serial = run_suite(tmp_path, *args, run_id="serial")
    parallel = run_suite(tmp_path, *args, "-n", "2", run_id="parallel")
    assert serial.returncode == parallel.returncode == 0, parallel.explain()
    assert statuses(parallel) == statuses(serial)
    assert "pass" in statuses(parallel).values()
    # one report of each kind, counting every test of the serial run
    assert parallel.junit_counts == serial.junit_counts == parallel.result_counts
    assert (parallel.run_dir / "report.html").is_file()
    assert parallel.results["run"]["target_info"] == serial.results["run"]["target_info"]
    assert "bringing up nodes" in parallel.stdout  # xdist ran it


@pytest.mark.slow
def test_serial_and_parallel_runs_agree_on_a_flawed_mock(tmp_path: Path) -> None:
    settings = MockSettings(user=USER, password=PASSWORD, flaws=frozenset({FLAW}))
    args = ("--no-property-tests", "-k", "update_session and not expires_without_activity")
    with MockServer(settings) as server:
        serial = run_suite(tmp_path, *args, target=server.url, run_id="serial")
        parallel = run_suite(tmp_path, *args, "-n", "2", target=server.url, run_id="parallel")
    assert serial.returncode == parallel.returncode == 1, parallel.explain()
    assert statuses(parallel) == statuses(serial)
    assert statuses(parallel)[FLAW_BREAKS] == "fail"
    assert parallel.junit_counts == serial.junit_counts
