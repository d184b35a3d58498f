"""Print the proof-at-scale table: requirements whose check is shown to fail.

Usage: python scripts/proof_table.py [--markdown]

A requirement counts as proven when a self-validation case (tests/
test_self_validation.py, or the property-test cases in tests/
test_property_suite.py) turns on a mock flaw that breaks its rule and the
suite is asserted to fail exactly that requirement. The project's test run is
what makes the claim true; this script only counts the cases.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1] / "tests"


def proven_requirements() -> dict[str, list[str]]:
    """requirement id -> the flaws that prove its check fails."""
    sys.path.insert(0, str(TESTS))
    import test_self_validation

    proofs: dict[str, list[str]] = {}
    cases = list(test_self_validation.CASES.items())
    import test_property_suite

    cases += [(flaw, reqs) for flaw, (_, reqs) in test_property_suite.CASES.items()]
    for flaw, requirements in cases:
        for req in requirements:
            proofs.setdefault(req, []).append(flaw)
    return proofs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    from conformance.catalog import catalog

    proofs = proven_requirements()
    ids = catalog().ids
    proven = [r for r in ids if r in proofs]
    if args.markdown:
        print("| requirements with a proven-failing check | all requirements |\n| --- | --- |")
        print(f"| {len(proven)} | {len(ids)} |")
    else:
        for req in ids:
            print(f"{req:34} {', '.join(proofs.get(req, [])) or '-- not proven --'}")
        print(f"\n{len(proven)}/{len(ids)} requirements have a proven-failing check")
    return 0


if __name__ == "__main__":
    sys.exit(main())
