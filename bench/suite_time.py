"""Wall time of the default run against the bundled mock.

Usage: python bench/suite_time.py [--runs N] [-- extra `vcenter-conformance run` args]

Runs ``vcenter-conformance run`` (bundled mock, default settings) N times in
fresh processes, as a user would, and prints each wall time and the median.
Reports go to a temporary directory.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("extra", nargs="*")
    args = parser.parse_args()
    times = []
    with tempfile.TemporaryDirectory() as reports:
        for n in range(1, args.runs + 1):
            started = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-m", "conformance", "run", "--reports-dir", reports, *args.extra],
                capture_output=True,
                text=True,
                check=False,
            )
            elapsed = time.perf_counter() - started
            times.append(elapsed)
            print(f"run {n}: {elapsed:6.2f} s  exit {proc.returncode}")
            if proc.returncode != 0:
                print(proc.stdout[-2000:], proc.stderr[-2000:], sep="\n")
                return 1
    print(
        f"median: {statistics.median(times):.2f} s over {len(times)} runs "
        f"(min {min(times):.2f} s, max {max(times):.2f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
