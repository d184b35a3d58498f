"""Wall time of the default run against the bundled mock.

Usage: python bench/suite_time.py [--runs N] [-- extra `vcenter-conformance run` args]

Runs ``vcenter-conformance run`` (bundled mock, default settings) N times in
fresh processes, as a user would, and prints each wall time, its CPU time (the
run's process and its workers, if any, with the mock inside it) and the median,
with the machine's load averages before and after (wall time swings with them).
Reports go to a temporary directory.

The default run judges session expiry: it makes a session before pytest starts
and judges it last, 1.5 s after the bundled mock's timeout (6 s,
``BUNDLED_MOCK_SESSION_TIMEOUT``) has passed, so no default run is shorter than
that plus the run's start and end (about 9 s). The first run after installing
computes Hypothesis' Unicode tables (about 3 CPU seconds) into the per-user cache
(``~/.cache/vcenter-conformance/hypothesis``); later runs read them.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("extra", nargs="*")
    args = parser.parse_args()
    times = []
    print(f"load average {load_average()} (1, 5, 15 min)")
    with tempfile.TemporaryDirectory() as reports:
        for n in range(1, args.runs + 1):
            cpu = children_cpu()
            started = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-m", "conformance", "run", "--reports-dir", reports, *args.extra],
                capture_output=True,
                text=True,
                check=False,
            )
            elapsed = time.perf_counter() - started
            times.append(elapsed)
            print(
                f"run {n}: {elapsed:6.2f} s  exit {proc.returncode}  "
                f"{children_cpu() - cpu:5.1f} CPU-s"
            )
            if proc.returncode != 0:
                print(proc.stdout[-2000:], proc.stderr[-2000:], sep="\n")
                return 1
    print(f"load average {load_average()} (1, 5, 15 min)")
    print(
        f"median: {statistics.median(times):.2f} s over {len(times)} runs "
        f"(min {min(times):.2f} s, max {max(times):.2f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
