"""Safe against a real vCenter: foreign objects untouched, nothing left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from suite_runner import NO_EXPIRY, PASSWORD, PASSWORD_VAR, USER, run_suite

from conformance.mock import MockServer, MockSettings

LIB = "/api/content/local-library"
ITEM = "/api/content/library/item"
US = "/api/content/library/item/update-session"
DS = "/api/content/library/item/download-session"


class Foreign:
    """Objects an administrator already has on the vCenter, which the suite must not touch."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.http = requests.Session()
        token = self.http.post(url + "/api/session", auth=(USER, PASSWORD)).json()
        self.http.headers["vmware-api-session-id"] = token
        spec = {
            "name": "production-isos",
            "storage_backings": [{"type": "DATASTORE", "datastore_id": "datastore-101"}],
        }
        self.library = self._create(LIB, spec)
        self.items = [
            self._create(ITEM, {"library_id": self.library, "name": f"golden-{n}"})
            for n in (1, 2, 3)
        ]
        self.active = self._create(US, {"library_item_id": self.items[0]})
        done = self._create(US, {"library_item_id": self.items[1]})
        assert self.http.post(f"{url}{US}/{done}?action=complete").status_code == 204
        self.done = done
        self.download = self._create(DS, {"library_item_id": self.items[2]})

    def _create(self, path: str, body: dict[str, Any]) -> str:
        response = self.http.post(self.url + path, json=body)
        assert response.status_code == 201, response.text
        return str(response.json())

    def snapshot(self) -> dict[str, str]:
        paths = [f"{LIB}/{self.library}", f"{ITEM}?library_id={self.library}"]
        paths += [f"{ITEM}/{i}" for i in self.items]
        paths += [f"{US}/{self.active}", f"{US}/{self.done}", f"{DS}/{self.download}"]
        paths += [f"{US}?library_item_id={i}" for i in self.items]
        return {p: f"{r.status_code} {r.text}" for p in paths if (r := self.http.get(self.url + p))}


@pytest.fixture
def mock_server() -> Iterator[MockServer]:
    with MockServer(MockSettings(user=USER, password=PASSWORD)) as server:
        yield server


def start_run_midway(mock_server: MockServer, reports: Path, run_id: str) -> subprocess.Popen[str]:
    """Start a run and return once it has sessions of its own on the mock (2 are foreign)."""
    command = [
        sys.executable,
        "-m",
        "conformance",
        "run",
        "--target",
        mock_server.url,
        "--user",
        USER,
        "--password-env",
        PASSWORD_VAR,
        "--reports-dir",
        str(reports),
        "--run-id",
        run_id,
    ]
    proc = subprocess.Popen(
        command,
        env={**os.environ, PASSWORD_VAR: PASSWORD},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while len(mock_server.backend.dump()["update_sessions"]) < 6:
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            out, err = proc.communicate()
            raise AssertionError(f"the run ended or stalled before it was midway:\n{out}\n{err}")
        time.sleep(0.02)
    return proc


@pytest.mark.slow
def test_runs_leave_foreign_objects_byte_identical(tmp_path: Path, mock_server: MockServer) -> None:
    foreign = Foreign(mock_server.url)
    before = foreign.snapshot()
    assert all(v.startswith("200 ") for v in before.values()), before

    passing = run_suite(tmp_path, *NO_EXPIRY, target=mock_server.url, run_id="clean")
    assert passing.returncode == 0, passing.explain()
    assert foreign.snapshot() == before

    # A run that fails midway (many requirements broken at once) must not touch them either.
    mock_server.backend.set_flaws({"non-active-ops-allowed"})
    failing = run_suite(tmp_path, *NO_EXPIRY, target=mock_server.url, run_id="failing")
    assert failing.returncode == 1, failing.explain()
    mock_server.backend.set_flaws(())
    assert foreign.snapshot() == before
    # ... and the runs cleaned up after themselves.
    state = mock_server.backend.dump()
    assert [lib["name"] for lib in state["libraries"]] == ["production-isos"]
    assert {s["id"] for s in state["update_sessions"]} == {foreign.active, foreign.done}


@pytest.mark.slow
def test_a_killed_run_is_swept_by_cleanup(tmp_path: Path, mock_server: MockServer) -> None:
    foreign = Foreign(mock_server.url)
    before = foreign.snapshot()
    proc = start_run_midway(mock_server, tmp_path, "killed")
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=10)
    left = mock_server.backend.dump()
    assert any(lib["name"].startswith("vcc-killed-lib-") for lib in left["libraries"])

    sweep = subprocess.run(
        [
            sys.executable,
            "-m",
            "conformance",
            "cleanup",
            "--target",
            mock_server.url,
            "--user",
            USER,
            "--password-env",
            PASSWORD_VAR,
        ],
        env={**os.environ, PASSWORD_VAR: PASSWORD},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert sweep.returncode == 0, sweep.stderr
    assert "vcc-killed-lib-" in sweep.stdout
    state = mock_server.backend.dump()
    assert [lib["name"] for lib in state["libraries"]] == ["production-isos"]
    assert {i["id"] for i in state["items"]} == set(foreign.items)
    assert {s["id"] for s in state["update_sessions"]} == {foreign.active, foreign.done}
    assert {s["id"] for s in state["download_sessions"]} == {foreign.download}
    assert foreign.snapshot() == before


@pytest.mark.slow
def test_ctrl_c_midway_still_cleans_up(tmp_path: Path, mock_server: MockServer) -> None:
    foreign = Foreign(mock_server.url)
    before = foreign.snapshot()
    proc = start_run_midway(mock_server, tmp_path, "interrupted")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3, (proc.returncode, out[-2000:], err[-2000:])
    state = mock_server.backend.dump()
    assert [lib["name"] for lib in state["libraries"]] == ["production-isos"]
    assert {s["id"] for s in state["update_sessions"]} == {foreign.active, foreign.done}
    assert foreign.snapshot() == before
