"""Drift: our fragments against VMware's published 8.0.2 spec (its committed summary).

Every difference must be explained in schemas/drift/differences.yaml, and
every explanation must still be needed. Runs without ../shared.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from conformance.checks import contract
from conformance.drift import Difference, differences, explained_by, operation_key, summarize
from conformance.resources import schemas_dir

DRIFT = schemas_dir() / "drift"


def published() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DRIFT / "published-8.0.2.json").read_text())
    return data


def allow_list() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = yaml.safe_load((DRIFT / "differences.yaml").read_text())
    return entries


def current_differences() -> list[Difference]:
    ours = summarize(list(contract().fragments.values()))
    return differences(published()["operations"], ours)


def test_summary_is_there_and_covers_the_session_services() -> None:
    ops = published()["operations"]
    assert len(ops) >= 30
    assert ops["POST /api/content/library/item/update-session"]["success"] == [201]
    assert ops["DELETE /api/content/library/item/update-session/{}"]["errors"] == [400, 404]


def test_every_difference_from_the_published_spec_is_explained() -> None:
    unexplained = [
        str(d) for d in current_differences() if not any(explained_by(d, e) for e in allow_list())
    ]
    assert not unexplained, (
        "add these to schemas/drift/differences.yaml with a reason:\n" + "\n".join(unexplained)
    )


def test_every_explanation_is_still_needed_and_has_a_reason() -> None:
    found = current_differences()
    for entry in allow_list():
        assert len(entry.get("reason", "")) > 20, entry
        assert any(explained_by(d, entry) for d in found), f"stale entry: {entry}"


@pytest.mark.parametrize(
    ("method", "path", "key"),
    [
        ("get", "/api/content/library/item?library_id", "GET /api/content/library/item?library_id"),
        ("post", "/api/x/{id}?action=complete", "POST /api/x/{}?action=complete"),
        ("get", "/api/x/{a}/file/{b}", "GET /api/x/{}/file/{}"),
    ],
)
def test_operation_keys_normalise_published_and_fragment_paths(
    method: str, path: str, key: str
) -> None:
    assert operation_key(method, path) == key


def test_a_new_difference_is_detected() -> None:
    theirs = {"GET /api/a": {"success": [200], "errors": [404]}}
    ours = {
        "GET /api/a": {"success": [200], "errors": [401]},
        "GET /api/b": {"success": [200], "errors": []},
    }
    found = {str(d) for d in differences(theirs, ours)}
    assert found == {
        "missing-error 404: GET /api/a",
        "extra-error 401: GET /api/a",
        "extra-operation: GET /api/b",
    }


def test_a_declared_required_query_parameter_gives_the_same_key_as_a_path_key() -> None:
    declared = operation_key("get", "/api/content/library/item", ["library_id"])
    assert declared == operation_key("get", "/api/content/library/item?library_id")
