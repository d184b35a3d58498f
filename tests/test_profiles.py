"""Vendor profiles: known deviations are reported visibly, and only until they expire."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from suite_runner import PASSWORD, USER, run_suite

from conformance.catalog import catalog
from conformance.mock import MockServer, MockSettings
from conformance.profiles import ProfileError, available, load_profile
from conformance.reporting import CaseOutcome, Status, build_results, roll_up

FAILED = CaseOutcome(
    "t",
    "t",
    ["US-DELETE-ACTIVE-400"],
    Status.FAIL,
    failures=[
        {
            "requirement": "US-DELETE-ACTIVE-400",
            "title": "Unexpected status code",
            "message": "got 204",
        }
    ],
)


def write_profile(tmp_path: Path, expires: str, requirement: str = "US-DELETE-ACTIVE-400") -> Path:
    path = tmp_path / "acme.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "acme",
                "description": "ACME appliance 3.1",
                "deviations": [
                    {
                        "requirement": requirement,
                        "reason": "deletes ACTIVE sessions; fix planned for 3.2",
                        "link": "https://bugs.example/ACME-12",
                        "expires": expires,
                    }
                ],
            }
        )
    )
    return path


def test_packaged_profiles_are_valid() -> None:
    assert "bundled-mock" in available()
    for name in available():
        load_profile(name, frozenset(catalog().ids))


def test_active_deviation_turns_fail_into_known_deviation(tmp_path: Path) -> None:
    profile = load_profile(str(write_profile(tmp_path, "2099-01-01")))
    [result] = [r for r in roll_up(catalog(), [FAILED], profile) if r.id == "US-DELETE-ACTIVE-400"]
    assert result.status is Status.KNOWN_DEVIATION
    assert "ACME-12" in result.message and "got 204" in result.message
    assert (
        build_results(run={}, catalog=catalog(), outcomes=[FAILED], profile=profile)["exit_code"]
        == 0
    )


def test_expired_deviation_fails_again(tmp_path: Path) -> None:
    profile = load_profile(str(write_profile(tmp_path, "2026-01-31")))
    results = roll_up(catalog(), [FAILED], profile, today=date(2026, 2, 1))
    [result] = [r for r in results if r.id == "US-DELETE-ACTIVE-400"]
    assert result.status is Status.FAIL
    assert "EXPIRED on 2026-01-31" in result.message
    same_day = roll_up(catalog(), [FAILED], profile, today=date(2026, 1, 31))
    assert (
        next(r for r in same_day if r.id == "US-DELETE-ACTIVE-400").status is Status.KNOWN_DEVIATION
    )


def test_deviation_does_not_hide_a_pass(tmp_path: Path) -> None:
    profile = load_profile(str(write_profile(tmp_path, "2099-01-01")))
    passed = CaseOutcome("t", "t", ["US-DELETE-ACTIVE-400"], Status.PASS)
    [result] = [r for r in roll_up(catalog(), [passed], profile) if r.id == "US-DELETE-ACTIVE-400"]
    assert result.status is Status.PASS


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"expires": "soon"}, "expires"),
        ({"link": "ftp://x"}, "link"),
        ({"requirement": "NOPE-1"}, "unknown requirement"),
    ],
)
def test_bad_profiles_are_refused(tmp_path: Path, change: dict[str, str], problem: str) -> None:
    path = write_profile(tmp_path, "2099-01-01")
    data = yaml.safe_load(path.read_text())
    data["deviations"][0].update(change)
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ProfileError, match=problem):
        load_profile(str(path), frozenset(catalog().ids))


@pytest.mark.slow
def test_run_with_profile_reports_known_deviation_visibly(tmp_path: Path) -> None:
    settings = MockSettings(
        user=USER, password=PASSWORD, flaws=frozenset({"delete-active-allowed"})
    )
    with MockServer(settings) as server:
        current = write_profile(tmp_path, "2099-01-01")
        run = run_suite(
            tmp_path,
            "--no-property-tests",
            "-k",
            "delete_while_active",
            "--profile",
            str(current),
            target=server.url,
            run_id="with-profile",
        )
        assert run.returncode == 0, run.explain()
        assert run.requirement_status("US-DELETE-ACTIVE-400") == "known_deviation"
        assert "KNOWN DEVIATION" in (run.run_dir / "report.html").read_text()
        expired = write_profile(tmp_path, "2020-01-01")
        again = run_suite(
            tmp_path,
            "--no-property-tests",
            "-k",
            "delete_while_active",
            "--profile",
            str(expired),
            target=server.url,
            run_id="expired",
        )
        assert again.returncode == 1, again.explain()
        assert again.requirement_status("US-DELETE-ACTIVE-400") == "fail"
        bad = run_suite(tmp_path, "--profile", "no-such-vendor", target=server.url, run_id="bad")
        assert bad.returncode == 2 and "no profile 'no-such-vendor'" in bad.stderr
