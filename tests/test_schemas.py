"""Lint tests for the hand-written contract in ``schemas/``.

``schemas/`` is the project's one source of truth: the OpenAPI 3.1 fragments
(``*.openapi.yaml``) and the vAPI standard error bodies they reference
(``vapi-errors.schema.json``). These tests check that

* the files are valid (openapi-spec-validator for OpenAPI 3.1, the JSON Schema
  2020-12 meta-schema for the error file);
* every operation says where it comes from, has an operationId and documents
  401 when it needs a session, and every error response points at one of the
  vAPI error definitions, under the status the docs give it;
* the error definitions accept real /api error bodies and reject the legacy
  /rest envelope and malformed bodies;
* Schemathesis loads every fragment, finds the expected operations, resolves
  the relative external ``$ref``s (it silently skips validation of a response
  whose schema it cannot resolve, so this is checked explicitly) and builds a
  state machine from the links.

Nothing here reads files outside ``schemas/``.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import OpenAPIV31SpecValidator
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from conformance.resources import schemas_dir

SCHEMAS: Path = schemas_dir()
ERRORS_FILE = "vapi-errors.schema.json"
ERRORS_REF_PREFIX = f"./{ERRORS_FILE}#/$defs/"
FRAGMENTS = sorted(path.name for path in SCHEMAS.glob("*.openapi.yaml"))
SESSION = "session.openapi.yaml"
US = "update-session.openapi.yaml"
DS = "download-session.openapi.yaml"
FIX = "fixtures.openapi.yaml"
USF = "update-session-file.openapi.yaml"
DSF = "download-session-file.openapi.yaml"
IF = "item-file.openapi.yaml"

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# The operations each fragment must define. A new fragment (e.g. the file
# services) must be added here: test_every_fragment_is_listed says so.
EXPECTED_OPERATIONS: dict[str, set[str]] = {
    "session.openapi.yaml": {"session_create", "session_get", "session_delete"},
    "update-session.openapi.yaml": {
        "update_session_create",
        "update_session_list",
        "update_session_get",
        "update_session_update",
        "update_session_delete",
        "update_session_complete",
        "update_session_cancel",
        "update_session_fail",
        "update_session_keep_alive",
    },
    "download-session.openapi.yaml": {
        "download_session_create",
        "download_session_list",
        "download_session_get",
        "download_session_delete",
        "download_session_keep_alive",
        "download_session_cancel",
        "download_session_fail",
    },
    "fixtures.openapi.yaml": {
        "local_library_create",
        "local_library_list",
        "local_library_get",
        "local_library_delete",
        "library_item_create",
        "library_item_list",
        "library_item_get",
        "library_item_delete",
        "datastore_list",
        "appliance_system_version_get",
    },
    "update-session-file.openapi.yaml": {
        "update_session_file_add",
        "update_session_file_add_action",
        "update_session_file_list",
        "update_session_file_get",
        "update_session_file_remove",
        "update_session_file_validate",
    },
    "download-session-file.openapi.yaml": {
        "download_session_file_list",
        "download_session_file_get",
        "download_session_file_prepare",
    },
    "item-file.openapi.yaml": {"library_item_file_list", "library_item_file_get"},
}

# contract.md §6.2: the 25 values of com.vmware.vapi.std.errors.error.type.
ERROR_TYPES = {
    "ERROR", "ALREADY_EXISTS", "ALREADY_IN_DESIRED_STATE", "CANCELED", "CONCURRENT_CHANGE",
    "FEATURE_IN_USE", "INTERNAL_SERVER_ERROR", "INVALID_ARGUMENT", "INVALID_ELEMENT_CONFIGURATION",
    "INVALID_ELEMENT_TYPE", "INVALID_REQUEST", "NOT_ALLOWED_IN_CURRENT_STATE", "NOT_FOUND",
    "OPERATION_NOT_FOUND", "RESOURCE_BUSY", "RESOURCE_IN_USE", "RESOURCE_INACCESSIBLE",
    "SERVICE_UNAVAILABLE", "TIMED_OUT", "UNABLE_TO_ALLOCATE_RESOURCE", "UNAUTHENTICATED",
    "UNAUTHORIZED", "UNEXPECTED_INPUT", "UNSUPPORTED", "UNVERIFIED_PEER",
}  # fmt: skip

# Specific error definitions -> (error_type const, statuses they may be documented under).
# Statuses per contract.md §6.3; ResourceBusy/ResourceInaccessible are 500 in the published
# spec and 400 in the Python vAPI runtime's map, so both are allowed.
SPECIFIC_ERRORS: dict[str, tuple[str, set[str]]] = {
    "NotFound": ("NOT_FOUND", {"404"}),
    "NotAllowedInCurrentState": ("NOT_ALLOWED_IN_CURRENT_STATE", {"400"}),
    "InvalidArgument": ("INVALID_ARGUMENT", {"400"}),
    "InvalidElementType": ("INVALID_ELEMENT_TYPE", {"400"}),
    "AlreadyExists": ("ALREADY_EXISTS", {"400"}),
    "Unsupported": ("UNSUPPORTED", {"400"}),
    "UnableToAllocateResource": ("UNABLE_TO_ALLOCATE_RESOURCE", {"400"}),
    "Unauthenticated": ("UNAUTHENTICATED", {"401"}),
    "Unauthorized": ("UNAUTHORIZED", {"403"}),
    "ConcurrentChange": ("CONCURRENT_CHANGE", {"409"}),
    "ResourceBusy": ("RESOURCE_BUSY", {"400", "500"}),
    "ResourceInaccessible": ("RESOURCE_INACCESSIBLE", {"400", "500"}),
    "ServiceUnavailable": ("SERVICE_UNAVAILABLE", {"503"}),
    "InternalServerError": ("INTERNAL_SERVER_ERROR", {"500"}),
}
# The generic Error may carry any error_type; operations document it under 500.
GENERIC_ERROR_STATUSES = {"500"}
STRUCTURE_DEFS = {
    "ErrorType",
    "LocalizationParamDateTimeFormat",
    "LocalizationParam",
    "NestedLocalizableMessage",
    "LocalizableMessage",
    "Error",
}

# x-source must name a seed page, a contract.md section or a documentation URL.
SEED_PAGES = {
    "seeds/000_c032353c98a108a2.txt",
    "seeds/001_ea29301b0f8c511c.txt",
    "seeds/002_8ed9de56a607e340.txt",
    "seeds/003_85c7770abf0c5f5e.txt",
    "seeds/004_710c12ed700c468e.txt",
}
_NOTE = r"(?: \([^)]*\))?"  # e.g. "(404 responses)"
_SECTION = rf"§\d+(?:\.\d+)?(?: item \d+)?{_NOTE}"
SOURCE_PART = re.compile(
    rf"seeds/\d{{3}}_[0-9a-f]{{16}}\.txt{_NOTE}"
    rf"|contract\.md {_SECTION}(?:, {_SECTION})*"
    rf"|https://\S+{_NOTE}"
)

# --- real and realistic error bodies -------------------------------------------------------

# contract.md §9, govmomi#3319: the body a real vCenter returned for `complete` after a
# failed upload, unwrapped from the legacy envelope into the /api form (elisions kept).
NACS_AFTER_FAILED_UPLOAD = {
    "error_type": "NOT_ALLOWED_IN_CURRENT_STATE",
    "messages": [
        {
            "args": [
                "complete",
                "ERROR",
                "Error transferring file vmware-amd64.vmdk to ds:///vmfs/volumes/…?serverId=…. "
                "Reason: IO error during transfer of …: Pipe closed",
            ],
            "default_message": "The operation complete can not be invoked when the import "
            "session is in the ERROR state. Reason: …",
            "id": "…",
        }
    ],
}
# contract.md §9, govmomi#2958: duplicate item name, in the /api form.
ALREADY_EXISTS_DUPLICATE_NAME = {
    "error_type": "ALREADY_EXISTS",
    "messages": [
        {
            "args": ["<item>", "<library>", "<library-id>"],
            "default_message": "Operation is not supported since a library item with the name "
            "… exists in the library '…' (ID: …).",
            "id": "com.vmware.vdcs.cls-main.duplicate_item_name_unsupported_in_library",
        }
    ],
}
# Every optional part of the struct, in the shape of the seed pages' example body.
NOT_FOUND_FULL = {
    "error_type": "NOT_FOUND",
    "messages": [
        {
            "id": "com.vmware.example.not_found",
            "default_message": "Update session us-1 was not found.",
            "args": [],
            "params": {
                "id": {"s": "us-1"},
                "when": {"dt": "2026-01-01T00:00:00.000Z", "format": "SHORT_DATE_TIME"},
                "count": {"i": 3},
                "ratio": {"d": 0.5, "precision": 2},
                "nested": {"l": {"id": "com.vmware.example.nested", "params": {"x": {"s": "y"}}}},
            },
            "localized": "Update session us-1 was not found.",
        },
        {"id": "com.vmware.example.cause", "default_message": "cause", "args": ["a"]},
    ],
    "data": {},
}
# contract.md §9 (govmomi#3319): the same NACS body as a real vCenter sent it on legacy /rest.
LEGACY_NACS_ENVELOPE = {
    "type": "com.vmware.vapi.std.errors.not_allowed_in_current_state",
    "value": NACS_AFTER_FAILED_UPLOAD,
}
# contract.md §9 (vsphere-automation-sdk-rest#40): a 6.7 legacy error, without error_type.
LEGACY_67_OPERATION_NOT_FOUND = {
    "type": "com.vmware.vapi.std.errors.operation_not_found",
    "value": {
        "messages": [
            {
                "args": ["com.vmware.vcenter.VM"],
                "default_message": "Cannot find service 'com.vmware.vcenter.VM'.",
                "id": "vapi.method.input.invalid.interface",
            }
        ]
    },
}


def assert_sources(x_source: str, where: str) -> None:
    """x-source is "; "-separated; seed pages may be listed with ", "."""
    pieces = [p for part in x_source.split("; ") for p in re.split(r", (?=seeds/)", part)]
    assert pieces, where
    for piece in pieces:
        assert SOURCE_PART.fullmatch(piece), f"{where}: bad x-source part {piece!r}"
        if piece.startswith("seeds/"):
            assert piece.split(" ")[0] in SEED_PAGES, f"{where}: unknown seed page {piece!r}"


def error_body(error_type: str) -> dict[str, Any]:
    """A minimal well-formed /api error body with the given error_type."""
    return {
        "error_type": error_type,
        "messages": [{"id": "com.vmware.example.msg", "default_message": "msg", "args": []}],
    }


# --- loading helpers -----------------------------------------------------------------------


@cache
def load_fragment(name: str) -> dict[str, Any]:
    with (SCHEMAS / name).open(encoding="utf-8") as stream:
        document: dict[str, Any] = yaml.safe_load(stream)
    return document


@cache
def load_errors() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((SCHEMAS / ERRORS_FILE).read_text(encoding="utf-8"))
    return document


@cache
def registry() -> Registry:
    """Every file of schemas/ under its file URI (and the error file under its $id too)."""
    errors = Resource.from_contents(load_errors())
    resources = [((SCHEMAS / ERRORS_FILE).as_uri(), errors), (load_errors()["$id"], errors)]
    for name in FRAGMENTS:
        resources.append(
            ((SCHEMAS / name).as_uri(), DRAFT202012.create_resource(load_fragment(name)))
        )
    return Registry().with_resources(resources)


def validator(file_name: str, pointer: str) -> Draft202012Validator:
    """A validator for the schema at `pointer` in a file of schemas/, with formats checked."""
    return Draft202012Validator(
        {"$ref": f"{(SCHEMAS / file_name).as_uri()}#{pointer}"},
        registry=registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def error_def(name: str) -> Draft202012Validator:
    return validator(ERRORS_FILE, f"/$defs/{name}")


@cache
def st_schema(name: str) -> Any:
    return schemathesis.openapi.from_path(SCHEMAS / name)


def iter_operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def all_operations() -> list[tuple[str, str, str, dict[str, Any]]]:
    return [
        (name, path, method, operation)
        for name in FRAGMENTS
        for path, method, operation in iter_operations(load_fragment(name))
    ]


def resolve_local(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow a same-document `$ref` (e.g. to #/components/responses/...)."""
    while "$ref" in node and node["$ref"].startswith("#/"):
        target: Any = document
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


def operation_parameters(
    document: dict[str, Any], path: str, operation: dict[str, Any]
) -> list[dict[str, Any]]:
    path_level = document["paths"][path].get("parameters", [])
    return [resolve_local(document, p) for p in [*path_level, *operation.get("parameters", [])]]


def error_refs(document: dict[str, Any], response: dict[str, Any]) -> list[str]:
    """The vAPI error $defs an error response's JSON schema refers to (directly or via oneOf)."""
    response = resolve_local(document, response)
    schema = response["content"]["application/json"]["schema"]
    branches = schema.get("oneOf", [schema])
    refs = []
    for branch in branches:
        assert set(branch) == {"$ref"}, f"error schema branch is not a bare $ref: {branch}"
        assert branch["$ref"].startswith(ERRORS_REF_PREFIX), branch["$ref"]
        refs.append(branch["$ref"].removeprefix(ERRORS_REF_PREFIX))
    return refs


def needs_session(document: dict[str, Any], operation: dict[str, Any]) -> bool:
    requirements = operation.get("security", document.get("security", []))
    return any("session_id" in requirement for requirement in requirements)


def json_response(status: int, body: Any) -> schemathesis.Response:
    return schemathesis.Response(
        status_code=status,
        headers={"content-type": ["application/json"]},
        content=json.dumps(body).encode(),
        request=None,  # type: ignore[arg-type]
        elapsed=0.0,
        verify=True,
    )


# --- the files are valid -------------------------------------------------------------------


def test_every_fragment_is_listed() -> None:
    assert set(FRAGMENTS) == set(EXPECTED_OPERATIONS), (
        "schemas/*.openapi.yaml and EXPECTED_OPERATIONS differ: "
        "add the operationIds of a new fragment to EXPECTED_OPERATIONS"
    )


@pytest.mark.parametrize("name", FRAGMENTS)
def test_fragment_is_valid_openapi_3_1(name: str) -> None:
    document = load_fragment(name)
    assert document["openapi"] == "3.1.0"
    # With base_uri the validator follows the relative external $refs: a ref to a missing
    # $def or file fails here.
    validate_openapi(document, base_uri=(SCHEMAS / name).as_uri(), cls=OpenAPIV31SpecValidator)


@pytest.mark.parametrize("name", FRAGMENTS)
def test_fragment_info_versions_the_contract(name: str) -> None:
    info = load_fragment(name)["info"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", info["version"]), info["version"]
    assert len(info["description"].strip()) > 40
    assert info["title"].startswith("vSphere Automation API (/api)")


def test_vapi_errors_schema_is_valid_draft_2020_12() -> None:
    document = load_errors()
    Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["$id"].endswith("/vapi-errors.schema.json")
    assert set(document["$defs"]) == STRUCTURE_DEFS | set(SPECIFIC_ERRORS)
    enum = document["$defs"]["ErrorType"]["enum"]
    assert len(enum) == len(set(enum)) == 25
    assert set(enum) == ERROR_TYPES


def test_generic_error_requires_messages_and_error_type() -> None:
    error = load_errors()["$defs"]["Error"]
    assert set(error["required"]) == {"messages", "error_type"}
    assert error["properties"]["messages"]["minItems"] == 1
    assert "data" in error["properties"]
    description = error["properties"]["error_type"]["description"]
    assert "compatibility" in description and "REQUIRES" in description
    message = load_errors()["$defs"]["LocalizableMessage"]
    assert set(message["required"]) == {"id", "default_message", "args"}
    assert {"params", "localized"} <= set(message["properties"])


@pytest.mark.parametrize("name", sorted(SPECIFIC_ERRORS))
def test_specific_error_def_is_error_with_const_type(name: str) -> None:
    definition = load_errors()["$defs"][name]
    assert definition["allOf"] == [{"$ref": "#/$defs/Error"}]
    const = definition["properties"]["error_type"]["const"]
    assert const == SPECIFIC_ERRORS[name][0]
    assert definition["x-vapi-type"].startswith("com.vmware.vapi.std.errors.")
    assert definition["x-vapi-type"].rsplit(".", 1)[1].upper() == const
    # The description names the document the definition comes from.
    assert "Source:" in definition["description"]
    assert any(s in definition["description"] for s in ("seeds/", "contract.md", "https://"))


def test_every_error_def_states_its_source() -> None:
    for name, definition in load_errors()["$defs"].items():
        assert_sources(definition["x-source"], name)


# --- error bodies --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("definition", "body"),
    [
        ("NotAllowedInCurrentState", NACS_AFTER_FAILED_UPLOAD),
        ("AlreadyExists", ALREADY_EXISTS_DUPLICATE_NAME),
        ("NotFound", NOT_FOUND_FULL),
        ("Error", NACS_AFTER_FAILED_UPLOAD),
        ("Error", NOT_FOUND_FULL),
        (
            "Unauthenticated",
            dict(error_body("UNAUTHENTICATED"), challenge='Basic realm="VAPI endpoint"'),
        ),
    ],
    ids=["nacs-govmomi3319", "already-exists-govmomi2958", "not-found-full", "error-nacs",
         "error-not-found", "unauthenticated-challenge"],
)  # fmt: skip
def test_real_api_error_bodies_validate(definition: str, body: dict[str, Any]) -> None:
    errors = sorted(e.message for e in error_def(definition).iter_errors(body))
    assert errors == []


@pytest.mark.parametrize(
    ("definition", "body", "why"),
    [
        ("NotAllowedInCurrentState", LEGACY_NACS_ENVELOPE, "legacy /rest envelope"),
        ("Error", LEGACY_NACS_ENVELOPE, "legacy /rest envelope"),
        ("Error", LEGACY_67_OPERATION_NOT_FOUND, "legacy 6.7 envelope"),
        ("Error", LEGACY_67_OPERATION_NOT_FOUND["value"], "no error_type (pre-6.7.2)"),
        ("NotFound", {"error_type": "NOT_FOUND"}, "no messages"),
        ("NotFound", {"error_type": "NOT_FOUND", "messages": []}, "empty messages"),
        ("Error", {"error_type": "NOT_FOUND", "messages": []}, "empty messages"),
        ("NotFound", NACS_AFTER_FAILED_UPLOAD, "error_type does not match the const"),
        ("NotAllowedInCurrentState", error_body("NOT_FOUND"), "error_type does not match"),
        ("Error", error_body("BOGUS"), "error_type outside the enum"),
        ("NotFound", {"error_type": "NOT_FOUND", "messages": [{"id": "x"}]}, "message lacks args"),
        (
            "NotFound",
            {"error_type": "NOT_FOUND", "messages": [{"id": "x", "default_message": "m",
                                                      "args": [1]}]},
            "non-string arg",
        ),
        ("NotFound", dict(error_body("NOT_FOUND"), data=[]), "data is not an object"),
        ("NotFound", "Not found", "bare string"),
    ],
)  # fmt: skip
def test_bad_error_bodies_do_not_validate(definition: str, body: Any, why: str) -> None:
    assert not error_def(definition).is_valid(body), why


@pytest.mark.parametrize("name", sorted(SPECIFIC_ERRORS))
def test_specific_error_def_accepts_only_its_error_type(name: str) -> None:
    own = SPECIFIC_ERRORS[name][0]
    definition = error_def(name)
    assert definition.is_valid(error_body(own))
    rejected = {t for t in ERROR_TYPES if not definition.is_valid(error_body(t))}
    assert rejected == ERROR_TYPES - {own}


def test_generic_error_accepts_every_error_type() -> None:
    definition = error_def("Error")
    assert all(definition.is_valid(error_body(t)) for t in ERROR_TYPES)


# --- operations ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", FRAGMENTS)
def test_operations_have_id_summary_and_source(name: str) -> None:
    for path, method, operation in iter_operations(load_fragment(name)):
        label = f"{method.upper()} {path}"
        assert re.fullmatch(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+", operation["operationId"]), label
        assert operation["summary"].strip(), label
        assert_sources(operation["x-source"], label)


def test_operation_ids_are_unique_across_fragments() -> None:
    ids = [operation["operationId"] for _, _, _, operation in all_operations()]
    duplicates = {i for i in ids if ids.count(i) > 1}
    assert not duplicates
    assert len(ids) == sum(len(v) for v in EXPECTED_OPERATIONS.values())


@pytest.mark.parametrize("name", FRAGMENTS)
def test_component_schemas_state_their_source(name: str) -> None:
    schemas = load_fragment(name)["components"].get("schemas", {})
    assert schemas
    for schema_name, schema in schemas.items():
        assert schema.get("description", "").strip(), schema_name
        assert_sources(schema["x-source"], f"{name} {schema_name}")


def test_security_basic_only_on_login_session_everywhere_else() -> None:
    for name, path, method, operation in all_operations():
        document = load_fragment(name)
        assert set(document["components"]["securitySchemes"]) == {"session_id", "basic_auth"}
        schemes = document["components"]["securitySchemes"]
        session_id, basic = schemes["session_id"], schemes["basic_auth"]
        assert (session_id["type"], session_id["in"], session_id["name"]) == (
            "apiKey",
            "header",
            "vmware-api-session-id",
        )
        assert (basic["type"], basic["scheme"]) == ("http", "basic")
        requirements = operation.get("security", document.get("security"))
        if operation["operationId"] == "session_create":
            assert (path, method) == ("/api/session", "post")
            assert requirements == [{"basic_auth": []}]
        else:
            assert requirements == [{"session_id": []}], operation["operationId"]


def test_operations_needing_a_session_document_401_unauthenticated() -> None:
    checked = 0
    for name, _, _, operation in all_operations():
        document = load_fragment(name)
        if not needs_session(document, operation):
            continue
        checked += 1
        assert "401" in operation["responses"], operation["operationId"]
        assert error_refs(document, operation["responses"]["401"]) == ["Unauthenticated"]
    assert checked == sum(len(v) for v in EXPECTED_OPERATIONS.values()) - 1  # all but login


def test_error_responses_reference_vapi_error_defs_under_their_status() -> None:
    defs = set(load_errors()["$defs"])
    seen: set[str] = set()
    for name, _, _, operation in all_operations():
        document = load_fragment(name)
        for status, response in operation["responses"].items():
            if status.startswith("2"):
                continue
            refs = error_refs(document, response)
            assert refs, (operation["operationId"], status)
            for ref in refs:
                assert ref in defs, (operation["operationId"], status, ref)
                allowed = GENERIC_ERROR_STATUSES if ref == "Error" else SPECIFIC_ERRORS[ref][1]
                assert status in allowed, (operation["operationId"], status, ref)
                seen.add(ref)
    # The error types these operations declare (contract.md §3) are all used somewhere.
    assert {"NotFound", "NotAllowedInCurrentState", "InvalidArgument", "InvalidElementType",
            "AlreadyExists", "Unsupported", "Unauthenticated", "Unauthorized", "ResourceBusy",
            "ServiceUnavailable", "Error"} <= seen  # fmt: skip


def test_update_session_create_documents_resource_busy_as_400_and_500() -> None:
    document = load_fragment(US)
    responses = document["paths"]["/api/content/library/item/update-session"]["post"]["responses"]
    assert "ResourceBusy" in error_refs(document, responses["400"])
    assert error_refs(document, responses["500"]) == ["ResourceBusy"]
    for status in ("400", "500"):
        text = responses[status]["description"]
        assert "published" in text and "runtime" in text, status


# contract.md §10 item 3: "201 for create and file add, 200 for get/list/validate/prepare,
# 204 for void operations and every ?action= except validate and prepare". These POSTs
# answer with a File.Info or a ValidationResult body.
BODY_POSTS: dict[str, str] = {
    "update_session_file_add": "201",
    "update_session_file_add_action": "201",
    "update_session_file_validate": "200",
    "download_session_file_prepare": "200",
}


@pytest.mark.parametrize("name", FRAGMENTS)
def test_success_statuses_follow_the_docs(name: str) -> None:
    document = load_fragment(name)
    for path, method, operation in iter_operations(document):
        op_id = operation["operationId"]
        success = {s: r for s, r in operation["responses"].items() if s.startswith("2")}
        assert len(success) == 1, op_id
        [(status, response)] = success.items()
        if op_id in BODY_POSTS:
            assert (method, status) == ("post", BODY_POSTS[op_id]), op_id
            schema = resolve_local(document, response["content"]["application/json"]["schema"])
            assert schema["type"] == "object", op_id
        elif "?action=" in path or method in ("delete", "patch"):
            assert status == "204", op_id
            assert "content" not in response, op_id
        elif op_id.endswith("_create"):
            assert (method, status) == ("post", "201"), op_id
            schema = resolve_local(document, response["content"]["application/json"]["schema"])
            assert schema["type"] == "string", op_id  # ids and the token are bare JSON strings
        else:
            assert (method, status) == ("get", "200"), op_id
            assert "application/json" in response["content"], op_id


def test_list_operations_return_arrays_of_id_strings() -> None:
    for name, _, _, operation in all_operations():
        op_id = operation["operationId"]
        if not op_id.endswith("_list") or op_id == "datastore_list":
            continue
        if op_id.endswith("_file_list"):
            continue  # File.Info objects: test_file_lists_return_arrays_of_file_info
        document = load_fragment(name)
        schema = resolve_local(document, operation["responses"]["200"]["content"]
                               ["application/json"]["schema"])  # fmt: skip
        assert schema["type"] == "array", op_id
        assert resolve_local(document, schema["items"])["type"] == "string", op_id


def test_file_lists_return_arrays_of_file_info() -> None:
    """The file services list File.Info objects (with a name), not ids (contract.md §3)."""
    checked = 0
    for name, _, _, operation in all_operations():
        if not operation["operationId"].endswith("_file_list"):
            continue
        document = load_fragment(name)
        schema = resolve_local(document, operation["responses"]["200"]["content"]
                               ["application/json"]["schema"])  # fmt: skip
        assert schema["type"] == "array", operation["operationId"]
        items = resolve_local(document, schema["items"])
        assert items["type"] == "object" and "name" in items["required"], operation["operationId"]
        checked += 1
    assert checked == 3


def test_creates_accept_client_token_query_and_header() -> None:
    creates = [(n, p, o) for n, p, _, o in all_operations() if o["operationId"].endswith("_create")]
    checked = 0
    for name, path, operation in creates:
        if operation["operationId"] == "session_create":
            continue
        parameters = {
            (p["name"], p["in"]): p
            for p in operation_parameters(load_fragment(name), path, operation)
        }
        for key in (("client_token", "query"), ("Client-Token", "header")):
            assert parameters[key]["required"] is False, (operation["operationId"], key)
            assert parameters[key]["schema"] == {"type": "string", "format": "uuid"}
        checked += 1
    assert checked == 4


# --- request and response shapes -----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "schema", "body", "valid"),
    [
        (US, "UpdateSessionCreateSpec", {"library_item_id": "i-1"}, True),
        (US, "UpdateSessionCreateSpec",
         {"library_item_id": "i-1", "warning_behavior": [
             {"type": "SELF_SIGNED_CERTIFICATE", "ignored": True}]}, True),
        (US, "UpdateSessionCreateSpec", {}, False),
        (US, "UpdateSessionCreateSpec",
         {"create_spec": {"library_item_id": "i-1"}}, False),
        (US, "UpdateSessionFailSpec", {"client_error_message": "x"}, True),
        (US, "UpdateSessionFailSpec", {}, False),
        (US, "UpdateSessionKeepAliveSpec", {}, True),
        (US, "UpdateSessionKeepAliveSpec", {"client_progress": 100}, True),
        (US, "UpdateSessionKeepAliveSpec", {"client_progress": 101}, False),
        (US, "UpdateSessionKeepAliveSpec", {"client_progress": -1}, False),
        (DS, "DownloadSessionCreateSpec", {"library_item_id": "i"}, True),
        (DS, "DownloadSessionCreateSpec", {}, False),
        (DS, "DownloadSessionFailSpec", {}, False),
        (DS, "DownloadSessionKeepAliveSpec", {"progress": 50}, True),
        (DS, "DownloadSessionKeepAliveSpec", {"progress": 101}, False),
        (FIX, "LibraryCreateSpec",
         {"name": "lib", "type": "LOCAL",
          "storage_backings": [{"type": "DATASTORE", "datastore_id": "datastore-1"}]}, True),
        (FIX, "LibraryCreateSpec", {"name": "lib"}, False),
        (FIX, "LibraryCreateSpec", {"name": "lib", "storage_backings": []}, False),
        (FIX, "LibraryCreateSpec",
         {"storage_backings": [{"type": "DATASTORE"}]}, False),
        (FIX, "ItemCreateSpec", {"library_id": "l", "name": "n"}, True),
        (FIX, "ItemCreateSpec", {"library_id": "l"}, False),
        (FIX, "ItemCreateSpec", {"name": "n"}, False),
        (FIX, "ItemCreateSpec", {"library_id": "l", "name": "n" * 81}, False),
        (FIX, "ItemCreateSpec", {"library_id": "l", "name": ""}, False),
        (USF, "UpdateSessionFileAddSpec", {"name": "a.bin", "source_type": "PUSH"}, True),
        (USF, "UpdateSessionFileAddSpec",
         {"name": "a.bin", "source_type": "PUSH", "size": 3,
          "checksum_info": {"algorithm": "SHA1", "checksum": "a9993e36"}}, True),
        (USF, "UpdateSessionFileAddSpec",
         {"name": "a.bin", "source_type": "PULL",
          "source_endpoint": {"uri": "https://example.com/a.bin"}}, True),
        (USF, "UpdateSessionFileAddSpec", {"name": "a.bin", "source_type": "PULL"}, False),
        (USF, "UpdateSessionFileAddSpec", {"source_type": "PUSH"}, False),
        (USF, "UpdateSessionFileAddSpec", {"name": "a.bin"}, False),
        (USF, "UpdateSessionFileAddSpec", {"name": "a.bin", "source_type": "UPLOAD"}, False),
        (USF, "UpdateSessionFileAddSpec",
         {"file_spec": {"name": "a.bin", "source_type": "PUSH"}}, False),
        (USF, "UpdateSessionFileAddSpec",
         {"name": "a.bin", "source_type": "PUSH", "checksum_info": {"algorithm": "SHA1"}},
         False),
        (DSF, "DownloadSessionFilePrepareSpec", {"file_name": "a.bin"}, True),
        (DSF, "DownloadSessionFilePrepareSpec",
         {"file_name": "a.bin", "endpoint_type": "DIRECT"}, True),
        (DSF, "DownloadSessionFilePrepareSpec", {}, False),
        (DSF, "DownloadSessionFilePrepareSpec",
         {"file_name": "a.bin", "endpoint_type": "FTP"}, False),
    ],
)  # fmt: skip
def test_request_bodies_mark_what_the_docs_require(
    name: str, schema: str, body: dict[str, Any], valid: bool
) -> None:
    assert validator(name, f"/components/schemas/{schema}").is_valid(body) is valid


def test_download_keep_alive_body_key_is_progress() -> None:
    update = load_fragment(US)["components"]["schemas"]
    download = load_fragment(DS)["components"]["schemas"]
    assert set(update["UpdateSessionKeepAliveSpec"]["properties"]) == {"client_progress"}
    assert set(download["DownloadSessionKeepAliveSpec"]["properties"]) == {"progress"}


USF_WAITING = {
    "name": "a.bin",
    "source_type": "PUSH",
    "bytes_transferred": 0,
    "status": "WAITING_FOR_TRANSFER",
    "upload_endpoint": {"uri": "https://vc.example.com/cls/data/1/a.bin"},
}
DSF_UNPREPARED = {"name": "a.bin", "bytes_transferred": 0, "status": "UNPREPARED"}

SESSION_GET = {
    "library_item_id": "item-1",
    "library_item_content_version": "1",
    "client_progress": 0,
    "state": "ACTIVE",
    "expiration_time": "2026-01-01T00:05:00.000Z",
}


@pytest.mark.parametrize(
    ("fragment", "operation_id", "status", "body", "valid"),
    [
        (SESSION, "session_create", 201, "3b0f3e3c-token", True),
        (SESSION, "session_create", 201, {"value": "3b0f3e3c-token"}, False),
        (SESSION, "session_get", 200,
         {"user": "Administrator@vsphere.local", "created_time": "2026-01-01T00:00:00.000Z",
          "last_accessed_time": "2026-01-01T00:00:01.000Z"}, True),
        (SESSION, "session_get", 200, {"user": "u"}, False),
        (US, "update_session_create", 201, "us-1", True),
        (US, "update_session_create", 201, {"value": "us-1"}, False),
        (US, "update_session_list", 200, ["us-1", "us-2"], True),
        (US, "update_session_list", 200, {"value": ["us-1"]}, False),
        (US, "update_session_get", 200, SESSION_GET, True),
        (US, "update_session_get", 200,
         dict(SESSION_GET, state="ERROR", error_message={"id": "e", "default_message": "m",
                                                         "args": []}), True),
        (US, "update_session_get", 200,
         dict(SESSION_GET, preview_info={"state": "AVAILABLE", "warnings": []}), True),
        (US, "update_session_get", 200, dict(SESSION_GET, id="us-1"),
         False),
        (US, "update_session_get", 200,
         {k: v for k, v in SESSION_GET.items() if k != "expiration_time"}, False),
        (US, "update_session_get", 200, dict(SESSION_GET, state="FOO"),
         False),
        (US, "update_session_get", 200,
         dict(SESSION_GET, client_progress=101), False),
        (US, "update_session_get", 200,
         dict(SESSION_GET, expiration_time="2026-01-01 00:05:00"), False),
        (DS, "download_session_get", 200,
         dict(SESSION_GET, state="CANCELED"), True),
        (DS, "download_session_get", 200,
         dict(SESSION_GET, state="DONE"), False),
        (DS, "download_session_get", 200,
         dict(SESSION_GET, id="ds-1"), False),
        (US, "update_session_delete", 400, NACS_AFTER_FAILED_UPLOAD,
         True),
        (US, "update_session_delete", 400, LEGACY_NACS_ENVELOPE, False),
        (US, "update_session_update", 400,
         error_body("INVALID_ARGUMENT"), True),
        (US, "update_session_update", 400, error_body("NOT_FOUND"),
         False),
        (FIX, "library_item_create", 400, ALREADY_EXISTS_DUPLICATE_NAME, True),
        (FIX, "datastore_list", 200,
         [{"datastore": "datastore-1", "name": "ds1", "type": "VMFS", "free_space": 1,
           "capacity": 2}], True),
        (FIX, "datastore_list", 200, [{"datastore": "datastore-1"}], False),
        (USF, "update_session_file_add", 201, USF_WAITING, True),
        (USF, "update_session_file_add_action", 201, USF_WAITING, True),
        (USF, "update_session_file_get", 200,
         dict(USF_WAITING, status="READY", size=3, bytes_transferred=3), True),
        (USF, "update_session_file_get", 200,
         {k: v for k, v in USF_WAITING.items() if k != "bytes_transferred"}, False),
        (USF, "update_session_file_get", 200, dict(USF_WAITING, status="DONE"), False),
        (USF, "update_session_file_list", 200, [USF_WAITING], True),
        (USF, "update_session_file_list", 200, ["a.bin"], False),
        (USF, "update_session_file_validate", 200,
         {"has_errors": False, "missing_files": [], "invalid_files": []}, True),
        (USF, "update_session_file_validate", 200,
         {"has_errors": True, "missing_files": ["a.bin"], "invalid_files": [
             {"name": "b.bin", "error_message": {"id": "e", "default_message": "m",
                                                 "args": []}}]}, True),
        (USF, "update_session_file_validate", 200, {"has_errors": False}, False),
        (USF, "update_session_file_validate", 200,
         {"has_errors": True, "missing_files": ["a", "a"], "invalid_files": []}, False),
        (USF, "update_session_file_get", 400, error_body("INVALID_ARGUMENT"), True),
        (USF, "update_session_file_get", 400, error_body("NOT_FOUND"), False),
        (DSF, "download_session_file_list", 200, [DSF_UNPREPARED], True),
        (DSF, "download_session_file_list", 200,
         [{"name": "a.bin", "status": "UNPREPARED"}], False),
        (DSF, "download_session_file_get", 200,
         dict(DSF_UNPREPARED, status="PREPARED",
              download_endpoint={"uri": "https://vc.example.com/cls/data/1/a.bin"}), True),
        (DSF, "download_session_file_get", 200, dict(DSF_UNPREPARED, status="PREPARED"), False),
        (DSF, "download_session_file_prepare", 200,
         dict(DSF_UNPREPARED, status="PREPARING",
              download_endpoint={"uri": "https://vc.example.com/cls/data/1/a.bin"}), False),
        (DSF, "download_session_file_prepare", 200,
         dict(DSF_UNPREPARED, status="PREPARE_REQUESTED"), True),
        (IF, "library_item_file_list", 200,
         [{"name": "a.bin", "size": 3, "cached": True, "version": "1",
           "checksum_info": {"algorithm": "SHA1", "checksum": "a9993e36"}}], True),
        (IF, "library_item_file_list", 200, [{"name": "a.bin", "size": 3}], False),
        (IF, "library_item_file_get", 404, error_body("NOT_FOUND"), True),
    ],
)  # fmt: skip
def test_schemathesis_judges_responses_by_the_contract(
    fragment: str, operation_id: str, status: int, body: Any, valid: bool
) -> None:
    operation = st_schema(fragment).find_operation_by_id(operation_id)
    assert operation.is_valid_response(json_response(status, body)) is valid


# --- Schemathesis --------------------------------------------------------------------------


@pytest.mark.parametrize("name", FRAGMENTS)
def test_schemathesis_loads_the_expected_operations(name: str) -> None:
    results = list(st_schema(name).get_all_operations())
    operations = [result.ok() for result in results]  # .ok() raises on a broken operation
    ids = [operation.definition.raw["operationId"] for operation in operations]
    assert len(ids) == len(EXPECTED_OPERATIONS[name])
    assert set(ids) == EXPECTED_OPERATIONS[name]


@pytest.mark.parametrize("name", FRAGMENTS)
def test_schemathesis_resolves_every_error_schema(name: str) -> None:
    """Schemathesis skips validation of a response whose schema it cannot resolve; make sure
    it resolves the relative refs to vapi-errors.schema.json and really uses them."""
    document = load_fragment(name)
    checked = 0
    for _, _, definition in iter_operations(document):
        operation = st_schema(name).find_operation_by_id(definition["operationId"])
        for status, response in definition["responses"].items():
            if status.startswith("2"):
                continue
            resolved = operation.responses.find_by_status_code(int(status)).get_schema()
            assert resolved.unresolvable_reference is None, (definition["operationId"], status)
            assert resolved.schema is not None, (definition["operationId"], status)
            first = error_refs(document, response)[0]
            error_type = SPECIFIC_ERRORS[first][0] if first in SPECIFIC_ERRORS else "ERROR"
            good = json_response(int(status), error_body(error_type))
            legacy = json_response(int(status), {"type": "x", "value": error_body(error_type)})
            assert operation.is_valid_response(good), (definition["operationId"], status)
            assert not operation.is_valid_response(legacy), (definition["operationId"], status)
            checked += 1
    assert checked >= 2 * len(EXPECTED_OPERATIONS[name])


@pytest.mark.parametrize("name", FRAGMENTS)
def test_links_target_operations_and_parameters_of_the_fragment(name: str) -> None:
    document = load_fragment(name)
    by_id = {op["operationId"]: (path, op) for path, _, op in iter_operations(document)}
    for source_path, _, operation in iter_operations(document):
        source_params = {p["name"] for p in operation_parameters(document, source_path, operation)}
        for status, response in operation["responses"].items():
            for link_name, link in response.get("links", {}).items():
                where = (operation["operationId"], status, link_name)
                assert status.startswith("2"), where
                target_path, target = by_id[link["operationId"]]
                target_params = {
                    p["name"] for p in operation_parameters(document, target_path, target)
                }
                for parameter, expression in link.get("parameters", {}).items():
                    assert parameter in target_params, where
                    if expression.startswith("$request.path."):
                        assert expression.removeprefix("$request.path.") in source_params, where
                    else:
                        # $response.body#/name: the file a File.Info answer describes
                        assert expression in (
                            "$response.body",
                            "$request.body#/library_item_id",
                            "$response.body#/name",
                        )
                if "requestBody" in link:
                    assert "requestBody" in target, where


@pytest.mark.parametrize(
    ("name", "create", "targets"),
    [
        (US, "update_session_create",
         {"update_session_get", "update_session_update", "update_session_keep_alive",
          "update_session_complete", "update_session_cancel", "update_session_fail",
          "update_session_delete", "update_session_list"}),
        (DS, "download_session_create",
         {"download_session_get", "download_session_keep_alive", "download_session_cancel",
          "download_session_fail", "download_session_delete", "download_session_list"}),
        (FIX, "local_library_create",
         {"local_library_get", "local_library_delete", "library_item_create",
          "library_item_list"}),
        (FIX, "library_item_create", {"library_item_get", "library_item_delete"}),
    ],
)  # fmt: skip
def test_creates_link_to_the_operations_on_what_they_created(
    name: str, create: str, targets: set[str]
) -> None:
    document = load_fragment(name)
    [operation] = [op for _, _, op in iter_operations(document) if op["operationId"] == create]
    links = operation["responses"]["201"]["links"]
    assert {link["operationId"] for link in links.values()} == targets
    for link in links.values():
        # A bare $response.body is the new id itself (the body is a JSON string).
        values = [*link.get("parameters", {}).values(), *link.get("requestBody", {}).values()]
        assert "$response.body" in values or values == ["$request.body#/library_item_id"]


@pytest.mark.parametrize(
    ("name", "create_path"),
    [
        (US, "/api/content/library/item/update-session"),
        (DS, "/api/content/library/item/download-session"),
        (FIX, "/api/content/local-library"),
    ],
)
def test_schemathesis_state_machine_starts_from_create(name: str, create_path: str) -> None:
    """Pitfall 2 of the Schemathesis notes: the create must be an entry point (root rule) of
    the state machine, and its 201 must feed the links."""
    machine = st_schema(name).as_state_machine()
    assert f"POST {create_path} -> 201" in machine.bundles
    assert "RANDOM__POST" + re.sub(r"\W", "_", create_path) in machine.root_rules


def test_shared_components_are_identical_across_fragments() -> None:
    """Fragments repeat what they share (security schemes, client token parameters, the 401
    response) identically, so that they can be merged into one document without conflicts."""
    seen: dict[tuple[str, str], tuple[str, Any]] = {}
    shared = 0
    for name in FRAGMENTS:
        for section, entries in load_fragment(name)["components"].items():
            for key, value in entries.items():
                if (section, key) in seen:
                    other, other_value = seen[(section, key)]
                    assert value == other_value, f"{section}/{key}: {name} differs from {other}"
                    shared += 1
                else:
                    seen[(section, key)] = (name, value)
    assert shared >= 3 * 3  # session_id, basic_auth, Unauthenticated in the 3 later fragments
