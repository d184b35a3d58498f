"""The acceptance document: what a vendor receives, generated from the catalog.

Each requirement with its level, the words it comes from and their source, what
the suite accepts where sources conflict, and the tests that judge it; then how
to run the suite against one's own implementation.
"""

from __future__ import annotations

import dataclasses
import json
from html import escape

from . import (
    URL_NOT_CONFIRMED,
    Catalog,
    ContractSection,
    Excerpt,
    Requirement,
    SeedPage,
    Source,
)

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


# -- sources ------------------------------------------------------------------
#: In a requirement's entry a spec origin names this many operations; the Sources
#: section of the document names them all.
SHORT_LIST = 4


def _cited(catalog: Catalog) -> list[Source]:
    """Every source some requirement cites: seed pages, contract sections, spec excerpts."""
    found: dict[str, Source] = {}
    for req in catalog:
        for source in req.cited_sources():
            found.setdefault(source.ref, source)
    seeds = sorted((s for s in found.values() if isinstance(s, SeedPage)), key=lambda s: s.ref)
    sections = sorted(
        (s for s in found.values() if isinstance(s, ContractSection)),
        key=lambda s: tuple(int(n) for n in s.section.split(".")),
    )
    specs = sorted((s for s in found.values() if isinstance(s, Excerpt)), key=lambda s: s.ref)
    return [*seeds, *sections, *specs]


def _cite_markdown(
    source: Source, max_items: int | None = SHORT_LIST, requirement_id: str = ""
) -> str:
    if isinstance(source, SeedPage):
        where = f"<{source.url}>" if source.url else URL_NOT_CONFIRMED
        return (
            f'API reference page "{source.title}", `{source.operation}`: {where} '
            f"(text shipped as `conformance/catalog/{source.excerpt_path}`)"
        )
    if isinstance(source, Excerpt):
        return (
            f"{source.citation(max_items, requirement_id)} "
            f"(text shipped as `conformance/catalog/{source.excerpt_path}`)"
        )
    origins = "; ".join(o.describe(max_items, requirement_id) for o in source.origins)
    return (
        f"wire contract §{source.section} ({source.title}), distilled from: {origins} "
        f"(text shipped as `conformance/catalog/{source.excerpt_path}`)"
    )


def source_lines_markdown(req: Requirement) -> list[str]:
    """The requirement's sources, each cited so a vendor can find it."""
    return [f"Sources (`{req.source}`):", ""] + [
        f"- {_cite_markdown(s, requirement_id=req.id)}" for s in req.cited_sources()
    ]


def sources_appendix_markdown(catalog: Catalog) -> list[str]:
    lines = [
        "Requirements quote three kinds of source: the vSphere Automation API reference "
        "pages (`seeds/<file>`), the wire contract (`contract.md §N`), distilled from "
        "VMware's SDK bindings, VMware's published /api specification and public field "
        "reports, and excerpts of that published specification (`spec/<file>`: the "
        "operations' responses and the definitions' fields, words unchanged). The text of "
        "each ships inside the package, under "
        "`conformance/catalog/sources/`.",
        "",
    ]
    lines += [f"- `{s.ref}`: {_cite_markdown(s, max_items=None)}" for s in _cited(catalog)]
    return [*lines, ""]


def _cite_html(source: Source, requirement_id: str) -> str:
    if isinstance(source, SeedPage):
        where = (
            f'<a href="{escape(source.url)}">{escape(source.url)}</a>'
            if source.url
            else URL_NOT_CONFIRMED
        )
        return (
            f"API reference page &quot;{escape(source.title)}&quot;, "
            f"<code>{escape(source.operation)}</code>: {where}"
        )
    if isinstance(source, Excerpt):
        return _origin_html(source.citation(SHORT_LIST, requirement_id))
    origins = "; ".join(
        _origin_html(o.describe(SHORT_LIST, requirement_id)) for o in source.origins
    )
    return (
        f"wire contract §{escape(source.section)} ({escape(source.title)}), "
        f"distilled from: {origins}"
    )


def _origin_html(text: str) -> str:
    """An origin line with its https URL made a link."""
    parts = []
    for word in text.split(" "):
        bare = word.strip("(),;:")
        if bare.startswith("https://"):
            parts.append(
                escape(word).replace(escape(bare), f'<a href="{escape(bare)}">{escape(bare)}</a>')
            )
        else:
            parts.append(escape(word))
    return " ".join(parts)


def source_html(req: Requirement) -> str:
    items = "".join(f"<li>{_cite_html(s, req.id)}</li>" for s in req.cited_sources())
    return f"<p>Sources (<code>{escape(req.source)}</code>):</p><ul>{items}</ul>"


def render_json(catalog: Catalog) -> str:
    """The catalog as data, each requirement with its sources resolved."""
    entries = [
        {**dataclasses.asdict(r), "sources": [s.to_dict() for s in r.cited_sources()]}
        for r in catalog
    ]
    return json.dumps(entries, indent=2) + "\n"


# -- documents ------------------------------------------------------------------
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
    lines += sources_appendix_markdown(catalog)
    for area, members in _areas(catalog).items():
        lines += [f"## {area}", ""]
        for req in members:
            lines += [f"### {req.id} ({req.level}): {req.title}", "", f"> {req.text}", ""]
            lines += source_lines_markdown(req)
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
                + source_html(req)
            )
            if req.accepts:
                parts.append(f"<p><i>What the suite accepts</i>: {escape(req.accepts)}</p>")
            tests = "".join(
                f"<li>{escape(describe_test(t))} (<code>{escape(t)}</code>)</li>" for t in req.tests
            )
            parts.append(f"<p>Tested by:</p><ul>{tests}</ul>")
    parts.append("</body></html>")
    return "".join(parts)
