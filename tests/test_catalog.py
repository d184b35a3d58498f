"""The requirement catalog: valid data, in step with the suite's requirement markers."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest
import yaml

import conformance.suites
from conformance.catalog import CatalogError, catalog, load_catalog
from conformance.checks import (
    DATETIME_REQUIREMENT,
    ERROR_BODY_REQUIREMENT,
    JSON_CONTENT_TYPE_REQUIREMENT,
)


def suite_tests() -> dict[str, list[str]]:
    """``module::function`` -> requirement ids cited by its ``requirement`` markers."""
    found: dict[str, list[str]] = {}
    for info in pkgutil.iter_modules(conformance.suites.__path__):
        if not info.name.startswith("test_"):
            continue
        module = importlib.import_module(f"conformance.suites.{info.name}")
        for name, function in vars(module).items():
            if not name.startswith("test_") or not callable(function):
                continue
            if getattr(function, "__module__", None) != module.__name__:
                continue
            marks = getattr(function, "pytestmark", [])
            ids = [str(a) for m in marks if m.name == "requirement" for a in m.args]
            found[f"{info.name}::{name}"] = ids
    return found


def test_packaged_catalog_loads_and_is_not_trivial() -> None:
    cat = catalog()
    assert len(cat) >= 40
    assert {r.level for r in cat} <= {"MUST", "SHOULD", "MAY"}
    assert all(r.text.count('"') >= 2 for r in cat), "every requirement quotes its source"


def test_every_suite_test_cites_known_requirements() -> None:
    tests = suite_tests()
    assert len(tests) >= 30
    ids = set(catalog().ids)
    for test, cited in tests.items():
        assert cited, f"{test} cites no requirement"
        assert set(cited) <= ids, f"{test} cites unknown {sorted(set(cited) - ids)}"


def test_catalog_tests_match_the_markers_both_ways() -> None:
    tests = suite_tests()
    for req in catalog():
        assert req.tests, f"{req.id} has no test"
        for test in req.tests:
            assert test in tests, f"{req.id} lists {test}, which does not exist"
            assert req.id in tests[test], f"{test} does not cite {req.id}"
    for test, cited in tests.items():
        for req_id in cited:
            assert test in catalog().get(req_id).tests, f"{req_id} does not list {test}"


def test_shared_check_requirements_are_in_the_catalog() -> None:
    for req_id in (ERROR_BODY_REQUIREMENT, JSON_CONTENT_TYPE_REQUIREMENT, DATETIME_REQUIREMENT):
        assert req_id in catalog()


def _write(tmp_path: Path, entries: object) -> Path:
    path = tmp_path / "requirements.yaml"
    path.write_text(yaml.safe_dump(entries))
    return path


GOOD = {
    "id": "US-X-1",
    "level": "MUST",
    "title": "A title",
    "text": '"quoted words" here',
    "source": "contract.md §3",
    "tests": ["test_a::test_b"],
}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"level": "MUSTNT"}, "level"),
        ({"id": "lower-case"}, "id"),
        ({"source": "somewhere"}, "source"),
        ({"extra": 1}, "Additional properties"),
        ({"source": "seeds/999_0000000000000000.txt"}, "unknown seed page"),
    ],
)
def test_catalog_validation_rejects_bad_entries(
    tmp_path: Path, change: dict[str, object], problem: str
) -> None:
    with pytest.raises(CatalogError, match=problem):
        load_catalog(_write(tmp_path, [{**GOOD, **change}]))


def test_catalog_validation_rejects_duplicate_ids(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="duplicate"):
        load_catalog(_write(tmp_path, [GOOD, GOOD]))
