"""--deadline: past the run's wall-time budget no test starts and no request is sent; the
tests left are Error, cleanup still runs and the reports are still written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from suite_runner import PASSWORD, USER, run_suite

from conformance.client import TransportError, VcenterClient
from conformance.config import load_config
from conformance.mock import Faults, MockServer, MockSettings
from conformance.suites._deadline import RunDeadline, RunDeadlineReached, deadline_in

#: a port nothing listens on: a request that reached the network would fail to connect
NOWHERE = "http://127.0.0.1:9"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_deadline_passes_after_its_seconds() -> None:
    clock = Clock()
    deadline = RunDeadline(5, clock)
    deadline.check()
    clock.now += 4.9
    deadline.check()
    clock.now += 0.2
    assert deadline.passed()
    with pytest.raises(RunDeadlineReached, match=r"^run deadline of 5 s reached$"):
        deadline.check()


def test_time_spent_before_the_deadline_was_made_counts() -> None:
    clock = Clock()
    deadline = RunDeadline(5, clock, spent=4)
    clock.now += 1.5
    assert deadline.passed()


def test_a_deadline_wrapped_by_hypothesis_is_still_the_deadline() -> None:
    stopped = RunDeadlineReached("run deadline of 5 s reached")
    flaky = ExceptionGroup("Flaky", [ValueError("x"), ExceptionGroup("inner", [stopped])])
    assert deadline_in(flaky) is stopped
    assert deadline_in(ExceptionGroup("other", [ValueError("x")])) is None
    assert deadline_in(ValueError("x")) is None


def test_zero_means_no_deadline() -> None:
    clock = Clock()
    deadline = RunDeadline(0, clock)
    clock.now += 10**9
    deadline.check()
    assert not deadline.passed()


def test_the_guard_stops_requests_only_while_a_test_runs() -> None:
    clock = Clock()
    deadline = RunDeadline(1, clock)
    clock.now += 2
    deadline.guard()  # between tests, e.g. the sandbox's cleanup: never stopped
    deadline.armed = True
    with pytest.raises(RunDeadlineReached):
        deadline.guard()


def test_a_deadline_is_an_error_never_a_failure() -> None:
    """The reporting plugin counts any AssertionError as Fail: this must not be one."""
    assert not issubclass(RunDeadlineReached, AssertionError)


def test_the_client_sends_nothing_once_its_guard_says_stop() -> None:
    client = VcenterClient(NOWHERE, USER, PASSWORD, timeout=5)
    try:
        with pytest.raises(TransportError):  # without a guard, the request goes out
            client.request("GET", "/api/session")
        client.before_request = spent_deadline().guard
        with pytest.raises(RunDeadlineReached):
            client.request("GET", "/api/session")
        with pytest.raises(RunDeadlineReached):
            client.login()
        with pytest.raises(RunDeadlineReached):
            client.transfer("PUT", "/cls/data/x/y", data=b"bytes")
    finally:
        client.close()


def test_the_property_tests_session_sends_nothing_past_the_deadline() -> None:
    deadline = spent_deadline()
    session = deadline.session()
    try:
        with pytest.raises(RunDeadlineReached):
            session.get(f"{NOWHERE}/api/session", timeout=5)
        deadline.armed = False
        with pytest.raises(requests.ConnectionError):  # disarmed: it goes out
            session.get(f"{NOWHERE}/api/session", timeout=5)
    finally:
        session.close()


def spent_deadline() -> RunDeadline:
    """A one-second deadline two seconds ago, while a test runs."""
    clock = Clock()
    deadline = RunDeadline(1, clock)
    clock.now += 2
    deadline.armed = True
    return deadline


def test_deadline_setting_from_file_environment_and_flag(tmp_path: Path) -> None:
    assert load_config(env={}).deadline == 900
    config_file = tmp_path / "c.toml"
    config_file.write_text("[conformance]\ndeadline = 60\npoll_timeout = 3\n")
    from_file = load_config(file=config_file, env={})
    assert (from_file.deadline, from_file.poll_timeout) == (60, 3)
    assert load_config(file=config_file, env={"CONFORMANCE_DEADLINE": "0"}).deadline == 0
    flags = ["--print-config", "--deadline", "120", "--poll-timeout", "4"]
    printed = subprocess.run(
        [sys.executable, "-m", "conformance", "run", *flags],
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if not k.startswith("CONFORMANCE_")},
        check=False,
    )
    assert printed.returncode == 0, printed.stderr
    shown = json.loads(printed.stdout)
    assert (shown["deadline"], shown["poll_timeout"]) == (120, 4)


def test_a_negative_deadline_is_a_usage_error(tmp_path: Path) -> None:
    run = run_suite(tmp_path, "--deadline", "-1")
    assert run.returncode == 2, run.explain()
    assert "--deadline" in run.stderr


@pytest.mark.slow
def test_a_run_past_its_deadline_ends_with_errors_cleanup_and_reports(tmp_path: Path) -> None:
    """Every request of a slow target takes a second: a 4-second deadline stops the run
    early. The guard is the subprocess timeout: no assertion on how fast it ended."""
    settings = MockSettings(user=USER, password=PASSWORD, faults=Faults(delay_seconds=1.0))
    with MockServer(settings) as server:
        run = run_suite(
            tmp_path,
            "--no-property-tests",
            "--deadline",
            "4",
            "--timeout",
            "10",
            "-k",
            "update_session and not file",
            target=server.url,
            run_id="deadline",
            timeout=900,
        )
        state = requests.get(f"{server.url}/mock-api/state", timeout=30).json()
    assert run.returncode == 3, run.explain()
    for report in ("report.html", "junit.xml", "results.json"):
        assert (run.run_dir / report).is_file(), report
    tests = run.results["tests"]
    assert {t["status"] for t in tests} <= {"pass", "error", "skip"}, run.statuses()
    stopped = [t for t in tests if "run deadline of 4 s reached" in (t["message"] or "")]
    assert len(stopped) > len(tests) // 2, run.explain()
    assert "run deadline of 4 s reached" in (run.run_dir / "junit.xml").read_text()
    # cleanup ran after the deadline: the run's library, items and sessions are gone
    assert not state["libraries"], state["libraries"]
    assert not state["update_sessions"], state["update_sessions"]
