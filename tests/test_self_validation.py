"""The suite judges correctly: it passes a conforming mock and fails a broken one.

Each case turns on one flaw of the mock (a test-only switch that breaks exactly
one documented rule), runs the suite as a user would against it, and checks
that the run fails (exit 1) naming the requirement that rule belongs to, and
no other requirement of the selected tests. The runs are independent, so they
go in parallel, each against its own mock.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from suite_runner import PASSWORD, USER, SuiteRun, run_suite

from conformance.catalog import catalog
from conformance.mock import FLAWS, MockServer, MockSettings

# flaw -> (pytest -k expression selecting the tests that judge it, requirements that must fail)
CASES: dict[str, tuple[str, set[str]]] = {
    "delete-active-allowed": ("delete_while_active", {"US-DELETE-ACTIVE-400"}),
    "complete-keeps-active": ("complete_then_delete", {"US-COMPLETE-DONE"}),
    "delete-done-rejected": ("complete_then_delete", {"US-DELETE-DONE-204"}),
    "delete-keeps-session": ("complete_then_delete", {"US-DELETE-DONE-204"}),
    "unknown-id-400": ("unknown_id", {"US-UNKNOWN-ID-404", "DS-UNKNOWN-ID-404"}),
    "error-body-no-error-type": ("delete_while_active or error_bodies", {"ERR-BODY-SCHEMA"}),
    "error-body-legacy-envelope": ("delete_while_active or error_bodies", {"ERR-BODY-SCHEMA"}),
    "error-messages-empty": ("unknown_id or error_bodies", {"ERR-BODY-SCHEMA"}),
    "error-text-plain": ("error_bodies", {"WIRE-JSON-CONTENT-TYPE"}),
    "non-active-ops-allowed": ("when_not_active", {"US-NOT-ACTIVE-400"}),
    "cancel-to-error": ("update_session_cancel_reaches", {"US-CANCEL-CANCELED"}),
    "fail-drops-message": ("fail_reaches", {"US-FAIL-ERROR", "DS-FAIL-ERROR"}),
    "patch-changes-progress": ("patch_changes_only", {"US-PATCH-WARNING-ONLY"}),
    "patch-ignores-warning-behavior": ("patch_changes_only", {"US-PATCH-WARNING-ONLY"}),
    "keep-alive-no-extend": (
        "keep_alive_extends",
        {"US-KEEPALIVE-EXTENDS", "DS-KEEPALIVE-EXTENDS"},
    ),
    "second-active-allowed": ("second_create", {"US-ONE-ACTIVE-PER-ITEM"}),
    "list-ignores-filter": ("list_filters", {"US-LIST", "DS-LIST"}),
    "list-unknown-item-empty": ("list_of_unknown_item", {"US-LIST-UNKNOWN-ITEM-404"}),
    "no-auth-required": ("unauthenticated", {"AUTH-NO-SESSION-401"}),
    "logout-keeps-token": ("logout", {"AUTH-LOGOUT-204"}),
    "create-returns-200": ("update_session_create_returns", {"US-CREATE-201"}),
    "get-includes-id": ("get_returns_documented_model", {"US-GET-MODEL", "DS-GET-MODEL"}),
    "malformed-json-500": ("malformed_json", {"WIRE-MALFORMED-JSON-400"}),
    "datetime-no-timezone": ("get_returns_documented_model", {"WIRE-DATETIME-FORMAT"}),
    "download-delete-active-rejected": ("delete_works_in_every_state", {"DS-DELETE-ANY-STATE"}),
    "download-cancel-keeps-active": ("download_session_cancel_reaches", {"DS-CANCEL-CANCELED"}),
    "preview-info-after-active": ("preview_info", {"US-PREVIEW-INFO-ACTIVE-ONLY"}),
    "client-token-ignored": ("same_client_token", {"US-CLIENT-TOKEN-IDEMPOTENT"}),
    "download-keep-alive-client-progress": (
        "download_session_keep_alive_records",
        {"DS-KEEPALIVE-PROGRESS"},
    ),
    # file services (update session files, item files, download session files)
    "content-visible-before-complete": (
        "invisible_before_complete",
        {"USF-INVISIBLE-BEFORE-COMPLETE"},
    ),
    "cancel-keeps-content": ("cancel_discards", {"USF-CANCEL-DISCARDS"}),
    "checksum-not-verified": ("checksum_mismatch", {"USF-CHECKSUM-MISMATCH-ERROR"}),
    "size-not-verified": ("size_mismatch", {"USF-SIZE-MISMATCH-ERROR"}),
    "complete-ignores-missing-files": (
        "complete_with_a_file_not_received",
        {"USF-COMPLETE-MISSING-400"},
    ),
    "validate-omits-missing": ("validate_reports", {"USF-VALIDATE-MISSING"}),
    "download-corrupts-bytes": ("same_bytes", {"DSF-DOWNLOAD-SAME-BYTES"}),
    "unknown-file-404": ("file_unknown_name", {"USF-UNKNOWN-FILE-400", "DSF-UNKNOWN-FILE-400"}),
    # the empty name stays refused: only the path rule breaks
    "hostile-name-accepted": ("path_as_name or empty_name", {"USF-ADD-PATH-NAME-400"}),
    "upload-after-cancel-accepted": ("upload_after_cancel", {"USF-UPLOAD-AFTER-CANCEL-REFUSED"}),
    "file-list-omits-bytes-transferred": ("file_list_shows", {"USF-LIST", "DSF-LIST-UNPREPARED"}),
    "complete-no-version-bump": (
        "content_version_changes",
        {"ITEM-CONTENT-VERSION-AFTER-COMPLETE"},
    ),
    # login sessions
    "login-returns-200": ("login_returns_bare_token", {"AUTH-LOGIN-201"}),
    "bad-password-accepted": ("login_with_bad_password", {"AUTH-LOGIN-BAD-401"}),
    "session-get-omits-user": ("session_get_describes", {"AUTH-SESSION-GET"}),
    # creates: each flaw breaks one kind of session; the other kind's test still passes
    "create-unknown-item-accepted": ("create_on_unknown_item", {"US-CREATE-UNKNOWN-ITEM-404"}),
    "download-create-unknown-item-accepted": (
        "create_on_unknown_item",
        {"DS-CREATE-UNKNOWN-ITEM-404"},
    ),
    "create-without-item-404": ("create_without_item", {"US-CREATE-MISSING-ITEM-400"}),
    "download-create-returns-200": ("create_returns_bare_id", {"DS-CREATE-201"}),
    # an ACTIVE session still blocks a second create: only the ended-session rule breaks
    "ended-session-blocks-item": (
        "create_after_cancel or second_create",
        {"US-NEW-AFTER-TERMINAL"},
    ),
    # valid PATCH bodies still behave: only the invalid-spec rule breaks
    "patch-invalid-accepted": ("update_session_patch", {"US-PATCH-INVALID-400"}),
    "keep-alive-ignores-progress": ("keep_alive_records", {"US-KEEPALIVE-PROGRESS"}),
    "download-non-active-ops-allowed": (
        "download_session_operations_after_cancel",
        {"DS-NOT-ACTIVE-400"},
    ),
    # 200 is a success: each operation's own requirement holds, only the exact 204 fails
    "void-returns-200": ("void_operations", {"WIRE-VOID-204"}),
    "file-add-returns-200": ("file_add_push_returns", {"USF-ADD-PUSH-201"}),
    # a 404 would be a Skip (the form is optional); a 400 is a Fail
    "file-add-action-form-rejected": (
        "file_add_action_form or file_add_push_returns",
        {"USF-ADD-ACTION-FORM"},
    ),
    # path names stay refused: only the empty-name rule breaks
    "empty-file-name-accepted": ("empty_name or path_as_name", {"USF-ADD-EMPTY-NAME-400"}),
    # PUT with the session header still works; POST without it is refused
    "upload-needs-session-header": ("upload_makes_the_file_ready", {"USF-UPLOAD-READY"}),
    "file-unknown-session-400": ("of_an_unknown_session", {"USF-UNKNOWN-SESSION-404"}),
    "download-file-list-unknown-session-empty": (
        "of_an_unknown_session",
        {"DSF-UNKNOWN-SESSION-404"},
    ),
    # validate in an ended session is still refused: only add breaks
    "file-add-after-end-accepted": ("after_the_session_ended", {"USF-NOT-ACTIVE-400"}),
    "validate-omits-empty-invalid-files": (
        "validate_after_upload",
        {"USF-VALIDATE-SHAPE"},
    ),
    "remove-keeps-file": ("file_remove_keeps", {"USF-REMOVE"}),
    "item-file-size-in-kib": (
        "item_files_show_the_uploaded_file",
        {"ITEM-FILES-AFTER-COMPLETE"},
    ),
    "item-file-unknown-400": ("item_file_get_of_an_unknown_name", {"ITEM-FILE-UNKNOWN-404"}),
    "prepare-without-endpoint": ("prepare_makes_the_file_prepared", {"DSF-PREPARE"}),
    "download-url-valid-after-cancel": ("cancel_invalidates", {"DSF-CANCEL-INVALIDATES"}),
    "expiry-one-hour": ("expires_five_minutes", {"US-EXPIRATION-DEFAULT"}),
    # With 3-second sessions and a run allowed to wait (SHORT_SESSIONS below).
    "sessions-never-expire": ("expires_without_activity", {"US-EXPIRY-DELETES"}),
}

#: Cases whose rule needs time to show: the mock's sessions last 3 s, and the
#: run may wait for them (a conforming mock passes this: see the test below).
SHORT_SESSIONS = {"sessions-never-expire"}
SHORT_SESSION_TIMEOUT = 3.0
SHORT_SESSION_ENV = {"CONFORMANCE_EXPIRY_WAIT": "20"}


def _run(flaw: str | None, k: str, reports: Path, *, short_sessions: bool = False) -> SuiteRun:
    settings = MockSettings(
        user=USER,
        password=PASSWORD,
        flaws=frozenset({flaw} if flaw else ()),
        session_timeout=SHORT_SESSION_TIMEOUT if short_sessions else 300.0,
    )
    with MockServer(settings) as server:
        return run_suite(
            reports,
            "--no-property-tests",
            "--strict",  # a broken SHOULD fails too (without it: a Warn, see test_cli)
            "-k",
            k,
            target=server.url,
            run_id=flaw or "conforming",
            env=SHORT_SESSION_ENV if short_sessions else None,
        )


@pytest.fixture(scope="module")
def flaw_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SuiteRun]:
    reports = tmp_path_factory.mktemp("self-validation")
    jobs = {flaw: k for flaw, (k, _) in CASES.items()}
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {
            flaw: pool.submit(_run, flaw, k, reports, short_sessions=flaw in SHORT_SESSIONS)
            for flaw, k in jobs.items()
        }
        return {flaw: future.result() for flaw, future in futures.items()}


@pytest.mark.slow
def test_expiry_is_judged_and_passes_on_a_conforming_mock_with_short_sessions(
    tmp_path: Path,
) -> None:
    run = _run(None, "expires_without_activity", tmp_path, short_sessions=True)
    assert run.returncode == 0, run.explain()
    assert run.requirement_status("US-EXPIRY-DELETES") == "pass"


def test_every_flaw_is_a_real_mock_flaw() -> None:
    assert set(CASES) <= set(FLAWS)


def test_every_requirement_has_a_proven_failing_check() -> None:
    """Proof at scale: each catalog requirement is the expected failure of some case,
    here or among the property-test cases (what ``scripts/proof_table.py`` counts)."""
    import test_property_suite

    cases = [*CASES.values(), *test_property_suite.CASES.values()]
    proven = set().union(*(requirements for _, requirements in cases))
    unproven = sorted(set(catalog().ids) - proven)
    assert not unproven, f"requirements no self-validation case shows failing: {unproven}"


@pytest.mark.slow
@pytest.mark.parametrize("flaw", list(CASES))
def test_suite_fails_the_requirement_a_flaw_breaks(
    flaw: str, flaw_runs: dict[str, SuiteRun]
) -> None:
    run = flaw_runs[flaw]
    _, expected = CASES[flaw]
    assert run.returncode == 1, run.explain()
    statuses = run.statuses()
    failed = {req for req, status in statuses.items() if status == "fail"}
    assert failed == expected, (
        f"failed {sorted(failed)}, expected {sorted(expected)}\n{run.explain()}"
    )
    # Tests stop at the first broken rule, so a requirement cited only by the
    # same test may be "not judged" (Error); the run must not hide that.
    for req in run.results["requirements"]:
        if req["status"] == "error":
            assert req["message"].startswith("not judged") or "cleanup" in req["message"], req
    # The failure carries what a vendor needs to act on it.
    failures = [f for t in run.results["tests"] for f in t["failures"]]
    assert failures and all(f["requirement"] in expected for f in failures)
    assert all(f["exchange"] and f["curl"] for f in failures if f["kind"] != "AssertionError")
