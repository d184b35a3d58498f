"""The legacy /rest dialect, hidden behind the /api requests the suite makes.

vCenter 6.7 has only ``/rest/com/vmware/...``; 7.0 and 8.0 (and govmomi's vcsim) still
serve it. Its operations are the /api ones in another wire form (published 8.0.2 spec,
/rest paths; contract.md §6.1, §9): ``id:{id}`` path segments, ``?~action=``, input
fields as top-level body keys (``{"create_spec": ...}``, ``{"file_spec": ...}``,
``{"file_name": ...}``), every success 200 with ``{"value": ...}`` (no body for void
operations), every error ``{"type": "com.vmware.vapi.std.errors.<x>", "value": {...}}``.

:func:`translate` turns one /api request into its /rest request; :func:`api_view`
turns the /rest answer back into what the /api operation would have answered (201 for
a create, 204 for a void operation, the bare value, the bare error struct), so the
scenario tests judge the same meaning whatever the dialect. The raw /rest exchange
stays on the view (``Exchange.wire``) for reports and for the /rest wire requirements.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from ._exchange import Exchange

__all__ = ["RestRequest", "api_view", "translate"]

REST_PREFIX = "/rest/com/vmware/"
LOGIN_PATH = "/rest/com/vmware/cis/session"
_ERROR_TYPE_PREFIX = "com.vmware.vapi.std.errors."

#: kinds of /api success: ``create`` answers 201 with the new id, ``void`` 204 with no
#: body, ``value`` 200 with the output
CREATE, VOID, VALUE = "create", "void", "value"

_ID = r"(?P<id>[^/?]+)"
_NAME = r"(?P<name>[^/?]+)"
#: an item id: not the session collections that share the item path
_ITEM_ID = r"(?P<id>(?!(?:update|download)-session$)[^/?]+)"
_US = "/api/content/library/item/update-session"
_DS = "/api/content/library/item/download-session"

# (api method, api path regex (query excluded), api action, rest method, rest path,
#  rest action, body wrapper key or None, kind). ``{id}`` / ``{name}`` in the rest path
# are the regex groups; wrapper names are the published 8.0.2 /rest request bodies.
_ROWS: tuple[tuple[str, str, str | None, str, str, str | None, str | None, str], ...] = (
    ("POST", "/api/session", None, "POST", "cis/session", None, None, CREATE),
    ("GET", "/api/session", None, "POST", "cis/session", "get", None, VALUE),
    ("DELETE", "/api/session", None, "DELETE", "cis/session", None, None, VOID),
    ("GET", "/api/content/local-library", None, "GET", "content/local-library", None, None, VALUE),
    (
        "POST",
        "/api/content/local-library",
        None,
        "POST",
        "content/local-library",
        None,
        "create_spec",
        CREATE,
    ),
    (
        "GET",
        f"/api/content/local-library/{_ID}",
        None,
        "GET",
        "content/local-library/id:{id}",
        None,
        None,
        VALUE,
    ),
    (
        "DELETE",
        f"/api/content/local-library/{_ID}",
        None,
        "DELETE",
        "content/local-library/id:{id}",
        None,
        None,
        VOID,
    ),
    ("GET", "/api/content/library/item", None, "GET", "content/library/item", None, None, VALUE),
    (
        "POST",
        "/api/content/library/item",
        None,
        "POST",
        "content/library/item",
        None,
        "create_spec",
        CREATE,
    ),
    (
        "GET",
        f"/api/content/library/item/{_ID}/file",
        None,
        "GET",
        "content/library/item/file",
        None,
        None,
        VALUE,
    ),
    (
        "GET",
        f"/api/content/library/item/{_ITEM_ID}",
        None,
        "GET",
        "content/library/item/id:{id}",
        None,
        None,
        VALUE,
    ),
    (
        "DELETE",
        f"/api/content/library/item/{_ITEM_ID}",
        None,
        "DELETE",
        "content/library/item/id:{id}",
        None,
        None,
        VOID,
    ),
    (
        "GET",
        f"/api/content/library/item/{_ID}/file",
        "get",
        "POST",
        "content/library/item/file/id:{id}",
        "get",
        None,
        VALUE,
    ),
    # update sessions
    ("GET", _US, None, "GET", "content/library/item/update-session", None, None, VALUE),
    (
        "POST",
        _US,
        None,
        "POST",
        "content/library/item/update-session",
        None,
        "create_spec",
        CREATE,
    ),
    (
        "GET",
        f"{_US}/{_ID}/file",
        None,
        "GET",
        "content/library/item/updatesession/file",
        None,
        None,
        VALUE,
    ),
    (
        "POST",
        f"{_US}/{_ID}/file",
        None,
        "POST",
        "content/library/item/updatesession/file/id:{id}",
        "add",
        "file_spec",
        CREATE,
    ),
    (
        "POST",
        f"{_US}/{_ID}/file",
        "add",
        "POST",
        "content/library/item/updatesession/file/id:{id}",
        "add",
        "file_spec",
        CREATE,
    ),
    (
        "POST",
        f"{_US}/{_ID}/file",
        "validate",
        "POST",
        "content/library/item/updatesession/file/id:{id}",
        "validate",
        None,
        VALUE,
    ),
    (
        "GET",
        f"{_US}/{_ID}/file/{_NAME}",
        None,
        "POST",
        "content/library/item/updatesession/file/id:{id}",
        "get",
        None,
        VALUE,
    ),
    (
        "DELETE",
        f"{_US}/{_ID}/file/{_NAME}",
        None,
        "POST",
        "content/library/item/updatesession/file/id:{id}",
        "remove",
        None,
        VOID,
    ),
    (
        "GET",
        f"{_US}/{_ID}",
        None,
        "GET",
        "content/library/item/update-session/id:{id}",
        None,
        None,
        VALUE,
    ),
    (
        "PATCH",
        f"{_US}/{_ID}",
        None,
        "PATCH",
        "content/library/item/update-session/id:{id}",
        None,
        "update_spec",
        VOID,
    ),
    (
        "DELETE",
        f"{_US}/{_ID}",
        None,
        "DELETE",
        "content/library/item/update-session/id:{id}",
        None,
        None,
        VOID,
    ),
    *(
        (
            "POST",
            f"{_US}/{_ID}",
            action,
            "POST",
            "content/library/item/update-session/id:{id}",
            action,
            None,
            VOID,
        )
        for action in ("complete", "cancel", "fail", "keep-alive")
    ),
    # download sessions
    ("GET", _DS, None, "GET", "content/library/item/download-session", None, None, VALUE),
    (
        "POST",
        _DS,
        None,
        "POST",
        "content/library/item/download-session",
        None,
        "create_spec",
        CREATE,
    ),
    (
        "GET",
        f"{_DS}/{_ID}/file",
        None,
        "GET",
        "content/library/item/downloadsession/file",
        None,
        None,
        VALUE,
    ),
    (
        "GET",
        f"{_DS}/{_ID}/file",
        "get",
        "POST",
        "content/library/item/downloadsession/file/id:{id}",
        "get",
        None,
        VALUE,
    ),
    (
        "POST",
        f"{_DS}/{_ID}/file",
        "prepare",
        "POST",
        "content/library/item/downloadsession/file/id:{id}",
        "prepare",
        None,
        VALUE,
    ),
    (
        "GET",
        f"{_DS}/{_ID}",
        None,
        "GET",
        "content/library/item/download-session/id:{id}",
        None,
        None,
        VALUE,
    ),
    (
        "DELETE",
        f"{_DS}/{_ID}",
        None,
        "DELETE",
        "content/library/item/download-session/id:{id}",
        None,
        None,
        VOID,
    ),
    *(
        (
            "POST",
            f"{_DS}/{_ID}",
            action,
            "POST",
            "content/library/item/download-session/id:{id}",
            action,
            None,
            VOID,
        )
        for action in ("cancel", "fail", "keep-alive")
    ),
)

#: the session id a file list names in its query, by /rest path
_LIST_ID_PARAM = {
    "content/library/item/file": "library_item_id",
    "content/library/item/updatesession/file": "update_session_id",
    "content/library/item/downloadsession/file": "download_session_id",
}
#: /api query parameters that the /rest operation takes in its body (by rest action)
_QUERY_TO_BODY = {"get": ("name", "file_name")}
#: /api paths outside com.vmware whose /rest form is the same path under /rest (6.7 too)
_PLAIN = ("/api/vcenter/", "/api/appliance/")

_TABLE = [
    (
        api_method,
        re.compile(f"^{api_path}$"),
        api_action,
        rest_method,
        rest_path,
        rest_action,
        wrap,
        kind,
    )
    for api_method, api_path, api_action, rest_method, rest_path, rest_action, wrap, kind in _ROWS
]


@dataclass(frozen=True)
class RestRequest:
    """One /api request in its /rest form, and what kind of /api answer it stands for."""

    method: str
    path: str
    params: dict[str, str] | None
    json: Any
    has_json: bool
    kind: str


_NO_JSON: Any = object()


def translate(
    method: str,
    path: str,
    params: dict[str, str] | None,
    json_body: Any,
    has_json: bool,
    headers: dict[str, str] | None,
) -> RestRequest | None:
    """The /rest form of an /api request, or ``None`` if it has none (sent unchanged)."""
    split = urlsplit(path)
    query = dict(parse_qsl(split.query, keep_blank_values=True))
    query.update(params or {})
    api_action = query.pop("action", None)
    if method == "GET" and split.path.endswith("/file") and {"name", "file_name"} & set(query):
        api_action = "get"  # the one-file get that /api spells as a list with a query
    if split.path.startswith(_PLAIN):
        return RestRequest(
            method, "/rest" + split.path[len("/api") :], query or None, json_body, has_json, VALUE
        )
    for api_method, pattern, action, rest_method, rest_path, rest_action, wrap, kind in _TABLE:
        if api_method != method or action != api_action:
            continue
        match = pattern.match(split.path)
        if match is None:
            continue
        groups = match.groupdict()
        body: dict[str, Any] = {}
        if wrap is not None:
            body[wrap] = json_body if has_json else None
        elif has_json and isinstance(json_body, dict):
            body.update(json_body)
        elif has_json:  # not an object: send it as it is, for the target to refuse
            return _request(
                rest_method, rest_path, rest_action, groups, query, json_body, True, kind
            )
        if "name" in groups:
            body["file_name"] = unquote(groups["name"])
        for name in _QUERY_TO_BODY.get(rest_action or "", ()):
            if name in query:
                body[name] = query.pop(name)
        token = query.pop("client_token", None) or _header(headers, "Client-Token")
        if token and kind == CREATE:
            body["client_token"] = token
        if rest_path in _LIST_ID_PARAM and "id" in groups:
            query[_LIST_ID_PARAM[rest_path]] = unquote(groups.pop("id"))
        send_body = bool(body) or (has_json and wrap is None)
        return _request(rest_method, rest_path, rest_action, groups, query, body, send_body, kind)
    return None


def _request(
    method: str,
    rest_path: str,
    action: str | None,
    groups: dict[str, str],
    query: dict[str, str],
    body: Any,
    has_json: bool,
    kind: str,
) -> RestRequest:
    path = REST_PREFIX + rest_path.format(
        **{key: quote(unquote(value), safe="") for key, value in groups.items()}
    )
    if action is not None:
        path += "?" + urlencode({"~action": action})
    return RestRequest(method, path, query or None, body, has_json, kind)


def _header(headers: dict[str, str] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return value
    return None


def api_view(wire: Exchange, api_method: str, api_url: str, kind: str) -> Exchange:
    """What the /api operation would have answered, read from its /rest answer.

    A /rest success (200) becomes 201 with the bare id for a create, 204 for a void
    operation (any body it carried is kept, for the void check to see) and 200 with the
    bare value otherwise. A /rest error keeps its status and becomes the bare error
    struct; ``error_type``, which 6.7 leaves out (contract.md §9), is read from
    ``type``. An answer that is not in the /rest form is shown unchanged.
    """
    status, text = wire.status, wire.response_text
    body = wire.json_or(_NO_JSON)
    if status == 200:
        if kind == VOID:
            if body is not _NO_JSON and isinstance(body, dict) and set(body) == {"value"}:
                text = "" if body["value"] is None else json.dumps(body["value"])
            status = 204
        elif isinstance(body, dict) and "value" in body and len(body) == 1:
            text = json.dumps(body["value"])
            status = 201 if kind == CREATE else 200
    elif status >= 400 and isinstance(body, dict) and set(body) == {"type", "value"}:
        error = body["value"]
        if isinstance(error, dict) and isinstance(body["type"], str):
            error = dict(error)
            if "error_type" not in error and body["type"].startswith(_ERROR_TYPE_PREFIX):
                error["error_type"] = body["type"][len(_ERROR_TYPE_PREFIX) :].upper()
        text = json.dumps(error)
    return replace(
        wire,
        method=api_method,
        url=api_url,
        status=status,
        response_text=text,
        wire=wire,
        _json_cache=[],
    )
