"""The command line as a user meets it: exit codes, messages, reports, secrets."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from suite_runner import NO_EXPIRY, PASSWORD, PASSWORD_VAR, USER, SuiteRun, run_suite

from conformance.catalog import catalog
from conformance.cli import BUNDLED_MOCK_SESSION_TIMEOUT
from conformance.mock import Faults, MockServer, MockSettings
from conformance.mock.models.cis import ApiSessions


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


@pytest.fixture
def tokens(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every session token the in-process mock issues during the test."""
    issued: list[str] = []
    original = ApiSessions.login

    def login(self: ApiSessions, user: str | None, password: str | None) -> str:
        token = original(self, user, password)
        issued.append(token)
        return token

    monkeypatch.setattr(ApiSessions, "login", login)
    return issued


@pytest.fixture
def mock_server() -> Iterator[MockServer]:
    with MockServer(MockSettings(user=USER, password=PASSWORD)) as server:
        yield server


def all_report_text(run_dir: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in run_dir.rglob("*") if p.is_file())


@pytest.mark.slow
def test_run_against_a_target_writes_reports_without_secrets(
    tmp_path: Path, mock_server: MockServer, tokens: list[str]
) -> None:
    run = run_suite(tmp_path, *NO_EXPIRY, target=mock_server.url)
    assert run.returncode == 0, run.explain()
    for name in ("report.html", "junit.xml", "results.json"):
        assert (run.run_dir / name).stat().st_size > 1000, name
    results = run.results
    assert results["summary"]["requirements"]["fail"] == 0
    assert results["summary"]["requirements"]["pass"] >= 40
    assert len(tokens) >= 3  # the suite logged in (preflight, suite, login tests)
    text = all_report_text(run.run_dir) + run.stdout + run.stderr
    assert PASSWORD not in text
    for token in tokens:
        assert token not in text
    html = (run.run_dir / "report.html").read_text()
    assert "US-DELETE-ACTIVE-400" in html and "Requirements" in html
    junit = (run.run_dir / "junit.xml").read_text()
    assert '<property name="requirement" value="US-DELETE-ACTIVE-400"' in junit
    assert '<property name="conformance_status" value="pass"' in junit


@pytest.mark.slow
def test_run_against_the_standalone_mock_over_http_passes(tmp_path: Path) -> None:
    port = free_port()
    mock = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "conformance",
            "mock",
            "--port",
            str(port),
            "--password-env",
            PASSWORD_VAR,
        ],
        env={**os.environ, PASSWORD_VAR: PASSWORD},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(url + "/api/session", timeout=1)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "the mock did not start"
                time.sleep(0.1)
        run = run_suite(tmp_path, *NO_EXPIRY, target=url)
        assert run.returncode == 0, run.explain()
        assert run.results["summary"]["requirements"]["pass"] >= 40
    finally:
        mock.terminate()
        mock.wait(timeout=10)


def test_unreachable_target_exits_3_with_a_message(tmp_path: Path) -> None:
    run = run_suite(tmp_path, target=f"http://127.0.0.1:{free_port()}")
    assert run.returncode == 3, run.explain()
    assert "cannot reach" in run.stderr
    assert run.results["exit_code"] == 3 and "cannot reach" in run.results["error"]
    assert run.results["verdict"] == "INCOMPLETE"
    assert "could not run: cannot reach" in run.results["verdict_line"]
    assert set(run.statuses().values()) == {"not_run"}


def test_refused_login_exits_3_and_says_what_to_check(
    tmp_path: Path, mock_server: MockServer
) -> None:
    run = run_suite(tmp_path, target=mock_server.url, password="wrong-password")
    assert run.returncode == 3, run.explain()
    assert "check the user, the password" in run.stderr
    assert "wrong-password" not in run.stderr + run.stdout


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["run", "--target", "vcenter.example.com", "--password-env", "X"], {"X": "p"}, "base URL"),
        (["run", "--target", "https://vc.example"], {}, "CONFORMANCE_PASSWORD"),
        (["run", "--password-env", "UNSET_VARIABLE_FOR_TEST"], {}, "UNSET_VARIABLE_FOR_TEST"),
        (["run", "--timeout", "0"], {}, "timeout"),
        (["run", "--config", "/nonexistent/c.toml"], {}, "does not exist"),
        (["bogus"], {}, "invalid choice"),
    ],
)
def test_usage_and_config_errors_exit_2_with_the_fix(
    args: list[str], env: dict[str, str], message: str
) -> None:
    proc = cli(*args, env=env)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr


@pytest.mark.parametrize("command", ["run", "cleanup"])
def test_credentials_in_the_target_exit_2_and_are_written_nowhere(
    tmp_path: Path, mock_server: MockServer, command: str
) -> None:
    """Once, a run against http://user:pw@host wrote the password into its reports and,
    where it equalled the --password-env value, ended in a pytest INTERNALERROR."""
    target = mock_server.url.replace("://", f"://{USER}:{PASSWORD}@")
    args = [command, "--target", target, "--user", USER, "--password-env", PASSWORD_VAR]
    if command == "run":
        args += ["--reports-dir", str(tmp_path)]
    proc = cli(*args, env={PASSWORD_VAR: PASSWORD})
    assert proc.returncode == 2, proc.stderr
    assert "--target: must not contain credentials" in proc.stderr
    assert "--user and --password-env" in proc.stderr
    assert PASSWORD not in proc.stdout + proc.stderr
    assert not any(tmp_path.iterdir())
    assert mock_server.backend.dump()["api_sessions"] == []  # it never logged in


def test_a_selection_that_matches_nothing_exits_2(tmp_path: Path) -> None:
    run = run_suite(tmp_path, "-k", "no_such_test_anywhere", target=None, password=None)
    assert run.returncode == 2, run.explain()
    assert "no test matched" in run.stderr


def test_print_config_shows_settings_without_the_password() -> None:
    proc = cli(
        "run",
        "--target",
        "https://vc.example",
        "--password-env",
        "P",
        "--print-config",
        env={"P": "hunter22-secret", "CONFORMANCE_TIMEOUT": "12"},
    )
    assert proc.returncode == 0, proc.stderr
    shown = json.loads(proc.stdout)
    assert shown["target"] == "https://vc.example" and shown["timeout"] == 12.0
    assert shown["password"] == "[REDACTED]"
    assert "hunter22-secret" not in proc.stdout


def test_catalog_command_lists_every_requirement(tmp_path: Path) -> None:
    proc = cli("catalog", "--format", "md", "--output", str(tmp_path / "c.md"))
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "c.md").read_text()
    for req in catalog():
        assert f"### {req.id} ({req.level})" in text
        assert req.text in text
    as_json = json.loads(cli("catalog", "--format", "json").stdout)
    assert len(as_json) == len(catalog())
    html = cli("catalog", "--format", "html").stdout
    assert html.startswith("<!DOCTYPE html>") and all(f'id="{r.id}"' in html for r in catalog())
    assert "How to run the suite" in text and "How to run the suite" in html
    for document in (text, html):  # what the levels mean for the verdict
        assert "Levels and the verdict" in document and "--strict" in document
        assert "INCOMPLETE (exit 3)" in document and "Warn" in document


# -- outcomes: verdict, Warn, --strict, expiry, JUnit -----------------------------------------
def summary_of(run: SuiteRun) -> list[str]:
    """The console summary `run` prints after pytest's output."""
    lines = run.stdout.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith("VERDICT "))
    return lines[start:]


def test_run_help_lists_the_exit_codes() -> None:
    proc = cli("run", "--help")
    assert proc.returncode == 0
    for code, meaning in (("0", "PASS"), ("1", "FAIL"), ("2", "usage"), ("3", "INCOMPLETE")):
        assert f"  {code}  {meaning}" in proc.stdout
    for flag in ("--strict", "--expiry-wait SECONDS", "--session-timeout SECONDS"):
        assert flag in proc.stdout
    assert "exit codes" in cli("diff", "--help").stdout


@pytest.mark.slow
def test_the_readme_first_command_passes_judges_expiry_and_junit_agrees(tmp_path: Path) -> None:
    """`vcenter-conformance run` against the bundled mock, as the README says."""
    run = run_suite(tmp_path, target=None, password=None)
    assert run.returncode == 0, run.explain()
    assert summary_of(run)[0].startswith(
        "VERDICT PASS (exit 0): 77 requirements: 73 pass, 4 not selected"
    )
    assert run.results["verdict"] == "PASS"
    assert run.requirement_status("US-EXPIRY-DELETES") == "pass"
    assert run.results["tests"][-1]["nodeid"].endswith("expires_without_activity")
    html = (run.run_dir / "report.html").read_text()
    assert '<div class="vcc-verdict PASS"><b>PASS</b> exit code 0' in html
    assert f"{BUNDLED_MOCK_SESSION_TIMEOUT:g} s: the bundled mock was started with it" in html
    assert '<title id="head-title">PASS: vCenter conformance' in html
    assert run.junit_counts == run.result_counts


@pytest.mark.slow
def test_a_broken_should_is_a_warn_that_exits_0_and_fails_under_strict(tmp_path: Path) -> None:
    settings = MockSettings(user=USER, password=PASSWORD, flaws=frozenset({"expiry-one-hour"}))
    selection = ("--no-property-tests", "-k", "expires_five_minutes")
    with MockServer(settings) as server:
        run = run_suite(tmp_path, *selection, target=server.url, run_id="warn")
        strict = run_suite(tmp_path, *selection, "--strict", target=server.url, run_id="strict")
    assert run.returncode == 0, run.explain()
    assert run.requirement_status("US-EXPIRATION-DEFAULT") == "warn"
    summary = summary_of(run)
    assert summary[0].startswith("VERDICT PASS (exit 0): 77 requirements: 1 warn, 76 not selected")
    assert any(line.split()[:3] == ["WARN", "SHOULD", "US-EXPIRATION-DEFAULT:"] for line in summary)
    assert run.results["tests"][0]["status"] == "warn"
    assert run.junit_counts == {"tests": 1, "failures": 0, "errors": 0, "skipped": 0}
    junit = (run.run_dir / "junit.xml").read_text()
    assert '<property name="conformance_status" value="warn"' in junit
    assert "<system-out>WARN: " in junit
    html = (run.run_dir / "report.html").read_text()
    assert '<span class="vcc-warn">WARN</span>' in html and "vcc-verdict PASS" in html

    assert strict.returncode == 1, strict.explain()
    assert strict.requirement_status("US-EXPIRATION-DEFAULT") == "fail"
    assert summary_of(strict)[0].startswith("VERDICT FAIL (exit 1)")
    assert strict.junit_counts["failures"] == 1


def test_a_should_left_unjudged_is_a_skip_with_its_reason_not_a_pass(tmp_path: Path) -> None:
    """US-EXPIRY-DELETES (a SHOULD: the docs bound no deletion delay) with no time to wait
    is a Skip that says why; a skipped MUST would make the verdict INCOMPLETE
    (test_reporting's verdict cases)."""
    run = run_suite(
        tmp_path,
        "--no-property-tests",
        "--expiry-wait",
        "0",
        "-k",
        "expires_without_activity",
        target=None,
        password=None,
    )
    assert run.returncode == 0, run.explain()
    assert run.results["verdict"] == "PASS"
    assert run.requirement_status("US-EXPIRY-DELETES") == "skip"
    first = summary_of(run)[0]
    assert first.startswith("VERDICT PASS (exit 0): 77 requirements: 1 skip, 76 not selected")
    assert "more than expiry_wait (0 s; --expiry-wait" in run.stdout
    assert run.junit_counts == {"tests": 1, "failures": 0, "errors": 0, "skipped": 1}


#: tests whose setup and calls both meet the faults (Errors in setup and in calls)
SOME_OF_EVERY_KIND = (
    "--no-property-tests",
    "-k",
    "complete_then_delete or delete_while_active or keep_alive or create_returns",
)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("flaws", "faults", "verdict"),
    [
        # MUSTs broken (Fail, and Errors for what those tests could not judge) and a SHOULD (Warn)
        (
            frozenset(
                {"delete-active-allowed", "keep-alive-no-extend", "keep-alive-ignores-progress"}
            ),
            None,
            "FAIL",
        ),
        # update sessions answer 503: Errors in fixtures (setup) and in test calls alike
        (
            frozenset(),
            Faults(unavailable_every=1, paths=("/api/content/library/item/update-session",)),
            "INCOMPLETE",
        ),
    ],
    ids=["flawed", "faulted"],
)
def test_junit_counts_what_results_json_counts(
    tmp_path: Path, flaws: frozenset[str], faults: Faults | None, verdict: str
) -> None:
    with MockServer(MockSettings(user=USER, password=PASSWORD, flaws=flaws)) as server:
        if faults is not None:
            server.backend.set_faults(faults)  # login (POST /api/session) is not faulted
        run = run_suite(tmp_path, *SOME_OF_EVERY_KIND, "--timeout", "2", target=server.url)
    assert run.results["verdict"] == verdict, run.explain()
    counts = run.result_counts
    assert counts["failures" if verdict == "FAIL" else "errors"] > 0, counts
    assert run.junit_counts == counts
    if verdict == "FAIL":
        assert run.requirement_status("US-KEEPALIVE-PROGRESS") == "warn"


def test_run_requirement_selects_exactly_the_tests_citing_it(tmp_path: Path) -> None:
    run = run_suite(tmp_path, "--requirement", "US-DELETE-ACTIVE-400", "--no-property-tests")
    assert run.returncode == 0, run.explain()
    tests = run.results["tests"]
    assert tests and all("US-DELETE-ACTIVE-400" in t["requirements"] for t in tests)
    judged = {r["id"] for r in run.results["requirements"] if r["status"] != "not_run"}
    assert judged == {"US-DELETE-ACTIVE-400"}


def test_run_requirement_unknown_is_a_usage_error(tmp_path: Path) -> None:
    run = run_suite(tmp_path, "--requirement", "US-NO-SUCH-RULE")
    assert run.returncode == 2
    assert "US-NO-SUCH-RULE: not in the catalog" in run.stderr
