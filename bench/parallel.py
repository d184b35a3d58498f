"""Wall time of ``run -n 1`` and ``run -n N`` against a mock with added latency.

Usage: python bench/parallel.py [--delay 0.05] [--workers 4] [-k EXPR] [--property-tests]
                               [--dist MODE] [--startup-only] [--no-prefork]

Starts the mock in this process with ``delay_seconds`` added to every /api
request (as ``mock --fault-spec delay_seconds=0.05`` would: a remote vCenter's
round trip), runs ``vcenter-conformance run --target <it>`` in a fresh process
with one worker and with N, and prints both wall times, the speed-up and
whether the two runs gave every requirement the same status. By default the
Schemathesis tests and the expiry test (which would wait for the mock's
five-minute sessions) are left out: ``--property-tests`` includes the former.

Wall time swings with the machine's load (printed, from ``uptime``); the CPU
seconds a worker costs to start are steadier: the bench also runs one quick test
with one worker and with N, and prints the difference in CPU time (this process's
children: the run and its workers; the mock runs here) divided by N.
``--dist MODE`` passes pytest-xdist's scheduling mode to the parallel runs;
``--no-prefork`` starts their workers from scratch (on Linux they are forked from a
preloaded process: suites/_prefork.py).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from conformance.mock import MockServer, MockSettings, parse_fault_spec

USER = "administrator@vsphere.local"
PASSWORD_VAR = "VCC_BENCH_PASSWORD"
PASSWORD = "bench-only-password"


#: one quick test: a run of it is mostly the run's start (and, with -n, its workers')
QUICK_TEST = "logout"


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def run(
    url: str, reports: Path, workers: int, extra: list[str], run_id: str = ""
) -> tuple[float, int, Path]:
    run_id = run_id or f"n{workers}"
    command = [
        sys.executable,
        "-m",
        "conformance",
        "run",
        "--target",
        url,
        "--user",
        USER,
        "--password-env",
        PASSWORD_VAR,
        "--reports-dir",
        str(reports),
        "--run-id",
        run_id,
        "-n",
        str(workers),
        *extra,
    ]
    started = time.perf_counter()
    proc = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, PASSWORD_VAR: PASSWORD},
    )
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        print(proc.stdout[-2000:], proc.stderr[-2000:], sep="\n")
    return elapsed, proc.returncode, reports / run_id


def test_seconds(run_dir: Path) -> float:
    """The tests' own durations, summed: the work the workers shared."""
    data = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    return float(sum(t["duration_s"] for t in data["tests"]))


def statuses(run_dir: Path) -> dict[str, str]:
    data = json.loads((run_dir / "results.json").read_text(encoding="utf-8"))
    return {r["id"]: r["status"] for r in data["requirements"]}


def timed_run(
    url: str, reports: Path, workers: int, extra: list[str], run_id: str = ""
) -> tuple[float, float, int, Path]:
    """Wall time, CPU time (the run and its workers), exit code, run directory."""
    cpu = children_cpu()
    wall, code, run_dir = run(url, reports, workers, extra, run_id)
    return wall, children_cpu() - cpu, code, run_dir


def worker_start_cpu(url: str, reports: Path, workers: int, extra: list[str]) -> float:
    """CPU seconds one worker costs to start: a quick run with N workers minus one
    without, over N."""
    quick = ["-k", QUICK_TEST, "--no-property-tests", *extra]
    _, serial_cpu, _, _ = timed_run(url, reports, 1, quick, "start-n1")
    _, parallel_cpu, _, _ = timed_run(url, reports, workers, quick, f"start-n{workers}")
    return (parallel_cpu - serial_cpu) / workers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.05, help="seconds added per request")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("-k", default="not expires_without_activity")
    parser.add_argument("--property-tests", action="store_true")
    parser.add_argument("--dist", help="pytest-xdist's --dist for the parallel runs")
    parser.add_argument(
        "--startup-only", action="store_true", help="only the CPU seconds per worker start"
    )
    parser.add_argument("--no-prefork", action="store_true", help="start each worker from scratch")
    args = parser.parse_args()
    extra = ["-k", args.k] + ([] if args.property_tests else ["--no-property-tests"])
    dist = (["--no-prefork"] if args.no_prefork else []) + (
        ["--", "--dist", args.dist] if args.dist else []
    )
    faults = parse_fault_spec(f"delay_seconds={args.delay}")
    settings = MockSettings(user=USER, password=PASSWORD, faults=faults)
    with tempfile.TemporaryDirectory() as tmp, MockServer(settings) as server:
        reports = Path(tmp)
        print(f"load average {load_average()} (1, 5, 15 min)")
        start_cpu = worker_start_cpu(server.url, reports, args.workers, dist)
        print(f"CPU seconds per worker start: {start_cpu:.2f} (-n {args.workers}, one test)")
        if args.startup_only:
            return 0
        print(f"mock at {server.url}, {args.delay * 1000:g} ms added per request; run {extra}")
        serial, serial_cpu, serial_code, serial_dir = timed_run(server.url, reports, 1, extra)
        print(
            f"-n 1: {serial:7.2f} s  exit {serial_code}  "
            f"({test_seconds(serial_dir):.1f} s in tests, {serial_cpu:.1f} CPU-s)"
        )
        parallel, parallel_cpu, parallel_code, parallel_dir = timed_run(
            server.url, reports, args.workers, extra + dist
        )
        print(
            f"-n {args.workers}: {parallel:7.2f} s  exit {parallel_code}  "
            f"({test_seconds(parallel_dir):.1f} s in tests, {parallel_cpu:.1f} CPU-s)"
        )
        same = statuses(serial_dir) == statuses(parallel_dir)
        print(f"load average {load_average()} (1, 5, 15 min)")
    print(f"speed-up: {serial / parallel:.2f}x; same status for every requirement: {same}")
    return 0 if same and serial_code == parallel_code else 1


if __name__ == "__main__":
    sys.exit(main())
