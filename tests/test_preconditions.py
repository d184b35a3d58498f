"""Shared preconditions fail once: the first test that meets the failure waits one poll
timeout and reports it; the later ones that need it are Error at once, naming the
requirement; the poll is bounded by its own budget."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from suite_runner import PASSWORD, USER, SuiteRun, run_suite

from conformance.client import Exchange, UnexpectedResponse
from conformance.config import load_config
from conformance.mock import MockServer, MockSettings
from conformance.suites import _preconditions
from conformance.suites._preconditions import (
    SESSION_DONE,
    UPLOAD_READY,
    Precondition,
    PreconditionFailed,
    poll,
    preconditions,
    start_run,
)

SLOW_THING = Precondition("a thing reaching DONE", "REQ-THING")


def exchange(body: object, status: int = 200) -> Exchange:
    return Exchange(
        method="GET",
        url="http://target.example/api/thing/1",
        request_headers={},
        request_body=None,
        status=status,
        response_headers={"Content-Type": "application/json"},
        response_text=json.dumps(body),
        elapsed_ms=1.0,
    )


class Target:
    """A fetch whose answers are scripted: the last one repeats for ever."""

    def __init__(self, *states: str, status: int = 200) -> None:
        self.states = list(states)
        self.status = status
        self.reads = 0

    def fetch(self) -> Exchange:
        self.reads += 1
        state = self.states[min(self.reads, len(self.states)) - 1]
        return exchange({"state": state}, self.status)


def still_active(body: object) -> bool:
    return isinstance(body, dict) and body.get("state") == "ACTIVE"


@pytest.fixture(autouse=True)
def fresh_run() -> Iterator[None]:
    start_run()
    yield
    start_run()


# -- the poll ---------------------------------------------------------------------------
def test_poll_returns_the_first_settled_answer() -> None:
    target = Target("ACTIVE", "ACTIVE", "DONE")
    got = poll(target.fetch, still_active, 30)
    assert got.json == {"state": "DONE"}
    assert target.reads == 3


def test_poll_returns_a_non_200_answer_at_once() -> None:
    target = Target("ACTIVE", status=404)
    assert poll(target.fetch, still_active, 30).status == 404
    assert target.reads == 1


def test_poll_that_runs_out_returns_the_pending_answer_and_remembers_it() -> None:
    target = Target("ACTIVE")
    got = poll(target.fetch, still_active, 0.2, precondition=SLOW_THING)
    assert got.json == {"state": "ACTIVE"}
    assert target.reads > 1  # it did poll
    assert preconditions().timed_out(SLOW_THING)
    with pytest.raises(PreconditionFailed) as raised:
        preconditions().check(SLOW_THING)
    message = str(raised.value)
    assert message.startswith("precondition failed: a thing reaching DONE (see REQ-THING)")
    assert "still pending after the poll timeout (0.2 s): GET /api/thing/1" in message


def test_a_precondition_that_timed_out_is_not_waited_for_again() -> None:
    poll(Target("ACTIVE").fetch, still_active, 0.1, precondition=SLOW_THING)
    again = Target("ACTIVE")
    # Would poll for an hour; reads once instead, and the caller judges that answer.
    assert poll(again.fetch, still_active, 3600, precondition=SLOW_THING).json == {
        "state": "ACTIVE"
    }
    assert again.reads == 1


def test_a_poll_without_precondition_remembers_nothing() -> None:
    poll(Target("ACTIVE").fetch, still_active, 0.1)
    preconditions().check(SLOW_THING)  # does not raise


def test_a_wrong_settled_answer_does_not_skip_later_waits() -> None:
    """Only a poll that ran out makes the next one read once: a target that answered
    something else (e.g. ERROR) is still given its time on the next session."""
    registry = preconditions()
    error = registry.broken(SLOW_THING, exchange({"state": "ERROR"}), "the thing is ERROR")
    assert isinstance(error, UnexpectedResponse)
    assert str(error).startswith("setup step failed: the thing is ERROR (see REQ-THING)")
    later = Target("ACTIVE", "DONE")
    assert poll(later.fetch, still_active, 30, precondition=SLOW_THING).json == {"state": "DONE"}
    with pytest.raises(PreconditionFailed, match=r"see REQ-THING\); earlier in this run, the"):
        registry.check(SLOW_THING)


def test_the_first_failure_is_the_one_reported() -> None:
    registry = preconditions()
    registry.record(SLOW_THING, "first")
    registry.record(SLOW_THING, "second", timed_out=True)
    assert registry.timed_out(SLOW_THING)
    with pytest.raises(PreconditionFailed, match="first"):
        registry.check(SLOW_THING)


def test_a_new_run_forgets_earlier_failures() -> None:
    preconditions().record(SLOW_THING, "broken")
    assert start_run() is preconditions()
    assert not preconditions().failed(SLOW_THING)


def test_preconditions_name_the_requirement_that_judges_them() -> None:
    from conformance.catalog import catalog

    ids = set(catalog().ids)
    shared = [v for v in vars(_preconditions).values() if isinstance(v, Precondition)]
    assert {p.requirement for p in shared} <= ids
    assert {UPLOAD_READY, SESSION_DONE} <= set(shared)


def test_poll_timeout_is_its_own_setting() -> None:
    assert load_config(env={}).poll_timeout == 30
    config = load_config(env={"CONFORMANCE_POLL_TIMEOUT": "5"}, overrides={"timeout": 60})
    assert (config.poll_timeout, config.timeout) == (5, 60)
    assert load_config(env={}, overrides={"poll_timeout": 2}).poll_timeout == 2


# -- the suite against a target that never gives a shared precondition --------------------
def flawed_run(tmp_path: Path, flaw: str, k: str) -> SuiteRun:
    settings = MockSettings(user=USER, password=PASSWORD, flaws=frozenset({flaw}))
    with MockServer(settings) as server:
        return run_suite(
            tmp_path,
            "--no-property-tests",
            "--poll-timeout",
            "1",
            "-k",
            k,
            target=server.url,
            run_id=flaw,
            timeout=600,
        )


def messages(run: SuiteRun) -> dict[str, str]:
    return {t["nodeid"]: t["message"] or "" for t in run.results["tests"] if t["status"] == "error"}


@pytest.mark.slow
def test_a_session_that_never_reaches_done_is_reported_once(tmp_path: Path) -> None:
    run = flawed_run(tmp_path, "complete-keeps-active", "download_session_file or complete_then")
    assert run.returncode == 1, run.explain()
    assert run.requirement_status("US-COMPLETE-DONE") == "fail"
    errors = messages(run)
    first = [m for m in errors.values() if "setup step failed" in m]
    later = [m for m in errors.values() if m.startswith("precondition failed:")]
    assert len(first) == 1, errors
    assert "(see US-COMPLETE-DONE)" in first[0]
    assert len(later) >= 3, errors
    assert all(
        "precondition failed: an update session reaching DONE after complete "
        "(see US-COMPLETE-DONE)" in m
        for m in later
    )
    assert len(first) + len(later) == len(errors), errors


@pytest.mark.slow
def test_an_upload_that_never_gets_ready_fails_its_requirement_and_stops_the_rest(
    tmp_path: Path,
) -> None:
    run = flawed_run(tmp_path, "upload-never-ready", "update_session_file or item_file")
    assert run.returncode == 1, run.explain()
    statuses = run.statuses()
    assert statuses["USF-UPLOAD-READY"] == "fail"
    assert {req for req, status in statuses.items() if status == "fail"} == {"USF-UPLOAD-READY"}
    later = [m for m in messages(run).values() if m.startswith("precondition failed:")]
    assert later, run.explain()
    assert all("(see USF-UPLOAD-READY)" in m for m in later)
