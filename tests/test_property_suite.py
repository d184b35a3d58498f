"""The Schemathesis property tests (``conformance/suites/test_properties.py``) judge correctly.

The fast tests check how the property tests are set up: which operations they
cover, which Schemathesis checks they change and how, the narrowed request
bodies, the state machine's entry point and the failure message.

The slow tests run the suite as a user would (``python -m conformance run`` in a
subprocess) against the bundled mock: the property tests pass against the
conforming mock, and fail (exit 1, PROP-CONTRACT or PROP-STATEFUL ``fail`` in
results.json) against a mock with one rule broken. Each run selects only the
property tests that judge its flaw, so that it stays quick; the runs go in
parallel, each against its own mock. No run may print the API session token.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from schemathesis.core.failures import FailureGroup, ServerError
from suite_runner import PASSWORD, USER, SuiteRun, run_suite

from conformance.config import Config
from conformance.mock import FLAWS, MockServer, MockSettings
from conformance.suites import _properties as props

SELECT_ALL = "test_properties"
CONTRACT = "test_operations_conform_to_contract"
STATEFUL = "test_stateful_session_workflows"

# flaw -> (-k expression selecting the property tests that judge it, requirements that fail)
CASES: dict[str, tuple[str, set[str]]] = {
    # status_code_conformance, in both tests
    "create-returns-200": (
        f"{CONTRACT} and update_session_create or {STATEFUL} and update-session",
        {"PROP-CONTRACT", "PROP-STATEFUL"},
    ),
    # response_schema_conformance on error bodies, in both tests
    "error-body-legacy-envelope": (
        f"{CONTRACT} and update_session_get or {STATEFUL} and update-session",
        {"PROP-CONTRACT", "PROP-STATEFUL"},
    ),
    # not_a_server_error (and status_code_conformance) on bodies that are not valid JSON
    "malformed-json-500": (f"{CONTRACT} and update_session_fail", {"PROP-CONTRACT"}),
    # response_schema_conformance: get must not return id
    "get-includes-id": (f"{CONTRACT} and download_session_get", {"PROP-CONTRACT"}),
    # response_schema_conformance: format date-time
    "datetime-no-timezone": (f"{CONTRACT} and update_session_get", {"PROP-CONTRACT"}),
    # ignored_auth: without a session header the answer must be 401
    "no-auth-required": (f"{CONTRACT} and session_get", {"PROP-CONTRACT"}),
    # use_after_free: get finds a deleted session
    "delete-keeps-session": (f"{STATEFUL} and update-session", {"PROP-STATEFUL"}),
}


@dataclass
class PropertyRun:
    run: SuiteRun
    #: every API session token the mock issued during the run
    tokens: list[str] = field(default_factory=list)


def _run(flaws: frozenset[str], k: str, reports: Path, run_id: str) -> PropertyRun:
    settings = MockSettings(user=USER, password=PASSWORD, flaws=flaws)
    with MockServer(settings) as server:
        tokens: list[str] = []
        login = server.backend.api_sessions.login

        def recording_login(user: str | None, password: str | None) -> str:
            token = login(user, password)
            tokens.append(token)
            return token

        server.backend.api_sessions.login = recording_login  # type: ignore[method-assign]
        run = run_suite(reports, "-k", k, target=server.url, run_id=run_id)
    return PropertyRun(run, tokens)


@pytest.fixture(scope="module")
def property_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, PropertyRun]:
    """``"conforming"`` and each flaw of CASES -> its run, all run in parallel."""
    reports = tmp_path_factory.mktemp("property-suite")
    jobs: dict[str, tuple[frozenset[str], str]] = {"conforming": (frozenset(), SELECT_ALL)}
    jobs |= {flaw: (frozenset({flaw}), k) for flaw, (k, _) in CASES.items()}
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {
            name: pool.submit(_run, flaws, k, reports, name) for name, (flaws, k) in jobs.items()
        }
        return {name: future.result() for name, future in futures.items()}


def _everything_printed_or_written(run: SuiteRun) -> str:
    files = [p.read_text(errors="replace") for p in run.run_dir.rglob("*") if p.is_file()]
    return "\n".join([run.stdout, run.stderr, *files])


# -- slow: the suite, run as a user would ----------------------------------------------------
@pytest.mark.slow
def test_property_tests_pass_against_the_conforming_mock(
    property_runs: dict[str, PropertyRun],
) -> None:
    run = property_runs["conforming"].run
    assert run.returncode == 0, run.explain()
    statuses = run.statuses()
    assert statuses["PROP-CONTRACT"] == "pass", run.explain()
    assert statuses["PROP-STATEFUL"] == "pass", run.explain()
    tests = [t for t in run.results["tests"] if "test_properties.py" in t["nodeid"]]
    contract_tests = [t for t in tests if CONTRACT in t["nodeid"]]
    stateful_tests = [t for t in tests if STATEFUL in t["nodeid"]]
    assert len(contract_tests) == len(props.contract_operation_ids())
    assert len(stateful_tests) == len(props.WORKFLOW_FRAGMENTS)
    assert all(t["status"] == "pass" for t in tests), run.explain()


@pytest.mark.slow
@pytest.mark.parametrize("flaw", list(CASES))
def test_property_tests_fail_against_a_broken_mock(
    flaw: str, property_runs: dict[str, PropertyRun]
) -> None:
    property_run = property_runs[flaw]
    run = property_run.run
    _, expected = CASES[flaw]
    assert run.returncode == 1, run.explain()
    statuses = run.statuses()
    failed = {req for req in ("PROP-CONTRACT", "PROP-STATEFUL") if statuses[req] == "fail"}
    assert failed == expected, (
        f"failed {sorted(failed)}, expected {sorted(expected)}\n{run.explain()}"
    )
    # The failure says what was sent and how to run it again, without the token.
    failures = [f for t in run.results["tests"] for f in t["failures"]]
    assert failures and {f["requirement"] for f in failures} <= expected
    for failure in failures:
        message = failure["message"]
        assert "curl -X" in message, message
        # The header is absent (a request without a session) or blanked.
        headers = re.findall(r"vmware-api-session-id: ([^']*)'", message)
        assert all(value == "[Filtered]" for value in headers), message
        assert f"seed {props.SEED}" in message, message
        assert "vcenter-conformance run -k" in message, message
    printed = _everything_printed_or_written(run)
    assert property_run.tokens, "the suite never logged in"
    for token in property_run.tokens:
        assert token not in printed
    assert PASSWORD not in printed


@pytest.mark.slow
def test_property_runs_never_print_the_session_token(
    property_runs: dict[str, PropertyRun],
) -> None:
    conforming = property_runs["conforming"]
    assert conforming.tokens
    printed = _everything_printed_or_written(conforming.run)
    assert not any(token in printed for token in conforming.tokens)


def test_every_case_is_a_real_mock_flaw() -> None:
    assert set(CASES) <= set(FLAWS)


# -- fast: how the property tests are set up -------------------------------------------------
def _settings(**changes: Any) -> Config:
    return Config(target="http://127.0.0.1:9", user=USER, password=PASSWORD, **changes)


@pytest.fixture
def schema_of() -> Iterator[Callable[[str], Any]]:
    config = props.schemathesis_config(_settings(), "not-a-real-token")
    yield lambda fragment: props.load_schema(fragment, config)


def test_contract_test_covers_every_session_operation_but_login_and_logout() -> None:
    ids = props.contract_operation_ids()
    assert "session_get" in ids
    assert not {"session_create", "session_delete"} & set(ids)
    assert {i for i in ids if i.startswith("update_session_")} == {
        "update_session_" + op
        for op in ("create", "list", "get", "update", "delete", "complete", "cancel", "fail")
    } | {"update_session_keep_alive"}
    assert {i for i in ids if i.startswith("download_session_")} == {
        "download_session_" + op
        for op in ("create", "list", "get", "delete", "keep_alive", "cancel", "fail")
    }


def test_checks_differ_from_schemathesis_defaults_only_where_the_contract_needs_it(
    schema_of: Callable[[str], Any],
) -> None:
    schema = schema_of(props.UPDATE_FRAGMENT)

    def checks(operation_id: str, phase: str) -> Any:
        operation = schema.find_operation_by_id(operation_id)
        return schema.config.checks_config_for(operation=operation, phase=phase)

    get = checks("update_session_get", "fuzzing")
    for name in (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "positive_data_acceptance",
        "use_after_free",
        "ensure_resource_availability",
        "ignored_auth",
    ):
        assert get.get_by_name(name=name).enabled, name
    assert not get.unsupported_method.enabled
    assert not get.allow_header_conformance.enabled
    # A valid request may meet the session's state (400) only where the state decides ...
    assert "400" not in get.positive_data_acceptance.expected_statuses
    assert (
        "400"
        in checks("update_session_complete", "coverage").positive_data_acceptance.expected_statuses
    )
    keep_alive = "update_session_keep_alive"
    assert "400" not in checks(keep_alive, "fuzzing").positive_data_acceptance.expected_statuses
    assert "400" in checks(keep_alive, "stateful").positive_data_acceptance.expected_statuses
    # ... and only the create documents a 500 (RESOURCE_BUSY).
    assert "500" in checks("update_session_create", "fuzzing").not_a_server_error.expected_statuses
    assert get.not_a_server_error.expected_statuses == ["2xx", "3xx", "4xx"]
    # Reproducible: a fixed seed, deterministic generation, no example database.
    assert schema.config.seed == props.SEED
    settings = schema.config.get_hypothesis_settings(phase="fuzzing")
    assert settings.derandomize and settings.database is None
    assert settings.max_examples == 15


def test_max_examples_sizes_both_tests() -> None:
    config = props.schemathesis_config(_settings(max_examples=200), "t")
    assert (
        config.projects.get_default().get_hypothesis_settings(phase="fuzzing").max_examples == 200
    )
    assert props.workflow_size(200)[0] > props.workflow_size(15)[0] >= 2


def test_request_bodies_are_narrowed_but_responses_judged_as_written(
    schema_of: Callable[[str], Any],
) -> None:
    schema = schema_of(props.UPDATE_FRAGMENT)
    create = schema.find_operation_by_id("update_session_create")
    body = create.definition.raw["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["properties"]) == {"library_item_id", "warning_behavior"}
    assert body["required"] == ["library_item_id"]
    # The relative $refs into vapi-errors.schema.json resolve (from_dict alone would skip them).
    get = schema.find_operation_by_id("update_session_get")
    assert not get.is_valid_response(_response(404, {"error": "not a vAPI error"}))
    assert get.is_valid_response(
        _response(
            404,
            {
                "error_type": "NOT_FOUND",
                "messages": [{"id": "x", "default_message": "gone", "args": []}],
            },
        )
    )


def test_state_machine_starts_only_from_the_create(schema_of: Callable[[str], Any]) -> None:
    for fragment in props.WORKFLOW_FRAGMENTS:
        shaper = props.CaseShaper(sandbox=None, run_id="r")  # type: ignore[arg-type]
        machine = props.workflow_machine(schema_of(fragment), fragment, shaper, requests.Session())
        assert machine.root_rules == {props.CREATE_RULES[fragment]}


def test_check_failure_carries_the_report_and_how_to_reproduce() -> None:
    report = "Schemathesis found 1 distinct failure\n\n- ST101 Server error\n\ncurl -X GET ..."
    group = FailureGroup([ServerError(operation="GET /x", status_code=500)], report)
    wrapped = BaseExceptionGroup("Hypothesis found 2 distinct failures", [ValueError("x"), group])
    failure = props.check_failure(wrapped, [], what="GET /x", reproduce="vcenter-conformance run")
    assert isinstance(failure, AssertionError)
    text = str(failure)
    assert "GET /x did not answer as the contract documents" in text
    assert "ST101 Server error" in text and "curl -X GET" in text
    assert f"seed {props.SEED}" in text and "vcenter-conformance run" in text
    # A replay that did not reproduce the failure still reports the one the checks saw.
    flaky = RuntimeError("Flaky: inconsistent data generation")
    assert props.check_failure(flaky, [group], what="x", reproduce="y") is not None
    assert props.check_failure(flaky, [], what="x", reproduce="y") is None


def _response(status: int, body: Any) -> schemathesis.Response:
    return schemathesis.Response(
        status_code=status,
        headers={"content-type": ["application/json"]},
        content=json.dumps(body).encode(),
        request=None,  # type: ignore[arg-type]
        elapsed=0.0,
        verify=True,
    )
