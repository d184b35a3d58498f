"""Vendor profiles: known deviations of an implementation, each with a reason and an expiry.

A deviation turns that requirement's Fail into KNOWN_DEVIATION until it
expires; an expired entry counts as Fail again. Profiles are data files here
(``<name>.yaml``) or any path given to ``--profile``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator

_HERE = Path(__file__).resolve().parent


class ProfileError(ValueError):
    """A profile that cannot be found or breaks its schema."""


@dataclass(frozen=True)
class Deviation:
    requirement: str
    reason: str
    link: str
    expires: date

    def active_on(self, day: date) -> bool:
        return day <= self.expires


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    deviations: tuple[Deviation, ...]

    def deviation_for(self, requirement_id: str) -> Deviation | None:
        return next((d for d in self.deviations if d.requirement == requirement_id), None)


def available() -> list[str]:
    return sorted(p.stem for p in _HERE.glob("*.yaml"))


def load_profile(name_or_path: str, known_requirements: frozenset[str] | None = None) -> Profile:
    """Load a packaged profile by name, or a profile file by path, and check it."""
    path = Path(name_or_path)
    # A packaged name (which may hold a dot: vcsim-0.24), or a name without a suffix.
    if name_or_path in available() or not path.suffix:
        path = _HERE / f"{name_or_path}.yaml"
    if not path.is_file():
        raise ProfileError(
            f"no profile {name_or_path!r}: give a file path or one of {', '.join(available())}"
        )
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    schema = json.loads((_HERE / "profile.schema.json").read_text(encoding="utf-8"))
    errors = sorted(Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.path))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "(top)"
        raise ProfileError(f"{path.name}: {where}: {errors[0].message}")
    deviations = []
    for entry in data["deviations"]:
        if known_requirements is not None and entry["requirement"] not in known_requirements:
            raise ProfileError(f"{path.name}: unknown requirement {entry['requirement']}")
        try:
            expires = date.fromisoformat(entry["expires"])
        except ValueError:
            raise ProfileError(f"{path.name}: {entry['expires']!r} is not a date") from None
        deviations.append(Deviation(entry["requirement"], entry["reason"], entry["link"], expires))
    return Profile(data["name"], data["description"], tuple(deviations))


__all__ = ["Deviation", "Profile", "ProfileError", "available", "load_profile"]
