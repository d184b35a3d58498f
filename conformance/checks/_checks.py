"""Pure checks: each looks at an exchange or a value and raises a typed failure.

A check never returns False and never talks to the target. Requirement ids
that every check shares (the error body, the content type) are constants
here, so the catalog and the checks cannot drift apart silently: a test in
``tests/`` asserts each of them is in the catalog.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from conformance.client import Exchange

from ._contract import (
    contract,
    error_definition_name,
    is_datetime_error,
    standard_error_types,
    validation_errors,
)
from ._datetimes import is_rfc3339
from ._failures import (
    ErrorBodyMismatch,
    ResponseSchemaMismatch,
    UnexpectedContentType,
    UnexpectedErrorType,
    UnexpectedStatus,
    UnexpectedValue,
)

#: Every error body is a bare vAPI standard error (seed page 003, contract §6.1).
ERROR_BODY_REQUIREMENT = "ERR-BODY-SCHEMA"
#: Every JSON answer says ``application/json`` (seed pages: "of type(s) application/json").
JSON_CONTENT_TYPE_REQUIREMENT = "WIRE-JSON-CONTENT-TYPE"
#: Date-times carry a time zone (contract §7.3, §10.13).
DATETIME_REQUIREMENT = "WIRE-DATETIME-FORMAT"


def _as_set(value: int | Collection[int]) -> frozenset[int]:
    return frozenset([value]) if isinstance(value, int) else frozenset(value)


def _show(statuses: frozenset[int]) -> str:
    ordered = sorted(statuses)
    if len(ordered) > 3 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{ordered[0]}-{ordered[-1]}"
    return " or ".join(str(s) for s in ordered)


def check_status(
    exchange: Exchange, expected: int | Collection[int], requirement: str, what: str
) -> None:
    """The response status is one of ``expected``."""
    statuses = _as_set(expected)
    if exchange.status not in statuses:
        raise UnexpectedStatus(
            requirement,
            f"{what}: expected HTTP {_show(statuses)}, got {exchange.status}"
            + exchange.on_the_wire,
            expected=_show(statuses),
            actual=exchange.status,
            exchange=exchange,
        )


def check_json_content_type(
    exchange: Exchange, requirement: str = JSON_CONTENT_TYPE_REQUIREMENT
) -> None:
    """A response with a body declares ``application/json`` (or ``+json``)."""
    if not exchange.response_text:
        return
    media_type = exchange.content_type.split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise UnexpectedContentType(
            requirement,
            f"{exchange.method} {exchange.url} answered {exchange.status} with a body "
            f"of Content-Type {exchange.content_type or '(none)'!r}{exchange.on_the_wire}",
            expected="application/json",
            actual=exchange.content_type or None,
            exchange=exchange,
        )


def check_error_body(
    exchange: Exchange, error_type: str | None = None, requirement: str = ERROR_BODY_REQUIREMENT
) -> None:
    """The body is a bare vAPI standard error (of ``error_type``'s schema, when given)."""
    body = exchange.json_or(_NOT_JSON)
    if body is _NOT_JSON:
        raise ErrorBodyMismatch(
            requirement,
            "the error response has no JSON body",
            expected="a vAPI error: {error_type, messages[, data]}",
            actual=exchange.response_text[:200] or "(empty body)",
            exchange=exchange,
        )
    definition = "Error" if error_type is None else error_definition_name(error_type)
    generic = contract().error_validator("Error")
    problems = validation_errors(generic, body)
    if not problems and error_type is not None:
        # The type itself is judged by check_error_type, under the operation's requirement.
        specific = contract().error_validator(definition)
        problems = [p for p in validation_errors(specific, body) if not p.startswith("error_type")]
    if problems:
        raise ErrorBodyMismatch(
            requirement,
            "the error body does not match the vAPI standard error schema "
            f"(vapi-errors.schema.json#/$defs/{definition})",
            expected=f"$defs/{definition}",
            actual="; ".join(problems),
            exchange=exchange,
        )


def check_error_type(
    exchange: Exchange, expected: str | Collection[str], requirement: str, what: str
) -> None:
    """The vAPI ``error_type`` is one of ``expected``.

    A body with no readable ``error_type`` is left to :func:`check_error_body`,
    which reports it under the error-body requirement.
    """
    wanted = frozenset([expected]) if isinstance(expected, str) else frozenset(expected)
    body = exchange.json
    actual = body.get("error_type") if isinstance(body, dict) else None
    if isinstance(actual, str) and actual not in wanted:
        raise UnexpectedErrorType(
            requirement,
            f"{what}: expected error_type {' or '.join(sorted(wanted))}, got {actual}",
            expected=" or ".join(sorted(wanted)),
            actual=actual,
            exchange=exchange,
        )


def check_standard_error(exchange: Exchange, requirement: str, what: str) -> None:
    """An error the docs do not type: any standard vAPI error whose standard status
    (``standard_error_types``) is the response's status conforms."""
    allowed = standard_error_types(exchange.status)
    if not allowed:
        raise UnexpectedStatus(
            requirement,
            f"{what}: HTTP {exchange.status} is the standard status of no vAPI error",
            expected="a status of a vAPI standard error",
            actual=exchange.status,
            exchange=exchange,
        )
    check_error_type(exchange, allowed, requirement, what)


def check_response_schema(
    exchange: Exchange, operation_id: str, requirement: str, *, datetimes: bool = True
) -> None:
    """The body matches the schema the contract documents for this operation and status.

    ``datetimes=False`` leaves date-time formats to :func:`check_response_datetimes`,
    so that they are reported under their own requirement.
    """
    validator = contract().response_validator(operation_id, exchange.status)
    if validator is None:
        return
    body = exchange.json_or(_NOT_JSON)
    if body is _NOT_JSON:
        raise ResponseSchemaMismatch(
            requirement,
            f"{operation_id} answered {exchange.status} without the JSON body "
            "the contract documents",
            actual=exchange.response_text[:200] or "(empty body)",
            exchange=exchange,
        )
    keep = None if datetimes else (lambda e: not is_datetime_error(e))
    problems = validation_errors(validator, body, only=keep)
    if problems:
        raise ResponseSchemaMismatch(
            requirement,
            f"{operation_id} answered {exchange.status} with a body that breaks the contract",
            expected=f"the {exchange.status} schema of {operation_id}",
            actual="; ".join(problems),
            exchange=exchange,
        )


def check_response_datetimes(
    exchange: Exchange, operation_id: str, requirement: str = DATETIME_REQUIREMENT
) -> None:
    """Every field the contract types as ``date-time`` is an RFC 3339 date-time."""
    validator = contract().response_validator(operation_id, exchange.status)
    body = exchange.json_or(_NOT_JSON)
    if validator is None or body is _NOT_JSON:
        return
    problems = validation_errors(validator, body, only=is_datetime_error)
    if problems:
        raise UnexpectedValue(
            requirement,
            f"{operation_id} answered with a date-time that is not RFC 3339",
            expected="YYYY-MM-DDThh:mm:ss[.sss](Z|±hh:mm)",
            actual="; ".join(problems),
            exchange=exchange,
        )


def check_datetime(
    value: Any,
    field: str,
    exchange: Exchange | None = None,
    requirement: str = DATETIME_REQUIREMENT,
) -> None:
    """An RFC 3339 date-time with a time zone, as the official bindings require (contract §7.3)."""
    if not is_rfc3339(value):
        raise UnexpectedValue(
            requirement,
            f"{field} is not an RFC 3339 date-time with a time zone",
            expected="YYYY-MM-DDThh:mm:ss[.sss](Z|±hh:mm)",
            actual=value,
            exchange=exchange,
        )


def check_that(
    condition: bool,
    requirement: str,
    message: str,
    *,
    expected: Any = None,
    actual: Any = None,
    exchange: Exchange | None = None,
) -> None:
    """A rule the other checks do not name: raise :class:`UnexpectedValue` unless ``condition``."""
    if not condition:
        raise UnexpectedValue(
            requirement, message, expected=expected, actual=actual, exchange=exchange
        )


def check_equal(
    actual: Any,
    expected: Any,
    requirement: str,
    what: str,
    *,
    exchange: Exchange | None = None,
) -> None:
    """``actual == expected``, or an :class:`UnexpectedValue` whose message shows both sides
    (a ``None`` too, which the expected/actual lines of a report leave out)."""
    if actual != expected:
        raise UnexpectedValue(
            requirement,
            f"{what}: expected {_brief(expected)}, got {_brief(actual)}",
            expected=expected,
            actual=actual,
            exchange=exchange,
        )


def _brief(value: Any, limit: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


class _NotJson:
    def __repr__(self) -> str:
        return "<not JSON>"


_NOT_JSON: Any = _NotJson()
