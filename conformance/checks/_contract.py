"""Validators built from ``schemas/``: the vAPI error schema and the OpenAPI fragments.

The fragments are loaded once into a ``referencing`` registry, so a response
schema can be checked by pointing at it inside its fragment, with the
fragment's own ``$ref``s (including those into ``vapi-errors.schema.json``)
resolving as they do for Schemathesis.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from conformance.resources import schemas_dir

#: libyaml's parser where installed (the same documents, about ten times faster: every
#: process of a run, each worker of ``run -n`` too, loads these files at its start)
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

ERROR_SCHEMA_FILE = "vapi-errors.schema.json"


@dataclass(frozen=True)
class Operation:
    """One documented operation of a fragment."""

    operation_id: str
    method: str
    path: str
    fragment: str
    spec: dict[str, Any]

    def response_pointer(self, status: int) -> str | None:
        responses = self.spec.get("responses", {})
        key = str(status) if str(status) in responses else f"{str(status)[0]}XX"
        if key not in responses:
            return None
        content = responses[key].get("content", {}).get("application/json")
        if not content or "schema" not in content:
            return None
        escaped = self.path.replace("~", "~0").replace("/", "~1")
        method = self.method.lower()
        return f"/paths/{escaped}/{method}/responses/{key}/content/application~1json/schema"


class Contract:
    """Every fragment and the error schema, with validators over them."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        resources: list[tuple[str, Resource[Any]]] = []
        self.error_schema: dict[str, Any] = json.loads(
            (directory / ERROR_SCHEMA_FILE).read_text(encoding="utf-8")
        )
        error_resource = DRAFT202012.create_resource(self.error_schema)
        resources.append((self._uri(ERROR_SCHEMA_FILE), error_resource))
        if "$id" in self.error_schema:
            resources.append((self.error_schema["$id"], error_resource))
        self.operations: dict[str, Operation] = {}
        self.fragments: dict[str, dict[str, Any]] = {}
        for path in sorted(directory.glob("*.openapi.yaml")):
            document = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
            self.fragments[path.name] = document
            resources.append((self._uri(path.name), DRAFT202012.create_resource(document)))
            for route, item in document.get("paths", {}).items():
                for method, spec in item.items():
                    if isinstance(spec, dict) and "operationId" in spec:
                        op = Operation(spec["operationId"], method.upper(), route, path.name, spec)
                        self.operations[op.operation_id] = op
        self.registry: Registry[Any] = Registry().with_resources(resources)
        self._format_checker = FormatChecker()

    def _uri(self, name: str) -> str:
        return (self.directory / name).resolve().as_uri()

    def validator_for_ref(self, ref: str) -> Draft202012Validator:
        return Draft202012Validator(
            {"$ref": ref}, registry=self.registry, format_checker=self._format_checker
        )

    def error_validator(self, definition: str) -> Draft202012Validator:
        """A validator for ``$defs/<definition>`` of the vAPI error schema."""
        if definition not in self.error_schema.get("$defs", {}):
            raise KeyError(f"{ERROR_SCHEMA_FILE} has no $defs/{definition}")
        return self.validator_for_ref(f"{self._uri(ERROR_SCHEMA_FILE)}#/$defs/{definition}")

    def response_validator(self, operation_id: str, status: int) -> Draft202012Validator | None:
        """A validator for the documented JSON body of ``status``, or None if undocumented."""
        op = self.operations[operation_id]
        pointer = op.response_pointer(status)
        if pointer is None:
            return None
        return self.validator_for_ref(f"{self._uri(op.fragment)}#{quote(pointer, safe='/~')}")

    def documented_statuses(self, operation_id: str) -> list[str]:
        return list(self.operations[operation_id].spec.get("responses", {}))


@cache
def contract() -> Contract:
    """The contract shipped with this installation (loaded once)."""
    return Contract(schemas_dir())


def standard_error_types(status: int) -> frozenset[str]:
    """The vAPI standard error types whose standard HTTP status is ``status``.

    From ``x-http-status`` of ``ErrorType`` in the error schema (the runtime's
    map, widened by the published spec): where the docs name no error type for
    an answer, any of these conforms.
    """
    table: dict[str, list[int]] = contract().error_schema["$defs"]["ErrorType"]["x-http-status"]
    return frozenset(name for name, statuses in table.items() if status in statuses)


def error_definition_name(error_type: str) -> str:
    """``NOT_ALLOWED_IN_CURRENT_STATE`` → ``NotAllowedInCurrentState`` (the $defs name)."""
    return "".join(part.capitalize() for part in error_type.split("_"))


def is_datetime_error(error: Any) -> bool:
    return bool(error.validator == "format" and error.validator_value == "date-time")


def validation_errors(
    validator: Draft202012Validator,
    instance: Any,
    limit: int = 5,
    *,
    only: Callable[[Any], bool] | None = None,
) -> list[str]:
    """Readable messages for the first ``limit`` schema violations (those ``only`` keeps)."""
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    if only is not None:
        errors = [e for e in errors if only(e)]
    messages = []
    for error in errors[:limit]:
        where = "/".join(str(p) for p in error.absolute_path) or "(body)"
        messages.append(f"{where}: {error.message}")
    return messages
