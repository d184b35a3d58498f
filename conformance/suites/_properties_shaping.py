"""What the property tests send: the generation schemas, and the shaping of each request.

:func:`load_schema` loads a fragment as Schemathesis generates from it: request
bodies narrowed to what each operation reads and closed to unknown properties
(``additionalProperties: false``, so that a valid request carries none), responses
as written. :func:`judge_input` decides what a target may do with a request
(``_properties_policy.InputJudgement``). :class:`CaseShaper` steers each generated
request into the run's sandbox, gives every create a fresh ``client_token``,
records what the requests create and remove, and tells the checks what it knew
when it sent each request.

Requests the suite does not send: a get keyed by a query parameter
(``…/file?file_name``, ``…/file?name``) without that parameter (such a request is
the list operation on the same path, judged by the list's own test); a file add with
source_type NONE or PULL (outside the narrowed body); a request whose body breaks
only an undocumented range or format (the policy module says why).

What the property tests transfer: nothing but one tiny file (64 bytes) uploaded
once per run, as a setup step, so that an item with content exists
(:class:`SandboxContent`). Generated adds are PUSH adds whose bytes are never sent.
"""

from __future__ import annotations

import copy
import functools
import itertools
import json
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import schemathesis
from jsonschema import Draft202012Validator
from schemathesis import CheckFunction, Response
from schemathesis.config import SchemathesisConfig

from conformance.checks import contract
from conformance.resources import schemas_dir
from conformance.sandbox import Sandbox, require

from . import _files
from ._properties_policy import (
    BODY_READS,
    FILE_FRAGMENTS,
    PROPERTY_NARROWING,
    REQUIRED_PROPERTIES,
    UNDOCUMENTED_CONSTRAINTS,
    InputJudgement,
    fragment_of,
)
from ._schemathesis_compat import (
    AnyCase,
    OpenApiSchema,
    ignored_auth,
    is_negative_at,
    negative_data_rejection,
    operation_id_of,
    positive_data_acceptance,
    revalidate,
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
UNKNOWN_NAME_IS_404 = frozenset({"library_item_file_get"})
#: Operations whose 404 may also mean that the target lacks them (USF-ADD-ACTION-FORM:
#: a target without the ?action=add form is a Skip there, not a Fail).
MAY_BE_MISSING = frozenset({"update_session_file_add_action"})
#: A file name every target should take: no path, no odd character, not too long.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")
#: Files the live update session for the file operations starts with (added, never sent).
_STARTING_FILES = 2
#: Every n-th add in the contract test reuses a name the session holds (a replace).
_REPLACE_EVERY = 3


# -- what is generated --------------------------------------------------------------------------
def load_schema(fragment: str, config: SchemathesisConfig) -> OpenApiSchema:
    """One fragment as the property tests generate from it (:func:`generation_document`)."""
    document = generation_document(fragment)
    schema = schemathesis.openapi.from_dict(document, config=config)
    # The relative $refs into vapi-errors.schema.json resolve against the location (as
    # with from_path); without it Schemathesis silently skips those response schemas.
    schema.location = (schemas_dir() / fragment).resolve().as_uri()
    return schema


def generation_document(fragment: str) -> dict[str, Any]:
    """``fragment`` with its request bodies narrowed and closed; responses as written.

    The create and update bodies are the whole session model, whose other properties
    the docs say the operation does not use (``BODY_READS``): generating them
    (hundreds of coverage cases for the nested preview_info and error_message) would
    cost seconds and judge nothing the docs promise.

    The file add body (File.AddSpec) is narrowed further (``PROPERTY_NARROWING``):
    source_type is PUSH only, without source_endpoint (read for PULL only), since a
    PULL would make the target fetch generated URLs and NONE brings no content; the
    name is not empty, as the published spec says ("It cannot be an empty string").

    Every request body is then closed (:func:`_closed`): its $refs inlined and each
    object ``additionalProperties: false``, so that a valid request carries no property
    the fragment does not name (a real vCenter refuses one, another server ignores
    it). The components themselves stay open: responses may carry new properties.
    """
    return copy.deepcopy(_generation_document(fragment))


@functools.cache
def _generation_document(fragment: str) -> dict[str, Any]:
    document = copy.deepcopy(contract().fragments[fragment])
    components = document.get("components", {}).get("schemas", {})
    for operation in _operations(document):
        content = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if content is None:
            continue
        reads = BODY_READS.get(operation.get("operationId", ""))
        if reads is not None:
            model_name, properties, required = reads
            model = components[model_name]["properties"]
            narrowing = PROPERTY_NARROWING.get(model_name, {})
            body: dict[str, Any] = {
                "type": "object",
                "properties": {name: narrowing.get(name, model[name]) for name in properties},
            }
            if required:
                body["required"] = list(required)
            content["schema"] = body
        content["schema"] = _closed(content["schema"], components)
    return document


def _operations(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for item in document.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict) and "operationId" in operation:
                yield operation


_LOCAL_REF = "#/components/schemas/"


def _closed(schema: Any, components: Mapping[str, Any]) -> Any:
    """``schema`` with its local $refs inlined and every object closed to unknown properties."""
    if isinstance(schema, list):
        return [_closed(each, components) for each in schema]
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(_LOCAL_REF):
        rest = {key: value for key, value in schema.items() if key != "$ref"}
        inlined = _closed(components[ref.removeprefix(_LOCAL_REF)], components)
        return {**inlined, **rest} if rest else inlined
    closed = {key: _closed(value, components) for key, value in schema.items()}
    if "allOf" in closed:  # one object: additionalProperties in a branch would hide the others
        merged: dict[str, Any] = {key: value for key, value in closed.items() if key != "allOf"}
        for branch in closed["allOf"]:
            for key, value in branch.items():
                if key == "properties":
                    merged.setdefault("properties", {}).update(value)
                elif key == "required":
                    merged["required"] = sorted({*merged.get("required", []), *value})
                elif key != "additionalProperties":
                    merged.setdefault(key, value)
        closed = merged
    if "properties" in closed:
        closed.setdefault("additionalProperties", False)
    return closed


# -- what a target may do with a request ------------------------------------------------------
@dataclass(frozen=True)
class _Parameter:
    container: str  # "query" or "headers"
    name: str
    required: bool
    enum: frozenset[str] | None
    #: the parameter's schema as written (formats checked)
    schema: Draft202012Validator


@dataclass(frozen=True)
class _InputRules:
    """What the sources make a refusal, for one operation (``UNDOCUMENTED_CONSTRAINTS`` aside)."""

    parameters: tuple[_Parameter, ...]
    body_required: bool
    #: the body schema as generated: closed to unknown properties (None: no body)
    closed_body: Draft202012Validator | None
    #: ... without additionalProperties: false
    open_body: Draft202012Validator | None
    #: ... and without the undocumented constraints either
    core_body: Draft202012Validator | None


def judge_input(case: AnyCase) -> InputJudgement:
    """What a target may do with ``case`` as it will be sent (``InputJudgement``).

    Judged here rather than by Schemathesis' generation mode, which counts every
    constraint of the schema as a rule the target enforces.
    """
    if is_negative_at(case, "path"):
        return InputJudgement.MUST_REFUSE  # a path the fragment's parameters exclude
    operation_id = operation_id_of(case.operation)
    rules = _input_rules(fragment_of(operation_id))[operation_id]
    containers: dict[str, Mapping[str, Any]] = {
        "query": case.query,
        "headers": {key.lower(): value for key, value in case.headers.items()},
    }
    open_input = False
    for parameter in rules.parameters:
        values = containers[parameter.container]
        key = parameter.name.lower() if parameter.container == "headers" else parameter.name
        if key not in values:
            if parameter.required:
                return InputJudgement.MUST_REFUSE
            continue
        value = values[key]
        if parameter.enum is not None and not (isinstance(value, str) and value in parameter.enum):
            return InputJudgement.MUST_REFUSE
        # A format, or a type that the query string or header turns into a string anyway.
        open_input = open_input or not parameter.schema.is_valid(value)
    body = case.body
    if rules.closed_body is not None and rules.open_body is not None and rules.core_body:
        if not isinstance(body, (dict, list, str, int, float, bool)):
            if rules.body_required:
                return InputJudgement.MUST_REFUSE  # no body, or null
        elif not rules.core_body.is_valid(body):
            return InputJudgement.MUST_REFUSE
        elif not rules.open_body.is_valid(body):
            return InputJudgement.NOT_SENT
        else:
            open_input = open_input or not rules.closed_body.is_valid(body)
    return InputJudgement.OPEN if open_input else InputJudgement.MUST_ACCEPT


def _validator(schema: Any) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


@functools.cache
def _input_rules(fragment: str) -> dict[str, _InputRules]:
    document = _generation_document(fragment)
    shared = document.get("components", {}).get("parameters", {})
    rules: dict[str, _InputRules] = {}
    for item in document.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            parameters = []
            for parameter in [*item.get("parameters", []), *operation.get("parameters", [])]:
                ref = parameter.get("$ref", "")
                if ref.startswith("#/components/parameters/"):
                    parameter = shared[ref.removeprefix("#/components/parameters/")]
                where = {"query": "query", "header": "headers"}.get(parameter.get("in", ""))
                if where is None:
                    continue
                schema = parameter.get("schema", {})
                enum = schema.get("enum")
                parameters.append(
                    _Parameter(
                        where,
                        str(parameter["name"]),
                        bool(parameter.get("required", False)),
                        frozenset(map(str, enum)) if enum is not None else None,
                        _validator(schema),
                    )
                )
            request = operation.get("requestBody", {})
            closed = request.get("content", {}).get("application/json", {}).get("schema")
            open_body = _without(closed, {"additionalProperties"}) if closed is not None else None
            core_body = (
                _without(open_body, UNDOCUMENTED_CONSTRAINTS) if open_body is not None else None
            )
            rules[operation["operationId"]] = _InputRules(
                tuple(parameters),
                bool(request.get("required", False)),
                _validator(closed) if closed is not None else None,
                _validator(open_body) if open_body is not None else None,
                _validator(core_body) if core_body is not None else None,
            )
    return rules


def _without(schema: Any, keywords: frozenset[str] | set[str]) -> Any:
    """``schema`` (refs inlined) without ``keywords`` at any depth (property names kept)."""
    if isinstance(schema, list):
        return [_without(each, keywords) for each in schema]
    if not isinstance(schema, dict):
        return schema
    return {
        key: (
            {name: _without(each, keywords) for name, each in value.items()}
            if key == "properties"
            else _without(value, keywords)
        )
        for key, value in schema.items()
        if key not in keywords
    }


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
    #: What the target may do with it (the checks of acceptance and refusal judge by it).
    judgement: InputJudgement
    #: Whether a valid request must be accepted (positive_data_acceptance judges it).
    judge_acceptance: bool
    #: Path ids of sessions a delete had removed (answered 2xx) before it was sent.
    deleted: tuple[str, ...] = ()
    #: Path ids the target never gave the run (generated): a server may find them
    #: malformed and refuse them with 400 rather than 404 (issue 8 item 5).
    foreign: tuple[str, ...] = ()


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
      hold (the unknown-name path), the rest stay as generated. A valid add reuses
      an existing name (a replace) every third time. With
      ``plain_names``, an add's name that is not plain becomes a fresh plain name
      instead (the stateful test: the links put it unencoded into later paths).
    * In the stateful test, only the steps no link feeds (the roots) are steered
      so; a linked step is sent with the ids and names its link gave it.
    * Every ``client_token`` sent is fresh: a UUID becomes a new UUID, any other
      string gets a unique suffix (it stays no UUID). A repeated token returns the
      earlier create's id by idempotency, which would pass for an invalid create
      accepted. When both the query parameter and the ``Client-Token`` header are
      generated, only the query parameter (the published spec's form) is sent: which
      one wins is not documented.
    * What the target may do with the request is judged as it is sent
      (:func:`judge_input`); one whose body breaks only an undocumented range or
      format is not sent.
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
    content: SandboxContent | None = None
    live_every: int = 2
    keep_random_every: int = 3
    #: Every n-th update session create reuses the previous item (0: never).
    busy_every: int = 4
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
    #: Every id the target gave the run: the sandbox's items and sessions, created sessions.
    _known: set[str] = field(default_factory=set)
    #: Every check failure seen, in order: Hypothesis' final replay of a failing example
    #: may not reproduce it (the target's state moved on) and raise Flaky instead.
    failures: list[BaseException] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.content is None:
            self.content = SandboxContent(self.sandbox, self.sandbox.settings.poll_timeout)

    def shape(self, case: AnyCase, *, linked: bool = False) -> bool:
        """Edit ``case`` in place; False if it is not to be sent (a repeat, or no request
        of its operation). ``linked``: a stateful step fed by a link (not steered)."""
        operation_id = operation_id_of(case.operation)
        if not self._shape_keyed_path(case) or not self._sendable_add(case, operation_id):
            return False
        edited = self._one_token(case)
        edited = self._shape_body(case) or edited
        if edited:
            revalidate(case)  # judge the generation mode against what is sent
        judgement = judge_input(case)
        if judgement is InputJudgement.NOT_SENT:
            return False
        if self.skip_repeats and not self._first_time(case):
            return False
        n = next(self._counter)
        edited = self._fresh_tokens(case)
        kind = _CREATES.get(operation_id)
        body = case.body
        if (
            kind is not None
            and isinstance(body, dict)
            and isinstance(body.get("library_item_id"), str)
            and self._substitute(n)
        ):
            # An item of its own for a request to refuse, so that a 404 or a busy item
            # cannot hide that the target accepted it.
            to_refuse = judgement is InputJudgement.MUST_REFUSE
            body["library_item_id"] = self._item_for_create(kind, n, valid=not to_refuse)
            edited = True
        query = case.query
        if isinstance(query.get("library_item_id"), str) and self._substitute(n):
            query["library_item_id"] = self._item("list")
            edited = True
        if not linked:
            files = fragment_of(operation_id) in FILE_FRAGMENTS
            invalid = is_negative_at(case, "body", "query")
            live = self._live_now(n) or (self.live_every > 0 and invalid)
            for name, object_kind in _LIVE_PARAMETERS.items():
                value = case.path_parameters.get(name)
                if isinstance(value, str) and live:
                    role = f"{object_kind}-files" if files else object_kind
                    case.path_parameters[name] = self._live_object(role)
                    edited = True
            replace = judgement is InputJudgement.MUST_ACCEPT
            edited = self._shape_file_name(case, operation_id, n, replace=replace) or edited
        if edited:
            revalidate(case)
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

    @staticmethod
    def _one_token(case: AnyCase) -> bool:
        if "client_token" in case.query and "Client-Token" in case.headers:
            del case.headers["Client-Token"]
            return True
        return False

    @staticmethod
    def _fresh_tokens(case: AnyCase) -> bool:
        edited = False
        for container, key in ((case.query, "client_token"), (case.headers, "Client-Token")):
            value = container.get(key)
            if isinstance(value, str):
                container[key] = fresh_token(value)
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
        if is_negative_at(case, "body"):
            edited = _drop_unset(body) or edited
        return edited

    def _shape_file_name(self, case: AnyCase, operation_id: str, n: int, *, replace: bool) -> bool:
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
            # A valid add now and then replaces a file (an invalid one keeps its name: the
            # name may be what makes it invalid, e.g. an empty one).
            replacing = replace and n % _REPLACE_EVERY == 0
            name = self._existing_name(owner, n) if replacing else None
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
        deleted = tuple(
            value
            for name, value in case.path_parameters.items()
            if name in _SESSION_DELETES.values() and value in self._gone
        )
        foreign = tuple(
            value
            for name, value in case.path_parameters.items()
            if name in _LIVE_PARAMETERS and value not in self._known
        )
        return _Sent(live, name_known, judge_input(case), judge, deleted, foreign)

    def _item(self, role: str) -> str:
        if role not in self._items:
            self._items[role] = self.sandbox.new_item()
            self._known.add(self._items[role])
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
        self._known.add(self._items["update"])
        return self._items["update"]

    def _live_object(self, role: str) -> str:
        if role not in self._live:
            self._live[role] = self._make_live(role)
            self._known.add(self._live[role])
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
        """The checks not to run on the answer to ``case``.

        ``ignored_auth`` re-sends each 2xx without and with a bogus token; once per
        operation is enough (Schemathesis' own runner does the same:
        ``auth_enforced_operations``). ``positive_data_acceptance`` unless the request is
        one to accept (:func:`judge_input`) naming only ids the target gave, no unknown
        file and, for an add, a plain name (``_Sent``); ``negative_data_rejection`` unless
        it is one to refuse.
        """
        excluded: list[CheckFunction] = []
        if case.operation.label in self._auth_enforced:
            excluded.append(ignored_auth)
        sent = self._sent_cases.get(case.id)
        if sent is None:
            return excluded
        if (
            not sent.judge_acceptance
            or sent.judgement is not InputJudgement.MUST_ACCEPT
            or sent.foreign
        ):
            excluded.append(positive_data_acceptance)
        if sent.judgement is not InputJudgement.MUST_REFUSE:
            excluded.append(negative_data_rejection)
        return excluded

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
            self._known.add(value)
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


def _drop_unset(body: dict[str, Any]) -> bool:
    """Drop the optional properties that are null, in ``body`` and the objects in it."""
    edited = False
    for key, value in list(body.items()):
        if value is None and key not in REQUIRED_PROPERTIES:
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


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def fresh_token(value: str) -> str:
    """A client token no request sent before: a new UUID for a UUID, else ``value`` made
    unique and still no UUID (the open case: the docs say it "should be" a UUID)."""
    if _UUID.fullmatch(value):
        return str(uuid.uuid4())
    return f"{value}-vcc-{uuid.uuid4().hex}"
