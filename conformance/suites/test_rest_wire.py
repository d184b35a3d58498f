"""The legacy /rest wire form itself: what the /api wire requirements say, in /rest's words.

On /rest the client reads each answer as its /api operation would have answered
(``Exchange.wire`` keeps what went over the wire), so the scenario tests judge the
same meaning in both dialects. These tests judge the raw /rest form that the /api
wire requirements (201 for create, 204 for void, the bare error struct) cannot.
"""

from __future__ import annotations

import pytest

from conformance.checks import check_status, check_that
from conformance.client import Exchange, VcenterApi
from conformance.sandbox import Sandbox

pytestmark = pytest.mark.dialect(
    "rest", reason="the /rest wire form; /api has its own wire requirements"
)

_ERROR_TYPE_PREFIX = "com.vmware.vapi.std.errors."


def _wire(exchange: Exchange) -> Exchange:
    """What went over the wire (the /rest exchange behind the /api reading)."""
    return exchange.wire if exchange.wire is not None else exchange


@pytest.mark.requirement("REST-CREATE-VALUE")
def test_rest_create_answers_200_with_the_id_in_value(api: VcenterApi, item: str) -> None:
    wire = _wire(api.update_sessions.create({"library_item_id": item}))
    check_status(wire, 200, "REST-CREATE-VALUE", "update session create on /rest")
    body = wire.json
    check_that(
        isinstance(body, dict) and set(body) == {"value"} and isinstance(body["value"], str),
        "REST-CREATE-VALUE",
        'the /rest create answer must be {"value": "<id>"}',
        expected='{"value": "<id>"}',
        actual=wire.response_text[:200],
        exchange=wire,
    )


@pytest.mark.requirement("REST-GET-VALUE")
def test_rest_get_answers_200_with_the_model_in_value(api: VcenterApi, update_session: str) -> None:
    wire = _wire(api.update_sessions.get(update_session))
    check_status(wire, 200, "REST-GET-VALUE", "update session get on /rest")
    body = wire.json
    check_that(
        isinstance(body, dict) and set(body) == {"value"} and isinstance(body["value"], dict),
        "REST-GET-VALUE",
        'the /rest get answer must be {"value": {...the model...}}',
        expected='{"value": {...}}',
        actual=wire.response_text[:200],
        exchange=wire,
    )


@pytest.mark.requirement("REST-VOID-200")
@pytest.mark.parametrize("operation", ["keep-alive", "cancel", "delete"])
def test_rest_void_operations_answer_200(api: VcenterApi, sandbox: Sandbox, operation: str) -> None:
    session = sandbox.new_update_session(sandbox.new_item())
    if operation == "keep-alive":
        exchange = api.update_sessions.keep_alive(session)
    elif operation == "cancel":
        exchange = api.update_sessions.cancel(session)
    else:
        api.update_sessions.cancel(session)
        exchange = api.update_sessions.delete(session)
    wire = _wire(exchange)
    check_status(wire, 200, "REST-VOID-200", f"update session {operation} on /rest")
    body = wire.json_or(None)
    check_that(
        not wire.response_text.strip() or body == {"value": None},
        "REST-VOID-200",
        f"update session {operation} on /rest: a void operation returns no value",
        expected="no body",
        actual=wire.response_text[:200],
        exchange=wire,
    )


@pytest.mark.requirement("REST-ERROR-ENVELOPE")
def test_rest_errors_are_wrapped_in_type_and_value(
    api: VcenterApi, unknown_update_session_id: str
) -> None:
    wire = _wire(api.update_sessions.get(unknown_update_session_id))
    check_status(wire, 404, "REST-ERROR-ENVELOPE", "update session get of an unknown id on /rest")
    body = wire.json
    check_that(
        isinstance(body, dict)
        and set(body) == {"type", "value"}
        and isinstance(body["type"], str)
        and body["type"].startswith(_ERROR_TYPE_PREFIX)
        and isinstance(body["value"], dict)
        and isinstance(body["value"].get("messages"), list),
        "REST-ERROR-ENVELOPE",
        'a /rest error must be {"type": "com.vmware.vapi.std.errors.<x>", "value": '
        '{"messages": [...], ...}}',
        expected='{"type": "com.vmware.vapi.std.errors.not_found", "value": {...}}',
        actual=wire.response_text[:300],
        exchange=wire,
    )
    error_type = body["value"].get("error_type")
    check_that(
        body["type"] == _ERROR_TYPE_PREFIX + "not_found" and error_type in (None, "NOT_FOUND"),
        "REST-ERROR-ENVELOPE",
        "an unknown id on /rest is com.vmware.vapi.std.errors.not_found "
        "(error_type NOT_FOUND where it is set)",
        expected="not_found / NOT_FOUND",
        actual=f"{body['type']} / {error_type}",
        exchange=wire,
    )
