"""Update sessions: create, get, list, update, keep-alive, complete, cancel, fail, delete.

Seed pages 000 (delete), 002 (complete), 003 (update), 004 (the service);
contract.md §3 and §4 for the operations the pages name but do not detail.
"""

from __future__ import annotations

import time
import uuid
from functools import partial
from typing import TYPE_CHECKING, Any

import pytest

from conformance.checks import check_datetime, instant, read_http_date
from conformance.client import Exchange, VcenterApi
from conformance.config import Config
from conformance.sandbox import Sandbox, require

from ._preconditions import poll
from ._sessions import (
    created_id,
    end_update_session,
    model,
    settled_get,
    verify_deleted,
    verify_keep_alive_extends,
    verify_list_filter,
    verify_state,
)
from ._verify import Verifier

if TYPE_CHECKING:
    from .conftest import ExpiryProbe

pytestmark = pytest.mark.destructive

WARNING_BEHAVIOR = [{"type": "SELF_SIGNED_CERTIFICATE", "ignored": True}]


@pytest.mark.requirement("US-CREATE-201")
def test_update_session_create_returns_bare_id(
    api: VcenterApi, item: str, verify: Verifier
) -> None:
    created = api.update_sessions.create({"library_item_id": item})
    model(verify, api.update_sessions, created_id(verify, created, "update session create"))


@pytest.mark.requirement("US-CREATE-UNKNOWN-ITEM-404")
def test_update_session_create_on_unknown_item_is_not_found(
    api: VcenterApi, verify: Verifier, unknown_item_id: str
) -> None:
    created = api.update_sessions.create({"library_item_id": unknown_item_id})
    verify.error(created, "update session create on an unknown library item")


@pytest.mark.requirement("US-CREATE-MISSING-ITEM-400")
def test_update_session_create_without_item_is_invalid_argument(
    api: VcenterApi, verify: Verifier
) -> None:
    created = api.update_sessions.create({})
    verify.error(created, "update session create without library_item_id")


@pytest.mark.requirement("US-ONE-ACTIVE-PER-ITEM")
def test_update_session_second_create_on_active_item_is_refused(
    api: VcenterApi, item: str, update_session: str, verify: Verifier
) -> None:
    second = api.update_sessions.create({"library_item_id": item})
    verify.error(second, "a second update session create on an item with an ACTIVE session")
    verify_state(verify, api.update_sessions, update_session, "ACTIVE", "after a refused create")


@pytest.mark.requirement("US-NEW-AFTER-TERMINAL")
def test_update_session_create_after_cancel_succeeds(
    api: VcenterApi, item: str, update_session: str, verify: Verifier
) -> None:
    require(api.update_sessions.cancel(update_session), 204, "cancel of the first session")
    created = api.update_sessions.create({"library_item_id": item})
    # any 2xx: the exact 201 is US-CREATE-201's
    verify.success(created, range(200, 300), "update session create after the previous ended")


@pytest.mark.requirement("US-GET-MODEL", "WIRE-DATETIME-FORMAT")
def test_update_session_get_returns_documented_model(
    api: VcenterApi, item: str, update_session: str, verify: Verifier
) -> None:
    got = api.update_sessions.get(update_session)
    body = verify.success(got, 200, "update session get", operation_id="update_session_get")
    verify.that("id" not in body, "get must not return id", actual=body)
    verify.equal(body.get("library_item_id"), item, "library_item_id (the session's item)")
    verify.equal(body.get("state"), "ACTIVE", "the state of a new session")
    verify.equal(body.get("client_progress"), 0, "the initial client_progress")
    verify.soft(check_datetime, body.get("expiration_time"), "expiration_time", got)


@pytest.mark.requirement("US-PREVIEW-INFO-ACTIVE-ONLY")
@pytest.mark.parametrize("ending", ["cancel", "complete"])
def test_update_session_preview_info_absent_when_not_active(
    api: VcenterApi, update_session: str, verify: Verifier, settings: Config, ending: str
) -> None:
    ended = end_update_session(api, update_session, ending, wait=settings.poll_timeout)
    body = model(verify, api.update_sessions, update_session)
    verify.equal(body.get("preview_info"), None, f"preview_info of a {ended} session")


@pytest.mark.requirement("US-LIST")
def test_update_session_list_filters_by_library_item(
    api: VcenterApi, sandbox: Sandbox, verify: Verifier
) -> None:
    items = (sandbox.new_item(), sandbox.new_item())
    created = (sandbox.new_update_session(items[0]), sandbox.new_update_session(items[1]))
    verify_list_filter(verify, api.update_sessions, items, created, "update_session_list")


@pytest.mark.requirement("US-LIST-UNKNOWN-ITEM-404")
def test_update_session_list_of_unknown_item_is_not_found(
    api: VcenterApi, verify: Verifier, unknown_item_id: str
) -> None:
    listed = api.update_sessions.list(library_item_id=unknown_item_id)
    verify.error(listed, "update session list of an unknown library item")


@pytest.mark.requirement("US-COMPLETE-DONE", "US-DELETE-DONE-204")
def test_update_session_complete_then_delete(
    api: VcenterApi, update_session: str, verify: Verifier, settings: Config
) -> None:
    with verify.under("US-COMPLETE-DONE"):
        verify.void(api.update_sessions.complete(update_session), "complete")
        # a PULL-style complete may return before DONE: polled within the poll budget
        settled = settled_get(api, update_session, wait=settings.poll_timeout)
        body = verify.success(settled, 200, "get of the update session")
        verify.equal(body.get("state") if isinstance(body, dict) else None, "DONE", "the state")
    with verify.under("US-DELETE-DONE-204"):
        verify_deleted(verify, api.update_sessions, update_session, "delete of a DONE session")


@pytest.mark.requirement("US-DELETE-DONE-204")
@pytest.mark.parametrize("ending", ["cancel", "fail"])
def test_update_session_delete_after_cancel_and_fail(
    api: VcenterApi, update_session: str, verify: Verifier, ending: str
) -> None:
    if ending == "cancel":
        require(api.update_sessions.cancel(update_session), 204, "cancel")
    else:
        require(api.update_sessions.fail(update_session, "vcenter-conformance"), 204, "fail")
    verify_deleted(verify, api.update_sessions, update_session, f"delete after {ending}")


@pytest.mark.requirement("US-DELETE-ACTIVE-400")
def test_update_session_delete_while_active_is_rejected(
    api: VcenterApi, update_session: str, verify: Verifier
) -> None:
    verify.error(api.update_sessions.delete(update_session), "delete of an ACTIVE update session")
    verify_state(verify, api.update_sessions, update_session, "ACTIVE", "after a refused delete")


UNKNOWN_ID_OPERATIONS = {
    "get": lambda api, sid: api.update_sessions.get(sid),
    "update": lambda api, sid: api.update_sessions.update(
        sid, {"warning_behavior": WARNING_BEHAVIOR}
    ),
    "delete": lambda api, sid: api.update_sessions.delete(sid),
    "complete": lambda api, sid: api.update_sessions.complete(sid),
    "cancel": lambda api, sid: api.update_sessions.cancel(sid),
    "fail": lambda api, sid: api.update_sessions.fail(sid, "vcenter-conformance"),
    "keep-alive": lambda api, sid: api.update_sessions.keep_alive(sid),
}


@pytest.mark.requirement("US-UNKNOWN-ID-404")
@pytest.mark.parametrize("operation", list(UNKNOWN_ID_OPERATIONS))
def test_update_session_unknown_id_is_not_found(
    api: VcenterApi, verify: Verifier, unknown_update_session_id: str, operation: str
) -> None:
    answer = UNKNOWN_ID_OPERATIONS[operation](api, unknown_update_session_id)
    verify.error(answer, f"{operation} of an unknown update session")


ACTIVE_ONLY = ("complete", "cancel", "fail", "keep-alive", "update")
ACTIVE_ONLY_OPERATIONS = {name: UNKNOWN_ID_OPERATIONS[name] for name in ACTIVE_ONLY}
ENDINGS = {"DONE": "complete", "CANCELED": "cancel", "ERROR": "fail"}


@pytest.mark.requirement("US-NOT-ACTIVE-400")
@pytest.mark.parametrize("operation", list(ACTIVE_ONLY_OPERATIONS))
@pytest.mark.parametrize("state", list(ENDINGS))
def test_update_session_operations_when_not_active_are_rejected(
    api: VcenterApi,
    update_session: str,
    verify: Verifier,
    settings: Config,
    state: str,
    operation: str,
) -> None:
    # Which state the ending reached is its own requirement's business; here only that
    # the refusal leaves it as it was.
    before = end_update_session(api, update_session, ENDINGS[state], wait=settings.poll_timeout)
    refused = ACTIVE_ONLY_OPERATIONS[operation](api, update_session)
    verify.error(refused, f"{operation} of a {state} update session")
    verify_state(
        verify, api.update_sessions, update_session, before, f"after a refused {operation}"
    )


@pytest.mark.requirement("US-CANCEL-CANCELED")
def test_update_session_cancel_reaches_canceled(
    api: VcenterApi, update_session: str, verify: Verifier
) -> None:
    verify.void(api.update_sessions.cancel(update_session), "cancel")
    verify_state(verify, api.update_sessions, update_session, "CANCELED", "after cancel")


@pytest.mark.requirement("US-FAIL-ERROR")
def test_update_session_fail_reaches_error_with_message(
    api: VcenterApi, update_session: str, verify: Verifier
) -> None:
    message = f"vcenter-conformance simulated client failure {uuid.uuid4().hex[:8]}"
    verify.void(api.update_sessions.fail(update_session, message), "fail")
    body = model(verify, api.update_sessions, update_session)
    verify.equal(body.get("state"), "ERROR", "the state after fail")
    verify.that(
        isinstance(body.get("error_message"), dict) and message in str(body["error_message"]),
        "error_message must carry the client's message",
        expected=f"a LocalizableMessage containing {message!r}",
        actual=body.get("error_message"),
    )


@pytest.mark.requirement("US-PATCH-WARNING-ONLY")
def test_update_session_patch_changes_only_warning_behavior(
    api: VcenterApi, sandbox: Sandbox, update_session: str, verify: Verifier
) -> None:
    sessions = api.update_sessions
    before = model(verify, sessions, update_session)
    patch = {"warning_behavior": WARNING_BEHAVIOR}
    verify.void(sessions.update(update_session, patch), "update with warning_behavior")
    after = model(verify, sessions, update_session).get("warning_behavior")
    verify.that(
        has_entries(after, WARNING_BEHAVIOR),
        "update must set warning_behavior (every entry sent, in any order)",
        expected=WARNING_BEHAVIOR,
        actual=after,
    )
    # Fields "not used for the update operation": ignored (204) or refused (400
    # INVALID_ARGUMENT) are both within the docs; changing them is not.
    unused = {"client_progress": 42, "state": "DONE", "library_item_id": sandbox.new_item()}
    attempt = sessions.update(update_session, patch | unused)
    if not 200 <= attempt.status < 300:
        verify.error(attempt, "update with properties the update operation does not use")
    final = model(verify, sessions, update_session)
    for key in ("state", "client_progress", "library_item_id", "library_item_content_version"):
        verify.equal(final.get(key), before.get(key), f"{key} after update", exchange=attempt)


def has_entries(actual: object, expected: list[dict[str, object]]) -> bool:
    """Every expected entry is in ``actual`` (its keys equal; extra keys, extra entries
    and any order allowed: a newer server may add fields or defaults)."""
    if not isinstance(actual, list):
        return False
    entries = [e for e in actual if isinstance(e, dict)]
    return all(
        any(all(e.get(k) == v for k, v in want.items()) for e in entries) for want in expected
    )


@pytest.mark.requirement("US-PATCH-INVALID-400")
def test_update_session_patch_with_invalid_spec_is_invalid_argument(
    api: VcenterApi, update_session: str, verify: Verifier
) -> None:
    patched = api.update_sessions.update(update_session, {"warning_behavior": "not-a-list"})
    verify.error(patched, "update with a warning_behavior that is not a list")


@pytest.mark.long
@pytest.mark.requirement("US-KEEPALIVE-EXTENDS")
def test_update_session_keep_alive_extends_expiration(
    api: VcenterApi, update_session: str, verify: Verifier, settings: Config
) -> None:
    keep_alive = partial(api.update_sessions.keep_alive, update_session)
    pause = settings.keepalive_pause
    verify_keep_alive_extends(verify, api.update_sessions, update_session, keep_alive, pause)


@pytest.mark.requirement("US-KEEPALIVE-PROGRESS")
def test_update_session_keep_alive_records_progress(
    api: VcenterApi, update_session: str, verify: Verifier
) -> None:
    kept = api.update_sessions.keep_alive(update_session, client_progress=50)
    verify.void(kept, "keep-alive with progress")
    progress = model(verify, api.update_sessions, update_session).get("client_progress")
    verify.equal(progress, 50, "client_progress after keep-alive")


@pytest.mark.requirement("US-CLIENT-TOKEN-IDEMPOTENT")
@pytest.mark.parametrize("where", ["query", "header"])
def test_update_session_create_with_same_client_token_returns_same_id(
    api: VcenterApi, item: str, verify: Verifier, where: str
) -> None:
    spec, token = {"library_item_id": item}, str(uuid.uuid4())
    create = partial(
        api.update_sessions.create, spec, client_token=token, token_in_header=where == "header"
    )
    first = verify.success(create(), range(200, 300), f"create with a client_token in the {where}")
    again = verify.success(create(), (200, 201), "the same create repeated with the same token")
    verify.equal(again, first, "the id of a create repeated with the same client_token")


def _remaining_seconds(exchange: Exchange, body: Any, requirement: str) -> float | None:
    """Seconds from the answer's Date header to expiration_time (None: no Date header)."""
    served = read_http_date(exchange.header("Date"))
    if served is None:
        return None
    expires = instant(body.get("expiration_time"), "expiration_time", requirement)
    return (expires - served).total_seconds()


@pytest.mark.requirement("US-EXPIRATION-DEFAULT")
def test_update_session_expires_five_minutes_after_creation_by_default(
    api: VcenterApi, update_session: str, verify: Verifier, settings: Config
) -> None:
    got = api.update_sessions.get(update_session)
    body = verify.success(got, 200, "get of a new update session")
    remaining = _remaining_seconds(got, body, verify.requirement())
    if remaining is None:
        pytest.skip("the target sends no Date header to compare expiration_time with")
    # vCenter's default is five minutes; a target configured otherwise says so
    # with session_timeout. Within 20% (at least 5 s): Date has whole seconds.
    timeout = settings.expected_session_timeout
    slack = max(timeout * 0.2, 5.0)
    verify.that(
        timeout - slack <= remaining <= timeout + slack,
        f"a new session should expire {timeout:g} s after its creation (session_timeout; "
        "vCenter's default is five minutes)",
        expected=f"expiration_time {timeout - slack:.0f}-{timeout + slack:.0f} s after the "
        "answer's Date",
        actual=f"{remaining:.0f} s after it (expiration_time {body.get('expiration_time')})",
    )


@pytest.mark.judged_last
@pytest.mark.requirement("US-EXPIRY-DELETES")
def test_update_session_expires_without_activity(
    api: VcenterApi, expiry_probe: ExpiryProbe, verify: Verifier, settings: Config
) -> None:
    """The probe session was made when the run started and left alone since: by now
    little of its lifetime is left to wait (run last, see conftest)."""
    if expiry_probe.lifetime_s is None:
        pytest.skip(f"{expiry_probe.unknown_because}: cannot tell when the session expires")
    # Past expiration_time the target may take a moment to delete it ("then be deleted").
    grace = max(10.0, 0.2 * expiry_probe.lifetime_s)
    left = expiry_probe.seconds_left()
    if left + grace > settings.expiry_wait:
        pytest.skip(
            f"the session made at the start of the run expires in {left:.0f} s; judging "
            f"it needs up to {left + grace:.0f} s, more than expiry_wait "
            f"({settings.expiry_wait:g} s; --expiry-wait, CONFORMANCE_EXPIRY_WAIT)"
        )
    deadline = time.monotonic() + max(left, 0) + grace
    # Date and expiration_time have whole seconds: 1.5 s past it, the session is past
    # its expiration_time whatever the rounding (no wait when that is behind us already)
    time.sleep(max(left + 1.5, 0))
    after = poll(  # a 200 means the session is still there: poll until another answer
        lambda: api.update_sessions.get(expiry_probe.session_id),
        lambda _body: True,
        deadline - time.monotonic(),
    )
    waited = grace - (deadline - time.monotonic())
    verify.error(after, f"get {waited:.0f} s after expiration_time")
