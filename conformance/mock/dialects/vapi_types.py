"""vAPI data types as the JSON-RPC wire writes them (contract §7.2), described as data.

The official runtime (``vmware/vapi/data/serializers/jsonrpc.py``) writes a structure as
``{"STRUCTURE": {"<canonical name>": {fields}}}``, an optional as ``{"OPTIONAL": v|null}``,
a secret as ``{"SECRET": "..."}`` and lists, strings, integers and booleans as plain JSON.
Decoding needs no types (each wrapper names itself); encoding an output does, so the few
structures the mock answers with are listed here, with the canonical names of the 9.1.1
bindings. The mock's handlers produce plain /api JSON; ``encode`` adds the wrappers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "BOOLEAN",
    "INTEGER",
    "SECRET",
    "STRING",
    "VOID",
    "ListOf",
    "Opt",
    "Struct",
    "TypedValueError",
    "VType",
    "decode",
    "encode_any",
]


class VType:
    """A vAPI type: ``encode`` turns a plain /api JSON value into its JSON-RPC form."""

    def encode(self, value: Any) -> Any:
        return value  # strings, integers, booleans, enums and date-times: plain JSON


@dataclass(frozen=True, slots=True)
class _Secret(VType):
    def encode(self, value: Any) -> Any:
        return {"SECRET": value}


@dataclass(frozen=True, slots=True)
class _Void(VType):
    def encode(self, value: Any) -> Any:
        return None


@dataclass(frozen=True, slots=True)
class Opt(VType):
    element: VType

    def encode(self, value: Any) -> Any:
        return {"OPTIONAL": None if value is None else self.element.encode(value)}


@dataclass(frozen=True, slots=True)
class ListOf(VType):
    element: VType

    def encode(self, value: Any) -> Any:
        if not isinstance(value, list):
            return encode_any(value)
        return [self.element.encode(item) for item in value]


@dataclass(frozen=True, slots=True)
class Struct(VType):
    """A structure; unset optional fields go out as ``{"OPTIONAL": null}``, as vAPI sends.

    A required field the handler left out stays out (the client then reports it), and a
    key the table does not know goes out untyped: a mock flaw stays visible.
    """

    name: str
    fields: Mapping[str, VType] = field(default_factory=dict)
    wrapper: str = "STRUCTURE"  # "ERROR" for a standard error

    def encode(self, value: Any) -> Any:
        if not isinstance(value, dict):
            return encode_any(value)
        out: dict[str, Any] = {}
        for key, kind in self.fields.items():
            if key in value or isinstance(kind, Opt):
                out[key] = kind.encode(value.get(key))
        for key, item in value.items():
            if key not in self.fields:
                out[key] = encode_any(item)
        return {self.wrapper: {self.name: out}}


STRING = VType()
INTEGER = VType()
BOOLEAN = VType()
SECRET = _Secret()
VOID = _Void()
_DYNAMIC = "vmware.vapi.dynamic_struct"


def encode_any(value: Any) -> Any:
    """A value the table does not describe: objects become dynamic structures."""
    if isinstance(value, dict):
        return {"STRUCTURE": {_DYNAMIC: {k: encode_any(v) for k, v in value.items()}}}
    if isinstance(value, list):
        return [encode_any(item) for item in value]
    return value


class TypedValueError(ValueError):
    """A JSON-RPC value that is not a well-formed vAPI typed value."""


_WRAPPERS = frozenset({"STRUCTURE", "ERROR", "OPTIONAL", "SECRET", "BINARY"})


def decode(value: Any) -> Any:
    """A typed JSON-RPC value as plain /api JSON: unset optionals are left out of objects."""
    if isinstance(value, list):
        return [decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) != 1:
        raise TypedValueError(f"a typed value has one key, not {sorted(value)}")
    ((kind, inner),) = value.items()
    if kind not in _WRAPPERS:
        raise TypedValueError(f"unknown type {kind!r}")
    if kind in ("OPTIONAL", "SECRET", "BINARY"):
        return decode(inner)
    if not isinstance(inner, dict) or len(inner) != 1:
        raise TypedValueError(f"{kind} holds one named object")
    ((_, fields),) = inner.items()
    if not isinstance(fields, dict):
        raise TypedValueError(f"{kind} fields must be an object")
    out = {}
    for key, item in fields.items():
        plain = decode(item)
        if plain is not None:
            out[key] = plain
    return out
