"""``vcenter-conformance diff``: regressions, fixes, added and removed requirements."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance.reporting import RESULTS_SCHEMA_VERSION
from conformance.reporting.diff import compare, render_html, render_text


def results(run_id: str, verdict: str = "PASS", **statuses: str) -> dict[str, Any]:
    return {
        "schema_version": RESULTS_SCHEMA_VERSION,
        "run": {"id": run_id, "target": "https://vc.example", "target_info": {"version": "8.0.2"}},
        "verdict": verdict,
        "exit_code": {"PASS": 0, "FAIL": 1, "INCOMPLETE": 3}[verdict],
        "requirements": [
            {
                "id": req.replace("_", "-"),
                "title": f"title of {req}",
                "status": status,
                "message": "why",
            }
            for req, status in statuses.items()
        ],
    }


BEFORE = results(
    "before", "FAIL", US_A="pass", US_B="fail", US_C="pass", US_D="pass", US_GONE="pass"
)
AFTER = results("after", "FAIL", US_A="fail", US_B="pass", US_C="pass", US_D="error", US_NEW="pass")


def test_compare_sorts_changes_into_their_kinds() -> None:
    diff = compare(BEFORE, AFTER)
    assert [c.id for c in diff.regressions] == ["US-A"]
    assert [c.id for c in diff.fixes] == ["US-B"]
    assert [c.id for c in diff.unjudged] == ["US-D"]
    assert [c.id for c in diff.added] == ["US-NEW"]
    assert [c.id for c in diff.removed] == ["US-GONE"]
    assert diff.exit_code == 1
    assert compare(BEFORE, BEFORE).exit_code == 0


@pytest.mark.parametrize("after_status", ["error", "not_run", "skip"])
def test_a_pass_no_longer_judged_is_its_own_regression_and_exits_3(after_status: str) -> None:
    before = results("before", US_A="pass", US_B="pass")
    after = results("after", "INCOMPLETE", US_A=after_status, US_B="pass")
    diff = compare(before, after)
    assert [c.id for c in diff.unjudged] == ["US-A"] and not diff.regressions
    assert diff.exit_code == 3
    text = render_text(diff)
    assert "No longer judged (pass → error, skip or not run): 1" in text
    assert "before: before (https://vc.example, 8.0.2): PASS, exit 0" in text
    assert "after:  after (https://vc.example, 8.0.2): INCOMPLETE, exit 3" in text
    assert "no regression" not in text and "NOT JUDGED" in text


def test_an_after_run_that_could_not_run_is_not_green() -> None:
    """A refused login: every requirement not run, exit 3."""
    before = results("before", US_A="pass", US_B="pass")
    after = results("after", "INCOMPLETE", US_A="not_run", US_B="not_run")
    diff = compare(before, after)
    assert diff.exit_code == 3 and len(diff.unjudged) == 2
    # Even with no requirement changed, an after-run that ended INCOMPLETE is not green.
    same = compare(before, results("after", "INCOMPLETE", US_A="pass", US_B="pass"))
    assert same.exit_code == 3 and "verdict INCOMPLETE, exit 3" in render_text(same)


def test_results_from_before_verdicts_still_compare() -> None:
    old = results("old", US_A="pass")
    del old["verdict"]
    diff = compare(old, results("new", US_A="pass"))
    assert diff.before_outcome == {"verdict": "PASS", "exit_code": 0}
    assert diff.exit_code == 0


def test_a_pass_that_became_a_warn_is_a_regression_only_under_strict() -> None:
    before = results("before", US_A="pass", US_B="warn")
    after = results("after", US_A="warn", US_B="pass")
    diff = compare(before, after)
    assert [c.id for c in diff.warnings] == ["US-A"] and not diff.regressions
    assert [c.id for c in diff.fixes] == ["US-B"]
    assert diff.exit_code == 0
    assert "New warnings (pass → warn: a SHOULD broken): 1" in render_text(diff)
    strict = compare(before, after, strict=True)
    assert strict.exit_code == 1 and "--strict" in render_text(strict)


def test_renderings_name_every_change_and_put_the_matrix_first() -> None:
    diff = compare(BEFORE, AFTER)
    text = render_text(diff)
    assert "Regressions (pass → fail): 1" in text and "US-A" in text
    html = render_html(diff)
    assert html.index("before \\ after") < html.index("Regressions")
    for req in ("US-A", "US-B", "US-D", "US-NEW", "US-GONE"):
        assert req in html


def test_cli_diff_exits_1_on_regression_and_writes_html(tmp_path: Path) -> None:
    for name, data in (("before", BEFORE), ("after", AFTER)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "results.json").write_text(json.dumps(data))

    def run(a: str, b: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "conformance", "diff", str(tmp_path / a), str(tmp_path / b)],
            capture_output=True,
            text=True,
            check=False,
        )

    regressed = run("before", "after")
    assert regressed.returncode == 1, regressed.stderr
    assert "before: before (https://vc.example, 8.0.2): FAIL, exit 1" in regressed.stdout
    html = (tmp_path / "after" / "diff.html").read_text()
    assert "REGRESSION" in html and "FAIL, exit 1" in html
    assert run("before", "before").returncode == 0
    (tmp_path / "unjudged").mkdir()
    unjudged = results(
        "unjudged", "INCOMPLETE", **{r["id"]: "pass" for r in BEFORE["requirements"]}
    )
    (tmp_path / "unjudged" / "results.json").write_text(json.dumps(unjudged))
    incomplete = run("before", "unjudged")
    assert incomplete.returncode == 3, incomplete.stdout
    assert "INCOMPLETE, exit 3" in incomplete.stdout
    missing = run("before", "nowhere")
    assert missing.returncode == 2 and "no results.json" in missing.stderr
