"""The machinery of the Schemathesis property tests (``test_properties.py``).

The tests drive Schemathesis 4.32.5 over the OpenAPI fragments in ``schemas/``
against the target over real HTTP. This module builds the Schemathesis
configuration from the run's :class:`~conformance.config.Config`, loads the
fragments (:func:`load_schema`), shapes the generated requests
(:class:`CaseShaper`) so that they reach the success paths and stay inside the
run's sandbox, and turns Schemathesis' check failures into an
:class:`AssertionError`, which the reporting plugin records as FAIL.

The checks, and what differs from Schemathesis' defaults (so that a target
conforming to the fragments, such as the bundled mock, gives no false failure):

* ``unsupported_method`` and ``allow_header_conformance`` are off. The fragments
  key the ``?action=`` operations as paths (``/{id}?action=complete``, as
  VMware's spec and the SDK bindings do); for such a "path" these checks want
  405 and an ``Allow`` header listing only the one documented method, which no
  server that routes on path + method + ``action`` can give.
* ``positive_data_acceptance`` also accepts 400 where the session's state
  decides: NOT_ALLOWED_IN_CURRENT_STATE once a session has left ACTIVE (the
  contract test reuses one live session per operation, so there only for the
  operations that end it or are refused while it is ACTIVE; in the stateful
  test for every operation that requires ACTIVE) and RESOURCE_BUSY on a second
  update session create (the runtime's 400). 404 (an id that does not exist) is
  in Schemathesis' default list already.
* ``not_a_server_error`` accepts 500 on ``update_session_create`` only, where
  the published spec documents RESOURCE_BUSY as 500. Schemathesis 4.32.5 fires
  this check on every status outside ``expected-statuses`` (default 2xx, 3xx,
  4xx), documented or not (``schemathesis/checks.py``, ``not_a_server_error``);
  ``response_schema_conformance`` still requires that 500's body to be a
  ResourceBusy error, so any other 500 there fails all the same.
* ``ignored_auth`` runs on the first 2xx answer of each operation only (it
  re-sends the request without and with a bogus token; Schemathesis' own runner
  also confirms it once per operation).
* ``ensure_resource_availability`` does not judge a 404 on a session that an
  earlier step deleted (:meth:`_Workflow._deleted_earlier`: Schemathesis does
  not see that a DELETE of ``/{id}`` removed ``/{id}?action=...``).
* Everything else is on as Schemathesis ships it: ``not_a_server_error``,
  ``status_code_conformance``, ``content_type_conformance``,
  ``response_headers_conformance``, ``response_schema_conformance``,
  ``negative_data_rejection``, ``missing_required_header``,
  ``object_level_authorization``, ``use_after_free``.
"""

from __future__ import annotations

import copy
import itertools
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import hypothesis
import requests
import schemathesis
from schemathesis import Case, CheckFunction, Response
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.generation.stateful import run_state_machine_as_test
from schemathesis.generation.stateful.state_machine import RecordingStateMachine
from schemathesis.pytest._test_builder import build_operation_test
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import ensure_resource_availability, ignored_auth
from schemathesis.specs.openapi.schemas import OpenApiSchema

from conformance.checks import contract
from conformance.config import Config
from conformance.resources import schemas_dir
from conformance.sandbox import Sandbox

AnyCase = Case[Any]
AnyOperation = APIOperation[Any, Any, Any, Any]

#: Every run generates the same requests for the same ``max_examples``.
SEED = 96534510

UPDATE_FRAGMENT = "update-session.openapi.yaml"
DOWNLOAD_FRAGMENT = "download-session.openapi.yaml"
SESSION_FRAGMENT = "session.openapi.yaml"
#: The contract test covers these fragments, but neither login (Basic auth; it
#: mints tokens) nor logout (it would end the suite's own API session).
CONTRACT_FRAGMENTS = (UPDATE_FRAGMENT, DOWNLOAD_FRAGMENT, SESSION_FRAGMENT)
EXCLUDED_OPERATIONS = frozenset({"session_create", "session_delete"})
#: The stateful test walks these fragments; each scenario must be able to start with the create.
WORKFLOW_FRAGMENTS = (UPDATE_FRAGMENT, DOWNLOAD_FRAGMENT)
CREATE_RULES = {
    UPDATE_FRAGMENT: "RANDOM__POST_api_content_library_item_update_session",
    DOWNLOAD_FRAGMENT: "RANDOM__POST_api_content_library_item_download_session",
}
_CREATE_OPERATION_IDS = {
    UPDATE_FRAGMENT: "update_session_create",
    DOWNLOAD_FRAGMENT: "download_session_create",
}

POSITIVE_DEFAULT = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
SERVER_ERROR_DEFAULT = ["2xx", "3xx", "4xx"]
#: Operations whose valid requests the session's state may refuse with 400 ...
STATE_DECIDES = (
    "update_session_create",  # RESOURCE_BUSY (400 in the runtime's map)
    "update_session_update",
    "update_session_delete",  # refused while ACTIVE
    "update_session_complete",
    "update_session_cancel",
    "update_session_fail",
    "update_session_keep_alive",
    "download_session_keep_alive",
    "download_session_cancel",
    "download_session_fail",
)
#: ... and those of them that do so in the contract test, whose live session stays
#: ACTIVE until one of these ends it.
STATE_DECIDES_ONE_SESSION = (
    "update_session_create",
    "update_session_delete",
    "update_session_complete",
    "update_session_cancel",
    "update_session_fail",
    "download_session_cancel",
    "download_session_fail",
)

_CREATES = {"update_session_create": "update", "download_session_create": "download"}
_SESSION_ID_PARAMETERS = {"update_session_id": "update", "download_session_id": "download"}
#: What each operation reads of its body: (model, properties, required). The property
#: tests send only these; seed 003 says of every other property of the model "This
#: property is not used for the create operation" / "not used for the update operation".
_BODY_READS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "update_session_create": (
        "UpdateSessionModel",
        ("library_item_id", "warning_behavior"),
        ("library_item_id",),
    ),
    "update_session_update": ("UpdateSessionModel", ("warning_behavior",), ()),
    "download_session_create": ("DownloadSessionModel", ("library_item_id",), ("library_item_id",)),
}
_REQUIRED_PROPERTIES = frozenset({"library_item_id", "client_error_message"})


def contract_operation_ids() -> list[str]:
    """The operations the contract test judges, in the fragments' order."""
    return [
        op.operation_id
        for op in contract().operations.values()
        if op.fragment in CONTRACT_FRAGMENTS and op.operation_id not in EXCLUDED_OPERATIONS
    ]


def fragment_of(operation_id: str) -> str:
    return contract().operations[operation_id].fragment


def workflow_size(max_examples: int) -> tuple[int, int]:
    """(scenarios, steps per scenario) of the stateful test for ``max_examples``."""
    return max(2, max_examples // 3), 6


def schemathesis_config(settings: Config, token: str) -> SchemathesisConfig:
    """The run's Schemathesis configuration; the module docstring says why the checks differ."""
    if settings.target is None:
        raise RuntimeError("the property tests need a target URL")
    _, steps = workflow_size(settings.max_examples)
    accept_400 = {
        "positive_data_acceptance": {"expected-statuses": [*POSITIVE_DEFAULT, "400"]},
    }
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "base-url": settings.target,
            "tls-verify": settings.tls_verify,
            "request-timeout": settings.timeout,
            # The fragments' apiKey scheme: the vmware-api-session-id header. Failure
            # reports print it as [Filtered] ("session" is a sensitive marker).
            "auth": {"openapi": {"session_id": {"api_key": token}}},
            "cache": {"enabled": False},  # write nothing to the working directory
            "generation": {
                "max-examples": settings.max_examples,
                "deterministic": True,
                "database": "none",
            },
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True},
                "fuzzing": {"enabled": True},
                # Sequences of valid requests: invalid ones are the contract test's job,
                # and a scenario is too short to spend steps on them.
                "stateful": {
                    "enabled": True,
                    "max-steps": steps,
                    "generation": {"mode": "positive"},
                },
            },
            "checks": {
                "unsupported_method": {"enabled": False},
                "allow_header_conformance": {"enabled": False},
            },
            "operations": [
                {"include-operation-id": list(STATE_DECIDES_ONE_SESSION), "checks": accept_400},
                {
                    "include-operation-id": list(STATE_DECIDES),
                    "phases": {"stateful": {"checks": accept_400}},
                },
                {
                    "include-operation-id": "update_session_create",
                    "checks": {
                        "not_a_server_error": {"expected-statuses": [*SERVER_ERROR_DEFAULT, "500"]}
                    },
                },
            ],
        }
    )


def load_schema(fragment: str, config: SchemathesisConfig) -> OpenApiSchema:
    """One fragment, its request bodies narrowed to what the operations read (``_BODY_READS``).

    The create and update bodies are the whole session model, whose other properties
    the docs say the operation does not use: generating them (hundreds of coverage
    cases for the nested preview_info and error_message) would cost seconds and judge
    nothing the docs promise. Responses are judged by the fragment as written.
    """
    path = schemas_dir() / fragment
    document = copy.deepcopy(contract().fragments[fragment])
    for operation in _operations(document):
        reads = _BODY_READS.get(operation.get("operationId", ""))
        if reads is not None:
            model_name, properties, required = reads
            model = document["components"]["schemas"][model_name]["properties"]
            body: dict[str, Any] = {
                "type": "object",
                "properties": {name: model[name] for name in properties},
            }
            if required:
                body["required"] = list(required)
            operation["requestBody"]["content"]["application/json"]["schema"] = body
    schema = schemathesis.openapi.from_dict(document, config=config)
    # The relative $refs into vapi-errors.schema.json resolve against the location (as
    # with from_path); without it Schemathesis silently skips those response schemas.
    schema.location = path.resolve().as_uri()
    return schema


def _operations(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for item in document.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict) and "operationId" in operation:
                yield operation


def operation_id_of(operation: AnyOperation) -> str:
    return str(operation.definition.raw.get("operationId", ""))


# -- shaping generated requests ---------------------------------------------------------------
@dataclass
class CaseShaper:
    """Steers generated requests into the sandbox and tracks what they create.

    * A ``library_item_id`` string (create bodies, list filters) becomes a sandbox
      item, except every ``keep_random_every``-th one (left random: the 404 paths).
      A valid update session create gets a fresh item, or every ``busy_every``-th
      time the previous one (RESOURCE_BUSY); invalid ones share one item, so that a
      404 cannot hide that the target accepted them.
    * With ``live_sessions``, every other session id in a path becomes a live
      session of the sandbox, one per operation test (the stateful test follows links).
    * ``client_token`` UUIDs become UUIDs unique to the run (a target may remember
      tokens between runs), or with ``fresh_tokens`` to every request. When both the
      query parameter and the ``Client-Token`` header are generated, only the query
      parameter (the published spec's form) is sent: which one wins is not documented.
    * null is the runtime's unset (contract.md §7.1; seed 003: "missing or null will
      not be modified"): an invalid body loses its optional properties that are null,
      and a null body where the body is optional is sent as ``{}``, what the SDK sends.
      An integral float such as ``100.0``, an integer for JSON Schema but not for the
      vAPI runtime, is sent as ``100``.
    * With ``skip_repeats``, a request already sent in this test is not sent again
      (the coverage phase yields many that only differ before shaping).
    * Every 2xx answer of a create is tracked with the sandbox, for cleanup.

    After an edit, reading ``case.meta`` makes Schemathesis revalidate the case, so a
    request an edit made valid is judged as valid, and the other way round.
    """

    sandbox: Sandbox
    run_id: str
    live_sessions: bool = True
    keep_random_every: int = 3
    #: Every n-th update session create reuses the previous item (0: never).
    busy_every: int = 4
    #: A new token for every request, so that no create is an idempotent repeat.
    fresh_tokens: bool = False
    #: Report a request already sent as one to skip.
    skip_repeats: bool = True
    _counter: Iterator[int] = field(default_factory=itertools.count)
    _items: dict[str, str] = field(default_factory=dict)
    _live: dict[str, str] = field(default_factory=dict)
    _sent: set[str] = field(default_factory=set)
    _auth_enforced: set[str] = field(default_factory=set)
    #: Every check failure seen, in order: Hypothesis' final replay of a failing example
    #: may not reproduce it (the target's state moved on) and raise Flaky instead.
    failures: list[FailureGroup] = field(default_factory=list)

    def shape(self, case: AnyCase) -> bool:
        """Edit ``case`` in place; False if it repeats a request already sent (skip it)."""
        operation_id = operation_id_of(case.operation)
        edited = self._shape_tokens(case)
        edited = self._shape_body(case) or edited
        if edited:
            _ = case.meta  # revalidate the generation mode against what is sent
        if self.skip_repeats and not self._first_time(case):
            return False
        n = next(self._counter)
        edited = False
        kind = _CREATES.get(operation_id)
        body = case.body
        if (
            kind is not None
            and isinstance(body, dict)
            and isinstance(body.get("library_item_id"), str)
            and self._substitute(n)
        ):
            meta = case.meta
            valid = meta is not None and meta.generation.mode.is_positive
            body["library_item_id"] = self._item_for_create(kind, n, valid=valid)
            edited = True
        query = case.query
        if isinstance(query.get("library_item_id"), str) and self._substitute(n):
            query["library_item_id"] = self._item("list")
            edited = True
        for name, session_kind in _SESSION_ID_PARAMETERS.items():
            value = case.path_parameters.get(name)
            if self.live_sessions and isinstance(value, str) and n % 2 == 0:
                case.path_parameters[name] = self._live_session(session_kind)
                edited = True
        if edited:
            _ = case.meta
        return True

    def _first_time(self, case: AnyCase) -> bool:
        meta = case.meta
        key = json.dumps(
            [
                case.method,
                case.path_parameters,
                case.query,
                dict(case.headers),
                case.body if isinstance(case.body, (dict, list, str, int, float, bool)) else None,
                repr(case.body) if not isinstance(case.body, (dict, list)) else None,
                case.media_type,
                meta.generation.mode.value if meta is not None else None,
            ],
            sort_keys=True,
            default=repr,
        )
        if key in self._sent:
            return False
        self._sent.add(key)
        return True

    def _substitute(self, n: int) -> bool:
        every = self.keep_random_every
        return every == 0 or n % every != every - 1

    def _shape_tokens(self, case: AnyCase) -> bool:
        edited = False
        if "client_token" in case.query and "Client-Token" in case.headers:
            del case.headers["Client-Token"]
            edited = True
        for container, key in ((case.query, "client_token"), (case.headers, "Client-Token")):
            value = container.get(key)
            if isinstance(value, str) and _is_uuid(value):
                if self.fresh_tokens:
                    container[key] = str(uuid.uuid4())
                else:
                    container[key] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.run_id}/{value}"))
                edited = True
        return edited

    def _shape_body(self, case: AnyCase) -> bool:
        body = case.body
        if body is None and not case.operation.definition.raw.get("requestBody", {}).get(
            "required", False
        ):
            case.body = {}  # null is the runtime's unset; the SDK sends {} for no input
            return True
        if not isinstance(body, dict):
            return False
        edited = False
        for key, value in list(body.items()):
            if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
                body[key] = int(value)
                edited = True
        meta = case.meta
        if meta is not None and meta.is_negative_at(ParameterLocation.BODY):
            for key in list(body):
                if body[key] is None and key not in _REQUIRED_PROPERTIES:
                    del body[key]
                    edited = True
        return edited

    def _item(self, role: str) -> str:
        if role not in self._items:
            self._items[role] = self.sandbox.new_item()
        return self._items[role]

    def _item_for_create(self, kind: str, n: int, *, valid: bool) -> str:
        if kind == "download":
            return self._item("download")
        if not valid:  # to be refused: an item of its own, so that a 404 cannot hide acceptance
            return self._item("invalid")
        # One ACTIVE update session per item: a fresh item, now and then the last one (busy).
        if (
            "update" in self._items
            and self.busy_every
            and n % self.busy_every == self.busy_every - 1
        ):
            return self._items["update"]
        self._items["update"] = self.sandbox.new_item()
        return self._items["update"]

    def _live_session(self, kind: str) -> str:
        if kind not in self._live:
            item = self.sandbox.new_item()
            if kind == "update":
                self._live[kind] = self.sandbox.new_update_session(item)
            else:
                self._live[kind] = self.sandbox.new_download_session(item)
        return self._live[kind]

    def excluded_checks(self, case: AnyCase) -> list[CheckFunction]:
        """``ignored_auth`` re-sends each 2xx without and with a bogus token; once per operation
        is enough (Schemathesis' own runner does the same: ``auth_enforced_operations``)."""
        return [ignored_auth] if case.operation.label in self._auth_enforced else []

    def validated(self, case: AnyCase, response: Response) -> None:
        """Called once a response passed every check."""
        if 200 <= response.status_code < 300:
            self._auth_enforced.add(case.operation.label)

    def record(self, case: AnyCase, response: Response) -> None:
        """Track the session a create made (even one it should not have made)."""
        kind = _CREATES.get(operation_id_of(case.operation))
        if kind is None or not 200 <= response.status_code < 300:
            return
        try:
            value = response.json()
        except ValueError:
            return
        if isinstance(value, dict):  # a legacy {"value": ...} envelope
            value = value.get("value")
        if isinstance(value, str) and value:
            if kind == "update":
                self.sandbox.track_update_session(value)
            else:
                self.sandbox.track_download_session(value)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


# -- failures ---------------------------------------------------------------------------------
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
    exc: BaseException, seen: list[FailureGroup], *, what: str, reproduce: str
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


# -- running ----------------------------------------------------------------------------------
def run_operation(
    operation: AnyOperation, shaper: CaseShaper, http: requests.Session, *, reproduce: str
) -> None:
    """The examples, coverage and fuzzing phases of one operation.

    The Hypothesis test is built as Schemathesis' own pytest plugin builds it
    (``build_operation_test``: the phases, settings and per-operation seed come from
    the schema's configuration). The plugin's lazy ``from_fixture`` runs operations as
    pytest subtests, whose failures the suite's reporting would not see.
    """

    def test(case: AnyCase) -> None:
        if not shaper.shape(case):
            return  # the same request was sent already
        response = case.call(session=http)
        shaper.record(case, response)
        try:
            case.validate_response(
                response,
                excluded_checks=shaper.excluded_checks(case),
                transport_kwargs={"session": http},
            )
        except FailureGroup as failure:
            shaper.failures.append(failure)
            raise
        shaper.validated(case, response)

    hypothesis_test = build_operation_test(
        config=operation.schema.config,
        operation=operation,
        test_func=test,
        given_kwargs={},
        feedback=FeedbackSources(),
    )
    try:
        hypothesis_test()
    except BaseException as exc:  # FailureGroup is a BaseExceptionGroup
        failure = check_failure(exc, shaper.failures, what=operation.label, reproduce=reproduce)
        if failure is None:
            raise
        raise failure from None


class _Workflow(RecordingStateMachine):
    """What the suite adds to Schemathesis' state machine; every hook calls ``super()``."""

    shaper: ClassVar[CaseShaper]
    http: ClassVar[requests.Session]

    def before_call(self, case: AnyCase) -> None:
        super().before_call(case)
        self.shaper.shape(case)  # a repeated request is a step of a new sequence: send it

    def get_call_kwargs(self, case: AnyCase) -> dict[str, Any]:
        return {**super().get_call_kwargs(case), "session": self.http}

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
        excluded = self.shaper.excluded_checks(case)
        if response.status_code == 404 and self._deleted_earlier(case):
            excluded = [*excluded, ensure_resource_availability]
        try:
            if not excluded:
                super().validate_response(response, case, additional_checks, **kwargs)
            else:  # RecordingStateMachine.validate_response, with excluded_checks
                case.validate_response(
                    response,
                    additional_checks=additional_checks,
                    excluded_checks=excluded,
                    transport_kwargs=kwargs or None,
                    recorder=self.recorder,
                )
        except FailureGroup as failure:
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


class WorkflowSetupError(RuntimeError):
    """The state machine cannot be built as the suite needs it (a suite problem, not a Fail)."""


def workflow_machine(
    schema: OpenApiSchema, fragment: str, shaper: CaseShaper, http: requests.Session
) -> type[_Workflow]:
    """Schemathesis' state machine over ``schema``'s links, every scenario starting with the create.

    Schemathesis makes every operation with links a possible first step here: the
    ``vmware-api-session-id`` header and the create's ``library_item_id`` are inputs no
    operation of the fragment produces, so no root counts as "reliable" and all fall
    back to roots. The by-id ones then spend the scenario's steps on random ids (404),
    which the contract test covers already; they are dropped, the create stays.
    """
    base = schema.as_state_machine()
    create_rule = CREATE_RULES[fragment]
    if create_rule not in base.root_rules:
        raise WorkflowSetupError(
            f"{fragment}: Schemathesis' state machine cannot start from the create "
            f"({create_rule}); its entry points are {sorted(base.root_rules)}"
        )
    create = schema.find_operation_by_id(_CREATE_OPERATION_IDS[fragment])
    dropped: dict[str, Any] = {name: None for name in base.root_rules if name != create_rule}
    machine: type[_Workflow] = type(
        f"{base.__name__}Workflow",
        (_Workflow, base),
        {
            "shaper": shaper,
            "http": http,
            "root_rules": frozenset({create_rule}),
            "_root_labels": frozenset({create.label}),
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
    try:
        run_state_machine_as_test(hypothesis.seed(SEED)(machine), settings=settings)
    except BaseException as exc:  # FailureGroup is a BaseExceptionGroup
        failure = check_failure(exc, machine.shaper.failures, what=what, reproduce=reproduce)
        if failure is None:
            raise
        raise failure from None
