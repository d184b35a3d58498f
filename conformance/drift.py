"""Drift between our fragments and VMware's published /api spec, as comparable summaries.

A summary maps an operation key (``METHOD /path/{}?action=x``) to its success
statuses and declared error statuses. ``scripts/published_summary.py``
writes the published one into ``schemas/drift/``; :func:`fragment_summary`
makes ours; :func:`differences` lists what differs, and the drift test
requires each difference to be explained in ``schemas/drift/differences.yaml``.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Any

#: The part of the API our fragments describe; published operations elsewhere are ignored.
SCOPE = (
    "/api/session",
    "/api/content/library/item",
    "/api/content/local-library",
)
METHODS = ("get", "put", "post", "delete", "patch")

Summary = dict[str, dict[str, list[int]]]


def operation_key(method: str, path: str, required_query: list[str] | None = None) -> str:
    """``GET /api/content/library/item/{}/file?name`` style: path parameters unnamed.

    The query part lists ``action=x`` (it selects the operation) and the names of
    required query parameters, whether written into the path key (VMware's style,
    ``?library_id``) or declared as parameters (ours): both forms give one key.
    """
    base, _, query = path.partition("?")
    base = re.sub(r"\{[^}]+\}", "{}", base)
    parts = {q if "=" in q else q.strip() for q in query.split("&") if q.strip()}
    parts |= set(required_query or ())
    return f"{method.upper()} {base}" + ("?" + "&".join(sorted(parts)) if parts else "")


def _required_query(operation: dict[str, Any], path_item: dict[str, Any]) -> list[str]:
    parameters = [*path_item.get("parameters", []), *operation.get("parameters", [])]
    return [
        p["name"]
        for p in parameters
        if isinstance(p, dict) and p.get("in") == "query" and p.get("required")
    ]


def in_scope(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") or path.startswith(p + "?") for p in SCOPE)


def summarize(documents: list[dict[str, Any]]) -> Summary:
    """Success and error statuses of every in-scope operation of OpenAPI/swagger documents."""
    summary: Summary = {}
    for document in documents:
        for path, item in document.get("paths", {}).items():
            if not in_scope(path):
                continue
            for method in METHODS:
                if method not in item:
                    continue
                statuses = sorted(
                    int(s) for s in item[method].get("responses", {}) if str(s).isdigit()
                )
                key = operation_key(method, path, _required_query(item[method], item))
                summary[key] = {
                    "success": [s for s in statuses if s < 300],
                    "errors": [s for s in statuses if s >= 400],
                }
    return dict(sorted(summary.items()))


@dataclass(frozen=True)
class Difference:
    kind: str  # missing-operation | extra-operation | success-status | missing-error | extra-error
    operation: str
    status: int | None = None

    def __str__(self) -> str:
        status = f" {self.status}" if self.status is not None else ""
        return f"{self.kind}{status}: {self.operation}"


def differences(published: Summary, ours: Summary) -> list[Difference]:
    found: list[Difference] = []
    for op in sorted(set(published) | set(ours)):
        if op not in ours:
            found.append(Difference("missing-operation", op))
            continue
        if op not in published:
            found.append(Difference("extra-operation", op))
            continue
        theirs, mine = published[op], ours[op]
        if theirs["success"] != mine["success"]:
            found.append(Difference("success-status", op))
        found += [
            Difference("missing-error", op, s) for s in theirs["errors"] if s not in mine["errors"]
        ]
        found += [
            Difference("extra-error", op, s) for s in mine["errors"] if s not in theirs["errors"]
        ]
    return found


def explained_by(difference: Difference, entry: dict[str, Any]) -> bool:
    """Does an allow-list entry (kind, operation glob, optional status) cover ``difference``?"""
    if entry["kind"] != difference.kind:
        return False
    if not fnmatch.fnmatchcase(difference.operation, entry["operation"]):
        return False
    return "status" not in entry or entry["status"] == difference.status
