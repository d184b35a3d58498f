"""The requirement catalog: data, checked against its own schema when loaded.

The catalog is what vendors receive as acceptance criteria; the report's
requirement table and the acceptance document are generated from it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

from ._sources import (
    URL_NOT_CONFIRMED,
    ContractSection,
    Excerpt,
    Origin,
    SeedPage,
    Source,
    Sources,
    UnknownSource,
    load_sources,
    source_refs,
    sources,
)

#: libyaml's parser where installed (the same documents, about ten times faster: every
#: process of a run, each worker of ``run -n`` too, loads these files at its start)
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_HERE = Path(__file__).resolve().parent

#: The seed pages (API reference pages this project implements) by file name.
_US = "/api/content/library/item/update-session"
SEED_PAGES = {
    "000_c032353c98a108a2.txt": f"DELETE {_US}/{{updateSessionId}}",
    "001_ea29301b0f8c511c.txt": "DELETE /api/content/library/item/download-session/{id}",
    "002_8ed9de56a607e340.txt": f"POST {_US}/{{updateSessionId}}?action=complete",
    "003_85c7770abf0c5f5e.txt": f"PATCH {_US}/{{updateSessionId}}",
    "004_710c12ed700c468e.txt": "The UpdateSession service overview",
}

_SEED_REF = re.compile(r"seeds/(\d{3}_[0-9a-f]{16}\.txt)")


class CatalogError(ValueError):
    """The catalog file breaks its schema or its own rules."""


@dataclass(frozen=True)
class AcceptedError:
    """One error answer a requirement's check accepts (``accepts_errors`` in the catalog).

    ``error_types`` None means "standard": any vAPI standard error whose standard
    HTTP status (``x-http-status`` in ``schemas/vapi-errors.schema.json``) is the
    answer's status, for answers whose type the docs do not name.
    """

    when: str
    statuses: tuple[int, ...]
    error_types: tuple[str, ...] | None

    def admits(
        self,
        status: int,
        error_type: str | None,
        standard_types: Callable[[int], Collection[str]],
    ) -> bool:
        """Whether an answer of ``status`` with ``error_type`` is one this entry accepts.

        ``standard_types`` maps a status to the standard error types of that status
        (``conformance.checks.standard_error_types``); the catalog does not read schemas.
        """
        if status not in self.statuses:
            return False
        allowed = self.error_types if self.error_types is not None else standard_types(status)
        return error_type in allowed


@dataclass(frozen=True)
class Requirement:
    id: str
    level: str
    title: str
    text: str
    source: str
    tests: tuple[str, ...]
    accepts: str | None = None
    #: the sentence that makes the requirement MUST or SHOULD, and why
    basis: str = ""
    accepted_errors: tuple[AcceptedError, ...] = ()

    @property
    def seed_pages(self) -> tuple[str, ...]:
        return tuple(_SEED_REF.findall(self.source))

    def cited_sources(self) -> list[Source]:
        """The seed pages and contract sections ``source`` names, from the registry."""
        return sources().resolve(self.source)


@dataclass(frozen=True)
class Catalog:
    requirements: tuple[Requirement, ...]

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for req in self.requirements:
            if req.id in seen:
                raise CatalogError(f"duplicate requirement id {req.id}")
            seen.add(req.id)
            for page in req.seed_pages:
                if page not in SEED_PAGES:
                    raise CatalogError(f"{req.id} cites unknown seed page {page}")

    def __iter__(self) -> Iterator[Requirement]:
        return iter(self.requirements)

    def __len__(self) -> int:
        return len(self.requirements)

    def __contains__(self, requirement_id: object) -> bool:
        return any(r.id == requirement_id for r in self.requirements)

    def get(self, requirement_id: str) -> Requirement:
        for req in self.requirements:
            if req.id == requirement_id:
                return req
        raise KeyError(requirement_id)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.requirements)


def load_catalog(path: Path | None = None) -> Catalog:
    """Load and validate a catalog file (the packaged one by default)."""
    path = path or _HERE / "requirements.yaml"
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    schema = json.loads((_HERE / "requirements.schema.json").read_text(encoding="utf-8"))
    errors = sorted(Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path)
        raise CatalogError(f"{path.name}: {where}: {errors[0].message}")
    return Catalog(
        tuple(
            Requirement(
                id=entry["id"],
                level=entry["level"],
                title=entry["title"],
                text=" ".join(entry["text"].split()),
                source=entry["source"],
                tests=tuple(entry["tests"]),
                accepts=" ".join(entry["accepts"].split()) if "accepts" in entry else None,
                basis=" ".join(entry["basis"].split()),
                accepted_errors=tuple(
                    _accepted_error(each) for each in entry.get("accepts_errors", [])
                ),
            )
            for entry in data
        )
    )


def _accepted_error(entry: dict[str, Any]) -> AcceptedError:
    types = entry["error_types"]
    return AcceptedError(
        when=entry["when"],
        statuses=tuple(entry["status"]),
        error_types=None if types == "standard" else tuple(types),
    )


@dataclass(frozen=True)
class Variant:
    """A legitimate server choice (the mock's ``--variant NAME``) and what tolerates it."""

    name: str
    room: str
    requirements: tuple[str, ...]
    warns: tuple[str, ...] = ()


@cache
def variants() -> tuple[Variant, ...]:
    """``variants.yaml``: each variant, why the sources allow it, the requirements it meets."""
    data = yaml.safe_load((_HERE / "variants.yaml").read_text(encoding="utf-8"))
    return tuple(
        Variant(
            name=entry["name"],
            room=entry["room"],
            requirements=tuple(entry["requirements"]),
            warns=tuple(entry.get("warns", ())),
        )
        for entry in data
    )


def tolerated_variants(requirement_id: str) -> tuple[str, ...]:
    """The variants whose choice the checks of ``requirement_id`` are proved to accept."""
    return tuple(v.name for v in variants() if requirement_id in v.requirements)


@cache
def catalog() -> Catalog:
    """The packaged catalog, loaded once."""
    return load_catalog()


__all__ = [
    "SEED_PAGES",
    "URL_NOT_CONFIRMED",
    "AcceptedError",
    "Catalog",
    "CatalogError",
    "ContractSection",
    "Excerpt",
    "Origin",
    "Requirement",
    "SeedPage",
    "Source",
    "Sources",
    "UnknownSource",
    "Variant",
    "catalog",
    "load_catalog",
    "load_sources",
    "source_refs",
    "sources",
    "tolerated_variants",
    "variants",
]
