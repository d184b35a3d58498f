"""Spec coverage: which documented operations and statuses the run exercised.

Every exchange the suite's client recorded is matched to an operation of the
fragments (method, path template, ``?action=``); the coverage lists, per
operation, the documented statuses, the statuses seen (and how often), the
documented ones never seen, the undocumented ones seen, and the requirements
whose tests made those calls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from conformance.checks import Contract

#: What requests made by no test (sandbox setup and cleanup, login) are attributed to.
SETUP = "setup"


@dataclass
class OperationCoverage:
    operation_id: str
    method: str
    path: str
    documented: list[str]
    observed: dict[int, int] = field(default_factory=dict)
    requirements: set[str] = field(default_factory=set)

    def covered(self) -> list[str]:
        return [d for d in self.documented if any(_matches(d, s) for s in self.observed)]

    def missing(self) -> list[str]:
        return [d for d in self.documented if d not in self.covered()]

    def undocumented(self) -> list[int]:
        return sorted(s for s in self.observed if not any(_matches(d, s) for d in self.documented))

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "documented": self.documented,
            "observed": {str(k): v for k, v in sorted(self.observed.items())},
            "not_observed": self.missing(),
            "undocumented_observed": self.undocumented(),
            "requirements": sorted(self.requirements),
        }


def _matches(documented: str, status: int) -> bool:
    return documented == str(status) or (
        documented.endswith("XX") and documented[0] == str(status)[0]
    )


_Route = tuple[str, re.Pattern[str], str | None, frozenset[str], str]


class OperationMatcher:
    """Maps a recorded request (method, URL) to the fragment operation it called."""

    def __init__(self, contract: Contract) -> None:
        routes: list[tuple[tuple[int, tuple[int, ...]], _Route]] = []
        for op in contract.operations.values():
            base, _, query = op.path.partition("?")
            pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(base)) + "$")
            action = parse_qs(query).get("action", [None])[0] if "action=" in query else None
            # A bare key in the path template (``…/file?file_name``, as in VMware's spec)
            # tells a get from the list on the same path: the request must carry it.
            keys = frozenset(k for k in query.split("&") if k and "=" not in k)
            # ``…/item/update-session`` also fits ``…/item/{library_item_id}``: a literal
            # segment wins over a templated one at the first place they differ.
            templated = tuple(int(s.startswith("{")) for s in base.split("/"))
            routes.append(
                ((-len(keys), templated), (op.method, pattern, action, keys, op.operation_id))
            )
        routes.sort(key=lambda entry: entry[0])  # the most specific first
        self._routes = [route for _, route in routes]

    def match(self, method: str, url: str) -> str | None:
        parts = urlsplit(url)
        query = parse_qs(parts.query, keep_blank_values=True)
        action = query.get("action", [None])[0]
        for route_method, pattern, route_action, keys, operation_id in self._routes:
            if (
                route_method == method
                and route_action == action
                and keys <= query.keys()
                and pattern.match(parts.path)
            ):
                return operation_id
        return None


class CoverageRecorder:
    def __init__(self, contract: Contract) -> None:
        self.matcher = OperationMatcher(contract)
        self.operations = {
            op.operation_id: OperationCoverage(
                op.operation_id, op.method, op.path, list(op.spec.get("responses", {}))
            )
            for op in contract.operations.values()
        }
        self.requests = {"counted": 0, SETUP: 0, "unmatched": 0}

    def record(self, method: str, url: str, status: int, requirements: list[str]) -> None:
        operation_id = self.matcher.match(method, url)
        if operation_id is None:
            self.requests["unmatched"] += 1  # e.g. a file transfer, outside the fragments
            return
        self.requests["counted"] += 1
        coverage = self.operations[operation_id]
        coverage.observed[status] = coverage.observed.get(status, 0) + 1
        coverage.requirements.update(requirements)

    def record_setup(self, method: str, url: str, status: int) -> None:
        """A request no test made (sandbox setup or cleanup, login): counted as setup."""
        self.requests[SETUP] += 1
        self.record(method, url, status, [SETUP])

    def summary(self) -> dict[str, Any]:
        documented = sum(len(c.documented) for c in self.operations.values())
        covered = sum(len(c.covered()) for c in self.operations.values())
        called = sum(1 for c in self.operations.values() if c.observed)
        return {
            "operations": len(self.operations),
            "operations_called": called,
            "documented_statuses": documented,
            "documented_statuses_observed": covered,
            "requests": dict(self.requests),
            "by_operation": {k: v.to_dict() for k, v in sorted(self.operations.items())},
        }
