"""``vcenter-conformance diff``: regressions, fixes, added and removed requirements."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from conformance.reporting import RESULTS_SCHEMA_VERSION
from conformance.reporting.diff import compare, render_html, render_text


def results(run_id: str, **statuses: str) -> dict[str, Any]:
    return {
        "schema_version": RESULTS_SCHEMA_VERSION,
        "run": {"id": run_id, "target": "https://vc.example", "target_info": {"version": "8.0.2"}},
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


BEFORE = results("before", US_A="pass", US_B="fail", US_C="pass", US_D="pass", US_GONE="pass")
AFTER = results("after", US_A="fail", US_B="pass", US_C="pass", US_D="error", US_NEW="pass")


def test_compare_sorts_changes_into_their_kinds() -> None:
    diff = compare(BEFORE, AFTER)
    assert [c.id for c in diff.regressions] == ["US-A"]
    assert [c.id for c in diff.fixes] == ["US-B"]
    assert [c.id for c in diff.unjudged] == ["US-D"]
    assert [c.id for c in diff.added] == ["US-NEW"]
    assert [c.id for c in diff.removed] == ["US-GONE"]
    assert diff.exit_code == 1
    assert compare(BEFORE, BEFORE).exit_code == 0


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
    assert (tmp_path / "after" / "diff.html").is_file()
    assert run("before", "before").returncode == 0
    missing = run("before", "nowhere")
    assert missing.returncode == 2 and "no results.json" in missing.stderr
