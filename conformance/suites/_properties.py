"""The machinery of the Schemathesis property tests (``test_properties.py``).

The tests drive Schemathesis 4.32.5 over the OpenAPI fragments in ``schemas/``
against the target over real HTTP. The work is split along its seams:

* ``_properties_policy``: what is judged and why: each Schemathesis check left on
  with the sentence of the sources it enforces, the others off with the reason,
  what a target may do with each kind of input, the Schemathesis configuration.
* ``_properties_shaping``: what is sent: the generation schemas and
  :class:`CaseShaper`, which steers generated requests into the run's sandbox.
* ``_properties_checks``: the suite's own checks.
* ``_schemathesis_compat``: every reach into Schemathesis' and Hypothesis'
  internals, so that an upgrade touches one file.

This module runs them (:func:`run_operation`, :func:`run_workflows`) and turns the
outcome into a verdict: a check failure is an :class:`AssertionError` (Fail); a
502/503/504 that outlived the retries, or a request that got no answer, is a
:class:`TargetUnavailable` (Error: the target could not be judged), whatever the
checks said; anything else is Error as it is.

Reproducible: the same seed and ``max_examples`` generate the same requests, the
ids of the sandbox's objects and the client tokens aside, with the same
Schemathesis and Hypothesis versions, whatever literals the suite's (or the mock's)
own modules hold (``code_independent_generation``).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import hypothesis
import requests
import schemathesis
from requests.adapters import HTTPAdapter
from schemathesis import CheckFunction, Response

from conformance.client import ClientError, PinnedTlsSession

from ._properties_checks import (
    DeletedSessionFound,
    SandboxObjectNotFound,
    additional_checks,
    deleted_session_gone,
    documented_or_standard_response,
    documented_status,
    is_standard_error,
    sandbox_object_found,
)
from ._properties_policy import (
    CONTRACT_FRAGMENTS,
    DOWNLOAD_FILE_FRAGMENT,
    DOWNLOAD_FRAGMENT,
    FILE_FRAGMENTS,
    ITEM_FILE_FRAGMENT,
    JUDGED,
    NOT_JUDGED,
    ROOT_OPERATIONS,
    SEED,
    SESSION_FRAGMENT,
    UPDATE_FILE_FRAGMENT,
    UPDATE_FRAGMENT,
    WORKFLOW_FRAGMENTS,
    InputJudgement,
    Judged,
    contract_operation_ids,
    fragment_of,
    schemathesis_config,
    workflow_size,
)
from ._properties_shaping import (
    CaseShaper,
    SandboxContent,
    fresh_token,
    generation_document,
    judge_input,
    load_schema,
)
from ._schemathesis_compat import (
    AnyCase,
    AnyOperation,
    FailureGroup,
    OpenApiSchema,
    RecordingStateMachine,
    StepInput,
    StepOutput,
    code_independent_generation,
    ensure_resource_availability,
    memoized_operation_config,
    normalize_name,
    operation_id_of,
    operation_test,
    prepared_fresh_sessions,
    run_state_machine_as_test,
)

__all__ = [
    "CONTRACT_FRAGMENTS",
    "DOWNLOAD_FILE_FRAGMENT",
    "DOWNLOAD_FRAGMENT",
    "FILE_FRAGMENTS",
    "ITEM_FILE_FRAGMENT",
    "JUDGED",
    "NOT_JUDGED",
    "ROOT_OPERATIONS",
    "SEED",
    "SESSION_FRAGMENT",
    "UNAVAILABLE",
    "UPDATE_FILE_FRAGMENT",
    "UPDATE_FRAGMENT",
    "WORKFLOW_FRAGMENTS",
    "CaseShaper",
    "DeletedSessionFound",
    "InputJudgement",
    "Judged",
    "PropertyCheckFailed",
    "SandboxContent",
    "SandboxObjectNotFound",
    "TargetHttp",
    "TargetUnavailable",
    "WorkflowSetupError",
    "check_failure",
    "code_independent_generation",
    "contract_operation_ids",
    "deleted_session_gone",
    "documented_or_standard_response",
    "documented_status",
    "fragment_of",
    "fresh_token",
    "generation_document",
    "is_standard_error",
    "judge_input",
    "load_schema",
    "operation_id_of",
    "root_rules",
    "run_operation",
    "run_workflows",
    "sandbox_object_found",
    "schemathesis_config",
    "workflow_machine",
    "workflow_size",
]

#: Answers that say the service is down, not how it behaves (as the client treats them).
UNAVAILABLE = frozenset({502, 503, 504})


# -- transient faults ---------------------------------------------------------------------------
class TargetUnavailable(ClientError):
    """The target answered 502/503/504 after the retries, or not at all: an Error, not a Fail."""


class _RetryUnavailable(HTTPAdapter):
    """Resends a request answered 502, 503 or 504, as the suite's client does
    (``VcenterClient.request``: ``retries`` more times, waiting ``delay * attempt``),
    and notes each one that stayed unavailable."""

    def __init__(
        self,
        retries: int,
        delay: float,
        unavailable: list[str],
        guard: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self.retries = retries
        self.delay = delay
        self.unavailable = unavailable
        self.guard = guard

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        if self.guard is not None:  # the run's deadline stops the test before it sends
            self.guard()
        for attempt in range(self.retries + 1):
            response = super().send(request, *args, **kwargs)
            if response.status_code not in UNAVAILABLE:
                return response
            if attempt < self.retries:
                response.close()
                time.sleep(self.delay * (attempt + 1))
        self.unavailable.append(
            f"{request.method} {request.url} answered {response.status_code} "
            f"{self.retries + 1} times"
        )
        return response


class TargetHttp(PinnedTlsSession):
    """The connection pool of the generated requests, with the client's retry policy (and,
    as the client's, its ``verify`` pinned and the environment's proxies looked up once).

    ``unavailable`` lists what could not be judged: answers that stayed 502/503/504
    and requests that got no answer (:func:`run_operation` and the workflows add those).
    """

    def __init__(
        self,
        *,
        verify: bool | str,
        retries: int = 2,
        delay: float = 0.5,
        guard: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(verify)
        self.retries = retries
        self.delay = delay
        self.guard = guard
        self.unavailable: list[str] = []
        self.prepare(self)

    def prepare(self, session: requests.Session) -> None:
        """Give ``session`` (this one, or one Schemathesis makes for its probes) the retries
        and the run's deadline guard."""
        adapter = _RetryUnavailable(self.retries, self.delay, self.unavailable, self.guard)
        session.mount("http://", adapter)
        session.mount("https://", adapter)

    @contextlib.contextmanager
    def everywhere(self) -> Iterator[None]:
        """Also retry the requests Schemathesis sends on sessions of its own."""
        with prepared_fresh_sessions(self.prepare):
            yield


def _no_answer(exc: BaseException) -> str | None:
    """What went wrong if ``exc`` (or an exception it groups or wraps) is a request that got
    no answer: a connection refused, reset or dropped, or a timeout."""
    seen: set[int] = set()
    pending = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, (requests.ConnectionError, requests.Timeout, TimeoutError)):
            return f"{type(current).__name__}: {current}"
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                pending.append(linked)
    return None


def _unavailable_verdict(http: TargetHttp, exc: BaseException | None) -> TargetUnavailable | None:
    reasons = list(http.unavailable)
    no_answer = _no_answer(exc) if exc is not None else None
    if no_answer is not None:
        reasons.append(no_answer)
    if not reasons:
        return None
    shown = "; ".join(dict.fromkeys(reasons[:3]))
    more = f" (and {len(reasons) - 3} more)" if len(reasons) > 3 else ""
    return TargetUnavailable(
        f"target unavailable during the property test: {shown}{more}. Not a conformance "
        "failure: the answers could not be judged."
    )


# -- failures -----------------------------------------------------------------------------------
class PropertyCheckFailed(AssertionError):
    """A Schemathesis check failed: the target answered outside the contract."""


def _failure_reports(exc: BaseException) -> list[str]:
    """The formatted report (failures, response, curl line) of every FailureGroup in ``exc``."""
    if isinstance(exc, FailureGroup):
        return [exc.message.strip()]
    if isinstance(exc, BaseExceptionGroup):
        return [text for sub in exc.exceptions for text in _failure_reports(sub)]
    return []


def check_failure(
    exc: BaseException, seen: list[BaseException], *, what: str, reproduce: str
) -> PropertyCheckFailed | None:
    """An AssertionError carrying Schemathesis' reports, or None if there was no check failure.

    ``exc`` is what Hypothesis raised; ``seen`` the failures the checks raised on the way.
    """
    reports = list(
        dict.fromkeys(_failure_reports(exc) or [r for f in seen[:1] for r in _failure_reports(f)])
    )
    if not reports:
        return None
    return PropertyCheckFailed(
        f"{what} did not answer as the contract documents\n\n"
        + "\n\n".join(reports)
        + f"\n\nGenerated by Schemathesis {schemathesis.__version__} from the fixed seed {SEED}: "
        "a run with the same --max-examples generates the same requests (the ids of the "
        f"sandbox's items and sessions aside). Reproduce: {reproduce}"
    )


def _verdict(
    exc: BaseException | None, http: TargetHttp, shaper: CaseShaper, *, what: str, reproduce: str
) -> BaseException | None:
    """What the test raises: TargetUnavailable, a PropertyCheckFailed, ``exc`` or nothing."""
    unavailable = _unavailable_verdict(http, exc)
    if unavailable is not None:
        return unavailable
    if exc is None:
        return None
    return check_failure(exc, shaper.failures, what=what, reproduce=reproduce) or exc


# -- running ------------------------------------------------------------------------------------
def run_operation(
    operation: AnyOperation, shaper: CaseShaper, http: TargetHttp, *, reproduce: str
) -> None:
    """The examples, coverage and fuzzing phases of one operation.

    The plugin's lazy ``from_fixture`` runs operations as pytest subtests, whose
    failures the suite's reporting would not see; ``operation_test`` builds the same
    Hypothesis test as the plugin. Once the target was unavailable, the remaining
    cases are neither sent nor judged: the test is an Error.
    """

    def test(case: AnyCase) -> None:
        if http.unavailable or not shaper.shape(case):
            return  # unavailable, a repeat, or no request of this operation
        try:
            response = case.call(session=http)
        except (requests.ConnectionError, requests.Timeout, TimeoutError) as exc:
            http.unavailable.append(f"{case.method} {case.formatted_path}: {exc}")
            return
        if response.status_code in UNAVAILABLE:
            return  # noted by the adapter
        shaper.record(case, response)
        try:
            case.validate_response(
                response,
                additional_checks=additional_checks(shaper),
                excluded_checks=shaper.excluded_checks(case),
                transport_kwargs={"session": http},
            )
        except FailureGroup as failure:
            if http.unavailable:
                return  # a check's own request met the outage: nothing to judge
            shaper.failures.append(failure)
            raise
        shaper.validated(case, response)

    outcome: BaseException | None = None
    try:
        with code_independent_generation(), memoized_operation_config(), http.everywhere():
            operation_test(operation, test)()
    except BaseException as exc:  # FailureGroup is a BaseExceptionGroup
        outcome = exc
    verdict = _verdict(outcome, http, shaper, what=operation.label, reproduce=reproduce)
    if verdict is outcome and outcome is not None:
        raise outcome
    if verdict is not None:
        raise verdict from None


class _Workflow(RecordingStateMachine):
    """What the suite adds to Schemathesis' state machine; every hook calls ``super()``."""

    shaper: ClassVar[CaseShaper]
    http: ClassVar[TargetHttp]
    _linked: bool = False

    def step(self, input: StepInput) -> StepOutput:
        self._linked = input.transition is not None  # a link feeds this step: do not steer it
        return super().step(input)

    def before_call(self, case: AnyCase) -> None:
        super().before_call(case)
        # A repeated request is a step of a new sequence: send it.
        self.shaper.shape(case, linked=self._linked)

    def get_call_kwargs(self, case: AnyCase) -> dict[str, Any]:
        return {**super().get_call_kwargs(case), "session": self.http}

    def call(self, case: AnyCase, **kwargs: Any) -> Response:
        if self.http.unavailable:
            raise _unavailable_verdict(self.http, None) or TargetUnavailable("unavailable")
        try:
            return super().call(case, **kwargs)
        except (requests.ConnectionError, requests.Timeout, TimeoutError) as exc:
            self.http.unavailable.append(f"{case.method} {case.formatted_path}: {exc}")
            raise _unavailable_verdict(self.http, None) or TargetUnavailable(str(exc)) from None

    def after_call(self, response: Response, case: AnyCase) -> None:
        # Schemathesis records the response here: without super(), use_after_free
        # and ensure_resource_availability never see the earlier steps.
        super().after_call(response, case)
        self.shaper.record(case, response)

    def validate_response(
        self,
        response: Response,
        case: AnyCase,
        additional_checks: list[CheckFunction] | None = None,
        **kwargs: Any,
    ) -> None:
        if response.status_code in UNAVAILABLE:
            raise _unavailable_verdict(self.http, None) or TargetUnavailable("unavailable")
        excluded = self.shaper.excluded_checks(case)
        if response.status_code == 404 and self._deleted_earlier(case):
            excluded = [*excluded, ensure_resource_availability]
        checks = [*(additional_checks or []), *_suite_checks(self.shaper)]
        try:
            if not excluded:
                super().validate_response(response, case, checks, **kwargs)
            else:  # RecordingStateMachine.validate_response, with excluded_checks
                case.validate_response(
                    response,
                    additional_checks=checks,
                    excluded_checks=excluded,
                    transport_kwargs=kwargs or None,
                    recorder=self.recorder,
                )
        except FailureGroup as failure:
            if self.http.unavailable:
                raise _unavailable_verdict(self.http, None) or failure from None
            self.shaper.failures.append(failure)
            raise
        self.shaper.validated(case, response)

    def _deleted_earlier(self, case: AnyCase) -> bool:
        """Whether an earlier step of the scenario deleted the session ``case`` acts on.

        Schemathesis 4.32.5 (``resource_was_deleted`` in ``specs/openapi/checks.py``)
        does not see that ``DELETE /x/{id}`` removed ``/x/{id}?action=fail``: it matches
        path segments and knows ``{id}:cancel`` but not ``{id}?action=cancel``. Its
        ``ensure_resource_availability`` then reports the documented 404 on the deleted
        session as "created resource not found"; such a 404 is not judged by that check.
        """
        path = case.path.split("?", 1)[0]
        for prior in self.recorder.find_all_cases():
            if prior.id == case.id or prior.method.upper() != "DELETE":
                continue
            answer = self.recorder.find_response(case_id=prior.id)
            if (
                answer is not None
                and 200 <= answer.status_code < 300
                and prior.path.split("?", 1)[0] == path
                and prior.path_parameters == case.path_parameters
            ):
                return True
        return False


def _suite_checks(shaper: CaseShaper) -> list[CheckFunction]:
    """``additional_checks`` (a name ``validate_response``'s parameter hides)."""
    return additional_checks(shaper, stateful=True)


class WorkflowSetupError(RuntimeError):
    """The state machine cannot be built as the suite needs it (a suite problem, not a Fail)."""


def root_rules(schema: OpenApiSchema, fragment: str) -> dict[str, str]:
    """The state machine rules that start a scenario of ``fragment`` -> their operation's label."""
    labels = [schema.find_operation_by_id(op).label for op in ROOT_OPERATIONS[fragment]]
    return {normalize_name(f"RANDOM -> {label}"): label for label in labels}


def workflow_machine(
    schema: OpenApiSchema, fragment: str, shaper: CaseShaper, http: TargetHttp
) -> type[_Workflow]:
    """Schemathesis' state machine over ``schema``'s links, every scenario starting with a root.

    The roots (``ROOT_OPERATIONS``) are the creates, the file adds and the download
    file prepare. Schemathesis makes every operation with links a possible first step
    here: the ``vmware-api-session-id`` header and the create's ``library_item_id`` are
    inputs no operation of the fragment produces, so no root counts as "reliable" and
    all fall back to roots. The other by-id ones then spend the scenario's steps on
    random ids (404), which the contract test covers already; they are dropped. The
    file roots act on a live sandbox session (:class:`CaseShaper`).
    """
    base = schema.as_state_machine()
    roots = root_rules(schema, fragment)
    missing = sorted(set(roots) - base.root_rules)
    if missing:
        raise WorkflowSetupError(
            f"{fragment}: Schemathesis' state machine cannot start from {missing}; "
            f"its entry points are {sorted(base.root_rules)}"
        )
    dropped: dict[str, Any] = {name: None for name in base.root_rules if name not in roots}
    machine: type[_Workflow] = type(
        f"{base.__name__}Workflow",
        (_Workflow, base),
        {
            "shaper": shaper,
            "http": http,
            "root_rules": frozenset(roots),
            "_root_labels": frozenset(roots.values()),
            **dropped,  # a rule attribute that is None is no rule for Hypothesis
        },
    )
    return machine


def run_workflows(
    machine: type[_Workflow], *, scenarios: int, steps: int, what: str, reproduce: str
) -> None:
    """Run ``scenarios`` seeded scenarios of at most ``steps`` calls each."""
    settings = hypothesis.settings(
        max_examples=scenarios,
        stateful_step_count=steps,
        database=None,
        deadline=None,
        phases=[hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    outcome: BaseException | None = None
    try:
        with code_independent_generation(), memoized_operation_config(), machine.http.everywhere():
            run_state_machine_as_test(hypothesis.seed(SEED)(machine), settings=settings)
    except BaseException as exc:  # FailureGroup is a BaseExceptionGroup
        outcome = exc
    verdict = _verdict(outcome, machine.http, machine.shaper, what=what, reproduce=reproduce)
    if verdict is outcome and outcome is not None:
        raise outcome
    if verdict is not None:
        raise verdict from None
