"""The requirement catalog: valid data, in step with the suite's requirement markers."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest
import yaml

import conformance.suites
from conformance.catalog import AcceptedError, CatalogError, catalog, load_catalog
from conformance.checks import (
    DATETIME_REQUIREMENT,
    ERROR_BODY_REQUIREMENT,
    JSON_CONTENT_TYPE_REQUIREMENT,
    contract,
    standard_error_types,
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


#: a quotation of at least a few characters, as the schema's ``basis`` pattern asks
QUOTE = re.compile(r'"[^"]{3,}"')


def test_every_requirement_has_a_quoted_basis() -> None:
    for req in catalog():
        assert req.basis.strip(), f"{req.id} has no basis"
        assert QUOTE.search(req.basis), f"{req.id}: basis quotes no sentence"


def test_shoulds_say_why_they_are_not_musts() -> None:
    """A SHOULD's basis names what keeps it from a MUST (and a MUST's says "MUST")."""
    for req in catalog():
        if req.level == "SHOULD":
            assert "SHOULD" in req.basis, f"{req.id}: basis does not say why it is a SHOULD"
        else:
            assert "MUST" in req.basis, f"{req.id}: basis does not say why it is a MUST"


def test_accepted_error_types_are_standard_errors_of_their_status() -> None:
    """Every error type an entry accepts is a vAPI standard error whose standard status
    (x-http-status) is among the statuses accepted with it."""
    table = contract().error_schema["$defs"]["ErrorType"]["x-http-status"]
    listed = 0
    for req in catalog():
        for accepted in req.accepted_errors:
            listed += 1
            if accepted.error_types is None:
                for status in accepted.statuses:
                    assert standard_error_types(status), f"{req.id}: no standard error has {status}"
                continue
            for error_type in accepted.error_types:
                assert error_type in table, f"{req.id}: {error_type} is not a standard error"
                assert set(table[error_type]) & set(accepted.statuses), (
                    f"{req.id}: {error_type} is never answered with {accepted.statuses}"
                )
    assert listed >= 25


def test_malformed_body_accepts_both_runtime_readings() -> None:
    """Issue 8: an unparseable body may be INVALID_ARGUMENT or (VMware runtime) INVALID_REQUEST."""
    (accepted,) = catalog().get("WIRE-MALFORMED-JSON-400").accepted_errors
    for error_type in ("INVALID_ARGUMENT", "INVALID_REQUEST"):
        assert accepted.admits(400, error_type, standard_error_types)
    assert not accepted.admits(400, "NOT_FOUND", standard_error_types)
    assert not accepted.admits(500, "INVALID_ARGUMENT", standard_error_types)


def test_accepted_error_admits_exactly_what_it_lists() -> None:
    named = AcceptedError("a second create", (400, 500), ("RESOURCE_BUSY",))
    assert named.admits(400, "RESOURCE_BUSY", standard_error_types)
    assert named.admits(500, "RESOURCE_BUSY", standard_error_types)
    assert not named.admits(400, "NOT_ALLOWED_IN_CURRENT_STATE", standard_error_types)
    assert not named.admits(409, "RESOURCE_BUSY", standard_error_types)
    assert not named.admits(400, None, standard_error_types)
    standard = AcceptedError("file add with an empty name", (400,), None)
    assert standard.admits(400, "INVALID_ARGUMENT", standard_error_types)
    assert standard.admits(400, "UNEXPECTED_INPUT", standard_error_types)
    assert not standard.admits(400, "NOT_FOUND", standard_error_types)
    assert not standard.admits(404, "NOT_FOUND", standard_error_types)


def test_documented_shoulds_stay_shoulds() -> None:
    """Issue 8 item 3: rules the docs make optional or configurable are never MUSTs."""
    for req_id in ("USF-ADD-PATH-NAME-400", "US-EXPIRATION-DEFAULT", "USF-ADD-ACTION-FORM"):
        assert catalog().get(req_id).level == "SHOULD", req_id


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
    "basis": '"quoted words" (contract.md §3): a documented response, so MUST.',
    "source": "contract.md §3",
    "tests": ["test_a::test_b"],
}
ERRORS = {"when": "a request", "status": [400], "error_types": ["INVALID_ARGUMENT"]}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"level": "MUSTNT"}, "level"),
        ({"id": "lower-case"}, "id"),
        ({"source": "somewhere"}, "source"),
        ({"extra": 1}, "Additional properties"),
        ({"source": "seeds/999_0000000000000000.txt"}, "unknown seed page"),
        ({"basis": ""}, "basis"),
        ({"basis": "no quotation here, so MUST"}, "basis"),
        ({"accepts_errors": []}, "accepts_errors"),
        ({"accepts_errors": [{**ERRORS, "status": [200]}]}, "accepts_errors"),
        ({"accepts_errors": [{**ERRORS, "error_types": "any"}]}, "accepts_errors"),
        ({"accepts_errors": [{**ERRORS, "extra": 1}]}, "accepts_errors"),
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


def test_catalog_validation_requires_a_basis(tmp_path: Path) -> None:
    entry = {key: value for key, value in GOOD.items() if key != "basis"}
    with pytest.raises(CatalogError, match="'basis' is a required property"):
        load_catalog(_write(tmp_path, [entry]))


def test_catalog_loads_accepted_errors(tmp_path: Path) -> None:
    entry = {
        **GOOD,
        "accepts_errors": [ERRORS, {"when": "another", "status": [400], "error_types": "standard"}],
    }
    (req,) = load_catalog(_write(tmp_path, [entry]))
    assert req.basis == GOOD["basis"]
    assert req.accepted_errors == (
        AcceptedError("a request", (400,), ("INVALID_ARGUMENT",)),
        AcceptedError("another", (400,), None),
    )


def test_every_requirement_has_a_proven_failing_check_and_the_readme_keeps_no_count() -> None:
    """The proof figure is printed by scripts/proof_table.py, never hand-kept: adding a
    requirement (and its flaw) changes no README line."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    printed = subprocess.run(
        [sys.executable, str(root / "scripts" / "proof_table.py"), "--markdown"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    proven, total = (int(cell) for cell in printed.splitlines()[-1].strip("| ").split(" | "))
    assert proven == total == len(catalog())
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "scripts/proof_table.py" in readme and printed.splitlines()[-1] not in readme
