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
* :func:`memoized_operation_config`: a monkeypatch of ``ProjectConfig``'s per-operation
  lookups (``schemathesis/config/_projects.py``), for the length of a test.
* :func:`hypothesis_home`: where Hypothesis keeps its files (``hypothesis.configuration``).
* :func:`prepared_fresh_sessions`: a monkeypatch of the session class
  ``schemathesis.transport.requests`` makes when a request comes without one (the
  probes of ``ignored_auth``: ``specs/openapi/_auth_retry.py`` drops the caller's).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import requests
from hypothesis.configuration import set_hypothesis_home_dir
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

from conformance.config import user_cache_dir

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
    "hypothesis_home",
    "ignored_auth",
    "is_negative_at",
    "memoized_operation_config",
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


#: ``ProjectConfig``'s lookups that merge the per-operation configuration every time
_PER_OPERATION_LOOKUPS = ("phases_for", "generation_for", "checks_config_for")


@contextlib.contextmanager
def memoized_operation_config() -> Iterator[None]:
    """Each project configuration's per-operation lookups computed once per operation.

    Schemathesis 4.32.5 asks ``ProjectConfig.generation_for``, ``phases_for`` and
    ``checks_config_for`` for every case it draws and every response it checks, and
    each call merges the matching ``operations`` entries of the configuration anew
    (``from_hierarchy``: about 70,000 calls in a default run, a tenth of the property
    tests' CPU). The answer depends only on the configuration, which nothing changes
    during a test, and on the operation: kept here until the block ends, the same
    objects are returned, so what is generated and checked is the same.
    """
    from schemathesis.config._projects import ProjectConfig

    if any(hasattr(getattr(ProjectConfig, n), "__wrapped__") for n in _PER_OPERATION_LOOKUPS):
        yield  # already inside such a block
        return
    answers: dict[tuple[str, int, int, str | None], tuple[object, object, Any]] = {}
    originals = {name: getattr(ProjectConfig, name) for name in _PER_OPERATION_LOOKUPS}

    def memoized(name: str) -> Callable[..., Any]:
        original = originals[name]

        def lookup(self: Any, *, operation: Any = None, phase: str | None = None) -> Any:
            key = (name, id(self), id(operation), phase)
            known = answers.get(key)
            if known is not None and known[0] is self and known[1] is operation:
                return known[2]
            if name == "phases_for":
                answer = original(self, operation=operation)
            else:
                answer = original(self, operation=operation, phase=phase)
            answers[key] = (self, operation, answer)  # holds both: their ids stay theirs
            return answer

        lookup.__wrapped__ = original  # type: ignore[attr-defined]
        return lookup

    for name in _PER_OPERATION_LOOKUPS:
        setattr(ProjectConfig, name, memoized(name))
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(ProjectConfig, name, original)


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


#: Hypothesis' own variable for its directory: when the user sets it, it wins.
HYPOTHESIS_STORAGE_VARIABLE = "HYPOTHESIS_STORAGE_DIRECTORY"


def hypothesis_home() -> Path | None:
    """Point Hypothesis' files at the per-user cache (``<user cache>/hypothesis``), unless
    ``HYPOTHESIS_STORAGE_DIRECTORY`` names another place; return the directory chosen.

    The suite keeps no example database (``database: none``), so all Hypothesis writes
    there are its Unicode tables (``unicode_data/<version>/``): the characters each
    codec can encode, about 3 CPU seconds to compute for utf-8 and ascii, and the same
    on every run. By default Hypothesis keeps them in ``.hypothesis/`` in the current
    working directory: every run from a new directory paid those seconds again, and
    left a ``.hypothesis/`` behind in the user's directory. In the per-user cache they
    are computed once per user (Hypothesis writes them atomically, so runs at once are
    safe; if the directory cannot be written, it computes them each run, as before).
    """
    if os.environ.get(HYPOTHESIS_STORAGE_VARIABLE):
        return None  # Hypothesis reads the variable itself
    home = user_cache_dir() / "hypothesis"
    set_hypothesis_home_dir(home)
    return home


hypothesis_home()  # before any property test draws: decided here, once per process
