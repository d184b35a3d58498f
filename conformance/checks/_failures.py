"""Typed conformance failures: the target broke a named requirement.

Hierarchy (all subclass ``AssertionError``, as Schemathesis's failures do)::

    ConformanceFailures         several failures found by one test
    ConformanceFailure          base: carries the requirement id, expected, actual
    ├── UnexpectedStatus        wrong HTTP status code
    ├── UnexpectedContentType   a JSON answer without application/json
    ├── ErrorBodyMismatch       an error body that is not a vAPI standard error
    ├── UnexpectedErrorType     a vAPI error of the wrong ``error_type``
    ├── ResponseSchemaMismatch  a success body that breaks the contract's schema
    ├── UnexpectedState         a session in the wrong state after an operation
    └── UnexpectedValue         any other observed value that breaks a rule

A failure is never raised for a problem of the suite or of the network; those
are ``conformance.client.ClientError`` and are reported as Error.
"""

from __future__ import annotations

from typing import Any

from conformance.client import Exchange


class ConformanceFailure(AssertionError):
    """The target does not conform to ``requirement_id``."""

    title = "Conformance failure"

    def __init__(
        self,
        requirement_id: str,
        message: str,
        *,
        expected: Any = None,
        actual: Any = None,
        exchange: Exchange | None = None,
    ) -> None:
        self.requirement_id = requirement_id
        self.message = message
        self.expected = expected
        self.actual = actual
        self.exchange = exchange
        super().__init__(self.render())

    def render(self) -> str:
        lines = [f"[{self.requirement_id}] {self.title}: {self.message}"]
        if self.expected is not None:
            lines.append(f"  expected: {self.expected}")
        if self.actual is not None:
            lines.append(f"  actual:   {self.actual}")
        if self.exchange is not None:
            lines.append(self.exchange.describe(limit=1500))
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "requirement": self.requirement_id,
            "kind": type(self).__name__,
            "title": self.title,
            "message": self.message,
            "expected": _plain(self.expected),
            "actual": _plain(self.actual),
            "exchange": self.exchange.to_dict() if self.exchange else None,
            "curl": self.exchange.as_curl() if self.exchange else None,
        }


class ConformanceFailures(AssertionError):
    """Several failures found by one test (soft checks let a test go on after one)."""

    def __init__(
        self,
        failures: list[ConformanceFailure],
        *,
        stopped: bool = False,
        judged: frozenset[str] = frozenset(),
    ) -> None:
        self.failures = list(failures)
        #: True when the last failure stopped the test (the others were soft)
        self.stopped = stopped
        #: requirements whose checks had passed before the test stopped: judged, not "not judged"
        self.judged = judged
        text = "\n\n".join(f.render() for f in self.failures)
        super().__init__(f"{len(self.failures)} conformance failure(s):\n{text}")


class UnexpectedStatus(ConformanceFailure):
    title = "Unexpected status code"


class UnexpectedContentType(ConformanceFailure):
    title = "Unexpected Content-Type"


class ErrorBodyMismatch(ConformanceFailure):
    title = "Error body is not a vAPI standard error"


class UnexpectedErrorType(ConformanceFailure):
    title = "Unexpected vAPI error_type"


class ResponseSchemaMismatch(ConformanceFailure):
    title = "Response body does not match the contract"


class UnexpectedState(ConformanceFailure):
    title = "Unexpected session state"


class UnexpectedValue(ConformanceFailure):
    title = "Unexpected value"


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return value
    return repr(value)
