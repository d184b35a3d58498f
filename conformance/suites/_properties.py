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
  server that routes on path + method + ``action`` can give. So the coverage
  phase sends no requests with undocumented methods either
  (``unexpected-methods: []``): they exist for ``unsupported_method``, every
  other check but ``not_a_server_error`` skips them (Schemathesis'
  ``skips_on_unexpected_http_status``), and they were about a quarter of the
  requests (the run's time budget). A 5xx answer to an undocumented method goes
  unseen.
* ``positive_data_acceptance`` also accepts 400 where the session's state
  decides: NOT_ALLOWED_IN_CURRENT_STATE once a session has left ACTIVE (the
  contract test reuses one live session per operation, so there only for the
  operations that end it or are refused while it is ACTIVE; in the stateful
  test for every operation that requires ACTIVE) and RESOURCE_BUSY on a second
  update session create (the runtime's 400). 404 (an id that does not exist) is
  in Schemathesis' default list already.
* ``positive_data_acceptance`` does not judge two kinds of file requests, case
  by case (:meth:`CaseShaper.excluded_checks`); it judges all others, the
  sandbox's own names included:

  - a get, remove or prepare of a file name the session does not hold (as far
    as the shaper knows: the names the sandbox added, minus those removed).
    The fragments document 400 InvalidArgument for an unknown name in an
    existing session (contract.md §10 item 8): the file's existence, not the
    request's shape, decides, and a generated name almost never exists.
  - an add whose name is not plain (``_PLAIN_NAME``: letters, digits, ``._-``,
    no ``..``). add documents 400 InvalidArgument "if the add spec is not
    valid", and the docs do not list the characters a name may hold
    (USF-ADD-PATH-NAME-400 asks, as a SHOULD, that paths be refused).
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
* Added: ``sandbox_object_found`` (:func:`sandbox_object_found`). A 404 for a
  session or item the sandbox made and nothing deleted fails: the fragments
  document 404 for an id that does not exist (and, for an item file get, a name
  the item does not hold, which that check then leaves alone). Schemathesis'
  defaults accept any 404, since they cannot know which ids exist. Not judged on
  ``POST …/file?action=add``: a target without that form answers 404, which
  USF-ADD-ACTION-FORM reports as Skip, not Fail.
* Everything else is on as Schemathesis ships it: ``not_a_server_error``,
  ``status_code_conformance``, ``content_type_conformance``,
  ``response_headers_conformance``, ``response_schema_conformance``,
  ``negative_data_rejection``, ``missing_required_header``,
  ``object_level_authorization``, ``use_after_free``.

Requests the suite does not send: a get keyed by a query parameter
(``…/file?file_name``, ``…/file?name``) without that parameter. Such a request
is the list operation on the same path (the key only tells the two apart), so a
"missing required parameter" case of the get is judged by the list's own test.
The key itself is sent as the fragments describe the request:
``…/file?file_name=<name>``, not ``…/file?file_name&file_name=<name>``. Nor a file
add with source_type NONE or PULL (outside the narrowed body: :func:`load_schema`).

Reproducible: the same seed and ``max_examples`` generate the same requests, the
ids of the sandbox's objects aside, with the same Schemathesis and Hypothesis
versions, whatever literals the suite's (or the mock's) own modules hold
(:func:`code_independent_generation`).

The generation budget: ``max_examples`` per operation and phase, except that
``POST …/file?action=add`` skips the coverage phase: its cases (the body's
boundaries, each property missing or mistyped) go to ``POST …/file``, which has the
same body schema; the action form gets the examples and fuzzing phases.

What the property tests transfer: nothing but one tiny file (64 bytes) uploaded
once per run, as a setup step, so that an item with content exists
(:class:`SandboxContent`). Generated adds are PUSH adds whose bytes are never
sent.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import unquote

import hypothesis
import requests
import schemathesis
from schemathesis import Case, CheckFunction, Response
from schemathesis.config import SchemathesisConfig
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
    positive_data_acceptance,
)
from schemathesis.specs.openapi.schemas import OpenApiSchema

from conformance.checks import contract
from conformance.config import Config
from conformance.resources import schemas_dir
from conformance.sandbox import Sandbox, require

from . import _files

AnyCase = Case[Any]
AnyOperation = APIOperation[Any, Any, Any, Any]

#: Every run generates the same requests for the same ``max_examples``.
SEED = 96534510

UPDATE_FRAGMENT = "update-session.openapi.yaml"
DOWNLOAD_FRAGMENT = "download-session.openapi.yaml"
SESSION_FRAGMENT = "session.openapi.yaml"
UPDATE_FILE_FRAGMENT = "update-session-file.openapi.yaml"
DOWNLOAD_FILE_FRAGMENT = "download-session-file.openapi.yaml"
ITEM_FILE_FRAGMENT = "item-file.openapi.yaml"
FILE_FRAGMENTS = (UPDATE_FILE_FRAGMENT, DOWNLOAD_FILE_FRAGMENT, ITEM_FILE_FRAGMENT)
#: The contract test covers these fragments, but neither login (Basic auth; it
#: mints tokens) nor logout (it would end the suite's own API session).
CONTRACT_FRAGMENTS = (UPDATE_FRAGMENT, DOWNLOAD_FRAGMENT, SESSION_FRAGMENT, *FILE_FRAGMENTS)
EXCLUDED_OPERATIONS = frozenset({"session_create", "session_delete"})
#: The stateful test walks these fragments, each scenario starting with one of the
#: operations named here (the item-file fragment has no links).
ROOT_OPERATIONS: dict[str, tuple[str, ...]] = {
    UPDATE_FRAGMENT: ("update_session_create",),
    DOWNLOAD_FRAGMENT: ("download_session_create",),
    UPDATE_FILE_FRAGMENT: ("update_session_file_add", "update_session_file_add_action"),
    DOWNLOAD_FILE_FRAGMENT: ("download_session_file_prepare",),
}
WORKFLOW_FRAGMENTS = tuple(ROOT_OPERATIONS)

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
#: Path parameters the shaper fills with a live sandbox object -> the object's kind.
_LIVE_PARAMETERS = {
    "update_session_id": "update",
    "download_session_id": "download",
    "library_item_id": "item",
}
#: Deletes of a whole session: once one succeeds, the session is gone.
_SESSION_DELETES = {
    "update_session_delete": "update_session_id",
    "download_session_delete": "download_session_id",
}
#: Operations that name a file -> (where the name is sent, its key).
_FILE_NAMES: dict[str, tuple[str, str]] = {
    "update_session_file_add": ("body", "name"),
    "update_session_file_add_action": ("body", "name"),
    "update_session_file_get": ("path", "file_name"),
    "update_session_file_remove": ("path", "file_name"),
    "download_session_file_get": ("query", "file_name"),
    "download_session_file_prepare": ("body", "file_name"),
    "library_item_file_get": ("query", "name"),
}
_FILE_ADDS = frozenset({"update_session_file_add", "update_session_file_add_action"})
_FILE_REMOVE = "update_session_file_remove"
#: By-name operations that answer 400 InvalidArgument for a name the session lacks.
_UNKNOWN_NAME_IS_400 = frozenset(
    {
        "update_session_file_get",
        "update_session_file_remove",
        "download_session_file_get",
        "download_session_file_prepare",
    }
)
#: Operations whose 404 also means "no file with that name" (not only "no such item").
_UNKNOWN_NAME_IS_404 = frozenset({"library_item_file_get"})
#: Operations whose 404 may also mean that the target lacks them (USF-ADD-ACTION-FORM:
#: a target without the ?action=add form is a Skip there, not a Fail).
_MAY_BE_MISSING = frozenset({"update_session_file_add_action"})
#: A file name every target should take: no path, no odd character, not too long.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")
#: Files the live update session for the file operations starts with (added, never sent).
_STARTING_FILES = 2
#: Every n-th add in the contract test reuses a name the session holds (a replace).
_REPLACE_EVERY = 3
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
    "update_session_file_add": (
        "UpdateSessionFileAddSpec",
        ("name", "source_type", "size", "checksum_info"),
        ("name", "source_type"),
    ),
    "update_session_file_add_action": (
        "UpdateSessionFileAddSpec",
        ("name", "source_type", "size", "checksum_info"),
        ("name", "source_type"),
    ),
}
#: What the property tests send of some of those properties (see load_schema).
_PROPERTY_NARROWING: dict[str, dict[str, Any]] = {
    "UpdateSessionFileAddSpec": {
        # PULL would make the target fetch generated URLs; NONE brings no content.
        "source_type": {"type": "string", "enum": ["PUSH"]},
        # "It cannot be an empty string" (File.Info name, published spec; USF-ADD-EMPTY-NAME-400).
        "name": {"type": "string", "minLength": 1},
    },
}
#: Required properties of the bodies (and of the objects in them): null there is no unset.
_REQUIRED_PROPERTIES = frozenset(
    {"library_item_id", "client_error_message", "name", "source_type", "checksum", "file_name"}
)


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
                # No requests with methods the fragments do not document: see the module
                # docstring (unsupported_method is off, the other checks skip them).
                "coverage": {"enabled": True, "unexpected-methods": []},
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
                {
                    # POST .../file gets the coverage phase's cases of the same body.
                    "include-operation-id": "update_session_file_add_action",
                    "phases": {"coverage": {"enabled": False}},
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

    The file add body (File.AddSpec) is narrowed further (``_PROPERTY_NARROWING``):
    source_type is PUSH only, without source_endpoint (read for PULL only), since a
    PULL would make the target fetch generated URLs and NONE brings no content; the
    name is not empty, as the published spec says ("It cannot be an empty string"),
    so an empty name is a negative case the target must refuse.
    """
    path = schemas_dir() / fragment
    document = copy.deepcopy(contract().fragments[fragment])
    for operation in _operations(document):
        reads = _BODY_READS.get(operation.get("operationId", ""))
        if reads is not None:
            model_name, properties, required = reads
            model = document["components"]["schemas"][model_name]["properties"]
            narrowing = _PROPERTY_NARROWING.get(model_name, {})
            body: dict[str, Any] = {
                "type": "object",
                "properties": {name: narrowing.get(name, model[name]) for name in properties},
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
class SandboxContent:
    """An item of the sandbox with content: one tiny file, uploaded on first use, then shared.

    The download-session and item file operations need an item with files; the file
    is 64 bytes, sent once per run through an update session the sandbox completes
    (``_files.stock_item``). A target refusing that is an Error (a setup step), not a Fail.
    """

    sandbox: Sandbox
    wait: float
    _made: tuple[str, frozenset[str]] | None = None

    def item(self) -> tuple[str, frozenset[str]]:
        """(item id, names of its files)."""
        if self._made is None:
            data = _files.payload(64)
            item_id = _files.stock_item(self.sandbox.api, self.sandbox, data, wait=self.wait)
            self._made = (item_id, frozenset({data.name}))
        return self._made


@dataclass(frozen=True)
class _Sent:
    """What the shaper knew of a request when it was sent (the checks judge by it)."""

    #: Path ids of live sandbox objects (made by the sandbox, not seen deleted).
    live: tuple[str, ...]
    #: Whether the file the request names exists there (None: it names none).
    name_known: bool | None
    #: Whether a valid request must be accepted (positive_data_acceptance judges it).
    judge_acceptance: bool


@dataclass
class CaseShaper:
    """Steers generated requests into the sandbox and tracks what they create.

    * A ``library_item_id`` string (create bodies, list filters) becomes a sandbox
      item, except every ``keep_random_every``-th one (left random: the 404 paths).
      A valid update session create gets a fresh item, or every ``busy_every``-th
      time the previous one (RESOURCE_BUSY); invalid ones share one item, so that a
      404 cannot hide that the target accepted them.
    * Every ``live_every``-th id in a path (0: none, 1: all) becomes a live object
      of the sandbox, one per kind and operation test: a session (for the file
      operations one that holds files) or, for the item file operations, the item
      with content (:class:`SandboxContent`). The download file operations get a
      download session on that item. So does every request invalid in its body or
      query (unless ``live_every`` is 0): a 404 for a random id would hide whether
      the target refuses the invalid input.
    * A file name becomes, except every ``keep_random_every``-th one, the name of a
      file the live object holds (the remove test adds one when none is left); of
      the others, every other one on a live object becomes a plain name it does not
      hold (the unknown-name path), the rest stay as generated. An add reuses an
      existing name (a replace) every third time. With
      ``plain_names``, an add's name that is not plain becomes a fresh plain name
      instead (the stateful test: the links put it unencoded into later paths).
    * In the stateful test, only the steps no link feeds (the roots) are steered
      so; a linked step is sent with the ids and names its link gave it.
    * ``client_token`` UUIDs become UUIDs unique to the run (a target may remember
      tokens between runs), or with ``fresh_tokens`` to every request. When both the
      query parameter and the ``Client-Token`` header are generated, only the query
      parameter (the published spec's form) is sent: which one wins is not documented.
    * null is the runtime's unset (contract.md §7.1; seed 003: "missing or null will
      not be modified"): an invalid body loses its optional properties that are null
      (those of the objects in it too, e.g. checksum_info's algorithm),
      and a null body where the body is optional is sent as ``{}``, what the SDK sends.
      An integral float such as ``100.0``, an integer for JSON Schema but not for the
      vAPI runtime, is sent as ``100``.
    * A get keyed by a query parameter (``…/file?file_name``) is sent as
      ``…/file?file_name=<name>``; one without that parameter is not sent (it is the
      list operation). Nor is an add whose source_type is NONE or PULL: valid for the
      fragment, outside what the narrowed body generates (``load_schema``).
    * With ``skip_repeats``, a request already sent in this test is not sent again
      (the coverage phase yields many that only differ before shaping).
    * Every 2xx answer of a create is tracked with the sandbox, for cleanup; file
      adds and removes, and session deletes, update what the shaper knows exists.

    After an edit, reading ``case.meta`` makes Schemathesis revalidate the case, so a
    request an edit made valid is judged as valid, and the other way round.
    """

    sandbox: Sandbox
    run_id: str
    content: SandboxContent | None = None
    live_every: int = 2
    keep_random_every: int = 3
    #: Every n-th update session create reuses the previous item (0: never).
    busy_every: int = 4
    #: A new token for every request, so that no create is an idempotent repeat.
    fresh_tokens: bool = False
    #: Report a request already sent as one to skip.
    skip_repeats: bool = True
    #: Give adds plain names (the stateful test).
    plain_names: bool = False
    _counter: Iterator[int] = field(default_factory=itertools.count)
    _items: dict[str, str] = field(default_factory=dict)
    _live: dict[str, str] = field(default_factory=dict)
    #: live object id -> names of the files it holds (for those that hold files)
    _names: dict[str, set[str]] = field(default_factory=dict)
    _gone: set[str] = field(default_factory=set)
    _sent: set[str] = field(default_factory=set)
    _sent_cases: dict[str, _Sent] = field(default_factory=dict)
    _auth_enforced: set[str] = field(default_factory=set)
    #: Every check failure seen, in order: Hypothesis' final replay of a failing example
    #: may not reproduce it (the target's state moved on) and raise Flaky instead.
    failures: list[FailureGroup] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.content is None:
            self.content = SandboxContent(self.sandbox, self.sandbox.settings.poll_timeout)

    def shape(self, case: AnyCase, *, linked: bool = False) -> bool:
        """Edit ``case`` in place; False if it is not to be sent (a repeat, or no request
        of its operation). ``linked``: a stateful step fed by a link (not steered)."""
        operation_id = operation_id_of(case.operation)
        if not self._shape_keyed_path(case) or not self._sendable_add(case, operation_id):
            return False
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
        if not linked:
            files = fragment_of(operation_id) in FILE_FRAGMENTS
            live = self._live_now(n) or (self.live_every > 0 and _invalid_input(case))
            for name, object_kind in _LIVE_PARAMETERS.items():
                value = case.path_parameters.get(name)
                if isinstance(value, str) and live:
                    role = f"{object_kind}-files" if files else object_kind
                    case.path_parameters[name] = self._live_object(role)
                    edited = True
            edited = self._shape_file_name(case, operation_id, n) or edited
        if edited:
            _ = case.meta
        self._sent_cases[case.id] = self._as_sent(case, operation_id)
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

    def _live_now(self, n: int) -> bool:
        every = self.live_every
        return every == 1 or (every > 1 and n % every == 0)

    @staticmethod
    def _shape_keyed_path(case: AnyCase) -> bool:
        """``…/file?file_name`` (the key of a get) becomes ``…/file``, the parameter in the
        query; False if the parameter is missing: such a request is the list operation."""
        path, _, key = case.operation.path.partition("?")
        if not key or "=" in key:
            return True
        if key not in case.query:
            return False
        case.path = path
        return True

    @staticmethod
    def _sendable_add(case: AnyCase, operation_id: str) -> bool:
        body = case.body
        return not (
            operation_id in _FILE_ADDS
            and isinstance(body, dict)
            and body.get("source_type") in ("NONE", "PULL")
        )

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
            edited = _drop_unset(body) or edited
        return edited

    def _shape_file_name(self, case: AnyCase, operation_id: str, n: int) -> bool:
        holder, key = _file_name_holder(case, operation_id)
        if holder is None or not isinstance(holder.get(key), str):
            return False
        owner = self._owner(case)
        if operation_id in _FILE_ADDS:
            if self.plain_names:
                if _is_plain(holder[key]):
                    return False
                holder[key] = self._fresh_name()
                return True
            name = self._existing_name(owner, n) if n % _REPLACE_EVERY == 0 else None
        elif self._substitute(n):
            name = self._existing_name(owner, n)
        elif owner is not None and (n // self.keep_random_every) % 4 < 2:
            # Every other kept one (n // every alternates live and random ids in pairs).
            name = self.sandbox.name("missing") + ".bin"  # the unknown-name path
        else:
            name = None
        if name is None:
            return False
        holder[key] = name
        return True

    def _owner(self, case: AnyCase) -> str | None:
        """The live object in the case's path that holds files, if any."""
        for value in case.path_parameters.values():
            if isinstance(value, str) and value in self._names and value not in self._gone:
                return value
        return None

    def _existing_name(self, owner: str | None, n: int) -> str | None:
        if owner is None:
            return None
        names = self._names[owner]
        if not names and owner == self._live.get("update-files"):
            names.add(self._add_file(owner))  # a remove took the last one
        return sorted(names)[n % len(names)] if names else None

    def _fresh_name(self) -> str:
        return self.sandbox.name("file") + ".bin"

    def _add_file(self, session_id: str) -> str:
        name = self._fresh_name()
        require(  # a 200 is the add test's to judge (status_code_conformance), not an Error
            self.sandbox.api.update_session_files.add_push(session_id, name),
            (200, 201),
            f"adding file {name!r} to the update session",
        )
        return name

    def _as_sent(self, case: AnyCase, operation_id: str) -> _Sent:
        live = tuple(
            value
            for name, value in case.path_parameters.items()
            if name in _LIVE_PARAMETERS and value in self._live.values() and value not in self._gone
        )
        holder, key = _file_name_holder(case, operation_id)
        name = holder.get(key) if holder is not None else None
        owner = self._owner(case)
        name_known: bool | None = None
        if isinstance(name, str):
            if holder is case.path_parameters:
                name = unquote(name)  # generated path parameters come percent-encoded
            name_known = owner is not None and name in self._names[owner]
        judge = True
        if operation_id in _UNKNOWN_NAME_IS_400 and not name_known:
            judge = False
        if operation_id in _FILE_ADDS and isinstance(name, str) and not _is_plain(name):
            judge = False
        return _Sent(live, name_known, judge)

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

    def _live_object(self, role: str) -> str:
        if role not in self._live:
            self._live[role] = self._make_live(role)
        return self._live[role]

    def _make_live(self, role: str) -> str:
        """A session (or, for "item-files", the item) for the role's operations."""
        if role == "update":
            return self.sandbox.new_update_session(self.sandbox.new_item())
        if role == "download":
            return self.sandbox.new_download_session(self.sandbox.new_item())
        if role == "update-files":
            session_id = self.sandbox.new_update_session(self.sandbox.new_item())
            self._names[session_id] = {self._add_file(session_id) for _ in range(_STARTING_FILES)}
            return session_id
        assert self.content is not None
        item_id, names = self.content.item()
        if role == "download-files":
            object_id = self.sandbox.new_download_session(item_id)
        elif role == "item-files":
            object_id = item_id
        else:
            raise ValueError(f"no live object for {role!r}")
        self._names[object_id] = set(names)
        return object_id

    def excluded_checks(self, case: AnyCase) -> list[CheckFunction]:
        """``ignored_auth`` re-sends each 2xx without and with a bogus token; once per operation
        is enough (Schemathesis' own runner does the same: ``auth_enforced_operations``).
        ``positive_data_acceptance`` where the module docstring says (``_Sent``)."""
        excluded: list[CheckFunction] = []
        if case.operation.label in self._auth_enforced:
            excluded.append(ignored_auth)
        sent = self._sent_cases.get(case.id)
        if sent is not None and not sent.judge_acceptance:
            excluded.append(positive_data_acceptance)
        return excluded

    def additional_checks(self) -> list[CheckFunction]:
        """The suite's own checks (the module docstring says why)."""
        return [sandbox_object_found(self)]

    def sent(self, case: AnyCase) -> _Sent | None:
        return self._sent_cases.get(case.id)

    def validated(self, case: AnyCase, response: Response) -> None:
        """Called once a response passed every check."""
        if 200 <= response.status_code < 300:
            self._auth_enforced.add(case.operation.label)

    def record(self, case: AnyCase, response: Response) -> None:
        """Track the session a create made (even one it should not have made), the files
        adds and removes changed, and the sessions deletes removed."""
        operation_id = operation_id_of(case.operation)
        if not 200 <= response.status_code < 300:
            return
        session_parameter = _SESSION_DELETES.get(operation_id)
        if session_parameter is not None:
            gone = case.path_parameters.get(session_parameter)
            if isinstance(gone, str):
                self._gone.add(gone)
            return
        if operation_id in _FILE_ADDS or operation_id == _FILE_REMOVE:
            self._record_file(case, operation_id)
            return
        kind = _CREATES.get(operation_id)
        if kind is None:
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

    def _record_file(self, case: AnyCase, operation_id: str) -> None:
        owner = self._owner(case)
        holder, key = _file_name_holder(case, operation_id)
        if owner is None or holder is None or not isinstance(holder.get(key), str):
            return
        if operation_id == _FILE_REMOVE:
            self._names[owner].discard(unquote(holder[key]))
        else:
            self._names[owner].add(holder[key])


def _invalid_input(case: AnyCase) -> bool:
    """Whether ``case`` is invalid in its body or query (not only in its path)."""
    meta = case.meta
    return meta is not None and any(
        meta.is_negative_at(location)
        for location in (ParameterLocation.BODY, ParameterLocation.QUERY)
    )


def _drop_unset(body: dict[str, Any]) -> bool:
    """Drop the optional properties that are null, in ``body`` and the objects in it."""
    edited = False
    for key, value in list(body.items()):
        if value is None and key not in _REQUIRED_PROPERTIES:
            del body[key]
            edited = True
        elif isinstance(value, dict):
            edited = _drop_unset(value) or edited
    return edited


def _file_name_holder(case: AnyCase, operation_id: str) -> tuple[dict[str, Any] | None, str]:
    """The container of the file name ``case`` sends, and its key (None: it sends none)."""
    where = _FILE_NAMES.get(operation_id)
    if where is None:
        return None, ""
    location, key = where
    holder: Any = {"body": case.body, "query": case.query, "path": case.path_parameters}[location]
    return (holder if isinstance(holder, dict) else None), key


def _is_plain(name: str) -> bool:
    return _PLAIN_NAME.fullmatch(name) is not None and ".." not in name


class SandboxObjectNotFound(Failure):
    """404 for a session or item the sandbox made and nothing deleted."""

    code = "ST901"
    kind_title = "Sandbox object not found"


def sandbox_object_found(shaper: CaseShaper) -> CheckFunction:
    """The check ``sandbox_object_found`` over ``shaper``'s knowledge of what exists."""

    def sandbox_object_found(ctx: Any, response: Response, case: AnyCase) -> bool | None:
        if response.status_code != 404 or case.method.upper() != case.operation.method.upper():
            return None
        sent = shaper.sent(case)
        if sent is None or not sent.live or operation_id_of(case.operation) in _MAY_BE_MISSING:
            return None
        also_names = operation_id_of(case.operation) in _UNKNOWN_NAME_IS_404
        if also_names and not sent.name_known:
            return None  # 404 also documents a name the item does not hold
        raise SandboxObjectNotFound(
            operation=case.operation.label,
            message=(
                f"Got 404 for {', '.join(sent.live)}, which the sandbox made and nothing "
                "deleted"
                + (", and which holds the file named" if also_names else "")
                + ". The fragment documents 404 only for "
                + (
                    "an id or a file name that does not exist."
                    if also_names
                    else "an id that does not exist."
                )
            ),
        )

    return sandbox_object_found


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
            return  # the same request was sent already, or it is no request of this operation
        response = case.call(session=http)
        shaper.record(case, response)
        try:
            case.validate_response(
                response,
                additional_checks=shaper.additional_checks(),
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
        with code_independent_generation():
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
        additional_checks = [*(additional_checks or []), *self.shaper.additional_checks()]
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


def root_rules(schema: OpenApiSchema, fragment: str) -> dict[str, str]:
    """The state machine rules that start a scenario of ``fragment`` -> their operation's label."""
    labels = [schema.find_operation_by_id(op).label for op in ROOT_OPERATIONS[fragment]]
    return {normalize_name(f"RANDOM -> {label}"): label for label in labels}


def workflow_machine(
    schema: OpenApiSchema, fragment: str, shaper: CaseShaper, http: requests.Session
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
    try:
        with code_independent_generation():
            run_state_machine_as_test(hypothesis.seed(SEED)(machine), settings=settings)
    except BaseException as exc:  # FailureGroup is a BaseExceptionGroup
        failure = check_failure(exc, machine.shaper.failures, what=what, reproduce=reproduce)
        if failure is None:
            raise
        raise failure from None
