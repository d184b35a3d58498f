"""The Schemathesis property tests (``conformance/suites/test_properties.py``) judge correctly.

The fast tests check how the property tests are set up: which operations they
cover, which Schemathesis checks are on (each with its sentence) and how they are
narrowed, the generation schemas (narrowed, closed to unknown properties), what a
target may do with each kind of input, fresh client tokens, forward-compatible
answers, the state machines' entry points, the failure message, the retries of
502/503/504, and how file requests are steered to live sandbox objects and judged
(against a fake sandbox).

The slow tests run the suite as a user would (``python -m conformance run`` in a
subprocess) against the bundled mock: the property tests pass against the
conforming mock and against each legitimate variant (and a combination), fail
(exit 1, PROP-CONTRACT or PROP-STATEFUL ``fail`` in results.json) against a mock
with one rule broken, and end as Error, never Fail, when the mock answers 503.
Each flaw run selects only the property tests that judge its flaw; variant and
fault runs use ``--max-examples 5``; the runs go several at a time, each against its
own mock. No run may print the API session token. The default test run makes the runs
of DEFAULT_RUNS; CI's proof step (``pytest -m proof``) makes the others.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests
import schemathesis
from schemathesis.core.failures import FailureGroup, ServerError
from schemathesis.specs.openapi.checks import positive_data_acceptance
from suite_runner import PASSWORD, USER, SuiteRun, in_parallel, run_suite

from conformance.config import Config
from conformance.mock import FLAWS, Faults, MockServer, MockSettings
from conformance.mock import VARIANTS as VARIANT_NAMES
from conformance.suites import _properties as props
from conformance.suites import _schemathesis_compat as compat

SELECT_ALL = "test_properties"
CONTRACT = "test_operations_conform_to_contract"
STATEFUL = "test_stateful_session_workflows"

# flaw -> (-k expression selecting the property tests that judge it, requirements that fail)
CASES: dict[str, tuple[str, set[str]]] = {
    # status_code_conformance, in both tests
    "create-returns-200": (
        f"{CONTRACT} and update_session_create or {STATEFUL} and update-session.openapi",
        {"PROP-CONTRACT", "PROP-STATEFUL"},
    ),
    # response_schema_conformance on error bodies, in both tests
    "error-body-legacy-envelope": (
        f"{CONTRACT} and update_session_get or {STATEFUL} and update-session.openapi",
        {"PROP-CONTRACT", "PROP-STATEFUL"},
    ),
    # not_a_server_error (and status_code_conformance) on bodies that are not valid JSON
    "malformed-json-500": (f"{CONTRACT} and download_session_create", {"PROP-CONTRACT"}),
    # response_schema_conformance: get must not return id
    "get-includes-id": (f"{CONTRACT} and download_session_get", {"PROP-CONTRACT"}),
    # response_schema_conformance: format date-time
    "datetime-no-timezone": (f"{CONTRACT} and update_session_get", {"PROP-CONTRACT"}),
    # ignored_auth: without a session header the answer must be 401
    "no-auth-required": (f"{CONTRACT} and session_get", {"PROP-CONTRACT"}),
    # use_after_free: get finds a deleted session
    "delete-keeps-session": (f"{STATEFUL} and update-session.openapi", {"PROP-STATEFUL"}),
    # sandbox_object_found: an unknown file name in a live session is 400, not 404 (the
    # contract test's unknown-name cases; in the stateful test, get after remove)
    "unknown-file-404": (
        f"{CONTRACT} and update_session_file_get or {STATEFUL} and update-session-file",
        {"PROP-CONTRACT", "PROP-STATEFUL"},
    ),
    # response_schema_conformance: File.Info requires bytes_transferred, in the lists of
    # the live update session (contract) and of the download session on the item with
    # content (stateful: prepare -> list)
    "file-list-omits-bytes-transferred": (
        f"{CONTRACT} and update_session_file_list or {STATEFUL} and download-session-file",
        {"PROP-CONTRACT", "PROP-STATEFUL"},
    ),
    # (remove-keeps-file is not here: a removed file may stay in the session until
    # complete, so only the scenario test of USF-REMOVE can tell, after complete.)
}


@dataclass
class PropertyRun:
    run: SuiteRun
    #: every API session token the mock issued during the run
    tokens: list[str] = field(default_factory=list)


#: Transient faults: the run -> (faults, -k expression). Every fifth request answers 503
#: (the retries get through); GET /api/session always answers 503 (the retries do not).
FAULT_RUNS: dict[str, tuple[Faults, str]] = {
    "unavailable-every-5": (Faults(unavailable_every=5), SELECT_ALL),
    "session-get-unavailable": (
        Faults(unavailable_every=1, paths=("/api/session",)),
        f"{CONTRACT} and session_get",
    ),
}
#: The runs that prove the property tests pass, not how deep they go: few examples.
QUICK = ("--max-examples", "5")
#: Legitimate choices of a correct server (the mock's variants) the property tests must pass,
#: each on its own; then all of them at once (but the other answer to unknown fields).
VARIANTS = (
    "unknown-fields-refused",
    "unknown-fields-unexpected-input",
    "malformed-json-invalid-request",
    "client-token-any-format",
    "progress-unbounded",
    "resource-busy-400",
    "content-type-charset",
    "datetime-offset",
    "extra-response-fields",
    "opaque-ids",
    "malformed-id-400",
    "remove-at-complete",
)
#: Variants about what the property tests never do (transfer bytes, wait for expiry).
UNRELATED_VARIANTS = frozenset(
    {"checksum-mismatch-at-upload", "checksum-mismatch-at-complete", "session-timeout-10min"}
)
COMBINED = frozenset(VARIANT_NAMES) - UNRELATED_VARIANTS - {"unknown-fields-unexpected-input"}
VARIANT_RUNS: dict[str, frozenset[str]] = {
    **{f"variant-{name}": frozenset({name}) for name in VARIANTS},
    "variants-combined": COMBINED,
}


@dataclass(frozen=True)
class _Job:
    k: str
    flaws: frozenset[str] = frozenset()
    faults: Faults | None = None
    variants: frozenset[str] = frozenset()
    args: tuple[str, ...] = ()


def _run(job: _Job, reports: Path, run_id: str) -> PropertyRun:
    settings = MockSettings(
        user=USER, password=PASSWORD, flaws=job.flaws, faults=job.faults, variants=job.variants
    )
    with MockServer(settings) as server:
        tokens: list[str] = []
        login = server.backend.api_sessions.login

        def recording_login(user: str | None, password: str | None) -> str:
            token = login(user, password)
            tokens.append(token)
            return token

        server.backend.api_sessions.login = recording_login  # type: ignore[method-assign]
        run = run_suite(reports, "-k", job.k, *job.args, target=server.url, run_id=run_id)
    return PropertyRun(run, tokens)


#: The runs of the default test run: the conforming mock, a flaw both property tests fail
#: (each requirement proven both ways) and an operation that always answers 503. The other
#: flaws, the variants and the outage of every fifth request run in CI's proof step
#: (``pytest -m proof``, ``tox -e proof``): a property-test run takes half a minute or more.
DEFAULT_RUNS = frozenset({"conforming", "create-returns-200", "session-get-unavailable"})


def _jobs() -> dict[str, _Job]:
    jobs: dict[str, _Job] = {"conforming": _Job(SELECT_ALL)}
    jobs |= {flaw: _Job(k, flaws=frozenset({flaw})) for flaw, (k, _) in CASES.items()}
    jobs |= {name: _Job(k, faults=faults, args=QUICK) for name, (faults, k) in FAULT_RUNS.items()}
    jobs |= {
        name: _Job(SELECT_ALL, variants=variants, args=QUICK)
        for name, variants in VARIANT_RUNS.items()
    }
    return jobs


def _runs(reports: Path, *, proof: bool) -> dict[str, PropertyRun]:
    jobs = {name: job for name, job in _jobs().items() if (name in DEFAULT_RUNS) != proof}
    return in_parallel(
        {name: functools.partial(_run, job, reports, name) for name, job in jobs.items()}
    )


@pytest.fixture(scope="module")
def property_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, PropertyRun]:
    """Each run of DEFAULT_RUNS -> its run, several at a time."""
    return _runs(tmp_path_factory.mktemp("property-suite"), proof=False)


@pytest.fixture(scope="module")
def proof_property_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, PropertyRun]:
    """Every other run (flaws of CASES, FAULT_RUNS, VARIANT_RUNS) -> its run."""
    return _runs(tmp_path_factory.mktemp("property-suite-proof"), proof=True)


def _property_run(request: pytest.FixtureRequest, name: str) -> PropertyRun:
    fixture = "property_runs" if name in DEFAULT_RUNS else "proof_property_runs"
    runs: dict[str, PropertyRun] = request.getfixturevalue(fixture)
    return runs[name]


def _in_proof_step(name: str) -> Any:
    return pytest.param(name, marks=() if name in DEFAULT_RUNS else pytest.mark.proof)


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
@pytest.mark.parametrize("flaw", [_in_proof_step(flaw) for flaw in CASES])
def test_property_tests_fail_against_a_broken_mock(
    flaw: str, request: pytest.FixtureRequest
) -> None:
    property_run = _property_run(request, flaw)
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


@pytest.mark.slow
@pytest.mark.proof
@pytest.mark.parametrize("run_name", list(VARIANT_RUNS))
def test_property_tests_pass_against_a_server_that_chooses_differently(
    run_name: str, proof_property_runs: dict[str, PropertyRun]
) -> None:
    run = proof_property_runs[run_name].run
    assert run.returncode == 0, run.explain()
    statuses = run.statuses()
    assert statuses["PROP-CONTRACT"] == statuses["PROP-STATEFUL"] == "pass", run.explain()
    tests = [t for t in run.results["tests"] if "test_properties.py" in t["nodeid"]]
    assert len(tests) == len(props.contract_operation_ids()) + len(props.WORKFLOW_FRAGMENTS)
    assert all(t["status"] == "pass" for t in tests), run.explain()


def test_variant_runs_name_real_mock_variants() -> None:
    assert set(VARIANTS) | UNRELATED_VARIANTS <= set(VARIANT_NAMES)
    assert set(VARIANTS) - {"unknown-fields-unexpected-input"} <= COMBINED


@pytest.mark.slow
@pytest.mark.proof
def test_property_tests_report_a_transient_outage_as_error_never_fail(
    proof_property_runs: dict[str, PropertyRun],
) -> None:
    # Every fifth request answers 503: retried as the client retries; whatever is left
    # is Error (target unavailable), never Fail.
    run = proof_property_runs["unavailable-every-5"].run
    statuses = run.statuses()
    assert {statuses["PROP-CONTRACT"], statuses["PROP-STATEFUL"]} <= {"pass", "error"}, (
        run.explain()
    )
    tests = [t for t in run.results["tests"] if "test_properties.py" in t["nodeid"]]
    assert len(tests) == len(props.contract_operation_ids()) + len(props.WORKFLOW_FRAGMENTS)
    assert not [t for t in tests if t["status"] == "fail"], run.explain()


@pytest.mark.slow
def test_property_tests_report_an_operation_that_is_always_unavailable_as_error(
    property_runs: dict[str, PropertyRun],
) -> None:
    # An operation that answers 503 to every try is an Error that says why.
    run = property_runs["session-get-unavailable"].run
    assert run.statuses()["PROP-CONTRACT"] == "error", run.explain()
    (test,) = [t for t in run.results["tests"] if t["nodeid"].endswith("[session_get]")]
    assert test["status"] == "error"
    assert "target unavailable" in test["message"] and "503 3 times" in test["message"]
    assert run.returncode != 1, run.explain()


def test_every_case_is_a_real_mock_flaw() -> None:
    assert set(CASES) <= set(FLAWS)


def test_the_default_run_proves_both_property_requirements_both_ways() -> None:
    """Without the proof step, each requirement still passes (the conforming run) and
    fails (a flaw of DEFAULT_RUNS)."""
    assert DEFAULT_RUNS.issubset(_jobs()) and "conforming" in DEFAULT_RUNS
    failing = set().union(*(CASES[name][1] for name in DEFAULT_RUNS if name in CASES))
    assert failing == {"PROP-CONTRACT", "PROP-STATEFUL"}


# -- fast: how the property tests are set up -------------------------------------------------
def _settings(**changes: Any) -> Config:
    return Config(target="http://127.0.0.1:9", user=USER, password=PASSWORD, **changes)


@pytest.fixture
def schema_of() -> Iterator[Callable[[str], Any]]:
    config = props.schemathesis_config(_settings(), "not-a-real-token")
    yield lambda fragment: props.load_schema(fragment, config)


def test_contract_test_covers_every_session_and_file_operation_but_login_and_logout() -> None:
    ids = props.contract_operation_ids()
    assert len(ids) == 28
    assert "session_get" in ids
    assert not {"session_create", "session_delete"} & set(ids)
    assert {i for i in ids if i.startswith("update_session_") and "_file_" not in i} == {
        "update_session_" + op
        for op in ("create", "list", "get", "update", "delete", "complete", "cancel", "fail")
    } | {"update_session_keep_alive"}
    assert {i for i in ids if i.startswith("download_session_")} == {
        "download_session_" + op
        for op in ("create", "list", "get", "delete", "keep_alive", "cancel", "fail")
    } | {"download_session_file_" + op for op in ("list", "prepare", "get")}
    assert {i for i in ids if i.startswith("update_session_file_")} == {
        "update_session_file_" + op for op in ("add", "add_action", "list", "get", "remove")
    } | {"update_session_file_validate"}
    assert {i for i in ids if i.startswith("library_item_file_")} == {
        "library_item_file_list",
        "library_item_file_get",
    }


def test_checks_differ_from_schemathesis_defaults_only_where_the_contract_needs_it(
    schema_of: Callable[[str], Any],
) -> None:
    schema = schema_of(props.UPDATE_FRAGMENT)

    def checks(operation_id: str, phase: str) -> Any:
        operation = schema.find_operation_by_id(operation_id)
        return schema.config.checks_config_for(operation=operation, phase=phase)

    get = checks("update_session_get", "fuzzing")
    # Every check Schemathesis knows is either judged (on, with its sentence) or not (off,
    # with the reason); the suite's own checks are judged.
    known = set(compat.registered_check_names())
    assert set(props.JUDGED) >= known - set(props.NOT_JUDGED)
    assert set(props.JUDGED) - known == {
        "documented_or_standard_response",
        "sandbox_object_found",
        "deleted_session_gone",
        "documented_status",
    }
    assert not set(props.JUDGED) & set(props.NOT_JUDGED)
    for name in known & set(props.JUDGED):
        assert get.get_by_name(name=name).enabled, name
    for name in known & set(props.NOT_JUDGED):
        assert not get.get_by_name(name=name).enabled, name
    assert all(judged.sentence and judged.source for judged in props.JUDGED.values())
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
    file_schema = schema_of(props.UPDATE_FILE_FRAGMENT)
    file_get = file_schema.find_operation_by_id("update_session_file_get")
    # No requests with undocumented methods (unsupported_method, which wants them, is off).
    assert file_schema.config.phases_for(operation=file_get).coverage.unexpected_methods == set()
    # The ?action=add form skips the coverage phase (POST .../file has the same body).
    add, add_action = (
        file_schema.find_operation_by_id(operation_id)
        for operation_id in ("update_session_file_add", "update_session_file_add_action")
    )
    assert file_schema.config.phases_for(operation=add).coverage.enabled
    assert not file_schema.config.phases_for(operation=add_action).coverage.enabled
    assert file_schema.config.phases_for(operation=add_action).fuzzing.enabled
    # The file operations accept no 400 as a whole: the shaper decides per request (below).
    accepted = file_schema.config.checks_config_for(operation=file_get, phase="fuzzing")
    assert "400" not in accepted.positive_data_acceptance.expected_statuses
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


def test_state_machine_starts_only_from_the_roots(schema_of: Callable[[str], Any]) -> None:
    assert set(props.WORKFLOW_FRAGMENTS) == {
        props.UPDATE_FRAGMENT,
        props.DOWNLOAD_FRAGMENT,
        props.UPDATE_FILE_FRAGMENT,
        props.DOWNLOAD_FILE_FRAGMENT,
    }
    starts = {
        props.UPDATE_FRAGMENT: {"POST /api/content/library/item/update-session"},
        props.DOWNLOAD_FRAGMENT: {"POST /api/content/library/item/download-session"},
        props.UPDATE_FILE_FRAGMENT: {
            f"POST {US}/{{update_session_id}}/file",
            f"POST {US}/{{update_session_id}}/file?action=add",
        },
        props.DOWNLOAD_FILE_FRAGMENT: {f"POST {DS}/{{download_session_id}}/file?action=prepare"},
    }
    for fragment in props.WORKFLOW_FRAGMENTS:
        shaper = _shaper()
        machine = props.workflow_machine(schema_of(fragment), fragment, shaper, requests.Session())
        assert machine.root_rules == set(props.root_rules(schema_of(fragment), fragment))
        assert machine._root_labels == starts[fragment]  # type: ignore[attr-defined]


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


def _response(
    status: int, body: Any, *, content_type: str = "application/json"
) -> schemathesis.Response:
    return schemathesis.Response(
        status_code=status,
        headers={"content-type": [content_type]},
        content=json.dumps(body).encode(),
        request=None,  # type: ignore[arg-type]
        elapsed=0.0,
        verify=True,
    )


# -- fast: how the file operations are steered and judged --------------------------------------
US = "/api/content/library/item/update-session"
DS = "/api/content/library/item/download-session"
#: The checks of the suite's own read nothing of Schemathesis' check context.
NO_CONTEXT: Any = None


class _FakeSandbox:
    """What CaseShaper asks of the sandbox, without a target."""

    def __init__(self) -> None:
        self.settings = _settings()
        self.counter = itertools.count(1)
        self.added: list[tuple[str, str]] = []
        self.api = SimpleNamespace(update_session_files=SimpleNamespace(add_push=self._add_push))

    def _add_push(self, session_id: str, name: str) -> Any:
        self.added.append((session_id, name))
        return SimpleNamespace(status=201)

    def name(self, kind: str) -> str:
        return f"vcc-run-{kind}-{next(self.counter)}"

    def new_item(self) -> str:
        return f"item-{next(self.counter)}"

    def new_update_session(self, item_id: str) -> str:
        return f"us-{next(self.counter)}"

    def new_download_session(self, item_id: str) -> str:
        return f"ds-{next(self.counter)}"


class _FakeContent:
    def item(self) -> tuple[str, frozenset[str]]:
        return "item-with-content", frozenset({"vcc-content.bin"})


def _shaper(**changes: Any) -> props.CaseShaper:
    settings: dict[str, Any] = {"live_every": 1, "keep_random_every": 0, **changes}
    return props.CaseShaper(_FakeSandbox(), _FakeContent(), **settings)  # type: ignore[arg-type]


def _case(schema: Any, operation_id: str, **parts: Any) -> Any:
    return schema.find_operation_by_id(operation_id).Case(**parts)


def test_file_requests_are_steered_to_live_objects_and_existing_names(
    schema_of: Callable[[str], Any],
) -> None:
    shaper = _shaper()
    updates, downloads = (
        schema_of(props.UPDATE_FILE_FRAGMENT),
        schema_of(props.DOWNLOAD_FILE_FRAGMENT),
    )
    get = _case(
        updates,
        "update_session_file_get",
        path_parameters={"update_session_id": "x", "file_name": "y"},
    )
    assert shaper.shape(get)
    session = get.path_parameters["update_session_id"]
    assert session.startswith("us-")
    # The live session starts with two files the sandbox added (never sent): get one of them.
    assert (session, get.path_parameters["file_name"]) in shaper.sandbox.added  # type: ignore[attr-defined]
    assert len(shaper.sandbox.added) == 2  # type: ignore[attr-defined]
    # The download file operations act on a session on the item with content ...
    fetch = _case(
        downloads,
        "download_session_file_get",
        path_parameters={"download_session_id": "x"},
        query={"file_name": "y"},
    )
    assert shaper.shape(fetch)
    assert fetch.path_parameters["download_session_id"].startswith("ds-")
    assert fetch.query == {"file_name": "vcc-content.bin"}
    # ... and the keyed get goes out as .../file?file_name=<name>, not ?file_name&file_name=.
    assert fetch.path == f"{DS}/{{download_session_id}}/file"
    assert fetch.as_curl_command().endswith("/file?file_name=vcc-content.bin'")
    items = schema_of(props.ITEM_FILE_FRAGMENT)
    listing = _case(items, "library_item_file_list", path_parameters={"library_item_id": "x"})
    assert shaper.shape(listing)
    assert listing.path_parameters == {"library_item_id": "item-with-content"}
    # Without its key, the get would be the list: it is not sent.
    keyless = _case(
        downloads, "download_session_file_get", path_parameters={"download_session_id": "x"}
    )
    assert not shaper.shape(keyless)


def test_acceptance_is_not_judged_for_unknown_names_and_odd_add_names(
    schema_of: Callable[[str], Any],
) -> None:
    shaper = _shaper()
    schema = schema_of(props.UPDATE_FILE_FRAGMENT)
    known = _case(
        schema,
        "update_session_file_remove",
        path_parameters={"update_session_id": "x", "file_name": "y"},
    )
    shaper.shape(known)
    assert positive_data_acceptance not in shaper.excluded_checks(known)
    session, name = known.path_parameters["update_session_id"], known.path_parameters["file_name"]
    shaper.record(known, _response(204, None))
    # A linked step is sent as its link made it; the removed name is unknown now (400 is right).
    again = _case(
        schema,
        "update_session_file_get",
        path_parameters={"update_session_id": session, "file_name": name},
    )
    shaper.shape(again, linked=True)
    assert again.path_parameters == {"update_session_id": session, "file_name": name}
    assert positive_data_acceptance in shaper.excluded_checks(again)
    # An add must be accepted with a plain name, but may be refused with an odd one.
    for add_name, judged in (
        ("disk-1.vmdk", True),
        ("a/b", False),
        ("..", False),
        ("x\u202e", False),
    ):
        add = _case(
            schema,
            "update_session_file_add",
            path_parameters={"update_session_id": session},
            body={"name": add_name, "source_type": "PUSH"},
        )
        shaper.shape(add, linked=True)
        assert (positive_data_acceptance not in shaper.excluded_checks(add)) is judged, add_name
    shaper.record(add, _response(201, {}))  # the last one: now known
    get = _case(
        schema,
        "update_session_file_get",
        path_parameters={"update_session_id": session, "file_name": "x%E2%80%AE"},
    )
    shaper.shape(get, linked=True)
    assert positive_data_acceptance not in shaper.excluded_checks(get)
    # Adds of the fragment's other source types are outside the narrowed body: not sent.
    pull = _case(
        schema,
        "update_session_file_add",
        path_parameters={"update_session_id": session},
        body={"name": "p", "source_type": "PULL"},
    )
    assert not shaper.shape(pull)


def test_a_404_for_a_live_sandbox_object_fails(schema_of: Callable[[str], Any]) -> None:
    shaper = _shaper()
    check = props.sandbox_object_found(shaper)
    schema = schema_of(props.UPDATE_FILE_FRAGMENT)
    get = _case(
        schema,
        "update_session_file_get",
        path_parameters={"update_session_id": "x", "file_name": "y"},
    )
    shaper.shape(get)
    with pytest.raises(props.SandboxObjectNotFound, match="which the sandbox made"):
        check(NO_CONTEXT, _response(404, {}), get)
    assert check(NO_CONTEXT, _response(400, {}), get) is None
    # A random id is not judged (404 is its documented answer) ...
    random = _case(
        schema,
        "update_session_file_get",
        path_parameters={"update_session_id": "x", "file_name": "y"},
    )
    shaper.shape(random, linked=True)
    assert check(NO_CONTEXT, _response(404, {}), random) is None
    # ... nor an item file name the item does not hold (404 documents that too) ...
    items = schema_of(props.ITEM_FILE_FRAGMENT)
    unknown = _case(
        items,
        "library_item_file_get",
        path_parameters={"library_item_id": "item-with-content"},
        query={"name": "nope"},
    )
    shaper.shape(_case(items, "library_item_file_list", path_parameters={"library_item_id": "x"}))
    shaper.shape(unknown, linked=True)
    assert check(NO_CONTEXT, _response(404, {}), unknown) is None
    held = _case(
        items,
        "library_item_file_get",
        path_parameters={"library_item_id": "item-with-content"},
        query={"name": "vcc-content.bin"},
    )
    shaper.shape(held, linked=True)
    with pytest.raises(props.SandboxObjectNotFound):
        check(NO_CONTEXT, _response(404, {}), held)
    # ... nor an add in the ?action=add form (a target may lack it: USF-ADD-ACTION-FORM) ...
    action = _case(
        schema,
        "update_session_file_add_action",
        path_parameters={"update_session_id": "x"},
        body={"name": "a.bin", "source_type": "PUSH"},
    )
    shaper.shape(action)
    assert check(NO_CONTEXT, _response(404, {}), action) is None
    # ... nor a session once a delete of it succeeded.
    sessions = schema_of(props.DOWNLOAD_FRAGMENT)
    delete = _case(
        sessions, "download_session_delete", path_parameters={"download_session_id": "x"}
    )
    shaper.shape(delete)
    shaper.record(delete, _response(204, None))
    after = _case(sessions, "download_session_get", path_parameters={"download_session_id": "x"})
    shaper.shape(after)
    assert after.path_parameters == delete.path_parameters
    assert check(NO_CONTEXT, _response(404, {}), after) is None


def test_file_add_body_is_push_only_with_a_name(schema_of: Callable[[str], Any]) -> None:
    schema = schema_of(props.UPDATE_FILE_FRAGMENT)
    for operation_id in ("update_session_file_add", "update_session_file_add_action"):
        add = schema.find_operation_by_id(operation_id)
        body = add.definition.raw["requestBody"]["content"]["application/json"]["schema"]
        assert set(body["properties"]) == {"name", "source_type", "size", "checksum_info"}
        assert body["properties"]["source_type"]["enum"] == ["PUSH"]
        assert body["properties"]["name"]["minLength"] == 1
        assert body["required"] == ["name", "source_type"]
    # Responses are judged by the fragment as written.
    info = {"name": "a", "source_type": "PULL", "bytes_transferred": 0, "status": "READY"}
    assert schema.find_operation_by_id("update_session_file_get").is_valid_response(
        _response(200, info)
    )


def test_generation_does_not_depend_on_the_suites_own_literals() -> None:
    from hypothesis.internal.conjecture import providers

    original = providers._get_local_constants
    with props.code_independent_generation():
        assert len(providers._get_local_constants()) == 0
    assert providers._get_local_constants is original


# -- fast: what a target may do with an input, and forward-compatible answers ------------------
def _body_schema(document: dict[str, Any], operation_id: str) -> Any:
    for item in document["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                return operation["requestBody"]["content"]["application/json"]["schema"]
    raise KeyError(operation_id)


def test_valid_request_bodies_carry_no_unknown_property() -> None:
    updates = props.generation_document(props.UPDATE_FRAGMENT)
    create = _body_schema(updates, "update_session_create")
    assert create["additionalProperties"] is False
    assert create["properties"]["warning_behavior"]["items"]["additionalProperties"] is False
    assert _body_schema(updates, "update_session_keep_alive")["additionalProperties"] is False
    files = props.generation_document(props.UPDATE_FILE_FRAGMENT)
    add = _body_schema(files, "update_session_file_add")
    assert add["properties"]["checksum_info"]["additionalProperties"] is False
    # The components (and so every response schema) stay open to new properties.
    assert "additionalProperties" not in updates["components"]["schemas"]["UpdateSessionModel"]


def test_only_documented_refusals_are_judged_as_must_refuse(
    schema_of: Callable[[str], Any],
) -> None:
    judged = props.InputJudgement
    updates, files = schema_of(props.UPDATE_FRAGMENT), schema_of(props.UPDATE_FILE_FRAGMENT)
    sid = {"update_session_id": "us-1"}
    unknown_warning = {"type": "NOT_A_WARNING_TYPE", "ignored": True}
    cases: list[tuple[Any, str, dict[str, Any], Any]] = [
        (updates, "update_session_create", {"body": {"library_item_id": "i"}}, judged.MUST_ACCEPT),
        # wrong JSON type, missing required field, value outside a documented enum
        (updates, "update_session_create", {"body": {"library_item_id": 5}}, judged.MUST_REFUSE),
        (updates, "update_session_create", {"body": {}}, judged.MUST_REFUSE),
        (
            updates,
            "update_session_create",
            {"body": {"library_item_id": "i", "warning_behavior": [unknown_warning]}},
            judged.MUST_REFUSE,
        ),
        # an unknown property, a client_token that is no UUID: the target may do either
        (
            updates,
            "update_session_create",
            {"body": {"library_item_id": "i", "surprise": 1}},
            judged.OPEN,
        ),
        (
            updates,
            "update_session_create",
            {"body": {"library_item_id": "i"}, "query": {"client_token": "not-a-uuid"}},
            judged.OPEN,
        ),
        # an undocumented range: not sent (an accepted 101 would be echoed by get)
        (
            updates,
            "update_session_keep_alive",
            {"path_parameters": sid, "body": {"client_progress": 101}},
            judged.NOT_SENT,
        ),
        (
            files,
            "update_session_file_add",
            {"path_parameters": sid, "body": {"name": "a", "source_type": "PUSH", "size": -1}},
            judged.NOT_SENT,
        ),
        # an empty file name: a SHOULD (USF-ADD-EMPTY-NAME-400), not sent here
        (
            files,
            "update_session_file_add",
            {"path_parameters": sid, "body": {"name": "", "source_type": "PUSH"}},
            judged.NOT_SENT,
        ),
    ]
    for schema, operation_id, parts, expected in cases:
        case = _case(schema, operation_id, media_type="application/json", **parts)
        assert props.judge_input(case) is expected, (operation_id, parts)
    # The checks follow: acceptance only for MUST_ACCEPT, refusal only for MUST_REFUSE.
    shaper = _shaper()
    for body, accept, refuse in (
        ({"library_item_id": "i"}, True, False),
        ({"library_item_id": "i", "surprise": 1}, False, False),
        ({"library_item_id": 5}, False, True),
    ):
        case = _case(updates, "update_session_create", body=body, media_type="application/json")
        assert shaper.shape(case)
        excluded = shaper.excluded_checks(case)
        assert (positive_data_acceptance not in excluded) is accept, body
        assert (compat.negative_data_rejection not in excluded) is refuse, body
    keep_alive = _case(
        updates,
        "update_session_keep_alive",
        path_parameters=sid,
        body={"client_progress": 101},
        media_type="application/json",
    )
    assert not shaper.shape(keep_alive)


def test_every_request_carries_a_fresh_client_token(schema_of: Callable[[str], Any]) -> None:
    shaper = _shaper()
    schema = schema_of(props.UPDATE_FRAGMENT)
    token = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
    sent = []
    for n, (query, headers) in enumerate(
        (
            ({"client_token": token}, {}),
            ({"client_token": token}, {"Client-Token": token}),
            ({}, {"Client-Token": token}),
            ({"client_token": "abc"}, {}),
        )
    ):
        case = _case(
            schema,
            "update_session_create",
            body={"library_item_id": f"i{n}"},
            query=dict(query),
            headers=dict(headers),
            media_type="application/json",
        )
        assert shaper.shape(case)
        assert not ("client_token" in case.query and "Client-Token" in case.headers)
        sent.append(case.query.get("client_token") or case.headers.get("Client-Token"))
    assert len(set(sent)) == len(sent) and token not in sent
    assert all(props.fresh_token(token) != props.fresh_token(token) for _ in range(3))
    # A UUID stays a UUID, anything else stays no UUID.
    assert re.fullmatch(r"[0-9a-f-]{36}", sent[0])
    assert sent[3].startswith("abc-") and not re.fullmatch(r"[0-9a-f-]{36}", sent[3])


def _vapi_error(error_type: str) -> dict[str, Any]:
    return {
        "error_type": error_type,
        "messages": [{"id": "x", "default_message": "no", "args": []}],
    }


def test_an_undocumented_standard_error_passes_when_its_status_is_standard(
    schema_of: Callable[[str], Any],
) -> None:
    schema = schema_of(props.UPDATE_FRAGMENT)
    create = _case(schema, "update_session_create", body={"library_item_id": "i"})
    check = props.documented_or_standard_response
    for error_type in ("INVALID_REQUEST", "UNEXPECTED_INPUT", "INVALID_ARGUMENT"):
        assert check(NO_CONTEXT, _response(400, _vapi_error(error_type)), create) is None
    # NOT_FOUND's standard status is 404, not 400; a body that is no vAPI error fails too.
    with pytest.raises(AssertionError):
        check(NO_CONTEXT, _response(400, _vapi_error("NOT_FOUND")), create)
    with pytest.raises(AssertionError):
        check(NO_CONTEXT, _response(400, {"error": "bad"}), create)
    # The documented bodies are judged as before.
    get = _case(schema, "update_session_get", path_parameters={"update_session_id": "x"})
    with pytest.raises(AssertionError):
        check(NO_CONTEXT, _response(200, {"state": "ACTIVE"}), get)


def test_forward_compatible_answers_pass(schema_of: Callable[[str], Any]) -> None:
    from schemathesis.specs.openapi.checks import content_type_conformance

    schema = schema_of(props.UPDATE_FRAGMENT)
    get = _case(schema, "update_session_get", path_parameters={"update_session_id": "x"})
    info = {
        "library_item_id": "item:7",
        "library_item_content_version": "1",
        "client_progress": 0,
        "state": "ACTIVE",
        "expiration_time": "2026-12-06T05:21:09+00:00",  # an offset, no fractions
        "new_field_of_a_later_release": {"x": 1},
    }
    response = _response(200, info, content_type="application/json; charset=utf-8")
    assert props.documented_or_standard_response(NO_CONTEXT, response, get) is None
    assert content_type_conformance(NO_CONTEXT, response, get) is None
    for moment in ("2026-12-06T05:21:09.123456Z", "2026-12-06t05:21:09-07:30"):
        answer = _response(200, {**info, "expiration_time": moment})
        assert props.documented_or_standard_response(NO_CONTEXT, answer, get) is None, moment
    # ... while a date-time without a zone is no RFC 3339 date-time.
    with pytest.raises(AssertionError):
        no_zone = _response(200, {**info, "expiration_time": "2026-12-06T05:21:09"})
        props.documented_or_standard_response(NO_CONTEXT, no_zone, get)


def test_the_catalog_names_every_judged_check_under_its_requirement() -> None:
    from conformance.catalog import catalog

    entries = {r.id: r for r in catalog().requirements if r.id.startswith("PROP-")}
    for name, judged in props.JUDGED.items():
        requirement = "PROP-STATEFUL" if judged.stateful_only else "PROP-CONTRACT"
        assert name in entries[requirement].text, (name, requirement)
    for name in props.NOT_JUDGED:
        assert name in (entries["PROP-CONTRACT"].accepts or ""), name


def test_unavailable_answers_are_retried_then_noted() -> None:
    # Every second request answers 503: the retry gets through, nothing is noted.
    settings = MockSettings(user=USER, password=PASSWORD, faults=Faults(unavailable_every=2))
    with MockServer(settings) as server:
        http = props.TargetHttp(verify=True, retries=2, delay=0)
        answers = [http.get(f"{server.url}/api/session").status_code for _ in range(4)]
        assert answers == [401] * 4 and http.unavailable == []
    # Every request answers 503: three tries, then the answer is noted (an Error, not a Fail).
    settings = MockSettings(user=USER, password=PASSWORD, faults=Faults(unavailable_every=1))
    with MockServer(settings) as server:
        http = props.TargetHttp(verify=True, retries=2, delay=0)
        assert http.get(f"{server.url}/api/session").status_code == 503
        assert len(http.unavailable) == 1 and "503 3 times" in http.unavailable[0]


def test_a_deleted_session_that_still_answers_fails(schema_of: Callable[[str], Any]) -> None:
    shaper = _shaper(skip_repeats=False)  # as in the stateful test: a repeat is a new step
    check = props.deleted_session_gone(shaper)
    schema = schema_of(props.UPDATE_FRAGMENT)
    sid = {"update_session_id": "us-9"}
    delete = _case(schema, "update_session_delete", path_parameters=dict(sid))
    shaper.shape(delete, linked=True)
    assert check(NO_CONTEXT, _response(204, None), delete) is None  # the delete itself
    shaper.record(delete, _response(204, None))
    for operation_id, status, body, fails in (
        ("update_session_delete", 204, None, True),
        ("update_session_complete", 204, None, True),
        ("update_session_cancel", 400, _vapi_error("NOT_ALLOWED_IN_CURRENT_STATE"), True),
        ("update_session_complete", 404, _vapi_error("NOT_FOUND"), False),
        ("update_session_fail", 400, _vapi_error("INVALID_ARGUMENT"), False),
    ):
        later = _case(schema, operation_id, path_parameters=dict(sid))
        shaper.shape(later, linked=True)
        if fails:
            with pytest.raises(props.DeletedSessionFound, match="an earlier delete removed"):
                check(NO_CONTEXT, _response(status, body), later)
        else:
            assert check(NO_CONTEXT, _response(status, body), later) is None
    # A delete that was refused (the session was ACTIVE) removed nothing.
    other = {"update_session_id": "us-10"}
    refused = _case(schema, "update_session_delete", path_parameters=dict(other))
    shaper.shape(refused, linked=True)
    shaper.record(refused, _response(400, _vapi_error("NOT_ALLOWED_IN_CURRENT_STATE")))
    get = _case(schema, "update_session_get", path_parameters=dict(other))
    shaper.shape(get, linked=True)
    assert check(NO_CONTEXT, _response(200, {}), get) is None


def test_a_generated_id_may_be_refused_as_malformed(schema_of: Callable[[str], Any]) -> None:
    shaper = _shaper()
    check = props.documented_status(shaper)
    schema = schema_of(props.UPDATE_FRAGMENT)
    invalid = _vapi_error("INVALID_ARGUMENT")
    # An id the target never gave: 404 (unknown) or 400 (malformed) both conform ...
    random = _case(schema, "update_session_get", path_parameters={"update_session_id": "0"})
    shaper.shape(random, linked=True)
    assert check(NO_CONTEXT, _response(404, _vapi_error("NOT_FOUND")), random) is None
    assert check(NO_CONTEXT, _response(400, invalid), random) is None
    assert positive_data_acceptance in shaper.excluded_checks(random)
    # ... but not a 400 that is no standard error, nor a 400 for the target's own id.
    with pytest.raises(AssertionError):
        check(NO_CONTEXT, _response(400, {"error": "malformed"}), random)
    live = _case(schema, "update_session_get", path_parameters={"update_session_id": "x"})
    shaper.shape(live)
    assert live.path_parameters["update_session_id"].startswith("us-")
    with pytest.raises(AssertionError):
        check(NO_CONTEXT, _response(400, invalid), live)
    assert positive_data_acceptance not in shaper.excluded_checks(live)
