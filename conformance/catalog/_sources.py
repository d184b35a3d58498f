"""The sources registry: where each requirement's words come from.

A requirement's ``source`` string (``"contract.md §3, §10.7; seeds/004_….txt"``)
names seed pages (the vSphere Automation API reference pages), sections of the
wire contract, and excerpts of VMware's published /api spec
(``spec/content-8.0.2.txt``) and SDK bindings (``sdk/item_client-9.1.1.0.txt``).
``sources.yaml`` resolves each to a citation a vendor can follow: a seed page's
title, operation and public URL; what a contract section was distilled from (SDK
package, module and version; the published spec's version and operationIds;
field reports); an excerpt's spec file, operations and definitions, or its SDK
package, version and module. The text of each ships inside the package
(``sources/``), so the quoted words can be checked offline.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

_HERE = Path(__file__).resolve().parent

#: Shown where a page's public URL could not be confirmed (never a guessed one).
URL_NOT_CONFIRMED = "URL not confirmed"

_SEED_REF = re.compile(r"seeds/(\d{3}_[0-9a-f]{16}\.txt)")
_SECTION_REF = re.compile(r"§(\d+(?:\.\d+)?)")
_EXCERPT_REF = re.compile(r"\b((?:spec|sdk)/[a-z_]+-\d+\.\d+\.\d+(?:\.\d+)?\.txt)")


class UnknownSource(ValueError):
    """A requirement's ``source`` names something the registry does not hold."""


#: Which paths a requirement's area (its id's first word) is about.
_AREA_PATHS: dict[str, Callable[[str], bool]] = {
    "AUTH": lambda path: path == "/api/session",
    "US": lambda path: "/update-session" in path and "/file" not in path,
    "USF": lambda path: "/update-session/" in path and "/file" in path,
    "DS": lambda path: "/download-session" in path and "/file" not in path,
    "DSF": lambda path: "/download-session/" in path and "/file" in path,
    "ITEM": lambda path: path.startswith("/api/content/library/item") and "session" not in path,
}
_ACTION_WORDS = {"KEEPALIVE": "keep_alive", "PATCH": "update", "LOGIN": "create"}


def relevance(requirement_id: str, operation: str) -> int:
    """How closely a spec operation (``"opId: METHOD /path"``) fits a requirement id."""
    operation_id, _, method_path = operation.partition(": ")
    path = method_path.partition(" ")[2]
    area, *words = requirement_id.split("-")
    in_area = _AREA_PATHS.get(area)
    score = 2 if in_area is not None and in_area(path) else 0
    actions = {_ACTION_WORDS.get(w, w.lower()) for w in words}
    return score + (1 if operation_id in actions else 0)


@dataclass(frozen=True)
class Origin:
    """One thing a contract section was distilled from."""

    kind: str  # "sdk", "spec" or "report"
    data: dict[str, Any]

    def describe(self, max_items: int | None = None, requirement_id: str = "") -> str:
        """One line a vendor can look up; ``max_items`` shortens a long list of operations,
        naming first those of the requirement's resource and action."""
        d = self.data
        if self.kind == "sdk":
            return f"SDK: PyPI {d['package']} {d['version']}, " + ", ".join(d["modules"])
        if self.kind == "spec":
            operations = list(d.get("operations", []))
            if requirement_id:
                operations.sort(key=lambda op: -relevance(requirement_id, op))
            named = [f"operationId {op}" for op in operations]
            named += [f"definition {name}" for name in d.get("definitions", [])]
            where = f"{d['file']}, {d['url']}"
            if max_items is not None:  # the short form: the full one names the URL
                where = d["file"]
                if len(named) > max_items:
                    named = [*named[:max_items], f"and {len(named) - max_items} more"]
            return f"{d['name']} {d['version']} ({where}): " + "; ".join(named)
        note = f": {d['note']}" if d.get("note") else ""
        return f"field report {d['ref']} ({d['url']}){note}"


@dataclass(frozen=True)
class SeedPage:
    """An API reference page the project was started from."""

    file: str
    title: str
    operation: str
    url: str | None
    excerpt_path: str

    @property
    def ref(self) -> str:
        return f"seeds/{self.file}"

    @property
    def label(self) -> str:
        return f'API reference page "{self.title}" ({self.operation})'

    @property
    def where(self) -> str:
        return self.url or URL_NOT_CONFIRMED

    def excerpt(self) -> str:
        return (_HERE / self.excerpt_path).read_text(encoding="utf-8")

    def citation(self, max_items: int | None = None, requirement_id: str = "") -> str:
        return f"{self.label}: {self.where}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "kind": "api_reference_page",
            "title": self.title,
            "operation": self.operation,
            "url": self.url,
            "excerpt": f"conformance/catalog/{self.excerpt_path}",
        }


@dataclass(frozen=True)
class ContractSection:
    """A section of the wire contract (contract.md) and what it was distilled from."""

    section: str
    title: str
    excerpt_path: str
    origins: tuple[Origin, ...]

    @property
    def ref(self) -> str:
        return f"contract.md §{self.section}"

    @property
    def label(self) -> str:
        return f"wire contract §{self.section} ({self.title})"

    def excerpt(self) -> str:
        return (_HERE / self.excerpt_path).read_text(encoding="utf-8")

    def citation(self, max_items: int | None = None, requirement_id: str = "") -> str:
        origins = " | ".join(o.describe(max_items, requirement_id) for o in self.origins)
        return f"{self.label}, distilled from: {origins}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "kind": "contract_section",
            "title": self.title,
            "distilled_from": [{o.kind: o.data} for o in self.origins],
            "excerpt": f"conformance/catalog/{self.excerpt_path}",
        }


@dataclass(frozen=True)
class Excerpt:
    """Words of VMware's published /api spec (``spec/<file>``: operations' responses,
    definitions' fields) or of its SDK bindings (``sdk/<file>``: docstrings), as text, so
    that the words the catalog quotes from them can be checked."""

    file: str
    origin: Origin  # kind "spec" or "sdk"
    excerpt_path: str

    @property
    def ref(self) -> str:
        return f"{self.origin.kind}/{self.file}"

    @property
    def label(self) -> str:
        d = self.origin.data
        if self.origin.kind == "sdk":
            return f"SDK {d['package']} {d['version']} docstrings"
        return f"published /api spec {d['version']} ({d['file']})"

    @property
    def origins(self) -> tuple[Origin, ...]:
        return (self.origin,)

    def excerpt(self) -> str:
        return (_HERE / self.excerpt_path).read_text(encoding="utf-8")

    def citation(self, max_items: int | None = None, requirement_id: str = "") -> str:
        return self.origin.describe(max_items, requirement_id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "kind": "published_spec_excerpt" if self.origin.kind == "spec" else "sdk_excerpt",
            self.origin.kind: self.origin.data,
            "excerpt": f"conformance/catalog/{self.excerpt_path}",
        }


Source = SeedPage | ContractSection | Excerpt


def source_refs(source: str) -> list[str]:
    """``"contract.md §3, §10.7; seeds/004_….txt"`` -> ``["contract.md §3", …, "seeds/…"]``;
    ``spec/<file>`` and ``sdk/<file>`` name excerpts of the published spec and the SDK.

    Raises :class:`UnknownSource` for a part that names neither (a typo, a new kind).
    """
    refs: list[str] = []
    for part in (p.strip() for p in source.split(";")):
        if not part:
            continue
        seeds = _SEED_REF.findall(part)
        excerpts = _EXCERPT_REF.findall(part)
        if part.startswith("contract.md"):
            sections = _SECTION_REF.findall(part)
            if not sections:
                raise UnknownSource(f"{part!r}: contract.md without a § section")
            refs += [f"contract.md §{s}" for s in sections]
        elif seeds:
            refs += [f"seeds/{s}" for s in seeds]
        elif excerpts:
            refs += excerpts
        else:
            raise UnknownSource(
                f"{part!r}: not seeds/<file>, spec/<file>, sdk/<file>, contract.md §N"
            )
    return list(dict.fromkeys(refs))


@dataclass(frozen=True)
class Sources:
    seed_pages: dict[str, SeedPage]
    contract_sections: dict[str, ContractSection]
    excerpts: dict[str, Excerpt]

    def get(self, ref: str) -> Source:
        """A source by reference (``seeds/<file>``, ``spec/<file>``, ``sdk/<file>`` or
        ``contract.md §N``)."""
        if ref.startswith("seeds/") and ref[len("seeds/") :] in self.seed_pages:
            return self.seed_pages[ref[len("seeds/") :]]
        if ref in self.excerpts:
            return self.excerpts[ref]
        if (
            ref.startswith("contract.md §")
            and ref[len("contract.md §") :] in self.contract_sections
        ):
            return self.contract_sections[ref[len("contract.md §") :]]
        raise UnknownSource(f"{ref}: not in the sources registry (sources.yaml)")

    def resolve(self, source: str) -> list[Source]:
        """Every source a requirement's ``source`` string names, in its order."""
        return [self.get(ref) for ref in source_refs(source)]


def load_sources(path: Path | None = None) -> Sources:
    """Load and validate the registry (the packaged one by default)."""
    path = path or _HERE / "sources.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    schema = json.loads((_HERE / "sources.schema.json").read_text(encoding="utf-8"))
    errors = sorted(Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path)
        raise ValueError(f"{path.name}: {where}: {errors[0].message}")
    seeds = {
        e["file"]: SeedPage(e["file"], e["title"], e["operation"], e.get("url"), e["excerpt"])
        for e in data["seed_pages"]
    }
    sections = {
        e["section"]: ContractSection(
            e["section"],
            e["title"],
            e["excerpt"],
            tuple(Origin(kind, body) for o in e["distilled_from"] for kind, body in o.items()),
        )
        for e in data["contract_sections"]
    }
    excerpts = [
        Excerpt(e["file"], Origin(kind, e[kind]), e["excerpt"])
        for e in data.get("excerpts", [])
        for kind in ("spec", "sdk")
        if kind in e
    ]
    return Sources(seeds, sections, {e.ref: e for e in excerpts})


@cache
def sources() -> Sources:
    """The packaged registry, loaded once."""
    return load_sources()
