"""Compare two runs (``results.json``): what an upgrade broke, fixed, added or removed.

A *regression* is a requirement that passed before and fails after. A pass
that became an Error is listed apart ("not judged after"): the suite could not
tell, which is worth a look but is not a verdict on the target.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from ._html import STYLE, status_badge
from ._results import Status, read_results

_ORDER = [
    Status.PASS,
    Status.FAIL,
    Status.ERROR,
    Status.KNOWN_DEVIATION,
    Status.SKIP,
    Status.NOT_RUN,
]


@dataclass(frozen=True)
class Change:
    id: str
    title: str
    before: Status | None
    after: Status | None
    message: str = ""


@dataclass
class RunDiff:
    before_run: dict[str, Any]
    after_run: dict[str, Any]
    regressions: list[Change] = field(default_factory=list)
    fixes: list[Change] = field(default_factory=list)
    unjudged: list[Change] = field(default_factory=list)
    other: list[Change] = field(default_factory=list)
    added: list[Change] = field(default_factory=list)
    removed: list[Change] = field(default_factory=list)
    transitions: dict[tuple[Status, Status], int] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return 1 if self.regressions else 0


def load(path: Path) -> dict[str, Any]:
    """A results.json, given as the file or as the run directory holding it."""
    if path.is_dir():
        path = path / "results.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no results.json there")
    return read_results(path)


def compare(before: dict[str, Any], after: dict[str, Any]) -> RunDiff:
    old = {r["id"]: r for r in before["requirements"]}
    new = {r["id"]: r for r in after["requirements"]}
    diff = RunDiff(before["run"], after["run"])
    for req_id, req in new.items():
        status = Status(req["status"])
        if req_id not in old:
            diff.added.append(Change(req_id, req["title"], None, status, req["message"]))
            continue
        was = Status(old[req_id]["status"])
        diff.transitions[(was, status)] = diff.transitions.get((was, status), 0) + 1
        change = Change(req_id, req["title"], was, status, req["message"])
        if was is status:
            continue
        if was is Status.PASS and status is Status.FAIL:
            diff.regressions.append(change)
        elif was is Status.FAIL and status is Status.PASS:
            diff.fixes.append(change)
        elif was is Status.PASS and status is Status.ERROR:
            diff.unjudged.append(change)
        else:
            diff.other.append(change)
    for req_id, req in old.items():
        if req_id not in new:
            diff.removed.append(Change(req_id, req["title"], Status(req["status"]), None))
    return diff


def _label(run: dict[str, Any]) -> str:
    version = " ".join(str(v) for v in run.get("target_info", {}).values() if v)
    return f"{run.get('id', '?')} ({run.get('target', '?')}{', ' + version if version else ''})"


_SECTIONS = [
    ("Regressions (pass → fail)", "regressions"),
    ("Not judged after (pass → error)", "unjudged"),
    ("Fixes (fail → pass)", "fixes"),
    ("Other changes", "other"),
    ("Requirements added", "added"),
    ("Requirements removed", "removed"),
]


def render_text(diff: RunDiff) -> str:
    lines = [f"before: {_label(diff.before_run)}", f"after:  {_label(diff.after_run)}", ""]
    for title, attr in _SECTIONS:
        changes: list[Change] = getattr(diff, attr)
        lines.append(f"{title}: {len(changes)}")
        for c in changes:
            was = c.before.value if c.before else "-"
            now = c.after.value if c.after else "-"
            lines.append(f"  {c.id:32} {was:>8} -> {now:<8} {c.title}")
            if c.message and attr in ("regressions", "unjudged"):
                lines.append(f"  {'':32} {c.message[:150]}")
    lines.append("")
    lines.append("regression(s) found" if diff.regressions else "no regression")
    return "\n".join(lines) + "\n"


def render_html(diff: RunDiff) -> str:
    """Self-contained HTML: the transition matrix first, then each list."""
    head = "".join(f"<th>{status_badge(s)}</th>" for s in _ORDER)
    rows = []
    for was in _ORDER:
        cells = "".join(
            f'<td class="n">{diff.transitions.get((was, now), "") or ""}</td>' for now in _ORDER
        )
        rows.append(f"<tr><th>{status_badge(was)}</th>{cells}</tr>")
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>vcenter-conformance diff</title>",
        STYLE,
        "</head><body style='font-family: sans-serif'>",
        "<h1>vcenter-conformance: run comparison</h1>",
        f"<p><b>before</b>: {escape(_label(diff.before_run))}<br>",
        f"<b>after</b>: {escape(_label(diff.after_run))}</p>",
        f"<h2>{'REGRESSIONS FOUND' if diff.regressions else 'No regression'}</h2>",
        "<p>Rows: status before; columns: status after; cells: requirements.</p>",
        f'<table class="vcc-req vcc-matrix"><tr><th>before \\ after</th>{head}</tr>',
        "".join(rows),
        "</table>",
    ]
    for title, attr in _SECTIONS:
        changes: list[Change] = getattr(diff, attr)
        parts.append(f"<h3>{escape(title)}: {len(changes)}</h3>")
        if not changes:
            continue
        parts.append(
            '<table class="vcc-req"><tr><th>Requirement</th><th>Before</th><th>After</th>'
            "<th>Title</th><th>Message after</th></tr>"
        )
        for c in changes:
            before_cell = status_badge(c.before) if c.before else "-"
            after_cell = status_badge(c.after) if c.after else "-"
            parts.append(
                f"<tr><td><b>{escape(c.id)}</b></td><td>{before_cell}</td><td>{after_cell}</td>"
                f"<td>{escape(c.title)}</td><td>{escape(c.message)}</td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    return "".join(parts)
