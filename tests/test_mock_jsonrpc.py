"""The mock's JSON-RPC 2.0 door at ``POST /api``, on the wire (contract §7.2).

What the official runtime sends and decodes (``json_connector.py``, ``serializers/jsonrpc.py``):
typed values (``STRUCTURE``, ``OPTIONAL``, ``SECRET``, ``ERROR``), the request id echoed,
vAPI errors inside ``result``; the SDK itself is driven in ``test_sdk_jsonrpc.py``.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
import requests
from mock_fixtures import PASSWORD, US, USER, Api

from conformance.mock import FakeClock, MockServer

pytest_plugins = ["mock_fixtures"]

USER_PASS = "com.vmware.vapi.std.security.user_pass"
SESSION_ID = "com.vmware.vapi.std.security.session_id"
US_SERVICE = "com.vmware.content.library.item.update_session"


def rpc(
    mock: MockServer,
    service: str,
    operation: str,
    fields: dict[str, Any] | None = None,
    *,
    security: dict[str, Any] | None = None,
    request_id: Any = "1",
    headers: dict[str, str] | None = None,
) -> requests.Response:
    params: dict[str, Any] = {
        "serviceId": service,
        "operationId": operation,
        "input": {"STRUCTURE": {"operation-input": fields or {}}},
        "ctx": {"appCtx": {"opId": "op-1"}},
    }
    if security is not None:
        params["ctx"]["securityCtx"] = security
    body = {"jsonrpc": "2.0", "method": "invoke", "id": request_id, "params": params}
    return requests.post(mock.url + "/api", json=body, headers=headers, timeout=10)


def result(response: requests.Response, request_id: Any = "1") -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert (body["jsonrpc"], body["id"]) == ("2.0", request_id)
    assert set(body) == {"jsonrpc", "id", "result"}, body
    out: dict[str, Any] = body["result"]
    return out


def session_of(token: str) -> dict[str, str]:
    return {"schemeId": SESSION_ID, "sessionId": token}


def error_fields(response: requests.Response, name: str) -> dict[str, Any]:
    """The fields of a typed standard error ``com.vmware.vapi.std.errors.<name>``."""
    error = result(response)["error"]
    assert list(error) == ["ERROR"]
    assert list(error["ERROR"]) == ["com.vmware.vapi.std.errors." + name]
    assert response.headers["vapi-error"] == "com.vmware.vapi.std.errors." + name
    fields: dict[str, Any] = error["ERROR"]["com.vmware.vapi.std.errors." + name]
    for message in fields["messages"]:
        (struct,) = message["STRUCTURE"].values()
        assert list(message["STRUCTURE"]) == ["com.vmware.vapi.std.localizable_message"]
        assert isinstance(struct["id"], str) and isinstance(struct["default_message"], str)
        assert struct["params"] == {"OPTIONAL": None}
    assert fields["data"] == {"OPTIONAL": None}
    return fields


def login(mock: MockServer) -> str:
    out = result(rpc(mock, "com.vmware.cis.session", "create", security=user_pass()))
    token: str = out["output"]["SECRET"]
    return token


def user_pass(password: str = PASSWORD) -> dict[str, str]:
    return {"schemeId": USER_PASS, "userName": USER, "password": password}


def test_jsonrpc_login_answers_a_secret_usable_on_rest(mock: MockServer, anon: Api) -> None:
    response = rpc(mock, "com.vmware.cis.session", "create", security=user_pass(), request_id="7")
    token = result(response, "7")["output"]["SECRET"]
    assert anon.get("/api/session", headers={"vmware-api-session-id": token}).status_code == 200


def test_jsonrpc_login_with_a_basic_header(mock: MockServer) -> None:
    basic = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    response = rpc(
        mock, "com.vmware.cis.session", "create", headers={"Authorization": "Basic " + basic}
    )
    assert set(result(response)["output"]) == {"SECRET"}


def test_jsonrpc_bad_password_is_an_unauthenticated_error(mock: MockServer) -> None:
    response = rpc(mock, "com.vmware.cis.session", "create", security=user_pass("wrong"))
    fields = error_fields(response, "unauthenticated")
    assert fields["error_type"] == {"OPTIONAL": "UNAUTHENTICATED"}
    assert fields["challenge"] == {"OPTIONAL": 'Basic realm="VAPI endpoint"'}


def test_jsonrpc_call_without_session_is_unauthenticated(mock: MockServer, api: Api) -> None:
    session_id = api.update_session()
    response = rpc(mock, US_SERVICE, "get", {"update_session_id": session_id})
    error_fields(response, "unauthenticated")


def test_jsonrpc_get_answers_the_typed_model(mock: MockServer, api: Api) -> None:
    session_id = api.update_session()
    response = rpc(
        mock,
        US_SERVICE,
        "get",
        {"update_session_id": session_id},
        security=session_of(api.token or ""),
    )
    output = result(response)["output"]
    model = output["STRUCTURE"]["com.vmware.content.library.item.update_session_model"]
    rest = api.us_get(session_id)
    assert model["state"] == {"OPTIONAL": "ACTIVE"}
    assert model["library_item_id"] == {"OPTIONAL": rest["library_item_id"]}
    assert model["client_progress"] == {"OPTIONAL": 0}
    assert model["expiration_time"] == {"OPTIONAL": rest["expiration_time"]}
    assert model["id"] == {"OPTIONAL": None}  # unset optionals are sent, as null
    assert model["error_message"] == {"OPTIONAL": None}
    preview = model["preview_info"]["OPTIONAL"]["STRUCTURE"]
    assert preview["com.vmware.content.library.item.updatesession.preview_info"]["state"] == (
        "NOT_APPLICABLE"
    )


def test_jsonrpc_shares_state_with_rest_and_legacy_rest(mock: MockServer, api: Api) -> None:
    token = login(mock)
    item_id = api.item()
    spec = {
        "STRUCTURE": {
            "com.vmware.content.library.item.update_session_model": {
                "library_item_id": {"OPTIONAL": item_id},
                "state": {"OPTIONAL": None},
                "warning_behavior": {
                    "OPTIONAL": [
                        {
                            "STRUCTURE": {
                                "com.vmware.content.library.item.updatesession.warning_behavior": {
                                    "type": "SELF_SIGNED_CERTIFICATE",
                                    "ignored": True,
                                }
                            }
                        }
                    ]
                },
            }
        }
    }
    created = rpc(
        mock,
        US_SERVICE,
        "create",
        {"client_token": {"OPTIONAL": None}, "create_spec": spec},
        security=session_of(token),
    )
    session_id = result(created)["output"]
    on_rest = api.us_get(session_id)
    assert on_rest["warning_behavior"] == [{"type": "SELF_SIGNED_CERTIFICATE", "ignored": True}]
    legacy = api.get(f"/rest/com/vmware/content/library/item/update-session/id:{session_id}")
    assert legacy.json()["value"]["state"] == "ACTIVE"
    completed = rpc(
        mock, US_SERVICE, "complete", {"update_session_id": session_id}, security=session_of(token)
    )
    assert result(completed) == {"output": None}  # void
    assert api.us_get(session_id)["state"] == "DONE"


def test_jsonrpc_documented_errors_carry_the_std_error_names(mock: MockServer, api: Api) -> None:
    auth = session_of(api.token or "")
    fields = error_fields(
        rpc(mock, US_SERVICE, "get", {"update_session_id": "nope"}, security=auth), "not_found"
    )
    assert fields["error_type"] == {"OPTIONAL": "NOT_FOUND"}
    session_id = api.update_session()
    item_id = api.us_get(session_id)["library_item_id"]
    spec = {"STRUCTURE": {"x": {"library_item_id": {"OPTIONAL": item_id}}}}
    busy = rpc(mock, US_SERVICE, "create", {"create_spec": spec}, security=auth)
    error_fields(busy, "resource_busy")
    delete = rpc(mock, US_SERVICE, "delete", {"update_session_id": session_id}, security=auth)
    nacs = error_fields(delete, "not_allowed_in_current_state")
    (message,) = nacs["messages"]
    assert message["STRUCTURE"]["com.vmware.vapi.std.localizable_message"]["args"] == [
        "delete",
        "ACTIVE",
    ]
    missing = rpc(mock, US_SERVICE, "get", {}, security=auth)
    error_fields(missing, "invalid_argument")


def test_jsonrpc_unknown_service_or_operation_is_operation_not_found(mock: MockServer) -> None:
    error_fields(rpc(mock, "com.vmware.vcenter.VM", "list"), "operation_not_found")
    error_fields(rpc(mock, US_SERVICE, "explode"), "operation_not_found")


def test_jsonrpc_session_header_wins_over_the_context(mock: MockServer, api: Api) -> None:
    session_id = api.update_session()
    response = rpc(
        mock,
        US_SERVICE,
        "get",
        {"update_session_id": session_id},
        security=session_of("bogus"),
        headers={"vmware-api-session-id": api.token or ""},
    )
    assert "output" in result(response)


@pytest.mark.parametrize(
    ("body", "code", "echoed"),
    [
        (b"{not json", -32700, False),
        (b'{"jsonrpc": "1.0", "method": "invoke", "id": "1"}', -32600, False),
        (b'{"jsonrpc": "2.0", "method": "explode", "id": "1"}', -32601, True),
        (b'{"jsonrpc": "2.0", "method": "invoke", "id": "1", "params": []}', -32602, True),
        (
            b'{"jsonrpc": "2.0", "method": "invoke", "id": "1", "params": {"serviceId": "s",'
            b' "operationId": "o", "input": {"STRUCTURE": {"a": {}, "b": {}}}}}',
            -32602,
            True,
        ),
    ],
)
def test_jsonrpc_malformed_envelopes_get_jsonrpc_errors(
    mock: MockServer, body: bytes, code: int, echoed: bool
) -> None:
    response = requests.post(mock.url + "/api", data=body, timeout=10)
    assert response.status_code == 200
    answer = response.json()
    assert answer["jsonrpc"] == "2.0" and answer["error"]["code"] == code
    assert answer["id"] == ("1" if echoed else None)


def test_jsonrpc_operation_header_must_match_the_payload(mock: MockServer) -> None:
    response = rpc(
        mock, US_SERVICE, "get", headers={"vapi-service": US_SERVICE, "vapi-operation": "list"}
    )
    assert response.json()["error"]["code"] == -31001


def test_jsonrpc_shows_a_mock_flaw(mock: MockServer, api: Api) -> None:
    """``get-includes-id`` reaches the JSON-RPC model; the /api-wire envelope flaw does not."""
    session_id = api.update_session()
    mock.backend.set_flaws({"get-includes-id", "success-legacy-envelope"})
    response = rpc(
        mock,
        US_SERVICE,
        "get",
        {"update_session_id": session_id},
        security=session_of(api.token or ""),
    )
    model = result(response)["output"]["STRUCTURE"][
        "com.vmware.content.library.item.update_session_model"
    ]
    assert model["id"] == {"OPTIONAL": session_id}


def test_jsonrpc_sees_the_fake_clock(mock: MockServer, api: Api, clock: FakeClock) -> None:
    session_id = api.update_session()
    auth = session_of(api.token or "")
    clock.advance(300)
    assert "output" in result(
        rpc(mock, US_SERVICE, "get", {"update_session_id": session_id}, security=auth)
    )
    clock.advance(1)
    error_fields(
        rpc(mock, US_SERVICE, "get", {"update_session_id": session_id}, security=auth), "not_found"
    )


def test_get_on_the_jsonrpc_path_is_405(anon: Api) -> None:
    """Only ``POST /api`` exactly is JSON-RPC; the REST routes below /api are untouched."""
    response = anon.get("/api")
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert anon.get(US).status_code == 401


def test_jsonrpc_ids_that_are_not_valid_unicode_are_invalid_arguments(
    mock: MockServer, api: Api
) -> None:
    """JSON can escape a lone surrogate; it must not reach a path or header as a crash."""
    auth = session_of(api.token or "")
    response = rpc(mock, US_SERVICE, "get", {"update_session_id": "\ud800"}, security=auth)
    error_fields(response, "invalid_argument")
    spec = {"STRUCTURE": {"x": {"library_item_id": {"OPTIONAL": api.item()}}}}
    fields = {"client_token": {"OPTIONAL": "€-token"}, "create_spec": spec}
    token = rpc(mock, US_SERVICE, "create", fields, security=auth)
    error_fields(token, "invalid_argument")  # not a UUID; and no crash on the header
