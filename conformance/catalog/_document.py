"""The acceptance document: what a vendor receives, generated from the catalog.

Each requirement with its level, the words it comes from and their source, what
the suite accepts where sources conflict, and the tests that judge it; then how
to run the suite against one's own implementation.
"""

from __future__ import annotations

from html import escape

from . import SEED_PAGES, Catalog, Requirement

HOW_TO_RUN = [
    "# from a checkout of the vcenter-conformance repository:",
    "python3 -m venv .venv && .venv/bin/pip install .",
    "export VC_PASSWORD='...'",
    ".venv/bin/vcenter-conformance run --target https://your-vcenter.example "
    "--user administrator@vsphere.local --password-env VC_PASSWORD",
]

INTRO = (
    "This document lists what an implementation of the vSphere Automation API "
    "(/api) Content Library update sessions and download sessions must do to pass "
    "vcenter-conformance. Each requirement quotes the documentation it comes from: "
    "the vSphere Automation API reference pages "
    '("seeds") or the wire contract distilled from VMware\'s SDK bindings and '
    'published specifications ("contract.md").'
)

#: What MUST and SHOULD mean for the verdict, and what --strict changes.
LEVELS_AND_VERDICT = [
    "MUST: an acceptance criterion. A target that breaks it gets Fail, and the run's "
    "verdict is FAIL (exit code 1).",
    "SHOULD: a recommendation the sources make but do not require (for example a "
    "default the documentation calls configurable). A target that breaks it gets "
    "Warn: shown in the console, the report, junit.xml (as a passed test with the "
    "property conformance_status=warn) and results.json, but the verdict stays PASS "
    "(exit code 0). With `--strict` (or the setting strict = true) a Warn counts as "
    "a Fail.",
    "Either level may be listed as a known deviation in a vendor profile, with a "
    "reason, a link and an expiry date; until it expires it does not fail the run.",
    "Verdict: PASS (exit 0) when every requirement the run judged passed (Warns "
    "allowed); FAIL (exit 1) when one failed; INCOMPLETE (exit 3) when the suite "
    "could not judge everything it was asked to: an Error (network, timeout, 5xx, "
    "a setup step refused), or a selected MUST that ended Skip or not run. A MUST "
    "is never left unjudged in a PASS. Requirements that no selected test cites "
    "(deselected with -k or --no-property-tests) are reported as not selected. "
    "Exit code 2 is a usage or configuration error.",
]


def describe_test(test: str) -> str:
    """``test_update::test_update_session_x_is_y`` -> ``update session x is y``."""
    name = test.split("::", 1)[-1].removeprefix("test_")
    return name.replace("_", " ")


def _areas(catalog: Catalog) -> dict[str, list[Requirement]]:
    areas: dict[str, list[Requirement]] = {}
    for req in catalog:
        areas.setdefault(req.id.split("-", 1)[0], []).append(req)
    return areas


def render_markdown(catalog: Catalog, version: str) -> str:
    levels = {lvl: sum(1 for r in catalog if r.level == lvl) for lvl in ("MUST", "SHOULD", "MAY")}
    lines = [
        "# vcenter-conformance: acceptance criteria",
        "",
        f"Suite version {version}. {len(catalog)} requirements: "
        + ", ".join(f"{n} {lvl}" for lvl, n in levels.items() if n)
        + ".",
        "",
        INTRO,
        "",
        "## How to run the suite",
        "",
        "```bash",
        *HOW_TO_RUN,
        "```",
        "",
        "The run writes `report.html`, `junit.xml` and `results.json` under `reports/<run-id>/`.",
        "",
        "## Levels and the verdict",
        "",
        *[f"- {line}" for line in LEVELS_AND_VERDICT],
        "",
        "## Sources",
        "",
    ]
    lines += [f"- `seeds/{name}`: {what}" for name, what in SEED_PAGES.items()]
    lines += ["- `contract.md §N`: the wire contract, section N", ""]
    for area, members in _areas(catalog).items():
        lines += [f"## {area}", ""]
        for req in members:
            lines += [f"### {req.id} ({req.level}): {req.title}", "", f"> {req.text}", ""]
            lines.append(f"Source: {req.source}")
            if req.accepts:
                lines += ["", f"What the suite accepts: {req.accepts}"]
            lines += ["", "Tested by:"]
            lines += [f"- {describe_test(t)} (`{t}`)" for t in req.tests]
            lines.append("")
    return "\n".join(lines)


def render_html(catalog: Catalog, version: str) -> str:
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        "<title>vcenter-conformance: acceptance criteria</title><style>",
        "body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}",
        "blockquote{border-left:4px solid #d0d7de;margin:0;padding:0 1em;color:#444}",
        "pre{background:#f6f8fa;padding:8px;white-space:pre-wrap}",
        ".lvl{font-size:80%;padding:1px 6px;border-radius:8px;background:#ddf4ff}",
        ".lvl.MUST{background:#ffebe9}</style></head><body>",
        "<h1>vcenter-conformance: acceptance criteria</h1>",
        f"<p>Suite version {escape(version)}. {len(catalog)} requirements.</p>",
        f"<p>{escape(INTRO)}</p>",
        "<h2>How to run the suite</h2><pre>",
        escape("\n".join(HOW_TO_RUN)),
        "</pre><h2>Levels and the verdict</h2><ul>",
        *[f"<li>{escape(line)}</li>" for line in LEVELS_AND_VERDICT],
        "</ul><h2>Contents</h2><ul>",
    ]
    areas = _areas(catalog)
    for area, members in areas.items():
        links = ", ".join(f'<a href="#{escape(r.id)}">{escape(r.id)}</a>' for r in members)
        parts.append(f"<li><b>{escape(area)}</b>: {links}</li>")
    parts.append("</ul>")
    for area, members in areas.items():
        parts.append(f"<h2>{escape(area)}</h2>")
        for req in members:
            parts.append(
                f'<h3 id="{escape(req.id)}">{escape(req.id)} '
                f'<span class="lvl {escape(req.level)}">{escape(req.level)}</span></h3>'
                f"<p><b>{escape(req.title)}</b></p><blockquote>{escape(req.text)}</blockquote>"
                f"<p>Source: {escape(req.source)}</p>"
            )
            if req.accepts:
                parts.append(f"<p><i>What the suite accepts</i>: {escape(req.accepts)}</p>")
            tests = "".join(
                f"<li>{escape(describe_test(t))} (<code>{escape(t)}</code>)</li>" for t in req.tests
            )
            parts.append(f"<p>Tested by:</p><ul>{tests}</ul>")
    parts.append("</body></html>")
    return "".join(parts)
