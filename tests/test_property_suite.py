"""The Schemathesis property tests (``conformance/suites/test_properties.py``) judge correctly.

The fast tests check how the property tests are set up: which operations they
cover, which Schemathesis checks they change and how, the narrowed request
bodies, the state machines' entry points, the failure message, and how file
requests are steered to live sandbox objects and judged (against a fake sandbox).

The slow tests run the suite as a user would (``python -m conformance run`` in a
subprocess) against the bundled mock: the property tests pass against the
conforming mock, and fail (exit 1, PROP-CONTRACT or PROP-STATEFUL ``fail`` in
results.json) against a mock with one rule broken. Each run selects only the
property tests that judge its flaw, so that it stays quick; the runs go in
parallel, each against its own mock. No run may print the API session token.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests
import schemathesis
from schemathesis.core.failures import FailureGroup, ServerError
from schemathesis.specs.openapi.checks import positive_data_acceptance
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
        f"{CONTRACT} and update_session_create or {STATEFUL} and update-session.openapi",
        {"PROP-CONTRACT", "PROP-STATEFUL"},
    ),
    # response_schema_conformance on error bodies, in both tests
    "error-body-legacy-envelope": (
        f"{CONTRACT} and update_session_get or {STATEFUL} and update-session.openapi",
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
    # negative_data_rejection: the add body's name is not empty (the narrowed AddSpec)
    "empty-file-name-accepted": (f"{CONTRACT} and update_session_file_add", {"PROP-CONTRACT"}),
    # use_after_free: add -> remove -> get finds the removed file
    "remove-keeps-file": (f"{STATEFUL} and update-session-file", {"PROP-STATEFUL"}),
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


def _response(status: int, body: Any) -> schemathesis.Response:
    return schemathesis.Response(
        status_code=status,
        headers={"content-type": ["application/json"]},
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
    return props.CaseShaper(_FakeSandbox(), "r", _FakeContent(), **settings)  # type: ignore[arg-type]


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
    check = shaper.additional_checks()[0]
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
