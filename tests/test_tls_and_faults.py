"""TLS verification, and faults of the target reported as Error (never Fail), in bounded time."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from suite_runner import PASSWORD, USER, run_suite

from conformance.client import Redactor, TransportError, VcenterApi, VcenterClient
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


#: The variables requests reads for its CA bundle: set on corporate and CI machines.
CA_BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA that did not sign the mock's certificate (what the environment points at)."""
    return make_certificates(tmp_path_factory.mktemp("other-tls")).ca


def upload_and_download(client: VcenterClient) -> None:
    """One PUSH upload and one download through the transfer endpoints, over ``client``."""
    api = VcenterApi(client)
    data = os.urandom(3000)
    library = api.libraries.create(f"lib-{os.urandom(4).hex()}", "datastore-101").json
    item = api.items.create(library, f"item-{os.urandom(4).hex()}").json
    session = api.update_sessions.create({"library_item_id": item}).json
    added = api.update_session_files.add_push(
        session, "f.bin", size=len(data), checksum=hashlib.sha1(data).hexdigest()
    )
    sent = api.transfers.upload(added.json["upload_endpoint"]["uri"], data)
    assert sent.status == 200, sent.describe()
    assert api.update_sessions.complete(session).status == 204
    download = api.download_sessions.create({"library_item_id": item}).json
    prepared = api.download_session_files.prepare(download, "f.bin")
    got = api.transfers.download(prepared.json["download_endpoint"]["uri"])
    assert got.ok and got.content == data, got.exchange.describe()


@pytest.mark.parametrize("variable", CA_BUNDLE_VARIABLES)
@pytest.mark.parametrize("pointing_at", ["another CA", "a missing file"])
@pytest.mark.parametrize("setting", ["ca_bundle", "insecure"])
def test_transfers_follow_the_tls_setting_whatever_the_ca_bundle_variables_say(
    monkeypatch: pytest.MonkeyPatch,
    https_mock: MockServer,
    tls_files: TlsFiles,
    other_ca: Path,
    tmp_path: Path,
    variable: str,
    pointing_at: str,
    setting: str,
) -> None:
    """requests lets these variables override a Session's ``verify``: API calls and
    transfers alike must keep what ``--ca-bundle`` / ``--insecure`` said."""
    monkeypatch.setenv(
        variable, str(other_ca) if pointing_at == "another CA" else str(tmp_path / "none.pem")
    )
    verify: bool | str = str(tls_files.ca) if setting == "ca_bundle" else False
    client = VcenterClient(https_mock.url, USER, PASSWORD, verify=verify, redactor=Redactor())
    try:
        client.login()
        upload_and_download(client)
    finally:
        client.close()


@pytest.mark.slow
def test_https_run_with_file_transfers_passes_whatever_the_ca_bundle_variables_say(
    tmp_path: Path, https_mock: MockServer, tls_files: TlsFiles, other_ca: Path
) -> None:
    env = dict.fromkeys(CA_BUNDLE_VARIABLES, str(other_ca))
    selected = (
        "--no-property-tests",
        "-k",
        "test_update_session_files or test_download_session_files",
    )
    run = run_suite(
        tmp_path, *selected, "--ca-bundle", str(tls_files.ca), target=https_mock.url, env=env
    )
    assert run.returncode == 0, run.explain()
    statuses = {t["nodeid"]: t["status"] for t in run.results["tests"]}
    transfers = [n for n in statuses if "upload" in n or "download_gives" in n or "round_trip" in n]
    assert len(transfers) >= 4 and set(statuses.values()) == {"pass"}, statuses
    insecure = run_suite(
        tmp_path, *selected, "--insecure", target=https_mock.url, env=env, run_id="insecure"
    )
    assert insecure.returncode == 0, insecure.explain()


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


def test_a_ca_bundle_variable_naming_a_missing_file_is_a_transport_error(
    monkeypatch: pytest.MonkeyPatch, https_mock: MockServer, tmp_path: Path
) -> None:
    """Without --ca-bundle the variables apply, as requests documents; a bad one is an
    Error with requests' own words, not a crash."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "missing.pem"))
    client = VcenterClient(https_mock.url, USER, PASSWORD, redactor=Redactor())
    with pytest.raises(TransportError, match="CA certificate bundle"):
        client.login()
    client.close()
