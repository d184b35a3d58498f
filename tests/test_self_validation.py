"""The suite judges correctly: it passes a conforming mock and fails a broken one.

Each case turns on one flaw of the mock (a test-only switch that breaks exactly
one documented rule), runs the suite as a user would against it, and checks
that the run fails (exit 1) naming the requirement that rule belongs to, and
no other requirement of the selected tests. The runs are independent, so they
go in parallel, each against its own mock.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from suite_runner import PASSWORD, USER, SuiteRun, in_parallel, run_suite

from conformance.catalog import catalog
from conformance.mock import FLAWS, MockServer, MockSettings

#: flaw -> the requirements it must fail (the fast run selects their tests with --requirement;
#: the proof run, in CI, runs the whole suite, property tests included)
CASES: dict[str, set[str]] = {
    "delete-active-allowed": {"US-DELETE-ACTIVE-400"},
    "complete-keeps-active": {"US-COMPLETE-DONE"},
    "delete-done-rejected": {"US-DELETE-DONE-204"},
    "delete-keeps-session": {"US-DELETE-DONE-204"},
    # the file services of an unknown session look the session up the same way
    "unknown-id-400": {
        "US-UNKNOWN-ID-404",
        "DS-UNKNOWN-ID-404",
        "USF-UNKNOWN-SESSION-404",
        "DSF-UNKNOWN-SESSION-404",
    },
    "error-body-no-error-type": {"ERR-BODY-SCHEMA"},
    "error-body-legacy-envelope": {"ERR-BODY-SCHEMA"},
    "error-messages-empty": {"ERR-BODY-SCHEMA"},
    "error-text-plain": {"WIRE-JSON-CONTENT-TYPE"},
    "non-active-ops-allowed": {"US-NOT-ACTIVE-400"},
    "cancel-to-error": {"US-CANCEL-CANCELED"},
    "fail-drops-message": {"US-FAIL-ERROR", "DS-FAIL-ERROR"},
    "patch-changes-progress": {"US-PATCH-WARNING-ONLY"},
    "patch-ignores-warning-behavior": {"US-PATCH-WARNING-ONLY"},
    "keep-alive-no-extend": {"US-KEEPALIVE-EXTENDS", "DS-KEEPALIVE-EXTENDS"},
    "second-active-allowed": {"US-ONE-ACTIVE-PER-ITEM"},
    "list-ignores-filter": {"US-LIST", "DS-LIST"},
    "list-unknown-item-empty": {"US-LIST-UNKNOWN-ITEM-404"},
    "no-auth-required": {"AUTH-NO-SESSION-401"},
    "logout-keeps-token": {"AUTH-LOGOUT-204"},
    "create-returns-200": {"US-CREATE-201"},
    "get-includes-id": {"US-GET-MODEL", "DS-GET-MODEL"},
    "malformed-json-500": {"WIRE-MALFORMED-JSON-400"},
    "datetime-no-timezone": {"WIRE-DATETIME-FORMAT"},
    "download-delete-active-rejected": {"DS-DELETE-ANY-STATE"},
    # a cancel that does nothing breaks both sentences about cancel
    "download-cancel-keeps-active": {"DS-CANCEL-CANCELED", "DSF-CANCEL-INVALIDATES"},
    "preview-info-after-active": {"US-PREVIEW-INFO-ACTIVE-ONLY"},
    "client-token-ignored": {"US-CLIENT-TOKEN-IDEMPOTENT"},
    "download-keep-alive-client-progress": {"DS-KEEPALIVE-PROGRESS"},
    "content-visible-before-complete": {"USF-INVISIBLE-BEFORE-COMPLETE"},
    "cancel-keeps-content": {"USF-CANCEL-DISCARDS"},
    "checksum-not-verified": {"USF-CHECKSUM-MISMATCH-ERROR"},
    "size-not-verified": {"USF-SIZE-MISMATCH-ERROR"},
    "complete-ignores-missing-files": {"USF-COMPLETE-MISSING-400"},
    "validate-omits-missing": {"USF-VALIDATE-MISSING"},
    "download-corrupts-bytes": {"DSF-DOWNLOAD-SAME-BYTES"},
    "unknown-file-404": {"USF-UNKNOWN-FILE-400", "DSF-UNKNOWN-FILE-400"},
    "hostile-name-accepted": {"USF-ADD-PATH-NAME-400"},
    "upload-after-cancel-accepted": {"USF-UPLOAD-AFTER-CANCEL-REFUSED"},
    "file-list-omits-bytes-transferred": {"USF-LIST", "DSF-LIST-UNPREPARED"},
    "complete-no-version-bump": {"ITEM-CONTENT-VERSION-AFTER-COMPLETE"},
    "login-returns-200": {"AUTH-LOGIN-201"},
    "bad-password-accepted": {"AUTH-LOGIN-BAD-401"},
    "session-get-omits-user": {"AUTH-SESSION-GET"},
    "create-unknown-item-accepted": {"US-CREATE-UNKNOWN-ITEM-404"},
    "download-create-unknown-item-accepted": {"DS-CREATE-UNKNOWN-ITEM-404"},
    "create-without-item-404": {"US-CREATE-MISSING-ITEM-400"},
    "download-create-returns-200": {"DS-CREATE-201"},
    "ended-session-blocks-item": {"US-NEW-AFTER-TERMINAL"},
    "patch-invalid-accepted": {"US-PATCH-INVALID-400"},
    "keep-alive-ignores-progress": {"US-KEEPALIVE-PROGRESS"},
    "download-non-active-ops-allowed": {"DS-NOT-ACTIVE-400"},
    "void-returns-200": {"WIRE-VOID-204"},
    "file-add-returns-200": {"USF-ADD-PUSH-201"},
    "file-add-action-form-rejected": {"USF-ADD-ACTION-FORM"},
    "empty-file-name-accepted": {"USF-ADD-EMPTY-NAME-400"},
    "upload-needs-session-header": {"USF-UPLOAD-READY"},
    "file-unknown-session-400": {"USF-UNKNOWN-SESSION-404"},
    "download-file-list-unknown-session-empty": {"DSF-UNKNOWN-SESSION-404"},
    "file-add-after-end-accepted": {"USF-NOT-ACTIVE-400"},
    "validate-omits-empty-invalid-files": {"USF-VALIDATE-SHAPE"},
    "remove-keeps-file": {"USF-REMOVE"},
    "item-file-size-in-kib": {"ITEM-FILES-AFTER-COMPLETE"},
    "item-file-unknown-400": {"ITEM-FILE-UNKNOWN-404"},
    "prepare-without-endpoint": {"DSF-PREPARE"},
    "download-url-valid-after-cancel": {"DSF-CANCEL-INVALIDATES"},
    "expiry-one-hour": {"US-EXPIRATION-DEFAULT"},
    "sessions-never-expire": {"US-EXPIRY-DELETES"},
    "upload-never-ready": {"USF-UPLOAD-READY"},
}

#: Flaws the property tests also see, by the rule they enforce (PROP-CONTRACT checks every
#: documented status, PROP-STATEFUL every linked sequence): a second, legitimate Fail.
_BOTH = PROPERTY_REQUIREMENTS = {"PROP-CONTRACT", "PROP-STATEFUL"}
ALSO_DETECTED: dict[str, set[str]] = {
    # a status, body or content type every operation documents: both property tests see it
    "create-returns-200": _BOTH,
    "error-body-legacy-envelope": _BOTH,
    "error-body-no-error-type": _BOTH,
    "error-messages-empty": _BOTH,
    "error-text-plain": _BOTH,
    "get-includes-id": _BOTH,
    "no-auth-required": _BOTH,
    "datetime-no-timezone": _BOTH,
    "malformed-json-500": {"PROP-CONTRACT"},
    # linked sequences: a delete refused, a generated id refused as malformed
    "download-delete-active-rejected": {"PROP-STATEFUL"},
    "delete-keeps-session": {"PROP-STATEFUL"},
    "unknown-id-400": {"PROP-STATEFUL"},
}


#: Known gaps of attribution, run whole (open work, not accepted behaviour): the flaw's
#: failure also shows under another requirement. Reported as xfail, with the reason.
KNOWN_MISATTRIBUTIONS: dict[str, str] = {}

#: Cases whose rule needs time to show: the mock's sessions last 3 s, and the
#: run may wait for them (a conforming mock passes this: see the test below).
SHORT_SESSIONS = {"sessions-never-expire"}
SHORT_SESSION_TIMEOUT = 3.0
SHORT_SESSION_ENV = {"CONFORMANCE_EXPIRY_WAIT": "20"}
#: Every other run: sessions short enough that the expiry test judges within the run.
WHOLE_RUN_SESSION_TIMEOUT = 20.0


def _run(
    flaw: str | None,
    reports: Path,
    *selection: str,
    short_sessions: bool = False,
    property_tests: bool = False,
) -> SuiteRun:
    settings = MockSettings(
        user=USER,
        password=PASSWORD,
        flaws=frozenset({flaw} if flaw else ()),
        session_timeout=SHORT_SESSION_TIMEOUT if short_sessions else WHOLE_RUN_SESSION_TIMEOUT,
    )
    timeout = SHORT_SESSION_TIMEOUT if short_sessions else WHOLE_RUN_SESSION_TIMEOUT
    with MockServer(settings) as server:
        return run_suite(
            reports,
            *(() if property_tests else ("--no-property-tests",)),
            "--strict",  # a broken SHOULD fails too (without it: a Warn, see test_cli)
            "--session-timeout",
            str(timeout),
            # The mock settles at once: a flaw that never settles (complete-keeps-active,
            # upload-never-ready) costs 2 s per shared precondition, not 30; the deadline
            # ends a run before this test's subprocess timeout, with its reports written.
            "--poll-timeout",
            "2",
            "--deadline",
            "780",
            *selection,
            target=server.url,
            run_id=flaw or "conforming",
            env=SHORT_SESSION_ENV if short_sessions else None,
            timeout=900,
        )


def _selection(requirements: set[str]) -> list[str]:
    return [arg for req in sorted(requirements) for arg in ("--requirement", req)]


def _runs(
    reports: Path, *, selected: bool, property_tests: bool = False, args: tuple[str, ...] = ()
) -> dict[str, SuiteRun]:
    """One run per flaw of CASES, several at once: of the tests citing the requirements
    the flaw must fail (``selected``), else of the whole suite."""
    return in_parallel(
        {
            flaw: functools.partial(
                _run,
                flaw,
                reports,
                *(_selection(expected) if selected else ()),
                *args,
                short_sessions=flaw in SHORT_SESSIONS,
                property_tests=property_tests,
            )
            for flaw, expected in CASES.items()
        }
    )


@pytest.fixture(scope="module")
def flaw_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SuiteRun]:
    """One run per flaw, of exactly the tests citing the requirements it must fail."""
    return _runs(tmp_path_factory.mktemp("self-validation"), selected=True)


@pytest.fixture(scope="module")
def whole_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SuiteRun]:
    """One run per flaw of the whole suite, property tests included (CI's proof step)."""
    return _runs(
        tmp_path_factory.mktemp("self-validation-whole"),
        selected=False,
        property_tests=True,
        args=("--max-examples", "5"),
    )


@pytest.mark.slow
def test_expiry_is_judged_and_passes_on_a_conforming_mock_with_short_sessions(
    tmp_path: Path,
) -> None:
    run = _run(None, tmp_path, "--requirement", "US-EXPIRY-DELETES", short_sessions=True)
    assert run.returncode == 0, run.explain()
    assert run.requirement_status("US-EXPIRY-DELETES") == "pass"


def test_every_flaw_is_a_real_mock_flaw() -> None:
    assert set(CASES) <= set(FLAWS)


def test_every_requirement_has_a_proven_failing_check() -> None:
    """Proof at scale: each catalog requirement is the expected failure of some case,
    here, among the property-test cases (what ``scripts/proof_table.py`` counts) or
    among the /rest dialect's cases (tests/test_rest_dialect_suite.py)."""
    import test_property_suite
    import test_rest_dialect_suite

    cases = [
        *CASES.values(),
        *(reqs for _, reqs in test_property_suite.CASES.values()),
        *(reqs for _, reqs in test_rest_dialect_suite.CASES.values()),
    ]
    proven = set().union(*cases)
    unproven = sorted(set(catalog().ids) - proven)
    assert not unproven, f"requirements no self-validation case shows failing: {unproven}"


@pytest.mark.slow
@pytest.mark.parametrize("flaw", list(CASES))
def test_suite_fails_the_requirement_a_flaw_breaks(
    flaw: str, flaw_runs: dict[str, SuiteRun]
) -> None:
    run = flaw_runs[flaw]
    expected = CASES[flaw]
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


@pytest.mark.slow
@pytest.mark.proof
@pytest.mark.parametrize("flaw", list(CASES))
def test_the_whole_suite_fails_exactly_the_requirements_a_flaw_breaks(
    flaw: str, whole_runs: dict[str, SuiteRun]
) -> None:
    """Issue 13's rule: run whole, property tests included, a flaw fails its requirements
    and no other, and nothing ends as Error (a flaw is not an outage)."""
    if flaw in KNOWN_MISATTRIBUTIONS:
        pytest.xfail(KNOWN_MISATTRIBUTIONS[flaw])
    run = whole_runs[flaw]
    # The property tests judge every operation's documented answers, so a flaw in a
    # documented answer may be seen by them too: a second detection, never another
    # scenario requirement (ALSO_DETECTED lists those observed).
    expected = CASES[flaw] | ALSO_DETECTED.get(flaw, set()) | PROPERTY_REQUIREMENTS
    statuses = run.statuses()
    failed = {req for req, status in statuses.items() if status == "fail"}
    assert CASES[flaw] <= failed <= expected, (
        f"failed {sorted(failed)}, expected {sorted(expected)}\n{run.explain()}"
    )
    # An Error is allowed only where the flaw's own failing rule made a requirement
    # unjudgeable ("precondition failed ... (see US-COMPLETE-DONE)"), and says so.
    for requirement in run.results["requirements"]:
        if requirement["status"] == "error":
            assert any(req in requirement["message"] for req in CASES[flaw]), (
                f"{requirement['id']} is an Error not explained by {sorted(CASES[flaw])}: "
                f"{requirement['message']}\n{run.explain()}"
            )
    assert run.returncode == 1, run.explain()
