"""Time to verdict: the suite against the mock with each flaw, as a ratio of the passing run.

Usage: python bench/verdict_time.py [--jobs N] [--baseline-runs N] [--flaw NAME ...]
                                    [--poll-timeout S] [--property-tests]
                                    [-- extra `vcenter-conformance run` args]

Each run is a fresh process that starts the mock (in a thread, as ``run`` does with the
bundled mock) with no flaw or with one flaw from ``FLAWS``, and runs the suite against
it as a user would (``vcenter-conformance run --target ... --no-property-tests`` unless
``--property-tests``). The mock settles every change at once, so polls are given
``--poll-timeout`` 2 s (a real vCenter gets the default 30 s): a flaw that never settles
costs that once per shared precondition. ``--jobs`` runs go at once; the passing run is repeated
``--baseline-runs`` times, spread over the queue so it shares the machine's load with
the flawed runs, and its median is the reference. The script prints every flawed run's
wall time as a ratio of it, then the median and the slowest ratio; the target is that no
flawed run takes more than twice the passing run (exit 1 otherwise).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

PASSWORD_VAR = "VCC_BENCH_PASSWORD"
PASSWORD = "bench-only-password"
USER = "administrator@vsphere.local"
TARGET_RATIO = 2.0
#: a run that has not ended after this long is stopped and shown as such
RUN_GUARD_SECONDS = 1800.0


@dataclass(frozen=True)
class Timed:
    flaw: str | None
    seconds: float
    exit_code: int
    tests: dict[str, int]


def serve_and_run(flaw: str | None, run_args: list[str]) -> int:
    """In a worker process: the mock (with ``flaw``) in a thread, the suite against it."""
    from conformance.cli import main
    from conformance.mock import MockServer, MockSettings

    settings = MockSettings(user=USER, password=PASSWORD, flaws=frozenset({flaw} if flaw else ()))
    os.environ[PASSWORD_VAR] = PASSWORD
    with MockServer(settings) as server:
        args = ["run", "--target", server.url, "--user", USER, "--password-env", PASSWORD_VAR]
        return main([*args, *run_args])


def timed_run(flaw: str | None, run_id: str, reports: Path, run_args: list[str]) -> Timed:
    command = [sys.executable, __file__, "--worker", flaw or "", "--"]
    command += ["--reports-dir", str(reports), "--run-id", run_id, *run_args]
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            command, capture_output=True, text=True, timeout=RUN_GUARD_SECONDS, check=False
        )
        code = proc.returncode
    except subprocess.TimeoutExpired:
        code = -1
    seconds = time.perf_counter() - started
    tests: dict[str, int] = {}
    results = reports / run_id / "results.json"
    if results.exists():
        for test in json.loads(results.read_text())["tests"]:
            tests[test["status"]] = tests.get(test["status"], 0) + 1
    return Timed(flaw, seconds, code, tests)


def schedule(flaws: list[str], baseline_runs: int) -> list[str | None]:
    """The flaws in order, with the passing run (None) spread evenly among them."""
    queue: list[str | None] = list(flaws)
    step = max(1, len(flaws) // max(1, baseline_runs))
    for n in range(baseline_runs):
        queue.insert(min(len(queue), n * (step + 1)), None)
    return queue


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="runs at once (default 2)")
    parser.add_argument("--baseline-runs", type=int, default=3, help="passing runs (default 3)")
    parser.add_argument("--flaw", action="append", help="only this flaw (repeatable)")
    parser.add_argument(
        "--poll-timeout", type=float, default=2.0, help="the runs' --poll-timeout (default 2)"
    )
    parser.add_argument(
        "--property-tests", action="store_true", help="include the Schemathesis tests"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("extra", nargs="*", help="extra `vcenter-conformance run` arguments")
    args = parser.parse_args()
    if args.worker is not None:
        return serve_and_run(args.worker or None, args.extra)

    from conformance.mock import FLAWS

    unknown = sorted(set(args.flaw or ()) - set(FLAWS))
    if unknown:
        parser.error(f"unknown flaw(s): {', '.join(unknown)}")
    flaws = list(args.flaw or sorted(FLAWS))
    run_args = ["--poll-timeout", f"{args.poll_timeout:g}"]
    run_args += ([] if args.property_tests else ["--no-property-tests"]) + args.extra
    queue = schedule(flaws, args.baseline_runs)
    print(
        f"{len(flaws)} flawed + {args.baseline_runs} passing runs, {args.jobs} at a time; "
        f"run arguments: {' '.join(run_args) or '(none)'}",
        flush=True,
    )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as reports, ThreadPoolExecutor(args.jobs) as pool:
        futures = [
            pool.submit(timed_run, flaw, f"{n:03d}-{flaw or 'passing'}", Path(reports), run_args)
            for n, flaw in enumerate(queue)
        ]
        runs = [future.result() for future in futures]
    total = time.perf_counter() - started

    passing = [r for r in runs if r.flaw is None]
    for run in passing:
        print(f"passing run: {run.seconds:6.2f} s  exit {run.exit_code}  {run.tests}")
    reference = statistics.median(r.seconds for r in passing)
    flawed = sorted((r for r in runs if r.flaw is not None), key=lambda r: r.seconds)
    print(f"reference (median passing run): {reference:.2f} s\n")
    print(f"{'flaw':45} {'seconds':>8} {'ratio':>6}  exit  tests")
    for run in flawed:
        ratio = run.seconds / reference
        mark = "  > target" if ratio > TARGET_RATIO else ""
        print(
            f"{run.flaw:45} {run.seconds:8.2f} {ratio:6.2f}  {run.exit_code:4}  {run.tests}{mark}"
        )
    ratios = [r.seconds / reference for r in flawed]
    slowest = flawed[-1]
    print(
        f"\nmedian ratio {statistics.median(ratios):.2f}; slowest {max(ratios):.2f} "
        f"({slowest.flaw}, {slowest.seconds:.1f} s); target <= {TARGET_RATIO:g}; "
        f"{sum(r > TARGET_RATIO for r in ratios)} of {len(ratios)} over; "
        f"total wall time {total:.0f} s"
    )
    return 0 if max(ratios) <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
