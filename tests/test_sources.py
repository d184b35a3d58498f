"""The sources registry: every requirement's source traces to a citation and shipped text."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from dataclasses import replace
from html import escape
from pathlib import Path

import pytest

from conformance.catalog import (
    SEED_PAGES,
    URL_NOT_CONFIRMED,
    ContractSection,
    Excerpt,
    Requirement,
    SeedPage,
    Source,
    UnknownSource,
    catalog,
    source_refs,
    sources,
)

REPO = Path(__file__).resolve().parent.parent


def normalized(text: str) -> str:
    """Whitespace collapsed; Markdown emphasis, code marks and table-cell escapes (``\\|``)
    dropped, as contract.md renders; curly apostrophes made straight."""
    text = text.replace("**", "").replace("`", "").replace("\\|", "|").replace("\u2019", "'")
    return " ".join(text.split())


#: A JSON string inside a quotation (a key after ``{`` or ``,``, a value after ``:``): its
#: quote marks are not the quotation's own. Single words only, so prose quotations in a
#: list (``"a b", "c d"``) are still checked.
_JSON_STRING = re.compile(r'(?<=[{\[,:])(\s?)"([\w.-]*)"')
#: A quotation: opens at the start, after whitespace or a bracket; closes before the end,
#: whitespace, or punctuation that ends at whitespace.
_QUOTATION = re.compile(r'(?:^|(?<=[\s(\[]))"(.+?)"(?=$|\s|[.,;:)\]]+(?:\s|$))')


def _json_masked(text: str) -> str:
    return _JSON_STRING.sub(lambda m: f"{m[1]}\0{m[2]}\0", text)


def quotes(text: str) -> list[str]:
    """The double-quoted passages (8 characters or more) a requirement's text quotes."""
    return [q.replace("\0", '"') for q in _QUOTATION.findall(_json_masked(text)) if len(q) >= 8]


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
    """The passages the requirement's text and basis quote that no source it cites holds."""
    excerpts = [s.excerpt() for s in requirement.cited_sources()]
    return [
        quote
        for words in (requirement.text, requirement.basis)
        for quote in quotes(words)
        if not quote_found(quote, excerpts)
    ]


def test_source_refs_parse_every_form_the_catalog_uses() -> None:
    assert source_refs("contract.md §3, §10.7; seeds/004_710c12ed700c468e.txt") == [
        "contract.md §3",
        "contract.md §10.7",
        "seeds/004_710c12ed700c468e.txt",
    ]
    assert source_refs("contract.md §3 (notes), §10.14") == ["contract.md §3", "contract.md §10.14"]
    assert source_refs("contract.md §5; spec/content-8.0.2.txt; sdk/item_client-9.1.1.0.txt") == [
        "contract.md §5",
        "spec/content-8.0.2.txt",
        "sdk/item_client-9.1.1.0.txt",
    ]
    with pytest.raises(UnknownSource):
        source_refs("RFC 3339 §5.6")
    with pytest.raises(UnknownSource):
        sources().resolve("contract.md §42")
    with pytest.raises(UnknownSource):
        sources().resolve("seeds/999_0000000000000000.txt")
    with pytest.raises(UnknownSource):
        sources().resolve("spec/content-9.9.9.txt")


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


def test_excerpts_render_what_the_registry_says_they_hold() -> None:
    """Each spec excerpt renders every operation and definition its entry names (and the
    spec file is the published one the contract's sources name); each SDK excerpt says
    which package, version and module its docstrings come from."""
    excerpts = sources().excerpts
    assert {"spec/content-8.0.2.txt", "spec/session-8.0.2.txt"} <= set(excerpts)
    assert "sdk/item_client-9.1.1.0.txt" in excerpts
    contract_urls = {
        o.data["url"]
        for section in sources().contract_sections.values()
        for o in section.origins
        if o.kind == "spec"
    }
    for excerpt in excerpts.values():
        text = excerpt.excerpt()
        data = excerpt.origin.data
        if excerpt.origin.kind == "spec":
            assert data["version"] == "8.0.2" and data["url"] in contract_urls
            headings = {line[3:] for line in text.splitlines() if line.startswith("## ")}
            assert {f"operationId {op}" for op in data["operations"]} <= headings
            assert {f"definition {name}" for name in data["definitions"]} <= headings
        else:
            assert excerpt.origin.kind == "sdk" and data["version"] == "9.1.1.0"
            first = text.splitlines()[0]
            assert data["package"] in first and data["version"] in first
            assert all(module.split(" ")[0] in first for module in data["modules"])


def test_every_quote_of_every_requirement_appears_in_a_source_it_cites() -> None:
    """A Fail must be defensible word for word: every passage a requirement's text or basis
    puts in double quotes is in the shipped text of a seed page, contract section or spec
    or SDK excerpt that its ``source`` names."""
    unmatched = {req.id: found for req in catalog() if (found := unmatched_quotes(req))}
    assert unmatched == {}


def test_quote_check_fails_a_paraphrase_and_a_source_left_uncited() -> None:
    login = catalog().get("AUTH-LOGIN-201")
    assert unmatched_quotes(login) == []
    paraphrased = replace(login, basis='"201 Newly created token for further requests." so MUST.')
    assert unmatched_quotes(paraphrased) == ["201 Newly created token for further requests."]
    # the words are in the spec excerpt, which the requirement must cite
    uncited = replace(login, source=login.source.replace("; spec/session-8.0.2.txt", ""))
    assert unmatched_quotes(uncited) == [
        "201 Newly created session token to be used for authenticating further requests."
    ]


def test_every_quotation_mark_of_the_catalog_belongs_to_a_checked_quotation() -> None:
    """The quote check sees every quotation: no quotation mark is left over once the
    quotations (and the JSON strings inside them) are taken out."""
    for req in catalog():
        for words in (req.text, req.basis):
            assert '"' not in _QUOTATION.sub("", _json_masked(words)), (req.id, words)


def test_quotes_are_taken_whole_around_json_and_short_ones_are_skipped() -> None:
    text = (
        'Login: "No or bad credentials give 401 {"error_type":"UNAUTHENTICATED",...}." '
        'Rows: "a | - | {"client_error_message": string} | - | 204"; "204" and '
        '"x y z", "the second one" (and "in brackets").'
    )
    assert quotes(text) == [
        'No or bad credentials give 401 {"error_type":"UNAUTHENTICATED",...}.',
        'a | - | {"client_error_message": string} | - | 204',
        "the second one",
        "in brackets",
    ]


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
    # a table row is quoted with every cell; Markdown's escaped | reads as |
    row = [sources().get("contract.md §3").excerpt()]
    full_row = "updatesession.file.list | GET | …/update-session/{update_session_id}/file"
    assert quote_found(f"{full_row} | - | - | - | 200 [File.Info]", row)
    assert not quote_found("updatesession.file.list | GET | …/file | 200 [File.Info]", row)
    assert quote_found(
        "state (ACTIVE|CANCELED|ERROR, always)", [sources().get("contract.md §5").excerpt()]
    )
    # a response is quoted with its status, as the spec excerpt renders it
    spec = [sources().get("spec/session-8.0.2.txt").excerpt()]
    assert quote_found(
        "201 Newly created session token to be used for authenticating further requests.", spec
    )
    assert not quote_found(
        "201 Newly created session token for authenticating further requests.", spec
    )
    assert not quote_found(
        "200 Newly created session token to be used for authenticating further requests.", spec
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
    every: list[Source] = [
        *registry.seed_pages.values(),
        *registry.contract_sections.values(),
        *registry.excerpts.values(),
    ]
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
            elif isinstance(source, Excerpt):
                assert source.citation(4, req.id) in md_entry, (req.id, source.ref)
                assert source.excerpt_path in md_entry, (req.id, source.ref)
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
    assert "`spec/content-8.0.2.txt`" in markdown and "`sdk/item_client-9.1.1.0.txt`" in markdown


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
