"""Update sessions: create, get, list, update, keep-alive, complete, cancel, fail, delete.

Seed pages 000 (delete), 002 (complete), 003 (update), 004 (the service);
contract.md §3 and §4 for the operations the pages name but do not detail.
"""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from conformance.checks import check_datetime, instant, is_later, read_http_date
from conformance.client import Exchange, VcenterApi
from conformance.config import Config
from conformance.sandbox import Sandbox, require, require_ended

from ._preconditions import SESSION_DONE, poll
from ._verify import Verifier, verify_list_filter

if TYPE_CHECKING:
    from .conftest import ExpiryProbe

pytestmark = pytest.mark.destructive

WARNING_BEHAVIOR = [{"type": "SELF_SIGNED_CERTIFICATE", "ignored": True}]


def get_model(api: VcenterApi, verify: Verifier, session_id: str, requirement: str) -> Any:
    exchange = api.update_sessions.get(session_id)
    body = verify.success(exchange, 200, requirement, "get of the update session")
    verify.that(isinstance(body, dict), requirement, "get did not return an object", actual=body)
    return body


def get_state(api: VcenterApi, verify: Verifier, session_id: str, requirement: str) -> str:
    return str(get_model(api, verify, session_id, requirement).get("state"))


def moved_forward(before: Any, after: Any, requirement: str) -> bool:
    """Whether ``expiration_time`` moved forward; a value it cannot read is not judged."""
    return is_later(after, before, "expiration_time", requirement)


@pytest.mark.requirement("US-CREATE-201")
def test_update_session_create_returns_bare_id(
    api: VcenterApi, sandbox: Sandbox, item: str, verify: Verifier
) -> None:
    exchange = api.update_sessions.create({"library_item_id": item})
    sandbox.track_created(exchange, "update")
    body = verify.success(exchange, 201, "US-CREATE-201", "update session create")
    verify.that(
        isinstance(body, str) and bool(body),
        "US-CREATE-201",
        "create must return the new session's id as a bare JSON string",
        expected='"<id>"',
        actual=exchange.response_text[:200],
        exchange=exchange,
    )
    get_model(api, verify, body, "US-CREATE-201")


@pytest.mark.requirement("US-CREATE-UNKNOWN-ITEM-404")
def test_update_session_create_on_unknown_item_is_not_found(
    api: VcenterApi, sandbox: Sandbox, verify: Verifier, unknown_item_id: str
) -> None:
    exchange = api.update_sessions.create({"library_item_id": unknown_item_id})
    sandbox.track_created(exchange, "update")
    verify.error(
        exchange,
        requirement="US-CREATE-UNKNOWN-ITEM-404",
        what="update session create on an unknown library item",
    )


@pytest.mark.requirement("US-CREATE-MISSING-ITEM-400")
def test_update_session_create_without_item_is_invalid_argument(
    api: VcenterApi, sandbox: Sandbox, verify: Verifier
) -> None:
    exchange = api.update_sessions.create({})
    sandbox.track_created(exchange, "update")
    verify.error(
        exchange,
        requirement="US-CREATE-MISSING-ITEM-400",
        what="update session create without library_item_id",
    )


@pytest.mark.requirement("US-ONE-ACTIVE-PER-ITEM")
def test_update_session_second_create_on_active_item_is_refused(
    api: VcenterApi, sandbox: Sandbox, item: str, update_session: str, verify: Verifier
) -> None:
    exchange = api.update_sessions.create({"library_item_id": item})
    sandbox.track_created(exchange, "update")
    verify.error(
        exchange,
        requirement="US-ONE-ACTIVE-PER-ITEM",
        what="a second update session create on an item with an ACTIVE session",
    )
    verify.that(
        get_state(api, verify, update_session, "US-ONE-ACTIVE-PER-ITEM") == "ACTIVE",
        "US-ONE-ACTIVE-PER-ITEM",
        "the first session must stay ACTIVE after a refused second create",
    )


@pytest.mark.requirement("US-NEW-AFTER-TERMINAL")
def test_update_session_create_after_cancel_succeeds(
    api: VcenterApi, sandbox: Sandbox, item: str, update_session: str, verify: Verifier
) -> None:
    require(api.update_sessions.cancel(update_session), 204, "cancel of the first session")
    exchange = api.update_sessions.create({"library_item_id": item})
    sandbox.track_created(exchange, "update")
    # any 2xx: the exact 201 is US-CREATE-201's
    verify.success(
        exchange,
        range(200, 300),
        "US-NEW-AFTER-TERMINAL",
        "update session create after the previous ended",
    )


@pytest.mark.requirement("US-GET-MODEL", "WIRE-DATETIME-FORMAT")
def test_update_session_get_returns_documented_model(
    api: VcenterApi, item: str, update_session: str, verify: Verifier
) -> None:
    exchange = api.update_sessions.get(update_session)
    body = verify.success(
        exchange, 200, "US-GET-MODEL", "update session get", operation_id="update_session_get"
    )
    verify.that(
        "id" not in body, "US-GET-MODEL", "get must not return id", actual=body, exchange=exchange
    )
    verify.that(
        body.get("library_item_id") == item,
        "US-GET-MODEL",
        "library_item_id must name the item the session was created for",
        expected=item,
        actual=body.get("library_item_id"),
        exchange=exchange,
    )
    verify.that(
        body.get("state") == "ACTIVE",
        "US-GET-MODEL",
        "a new session is ACTIVE",
        expected="ACTIVE",
        actual=body.get("state"),
        exchange=exchange,
    )
    verify.that(
        body.get("client_progress") == 0,
        "US-GET-MODEL",
        "the initial progress is 0",
        expected=0,
        actual=body.get("client_progress"),
        exchange=exchange,
    )
    verify.soft(check_datetime, body.get("expiration_time"), "expiration_time", exchange)


@pytest.mark.requirement("US-PREVIEW-INFO-ACTIVE-ONLY")
@pytest.mark.parametrize("ending", ["cancel", "complete"])
def test_update_session_preview_info_absent_when_not_active(
    api: VcenterApi, update_session: str, verify: Verifier, ending: str
) -> None:
    require(getattr(api.update_sessions, ending)(update_session), 204, ending)
    body = get_model(api, verify, update_session, "US-PREVIEW-INFO-ACTIVE-ONLY")
    verify.that(
        body.get("preview_info") is None,
        "US-PREVIEW-INFO-ACTIVE-ONLY",
        f"preview_info is set after {ending}, when the session is {body.get('state')}",
        expected="no preview_info",
        actual=body.get("preview_info"),
    )


@pytest.mark.requirement("US-LIST")
def test_update_session_list_filters_by_library_item(
    api: VcenterApi, sandbox: Sandbox, verify: Verifier
) -> None:
    items = (sandbox.new_item(), sandbox.new_item())
    created = (sandbox.new_update_session(items[0]), sandbox.new_update_session(items[1]))
    verify_list_filter(
        verify, api.update_sessions, items, created, "US-LIST", "update_session_list"
    )


@pytest.mark.requirement("US-LIST-UNKNOWN-ITEM-404")
def test_update_session_list_of_unknown_item_is_not_found(
    api: VcenterApi, verify: Verifier, unknown_item_id: str
) -> None:
    verify.error(
        api.update_sessions.list(library_item_id=unknown_item_id),
        requirement="US-LIST-UNKNOWN-ITEM-404",
        what="update session list of an unknown library item",
    )


@pytest.mark.requirement("US-COMPLETE-DONE", "US-DELETE-DONE-204")
def test_update_session_complete_then_delete(
    api: VcenterApi, update_session: str, verify: Verifier, settings: Config
) -> None:
    verify.void(api.update_sessions.complete(update_session), "US-COMPLETE-DONE", "complete")
    settled = poll(  # a PULL-style complete may return before DONE: within the poll budget
        lambda: api.update_sessions.get(update_session),
        lambda body: isinstance(body, dict) and body.get("state") == "ACTIVE",
        settings.poll_timeout,
        precondition=SESSION_DONE,
    )
    body = verify.success(settled, 200, "US-COMPLETE-DONE", "get of the update session")
    state = body.get("state") if isinstance(body, dict) else None
    verify.that(
        state == "DONE",
        "US-COMPLETE-DONE",
        "complete must reach DONE",
        expected="DONE",
        actual=state,
    )
    verify.void(
        api.update_sessions.delete(update_session), "US-DELETE-DONE-204", "delete of a DONE session"
    )
    verify.error(
        api.update_sessions.get(update_session),
        requirement="US-DELETE-DONE-204",
        what="get after delete",
    )


@pytest.mark.requirement("US-DELETE-DONE-204")
@pytest.mark.parametrize("ending", ["cancel", "fail"])
def test_update_session_delete_after_cancel_and_fail(
    api: VcenterApi, update_session: str, verify: Verifier, ending: str
) -> None:
    if ending == "cancel":
        require(api.update_sessions.cancel(update_session), 204, "cancel")
    else:
        require(api.update_sessions.fail(update_session, "vcenter-conformance"), 204, "fail")
    verify.void(
        api.update_sessions.delete(update_session), "US-DELETE-DONE-204", f"delete after {ending}"
    )
    verify.error(
        api.update_sessions.get(update_session),
        requirement="US-DELETE-DONE-204",
        what="get after delete",
    )


@pytest.mark.requirement("US-DELETE-ACTIVE-400")
def test_update_session_delete_while_active_is_rejected(
    api: VcenterApi, update_session: str, verify: Verifier
) -> None:
    verify.error(
        api.update_sessions.delete(update_session),
        requirement="US-DELETE-ACTIVE-400",
        what="delete of an ACTIVE update session",
    )
    state = get_state(api, verify, update_session, "US-DELETE-ACTIVE-400")
    verify.that(
        state == "ACTIVE",
        "US-DELETE-ACTIVE-400",
        "a refused delete must leave the session ACTIVE",
        expected="ACTIVE",
        actual=state,
    )


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
    verify.error(
        UNKNOWN_ID_OPERATIONS[operation](api, unknown_update_session_id),
        requirement="US-UNKNOWN-ID-404",
        what=f"{operation} of an unknown update session",
    )


ACTIVE_ONLY_OPERATIONS = {
    "complete": lambda api, sid: api.update_sessions.complete(sid),
    "cancel": lambda api, sid: api.update_sessions.cancel(sid),
    "fail": lambda api, sid: api.update_sessions.fail(sid, "vcenter-conformance"),
    "keep-alive": lambda api, sid: api.update_sessions.keep_alive(sid),
    "update": lambda api, sid: api.update_sessions.update(
        sid, {"warning_behavior": WARNING_BEHAVIOR}
    ),
}
ENDINGS = {"DONE": "complete", "CANCELED": "cancel", "ERROR": "fail"}


@pytest.mark.requirement("US-NOT-ACTIVE-400")
@pytest.mark.parametrize("operation", list(ACTIVE_ONLY_OPERATIONS))
@pytest.mark.parametrize("state", list(ENDINGS))
def test_update_session_operations_when_not_active_are_rejected(
    api: VcenterApi, update_session: str, verify: Verifier, state: str, operation: str
) -> None:
    require(ACTIVE_ONLY_OPERATIONS[ENDINGS[state]](api, update_session), 204, ENDINGS[state])
    # Which state the ending reached is its own requirement's business (US-CANCEL-CANCELED,
    # US-COMPLETE-DONE, US-FAIL-ERROR); here only that the refusal leaves it as it was.
    judged_by = {"cancel": "US-CANCEL-CANCELED", "complete": "US-COMPLETE-DONE"}.get(
        ENDINGS[state], "US-FAIL-ERROR"
    )
    before = require_ended(api.update_sessions.get(update_session), ENDINGS[state], judged_by)
    verify.error(
        ACTIVE_ONLY_OPERATIONS[operation](api, update_session),
        requirement="US-NOT-ACTIVE-400",
        what=f"{operation} of a {state} update session",
    )
    after = get_state(api, verify, update_session, "US-NOT-ACTIVE-400")
    verify.that(
        after == before,
        "US-NOT-ACTIVE-400",
        f"a refused {operation} must not change the state",
        expected=before,
        actual=after,
    )


@pytest.mark.requirement("US-CANCEL-CANCELED")
def test_update_session_cancel_reaches_canceled(
    api: VcenterApi, update_session: str, verify: Verifier
) -> None:
    verify.void(api.update_sessions.cancel(update_session), "US-CANCEL-CANCELED", "cancel")
    state = get_state(api, verify, update_session, "US-CANCEL-CANCELED")
    verify.that(
        state == "CANCELED",
        "US-CANCEL-CANCELED",
        "cancel must reach CANCELED",
        expected="CANCELED",
        actual=state,
    )


@pytest.mark.requirement("US-FAIL-ERROR")
def test_update_session_fail_reaches_error_with_message(
    api: VcenterApi, update_session: str, verify: Verifier
) -> None:
    message = f"vcenter-conformance simulated client failure {uuid.uuid4().hex[:8]}"
    verify.void(api.update_sessions.fail(update_session, message), "US-FAIL-ERROR", "fail")
    body = get_model(api, verify, update_session, "US-FAIL-ERROR")
    verify.that(
        body.get("state") == "ERROR",
        "US-FAIL-ERROR",
        "fail must reach ERROR",
        expected="ERROR",
        actual=body.get("state"),
    )
    error_message = body.get("error_message")
    verify.that(
        isinstance(error_message, dict) and message in str(error_message),
        "US-FAIL-ERROR",
        "error_message must carry the client's message",
        expected=f"a LocalizableMessage containing {message!r}",
        actual=error_message,
    )


@pytest.mark.requirement("US-PATCH-WARNING-ONLY")
def test_update_session_patch_changes_only_warning_behavior(
    api: VcenterApi, sandbox: Sandbox, item: str, update_session: str, verify: Verifier
) -> None:
    req = "US-PATCH-WARNING-ONLY"
    before = get_model(api, verify, update_session, req)
    verify.void(
        api.update_sessions.update(update_session, {"warning_behavior": WARNING_BEHAVIOR}),
        req,
        "update with warning_behavior",
    )
    after = get_model(api, verify, update_session, req)
    verify.that(
        has_entries(after.get("warning_behavior"), WARNING_BEHAVIOR),
        req,
        "update must set warning_behavior (every entry sent, in any order)",
        expected=WARNING_BEHAVIOR,
        actual=after.get("warning_behavior"),
    )
    # Fields "not used for the update operation": ignored (204) or refused (400
    # INVALID_ARGUMENT) are both within the docs; changing them is not.
    other_item = sandbox.new_item()
    attempt = api.update_sessions.update(
        update_session,
        {
            "warning_behavior": WARNING_BEHAVIOR,
            "client_progress": 42,
            "state": "DONE",
            "library_item_id": other_item,
        },
    )
    if not 200 <= attempt.status < 300:
        verify.error(
            attempt,
            requirement=req,
            what="update with properties the update operation does not use",
        )
    final = get_model(api, verify, update_session, req)
    for key in ("state", "client_progress", "library_item_id", "library_item_content_version"):
        verify.that(
            final.get(key) == before.get(key),
            req,
            f"update must not change {key}",
            expected=before.get(key),
            actual=final.get(key),
            exchange=attempt,
        )


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
    verify.error(
        api.update_sessions.update(update_session, {"warning_behavior": "not-a-list"}),
        requirement="US-PATCH-INVALID-400",
        what="update with a warning_behavior that is not a list",
    )


@pytest.mark.requirement("US-KEEPALIVE-EXTENDS")
def test_update_session_keep_alive_extends_expiration(
    api: VcenterApi, update_session: str, verify: Verifier, settings: Any
) -> None:
    req = "US-KEEPALIVE-EXTENDS"
    before = get_model(api, verify, update_session, req).get("expiration_time")
    time.sleep(settings.keepalive_wait)
    verify.void(api.update_sessions.keep_alive(update_session), req, "keep-alive")
    after = get_model(api, verify, update_session, req).get("expiration_time")
    verify.that(
        moved_forward(before, after, req),
        req,
        "keep-alive must move expiration_time forward",
        expected=f"later than {before}",
        actual=after,
    )


@pytest.mark.requirement("US-KEEPALIVE-PROGRESS")
def test_update_session_keep_alive_records_progress(
    api: VcenterApi, update_session: str, verify: Verifier
) -> None:
    req = "US-KEEPALIVE-PROGRESS"
    verify.void(
        api.update_sessions.keep_alive(update_session, client_progress=50),
        req,
        "keep-alive with progress",
    )
    progress = get_model(api, verify, update_session, req).get("client_progress")
    verify.that(
        progress == 50, req, "keep-alive must record client_progress", expected=50, actual=progress
    )


@pytest.mark.requirement("US-CLIENT-TOKEN-IDEMPOTENT")
@pytest.mark.parametrize("where", ["query", "header"])
def test_update_session_create_with_same_client_token_returns_same_id(
    api: VcenterApi, sandbox: Sandbox, item: str, verify: Verifier, where: str
) -> None:
    req = "US-CLIENT-TOKEN-IDEMPOTENT"
    token = str(uuid.uuid4())
    in_header = where == "header"
    first = api.update_sessions.create(
        {"library_item_id": item}, client_token=token, token_in_header=in_header
    )
    sandbox.track_created(first, "update")
    first_id = verify.success(
        first, range(200, 300), req, f"create with a client_token in the {where}"
    )
    again = api.update_sessions.create(
        {"library_item_id": item}, client_token=token, token_in_header=in_header
    )
    sandbox.track_created(again, "update")
    verify.success(again, (200, 201), req, "the same create repeated with the same client_token")
    verify.that(
        again.json == first_id,
        req,
        "a create repeated with the same client_token must return the same id",
        expected=first_id,
        actual=again.json,
        exchange=again,
    )


def _remaining_seconds(exchange: Exchange, body: Any, requirement: str) -> float | None:
    """Seconds from the answer's Date header to expiration_time (None: no Date header)."""
    served = read_http_date(exchange.header("Date"))
    if served is None:
        return None
    expires = instant(body.get("expiration_time"), "expiration_time", requirement)
    return (expires - served).total_seconds()


@pytest.mark.requirement("US-EXPIRATION-DEFAULT")
def test_update_session_expires_five_minutes_after_creation_by_default(
    api: VcenterApi, update_session: str, verify: Verifier, settings: Any
) -> None:
    req = "US-EXPIRATION-DEFAULT"
    exchange = api.update_sessions.get(update_session)
    body = verify.success(exchange, 200, req, "get of a new update session")
    remaining = _remaining_seconds(exchange, body, req)
    if remaining is None:
        pytest.skip("the target sends no Date header to compare expiration_time with")
    # vCenter's default is five minutes; a target configured otherwise says so
    # with session_timeout. Within 20% (at least 5 s): Date has whole seconds.
    timeout = settings.expected_session_timeout
    slack = max(timeout * 0.2, 5.0)
    verify.that(
        timeout - slack <= remaining <= timeout + slack,
        req,
        f"a new session should expire {timeout:g} s after its creation (session_timeout; "
        "vCenter's default is five minutes)",
        expected=f"expiration_time {timeout - slack:.0f}-{timeout + slack:.0f} s after the "
        "answer's Date",
        actual=f"{remaining:.0f} s after it (expiration_time {body.get('expiration_time')})",
        exchange=exchange,
    )


@pytest.mark.judged_last
@pytest.mark.requirement("US-EXPIRY-DELETES")
def test_update_session_expires_without_activity(
    api: VcenterApi, expiry_probe: ExpiryProbe, verify: Verifier, settings: Any
) -> None:
    """The probe session was made when the run started and left alone since: by now
    little of its lifetime is left to wait (run last, see conftest)."""
    req = "US-EXPIRY-DELETES"
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
    time.sleep(max(left, 0) + 1.5)  # Date and expiration_time have whole seconds
    after = poll(  # a 200 means the session is still there: poll until another answer
        lambda: api.update_sessions.get(expiry_probe.session_id),
        lambda _body: True,
        deadline - time.monotonic(),
    )
    verify.error(
        after,
        requirement=req,
        what=f"get {grace - (deadline - time.monotonic()):.0f} s after expiration_time",
    )
