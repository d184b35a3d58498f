"""Extract a compact summary of VMware's published /api spec, for the drift check.

Usage: python scripts/published_summary.py [SPEC_DIR] [--version 8.0.2]

SPEC_DIR holds VMware's published swagger 2.0 specs (content-<v>.json,
session-<v>.json), e.g. ../shared/reference/published-openapi. The summary
(operations in scope -> success statuses, declared error statuses) goes to
schemas/drift/published-<v>.json, which is committed: the drift test
(tests/test_drift.py) compares our fragments with it and needs no copy of the specs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from conformance.drift import SCOPE, summarize


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "spec_dir", type=Path, nargs="?", default=Path("../shared/reference/published-openapi")
    )
    parser.add_argument("--version", default="8.0.2")
    args = parser.parse_args()
    names = [f"content-{args.version}.json", f"session-{args.version}.json"]
    missing = [n for n in names if not (args.spec_dir / n).is_file()]
    if missing:
        print(f"not found in {args.spec_dir}: {', '.join(missing)}", file=sys.stderr)
        return 2
    operations = summarize([json.loads((args.spec_dir / n).read_text()) for n in names])
    lines = [f"  {json.dumps(op)}: {json.dumps(statuses)}" for op, statuses in operations.items()]
    text = (
        "{\n"
        f' "source": {json.dumps("VMware published /api specs " + ", ".join(names))},\n'
        f' "version": {json.dumps(args.version)},\n'
        f' "scope": {json.dumps(list(SCOPE))},\n'
        ' "operations": {\n' + ",\n".join(lines) + "\n }\n}\n"
    )
    out = (
        Path(__file__).resolve().parents[1] / "schemas" / "drift" / f"published-{args.version}.json"
    )
    out.write_text(text)
    print(f"wrote {out}: {len(operations)} operations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
