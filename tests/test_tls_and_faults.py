"""TLS verification, and faults of the target reported as Error (never Fail), in bounded time."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from suite_runner import PASSWORD, USER, run_suite

from conformance.mock import Faults, MockServer, MockSettings
from conformance.mock.tls import TlsFiles, make_certificates

QUICK = ("--no-property-tests", "-k", "complete_then_delete or delete_while_active")


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def https_mock(tls_files: TlsFiles) -> Iterator[MockServer]:
    settings = MockSettings(user=USER, password=PASSWORD)
    with MockServer(
        settings, ssl_certfile=str(tls_files.cert), ssl_keyfile=str(tls_files.key)
    ) as server:
        assert server.url.startswith("https://")
        yield server


@pytest.mark.slow
def test_https_target_passes_with_its_ca_bundle(
    tmp_path: Path, https_mock: MockServer, tls_files: TlsFiles
) -> None:
    run = run_suite(tmp_path, *QUICK, "--ca-bundle", str(tls_files.ca), target=https_mock.url)
    assert run.returncode == 0, run.explain()


def test_https_target_is_refused_without_its_ca(tmp_path: Path, https_mock: MockServer) -> None:
    run = run_suite(tmp_path, *QUICK, target=https_mock.url)
    assert run.returncode == 3, run.explain()
    assert "CERTIFICATE_VERIFY_FAILED" in run.stderr or "certificate verify failed" in run.stderr


@pytest.mark.slow
def test_insecure_run_passes_and_says_so_in_console_and_report(
    tmp_path: Path, https_mock: MockServer
) -> None:
    run = run_suite(tmp_path, *QUICK, "--insecure", target=https_mock.url)
    assert run.returncode == 0, run.explain()
    assert "NOT verified" in run.stderr
    assert "OFF (--insecure)" in (run.run_dir / "report.html").read_text()
    assert run.results["run"]["config"]["verify_tls"] is False


@pytest.mark.slow
@pytest.mark.parametrize(
    ("faults", "label"),
    [
        (Faults(unavailable_every=1), "503s"),
        (Faults(drop_every=1), "dropped connections"),
        (Faults(delay_seconds=3.0), "delays beyond the timeout"),
    ],
    ids=["503", "drop", "delay"],
)
def test_target_faults_are_errors_not_failures_within_a_time_bound(
    tmp_path: Path, faults: Faults, label: str
) -> None:
    with MockServer(MockSettings(user=USER, password=PASSWORD)) as server:
        server.backend.set_faults(faults)  # login (POST /api/session) is not faulted
        started = time.monotonic()
        run = run_suite(
            tmp_path, *QUICK, "--timeout", "1", target=server.url, run_id=label.replace(" ", "-")
        )
        elapsed = time.monotonic() - started
    assert run.returncode == 3, f"{label}: {run.explain()}"
    statuses = set(run.statuses().values())
    assert "fail" not in statuses and "error" in statuses, f"{label}: {run.statuses()}"
    assert {t["status"] for t in run.results["tests"]} == {"error"}
    assert elapsed < 60, f"{label}: the run took {elapsed:.0f} s"
