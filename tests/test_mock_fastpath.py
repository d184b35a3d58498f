"""The mock's front door (``fastpath.py``) answers exactly as the Starlette stack behind it.

Two proofs: ``ShapeTable`` picks the route and path parameters Starlette's router picks (or
hands over), and a script of requests (successes, every error kind, odd bodies, paths and
methods) gets byte-identical answers through the front door and behind it, with no flaw
and with each flaw and each variant on.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from mock_fixtures import count_ids
from starlette.datastructures import QueryParams
from starlette.routing import Match, Route, Router

from conformance.mock import FLAWS, FakeClock, MockSettings, create_app
from conformance.mock.fastpath import LeanRequest, ShapeTable
from conformance.mock.faults import Faults
from conformance.mock.routes import ROUTES
from conformance.mock.variants import VARIANTS

USER, PASSWORD = "administrator@vsphere.local", "secret"
ITEM = "/api/content/library/item"
US = ITEM + "/update-session"
DS = ITEM + "/download-session"
SID = "0b7e0f4a-1f0e-4b55-9a7c-3c2d0c6f3a10"
LEGACY = "/rest/com/vmware/content/library/item/update-session"

PATHS = [
    US,
    US + "/",
    f"{US}/{SID}",
    f"{US}/{SID}/",
    f"{US}//file",
    f"{US}/{SID}/file",
    f"{US}/{SID}/file/",
    f"{US}/{SID}/file/x.iso",
    f"{US}/{SID}/file/dir/x.iso",
    f"{US}/{SID}/file//x",
    DS,
    f"{DS}/{SID}",
    f"{DS}/{SID}/file",
    f"{DS}/{SID}/file/x",
    ITEM,
    f"{ITEM}/{SID}",
    f"{ITEM}/{SID}/file",
    f"{ITEM}/{SID}/file/x",
    ITEM + "/update-sessionX",
    "/api/content/local-library",
    f"/api/content/local-library/{SID}",
    "/api/vcenter/datastore",
    "/api/appliance/system/version",
    "/api/session",
    "/api/session/",
    "/api",
    "/api/",
    "/api//",
    "/apis/session",
    "/rest/com/vmware/cis/session",
    "/rest/",
    "/rest",
    "/rest//x",
    "/cls/data/token/name.iso",
    "/mock-api/reset",
    "/nowhere",
    "/",
]
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _starlette_choice(method: str, path: str) -> tuple[Any, dict[str, Any]] | None:
    """The endpoint and path parameters of Starlette's full match, if it is an /api route."""
    scope = {"type": "http", "path": path, "method": method, "root_path": ""}
    for route in Router(ROUTES).routes:
        match, child = route.matches(scope)
        if match is Match.FULL:
            table = getattr(route, "table", None)
            doors = ("/api", "/rest/")  # the REST resources, JSON-RPC and /rest
            if table is None or not isinstance(route, Route) or not route.path.startswith(doors):
                return None
            return table[method], child["path_params"]
    return None  # a 405 or a 404: Starlette's to answer


@pytest.mark.parametrize("path", PATHS)
def test_the_shape_table_picks_starlettes_route(path: str) -> None:
    table = ShapeTable(ROUTES)
    for method in METHODS:
        assert table.match(method, path) == _starlette_choice(method, path), (method, path)


def test_the_shape_table_refuses_a_route_it_could_not_match_exactly() -> None:
    async def endpoint(request: Any) -> Any:
        raise AssertionError

    from conformance.mock.routes import resource

    for path in ("/api/x/{n:int}", "/api/x/{tail:path}/more", "/api/x-{n}"):
        with pytest.raises(ValueError):
            ShapeTable([resource(path, get=endpoint)])
    with pytest.raises(ValueError, match="method table"):
        ShapeTable([Route("/api/plain", endpoint)])


@pytest.mark.parametrize(
    "query",
    [b"", b"action=complete", b"a&b=&=c&&d=1=2&a=2", b"x=%41", b"a+b=c", b"k=\xe9", b"&", b"="],
)
def test_the_lean_query_is_starlettes(query: bytes) -> None:
    lean = LeanRequest({"type": "http", "query_string": query}).query_params
    plain = QueryParams(query)
    assert type(lean) is QueryParams
    assert lean.multi_items() == plain.multi_items()
    assert dict(lean) == dict(plain) and str(lean) == str(plain)
    for key in ("a", "action", "", "x", "a b", "k", "missing"):
        assert lean.get(key) == plain.get(key) and lean.getlist(key) == plain.getlist(key)


# -- the same answers through both doors ------------------------------------------------


@pytest.fixture
def fixed_ids(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Ids and tokens from a counter; calling the fixture's value restarts it, so two
    apps given the same requests answer with the same ids."""
    return count_ids(monkeypatch)


Exchange = tuple[int, list[tuple[bytes, bytes]], bytes]


async def _call(
    app: Any, method: str, path: str, body: bytes, headers: list[tuple[bytes, bytes]], query: bytes
) -> Exchange:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"mock.test"), *headers],
        "client": ("127.0.0.1", 5),
        "server": ("mock.test", 80),
        "state": {},
        "extensions": {},
    }
    chunks = [body[:7], body[7:]] if len(body) > 7 else [body]  # a body in two messages

    async def receive() -> dict[str, Any]:
        if chunks:
            chunk = chunks.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}
        return {"type": "http.disconnect"}

    status, out_headers, out = 0, [], b""

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, out_headers, out
        if message["type"] == "http.response.start":
            status, out_headers = message["status"], list(message.get("headers", []))
        else:
            out += message.get("body", b"")

    await app(scope, receive, send)
    return status, out_headers, out


def _rpc(operation: str, fields: dict[str, str]) -> dict[str, Any]:
    """A JSON-RPC ``invoke`` of an update-session operation (the session header is sent)."""
    return {
        "jsonrpc": "2.0",
        "method": "invoke",
        "id": "7",
        "params": {
            "serviceId": "com.vmware.content.library.item.update_session",
            "operationId": operation,
            "input": {"STRUCTURE": {"operation-input": fields}},
            "ctx": {"appCtx": {}},
        },
    }


def _script() -> list[tuple[str, str, Any, dict[str, str], str]]:
    """(method, path, body, headers, query); ``{name}`` in a path or a body is the JSON
    answer of the step stored under that name (see ``_run``)."""
    backing = [{"type": "DATASTORE", "datastore_id": "datastore-101"}]
    json_h = {"content-type": "application/json"}
    return [
        ("GET", US, None, {}, ""),  # no session header: 401
        ("POST", "/api/content/local-library", {"name": "l", "storage_backings": backing}, {}, ""),
        ("POST", ITEM, {"library_id": "{lib}", "name": "i"}, {}, ""),
        ("POST", ITEM, {"library_id": "{lib}", "name": "j"}, {}, ""),
        ("POST", US, {"library_item_id": "{item}"}, json_h, ""),
        ("POST", US, {"library_item_id": "{item}"}, {}, ""),  # a second ACTIVE one
        ("GET", f"{US}/{{us}}", None, {}, ""),
        ("POST", "/api", _rpc("get", {"update_session_id": "{us}"}), {}, ""),  # JSON-RPC
        ("POST", "/api", _rpc("get", {"update_session_id": SID}), {}, ""),
        ("POST", "/api", _rpc("explode", {}), {}, ""),
        ("POST", "/api", b"{", {}, ""),
        ("GET", "/api", None, {}, ""),  # 405
        ("GET", f"{LEGACY}/id:{{us}}", None, {}, ""),  # the /rest dialect
        ("POST", f"{LEGACY}/id:{{us}}", None, {}, "~action=keep-alive"),
        ("GET", f"{LEGACY}/id:{SID}", None, {}, ""),
        ("GET", "/rest/nowhere", None, {}, ""),
        ("HEAD", f"{US}/{{us}}", None, {}, ""),
        ("GET", US, None, {}, ""),
        ("GET", US, None, {}, "library_item_id={item}"),
        ("GET", US, None, {}, "library_item_id=%7Bnope%7D"),
        ("GET", f"{US}/{SID}", None, {}, ""),
        ("GET", f"{US}/not-an-id", None, {}, ""),
        ("PATCH", f"{US}/{{us}}", {"client_progress": 5}, {}, ""),
        ("PATCH", f"{US}/{{us}}", {"client_progress": "five"}, {}, ""),
        ("PATCH", f"{US}/{{us}}", b"", {}, ""),
        ("PATCH", f"{US}/{{us}}", {"warning_behavior": [{"type": "X", "ignored": 1}]}, {}, ""),
        ("PATCH", f"{US}/{{us}}", {"warning_behavior": []}, {}, ""),
        ("POST", f"{US}/{{us}}", None, {}, "action=keep-alive"),
        ("POST", f"{US}/{{us}}", {"client_progress": 101}, {}, "action=keep-alive"),
        ("POST", f"{US}/{{us}}", None, {}, "action=explode"),
        ("POST", f"{US}/{{us}}", None, {}, ""),
        ("POST", f"{US}/{{us}}", None, {}, "action"),
        ("POST", f"{US}/{{us}}", None, {}, "action=com%70lete"),
        ("POST", f"{US}/{{us}}", None, {}, "action=complete&action=cancel"),
        ("DELETE", f"{US}/{{us}}", None, {}, ""),
        ("POST", f"{US}/{{us}}", None, {}, "action=complete"),
        ("POST", f"{US}/{{us}}", None, {}, "action=complete"),
        ("DELETE", f"{US}/{{us}}", None, {}, ""),
        ("DELETE", f"{US}/{{us}}", None, {}, ""),
        ("POST", US, {"library_item_id": "{item}", "x": 1}, {"client-token": SID}, ""),
        ("POST", US, {"library_item_id": "{item}"}, {}, f"client_token={SID}"),
        ("POST", US, {"library_item_id": "{item}"}, {}, "client_token=nope"),
        ("POST", f"{US}/{{us2}}", {"client_error_message": "boom"}, {}, "action=fail"),
        ("POST", f"{US}/{{us2}}", None, {}, "action=cancel"),
        ("POST", US, b"", {}, ""),
        ("POST", US, b"{", {}, ""),
        ("POST", US, b"[]", {}, ""),
        ("POST", US, b"null", {}, ""),
        ("POST", US, b'\xef\xbb\xbf{"library_item_id": "x"}', {}, ""),
        ("POST", US, b'{"library_item_id": "x\\ud800"}', {}, ""),
        ("POST", US, b'{"library_item_id": 12345678901234567890123}', {}, ""),
        ("POST", US, b'{"library_item_id": NaN}', {}, ""),
        ("POST", US, b'{"library_item_id": "\xff"}', {}, ""),
        ("POST", US, {"library_item_id": "{item2}", "warning_behavior": "no"}, {}, ""),
        ("POST", US, {"library_item_id": SID}, {}, ""),
        ("POST", US, {}, {}, ""),
        ("POST", US, b"x" * 2048, {"content-length": "2048"}, ""),
        ("POST", US, {"library_item_id": "{item2}"}, {}, ""),
        ("POST", f"{US}/{{us3}}/file", {"name": "a.iso", "source_type": "PUSH"}, {}, "action=add"),
        ("GET", f"{US}/{{us3}}/file", None, {}, ""),
        ("GET", f"{US}/{{us3}}/file/a.iso", None, {}, ""),
        ("GET", f"{US}/{{us3}}/file/dir/a.iso", None, {}, ""),
        ("GET", f"{US}/{{us3}}/file/", None, {}, ""),
        ("POST", f"{US}/{{us3}}/file", None, {}, "action=validate"),
        ("DELETE", f"{US}/{{us3}}/file/a.iso", None, {}, ""),
        ("POST", f"{US}/{{us3}}", None, {}, "action=complete"),
        ("POST", DS, {"library_item_id": "{item2}"}, {}, ""),
        ("GET", f"{DS}/{{ds}}", None, {}, ""),
        ("GET", f"{DS}/{{ds}}/file", None, {}, ""),
        ("POST", f"{DS}/{{ds}}", None, {}, "action=keep-alive"),
        ("DELETE", f"{DS}/{{ds}}", None, {}, ""),
        ("GET", f"{ITEM}/{{item}}", None, {}, ""),
        ("GET", f"{ITEM}/{{item}}/file", None, {}, ""),
        ("GET", ITEM, None, {}, "library_id={lib}"),
        ("GET", "/api/content/local-library", None, {}, ""),
        ("GET", "/api/vcenter/datastore", None, {}, ""),
        ("GET", "/api/appliance/system/version", None, {}, ""),
        ("PUT", US, None, {}, ""),  # 405 (Starlette's, behind both doors)
        ("GET", US + "/", None, {}, ""),  # 404
        ("GET", "/api/session", None, {}, ""),
        ("DELETE", f"{ITEM}/{{item}}", None, {}, ""),
        ("GET", f"{US}/{{us}}", None, {}, ""),
        ("DELETE", "/api/session", None, {}, ""),
        ("GET", "/api/session", None, {}, ""),
    ]


_NAMES = {
    "/api/content/local-library": ["lib"],
    ITEM: ["item", "item2"],
    US: ["us", "us2", "us3"],
    DS: ["ds"],
}


def _value(body: bytes) -> str:
    """A created id or token (wrapped in ``{"value": ...}`` under a flaw)."""
    value = json.loads(body)
    return str(value["value"] if isinstance(value, dict) else value)


async def _run(app: Any) -> list[Exchange]:
    basic = base64.b64encode(f"{USER}:{PASSWORD}".encode())
    login = await _call(
        app, "POST", "/api/session", b"", [(b"authorization", b"Basic " + basic)], b""
    )
    token = _value(login[2]).encode()
    values: dict[str, str] = {}
    pending = {path: list(names) for path, names in _NAMES.items()}
    out = [login]
    for method, path, body, headers, query in _script():
        for name, value in values.items():
            path = path.replace("{" + name + "}", value)
            query = query.replace("{" + name + "}", value)
        if isinstance(body, dict):
            raw = json.dumps(body).encode()
            for name, value in values.items():
                raw = raw.replace(b"{" + name.encode() + b"}", value.encode())
        else:
            raw = body or b""
        sent = [(name.encode(), value.encode()) for name, value in headers.items()]
        if raw and "content-length" not in headers:
            sent.append((b"content-length", str(len(raw)).encode()))
        if (method, path, query) != ("GET", US, "") or out[1:]:  # the first GET goes bare
            sent.append((b"vmware-api-session-id", token))
        exchange = await _call(app, method, path, raw, sent, query.encode())
        out.append(exchange)
        names = pending.get(path)
        if method == "POST" and not query and names and exchange[0] in (200, 201):
            values[names.pop(0)] = _value(exchange[2])
    return out


def _both(restart: Callable[[], None], **settings: Any) -> tuple[list[Exchange], list[Exchange]]:
    """The script's answers through the front door, and behind it (a fresh app each)."""
    results = []
    for front in (True, False):
        app = create_app(
            MockSettings(
                user=USER, password=PASSWORD, clock=FakeClock(), max_body_bytes=1024, **settings
            )
        )
        restart()
        try:
            results.append(asyncio.run(_run(app if front else app.behind_the_door)))
        finally:
            app.backend.storage.close()
    return results[0], results[1]


def _assert_same(front: list[Exchange], behind: list[Exchange]) -> None:
    steps = ["login", *(f"{m} {p}?{q}" for m, p, _, _, q in _script())]
    assert len(front) == len(behind)
    for step, a, b in zip(steps, front, behind, strict=True):
        assert a == b, step


def test_both_doors_answer_alike(fixed_ids: Callable[[], None]) -> None:
    front, behind = _both(fixed_ids)
    _assert_same(front, behind)
    statuses = {status for status, _, _ in front}
    assert statuses == {200, 201, 204, 400, 401, 404, 405, 413, 500}, statuses


@pytest.mark.parametrize("flaw", sorted(FLAWS))
def test_both_doors_answer_alike_under_a_flaw(fixed_ids: Callable[[], None], flaw: str) -> None:
    front, behind = _both(fixed_ids, flaws=frozenset({flaw}))
    _assert_same(front, behind)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_both_doors_answer_alike_under_a_variant(
    fixed_ids: Callable[[], None], variant: str
) -> None:
    front, behind = _both(fixed_ids, variants=frozenset({variant}))
    _assert_same(front, behind)


def test_a_bug_is_the_same_vapi_500_through_the_front_door(
    fixed_ids: Callable[[], None],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from conformance.mock.handlers.sessions import no_body
    from conformance.mock.handlers.update_session import KIND

    def broken(store: Any, session_id: str) -> None:
        raise KeyError("a bug")

    actions = KIND.actions
    assert isinstance(actions, dict)
    monkeypatch.setitem(actions, "complete", no_body(broken))
    with caplog.at_level(logging.ERROR, logger="conformance.mock"):
        front, behind = _both(fixed_ids)
    _assert_same(front, behind)
    crashed = [body for status, _, body in front if b"internalServerError" in body]
    assert crashed and all(b"KeyError" in body for body in crashed)
    assert any("the mock failed on POST" in r.getMessage() for r in caplog.records)


def test_a_configured_fault_sends_every_request_behind_the_door() -> None:
    app = create_app(MockSettings(faults=Faults(unavailable_every=1)))
    status, _, body = asyncio.run(_call(app, "GET", f"{US}/{SID}", b"", [], b""))
    assert status == 503 and b"SERVICE_UNAVAILABLE" in body
    assert app.backend.fault_injector is not None and app.backend.fault_injector.matched == 1
    app.backend.storage.close()
