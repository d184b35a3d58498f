"""What the update- and download-session tests share: get, parse, state, list, delete, end.

The twin tests stay separately named, one per requirement (their sources differ), but
read a session the same way; no test module imports another. Every ``verify`` check
here judges under the calling test's requirement (its marker, or ``verify.under``).

Ending an update session is a setup step for many tests, and ``complete`` may return
before the session leaves ACTIVE ("If the server is pulling the content, the call may
return before the changes become visible", seed page 002). The complete helpers below
wait for it within the run's poll budget, under the shared ``SESSION_DONE`` precondition:
a session that never leaves ACTIVE is US-COMPLETE-DONE's Fail, and every other test that
needed it ends as an Error that says so, instead of judging its own rule on a session
that never completed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from conformance.checks import is_later
from conformance.client import (
    Exchange,
    SessionApi,
    UnexpectedResponse,
    UpdateSessionApi,
    VcenterApi,
)
from conformance.sandbox import require, require_ended

from ._preconditions import SESSION_DONE, poll, preconditions
from ._verify import Verifier

#: The requirement that judges whether each ending leaves an update session ACTIVE.
ENDING_JUDGED_BY = {
    "complete": SESSION_DONE.requirement,
    "cancel": "US-CANCEL-CANCELED",
    "fail": "US-FAIL-ERROR",
}


def noun(sessions: SessionApi) -> str:
    return "update session" if isinstance(sessions, UpdateSessionApi) else "download session"


def field(body: Any, key: str) -> Any:
    return body.get(key) if isinstance(body, dict) else None


def pick(body: Any, *keys: str) -> dict[str, Any]:
    """Those fields of ``body`` (None where it has none): one fact to compare as a whole."""
    return {key: field(body, key) for key in keys}


# -- reading a session -----------------------------------------------------------------
def model(
    verify: Verifier, sessions: SessionApi, session_id: str, *, requirement: str | None = None
) -> dict[str, Any]:
    """The session's model: get answers 200 with an object (hard, under the requirement)."""
    body = verify.success(
        sessions.get(session_id), 200, f"get of the {noun(sessions)}", requirement=requirement
    )
    verify.that(
        isinstance(body, dict), "get did not return an object", actual=body, requirement=requirement
    )
    return body if isinstance(body, dict) else {}


def state(
    verify: Verifier, sessions: SessionApi, session_id: str, *, requirement: str | None = None
) -> Any:
    return model(verify, sessions, session_id, requirement=requirement).get("state")


def verify_state(
    verify: Verifier, sessions: SessionApi, session_id: str, expected: str, what: str
) -> None:
    """The session's state is ``expected`` (``what``: the step that should have led there)."""
    verify.equal(str(state(verify, sessions, session_id)), expected, f"the state {what}")


def moved_forward(before: Any, after: Any, requirement: str) -> bool:
    """Whether ``expiration_time`` moved forward; a value it cannot read is not judged."""
    return is_later(after, before, "expiration_time", requirement)


def created_id(verify: Verifier, exchange: Exchange, what: str) -> str:
    """A create answered 201 with the new id as a bare JSON string."""
    body = verify.success(exchange, 201, what)
    verify.that(
        isinstance(body, str) and bool(body),
        "create must return the new session's id as a bare JSON string",
        expected='"<id>"',
        actual=exchange.response_text[:200],
    )
    return str(body)


# -- scenarios both kinds share ----------------------------------------------------------
def verify_list_filter(
    verify: Verifier,
    sessions: SessionApi,
    items: tuple[str, str],
    created: tuple[str, str],
    operation_id: str,
) -> None:
    """Both sessions in the unfiltered list; only the first item's in the filtered one."""
    session_a, session_b = created
    ids = verify.success(sessions.list(), 200, "list", operation_id=operation_id)
    verify.that(
        session_a in ids and session_b in ids,
        "the unfiltered list must contain both sessions this user created",
        expected=[session_a, session_b],
        actual=ids,
    )
    filtered = sessions.list(library_item_id=items[0])
    ids_a = verify.success(
        filtered, 200, "list filtered by library_item_id", operation_id=operation_id
    )
    verify.that(
        session_a in ids_a and session_b not in ids_a,
        "the list filtered by library_item_id must contain that item's sessions only",
        expected=f"{session_a} and not {session_b}",
        actual=ids_a,
    )


def verify_deleted(verify: Verifier, sessions: SessionApi, session_id: str, what: str) -> None:
    """delete succeeds (void) and a get afterwards is the requirement's error."""
    verify.void(sessions.delete(session_id), what)
    verify.error(sessions.get(session_id), f"get after {what}")


def cancel_then_delete(sessions: SessionApi, session_id: str) -> Exchange:
    """The delete of a session just canceled (whatever the cancel answered)."""
    sessions.cancel(session_id)
    return sessions.delete(session_id)


def verify_keep_alive_extends(
    verify: Verifier,
    sessions: SessionApi,
    session_id: str,
    keep_alive: Callable[[], Exchange],
    pause: float,
) -> None:
    """keep-alive, ``pause`` s after a get, moves ``expiration_time`` forward."""
    before = model(verify, sessions, session_id).get("expiration_time")
    time.sleep(pause)
    verify.void(keep_alive(), "keep-alive")
    after = model(verify, sessions, session_id).get("expiration_time")
    verify.that(
        moved_forward(before, after, verify.requirement()),
        "keep-alive must move expiration_time forward",
        expected=f"later than {before}",
        actual=after,
    )


# -- ending an update session (setup steps) ------------------------------------------------
def settled_get(api: VcenterApi, session_id: str, *, wait: float) -> Exchange:
    """After a complete answered 2xx: the get once the session left ACTIVE, or the last
    one when ``wait`` ran out (with ``SESSION_DONE``: once one poll ran out, no other waits)."""
    return poll(
        lambda: api.update_sessions.get(session_id),
        lambda body: field(body, "state") == "ACTIVE",
        wait,
        precondition=SESSION_DONE,
    )


def settle(api: VcenterApi, session_id: str, *, wait: float, verify: Verifier | None = None) -> str:
    """After a complete answered 2xx: the state once it leaves ACTIVE (setup step).

    A session still ACTIVE then is an Error: the complete did nothing, which is
    US-COMPLETE-DONE's to judge, not the calling test's. With ``verify``, the state is
    read to be judged: that get is the evidence a later failure shows.
    """
    settled = settled_get(api, session_id, wait=wait)
    if verify is not None:
        verify.observed(settled, 200, "get after complete")
    return require_ended(settled, "complete", SESSION_DONE.requirement)


def await_done(api: VcenterApi, session_id: str, *, wait: float) -> Exchange:
    """After a complete answered 2xx: wait for DONE (setup step); return the last get.

    A session that does not reach DONE breaks the shared precondition ``SESSION_DONE``;
    if it broke earlier in the run, this test stops as one that needed it.
    """
    registry = preconditions()
    broken_before = registry.failed(SESSION_DONE)
    done = settled_get(api, session_id, wait=wait)
    if done.status != 200:
        raise UnexpectedResponse(
            f"setup step failed: get of the completed session answered {done.status}\n"
            f"{done.describe(1500)}",
            done,
        )
    now = field(done.json, "state")
    if now != "DONE":
        if broken_before:
            registry.check(SESSION_DONE)
        raise registry.broken(
            SESSION_DONE, done, f"the update session is {now} after complete, not DONE"
        )
    return done


def complete_session(api: VcenterApi, session_id: str, *, wait: float) -> Exchange:
    """Complete the update session and wait for DONE (setup step); return the last get."""
    preconditions().check(SESSION_DONE)
    require(api.update_sessions.complete(session_id), 204, "completing the update session")
    return await_done(api, session_id, wait=wait)


def end_update_session(api: VcenterApi, session_id: str, ending: str, *, wait: float) -> str:
    """End the session by ``ending`` (complete, cancel or fail; setup step); return its state.

    Which state the ending reaches is its own requirement's business
    (:data:`ENDING_JUDGED_BY`); a session it leaves ACTIVE is an Error here.
    """
    sessions = api.update_sessions
    if ending == "complete":
        require(sessions.complete(session_id), 204, "complete")
        return settle(api, session_id, wait=wait)
    if ending == "cancel":
        sent = sessions.cancel(session_id)
    else:
        sent = sessions.fail(session_id, "vcenter-conformance")
    require(sent, 204, ending)
    return require_ended(sessions.get(session_id), ending, ENDING_JUDGED_BY[ending])
