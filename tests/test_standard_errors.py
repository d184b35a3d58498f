"""The standard status of each vAPI error type: what a 4xx the docs do not type is judged by."""

from __future__ import annotations

import json

import pytest

from conformance.checks import (
    UnexpectedErrorType,
    UnexpectedStatus,
    check_standard_error,
    contract,
    standard_error_types,
)
from conformance.client import Exchange


def test_every_error_type_has_a_standard_status() -> None:
    error_type = contract().error_schema["$defs"]["ErrorType"]
    assert set(error_type["x-http-status"]) == set(error_type["enum"])


def test_a_malformed_request_may_be_invalid_argument_or_invalid_request() -> None:
    assert {"INVALID_ARGUMENT", "INVALID_REQUEST", "UNEXPECTED_INPUT"} <= standard_error_types(400)


def test_resource_busy_is_400_or_500_as_the_sources_conflict() -> None:
    assert "RESOURCE_BUSY" in standard_error_types(400)
    assert "RESOURCE_BUSY" in standard_error_types(500)


def test_a_404_is_never_an_input_error() -> None:
    assert standard_error_types(404) == {"NOT_FOUND", "OPERATION_NOT_FOUND"}
    assert "INVALID_ARGUMENT" not in standard_error_types(404)
    assert standard_error_types(418) == frozenset()


def _exchange(status: int, error_type: str) -> Exchange:
    body = {"error_type": error_type, "messages": [{"id": "x", "default_message": "x", "args": []}]}
    return Exchange(
        method="POST",
        url="http://vc/api/x",
        request_headers={},
        request_body=None,
        status=status,
        response_headers={"Content-Type": "application/json"},
        response_text=json.dumps(body),
        elapsed_ms=1.0,
    )


def test_check_standard_error_accepts_any_type_of_the_matching_status() -> None:
    check_standard_error(_exchange(400, "INVALID_REQUEST"), "REQ", "malformed body")
    check_standard_error(_exchange(500, "RESOURCE_BUSY"), "REQ", "busy")


def test_check_standard_error_fails_a_type_of_another_status() -> None:
    with pytest.raises(UnexpectedErrorType):
        check_standard_error(_exchange(400, "NOT_FOUND"), "REQ", "malformed body")
    with pytest.raises(UnexpectedStatus):
        check_standard_error(_exchange(418, "INVALID_ARGUMENT"), "REQ", "malformed body")
