"""Errors a user can act on in one read: the cause kept, one root cause, no library tracebacks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from suite_runner import PASSWORD, USER, run_suite

from conformance.client import (
    Exchange,
    LoginFailed,
    RequestTimeout,
    ServiceUnavailable,
    TransportError,
    UnexpectedResponse,
)
from conformance.config import Config
from conformance.mock import MockServer, MockSettings, parse_fault_spec
from conformance.reporting._errors import tidy_error
from conformance.sandbox import connect, datastore_problem


def exchange(status: int, body: object) -> Exchange:
    return Exchange(
        method="POST",
        url="https://vc.example/api/content/local-library",
        request_headers={"Content-Type": "application/json"},
        request_body='{"name": "x"}',
        status=status,
        response_headers={"content-type": "application/json"},
        response_text=json.dumps(body),
        elapsed_ms=3.0,
    )


NOT_A_DATASTORE = {
    "error_type": "INVALID_ARGUMENT",
    "messages": [
        {
            "id": "com.vmware.vdcs.cls-main.invalid_storage_backing",
            "default_message": "The storage backing is not a known datastore.",
            "args": [],
        }
    ],
}


@pytest.fixture
def mock_server() -> Iterator[MockServer]:
    with MockServer(MockSettings(user=USER, password=PASSWORD)) as server:
        yield server


# -- tidy messages -------------------------------------------------------------
def test_setup_error_message_is_one_line_with_the_cause_and_what_to_do() -> None:
    error = UnexpectedResponse(
        "setup step failed: creating the sandbox library answered 400, expected 200 or 201\n"
        + exchange(400, NOT_A_DATASTORE).describe(),
        exchange(400, NOT_A_DATASTORE),
    )
    message = tidy_error(error)
    assert "\n" not in message
    what, cause = message.split(": ", 1)[0], message
    assert what == "setup step failed"
    # the cause comes before any advice, and well within a console line
    assert message.index("INVALID_ARGUMENT: The storage backing is not a known datastore.") < 160
    assert "--datastore" in message  # what to do
    assert "User-Agent" not in cause and "> POST" not in cause  # no transcript in the summary


def test_setup_error_without_a_vapi_body_names_the_status_and_text() -> None:
    error = UnexpectedResponse(
        "setup step failed: creating a library item answered 502", exchange(502, "Bad gateway")
    )
    message = tidy_error(error)
    assert "creating a library item answered 502" in message and "Bad gateway" in message


@pytest.mark.parametrize(
    ("error", "advice"),
    [
        (RequestTimeout("GET https://vc.example/api/x: no answer within 30 s"), "--timeout"),
        (TransportError("GET https://vc.example/api/x: Connection refused"), "reachable"),
        (
            ServiceUnavailable(
                "GET https://vc.example/api/x: 503 after 3 tries", exchange(503, {})
            ),
            "later",
        ),
        (LoginFailed("login refused (401): check the user, the password"), "check the user"),
        (KeyError("state"), "suite"),
    ],
)
def test_each_kind_of_error_says_what_to_do(error: Exception, advice: str) -> None:
    message = tidy_error(error)
    assert "\n" not in message
    assert str(error).splitlines()[0].strip("'") in message
    assert advice in message


def test_a_chained_library_error_is_not_dumped() -> None:
    try:
        try:
            raise ConnectionResetError("[Errno 104] Connection reset by peer")
        except ConnectionResetError as low:
            raise TransportError("GET https://vc.example/api/x: connection reset") from low
    except TransportError as error:
        message = tidy_error(error)
    assert "Errno 104" not in message and "connection reset" in message


# -- the datastore, checked before the run ---------------------------------------
def test_datastore_problem_names_the_wrong_id_and_the_known_ones(mock_server: MockServer) -> None:
    from conformance.client import VcenterApi

    def problem(datastore: str | None) -> str | None:
        settings = Config(target=mock_server.url, user=USER, password=PASSWORD, datastore=datastore)
        client = connect(settings)
        client.login()
        try:
            return datastore_problem(VcenterApi(client), settings)
        finally:
            client.logout()
            client.close()

    known = [d.id for d in mock_server.backend.library.datastores()]
    assert problem(None) is None
    assert problem(known[0]) is None
    message = problem("datastore-bogus")
    assert message is not None and "\n" not in message
    assert "--datastore datastore-bogus" in message and known[0] in message


def test_wrong_datastore_is_one_clear_line_and_exit_3(
    tmp_path: Path, mock_server: MockServer
) -> None:
    run = run_suite(
        tmp_path, "--no-property-tests", "--datastore", "datastore-bogus", target=mock_server.url
    )
    assert run.returncode == 3, run.explain()
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, run.stderr
    assert "--datastore datastore-bogus" in lines[0] and "no such datastore" in lines[0]
    assert run.stdout.strip() == ""  # no test ran
    assert "--datastore datastore-bogus" in run.results["error"]
    assert set(run.statuses().values()) == {"not_run"}


# -- one root cause when a session fixture fails -----------------------------------
def test_a_failed_sandbox_is_reported_once_and_the_rest_as_precondition_failed(
    tmp_path: Path,
) -> None:
    # Login and the datastore check pass; creating the sandbox library answers 503 always.
    faults = parse_fault_spec("unavailable_every=1,paths=/api/content/local-library")
    with MockServer(MockSettings(user=USER, password=PASSWORD, faults=faults)) as server:
        run = run_suite(
            tmp_path,
            "--no-property-tests",
            "-k",
            "test_update_session",
            target=server.url,
        )
    results = run.results
    errors = [t for t in results["tests"] if t["status"] == "error"]
    assert len(errors) >= 3, run.explain()
    first, rest = errors[0], errors[1:]
    cause = first["message"]
    assert "precondition failed" not in cause and "\n" not in cause
    assert "503" in cause and "/api/content/local-library" in cause, cause
    for test in rest:
        assert test["message"] == f"precondition failed: {cause}", test
    # One traceback for the root cause, not one per test; no library frames at all.
    assert run.stdout.count("sandbox.py") <= 1, run.stdout[-3000:]
    assert "site-packages" not in run.stdout
    assert run.stdout.count("precondition failed: ") >= len(rest)
    for req in results["requirements"]:
        if req["status"] == "error":
            assert "503" in req["message"], req
