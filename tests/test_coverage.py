"""Spec coverage: each request counted once, for the operation it really called."""

from __future__ import annotations

from pathlib import Path

from suite_runner import run_suite

from conformance.checks import contract
from conformance.reporting._coverage import SETUP, CoverageRecorder, OperationMatcher

ITEM = "https://vc.example/api/content/library/item"


def test_coverage_literal_segments_win_over_templated_ones() -> None:
    matcher = OperationMatcher(contract())
    # ``…/item/update-session`` also fits ``…/item/{library_item_id}``: the literal must win.
    assert matcher.match("GET", f"{ITEM}/update-session") == "update_session_list"
    assert (
        matcher.match("GET", f"{ITEM}/update-session?library_item_id=i1") == "update_session_list"
    )
    assert matcher.match("GET", f"{ITEM}/download-session") == "download_session_list"
    assert matcher.match("POST", f"{ITEM}/update-session") == "update_session_create"
    # A real item id still goes to the item operations.
    assert matcher.match("GET", f"{ITEM}/i-42") == "library_item_get"
    assert matcher.match("DELETE", f"{ITEM}/i-42") == "library_item_delete"


def test_coverage_update_session_list_is_called_when_listed() -> None:
    recorder = CoverageRecorder(contract())
    recorder.record("GET", f"{ITEM}/update-session?library_item_id=i1", 200, ["US-LIST"])
    by_operation = recorder.summary()["by_operation"]
    assert by_operation["update_session_list"]["observed"] == {"200": 1}
    assert by_operation["update_session_list"]["requirements"] == ["US-LIST"]
    assert by_operation["library_item_get"]["observed"] == {}


def test_coverage_counts_setup_requests_attributed_to_setup() -> None:
    recorder = CoverageRecorder(contract())
    recorder.record("POST", f"{ITEM}", 201, [])
    recorder.record_setup("DELETE", f"{ITEM}/i-1", 204)
    summary = recorder.summary()
    assert summary["by_operation"]["library_item_create"]["observed"] == {"201": 1}
    assert summary["by_operation"]["library_item_create"]["requirements"] == []
    assert summary["by_operation"]["library_item_delete"]["observed"] == {"204": 1}
    assert summary["by_operation"]["library_item_delete"]["requirements"] == [SETUP]
    assert summary["requests"] == {"counted": 2, "setup": 1, "unmatched": 0}


def test_coverage_counts_requests_outside_every_test_once() -> None:
    """The plugin sees every exchange; those no test recorded count as setup, once."""
    from conformance.client import Exchange
    from conformance.reporting.plugin import ConformancePlugin

    plugin = ConformancePlugin.__new__(ConformancePlugin)
    plugin.coverage = CoverageRecorder(contract())
    plugin._unattributed = {}

    def exchange(method: str, url: str, status: int) -> Exchange:
        return Exchange(
            method=method,
            url=url,
            request_headers={},
            request_body=None,
            status=status,
            response_headers={},
            response_text="",
            elapsed_ms=0.0,
        )

    opened = exchange("POST", "https://vc.example/api/content/local-library", 201)
    in_test = exchange("GET", f"{ITEM}/update-session", 200)
    cleanup = exchange("DELETE", "https://vc.example/api/content/local-library/l1", 204)
    for each in (opened, in_test, cleanup):
        plugin.observe_exchange(each)
    plugin.record_test_exchanges([in_test], ["US-LIST"])
    plugin.record_setup_exchanges()
    by_operation = plugin.coverage.summary()["by_operation"]
    assert by_operation["local_library_create"]["observed"] == {"201": 1}
    assert by_operation["local_library_create"]["requirements"] == [SETUP]
    assert by_operation["local_library_delete"]["observed"] == {"204": 1}
    assert by_operation["update_session_list"]["observed"] == {"200": 1}
    assert by_operation["update_session_list"]["requirements"] == ["US-LIST"]
    plugin.record_setup_exchanges()  # idempotent: nothing counted twice
    assert plugin.coverage.summary()["by_operation"]["local_library_create"]["observed"] == {
        "201": 1
    }


def test_coverage_of_a_real_run_counts_the_list_and_the_sandbox(tmp_path: Path) -> None:
    run = run_suite(
        tmp_path,
        "--no-property-tests",
        "-k",
        "test_update_session_list_filters_by_library_item",
        target=None,
        password=None,
    )
    assert run.returncode == 0, run.explain()
    assert run.requirement_status("US-LIST") == "pass"
    by_operation = run.results["coverage"]["by_operation"]
    assert by_operation["update_session_list"]["observed"] == {"200": 2}, by_operation
    assert "US-LIST" in by_operation["update_session_list"]["requirements"]
    # The sandbox library is created and deleted outside every test: counted as setup.
    assert by_operation["local_library_create"]["requirements"] == [SETUP]
    assert by_operation["local_library_delete"]["observed"] == {"204": 1}
    assert run.results["coverage"]["requests"][SETUP] >= 3  # login, library create, delete
