"""Conformance checks: pure functions that raise a typed failure naming a requirement."""

from ._checks import (
    DATETIME_REQUIREMENT,
    ERROR_BODY_REQUIREMENT,
    JSON_CONTENT_TYPE_REQUIREMENT,
    check_datetime,
    check_error_body,
    check_error_type,
    check_json_content_type,
    check_response_datetimes,
    check_response_schema,
    check_status,
    check_that,
)
from ._contract import Contract, contract, error_definition_name
from ._failures import (
    ConformanceFailure,
    ConformanceFailures,
    ErrorBodyMismatch,
    ResponseSchemaMismatch,
    UnexpectedContentType,
    UnexpectedErrorType,
    UnexpectedState,
    UnexpectedStatus,
    UnexpectedValue,
)

__all__ = [
    "DATETIME_REQUIREMENT",
    "ERROR_BODY_REQUIREMENT",
    "JSON_CONTENT_TYPE_REQUIREMENT",
    "ConformanceFailure",
    "ConformanceFailures",
    "Contract",
    "ErrorBodyMismatch",
    "ResponseSchemaMismatch",
    "UnexpectedContentType",
    "UnexpectedErrorType",
    "UnexpectedState",
    "UnexpectedStatus",
    "UnexpectedValue",
    "check_datetime",
    "check_error_body",
    "check_error_type",
    "check_json_content_type",
    "check_response_datetimes",
    "check_response_schema",
    "check_status",
    "check_that",
    "contract",
    "error_definition_name",
]
