"""The suite passes every legitimate variant: the mirror of the flaw proofs.

A flaw breaks one documented rule and the suite must fail exactly that requirement
(tests/test_self_validation.py); a variant is a choice the sources leave open and the
suite must fail nothing (conformance/mock/variants.py). Each case runs the suite as a
user would against a mock with the variant(s) on. A variant that departs from a SHOULD
on purpose may warn on that SHOULD, and only there.

The pairwise mixes run by default; one run per variant is marked ``proof`` and runs in
CI's proof step (``pytest -m proof``), to keep the default test run short.
"""

from __future__ import annotations

import functools
import itertools
from pathlib import Path

import pytest
from suite_runner import NO_EXPIRY, PASSWORD, USER, SuiteRun, in_parallel, run_suite

from conformance.catalog import catalog, variants
from conformance.mock import VARIANTS, MockServer, MockSettings

#: Variants that leave a SHOULD on purpose, and the SHOULDs they may warn on (the catalog's
#: variants.yaml says so, with the words that allow it).
WARNS: dict[str, set[str]] = {v.name: set(v.warns) for v in variants() if v.warns}

#: Choices that exclude each other: a server makes one of them.
EXCLUSIVE: list[tuple[str, str]] = [
    ("unknown-fields-refused", "unknown-fields-unexpected-input"),
    ("datetime-offset", "datetime-microseconds"),
    ("checksum-mismatch-at-upload", "checksum-mismatch-at-complete"),
]


def pairwise_mixes() -> list[frozenset[str]]:
    """Every variant on at once, over a pairwise covering of the exclusive choices: each
    two variants that can coexist are on together in at least one mix."""
    free = set(VARIANTS) - {v for pair in EXCLUSIVE for v in pair}
    rows = [(0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 0)]  # covers every pair of 3 choices
    assert len(EXCLUSIVE) == 3
    return [
        frozenset(free | {pair[pick] for pair, pick in zip(EXCLUSIVE, row, strict=True)})
        for row in rows
    ]


MIXES = {f"mix-{n}": mix for n, mix in enumerate(pairwise_mixes(), 1)}
SINGLES = {name: frozenset({name}) for name in sorted(VARIANTS)}


def _run(name: str, variants: frozenset[str], reports: Path) -> SuiteRun:
    settings = MockSettings(user=USER, password=PASSWORD, variants=variants)
    with MockServer(settings) as server:
        # Expiry itself is judged in test_self_validation and test_cli; here it would
        # only wait out vCenter's five minutes.
        return run_suite(
            reports,
            "--no-property-tests",
            *NO_EXPIRY,
            target=server.url,
            run_id=f"variant-{name}",
        )


def _runs(cases: dict[str, frozenset[str]], reports: Path) -> dict[str, SuiteRun]:
    return in_parallel(
        {name: functools.partial(_run, name, variants, reports) for name, variants in cases.items()}
    )


@pytest.fixture(scope="module")
def mix_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SuiteRun]:
    return _runs(MIXES, tmp_path_factory.mktemp("variant-mixes"))


@pytest.fixture(scope="module")
def single_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SuiteRun]:
    return _runs(SINGLES, tmp_path_factory.mktemp("variant-singles"))


def assert_nothing_fails(run: SuiteRun, variants: frozenset[str]) -> None:
    may_warn = set().union(*(WARNS.get(v, set()) for v in variants))
    levels = {r.id: r.level for r in catalog()}
    for requirement, status in run.statuses().items():
        if requirement in may_warn:
            assert status in {"pass", "warn"}, f"{requirement}: {status}\n{run.explain()}"
            assert levels[requirement] == "SHOULD", requirement
        else:
            assert status in {"pass", "not_run", "skip"}, (
                f"{requirement} is {status} against a legitimate variant\n{run.explain()}"
            )
    assert run.returncode == 0, run.explain()


def test_the_mixes_cover_every_variant_and_every_compatible_pair() -> None:
    mixes = list(MIXES.values())
    assert set().union(*mixes) == set(VARIANTS)
    exclusive = {frozenset(pair) for pair in EXCLUSIVE}
    for a, b in itertools.combinations(sorted(VARIANTS), 2):
        if frozenset((a, b)) not in exclusive:
            assert any(a in m and b in m for m in mixes), (a, b)
    for mix in mixes:
        assert all(not set(pair) <= mix for pair in EXCLUSIVE)


def test_the_catalog_describes_exactly_the_mock_variants() -> None:
    described = [v.name for v in variants()]
    assert sorted(described) == sorted(VARIANTS) and len(described) == len(set(described))
    ids = set(catalog().ids)
    for variant in variants():
        assert variant.room and variant.requirements
        assert set(variant.requirements) <= ids, variant.name
        assert set(variant.warns) <= set(variant.requirements), variant.name


def test_every_warning_variant_names_a_should() -> None:
    levels = {r.id: r.level for r in catalog()}
    for variant, requirements in WARNS.items():
        assert variant in VARIANTS
        assert all(levels[r] == "SHOULD" for r in requirements)


@pytest.mark.slow
@pytest.mark.parametrize("mix", list(MIXES))
def test_suite_passes_a_pairwise_mix_of_variants(mix: str, mix_runs: dict[str, SuiteRun]) -> None:
    assert_nothing_fails(mix_runs[mix], MIXES[mix])


@pytest.mark.slow
@pytest.mark.proof
@pytest.mark.parametrize("variant", list(SINGLES))
def test_suite_passes_each_variant(variant: str, single_runs: dict[str, SuiteRun]) -> None:
    assert_nothing_fails(single_runs[variant], SINGLES[variant])
