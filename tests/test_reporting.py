"""Roll-up of test verdicts into requirement statuses, and exit codes."""

from __future__ import annotations

from pathlib import Path

from conformance.catalog import catalog
from conformance.client import Redactor
from conformance.reporting import CaseOutcome, Status, build_results, roll_up
from conformance.reporting.plugin import redact_tree


def failure(req: str) -> dict[str, object]:
    return {"requirement": req, "title": "Unexpected status code", "message": "m"}


def by_id(outcomes: list[CaseOutcome]) -> dict[str, Status]:
    return {r.id: r.status for r in roll_up(catalog(), outcomes)}


def test_worst_verdict_wins_and_uncovered_requirements_are_not_run() -> None:
    outcomes = [
        CaseOutcome("a", "a", ["US-LIST"], Status.PASS),
        CaseOutcome("b", "b", ["US-LIST"], Status.FAIL, failures=[failure("US-LIST")]),
        CaseOutcome("c", "c", ["DS-LIST"], Status.ERROR, message="boom"),
        CaseOutcome("d", "d", ["DS-CREATE-201"], Status.SKIP, message="optional"),
    ]
    statuses = by_id(outcomes)
    assert statuses["US-LIST"] is Status.FAIL
    assert statuses["DS-LIST"] is Status.ERROR
    assert statuses["DS-CREATE-201"] is Status.SKIP
    assert statuses["US-GET-MODEL"] is Status.NOT_RUN


def test_a_failure_counts_for_the_requirement_it_names_even_if_not_cited() -> None:
    outcome = CaseOutcome("a", "a", ["US-LIST"], Status.FAIL, failures=[failure("ERR-BODY-SCHEMA")])
    statuses = by_id([outcome])
    assert statuses["ERR-BODY-SCHEMA"] is Status.FAIL
    assert statuses["US-LIST"] is Status.PASS  # judged before the soft failure, test went on


def test_not_judged_counts_only_without_other_verdicts() -> None:
    stopped = CaseOutcome(
        "a",
        "a",
        ["US-COMPLETE-DONE", "US-DELETE-DONE-204"],
        Status.FAIL,
        failures=[failure("US-COMPLETE-DONE")],
        not_judged=["US-DELETE-DONE-204"],
    )
    assert by_id([stopped])["US-DELETE-DONE-204"] is Status.ERROR
    other = CaseOutcome("b", "b", ["US-DELETE-DONE-204"], Status.PASS)
    assert by_id([stopped, other])["US-DELETE-DONE-204"] is Status.PASS


def test_exit_code_is_1_for_fail_3_for_error_only_0_otherwise() -> None:
    def code(*outcomes: CaseOutcome) -> int:
        return int(build_results(run={}, catalog=catalog(), outcomes=list(outcomes))["exit_code"])

    assert code(CaseOutcome("a", "a", ["US-LIST"], Status.PASS)) == 0
    assert code(CaseOutcome("a", "a", ["US-LIST"], Status.SKIP)) == 0
    assert code(CaseOutcome("a", "a", ["US-LIST"], Status.ERROR)) == 3
    assert (
        code(
            CaseOutcome("a", "a", ["US-LIST"], Status.ERROR),
            CaseOutcome("b", "b", ["DS-LIST"], Status.FAIL, failures=[failure("DS-LIST")]),
        )
        == 1
    )


def test_redact_tree_blanks_secrets_in_report_files(tmp_path: Path) -> None:
    redactor = Redactor(["hunter22-password", "tok-abcdef123"])
    (tmp_path / "report.html").write_text("<td>hunter22-password</td> tok-abcdef123")
    (tmp_path / "keep.bin").write_text("hunter22-password")
    changed = redact_tree(tmp_path, redactor)
    assert changed == [tmp_path / "report.html"]
    assert (tmp_path / "report.html").read_text() == "<td>[REDACTED]</td> [REDACTED]"


def test_coverage_matches_requests_to_operations_and_statuses() -> None:
    from conformance.checks import contract
    from conformance.reporting._coverage import CoverageRecorder

    recorder = CoverageRecorder(contract())
    base = "https://vc.example/api/content/library/item/update-session"
    recorder.record("DELETE", f"{base}/abc", 400, ["US-DELETE-ACTIVE-400"])
    recorder.record("POST", f"{base}/abc?action=complete", 204, ["US-COMPLETE-DONE"])
    recorder.record("POST", f"{base}/abc?action=complete", 299, ["US-COMPLETE-DONE"])
    recorder.record("GET", "https://vc.example/not/an/api", 200, ["X"])
    summary = recorder.summary()["by_operation"]
    assert summary["update_session_delete"]["observed"] == {"400": 1}
    assert "204" in summary["update_session_delete"]["not_observed"]
    assert summary["update_session_complete"]["undocumented_observed"] == [299]
    assert summary["update_session_complete"]["requirements"] == ["US-COMPLETE-DONE"]
    assert summary["update_session_cancel"]["observed"] == {}


def test_coverage_tells_a_file_get_from_the_file_list_on_the_same_path() -> None:
    from conformance.checks import contract
    from conformance.reporting._coverage import OperationMatcher

    matcher = OperationMatcher(contract())
    item = "https://vc.example/api/content/library/item"
    assert matcher.match("GET", f"{item}/download-session/d1/file") == "download_session_file_list"
    assert (
        matcher.match("GET", f"{item}/download-session/d1/file?file_name=a.bin")
        == "download_session_file_get"
    )
    assert matcher.match("GET", f"{item}/i1/file") == "library_item_file_list"
    assert matcher.match("GET", f"{item}/i1/file?name=a.bin") == "library_item_file_get"
    assert matcher.match("POST", f"{item}/update-session/u1/file") == "update_session_file_add"
    assert (
        matcher.match("POST", f"{item}/update-session/u1/file?action=add")
        == "update_session_file_add_action"
    )
    assert (
        matcher.match("DELETE", f"{item}/update-session/u1/file/dir%2Fx.bin")
        == "update_session_file_remove"
    )


def test_failure_details_show_the_requirement_the_exchange_and_the_steps() -> None:
    from conformance.reporting._html import failure_details

    failure = {
        "requirement": "US-DELETE-ACTIVE-400",
        "title": "Unexpected status code",
        "message": "delete of an ACTIVE update session: expected HTTP 400, got 204",
        "expected": "400",
        "actual": 204,
        "exchange": None,
        "curl": "curl -X DELETE https://vc.example/api/x",
    }
    steps = ["1. POST https://vc.example/api/x -> 201", "2. DELETE https://vc.example/api/x -> 204"]
    html = failure_details([failure], catalog(), steps=steps)
    assert "NotAllowedInCurrentState" in html  # the requirement's quoted text
    assert "expected</b>: 400" in html and "actual</b>: 204" in html
    assert "curl -X DELETE" in html
    assert (
        "the 2 request(s) this test made" in html
        and "POST https://vc.example/api/x -&gt; 201" in html
    )
