"""Every reach of the property tests into Schemathesis' and Hypothesis' internals.

Pinned: Schemathesis 4.32.5, Hypothesis 6.170 (see ``pyproject.toml``). The rest of
the property-test modules use only the public API (``schemathesis.Case``,
``Response``, ``APIOperation``, ``CheckFunction``, ``openapi.from_dict``,
``Config``) and what this module exports. An upgrade touches this file: each
name below says which private module or behaviour it relies on, and
``tests/test_property_suite.py`` exercises each.

* Failures: ``Failure`` (a check's typed failure, with ``code``/``kind_title``) and
  ``FailureGroup`` (what ``Case.validate_response`` raises), from
  ``schemathesis.core.failures``.
* ``ParameterLocation`` (``schemathesis.core.parameters``): where a part of a case is.
* The built-in checks the suite narrows, excludes or wraps, as functions
  (``schemathesis.specs.openapi.checks``).
* ``build_operation_test``: the Hypothesis test Schemathesis' pytest plugin builds for
  one operation (``schemathesis.pytest._test_builder``, private).
* The state machine: ``RecordingStateMachine``, ``StepInput``, ``StepOutput``,
  ``normalize_name`` and ``run_state_machine_as_test``.
* :func:`code_independent_generation`: a monkeypatch of Hypothesis' literal
  harvesting (``hypothesis.internal``).
* :func:`revalidate` and :func:`is_negative_at`: reading ``case.meta``, which
  Schemathesis revalidates when a case was edited.
* :func:`registered_check_names`: Schemathesis' check registry (``schemathesis.checks``).
* :func:`prepared_fresh_sessions`: a monkeypatch of the session class
  ``schemathesis.transport.requests`` makes when a request comes without one (the
  probes of ``ignored_auth``: ``specs/openapi/_auth_retry.py`` drops the caller's).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import requests
from schemathesis import Case
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.generation.stateful import run_state_machine_as_test
from schemathesis.generation.stateful.state_machine import (
    RecordingStateMachine,
    StepInput,
    StepOutput,
    normalize_name,
)
from schemathesis.pytest._test_builder import build_operation_test
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    ensure_resource_availability,
    ignored_auth,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.schemas import OpenApiSchema

__all__ = [
    "AnyCase",
    "AnyOperation",
    "Failure",
    "FailureGroup",
    "OpenApiSchema",
    "ParameterLocation",
    "RecordingStateMachine",
    "StepInput",
    "StepOutput",
    "code_independent_generation",
    "ensure_resource_availability",
    "ignored_auth",
    "is_negative_at",
    "negative_data_rejection",
    "normalize_name",
    "operation_id_of",
    "operation_test",
    "positive_data_acceptance",
    "prepared_fresh_sessions",
    "registered_check_names",
    "response_schema_conformance",
    "revalidate",
    "run_state_machine_as_test",
    "status_code_conformance",
]

AnyCase = Case[Any]
AnyOperation = APIOperation[Any, Any, Any, Any]


def operation_id_of(operation: AnyOperation) -> str:
    """The operationId as written in the fragment (``definition.raw``)."""
    return str(operation.definition.raw.get("operationId", ""))


def revalidate(case: AnyCase) -> None:
    """Make Schemathesis judge an edited case again (positive or negative).

    Reading ``case.meta`` compares the parts' hashes with those at generation and,
    when an edit changed one, revalidates it against the operation's schema.
    """
    _ = case.meta


def is_negative_at(case: AnyCase, *locations: str) -> bool:
    """Whether ``case`` is invalid in one of ``locations`` ("body", "query", "header", "path")."""
    meta = case.meta
    return meta is not None and any(
        meta.is_negative_at(ParameterLocation(location)) for location in locations
    )


def registered_check_names() -> list[str]:
    """The names of every check Schemathesis knows (built-in and registered)."""
    from schemathesis.checks import CHECKS, load_all_checks

    load_all_checks()
    return CHECKS.get_all_names()


def operation_test(operation: AnyOperation, test: Any) -> Any:
    """The examples, coverage and fuzzing phases of ``operation`` around ``test(case)``.

    Built as Schemathesis' own pytest plugin builds it (the phases, settings and
    per-operation seed come from the schema's configuration).
    """
    return build_operation_test(
        config=operation.schema.config,
        operation=operation,
        test_func=test,
        given_kwargs={},
        feedback=FeedbackSources(),
    )


@contextlib.contextmanager
def code_independent_generation() -> Iterator[None]:
    """Generate without the literals of the running program's own modules.

    Hypothesis 6.170 draws about one value in twenty from the literals it finds in the
    loaded modules that are not installed packages (``_get_local_constants`` in
    ``hypothesis/internal/conjecture/providers.py``): with this project installed
    editable, the suite's own modules (and, in a run against the bundled mock, the
    mock's). The requests generated from the fixed seed then change with every edit of
    that code, and differ between an editable and a wheel install. Without them, the
    same Schemathesis and Hypothesis versions generate the same requests from the seed.
    A Hypothesis without that function generates as it does.
    """
    from hypothesis.internal.conjecture import providers
    from hypothesis.internal.constants_ast import Constants

    original = getattr(providers, "_get_local_constants", None)
    cache = getattr(providers, "CONSTANTS_CACHE", None)
    if original is None or cache is None:
        yield
        return
    empty = Constants()
    setattr(providers, "_get_local_constants", lambda: empty)  # noqa: B010
    cache.cache.clear()  # values drawn with the old constants are cached per constraint
    try:
        yield
    finally:
        setattr(providers, "_get_local_constants", original)  # noqa: B010
        cache.cache.clear()


@contextlib.contextmanager
def prepared_fresh_sessions(prepare: Callable[[requests.Session], None]) -> Iterator[None]:
    """Every session Schemathesis makes for a request sent without one is ``prepare``d.

    Schemathesis 4.32.5 sends the probes of ``ignored_auth`` (the request again without
    and with a bogus token) on a session of its own (``SameHostRedirectsSession`` in
    ``schemathesis/transport/requests.py``), not on the caller's: without this, those
    requests would bypass the retries of 502/503/504 mounted on the caller's session.
    """
    from schemathesis.transport import requests as transport

    original: Any = transport.SameHostRedirectsSession

    class Prepared(original):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            prepare(self)

    setattr(transport, "SameHostRedirectsSession", Prepared)  # noqa: B010
    try:
        yield
    finally:
        setattr(transport, "SameHostRedirectsSession", original)  # noqa: B010
