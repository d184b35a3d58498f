"""The mock's lean hot path answers exactly as the plain Starlette parts it replaces.

``MockRouter`` must pick the route Starlette's router picks (or fall back to it), and
``JsonAnswer`` must send the bytes and headers ``JSONResponse`` sends.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.responses import JSONResponse
from starlette.routing import Match, Router

from conformance.mock.handlers.common import JsonAnswer, parse_json
from conformance.mock.routes import ROUTES, MockRouter

SESSION = "0b7e0f4a-1f0e-4b55-9a7c-3c2d0c6f3a10"
PATHS = [
    "/api/content/library/item/update-session",
    f"/api/content/library/item/update-session/{SESSION}",
    f"/api/content/library/item/update-session/{SESSION}/file",
    f"/api/content/library/item/update-session/{SESSION}/file/dir/x.iso",
    "/api/content/library/item/download-session",
    f"/api/content/library/item/download-session/{SESSION}/file",
    "/api/content/library/item",
    "/api/content/library/item/update-sessionX",
    f"/api/content/library/item/{SESSION}",
    f"/api/content/library/item/{SESSION}/file",
    "/api/content/local-library",
    "/api/session",
    "/api",
    "/api/",
    "/rest/com/vmware/cis/session",
    "/cls/data/token/name.iso",
    "/cls/data/token",
    "/mock-api/reset",
    "/mock-api/state",
    "/nowhere",
    "/",
]
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _starlette_choice(path: str, method: str) -> tuple[Any, str]:
    """The route Starlette's own loop settles on, and how (full, partial, none)."""
    scope = {"type": "http", "path": path, "method": method, "root_path": ""}
    partial = None
    for route in Router(ROUTES).routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return route, "full"
        if match is Match.PARTIAL and partial is None:
            partial = route
    return (partial, "partial") if partial is not None else (None, "none")


def _first_pass_choice(path: str, method: str) -> Any:
    """The route ``MockRouter``'s first pass takes (None: it hands over to Starlette)."""
    scope = {"type": "http", "path": path, "method": method, "root_path": ""}
    router = MockRouter(ROUTES)
    for literal, exact, route in router._literal:
        if ((path == literal) if exact else path.startswith(literal)) and route.matches(scope)[
            0
        ] is Match.FULL:
            return route
    return None


@pytest.mark.parametrize("path", PATHS)
def test_the_router_first_pass_picks_starlettes_route(path: str) -> None:
    for method in METHODS:
        expected, how = _starlette_choice(path, method)
        chosen = _first_pass_choice(path, method)
        if how == "full":
            assert chosen is expected, (method, path)
        else:  # a 405 or a 404: Starlette's own pass answers
            assert chosen is None, (method, path)


VALUES: list[Any] = [
    {"state": "ACTIVE", "client_progress": 0, "nested": {"a": [1, 2.5, True, False]}},
    "5e5f8c69-f319-4c75-a3b5-9d1ace3e0bce",
    [],
    {},
    {"text": 'quotes " and \\ and \n and \u00e9 and \u2028 and \U0001f600 and \x01'},
    {"big": 2**70, "small": -(2**63)},
    {"absent": None},
    [1e16, 0.1, -0.0, 5.0, 123456789.125],
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
@pytest.mark.parametrize("status", [200, 201])
@pytest.mark.parametrize("media_type", ["application/json", "application/json; charset=utf-8"])
def test_a_json_answer_is_the_json_response(value: Any, status: int, media_type: str) -> None:
    fast = JsonAnswer(value, status, media_type)
    plain = JSONResponse(value, status_code=status, media_type=media_type)
    assert fast.body == plain.body
    assert fast.raw_headers == plain.raw_headers
    assert fast.status_code == plain.status_code


def test_a_json_answer_refuses_what_json_response_refuses() -> None:
    for value in ({"x": float("nan")}, {"x": float("inf")}):
        with pytest.raises(ValueError):
            JSONResponse(value)
        with pytest.raises(ValueError):
            JsonAnswer(value, 200, "application/json")
    with pytest.raises(UnicodeEncodeError):
        JSONResponse({"x": "\ud800"})
    with pytest.raises(UnicodeEncodeError):
        JsonAnswer({"x": "\ud800"}, 200, "application/json")


@pytest.mark.parametrize(
    "raw",
    [b'{"a": "\\ud800"}', b'{"\\udfff": 1}', b'{"a": [{"b": "ok"}, "\\ud83d"]}'],
)
def test_parse_json_still_refuses_a_lone_surrogate(raw: bytes) -> None:
    with pytest.raises(Exception, match="lone UTF-16 surrogate"):
        parse_json(raw)


@pytest.mark.parametrize(
    "raw", [b'{"a": 1e400}', b'{"n": 123456789012345678901234567890}', b'{"x": NaN}']
)
def test_parse_json_keeps_what_orjson_would_not_take(raw: bytes) -> None:
    import json

    assert repr(parse_json(raw)) == repr(json.loads(raw))
