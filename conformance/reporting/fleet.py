"""A fleet summary: many runs' results.json side by side, targets x requirements.

Built the same way whether the runs were made here by ``vcenter-conformance
fleet`` or elsewhere (one CI job per vCenter) and gathered with ``merge``: the
input is only each run's results.json, and each column is named by its run id.

The fleet's verdict is the worst of its runs' (FAIL, then INCOMPLETE, then
PASS), and a run that left no usable results.json counts as INCOMPLETE: a fleet
where one vCenter could not be judged is never green.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

from ._html import STYLE, status_badge
from ._results import EXIT_CODES, RESULTS_SCHEMA_VERSION, Status, Verdict, read_results

FLEET_SCHEMA_VERSION = 1
#: worst first: the fleet takes the worst verdict of its runs
_VERDICT_ORDER = [Verdict.FAIL, Verdict.INCOMPLETE, Verdict.PASS]


@dataclass(frozen=True)
class FleetRun:
    """One target's run as the summary sees it: its results.json, or why there is none."""

    name: str
    run_dir: str
    results: dict[str, Any] | None
    #: why the run left no usable results (it crashed, or its directory holds none)
    problem: str = ""

    @property
    def verdict(self) -> Verdict:
        if self.results is None:
            return Verdict.INCOMPLETE
        return Verdict(self.results.get("verdict", Verdict.INCOMPLETE))

    @property
    def exit_code(self) -> int:
        if self.results is None:
            return EXIT_CODES[Verdict.INCOMPLETE]
        return int(self.results.get("exit_code", EXIT_CODES[self.verdict]))

    @property
    def verdict_line(self) -> str:
        if self.results is None:
            return f"INCOMPLETE (exit 3): no results: {self.problem}"
        return str(self.results.get("verdict_line", self.verdict.value))

    @property
    def target(self) -> str:
        if self.results is None:
            return ""
        return str(self.results.get("run", {}).get("target") or "")

    @property
    def error(self) -> str:
        """Why the suite could not run here at all ("" when it ran)."""
        return self.problem or str((self.results or {}).get("error") or "")

    def status_of(self, requirement_id: str) -> Status:
        for r in (self.results or {}).get("requirements", []):
            if r["id"] == requirement_id:
                return Status(r["status"])
        return Status.NOT_RUN


def load_run(run_dir: Path, *, name: str | None = None, problem: str = "") -> FleetRun:
    """The run in ``run_dir`` (or a results.json path), named by its run id.

    A missing or unreadable results.json is not an error of the summary: the
    run is INCOMPLETE, with the reason (``problem`` says what happened first).
    """
    path = run_dir / "results.json" if run_dir.is_dir() or not run_dir.suffix else run_dir
    directory = path.parent
    try:
        results = read_results(path)
    except FileNotFoundError:
        why = problem or f"{path} does not exist"
        return FleetRun(name or directory.name, str(directory), None, why)
    except (OSError, ValueError) as exc:
        return FleetRun(name or directory.name, str(directory), None, problem or str(exc))
    run_id = str(results.get("run", {}).get("id") or directory.name)
    return FleetRun(name or run_id, str(directory), results, problem)


@dataclass
class FleetSummary:
    runs: list[FleetRun]
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @property
    def verdict(self) -> Verdict:
        verdicts = {run.verdict for run in self.runs}
        return next((v for v in _VERDICT_ORDER if v in verdicts), Verdict.INCOMPLETE)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]

    def requirements(self) -> list[dict[str, Any]]:
        """Every requirement any run reports (in first-seen order), with each run's status."""
        seen: dict[str, dict[str, Any]] = {}
        for run in self.runs:
            for r in (run.results or {}).get("requirements", []):
                seen.setdefault(r["id"], {"id": r["id"], "level": r["level"], "title": r["title"]})
        return [
            {**req, "statuses": {run.name: run.status_of(req["id"]).value for run in self.runs}}
            for req in seen.values()
        ]

    def verdict_line(self) -> str:
        counts = ", ".join(
            f"{n} {v.value}"
            for v in _VERDICT_ORDER
            if (n := sum(1 for run in self.runs if run.verdict is v))
        )
        return f"{self.verdict.value} (exit {self.exit_code}): {len(self.runs)} targets: {counts}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": FLEET_SCHEMA_VERSION,
            "results_schema_version": RESULTS_SCHEMA_VERSION,
            "created": self.created,
            "verdict": self.verdict.value,
            "exit_code": self.exit_code,
            "verdict_line": self.verdict_line(),
            "targets": [
                {
                    "name": run.name,
                    "target": run.target,
                    "run_dir": run.run_dir,
                    "verdict": run.verdict.value,
                    "exit_code": run.exit_code,
                    "verdict_line": run.verdict_line,
                    "error": run.error,
                }
                for run in self.runs
            ],
            "requirements": self.requirements(),
        }


#: requirement statuses that make a row worth showing in the console: anything judged and
#: not passed (a known deviation is shown as such, never hidden among the passes)
_NOTABLE = {Status.FAIL, Status.ERROR, Status.WARN, Status.KNOWN_DEVIATION}


def render_text(summary: FleetSummary) -> str:
    """The console table: one line per target, then the requirements not passing somewhere."""
    width = max([len(run.name) for run in summary.runs] + [6])
    lines = [f"FLEET {summary.verdict_line()}", ""]
    lines.append(f"  {'target':{width}}  {'verdict':10}  exit  summary")
    for run in summary.runs:
        said = f"could not run: {run.error}" if run.error else run.verdict_line.partition(": ")[2]
        lines.append(
            f"  {run.name:{width}}  {run.verdict.value:10}  {run.exit_code:>4}  {said[:120]}"
        )
    notable = [
        req
        for req in summary.requirements()
        if any(Status(s) in _NOTABLE for s in req["statuses"].values())
    ]
    if notable:
        id_width = max(len(req["id"]) for req in notable)
        lines += ["", f"  requirements not passing everywhere ({len(notable)}):"]
        cell = len("KNOWN DEVIATION")  # the longest status; target names are cut to it
        header = "  ".join(f"{run.name[:cell]:{cell}}" for run in summary.runs)
        lines.append(f"  {'':{id_width}}  {header}")
        for req in notable:
            cells = "  ".join(
                f"{req['statuses'][run.name].upper().replace('_', ' '):{cell}}"
                for run in summary.runs
            )
            lines.append(f"  {req['id']:{id_width}}  {cells}")
    return "\n".join(lines) + "\n"


def render_html(summary: FleetSummary) -> str:
    """Self-contained HTML: the verdict, the targets, then the requirements x targets matrix."""
    verdict = summary.verdict
    target_rows = "".join(
        f"<tr><td><b>{escape(run.name)}</b></td><td>{escape(run.target)}</td>"
        f'<td><span class="vcc-{_verdict_class(run.verdict)}">{run.verdict.value}</span></td>'
        f"<td>{run.exit_code}</td><td>{escape(run.verdict_line)}</td>"
        f"<td>{escape(run.run_dir)}</td></tr>"
        for run in summary.runs
    )
    head = "".join(f"<th>{escape(run.name)}</th>" for run in summary.runs)
    matrix_rows = "".join(
        f"<tr><td><b>{escape(req['id'])}</b></td><td>{escape(req['level'])}</td>"
        + "".join(
            f"<td>{status_badge(Status(req['statuses'][run.name]))}</td>" for run in summary.runs
        )
        + f"<td>{escape(req['title'])}</td></tr>"
        for req in summary.requirements()
    )
    return "".join(
        [
            "<!DOCTYPE html><html><head><meta charset='utf-8'>",
            "<title>vcenter-conformance fleet</title>",
            STYLE,
            "</head><body style='font-family: sans-serif'>",
            "<h1>vcenter-conformance: fleet summary</h1>",
            f'<div class="vcc-verdict {verdict.value}"><b>{verdict.value}</b> '
            f"{escape(summary.verdict_line())}</div>",
            f"<p>Made {escape(summary.created)}. The fleet's verdict is the worst of its "
            "targets' (FAIL, then INCOMPLETE, then PASS); a target that could not run is "
            "INCOMPLETE. Each target's own report.html is in its run directory.</p>",
            '<h2>Targets</h2><table class="vcc-req"><tr><th>Name</th><th>Target</th>'
            "<th>Verdict</th><th>Exit</th><th>Summary</th><th>Run directory</th></tr>",
            target_rows,
            "</table>",
            "<h2>Requirements by target</h2>",
            f'<table class="vcc-req"><tr><th>Requirement</th><th>Level</th>{head}'
            "<th>Title</th></tr>",
            matrix_rows,
            "</table></body></html>",
        ]
    )


def _verdict_class(verdict: Verdict) -> str:
    return {Verdict.PASS: "pass", Verdict.FAIL: "fail"}.get(verdict, "error")


def write_summary(summary: FleetSummary, directory: Path) -> tuple[Path, Path]:
    """``fleet.json`` and ``fleet.html`` in ``directory``; returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    json_path, html_path = directory / "fleet.json", directory / "fleet.html"
    json_path.write_text(json.dumps(summary.to_dict(), indent=2) + "\n", encoding="utf-8")
    html_path.write_text(render_html(summary), encoding="utf-8")
    return json_path, html_path


__all__ = [
    "FLEET_SCHEMA_VERSION",
    "FleetRun",
    "FleetSummary",
    "load_run",
    "render_html",
    "render_text",
    "write_summary",
]
