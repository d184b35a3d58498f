"""Run the conformance suite as a user would: ``python -m conformance run`` in a subprocess.

Shared by the project's tests that judge the suite itself (self-validation,
exit codes, reports). Not a test module.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from conformance.client import VcenterApi
from conformance.config import Config
from conformance.sandbox import connect

PASSWORD_VAR = "VCC_TEST_PASSWORD"
USER = "administrator@vsphere.local"
PASSWORD = "S3cret-for-self-validation!"
#: Deselects the expiry test: against a mock with vCenter's five-minute sessions
#: it would wait for them (the bundled mock's short sessions judge it in seconds).
#: A deselected requirement is "not selected", which leaves the verdict PASS.
NO_EXPIRY = ("-k", "not expires_without_activity")
#: Suite runs at once in a test process that runs many (each against its own mock): a run
#: waits on its mock much of the time, so one more than this process's share of the cores.
RUNS_AT_ONCE = max(
    2, (os.cpu_count() or 1) // int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")) + 1
)

_T = TypeVar("_T")


@dataclass
class SuiteRun:
    returncode: int
    stdout: str
    stderr: str
    run_dir: Path

    @property
    def results(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.run_dir / "results.json").read_text())
        return data

    def requirement_status(self, requirement_id: str) -> str:
        for req in self.results["requirements"]:
            if req["id"] == requirement_id:
                return str(req["status"])
        raise KeyError(requirement_id)

    def statuses(self) -> dict[str, str]:
        return {r["id"]: r["status"] for r in self.results["requirements"]}

    @property
    def junit_counts(self) -> dict[str, int]:
        """tests, failures, errors and skipped, as junit.xml counts them."""
        import xml.etree.ElementTree as ET

        suite = ET.parse(self.run_dir / "junit.xml").getroot().find("testsuite")
        assert suite is not None
        return {k: int(suite.get(k, "0")) for k in ("tests", "failures", "errors", "skipped")}

    @property
    def result_counts(self) -> dict[str, int]:
        """The same counts, from results.json's test statuses."""
        tests = self.results["summary"]["tests"]
        return {
            "tests": len(self.results["tests"]),
            "failures": tests["fail"],
            "errors": tests["error"],
            "skipped": tests["skip"],
        }

    def explain(self) -> str:
        return f"exit {self.returncode}\n{self.stdout[-3000:]}\n{self.stderr[-3000:]}"


def run_suite(
    reports: Path,
    *args: str,
    target: str | None = None,
    password: str | None = PASSWORD,
    run_id: str = "run",
    timeout: float = 300,
    env: dict[str, str] | None = None,
) -> SuiteRun:
    command = [sys.executable, "-m", "conformance", "run", "--reports-dir", str(reports)]
    command += ["--run-id", run_id]
    if target is not None:
        command += ["--target", target, "--user", USER]
        if password is not None:
            command += ["--password-env", PASSWORD_VAR]
    command += list(args)
    full_env = {**user_environment(), **(env or {})}
    if password is not None:
        full_env[PASSWORD_VAR] = password
    proc = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, env=full_env, check=False
    )
    return SuiteRun(proc.returncode, proc.stdout, proc.stderr, reports / run_id)


def user_environment() -> dict[str, str]:
    """This process's environment as a user's shell would have it: without what pytest-xdist
    sets in its workers (the suite would take itself for a worker of a parallel run)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST_")}


def in_parallel(jobs: Mapping[str, Callable[[], _T]]) -> dict[str, _T]:
    """Every job's result by name, ``RUNS_AT_ONCE`` at a time."""
    with ThreadPoolExecutor(max_workers=RUNS_AT_ONCE) as pool:
        futures = {name: pool.submit(job) for name, job in jobs.items()}
        return {name: future.result() for name, future in futures.items()}


def library_names(settings: Config) -> list[str]:
    """The names of every library on the target, read with a login of its own."""
    client = connect(settings)
    client.login()
    api = VcenterApi(client)
    names = [str(api.libraries.get(str(i)).json["name"]) for i in api.libraries.list().json]
    client.logout()
    client.close()
    return names
