"""The ``verify`` fixture's object: checks that a test may keep going after.

A status check stops the test (nothing after it can be judged), but a wrong
Content-Type or a malformed error body does not change what the rest of the
test can observe, so those are recorded and the test goes on. Recorded
failures are raised when the test ends (see ``conftest.pytest_pyfunc_call``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from conformance.catalog import AcceptedError, catalog
from conformance.checks import (
    ConformanceFailure,
    check_error_body,
    check_error_type,
    check_json_content_type,
    check_response_datetimes,
    check_response_schema,
    check_status,
    check_that,
    standard_error_types,
)
from conformance.client import Exchange, SessionApi


class Verifier:
    def __init__(self) -> None:
        self.failures: list[ConformanceFailure] = []
        #: requirements with at least one check passed (and none failed) in this test
        self.judged: set[str] = set()
        #: the last exchange judged: what a later ``that()`` failure shows by default
        self.last_exchange: Exchange | None = None

    def soft(self, check: Callable[..., None], *args: Any, **kwargs: Any) -> bool:
        """Run ``check``; record its failure instead of stopping the test."""
        try:
            check(*args, **kwargs)
        except ConformanceFailure as failure:
            self.failures.append(failure)
            return False
        return True

    def success(
        self,
        exchange: Exchange,
        status: int | Collection[int],
        requirement: str,
        what: str,
        *,
        operation_id: str | None = None,
    ) -> Any:
        """A success status (hard), a JSON content type (soft), the body's schema (hard).

        Date-times in the body are judged under WIRE-DATETIME-FORMAT (soft), not
        under the operation's requirement.
        """
        self.last_exchange = exchange
        check_status(exchange, status, requirement, what)
        self.soft(check_json_content_type, exchange)
        if operation_id is not None:
            check_response_schema(exchange, operation_id, requirement, datetimes=False)
            self.soft(check_response_datetimes, exchange, operation_id)
        self.judged.add(requirement)
        return exchange.json

    def void(self, exchange: Exchange, requirement: str, what: str) -> None:
        """A void operation succeeded (2xx, hard, under ``requirement``) and answered
        as the docs say, 204 with no body (soft, under WIRE-VOID-204)."""
        self.last_exchange = exchange
        check_status(exchange, range(200, 300), requirement, what)
        self.judged.add(requirement)
        self.soft(check_status, exchange, 204, "WIRE-VOID-204", what)
        self.soft(
            check_that,
            not exchange.response_text.strip(),
            "WIRE-VOID-204",
            f"{what}: a 204 answer carries a body",
            expected="no body",
            actual=exchange.response_text[:200],
            exchange=exchange,
        )

    def error(
        self,
        exchange: Exchange,
        *,
        requirement: str,
        what: str,
        status: int | Collection[int] | None = None,
        error_type: str | Collection[str] | None = None,
    ) -> None:
        """A vAPI error: status and error_type stop the test; body and Content-Type do not.

        What passes is the catalog's ``accepts_errors`` for ``requirement`` (its
        statuses, and its error types or any standard error of the answer's status):
        the acceptance criteria vendors read are the ones executed. Only a requirement
        without ``accepts_errors`` takes ``status`` and ``error_type`` here.
        """
        self.last_exchange = exchange
        accepted = accepted_errors(requirement)
        if accepted:
            if status is not None or error_type is not None:
                raise TypeError(f"{requirement}: the catalog's accepts_errors decides what passes")
            status = sorted({s for a in accepted for s in a.statuses})
        elif status is None or error_type is None:
            raise TypeError(f"{requirement} has no accepts_errors: give status and error_type")
        check_status(exchange, status, requirement, what)
        if accepted:
            error_type = _accepted_types(accepted, exchange.status)
        assert error_type is not None
        self.soft(check_json_content_type, exchange)
        types = [error_type] if isinstance(error_type, str) else sorted(error_type)
        self.soft(check_error_body, exchange, types[0] if len(types) == 1 else None)
        check_error_type(exchange, error_type, requirement, what)
        self.judged.add(requirement)

    def that(
        self,
        condition: bool,
        requirement: str,
        message: str,
        *,
        expected: Any = None,
        actual: Any = None,
        exchange: Exchange | None = None,
    ) -> None:
        check_that(
            condition,
            requirement,
            message,
            expected=expected,
            actual=actual,
            exchange=exchange or self.last_exchange,
        )
        self.judged.add(requirement)


def accepted_errors(requirement: str) -> tuple[AcceptedError, ...]:
    """The catalog's ``accepts_errors`` for ``requirement`` (none for an unknown id)."""
    requirements = catalog()
    return requirements.get(requirement).accepted_errors if requirement in requirements else ()


def _accepted_types(accepted: tuple[AcceptedError, ...], status: int) -> frozenset[str]:
    types: set[str] = set()
    for entry in accepted:
        if status in entry.statuses:
            types |= set(entry.error_types or standard_error_types(status))
    return frozenset(types)


def verify_list_filter(
    verify: Verifier,
    sessions: SessionApi,
    items: tuple[str, str],
    created: tuple[str, str],
    requirement: str,
    operation_id: str,
) -> None:
    """Both sessions in the unfiltered list; only the first item's in the filtered one.

    Shared by update and download sessions, whose list operations behave alike.
    """
    session_a, session_b = created
    everything = sessions.list()
    ids = verify.success(everything, 200, requirement, "list", operation_id=operation_id)
    verify.that(
        session_a in ids and session_b in ids,
        requirement,
        "the unfiltered list must contain both sessions this user created",
        expected=[session_a, session_b],
        actual=ids,
        exchange=everything,
    )
    filtered = sessions.list(library_item_id=items[0])
    ids_a = verify.success(
        filtered, 200, requirement, "list filtered by library_item_id", operation_id=operation_id
    )
    verify.that(
        session_a in ids_a and session_b not in ids_a,
        requirement,
        "the list filtered by library_item_id must contain that item's sessions only",
        expected=f"{session_a} and not {session_b}",
        actual=ids_a,
        exchange=filtered,
    )
