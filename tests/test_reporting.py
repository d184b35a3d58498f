"""Roll-up of test verdicts into requirement statuses, and exit codes."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from conformance.catalog import catalog
from conformance.client import Redactor
from conformance.config import Config
from conformance.reporting import CaseOutcome, Status, Verdict, build_results, roll_up
from conformance.reporting._junit import align_junit
from conformance.reporting.plugin import ConformancePlugin, redact_tree


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
    assert code(CaseOutcome("a", "a", ["US-KEEPALIVE-PROGRESS"], Status.SKIP)) == 0  # a SHOULD
    assert code(CaseOutcome("a", "a", ["US-LIST"], Status.SKIP)) == 3  # a MUST left unjudged
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


# -- Warn, --strict and the verdict ----------------------------------------------------------
SHOULD_BROKEN = CaseOutcome(
    "k",
    "k",
    ["US-KEEPALIVE-PROGRESS"],
    Status.WARN,
    failures=[failure("US-KEEPALIVE-PROGRESS")],
)
MUST_PASSED = CaseOutcome("l", "l", ["US-LIST"], Status.PASS)


def results_of(*outcomes: CaseOutcome, **options: Any) -> dict[str, Any]:
    return build_results(run={}, catalog=catalog(), outcomes=list(outcomes), **options)


def status_in(results: dict[str, Any], requirement: str) -> str:
    return next(str(r["status"]) for r in results["requirements"] if r["id"] == requirement)


def test_a_broken_should_is_a_warn_and_the_run_still_passes() -> None:
    results = results_of(SHOULD_BROKEN, MUST_PASSED)
    assert status_in(results, "US-KEEPALIVE-PROGRESS") == "warn"
    assert results["verdict"] == "PASS" and results["exit_code"] == 0
    assert results["summary"]["requirements"]["warn"] == 1
    assert "1 warn" in results["verdict_line"]


def test_strict_makes_a_broken_should_a_fail() -> None:
    strict_outcome = CaseOutcome(
        "k", "k", ["US-KEEPALIVE-PROGRESS"], Status.FAIL, failures=SHOULD_BROKEN.failures
    )
    results = results_of(strict_outcome, MUST_PASSED, strict=True)
    assert status_in(results, "US-KEEPALIVE-PROGRESS") == "fail"
    assert "--strict" in next(
        r["message"] for r in results["requirements"] if r["id"] == "US-KEEPALIVE-PROGRESS"
    )
    assert results["verdict"] == "FAIL" and results["exit_code"] == 1


def test_a_broken_must_is_a_fail_even_when_the_test_also_broke_a_should() -> None:
    both = CaseOutcome(
        "k",
        "k",
        ["US-LIST"],
        Status.FAIL,
        failures=[failure("US-KEEPALIVE-PROGRESS"), failure("US-LIST")],
    )
    results = results_of(both)
    assert status_in(results, "US-LIST") == "fail"
    assert status_in(results, "US-KEEPALIVE-PROGRESS") == "warn"
    assert results["verdict"] == "FAIL"


def test_a_known_deviation_of_a_should_stays_a_known_deviation(tmp_path: Path) -> None:
    from test_profiles import write_profile

    from conformance.profiles import load_profile

    profile = load_profile(str(write_profile(tmp_path, "2099-01-01", "US-KEEPALIVE-PROGRESS")))
    results = results_of(SHOULD_BROKEN, profile=profile)
    assert status_in(results, "US-KEEPALIVE-PROGRESS") == "known_deviation"
    assert results["exit_code"] == 0


@pytest.mark.parametrize(
    ("outcomes", "selected", "verdict", "unjudged"),
    [
        # a MUST a selected test cites but that never reported (an interrupted run)
        ([MUST_PASSED], {"US-LIST", "US-GET-MODEL"}, "INCOMPLETE", ["US-GET-MODEL"]),
        # deselected with -k: "not selected", not a reason to withhold PASS
        ([MUST_PASSED], {"US-LIST"}, "PASS", []),
        # a MUST skipped (an optional feature the target lacks, say)
        (
            [MUST_PASSED, CaseOutcome("e", "e", ["US-GET-MODEL"], Status.SKIP)],
            None,
            "INCOMPLETE",
            ["US-GET-MODEL"],
        ),
        # a test Error of no requirement (a cleanup that failed)
        (
            [MUST_PASSED, CaseOutcome("c", "c", [], Status.ERROR, message="cleanup")],
            None,
            "INCOMPLETE",
            [],
        ),
        # a SHOULD skipped (expiry_wait 0) does not withhold PASS
        (
            [MUST_PASSED, CaseOutcome("e", "e", ["US-EXPIRY-DELETES"], Status.SKIP)],
            {"US-LIST", "US-EXPIRY-DELETES"},
            "PASS",
            [],
        ),
        # a Fail wins over what is unjudged
        (
            [
                CaseOutcome("f", "f", ["US-LIST"], Status.FAIL, failures=[failure("US-LIST")]),
                CaseOutcome("e", "e", ["US-GET-MODEL"], Status.SKIP),
            ],
            None,
            "FAIL",
            ["US-GET-MODEL"],
        ),
    ],
)
def test_verdict_is_incomplete_when_a_selected_must_was_not_judged(
    outcomes: list[CaseOutcome], selected: set[str] | None, verdict: str, unjudged: list[str]
) -> None:
    results = results_of(*outcomes, selected=selected)
    assert results["verdict"] == verdict
    assert results["exit_code"] == {"PASS": 0, "FAIL": 1, "INCOMPLETE": 3}[verdict]
    assert [r["id"] for r in results["requirements"] if r["unjudged_must"]] == unjudged
    assert results["verdict_line"].startswith(f"{verdict} (exit {results['exit_code']}): ")
    if unjudged:
        assert f"MUST not judged: {', '.join(unjudged)}" in results["verdict_line"]


def test_requirements_no_selected_test_cites_are_not_selected() -> None:
    results = results_of(MUST_PASSED, selected={"US-LIST"})
    dsl = next(r for r in results["requirements"] if r["id"] == "DS-LIST")
    assert dsl["status"] == "not_run" and dsl["selected"] is False
    assert dsl["message"].startswith("not selected")
    assert "not selected" in results["verdict_line"]


# -- junit.xml agrees with results.json --------------------------------------------------------
JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites name="pytest tests"><testsuite name="s" errors="1" failures="3" skipped="1" tests="6">
<testcase classname="m" name="call_error"><properties>
<property name="conformance_status" value="error" /></properties>
<failure message="ConnectionError: reset">traceback</failure></testcase>
<testcase classname="m" name="warn"><properties>
<property name="conformance_status" value="warn" /></properties>
<failure message="ConformanceFailure: [US-KEEPALIVE-PROGRESS] wrong">tb</failure>
<system-out>captured</system-out></testcase>
<testcase classname="m" name="fail_and_teardown_error"><properties>
<property name="conformance_status" value="pass" />
<property name="conformance_status" value="fail" />
</properties><failure message="ConformanceFailure: x">tb</failure>
<error message="teardown">tb2</error></testcase>
<testcase classname="m" name="skip"><properties>
<property name="conformance_status" value="skip" /></properties>
<skipped type="pytest.skip" message="no Date header">reason</skipped></testcase>
<testcase classname="m" name="pass"><properties>
<property name="conformance_status" value="pass" /></properties></testcase>
<testcase classname="" name="collection"><error message="collection failure">x</error></testcase>
</testsuite></testsuites>
"""


def test_junit_counts_what_results_json_counts(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    path = tmp_path / "junit.xml"
    path.write_text(JUNIT)
    align_junit(path)
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite is not None
    counts = {k: suite.get(k) for k in ("tests", "failures", "errors", "skipped")}
    # Fail 1; Error 1 + the collection error; Skip 1; Warn and Pass pass.
    assert counts == {"tests": "6", "failures": "1", "errors": "2", "skipped": "1"}
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    error = cases["call_error"].find("error")
    assert error is not None and error.get("message") == "ConnectionError: reset"
    assert cases["call_error"].find("failure") is None
    warn = cases["warn"]
    assert warn.find("failure") is None
    out = warn.find("system-out")
    assert out is not None and out.text is not None
    assert out.text.startswith("WARN: ConformanceFailure: [US-KEEPALIVE-PROGRESS] wrong")
    assert "captured" in out.text
    assert [c.tag for c in cases["fail_and_teardown_error"]] == ["properties", "failure"]
    align_junit(tmp_path / "missing.xml")  # no junit.xml: nothing to do


# -- report.html ----------------------------------------------------------------------------------
def test_report_top_opens_on_the_verdict_then_the_target() -> None:
    from conformance.reporting._html import requirement_table

    results = roll_up(catalog(), [SHOULD_BROKEN, MUST_PASSED])
    html = requirement_table(
        results,
        {"Target": "https://vc.example", "Settings": "<table></table>"},
        verdict=Verdict.PASS,
        exit_code=0,
        tests=["warn", "pass"],
    )
    banner = html.index('<div class="vcc-verdict PASS"><b>PASS</b> exit code 0')
    assert (
        banner < html.index("https://vc.example") < html.index('<table class="vcc-req vcc-matrix"')
    )
    assert "2 tests: 1 warn, 1 pass" in html
    assert '<span class="vcc-cell warn">' in html and ".vcc-cell.warn {" in html
    assert "run-count" in html  # pytest-html's misleading counter is hidden


def test_report_settings_are_a_table_not_a_repr() -> None:
    settings = Config(run_id="r", session_timeout=20.0)
    rows = ConformancePlugin(settings, catalog(), mock_started=True).header_rows()
    assert rows["Settings"].count("<tr>") == len(settings.redacted()) - 2
    assert "<td>expiry_wait</td><td>360.0</td>" in rows["Settings"]
    assert "{" not in rows["Settings"] and "bundled mock" in rows["Target"]
    assert rows["Session timeout"].startswith("20 s: the bundled mock was started with it")
    default = ConformancePlugin(Config(run_id="r"), catalog()).header_rows()
    assert default["Session timeout"].startswith("300 s (vCenter&#x27;s default")


def _html_row(**report: Any) -> list[str]:
    plugin = ConformancePlugin(Config(run_id="r"), catalog())
    data = ["long representation\n", "----- Captured log -----\nlines"]
    plugin.pytest_html_results_table_html(SimpleNamespace(**report), data)
    return data


def test_report_rows_show_skip_reasons_and_no_repeated_traceback() -> None:
    skipped = _html_row(
        skipped=True,
        longrepr=("/site-packages/conformance/suites/x.py", 540, "Skipped: no Date <header>"),
        longreprtext="('/site-packages/...', 540, 'Skipped: ...')",
    )
    assert skipped[0] == "no Date &lt;header&gt;\n"
    tidy = _html_row(skipped=False, vcc_tidy=True, longreprtext="Traceback ...")
    assert tidy[0].startswith("The failure is described above")
    assert tidy[1].startswith("----- Captured log")  # captured output stays
    other = _html_row(skipped=False, vcc_tidy=False, longreprtext="Traceback ...")
    assert other[0] == "long representation\n"


@pytest.mark.parametrize(
    ("broken", "strict", "status"),
    [
        (["US-KEEPALIVE-PROGRESS"], False, Status.WARN),
        (["US-KEEPALIVE-PROGRESS", "US-EXPIRATION-DEFAULT"], False, Status.WARN),
        (["US-KEEPALIVE-PROGRESS", "US-LIST"], False, Status.FAIL),
        (["US-KEEPALIVE-PROGRESS"], True, Status.FAIL),
    ],
)
def test_a_test_whose_failures_are_all_shoulds_is_a_warn(
    broken: list[str], strict: bool, status: Status
) -> None:
    from conformance.checks import ConformanceFailure, ConformanceFailures

    plugin = ConformancePlugin(Config(run_id="r", strict=strict), catalog())
    outcome = CaseOutcome("t", "t", broken)
    failures = ConformanceFailures([ConformanceFailure(req, "broken") for req in broken])
    call = SimpleNamespace(excinfo=SimpleNamespace(value=failures))
    report = SimpleNamespace(passed=False, skipped=False, when="call")
    plugin._classify(outcome, call, report)  # type: ignore[arg-type]
    assert outcome.status is status


def test_a_warn_row_does_not_say_failed() -> None:
    plugin = ConformancePlugin(Config(run_id="r"), catalog())
    cells = ['<td class="col-result">Failed</td>', "<td>id</td>"]
    report = SimpleNamespace(vcc_requirements=["US-KEEPALIVE-PROGRESS"], vcc_status=Status.WARN)
    report.when = "call"
    plugin.pytest_html_results_table_row(report, cells)
    assert cells[0] == '<td class="col-result">Warn (a SHOULD)</td>' and cells[2] == "<td>WARN</td>"
