"""HTML pieces for pytest-html: the requirement table and failure details.

Everything here is escaped and built from already-redacted data.
"""

from __future__ import annotations

from html import escape
from typing import Any

from conformance.catalog import Catalog, SeedPage, UnknownSource

from ._results import RequirementResult, Status, Verdict

STYLE = """
<style>
#environment-header, #environment { display: none; }  /* our run header replaces it */
/* the verdict banner opens the report; pytest-html's title, byline and counters
   ("N tests took", which leaves out skips and errors; "0 Reruns") would only mislead */
h1#title, h1#title + p, .summary__data > h2, .run-count { display: none; }
.filters input[data-test-result="rerun"], .filters span.rerun,
.filters input[data-test-result="retried"], .filters span.retried { display: none; }
.vcc-verdict { font-size: 15px; margin: 4px 0 12px; padding: 10px 14px; border-radius: 6px;
  color: #fff; }
.vcc-verdict b { font-size: 30px; margin-right: 14px; vertical-align: middle; }
.vcc-verdict.PASS { background: #1a7f37; } .vcc-verdict.FAIL { background: #cf222e; }
.vcc-verdict.INCOMPLETE { background: #9a6700; }
.vcc-settings td { border: none; padding: 0 10px 0 0; font-size: 12px; }
.vcc-req { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
.vcc-req th, .vcc-req td { border: 1px solid #ccc; padding: 3px 8px;
  text-align: left; vertical-align: top; }
.vcc-pass { color: #1a7f37; font-weight: bold; } .vcc-fail { color: #cf222e; font-weight: bold; }
.vcc-error { color: #9a6700; font-weight: bold; } .vcc-skip, .vcc-not_run { color: #57606a; }
.vcc-known_deviation { color: #8250df; font-weight: bold; }
.vcc-warn { color: #bc4c00; font-weight: bold; }
.vcc-failure pre { white-space: pre-wrap; background: #f6f8fa; padding: 6px; margin: 4px 0; }
.vcc-failure h4 { margin: 6px 0 2px; }
.vcc-matrix td.n { text-align: right; min-width: 3em; }
.vcc-cell { display: inline-block; width: 14px; height: 14px; margin: 1px; border-radius: 2px; }
.vcc-cell.pass { background: #2da44e; } .vcc-cell.fail { background: #cf222e; }
.vcc-cell.error { background: #d4a72c; } .vcc-cell.skip { background: #afb8c1; }
.vcc-cell.not_run { background: #eaeef2; border: 1px solid #d0d7de; }
.vcc-cell.known_deviation { background: #8250df; } .vcc-cell.warn { background: #fb8f44; }
.vcc-header td { padding: 1px 10px 1px 0; font-size: 13px; }
details.vcc-passes > summary { cursor: pointer; margin: 6px 0; }
</style>
"""

STATUS_ORDER = [
    Status.FAIL,
    Status.ERROR,
    Status.WARN,
    Status.KNOWN_DEVIATION,
    Status.SKIP,
    Status.PASS,
    Status.NOT_RUN,
]


def status_badge(status: Status) -> str:
    return f'<span class="vcc-{status.value}">{status.value.upper().replace("_", " ")}</span>'


def area_of(requirement_id: str) -> str:
    return requirement_id.split("-", 1)[0]


#: what each verdict means, in one line under it
VERDICT_MEANING = {
    Verdict.PASS: "every requirement the run was asked to judge passed (Warns allowed)",
    Verdict.FAIL: "the target broke a requirement",
    Verdict.INCOMPLETE: "the suite could not judge everything it was asked to "
    "(an Error, or a MUST skipped or not run)",
}


def verdict_banner(
    verdict: Verdict, exit_code: int, results: list[RequirementResult], tests: list[str]
) -> str:
    """The first thing a reader sees: the verdict, big and coloured, with the counts."""
    counts = ", ".join(
        f"{n} {s.value.replace('_', ' ')}"
        for s in STATUS_ORDER
        if (n := sum(1 for r in results if r.status is s and r.selected))
    )
    not_selected = sum(1 for r in results if not r.selected)
    if not_selected:
        counts += f", {not_selected} not selected"
    by_test = ", ".join(
        f"{tests.count(s.value)} {s.value.replace('_', ' ')}"
        for s in STATUS_ORDER
        if tests.count(s.value)
    )
    unjudged = [r.id for r in results if r.unjudged_must]
    lines = [
        f"<b>{verdict.value}</b> exit code {exit_code}: {escape(VERDICT_MEANING[verdict])}",
        f"<br>{len(results)} requirements: {escape(counts)}",
        f"<br>{len(tests)} tests: {escape(by_test)}" if tests else "",
        f"<br>{len(unjudged)} MUST not judged: {escape(', '.join(unjudged))}" if unjudged else "",
    ]
    return f'<div class="vcc-verdict {verdict.value}">{"".join(lines)}</div>'


def run_header(rows: dict[str, str]) -> str:
    """Target, versions, times and the redacted settings: what a reader checks next.

    The values are HTML (the caller escapes them).
    """
    cells = "".join(f"<tr><td><b>{escape(k)}</b></td><td>{v}</td></tr>" for k, v in rows.items())
    return f'<table class="vcc-header">{cells}</table>'


def settings_table(settings: dict[str, Any]) -> str:
    """The redacted settings, one per row (unset ones as "default"), folded."""
    rows = "".join(
        f"<tr><td>{escape(k)}</td><td>{escape('default' if v is None else str(v))}</td></tr>"
        for k, v in settings.items()
    )
    return (
        f"<details><summary>{len(settings)} settings (click to show)</summary>"
        f'<table class="vcc-settings">{rows}</table></details>'
    )


def requirement_matrix(results: list[RequirementResult]) -> str:
    """Areas x statuses with counts, and one coloured cell per requirement: a picture."""
    areas: dict[str, list[RequirementResult]] = {}
    for r in results:
        areas.setdefault(area_of(r.id), []).append(r)
    head = "".join(f"<th>{status_badge(s)}</th>" for s in STATUS_ORDER)
    rows = []
    for area, members in areas.items():
        counts = "".join(
            f'<td class="n">{sum(1 for m in members if m.status is s) or ""}</td>'
            for s in STATUS_ORDER
        )
        cells = "".join(
            f'<a href="#req-{escape(m.id)}" title="{escape(m.id)}: {m.status.value}">'
            f'<span class="vcc-cell {m.status.value}"></span></a>'
            for m in members
        )
        rows.append(f"<tr><td><b>{escape(area)}</b></td>{counts}<td>{cells}</td></tr>")
    totals = "".join(
        f'<td class="n"><b>{sum(1 for r in results if r.status is s) or ""}</b></td>'
        for s in STATUS_ORDER
    )
    rows.append(f"<tr><td><b>all</b></td>{totals}<td>{len(results)} requirements</td></tr>")
    return (
        '<table class="vcc-req vcc-matrix"><tr><th>Area</th>'
        + head
        + "<th>Requirements</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _requirement_row(r: RequirementResult) -> str:
    tests = "<br>".join(escape(t) for t in _compress(r.tests)) or "-"
    return (
        f'<tr id="req-{escape(r.id)}"><td><b>{escape(r.id)}</b></td><td>{escape(r.level)}</td>'
        f"<td>{status_badge(r.status)}</td><td>{escape(r.title)}"
        + (f"<br><i>{escape(r.message)}</i>" if r.message else "")
        + f"</td><td>{tests}</td><td>{escape(r.source)}</td></tr>"
    )


def requirement_table(
    results: list[RequirementResult],
    header: dict[str, str] | None = None,
    *,
    verdict: Verdict | None = None,
    exit_code: int | None = None,
    tests: list[str] | None = None,
) -> str:
    """The top of report.html: verdict, run header, matrix, then problems first and
    passes folded."""
    head = (
        '<table class="vcc-req"><tr><th>Requirement</th><th>Level</th><th>Status</th>'
        "<th>Title</th><th>Tests</th><th>Source</th></tr>"
    )
    problems = [r for r in results if r.status not in (Status.PASS, Status.NOT_RUN)]
    quiet = [r for r in results if r.status in (Status.PASS, Status.NOT_RUN)]
    parts = [STYLE]
    if verdict is not None and exit_code is not None:
        parts.append(verdict_banner(verdict, exit_code, results, tests or []))
    if header:
        parts.append(run_header(header))
    parts.append("<h2>Requirements</h2>")
    parts.append(requirement_matrix(results))
    if problems:
        parts.append(head + "".join(_requirement_row(r) for r in problems) + "</table>")
    if quiet:
        parts.append(
            f'<details class="vcc-passes"><summary>{len(quiet)} passed or not run '
            "(click to show)</summary>"
            + head
            + "".join(_requirement_row(r) for r in quiet)
            + "</table></details>"
        )
    return "".join(parts)


def coverage_table(coverage: dict[str, Any]) -> str:
    """Operations x documented statuses: what the run exercised (folded by default)."""
    rows = []
    for operation_id, c in coverage["by_operation"].items():
        observed = ", ".join(f"{s} x{n}" for s, n in c["observed"].items()) or "-"
        missing = ", ".join(c["not_observed"]) or "-"
        extra = ", ".join(str(s) for s in c["undocumented_observed"])
        rows.append(
            f"<tr><td><b>{escape(operation_id)}</b><br><small>{escape(c['method'])} "
            f"{escape(c['path'])}</small></td><td>{escape(', '.join(c['documented']))}</td>"
            f"<td>{escape(observed)}</td><td>{escape(missing)}</td>"
            f"<td class='vcc-fail'>{escape(extra)}</td>"
            f"<td>{escape(', '.join(c['requirements']))}</td></tr>"
        )
    return (
        f'<details class="vcc-passes"><summary>Spec coverage: '
        f"{coverage['operations_called']}/{coverage['operations']} operations called, "
        f"{coverage['documented_statuses_observed']}/{coverage['documented_statuses']} "
        "documented statuses observed (click to show)</summary>"
        '<table class="vcc-req"><tr><th>Operation</th><th>Documented</th><th>Observed</th>'
        "<th>Not observed</th><th>Undocumented seen</th><th>Requirements</th></tr>"
        + "".join(rows)
        + "</table></details>"
    )


def _compress(nodeids: list[str]) -> list[str]:
    """``test_x[a]``, ``test_x[b]`` -> ``test_x [2 cases]``: the table stays readable."""
    counts: dict[str, int] = {}
    for nodeid in nodeids:
        name = nodeid.split("::", 1)[-1].split("[", 1)[0]
        counts[name] = counts.get(name, 0) + 1
    return [name if n == 1 else f"{name} [{n} cases]" for name, n in counts.items()]


def failure_details(
    failures: list[dict[str, Any]],
    catalog: Catalog,
    seed: str | None = None,
    steps: list[str] | None = None,
) -> str:
    """Requirement text, expected vs actual, the exchange and a curl line, per failure;
    then every request the test made, in order (how the failing one was reached)."""
    parts = ['<div class="vcc-failure">']
    if seed is not None:
        parts.append(f"<div><b>property-test seed</b>: {escape(seed)}</div>")
    for failure in failures:
        req_id = failure["requirement"]
        text = catalog.get(req_id).text if req_id in catalog else "(not in the catalog)"
        parts.append(f"<h4>{escape(req_id)}: {escape(failure['title'])}</h4>")
        parts.append(f"<div><i>{escape(text)}</i></div>")
        if req_id in catalog:
            parts.append(_sources_cited(catalog, req_id))
        parts.append(f"<div>{escape(failure['message'])}</div>")
        if failure.get("expected") is not None:
            parts.append(f"<div><b>expected</b>: {escape(str(failure['expected']))}</div>")
        if failure.get("actual") is not None:
            parts.append(f"<div><b>actual</b>: {escape(str(failure['actual']))}</div>")
        exchange = failure.get("exchange")
        if exchange:
            parts.append(f"<pre>{escape(_transcript(exchange))}</pre>")
        if failure.get("curl"):
            parts.append(f"<div><b>reproduce</b>:</div><pre>{escape(failure['curl'])}</pre>")
        rerun = f"vcenter-conformance run --target $VC_URL --requirement {req_id}"
        parts.append(f"<div><b>rerun just this requirement</b>:</div><pre>{escape(rerun)}</pre>")
    if steps:
        parts.append(
            f"<details><summary>the {len(steps)} request(s) this test made, in order</summary>"
            f"<pre>{escape(chr(10).join(steps))}</pre></details>"
        )
    parts.append("</div>")
    return "".join(parts)


def _sources_cited(catalog: Catalog, requirement_id: str) -> str:
    """Where the quoted words come from: page title, operation and URL, or what the
    contract section was distilled from (SDK module and version, spec operationIds)."""
    requirement = catalog.get(requirement_id)
    try:
        cited = requirement.cited_sources()
    except UnknownSource:
        return f"<div><b>source</b>: {escape(requirement.source)}</div>"
    items = []
    for source in cited:
        if isinstance(source, SeedPage) and source.url:
            link = f'<a href="{escape(source.url)}">{escape(source.url)}</a>'
            items.append(f"<li>{escape(source.label)}: {link}</li>")
        else:
            items.append(f"<li>{escape(source.citation(4, requirement_id))}</li>")
    return f"<div><b>source</b> ({escape(requirement.source)}):<ul>{''.join(items)}</ul></div>"


def _transcript(exchange: dict[str, Any]) -> str:
    lines = [f"> {exchange['method']} {exchange['url']}"]
    lines += [f"> {k}: {v}" for k, v in exchange["request_headers"].items()]
    if exchange.get("request_body"):
        lines.append(f"> {exchange['request_body']}")
    lines.append(f"< {exchange['status']}")
    lines += [f"< {k}: {v}" for k, v in exchange["response_headers"].items()]
    if exchange.get("response_body"):
        lines.append(f"< {exchange['response_body'][:4000]}")
    return "\n".join(lines)
