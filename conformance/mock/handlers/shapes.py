"""Request body shapes, as data, and the one function that checks a body against them.

The vAPI runtime deserializes the whole input structure before an operation runs, so a
wrongly typed field is 400 INVALID_ARGUMENT even where the operation then ignores it
(``state`` in a create, ``client_progress`` in a PATCH). ``null`` means "unset" for any
optional field. Unknown keys are ignored. Numbers with an integral value (``5.0``) count
as integers, as they do in JSON Schema.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, ClassVar

from .. import errors
from ..models import DownloadState, UpdateState
from ..models.files import HASH_ALGORITHMS, SourceType
from ..models.update_session import WARNING_TYPES

__all__ = [
    "DOWNLOAD_KEEP_ALIVE",
    "DOWNLOAD_KEEP_ALIVE_UNBOUNDED",
    "DOWNLOAD_SESSION_CREATE",
    "FAIL",
    "FILE_ADD_SPEC",
    "FILE_PREPARE",
    "ITEM_CREATE",
    "LIBRARY_CREATE",
    "UPDATE_KEEP_ALIVE",
    "UPDATE_KEEP_ALIVE_UNBOUNDED",
    "UPDATE_SESSION_CREATE",
    "UPDATE_SESSION_PATCH",
    "Shape",
    "check",
]

# contract §7.3: what the vAPI bindings accept as a date-time.
_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$", re.IGNORECASE
)


class Shape:
    """One JSON type; ``expected()`` names it in the error message."""

    label: ClassVar[str] = "a value"

    def expected(self) -> str:
        return self.label

    def valid(self, value: Any, path: str) -> bool:
        """Is ``value`` (not None) of this shape? Nested shapes raise for their own fields."""
        raise NotImplementedError


def _is_int(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


@dataclass(frozen=True)
class Str(Shape):
    label = "a string"

    def valid(self, value: Any, path: str) -> bool:
        return isinstance(value, str)


@dataclass(frozen=True)
class Bool(Shape):
    label = "a boolean"

    def valid(self, value: Any, path: str) -> bool:
        return isinstance(value, bool)


@dataclass(frozen=True)
class Number(Shape):
    label = "a number"

    def valid(self, value: Any, path: str) -> bool:
        return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class Int(Shape):
    low: int | None = None
    high: int | None = None

    def expected(self) -> str:
        if self.low is None and self.high is None:
            return "an integer"
        if self.high is None:
            return f"an integer of at least {self.low}"
        return f"an integer from {self.low} to {self.high}"

    def valid(self, value: Any, path: str) -> bool:
        # Every vAPI integer is an int64: the runtime refuses anything larger.
        return (
            _is_int(value)
            and -(2**63) <= value < 2**63
            and (self.low is None or value >= self.low)
            and (self.high is None or value <= self.high)
        )


@dataclass(frozen=True)
class DateTime(Shape):
    label = "a date-time such as 2025-01-01T00:00:00.000Z"

    def valid(self, value: Any, path: str) -> bool:
        if not isinstance(value, str) or not _DATETIME.match(value):
            return False
        try:
            datetime.fromisoformat(value.upper())
        except ValueError:
            return False
        return True


@dataclass(frozen=True)
class Enum(Shape):
    values: frozenset[str]

    def expected(self) -> str:
        return "one of " + ", ".join(sorted(self.values))

    def valid(self, value: Any, path: str) -> bool:
        return isinstance(value, str) and value in self.values


@dataclass(frozen=True)
class AnyObject(Shape):
    label = "an object"

    def valid(self, value: Any, path: str) -> bool:
        return isinstance(value, dict)


@dataclass(frozen=True)
class ListOf(Shape):
    item: Shape

    label = "a list"

    def valid(self, value: Any, path: str) -> bool:
        if not isinstance(value, list):
            return False
        for index, entry in enumerate(value):
            _check_value(self.item, entry, f"{path}[{index}]", unset_ok=False)
        return True


@dataclass(frozen=True)
class MapOf(Shape):
    item: Shape
    label = "an object"

    def valid(self, value: Any, path: str) -> bool:
        if not isinstance(value, dict):
            return False
        for key, entry in value.items():
            _check_value(self.item, entry, f"{path}.{key}", unset_ok=False)
        return True


@dataclass(frozen=True)
class Struct(Shape):
    fields: Mapping[str, Shape]
    required: frozenset[str] = field(default_factory=frozenset)
    #: ``required`` in the order they are checked (by name), sorted once
    required_order: tuple[str, ...] = field(init=False, repr=False, compare=False)
    label = "an object"

    def __post_init__(self) -> None:
        object.__setattr__(self, "required_order", tuple(sorted(self.required)))

    def requiring(self, *names: str) -> Struct:
        """The same structure with more required fields (a create spec of a model)."""
        return replace(self, required=self.required | set(names))

    def valid(self, value: Any, path: str) -> bool:
        if not isinstance(value, dict):
            return False
        _check_fields(self, value, path + ".")
        return True


def _check_value(shape: Shape, value: Any, path: str, *, unset_ok: bool = True) -> None:
    """``null`` is "unset" for a field, but never a valid list element or map value."""
    if value is None and unset_ok:
        return  # required fields are checked by their struct
    if value is None or not shape.valid(value, path):
        raise errors.wrong_type(path, shape.expected())


def _check_fields(struct: Struct, body: Mapping[str, Any], prefix: str) -> None:
    for name in struct.required_order:
        if body.get(name) is None:
            raise errors.missing_field(prefix + name)
    for name, shape in struct.fields.items():
        if name in body:
            _check_value(shape, body[name], prefix + name)


def check(struct: Struct, body: Mapping[str, Any], *, unknown: UnknownFields = None) -> None:
    """Raise InvalidArgument if ``body`` does not have ``struct``'s shape.

    ``unknown`` says how an unknown property is answered: ``None`` ignores it (the
    default), ``"INVALID_ARGUMENT"`` or ``"UNEXPECTED_INPUT"`` refuse it (variants).
    """
    if unknown is not None:
        _refuse_unknown(struct, body, "", unknown)
    _check_fields(struct, body, "")


UnknownFields = str | None


def _refuse_unknown(struct: Struct, body: Mapping[str, Any], prefix: str, how: str) -> None:
    for name, value in body.items():
        shape = struct.fields.get(name)
        if shape is None:
            raise errors.unknown_field(prefix + name, unexpected_input=how == "UNEXPECTED_INPUT")
        if isinstance(shape, Struct) and isinstance(value, dict):
            _refuse_unknown(shape, value, f"{prefix}{name}.", how)
        elif (
            isinstance(shape, ListOf) and isinstance(shape.item, Struct) and isinstance(value, list)
        ):
            for index, entry in enumerate(value):
                if isinstance(entry, dict):
                    _refuse_unknown(shape.item, entry, f"{prefix}{name}[{index}].", how)


def _enum(values: Iterable[str]) -> Enum:
    return Enum(frozenset(values))


# -- the shapes -------------------------------------------------------------------------

STR, BOOL, OBJECT, DATE_TIME = Str(), Bool(), AnyObject(), DateTime()
PROGRESS = Int(0, 100)

_NESTED_MESSAGE = Struct({"id": STR, "params": MapOf(OBJECT)}, frozenset({"id"}))
_PARAM = Struct(
    {
        "s": STR,
        "dt": DATE_TIME,
        "i": Int(),
        "d": Number(),
        "l": _NESTED_MESSAGE,
        "format": _enum(
            f"{size}_{kind}"
            for size in ("SHORT", "MED", "LONG", "FULL")
            for kind in ("DATE", "TIME", "DATE_TIME")
        ),
        "precision": Int(),
    }
)
LOCALIZABLE_MESSAGE = Struct(
    {
        "id": STR,
        "default_message": STR,
        "args": ListOf(STR),
        "params": MapOf(_PARAM),
        "localized": STR,
    },
    frozenset({"id", "default_message", "args"}),
)
_WARNING_TYPE = Enum(WARNING_TYPES)
WARNING_BEHAVIOR = Struct({"type": _WARNING_TYPE, "ignored": BOOL}, frozenset({"type", "ignored"}))
_PREVIEW_INFO = Struct(
    {
        "state": _enum(("UNAVAILABLE", "NOT_APPLICABLE", "PREPARING", "AVAILABLE")),
        "certificate_info": Struct(
            {"issuer": STR, "subject": STR, "self_signed": BOOL, "x509": STR},
            frozenset({"issuer", "subject", "self_signed", "x509"}),
        ),
        "warnings": ListOf(
            Struct(
                {"type": _WARNING_TYPE, "message": LOCALIZABLE_MESSAGE, "ignored": BOOL},
                frozenset({"type", "message", "ignored"}),
            )
        ),
        "cert_chain": ListOf(STR),
    },
    frozenset({"state"}),
)

_SESSION_FIELDS: Mapping[str, Shape] = {
    "id": STR,
    "library_item_id": STR,
    "library_item_content_version": STR,
    "error_message": LOCALIZABLE_MESSAGE,
    "client_progress": PROGRESS,
    "expiration_time": DATE_TIME,
}

UPDATE_SESSION_MODEL = Struct(
    {
        **_SESSION_FIELDS,
        "state": _enum(UpdateState),
        "preview_info": _PREVIEW_INFO,
        "warning_behavior": ListOf(WARNING_BEHAVIOR),
    }
)
UPDATE_SESSION_CREATE = UPDATE_SESSION_MODEL.requiring("library_item_id")
UPDATE_SESSION_PATCH = UPDATE_SESSION_MODEL
UPDATE_KEEP_ALIVE = Struct({"client_progress": PROGRESS})
#: the ``progress-unbounded`` variant: any int64
UPDATE_KEEP_ALIVE_UNBOUNDED = Struct({"client_progress": Int()})
FAIL = Struct({"client_error_message": STR}, frozenset({"client_error_message"}))

DOWNLOAD_SESSION_MODEL = Struct({**_SESSION_FIELDS, "state": _enum(DownloadState)})
DOWNLOAD_SESSION_CREATE = DOWNLOAD_SESSION_MODEL.requiring("library_item_id")
DOWNLOAD_KEEP_ALIVE = Struct({"progress": PROGRESS})
DOWNLOAD_KEEP_ALIVE_UNBOUNDED = Struct({"progress": Int()})

_STORAGE_BACKING = Struct(
    {"type": _enum(("DATASTORE", "OTHER")), "datastore_id": STR, "storage_uri": STR},
    frozenset({"type"}),
)
LIBRARY_CREATE = Struct(
    {
        "id": STR,
        "name": STR,
        "description": STR,
        "type": _enum(("LOCAL", "SUBSCRIBED")),
        "storage_backings": ListOf(_STORAGE_BACKING),
        "creation_time": DATE_TIME,
        "last_modified_time": DATE_TIME,
        "last_sync_time": DATE_TIME,
        "version": STR,
        "server_guid": STR,
        "security_policy_id": STR,
        "unset_security_policy_id": BOOL,
        "optimization_info": OBJECT,
        "publish_info": OBJECT,
        "subscription_info": OBJECT,
        "state_info": OBJECT,
        "configuration_info": OBJECT,
    },
    frozenset({"name", "storage_backings"}),
)
ITEM_CREATE = Struct(
    {
        "id": STR,
        "library_id": STR,
        "name": STR,
        "description": STR,
        "type": STR,
        "content_version": STR,
        "metadata_version": STR,
        "version": STR,
        "creation_time": DATE_TIME,
        "last_modified_time": DATE_TIME,
        "last_sync_time": DATE_TIME,
        "cached": BOOL,
        "size": Int(0),
        "source_id": STR,
        "security_compliance": BOOL,
        "certificate_verification_info": OBJECT,
    },
    frozenset({"library_id", "name"}),
)

# update-session and download-session files (contract §5)
CHECKSUM_INFO = Struct(
    {"algorithm": _enum(HASH_ALGORITHMS), "checksum": STR}, frozenset({"checksum"})
)
TRANSFER_ENDPOINT = Struct(
    {"uri": STR, "ssl_certificate_thumbprint": STR, "ssl_certificate": STR}, frozenset({"uri"})
)
FILE_ADD_SPEC = Struct(
    {
        "name": STR,
        "source_type": _enum(SourceType),
        "source_endpoint": TRANSFER_ENDPOINT,
        "size": Int(0),
        "checksum_info": CHECKSUM_INFO,
    },
    frozenset({"name", "source_type"}),
)
FILE_PREPARE = Struct(
    {"file_name": STR, "endpoint_type": _enum(("HTTPS", "DIRECT"))}, frozenset({"file_name"})
)
