"""The wire rules every operation shares: error bodies, content types, 204s, bad JSON.

Seed page 003 (the vAPI Error schema), contract.md §6, §7.1 and §10.13.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conformance.checks import check_error_body, check_json_content_type
from conformance.client import (
    UPDATE_SESSION_PATH,
    Exchange,
    UpdateSessionApi,
    VcenterApi,
    VcenterClient,
)
from conformance.sandbox import Sandbox

from ._sessions import cancel_then_delete
from ._unknown_ids import UnknownIds
from ._verify import Verifier

ErrorCase = Callable[[VcenterApi, VcenterClient, Sandbox, UnknownIds], Exchange]

# Requests every conforming target answers with a vAPI error (and its documented status).
ERROR_CASES: dict[str, tuple[int, ErrorCase]] = {
    "not-found": (
        404,
        lambda api, client, box, unknown: api.update_sessions.get(unknown.of("update_session")),
    ),
    "not-allowed": (
        400,
        lambda api, client, box, unknown: api.update_sessions.delete(
            box.new_update_session(box.new_item())
        ),
    ),
    "invalid-argument": (400, lambda api, client, box, unknown: api.update_sessions.create({})),
    "unauthenticated": (
        401,
        lambda api, client, box, unknown: client.request(
            "GET", "/api/content/library/item/update-session", auth=False
        ),
    ),
    "download-not-found": (
        404,
        lambda api, client, box, unknown: api.download_sessions.delete(
            unknown.of("download_session")
        ),
    ),
}


@pytest.mark.requirement("ERR-BODY-SCHEMA", "WIRE-JSON-CONTENT-TYPE")
@pytest.mark.parametrize("case", list(ERROR_CASES))
def test_error_bodies_are_vapi_standard_errors(
    api: VcenterApi,
    client: VcenterClient,
    sandbox: Sandbox,
    verify: Verifier,
    _unknown_ids: UnknownIds,
    case: str,
) -> None:
    _status, send = ERROR_CASES[case]
    exchange = send(api, client, sandbox, _unknown_ids)
    # The status itself is judged by the operation's own requirement.
    if exchange.status < 400:
        pytest.skip(f"{case}: the target answered {exchange.status}, no error to judge")
    verify.soft(check_json_content_type, exchange)
    verify.soft(check_error_body, exchange)


VOID_OPERATIONS: dict[str, Callable[[UpdateSessionApi, str], Exchange]] = {
    "keep-alive": lambda sessions, sid: sessions.keep_alive(sid),
    "update": lambda sessions, sid: sessions.update(
        sid, {"warning_behavior": [{"type": "EXPIRED_CERTIFICATE", "ignored": True}]}
    ),
    "cancel": lambda sessions, sid: sessions.cancel(sid),
    "delete": cancel_then_delete,
}


@pytest.mark.requirement("WIRE-VOID-204")
@pytest.mark.dialect("api", reason="/rest answers void operations 200 (REST-VOID-200 judges it)")
@pytest.mark.parametrize("operation", list(VOID_OPERATIONS))
def test_void_operations_answer_204_without_body(
    api: VcenterApi, update_session: str, verify: Verifier, operation: str
) -> None:
    verify.void(VOID_OPERATIONS[operation](api.update_sessions, update_session), operation)


MALFORMED_BODIES = {
    "not-json": "{library_item_id: ",
    "json-array": "[]",
    "json-string": '"library_item_id"',
    "wrong-type": '{"library_item_id": 12345}',
    # an existing item, so that no other fault (an unknown item) can decide the answer
    "nested-wrong-type": '{"library_item_id": "<item>", "warning_behavior": {"type": 1}}',
}

#: the bodies that are JSON objects: a create spec whose values have the wrong type
SPEC_OBJECTS = ("wrong-type", "nested-wrong-type")


@pytest.mark.requirement("WIRE-MALFORMED-JSON-400")
@pytest.mark.parametrize("body", list(MALFORMED_BODIES))
def test_malformed_json_is_invalid_argument(
    client: VcenterClient, sandbox: Sandbox, verify: Verifier, dialect: str, body: str
) -> None:
    data = MALFORMED_BODIES[body]
    if "<item>" in data:
        data = data.replace("<item>", sandbox.new_item())
    if dialect == "rest" and body in SPEC_OBJECTS:
        # /rest takes the spec under its parameter name: unwrapped, the body would be a
        # create without create_spec (another fault), not a spec with a wrong type.
        data = f'{{"create_spec": {data}}}'
    created = client.request("POST", UPDATE_SESSION_PATH, data=data)
    verify.error(created, f"create with a {body} body")
