"""Wall time of ``run -n 1`` and ``run -n N`` against a mock with added latency.

Usage: python bench/parallel.py [--delay 0.05] [--workers 4] [-k EXPR] [--property-tests]

Starts the mock in this process with ``delay_seconds`` added to every /api
request (as ``mock --fault-spec delay_seconds=0.05`` would: a remote vCenter's
round trip), runs ``vcenter-conformance run --target <it>`` in a fresh process
with one worker and with N, and prints both wall times, the speed-up and
whether the two runs gave every requirement the same status. By default the
Schemathesis tests and the expiry test (which would wait for the mock's
five-minute sessions) are left out: ``--property-tests`` includes the former.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from conformance.mock import MockServer, MockSettings, parse_fault_spec

USER = "administrator@vsphere.local"
PASSWORD_VAR = "VCC_BENCH_PASSWORD"
PASSWORD = "bench-only-password"


def run(url: str, reports: Path, workers: int, extra: list[str]) -> tuple[float, int, Path]:
    run_id = f"n{workers}"
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.05, help="seconds added per request")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("-k", default="not expires_without_activity")
    parser.add_argument("--property-tests", action="store_true")
    args = parser.parse_args()
    extra = ["-k", args.k] + ([] if args.property_tests else ["--no-property-tests"])
    faults = parse_fault_spec(f"delay_seconds={args.delay}")
    settings = MockSettings(user=USER, password=PASSWORD, faults=faults)
    with tempfile.TemporaryDirectory() as tmp, MockServer(settings) as server:
        reports = Path(tmp)
        print(f"mock at {server.url}, {args.delay * 1000:g} ms added per request; run {extra}")
        serial, serial_code, serial_dir = run(server.url, reports, 1, extra)
        print(
            f"-n 1: {serial:7.2f} s  exit {serial_code}  "
            f"({test_seconds(serial_dir):.1f} s in tests)"
        )
        parallel, parallel_code, parallel_dir = run(server.url, reports, args.workers, extra)
        print(
            f"-n {args.workers}: {parallel:7.2f} s  exit {parallel_code}  "
            f"({test_seconds(parallel_dir):.1f} s in tests)"
        )
        same = statuses(serial_dir) == statuses(parallel_dir)
    print(f"speed-up: {serial / parallel:.2f}x; same status for every requirement: {same}")
    return 0 if same and serial_code == parallel_code else 1


if __name__ == "__main__":
    sys.exit(main())
