"""The ``verify`` object judges under the test's own requirement, and says so when it cannot.

A suite test states its requirement once, in its marker; a test citing several names
one per check or per block. Naming a requirement the test does not cite is the
author's mistake (TypeError), except the wire rules the verifier judges on every answer.
The module also checks the suite's tests keep that shape.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conformance.checks import ConformanceFailure, UnexpectedValue
from conformance.client import Exchange, UnexpectedResponse
from conformance.suites._verify import JUDGED_ON_EVERY_ANSWER, Verifier

SUITES = Path(__file__).resolve().parents[1] / "conformance" / "suites"


def _exchange(status: int, body: str, content_type: str = "application/json") -> Exchange:
    headers = {"Content-Type": content_type} if body else {}
    return Exchange("GET", "https://vc.example/api/x", {}, None, status, headers, body, 1.0)


def _failure(call: object) -> ConformanceFailure:
    assert callable(call)
    with pytest.raises(ConformanceFailure) as caught:
        call()
    return caught.value


# -- the default requirement -------------------------------------------------------------
def test_a_test_citing_one_requirement_never_names_it() -> None:
    verify = Verifier(["US-DELETE-ACTIVE-400"])
    failure = _failure(lambda: verify.equal("DONE", "ACTIVE", "the state"))
    assert failure.requirement_id == "US-DELETE-ACTIVE-400"
    verify.equal("ACTIVE", "ACTIVE", "the state")
    assert verify.judged == {"US-DELETE-ACTIVE-400"}


def test_the_wire_rules_a_test_also_cites_are_not_its_default() -> None:
    verify = Verifier(["US-GET-MODEL", "WIRE-DATETIME-FORMAT"])
    assert verify.default == "US-GET-MODEL"
    assert Verifier(["WIRE-VOID-204"]).default == "WIRE-VOID-204"  # the test of that rule


def test_a_test_citing_several_names_one_per_check_or_per_block() -> None:
    verify = Verifier(["US-COMPLETE-DONE", "US-DELETE-DONE-204"])
    with pytest.raises(TypeError, match=r"requirement=ID or verify\.under"):
        verify.that(True, "anything")
    verify.that(True, "complete", requirement="US-COMPLETE-DONE")
    with verify.under("US-DELETE-DONE-204"):
        failure = _failure(lambda: verify.that(False, "gone after delete"))
        with verify.under("US-COMPLETE-DONE"):  # the innermost block wins
            assert verify.default == "US-COMPLETE-DONE"
        assert verify.default == "US-DELETE-DONE-204"
    assert failure.requirement_id == "US-DELETE-DONE-204"
    assert verify.default is None


def test_naming_a_requirement_the_test_does_not_cite_is_a_type_error() -> None:
    verify = Verifier(["US-LIST"])
    with pytest.raises(TypeError, match="US-CANCEL-CANCELED is not a requirement this test"):
        verify.equal(1, 1, "x", requirement="US-CANCEL-CANCELED")
    with pytest.raises(TypeError, match="not a requirement this test"), verify.under("DS-LIST"):
        pass
    with pytest.raises(TypeError, match="not a requirement this test"):
        verify.error(_exchange(404, "{}"), "get", requirement="US-UNKNOWN-ID-404")


@pytest.mark.parametrize("wire", sorted(JUDGED_ON_EVERY_ANSWER))
def test_the_wire_rules_may_be_named_without_being_cited(wire: str) -> None:
    verify = Verifier(["US-LIST"])
    failure = _failure(lambda: verify.that(False, "a wire rule", requirement=wire))
    assert failure.requirement_id == wire


def test_without_a_marker_every_check_names_its_requirement() -> None:
    verify = Verifier()
    with pytest.raises(TypeError, match="cites no requirement"):
        verify.that(True, "x")
    verify.that(True, "x", requirement="US-LIST")


# -- equal ----------------------------------------------------------------------------------
def test_equal_shows_both_sides_even_a_missing_value() -> None:
    verify = Verifier(["US-PREVIEW-INFO-ACTIVE-ONLY"])
    seen = _exchange(200, '{"preview_info": {"state": "OK"}}')
    verify.success(seen, 200, "get")
    failure = _failure(lambda: verify.equal({"state": "OK"}, None, "preview_info"))
    assert isinstance(failure, UnexpectedValue)
    assert failure.message == "preview_info: expected None, got {'state': 'OK'}"
    assert failure.exchange is seen  # the last answer judged, by default
    missing = _failure(lambda: verify.equal(None, "ACTIVE", "the state"))
    assert missing.message == "the state: expected 'ACTIVE', got None"
    assert "expected 'ACTIVE', got None" in str(missing)


# -- the other checks take the default too ---------------------------------------------------
def test_error_success_and_void_judge_under_the_default() -> None:
    verify = Verifier(["US-DELETE-ACTIVE-400"])
    message = '{"id": "x", "default_message": "refused", "args": []}'
    refusal = f'{{"error_type": "NOT_ALLOWED_IN_CURRENT_STATE", "messages": [{message}]}}'
    verify.error(_exchange(400, refusal), "delete of an ACTIVE session")  # accepts_errors
    assert _failure(lambda: verify.error(_exchange(204, ""), "delete")).requirement_id == (
        "US-DELETE-ACTIVE-400"
    )
    assert _failure(lambda: verify.success(_exchange(500, "{}"), 200, "get")).requirement_id == (
        "US-DELETE-ACTIVE-400"
    )
    verify.void(_exchange(200, '{"x": 1}'), "a void answer with a body")
    assert [f.requirement_id for f in verify.failures] == ["WIRE-VOID-204", "WIRE-VOID-204"]


# -- the evidence a failure shows --------------------------------------------------------------
def test_a_failure_shows_the_answer_its_value_was_read_from() -> None:
    """A value read through ``observed`` (not judged itself) is what a later ``that`` or
    ``equal`` judges: its failure shows that answer, not the last one a check saw."""
    verify = Verifier(["USF-REMOVE"])
    remove = _exchange(204, "")
    verify.void(remove, "file remove")
    listed = Exchange(
        "GET",
        "https://vc.example/api/item/files",
        {},
        None,
        200,
        {"Content-Type": "application/json"},
        '[{"name": "removed"}]',
        1.0,
    )
    assert verify.observed(listed, 200, "listing the item's files") is listed
    failure = _failure(lambda: verify.that(False, "the removed file is gone"))
    assert failure.exchange is listed
    assert _failure(lambda: verify.equal(1, 2, "a count")).exchange is listed
    explicit = _exchange(200, "{}")
    assert _failure(lambda: verify.equal(1, 2, "a count", exchange=explicit)).exchange is explicit
    verify.status(remove, 204, "file remove")  # a later judged answer is the evidence again
    assert _failure(lambda: verify.that(False, "anything")).exchange is remove


def test_an_observed_answer_that_failed_is_an_error_not_a_fail() -> None:
    verify = Verifier(["USF-REMOVE"])
    with pytest.raises(UnexpectedResponse, match="listing the item's files answered 503"):
        verify.observed(_exchange(503, "{}"), 200, "listing the item's files")
    assert verify.judged == set() and verify.failures == []


# -- the suite's tests keep the shape ------------------------------------------------------
def _suite_tests() -> list[tuple[str, ast.FunctionDef, list[str]]]:
    found = []
    for module in sorted(SUITES.glob("test_*.py")):
        tree = ast.parse(module.read_text())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                cited = [
                    arg.value
                    for deco in node.decorator_list
                    if isinstance(deco, ast.Call)
                    and isinstance(deco.func, ast.Attribute)
                    and deco.func.attr == "requirement"
                    for arg in deco.args
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                ]
                found.append((module.name, node, cited))
    return found


def test_a_suite_test_citing_one_requirement_never_repeats_its_id() -> None:
    repeats = []
    for module, function, cited in _suite_tests():
        own = [r for r in cited if r not in JUDGED_ON_EVERY_ANSWER]
        if len(own) != 1:
            continue
        body = ast.Module(body=function.body, type_ignores=[])
        literals = {n.value for n in ast.walk(body) if isinstance(n, ast.Constant)}
        if own[0] in literals:
            repeats.append(f"{module}::{function.name} repeats {own[0]}")
    assert not repeats, repeats


def test_no_suite_test_module_imports_another() -> None:
    imports = []
    for module in sorted(SUITES.glob("test_*.py")):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[-1].startswith(
                "test_"
            ):
                imports.append(f"{module.name} imports {node.module}")
    assert not imports, imports
