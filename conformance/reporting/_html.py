"""HTML pieces for pytest-html: the requirement table and failure details.

Everything here is escaped and built from already-redacted data.
"""

from __future__ import annotations

from html import escape
from typing import Any

from conformance.catalog import Catalog

from ._results import RequirementResult, Status

STYLE = """
<style>
.vcc-req { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
.vcc-req th, .vcc-req td { border: 1px solid #ccc; padding: 3px 8px;
  text-align: left; vertical-align: top; }
.vcc-pass { color: #1a7f37; font-weight: bold; } .vcc-fail { color: #cf222e; font-weight: bold; }
.vcc-error { color: #9a6700; font-weight: bold; } .vcc-skip, .vcc-not_run { color: #57606a; }
.vcc-failure pre { white-space: pre-wrap; background: #f6f8fa; padding: 6px; margin: 4px 0; }
.vcc-failure h4 { margin: 6px 0 2px; }
</style>
"""


def status_badge(status: Status) -> str:
    return f'<span class="vcc-{status.value}">{status.value.upper().replace("_", " ")}</span>'


def requirement_table(results: list[RequirementResult], counts: dict[str, int]) -> str:
    """The by-requirement summary shown at the top of report.html."""
    total = " · ".join(f"{status_badge(Status(k))} {v}" for k, v in counts.items() if v)
    rows = []
    for r in results:
        tests = "<br>".join(escape(t) for t in _compress(r.tests)) or "-"
        rows.append(
            f"<tr><td><b>{escape(r.id)}</b></td><td>{escape(r.level)}</td>"
            f"<td>{status_badge(r.status)}</td><td>{escape(r.title)}"
            + (f"<br><i>{escape(r.message)}</i>" if r.message else "")
            + f"</td><td>{tests}</td><td>{escape(r.source)}</td></tr>"
        )
    return (
        STYLE
        + f"<h2>Requirements</h2><p>{total}</p>"
        + '<table class="vcc-req"><tr><th>Requirement</th><th>Level</th><th>Status</th>'
        + "<th>Title</th><th>Tests</th><th>Source</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _compress(nodeids: list[str]) -> list[str]:
    """``test_x[a]``, ``test_x[b]`` -> ``test_x [2 cases]``: the table stays readable."""
    counts: dict[str, int] = {}
    for nodeid in nodeids:
        name = nodeid.split("::", 1)[-1].split("[", 1)[0]
        counts[name] = counts.get(name, 0) + 1
    return [name if n == 1 else f"{name} [{n} cases]" for name, n in counts.items()]


def failure_details(failures: list[dict[str, Any]], catalog: Catalog) -> str:
    """Requirement text, expected vs actual, the exchange and a curl line, per failure."""
    parts = ['<div class="vcc-failure">']
    for failure in failures:
        req_id = failure["requirement"]
        text = catalog.get(req_id).text if req_id in catalog else "(not in the catalog)"
        parts.append(f"<h4>{escape(req_id)}: {escape(failure['title'])}</h4>")
        parts.append(f"<div><i>{escape(text)}</i></div>")
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
    parts.append("</div>")
    return "".join(parts)


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
