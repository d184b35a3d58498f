"""The ``verify`` fixture's object: checks that a test may keep going after.

A status check stops the test (nothing after it can be judged), but a wrong
Content-Type or a malformed error body does not change what the rest of the
test can observe, so those are recorded and the test goes on. Recorded
failures are raised when the test ends (see ``conftest.pytest_pyfunc_call``).

A test states its requirement once, in its ``requirement`` marker: every check
judges under it. A test citing several names one per check (``requirement=``) or
per block (``with verify.under(ID):``). Naming a requirement the test does not
cite is the author's mistake (a ``TypeError``), except the wire requirements the
verifier judges on every answer itself (:data:`JUDGED_ON_EVERY_ANSWER`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from conformance.catalog import AcceptedError, catalog
from conformance.checks import (
    DATETIME_REQUIREMENT,
    ERROR_BODY_REQUIREMENT,
    JSON_CONTENT_TYPE_REQUIREMENT,
    ConformanceFailure,
    check_equal,
    check_error_body,
    check_error_type,
    check_json_content_type,
    check_response_datetimes,
    check_response_schema,
    check_status,
    check_that,
    standard_error_types,
)
from conformance.client import Exchange
from conformance.sandbox import require

#: A void operation answers 204 with no body (judged by :meth:`Verifier.void`).
VOID_REQUIREMENT = "WIRE-VOID-204"
#: Cross-cutting wire rules the verifier judges on the answers it sees: any test may
#: name them without citing them, and none is a test's default requirement.
JUDGED_ON_EVERY_ANSWER = frozenset(
    {
        VOID_REQUIREMENT,
        DATETIME_REQUIREMENT,
        JSON_CONTENT_TYPE_REQUIREMENT,
        ERROR_BODY_REQUIREMENT,
    }
)


class Verifier:
    """Checks under the running test's requirements (``cited``, from its marker).

    With nothing cited (a verifier made outside a marked test), every check names its
    requirement.
    """

    def __init__(self, cited: Iterable[str] = ()) -> None:
        #: the requirements the test's ``requirement`` marker cites, in order
        self.cited: tuple[str, ...] = tuple(dict.fromkeys(cited))
        self.failures: list[ConformanceFailure] = []
        #: requirements with at least one check passed (and none failed) in this test
        self.judged: set[str] = set()
        #: the last answer judged or ``observed``: what a later ``that()``/``equal()``
        #: failure shows by default
        self.last_exchange: Exchange | None = None
        self._under: list[str] = []

    # -- which requirement a check judges ---------------------------------------------
    @property
    def default(self) -> str | None:
        """The requirement a check judges when it names none: the innermost ``under``
        block's, else the one requirement the test cites (the wire rules aside)."""
        if self._under:
            return self._under[-1]
        own = [r for r in self.cited if r not in JUDGED_ON_EVERY_ANSWER]
        if len(own) == 1:
            return own[0]
        if not own and len(self.cited) == 1:
            return self.cited[0]
        return None

    def requirement(self, named: str | None = None) -> str:
        """``named`` if the test may judge it, else the default; a ``TypeError`` if neither."""
        if named is None:
            default = self.default
            if default is None:
                raise TypeError(
                    "this test cites "
                    + (", ".join(self.cited) if self.cited else "no requirement")
                    + ": name the one each check judges (requirement=ID or verify.under(ID))"
                )
            return default
        if self.cited and named not in self.cited and named not in JUDGED_ON_EVERY_ANSWER:
            raise TypeError(
                f"{named} is not a requirement this test cites ({', '.join(self.cited)}): "
                "add it to the test's requirement marker"
            )
        return named

    @contextmanager
    def under(self, requirement: str) -> Iterator[str]:
        """Judge the checks of this block under ``requirement`` (one the test cites)."""
        self._under.append(self.requirement(requirement))
        try:
            yield self._under[-1]
        finally:
            self._under.pop()

    # -- checks ------------------------------------------------------------------------
    def soft(self, check: Callable[..., None], *args: Any, **kwargs: Any) -> bool:
        """Run ``check``; record its failure instead of stopping the test."""
        try:
            check(*args, **kwargs)
        except ConformanceFailure as failure:
            self.failures.append(failure)
            return False
        return True

    def status(
        self,
        exchange: Exchange,
        status: int | Collection[int],
        what: str,
        *,
        requirement: str | None = None,
    ) -> None:
        """Only the status (hard): for an answer whose body and headers are not judged."""
        self.judged.add(self._status(exchange, status, what, requirement))

    def _status(
        self,
        exchange: Exchange,
        status: int | Collection[int],
        what: str,
        requirement: str | None,
    ) -> str:
        """Judge the status under the requirement (hard); the answer becomes the evidence
        a later ``that``/``equal`` shows. Returns the requirement judged."""
        req = self.requirement(requirement)
        self.last_exchange = exchange
        check_status(exchange, status, req, what)
        return req

    def observed(self, exchange: Exchange, status: int | Collection[int], what: str) -> Exchange:
        """An answer the test reads to judge later (``that``/``equal``), not judged itself.

        It must succeed like a setup step (else the test is an Error, not a Fail: see
        ``require``), and it becomes the evidence a later failure shows: the answer the
        judged value came from, not the last one a check happened to see.
        """
        self.last_exchange = require(exchange, status, what)
        return exchange

    def success(
        self,
        exchange: Exchange,
        status: int | Collection[int],
        what: str,
        *,
        operation_id: str | None = None,
        requirement: str | None = None,
    ) -> Any:
        """A success status (hard), a JSON content type (soft), the body's schema (hard).

        Date-times in the body are judged under WIRE-DATETIME-FORMAT (soft), not
        under the operation's requirement. Returns the body.
        """
        req = self._status(exchange, status, what, requirement)
        self.soft(check_json_content_type, exchange)
        if operation_id is not None:
            check_response_schema(exchange, operation_id, req, datetimes=False)
            self.soft(check_response_datetimes, exchange, operation_id)
        self.judged.add(req)
        return exchange.json

    def void(self, exchange: Exchange, what: str, *, requirement: str | None = None) -> None:
        """A void operation succeeded (2xx, hard, under the requirement) and answered
        as the docs say, 204 with no body (soft, under WIRE-VOID-204)."""
        self.judged.add(self._status(exchange, range(200, 300), what, requirement))
        self.soft(check_status, exchange, 204, VOID_REQUIREMENT, what)
        self.soft(
            check_that,
            not exchange.response_text.strip(),
            VOID_REQUIREMENT,
            f"{what}: a 204 answer carries a body",
            expected="no body",
            actual=exchange.response_text[:200],
            exchange=exchange,
        )

    def error(
        self,
        exchange: Exchange,
        what: str,
        *,
        requirement: str | None = None,
        status: int | Collection[int] | None = None,
        error_type: str | Collection[str] | None = None,
    ) -> None:
        """A vAPI error: status and error_type stop the test; body and Content-Type do not.

        What passes is the catalog's ``accepts_errors`` for the requirement (its
        statuses, and its error types or any standard error of the answer's status):
        the acceptance criteria vendors read are the ones executed. Only a requirement
        without ``accepts_errors`` takes ``status`` and ``error_type`` here.
        """
        req = self.requirement(requirement)
        accepted = accepted_errors(req)
        if accepted:
            if status is not None or error_type is not None:
                raise TypeError(f"{req}: the catalog's accepts_errors decides what passes")
            status = sorted({s for a in accepted for s in a.statuses})
        elif status is None or error_type is None:
            raise TypeError(f"{req} has no accepts_errors: give status and error_type")
        self._status(exchange, status, what, req)
        if accepted:
            error_type = _accepted_types(accepted, exchange.status)
        assert error_type is not None
        self.soft(check_json_content_type, exchange)
        types = [error_type] if isinstance(error_type, str) else sorted(error_type)
        self.soft(check_error_body, exchange, types[0] if len(types) == 1 else None)
        check_error_type(exchange, error_type, req, what)
        self.judged.add(req)

    def equal(
        self,
        actual: Any,
        expected: Any,
        what: str,
        *,
        requirement: str | None = None,
        exchange: Exchange | None = None,
    ) -> None:
        """One fact: ``actual == expected`` (hard); a failure shows both sides."""
        req = self.requirement(requirement)
        check_equal(actual, expected, req, what, exchange=exchange or self.last_exchange)
        self.judged.add(req)

    def that(
        self,
        condition: bool,
        message: str,
        *,
        requirement: str | None = None,
        expected: Any = None,
        actual: Any = None,
        exchange: Exchange | None = None,
    ) -> None:
        """A condition other than equality (hard): ``message`` says what must hold."""
        req = self.requirement(requirement)
        check_that(
            condition,
            req,
            message,
            expected=expected,
            actual=actual,
            exchange=exchange or self.last_exchange,
        )
        self.judged.add(req)


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
