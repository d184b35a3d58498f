"""The sources registry: every requirement's source traces to a citation and shipped text."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from html import escape
from pathlib import Path

import pytest

from conformance.catalog import (
    SEED_PAGES,
    URL_NOT_CONFIRMED,
    ContractSection,
    Requirement,
    SeedPage,
    Source,
    UnknownSource,
    catalog,
    source_refs,
    sources,
)

REPO = Path(__file__).resolve().parent.parent

#: Quotes of seed-citing requirements that are not, word for word (modulo whitespace and
#: ellipses), in any text the requirement cites. Reported to the catalog's owner, not fixed
#: here; remove an entry once its requirement quotes its source exactly.
KNOWN_UNMATCHED_QUOTES = {
    # the page reads "messages / Required / Stack of ..." (no colon): a paraphrase
    ("ERR-BODY-SCHEMA", "messages Required: Stack of one or more localizable messages"),
    (
        "ERR-BODY-SCHEMA",
        "error_type Required: Discriminator field to help API consumers identify the "
        "structure type.",
    ),
    # contract §5 reads "missing_files R (set of strings; a JSON array with unique items)"
    ("USF-VALIDATE-MISSING", "missing_files R (set of strings)"),
    # the §3 table row has more columns between these cells
    ("USF-REMOVE", "updatesession.file.remove | DELETE | …/file/{file_name} | 204"),
    # an SDK docstring (ItemModel.content_version) that no cited source holds
    (
        "ITEM-CONTENT-VERSION-AFTER-COMPLETE",
        "The latest version of the file content list of this library item.",
    ),
}


def normalized(text: str) -> str:
    """Whitespace collapsed, Markdown emphasis and code marks dropped (contract.md uses them)."""
    text = text.replace("**", "").replace("`", "").replace("\u2019", "'")
    return " ".join(text.split())


def quotes(text: str) -> list[str]:
    return re.findall(r'"([^"]{8,})"', text)


def quote_found(quote: str, excerpts: list[str]) -> bool:
    """The quote, or each part of it between ellipses, appears in one of the excerpts."""
    haystacks = [normalized(e) for e in excerpts]
    whole = normalized(quote).strip(" .,;")
    if any(whole in h for h in haystacks):
        return True
    parts = [p.strip(" .,;") for p in re.split(r"\.\.\.|…", normalized(quote))]
    parts = [p for p in parts if p]
    return bool(parts) and all(any(p in h for h in haystacks) for p in parts)


def unmatched_quotes(requirement: Requirement) -> list[str]:
    excerpts = [s.excerpt() for s in requirement.cited_sources()]
    return [q for q in quotes(requirement.text) if not quote_found(q, excerpts)]


def cites_a_seed(requirement: Requirement) -> bool:
    return any(isinstance(s, SeedPage) for s in requirement.cited_sources())


def test_source_refs_parse_every_form_the_catalog_uses() -> None:
    assert source_refs("contract.md §3, §10.7; seeds/004_710c12ed700c468e.txt") == [
        "contract.md §3",
        "contract.md §10.7",
        "seeds/004_710c12ed700c468e.txt",
    ]
    assert source_refs("contract.md §3 (notes), §10.14") == ["contract.md §3", "contract.md §10.14"]
    with pytest.raises(UnknownSource):
        source_refs("RFC 3339 §5.6")
    with pytest.raises(UnknownSource):
        sources().resolve("contract.md §42")
    with pytest.raises(UnknownSource):
        sources().resolve("seeds/999_0000000000000000.txt")


def test_every_source_of_every_requirement_resolves_to_a_citation() -> None:
    for req in catalog():
        cited = req.cited_sources()
        assert cited, req.id
        for source in cited:
            assert source.excerpt().strip(), (req.id, source.ref)
            citation = source.citation()
            if isinstance(source, SeedPage):
                assert source.title in citation and source.operation in citation
                assert source.where in citation
            else:
                assert source.origins, (req.id, source.ref)
                assert all(o.describe() in citation for o in source.origins)


def test_seed_pages_carry_title_operation_and_a_confirmed_url_or_say_so() -> None:
    pages = sources().seed_pages
    assert set(pages) == set(SEED_PAGES)
    for page in pages.values():
        assert page.excerpt().splitlines()[0].strip() == page.title
        if page.url is None:
            assert page.where == URL_NOT_CONFIRMED
        else:
            assert page.url.startswith("https://developer.broadcom.com/xapis/")
        method_path = page.operation.split(" ", 1)
        if method_path[0] in ("GET", "POST", "PATCH", "DELETE"):
            # the page states the operation it documents
            assert method_path[1] in page.excerpt()


def test_contract_sections_say_what_they_were_distilled_from() -> None:
    for section in sources().contract_sections.values():
        heading = section.excerpt().splitlines()[0]
        assert heading.startswith(("## ", "### ", f"{section.section.split('.')[-1]}. ")), heading
        for origin in section.origins:
            if origin.kind == "sdk":
                assert origin.data["version"] == "9.1.1.0"
            elif origin.kind == "spec":
                assert origin.data["version"] in ("7.0.3", "8.0.2")
            else:
                assert origin.data["url"].startswith("https://github.com/")
    field_reports = sources().contract_sections["9"].origins
    assert "https://github.com/vmware/govmomi/issues/3319" in {o.data["url"] for o in field_reports}


def test_quotes_of_seed_citing_requirements_appear_in_the_shipped_text() -> None:
    found = {
        (req.id, quote) for req in catalog() if cites_a_seed(req) for quote in unmatched_quotes(req)
    }
    assert found == KNOWN_UNMATCHED_QUOTES


def test_quote_check_tells_a_quote_from_a_paraphrase() -> None:
    page: Source = sources().get("seeds/000_c032353c98a108a2.txt")
    excerpt = [page.excerpt()]
    assert quote_found("Deletes an update session.  This removes\nthe session", excerpt)
    assert quote_found("Deletes an update session... all information associated with it", excerpt)
    assert not quote_found("Deletes an update session at once", excerpt)
    assert not quote_found("Deletes an update session... and its item", excerpt)
    section: Source = sources().get("contract.md §10.6")
    assert isinstance(section, ContractSection)
    assert quote_found(
        "delete while ACTIVE gives 400 NOT_ALLOWED_IN_CURRENT_STATE", [section.excerpt()]
    )


def test_the_registry_and_its_excerpts_ship_in_the_wheel(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "-q", "-w", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = tmp_path.glob("vcenter_conformance-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "conformance/catalog/sources.yaml" in names
    assert "conformance/catalog/sources.schema.json" in names
    registry = sources()
    every: list[Source] = [*registry.seed_pages.values(), *registry.contract_sections.values()]
    for source in every:
        assert f"conformance/catalog/{source.excerpt_path}" in names, source.ref


def _section_of(document: str, requirement_id: str, next_marker: str) -> str:
    start = document.index(requirement_id)
    end = document.find(next_marker, start + len(requirement_id))
    return document[start : end if end != -1 else len(document)]


def test_acceptance_document_cites_each_source_of_each_requirement() -> None:
    from conformance import __version__
    from conformance.catalog._document import render_html, render_json, render_markdown

    cat = catalog()
    markdown = render_markdown(cat, __version__)
    html = render_html(cat, __version__)
    as_json = {entry["id"]: entry for entry in json.loads(render_json(cat))}
    for req in cat:
        md_entry = _section_of(markdown, f"### {req.id} (", "\n### ")
        html_entry = _section_of(html, f'<h3 id="{req.id}"', "<h3 ")
        assert req.text in md_entry
        for source in req.cited_sources():
            if isinstance(source, SeedPage):
                for words in (source.title, source.operation, source.where):
                    assert words in md_entry, (req.id, words)
                    assert escape(words) in html_entry, (req.id, words)
            else:
                assert f"§{source.section} ({source.title})" in md_entry
                for origin in source.origins:
                    assert origin.describe(4, req.id) in md_entry, (req.id, origin)
        assert [s["ref"] for s in as_json[req.id]["sources"]] == [
            s.ref for s in req.cited_sources()
        ]
    # The document's Sources section gives every cited source in full, URLs included.
    assert "https://github.com/vmware/govmomi/issues/3319" in markdown
    assert "content_generation/api_specs/8.0.2/content.json" in markdown


def test_report_failure_block_cites_the_sources() -> None:
    from conformance.reporting._html import failure_details

    failure = {
        "requirement": "US-DELETE-ACTIVE-400",
        "title": "Unexpected status code",
        "message": "delete of an ACTIVE update session: expected HTTP 400, got 204",
    }
    html = failure_details([failure], catalog())
    req = catalog().get("US-DELETE-ACTIVE-400")
    cited = req.cited_sources()
    assert any(isinstance(s, SeedPage) for s in cited)
    for source in cited:
        if isinstance(source, SeedPage):
            assert escape(source.title) in html and escape(source.operation) in html
            assert source.url is not None and f'href="{escape(source.url)}"' in html
        else:
            assert escape(source.citation(4, req.id)) in html


def test_short_citations_name_the_requirements_own_operation_first() -> None:
    section = sources().get("contract.md §3")
    assert isinstance(section, ContractSection)
    spec = next(o for o in section.origins if o.kind == "spec")
    assert spec.describe(1, "US-CREATE-UNKNOWN-ITEM-404").endswith(
        "operationId create: POST /api/content/library/item/update-session; and 43 more"
    )
    assert "operationId keep_alive: POST /api/content/library/item/download-session" in (
        spec.describe(1, "DS-KEEPALIVE-EXTENDS")
    )
    # in full, every operation is named
    assert "and " not in spec.describe().rsplit(";", 1)[-1]
