"""Unknown ids are derived from real ones, so they keep the target's own id format."""

from __future__ import annotations

import re

import pytest

from conformance.suites._unknown_ids import UnknownIds, derive_unknown


@pytest.mark.parametrize(
    "real",
    [
        "6f1c1a52-8f0e-4b8e-9a7b-3c2d1e0f9a8b",
        "id-17-8c21a451",
        "urn:vapi:com.vmware.content.library.item.UpdateSession:ABC9",
        "session-00000000",
    ],
)
def test_a_derived_id_differs_in_one_character_of_the_same_class(real: str) -> None:
    unknown = derive_unknown(real)
    assert unknown != real and len(unknown) == len(real)
    changed = [(a, b) for a, b in zip(real, unknown, strict=True) if a != b]
    assert len(changed) == 1
    (before, after) = changed[0]
    assert before.isdigit() == after.isdigit() and before.isupper() == after.isupper()


def test_a_uuid_stays_a_uuid() -> None:
    unknown = derive_unknown("6f1c1a52-8f0e-4b8e-9a7b-3c2d1e0f9a8f")
    assert re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", unknown)


def test_a_derived_id_avoids_known_ids() -> None:
    real = "id-1-aaaaaaaa"
    first = derive_unknown(real)
    assert derive_unknown(real, {real, first}) not in {real, first}


def test_an_id_without_letters_or_digits_cannot_be_derived() -> None:
    with pytest.raises(ValueError):
        derive_unknown("--::--")


def test_unknown_ids_are_made_once_per_kind() -> None:
    made: list[str] = []

    def make() -> str:
        made.append("x")
        return "item-41"

    unknown = UnknownIds({"item": make})
    assert unknown.of("item") == unknown.of("item") == "item-42"
    assert made == ["x"]
