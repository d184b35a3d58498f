"""The legacy /rest wire form itself: what the /api wire requirements say, in /rest's words.

On /rest the client reads each answer as its /api operation would have answered
(``Exchange.wire`` keeps what went over the wire), so the scenario tests judge the
same meaning in both dialects. These tests judge the raw /rest form that the /api
wire requirements (201 for create, 204 for void, the bare error struct) cannot.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import pytest

from conformance.client import Exchange, UpdateSessionApi, VcenterApi

from ._sessions import cancel_then_delete
from ._verify import Verifier

pytestmark = pytest.mark.dialect(
    "rest", reason="the /rest wire form; /api has its own wire requirements"
)

_ERROR_TYPE_PREFIX = "com.vmware.vapi.std.errors."


def _wire(exchange: Exchange) -> Exchange:
    """What went over the wire (the /rest exchange behind the /api reading)."""
    return exchange.wire if exchange.wire is not None else exchange


def verify_value_envelope(verify: Verifier, exchange: Exchange, value: type, form: str) -> None:
    """A /rest answer of 200 whose body is exactly ``{"value": <a value of type value>}``."""
    wire = _wire(exchange)
    verify.status(wire, 200, f"{exchange.method} {urlsplit(exchange.url).path} on /rest")
    body = wire.json
    verify.that(
        isinstance(body, dict) and set(body) == {"value"} and isinstance(body["value"], value),
        f"the /rest answer must be {form}",
        expected=form,
        actual=wire.response_text[:200],
    )


@pytest.mark.requirement("REST-CREATE-VALUE")
def test_rest_create_answers_200_with_the_id_in_value(
    api: VcenterApi, item: str, verify: Verifier
) -> None:
    created = api.update_sessions.create({"library_item_id": item})
    verify_value_envelope(verify, created, str, '{"value": "<id>"}')


@pytest.mark.requirement("REST-GET-VALUE")
def test_rest_get_answers_200_with_the_model_in_value(
    api: VcenterApi, update_session: str, verify: Verifier
) -> None:
    got = api.update_sessions.get(update_session)
    verify_value_envelope(verify, got, dict, '{"value": {...the model...}}')


VOID_OPERATIONS: dict[str, Callable[[UpdateSessionApi, str], Exchange]] = {
    "keep-alive": lambda sessions, sid: sessions.keep_alive(sid),
    "cancel": lambda sessions, sid: sessions.cancel(sid),
    "delete": cancel_then_delete,
}


@pytest.mark.requirement("REST-VOID-200")
@pytest.mark.parametrize("operation", list(VOID_OPERATIONS))
def test_rest_void_operations_answer_200(
    api: VcenterApi, update_session: str, verify: Verifier, operation: str
) -> None:
    wire = _wire(VOID_OPERATIONS[operation](api.update_sessions, update_session))
    verify.status(wire, 200, f"update session {operation} on /rest")
    verify.that(
        not wire.response_text.strip() or wire.json_or(None) == {"value": None},
        f"update session {operation} on /rest: a void operation returns no value",
        expected="no body",
        actual=wire.response_text[:200],
    )


@pytest.mark.requirement("REST-ERROR-ENVELOPE")
def test_rest_errors_are_wrapped_in_type_and_value(
    api: VcenterApi, unknown_update_session_id: str, verify: Verifier
) -> None:
    wire = _wire(api.update_sessions.get(unknown_update_session_id))
    verify.status(wire, 404, "update session get of an unknown id on /rest")
    body = wire.json
    verify.that(
        isinstance(body, dict)
        and set(body) == {"type", "value"}
        and isinstance(body["type"], str)
        and body["type"].startswith(_ERROR_TYPE_PREFIX)
        and isinstance(body["value"], dict)
        and isinstance(body["value"].get("messages"), list),
        'a /rest error must be {"type": "com.vmware.vapi.std.errors.<x>", "value": '
        '{"messages": [...], ...}}',
        expected='{"type": "com.vmware.vapi.std.errors.not_found", "value": {...}}',
        actual=wire.response_text[:300],
    )
    error_type = body["value"].get("error_type")
    verify.that(
        body["type"] == _ERROR_TYPE_PREFIX + "not_found" and error_type in (None, "NOT_FOUND"),
        "an unknown id on /rest is com.vmware.vapi.std.errors.not_found "
        "(error_type NOT_FOUND where it is set)",
        expected="not_found / NOT_FOUND",
        actual=f"{body['type']} / {error_type}",
    )
