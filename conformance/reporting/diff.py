"""Compare two runs (``results.json``): what an upgrade broke, fixed, added or removed.

A *regression* is a requirement that passed before and fails after. A pass
that became an Error, a Skip or not run is a regression of its own kind, "no
longer judged": the after-run cannot vouch for it, so ``diff`` does not say
"no regression" (a pre/post-upgrade check must not turn green because the
after-run could not judge). A pass that became a Warn (a broken SHOULD) is
listed as a new warning; it is a regression only under ``strict``.

Across dialects (a legacy /rest run before, an /api run after: the 6.7 → 8 upgrade),
each side says which dialect it judged (``run.api``). A requirement that exists in
one dialect only (the /rest wire rules REST-*, /api's WIRE-VOID-204, the property
tests) is judged on one side and deselected on the other: it is listed as "judged in
one dialect only", neither a regression nor a "no longer judged".

Exit code (:attr:`RunDiff.exit_code`): 1 on any regression; else 3 when the
after-run could not judge (it exited 3 or its verdict is INCOMPLETE) or a
requirement is no longer judged; else 0.
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
    Status.WARN,
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
    #: the whole results.json of each run (for its verdict and exit code)
    before_results: dict[str, Any] = field(default_factory=dict)
    after_results: dict[str, Any] = field(default_factory=dict)
    strict: bool = False
    regressions: list[Change] = field(default_factory=list)
    unjudged: list[Change] = field(default_factory=list)
    warnings: list[Change] = field(default_factory=list)
    fixes: list[Change] = field(default_factory=list)
    other: list[Change] = field(default_factory=list)
    added: list[Change] = field(default_factory=list)
    removed: list[Change] = field(default_factory=list)
    #: across dialects: requirements judged on one side, not applicable on the other
    one_dialect: list[Change] = field(default_factory=list)
    transitions: dict[tuple[Status, Status], int] = field(default_factory=dict)

    @property
    def after_could_not_judge(self) -> bool:
        return (
            self.after_outcome["exit_code"] == 3
            or self.after_outcome["verdict"] == "INCOMPLETE"
            or bool(self.unjudged)
        )

    @property
    def failing_regressions(self) -> list[Change]:
        return self.regressions + (self.warnings if self.strict else [])

    @property
    def exit_code(self) -> int:
        if self.failing_regressions:
            return 1
        return 3 if self.after_could_not_judge else 0

    @property
    def before_outcome(self) -> dict[str, Any]:
        return _outcome(self.before_results)

    @property
    def after_outcome(self) -> dict[str, Any]:
        return _outcome(self.after_results)

    def conclusion(self) -> str:
        """One line: what the comparison says, and why it exits as it does."""
        if self.failing_regressions:
            return f"REGRESSION: {len(self.failing_regressions)} requirement(s) fail after"
        if self.after_could_not_judge:
            after = self.after_outcome
            return (
                f"NOT JUDGED: no pass -> fail, but the after-run could not judge "
                f"(verdict {after['verdict']}, exit {after['exit_code']}; "
                f"{len(self.unjudged)} requirement(s) no longer judged)"
            )
        return "no regression"


#: judged without a Fail before; after, the suite could not tell
_JUDGED = (Status.PASS, Status.WARN, Status.KNOWN_DEVIATION)
_UNJUDGED = (Status.ERROR, Status.SKIP, Status.NOT_RUN)


def _outcome(results: dict[str, Any]) -> dict[str, Any]:
    """A run's verdict and exit code (results.json from before verdicts: derived)."""
    code = results.get("exit_code", "?")
    verdict = results.get("verdict") or {0: "PASS", 1: "FAIL", 3: "INCOMPLETE"}.get(code, "?")
    return {"verdict": verdict, "exit_code": code}


def load(path: Path) -> dict[str, Any]:
    """A results.json, given as the file or as the run directory holding it."""
    if path.is_dir():
        path = path / "results.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no results.json there")
    return read_results(path)


def compare(before: dict[str, Any], after: dict[str, Any], *, strict: bool = False) -> RunDiff:
    old = {r["id"]: r for r in before["requirements"]}
    new = {r["id"]: r for r in after["requirements"]}
    diff = RunDiff(
        before["run"], after["run"], strict=strict, before_results=before, after_results=after
    )
    cross = dialect(before["run"]) != dialect(after["run"])
    for req_id, req in new.items():
        status = Status(req["status"])
        if req_id not in old:
            diff.added.append(Change(req_id, req["title"], None, status, req["message"]))
            continue
        was = Status(old[req_id]["status"])
        if cross and (_not_applicable(old[req_id]) or _not_applicable(req)):
            if was is not status:
                diff.one_dialect.append(Change(req_id, req["title"], was, status, req["message"]))
            continue
        diff.transitions[(was, status)] = diff.transitions.get((was, status), 0) + 1
        change = Change(req_id, req["title"], was, status, req["message"])
        if was is status:
            continue
        if was in (Status.PASS, Status.WARN) and status is Status.FAIL:
            diff.regressions.append(change)
        elif was in _JUDGED and status in _UNJUDGED:
            diff.unjudged.append(change)
        elif was is Status.PASS and status is Status.WARN:
            diff.warnings.append(change)
        elif was in (Status.FAIL, Status.WARN) and status is Status.PASS:
            diff.fixes.append(change)
        else:
            diff.other.append(change)
    for req_id, req in old.items():
        if req_id not in new:
            diff.removed.append(Change(req_id, req["title"], Status(req["status"]), None))
    return diff


def dialect(run: dict[str, Any]) -> str:
    """The API dialect a run judged (runs from before dialects judged /api)."""
    return str(run.get("api") or "api")


def _not_applicable(requirement: dict[str, Any]) -> bool:
    """Deselected (or skipped as "not on <dialect>"): in a cross-dialect diff, a rule of
    the other dialect."""
    if requirement["status"] == Status.SKIP.value:
        return str(requirement.get("message", "")).startswith(_NOT_ON_DIALECT)
    return requirement["status"] == Status.NOT_RUN.value and not requirement.get("selected", True)


#: how the suite words a Skip for a test of the other dialect (reports may prefix "Skipped: ")
_NOT_ON_DIALECT = ("not on api:", "not on rest:", "Skipped: not on api:", "Skipped: not on rest:")


def _label(run: dict[str, Any]) -> str:
    version = " ".join(str(v) for v in run.get("target_info", {}).values() if v)
    said = f"; dialect {run['api']}" if run.get("api") else ""  # runs from before dialects
    where = f"{run.get('target', '?')}{', ' + version if version else ''}{said}"
    return f"{run.get('id', '?')} ({where})"


_SECTIONS = [
    ("Regressions (pass → fail)", "regressions"),
    ("No longer judged (pass → error, skip or not run)", "unjudged"),
    ("New warnings (pass → warn: a SHOULD broken)", "warnings"),
    ("Fixes (fail or warn → pass)", "fixes"),
    ("Other changes", "other"),
    ("Requirements added", "added"),
    ("Requirements removed", "removed"),
    ("Judged in one dialect only (not applicable on the other side)", "one_dialect"),
]


def _run_line(run: dict[str, Any], outcome: dict[str, Any]) -> str:
    return f"{_label(run)}: {outcome['verdict']}, exit {outcome['exit_code']}"


def render_text(diff: RunDiff) -> str:
    lines = [
        f"before: {_run_line(diff.before_run, diff.before_outcome)}",
        f"after:  {_run_line(diff.after_run, diff.after_outcome)}",
        "",
    ]
    for title, attr in _SECTIONS:
        changes: list[Change] = getattr(diff, attr)
        lines.append(f"{title}: {len(changes)}")
        for c in changes:
            was = c.before.value if c.before else "-"
            now = c.after.value if c.after else "-"
            lines.append(f"  {c.id:32} {was:>8} -> {now:<8} {c.title}")
            if c.message and attr in ("regressions", "unjudged", "warnings"):
                lines.append(f"  {'':32} {c.message[:150]}")
    lines.append("")
    if diff.strict and diff.warnings:
        lines.append("--strict: a new warning counts as a regression")
    lines.append(diff.conclusion())
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
        f"<p><b>before</b>: {escape(_run_line(diff.before_run, diff.before_outcome))}<br>",
        f"<b>after</b>: {escape(_run_line(diff.after_run, diff.after_outcome))}</p>",
        f"<h2>{escape(diff.conclusion())} (exit {diff.exit_code})</h2>",
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
