"""The requirement catalog: data, checked against its own schema when loaded.

The catalog is what vendors receive as acceptance criteria; the report's
requirement table and the acceptance document are generated from it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator

from ._sources import (
    URL_NOT_CONFIRMED,
    ContractSection,
    Origin,
    SeedPage,
    Source,
    Sources,
    UnknownSource,
    load_sources,
    source_refs,
    sources,
)

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
class Requirement:
    id: str
    level: str
    title: str
    text: str
    source: str
    tests: tuple[str, ...]
    accepts: str | None = None

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
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
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
            )
            for entry in data
        )
    )


@cache
def catalog() -> Catalog:
    """The packaged catalog, loaded once."""
    return load_catalog()


__all__ = [
    "SEED_PAGES",
    "URL_NOT_CONFIRMED",
    "Catalog",
    "CatalogError",
    "ContractSection",
    "Origin",
    "Requirement",
    "SeedPage",
    "Source",
    "Sources",
    "UnknownSource",
    "catalog",
    "load_catalog",
    "load_sources",
    "source_refs",
    "sources",
]
