"""``run -n N``: the tests spread over N workers give the verdicts of a serial run."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from suite_runner import NO_EXPIRY, PASSWORD, USER, SuiteRun, library_names, run_suite

from conformance.config import Config, load_config
from conformance.mock import MockServer, MockSettings
from conformance.reporting.plugin import settings_from_wire, settings_to_wire
from conformance.suites import _expiry
from conformance.suites._deadline import RunDeadline
from conformance.suites._expiry import EXPIRY_PROBE_INPUT, read_handoff
from conformance.suites._parallel import PROBE_REQUESTS, ControllerExpiryProbe, handoff_wait


@pytest.fixture(autouse=True)
def _run_directories_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The settings here keep the default ``reports`` directory, where the controller
    writes its expiry hand-off file: a temporary directory, not the checkout."""
    monkeypatch.chdir(tmp_path)


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
    # a CI variable pytest-metadata collects: the environment has no place in a report
    ci = {"BUILD_URL": "https://ci.example/job/build-with-a-token-1234"}
    serial = run_suite(tmp_path, *args, run_id="serial", env=ci)
    parallel = run_suite(tmp_path, *args, "-n", "2", run_id="parallel", env=ci)
    assert serial.returncode == parallel.returncode == 0, parallel.explain()
    for run in (serial, parallel):  # a worker's environment used to reach the report
        assert "build-with-a-token" not in (run.run_dir / "report.html").read_text("utf-8")
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
        # workers started from scratch, as on systems without fork (and with --no-prefork)
        scratch = run_suite(
            tmp_path, *args, "-n", "2", "--no-prefork", target=server.url, run_id="scratch"
        )
    assert serial.returncode == parallel.returncode == scratch.returncode == 1, parallel.explain()
    assert statuses(parallel) == statuses(serial) == statuses(scratch)
    assert statuses(parallel)[FLAW_BREAKS] == "fail"
    assert parallel.junit_counts == serial.junit_counts == scratch.junit_counts


# -- the expiry probe a parallel run's controller makes ---------------------------------
def _settings(url: str, *, password: str = PASSWORD, expiry_wait: float = 360) -> Config:
    return load_config(
        env={},
        overrides={
            "target": url,
            "user": USER,
            "password": password,
            "run_id": "par",
            "expiry_wait": expiry_wait,
        },
    )


def _library_names(url: str) -> list[str]:
    return library_names(_settings(url))


def test_the_controller_makes_the_probe_hands_it_to_each_worker_and_removes_it() -> None:
    errors: list[str] = []
    observed: list[Any] = []
    with MockServer(MockSettings(user=USER, password=PASSWORD, session_timeout=60)) as server:
        controller = ControllerExpiryProbe(_settings(server.url), 2, observed.append, errors.append)
        controller.start()  # as `run` does, before pytest starts
        nodes = [SimpleNamespace(workerinput={}) for _ in range(2)]
        for node in nodes:  # none waits for the probe: each is told where to read it
            controller.pytest_configure_node(node)
        handoffs = {Path(n.workerinput[EXPIRY_PROBE_INPUT]) for n in nodes}
        assert len(handoffs) == 1
        handed = [read_handoff(path, timeout=10) for path in handoffs]  # the expiry test's read
        assert controller.probe is not None
        assert controller.probe.lifetime_s == pytest.approx(60, abs=1)
        # its own library, after the two workers' lib-1 and lib-2, inside the run prefix
        assert _library_names(server.url) == ["vcc-par-lib-3"]
        assert [p.session_id if p else None for p in handed] == [controller.probe.session_id]
        assert [p.lifetime_s if p else None for p in handed] == [
            pytest.approx(controller.probe.lifetime_s, abs=0.01)
        ]
        controller.pytest_sessionfinish(None)  # type: ignore[arg-type]
        assert _library_names(server.url) == []
        assert not any(path.exists() for path in handoffs)  # removed at the end
    assert errors == []
    assert observed  # its requests count in the run's coverage, as setup


def test_a_probe_the_controller_cannot_make_is_left_to_the_worker() -> None:
    with MockServer(MockSettings(user=USER, password=PASSWORD)) as server:
        refused = ControllerExpiryProbe(
            _settings(server.url, password="wrong"), 2, lambda _e: None, lambda _m: None
        )
        refused.start()
        node = SimpleNamespace(workerinput={})
        refused.pytest_configure_node(node)
        # the expiry test reads that none was made (and makes its own), without waiting
        assert read_handoff(Path(node.workerinput[EXPIRY_PROBE_INPUT]), timeout=10) is None
        refused.pytest_sessionfinish(None)  # type: ignore[arg-type]
    assert refused.probe is None


def test_a_worker_waits_for_a_probe_still_being_made_but_not_forever(tmp_path: Path) -> None:
    """The expiry test may run before the controller has finished making the probe (a
    slow target, a short selection): it waits for it. A controller that never says (hung
    on the target, or killed) costs it a bounded wait, after which it makes its own."""
    handoff = tmp_path / "probe.json"
    probe = _expiry.ExpiryProbe("session-1", 300.0, time.monotonic())
    writer = threading.Timer(0.2, _expiry.write_handoff, (handoff, probe))
    writer.start()
    read = read_handoff(handoff, timeout=30)
    writer.join()
    assert read is not None and read.session_id == "session-1"
    assert read_handoff(tmp_path / "never-written.json", timeout=0.2) is None


def test_a_worker_waits_for_the_probe_no_longer_than_making_it_or_the_deadline_allows() -> None:
    assert handoff_wait(30, None) == PROBE_REQUESTS * 30
    assert handoff_wait(30, RunDeadline(0)) == PROBE_REQUESTS * 30  # 0: no deadline
    assert handoff_wait(30, RunDeadline(900, spent=880)) == pytest.approx(20, abs=1)
    assert handoff_wait(30, RunDeadline(900, spent=950)) == 0


def test_no_probe_when_the_expiry_test_would_not_judge() -> None:
    with MockServer(MockSettings(user=USER, password=PASSWORD)) as server:
        unused = ControllerExpiryProbe(
            _settings(server.url, expiry_wait=0), 2, lambda _e: None, lambda _m: None
        )
        unused.start()
        node = SimpleNamespace(workerinput={})
        unused.pytest_configure_node(node)
        assert EXPIRY_PROBE_INPUT not in node.workerinput  # nothing to read: none is made
        assert unused.probe is None
        assert _library_names(server.url) == []
        unused.pytest_sessionfinish(None)  # type: ignore[arg-type]


def test_a_handed_probe_keeps_its_age_across_processes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The wire carries wall-clock time: a worker's monotonic clock is its own."""
    monkeypatch.setattr(_expiry.time, "time", lambda: 1_000_000.0)
    monkeypatch.setattr(_expiry.time, "monotonic", lambda: 500.0)
    probe = _expiry.ExpiryProbe("s-1", 20.0, read_at=495.0)  # read 5 s ago
    wire = probe.to_wire()
    # the worker reads it 2 s later, with a monotonic clock of its own
    monkeypatch.setattr(_expiry.time, "time", lambda: 1_000_002.0)
    monkeypatch.setattr(_expiry.time, "monotonic", lambda: 7.0)
    handed = _expiry.ExpiryProbe.from_wire(wire)
    assert (handed.session_id, handed.lifetime_s) == ("s-1", 20.0)
    assert handed.seconds_left() == pytest.approx(13.0)
    unknown = _expiry.ExpiryProbe.from_wire(
        _expiry.ExpiryProbe("s-2", None, 0.0, "no Date").to_wire()
    )
    assert (unknown.lifetime_s, unknown.unknown_because) == (None, "no Date")


@pytest.mark.slow
def test_a_parallel_run_judges_expiry_with_the_controllers_probe(tmp_path: Path) -> None:
    """The expiry test, in a worker, judges the session the controller made: it passes
    on the mock and warns (a SHOULD) on a mock whose sessions never expire."""
    args = ("--no-property-tests", "--session-timeout", "3", "-k", "expire", "-n", "2")
    for flaws, expected in ((frozenset(), "pass"), (frozenset({"sessions-never-expire"}), "warn")):
        settings = MockSettings(user=USER, password=PASSWORD, session_timeout=3, flaws=flaws)
        with MockServer(settings) as server:
            run = run_suite(tmp_path, *args, target=server.url, run_id=f"exp-{expected}")
            left = _library_names(server.url)
        assert run.requirement_status("US-EXPIRY-DELETES") == expected, run.explain()
        assert left == []  # the controller removed its library, the workers theirs
        assert not list(run.run_dir.glob(".expiry-probe*"))  # nor its hand-off file


def test_ignoring_the_property_module_without_property_tests_loses_no_test(
    tmp_path: Path,
) -> None:
    """``--no-property-tests`` does not even import PROPERTY_TESTS_MODULE (a worker
    starts sooner): every test in it is a property (``fuzz``) test."""
    from conformance.cli import PROPERTY_TESTS_MODULE, SUITES_DIR

    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-c",
            str(SUITES_DIR / "pytest.ini"),
            "--rootdir",
            str(SUITES_DIR),
            "--collect-only",
            "-q",
            "-p",
            "no:anyio",
            "-m",
            "not fuzz",
            str(SUITES_DIR / PROPERTY_TESTS_MODULE),
        ],
        capture_output=True,
        text=True,
        check=False,
        # not the checkout: `python -m` puts the working directory first on sys.path, and
        # the suite must be imported from where SUITES_DIR is (an installed copy in CI)
        cwd=tmp_path,
        env={
            **os.environ,
            "CONFORMANCE_TARGET": "https://vc.example.com",
            "CONFORMANCE_PASSWORD": "pw",
            "CONFORMANCE_API": "api",
        },
    )
    deselected = re.search(r"no tests collected \((\d+) deselected\)", proc.stdout)
    assert deselected is not None, proc.stdout + proc.stderr
    assert int(deselected.group(1)) > 0  # it has tests, and -m "not fuzz" drops them all


_MODULES_PROBE = """
import json, os, sys

def pytest_sessionfinish(session):
    who = os.environ.get("PYTEST_XDIST_WORKER", "main")
    seen = {name: name in sys.modules for name in ("schemathesis", "hypothesis", "xdist")}
    with open(os.path.join(os.environ["VCC_MODULES_OUT"], who), "w") as out:
        json.dump(seen, out)
"""


@pytest.mark.slow
def test_workers_without_property_tests_import_neither_schemathesis_nor_hypothesis(
    tmp_path: Path,
) -> None:
    """A worker's start is the run's own: no pytest plugin of an installed package is
    loaded (Schemathesis' and Hypothesis' would import them), nor the property module."""
    plugin_dir = tmp_path / "plugin"
    plugin_dir.mkdir()
    (plugin_dir / "vcc_modules_probe.py").write_text(_MODULES_PROBE, encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    run = run_suite(
        tmp_path,
        "--no-property-tests",
        "-k",
        "logout",
        "-n",
        "2",
        "--",
        "-p",
        "vcc_modules_probe",
        env={"PYTHONPATH": str(plugin_dir), "VCC_MODULES_OUT": str(out)},
    )
    assert run.returncode == 0, run.explain()
    seen = {path.name: json.loads(path.read_text()) for path in out.iterdir()}
    assert set(seen) == {"main", "gw0", "gw1"}
    for who, modules in seen.items():
        assert modules == {"schemathesis": False, "hypothesis": False, "xdist": True}, who
