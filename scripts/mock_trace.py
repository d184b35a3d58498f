"""Print what the mock answers to one scripted client, under no flaw, each flaw and each
variant in turn: a differential trace, to show that a refactoring of the mock changed
no byte of any answer.

Usage: python scripts/mock_trace.py > before.txt; (change the mock);
       python scripts/mock_trace.py > after.txt; diff before.txt after.txt

The script drives update and download sessions through /api, legacy /rest and JSON-RPC
(creates, gets, lists, PATCH, every action with good and bad bodies, file add, uploads,
validate, complete, a PULL from the mock's own download endpoint, expiry) and ends each
run with the backend's state. Each line is one answer: status, headers (no Date or
Server), body. Ids, tokens and the port change from run to run, so they are replaced
by ``<IDn>`` in order of appearance and ``HOST``; times come from a FakeClock.
"""

from __future__ import annotations

import contextlib
import json
import re
import sys
import time
from typing import Any

import requests

from conformance.mock import FakeClock, MockServer, MockSettings
from conformance.mock.flaws import FLAWS
from conformance.mock.variants import VARIANTS

US = "/api/content/library/item/update-session"
DS = "/api/content/library/item/download-session"
ITEM = "/api/content/library/item"
LIB = "/api/content/local-library"
R = "/rest/com/vmware"
AUTH = ("administrator@vsphere.local", "secret")

_IDS = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|id-\d+-[0-9a-f]{8}|[0-9a-f]{32}"
)


_HOST = re.compile(r"127\.0\.0\.1:\d+")


class Norm:
    """Replaces ids by ``<IDn>`` (the same id, the same n) and the address by ``HOST``."""

    def __init__(self) -> None:
        self.seen: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        def sub(m: re.Match[str]) -> str:
            return self.seen.setdefault(m.group(0), f"<ID{len(self.seen)}>")

        return _HOST.sub("HOST", _IDS.sub(sub, text))


def run(server: MockServer, out: list[str], label: str) -> None:
    """One pass of the scripted client; appends its answers to ``out``."""
    norm = Norm()
    http = requests.Session()
    base = server.url

    def call(method: str, path: str, **kw: Any) -> requests.Response:
        r = http.request(method, base + path, timeout=10, **kw)
        hdr = {k: v for k, v in r.headers.items() if k.lower() not in ("date", "server")}
        head = f"{label} {method} {path} {kw.get('params')}"
        out.append(norm(f"{head} -> {r.status_code} {sorted(hdr.items())} {r.content!r}"))
        return r

    def jv(r: requests.Response) -> Any:
        try:
            return r.json()
        except ValueError:
            return None

    def value(r: requests.Response) -> Any:
        """The ``{"value": ...}`` of a legacy /rest answer."""
        body = jv(r)
        return body.get("value") if isinstance(body, dict) else None

    def rpc(service: str, op: str, fields: dict[str, Any]) -> requests.Response:
        body = {
            "jsonrpc": "2.0",
            "method": "invoke",
            "id": "1",
            "params": {
                "serviceId": service,
                "operationId": op,
                "input": {"STRUCTURE": {"operation-input": fields}},
                "ctx": {
                    "appCtx": {},
                    "securityCtx": {
                        "schemeId": "com.vmware.vapi.std.security.session_id",
                        "sessionId": http.headers.get("vmware-api-session-id"),
                    },
                },
            },
        }
        return call("POST", "/api", json=body)

    token = jv(call("POST", "/api/session", auth=AUTH))
    http.headers["vmware-api-session-id"] = token if isinstance(token, str) else ""
    lib = jv(
        call(
            "POST",
            LIB,
            json={
                "name": "lib",
                "type": "LOCAL",
                "storage_backings": [{"type": "DATASTORE", "datastore_id": "datastore-101"}],
            },
        )
    )
    item = jv(call("POST", ITEM, json={"library_id": lib, "name": "item", "type": "iso"}))
    item2 = jv(call("POST", ITEM, json={"library_id": lib, "name": "item2", "type": "iso"}))
    wb = [{"type": "SELF_SIGNED_CERTIFICATE", "ignored": True}]
    tok = "11111111-2222-3333-4444-555555555555"
    us = jv(
        call(
            "POST",
            US,
            json={"library_item_id": item, "warning_behavior": wb},
            params={"client_token": tok},
        )
    )
    call("POST", US, json={"library_item_id": item}, params={"client_token": tok})
    call("POST", US, json={"library_item_id": item})
    call("POST", US, json={})
    call("POST", US, json={"library_item_id": "00000000-0000-0000-0000-000000000000"})
    call("POST", US, json={"library_item_id": item, "state": 5})
    call("GET", f"{US}/{us}")
    call("GET", US)
    call("GET", US, params={"library_item_id": item})
    call("GET", US, params={"library_item_id": "00000000-0000-0000-0000-000000000000"})
    call("GET", f"{US}/00000000-0000-0000-0000-000000000000")
    call("GET", f"{US}/not-an-id")
    call(
        "PATCH",
        f"{US}/{us}",
        json={
            "warning_behavior": [{"type": "EXPIRED_CERTIFICATE", "ignored": False}],
            "client_progress": 33,
        },
    )
    call("PATCH", f"{US}/{us}", json={"warning_behavior": 5})
    call("POST", f"{US}/{us}", params={"action": "keep-alive"}, json={"client_progress": 40})
    call("POST", f"{US}/{us}", params={"action": "keep-alive"}, json={"client_progress": 400})
    call("POST", f"{US}/{us}", params={"action": "keep-alive"}, json={"progress": 400})
    for raw in ("null", None, "[1]", "{bad"):  # JSON that is no object, none, not JSON
        headers = {"content-type": "application/json"} if raw is not None else None
        call("POST", f"{US}/{us}", params={"action": "keep-alive"}, data=raw, headers=headers)
    call("POST", f"{US}/{us}", params={"action": "explode"})
    call("POST", f"{US}/{us}")
    call("POST", f"{US}/{us}", params={"action": "fail"})
    call("POST", f"{US}/{us}", params={"action": "fail"}, json={"client_error_message": 5})
    call(
        "POST",
        f"{US}/00000000-0000-0000-0000-000000000000",
        params={"action": "fail"},
        json={"client_error_message": "x"},
    )
    call("POST", f"{US}/00000000-0000-0000-0000-000000000000", params={"action": "cancel"})
    call("GET", f"{US}/{us}")
    # files: a good PUSH, a bad size, then complete (ERROR), via validate
    good = jv(
        call("POST", f"{US}/{us}/file", json={"name": "a.iso", "source_type": "PUSH", "size": 5})
    )
    bad = jv(
        call(
            "POST",
            f"{US}/{us}/file",
            params={"action": "add"},
            json={"name": "b.iso", "source_type": "PUSH", "size": 9},
        )
    )
    call("POST", f"{US}/{us}/file", json={"name": "c.iso", "source_type": "NONE"})
    call("POST", f"{US}/{us}", params={"action": "complete"})
    call("POST", f"{US}/{us}/file", params={"action": "validate"})
    call("GET", f"{US}/{us}")
    for spec in (good, bad):
        if isinstance(spec, dict) and "upload_endpoint" in spec:
            uri = spec["upload_endpoint"]["uri"]
            r = http.put(uri, data=b"hello", timeout=10)
            out.append(norm(f"{label} PUT upload -> {r.status_code} {r.content!r}"))
    call("DELETE", f"{US}/{us}/file/c.iso")
    call("GET", f"{US}/{us}/file")
    call("GET", f"{US}/{us}/file/a.iso")
    call("POST", f"{US}/{us}/file", params={"action": "validate"})
    call("POST", f"{US}/{us}", params={"action": "complete"})
    call("GET", f"{US}/{us}")
    call("GET", f"{US}/{us}/file")
    call("POST", f"{US}/{us}", params={"action": "cancel"})
    call("POST", f"{US}/{us}", params={"action": "keep-alive"})
    call("PATCH", f"{US}/{us}", json={})
    call("GET", f"{US}/{us}")
    call("DELETE", f"{US}/{us}")
    call("GET", f"{US}/{us}")
    # a clean one to DONE
    us2 = jv(call("POST", US, json={"library_item_id": item}))
    f2 = jv(call("POST", f"{US}/{us2}/file", json={"name": "a.iso", "source_type": "PUSH"}))
    if isinstance(f2, dict) and "upload_endpoint" in f2:
        r = http.put(f2["upload_endpoint"]["uri"], data=b"hello world", timeout=10)
        out.append(norm(f"{label} PUT upload -> {r.status_code} {r.content!r}"))
    call("POST", f"{US}/{us2}", params={"action": "complete"})
    call("GET", f"{US}/{us2}")
    call("GET", f"{ITEM}/{item}")
    call("GET", f"{ITEM}/{item}/file")
    call("DELETE", f"{US}/{us2}")
    # cancel and fail of update sessions
    us3 = jv(call("POST", US, json={"library_item_id": item}))
    call("POST", f"{US}/{us3}", params={"action": "cancel"}, json={"anything": 1})
    call("GET", f"{US}/{us3}")
    call("POST", f"{US}/{us3}", params={"action": "fail"}, json={"client_error_message": "late"})
    us4 = jv(call("POST", US, json={"library_item_id": item2}))
    call("POST", f"{US}/{us4}", params={"action": "fail"}, json={"client_error_message": "boom"})
    call("GET", f"{US}/{us4}")
    call("POST", f"{US}/{us4}", params={"action": "complete"})
    call("DELETE", f"{US}/{us4}")
    # download sessions
    ds = jv(call("POST", DS, json={"library_item_id": item}))
    call("POST", DS, json={"library_item_id": "00000000-0000-0000-0000-000000000000"})
    call("POST", DS, json={})
    call("GET", f"{DS}/{ds}")
    call("GET", DS)
    call("GET", DS, params={"library_item_id": item})
    call("POST", f"{DS}/{ds}", params={"action": "keep-alive"}, json={"progress": 20})
    call("POST", f"{DS}/{ds}", params={"action": "keep-alive"}, json={"client_progress": 30})
    call("POST", f"{DS}/{ds}", params={"action": "keep-alive"}, json={"progress": 300})
    call("POST", f"{DS}/{ds}", params={"action": "complete"})
    call("POST", f"{DS}/{ds}")
    call("GET", f"{DS}/{ds}")
    call("GET", f"{DS}/{ds}/file")
    prepared = jv(
        call("POST", f"{DS}/{ds}/file", params={"action": "prepare"}, json={"file_name": "a.iso"})
    )
    call("GET", f"{DS}/{ds}/file", params={"file_name": "a.iso"})
    # a PULL from the download endpoint, complete while it may run
    if isinstance(prepared, dict) and "download_endpoint" in prepared:
        src = prepared["download_endpoint"]["uri"]
        us5 = jv(call("POST", US, json={"library_item_id": item2}))
        call(
            "POST",
            f"{US}/{us5}/file",
            json={"name": "p.iso", "source_type": "PULL", "source_endpoint": {"uri": src}},
        )
        r = http.post(f"{base}{US}/{us5}", params={"action": "complete"}, timeout=10)
        out.append(norm(f"{label} complete-with-pull -> {r.status_code} {r.content!r}"))
        for _ in range(200):
            state = http.get(f"{base}{US}/{us5}", timeout=10).json()
            if not isinstance(state, dict) or state.get("state") != "ACTIVE":
                break
            time.sleep(0.01)
        call("GET", f"{US}/{us5}")
        call("GET", f"{US}/{us5}/file")
        r = http.get(src, timeout=10)
        out.append(norm(f"{label} GET download -> {r.status_code} {r.content!r}"))
    call("POST", f"{DS}/{ds}", params={"action": "fail"}, json={"client_error_message": "dl"})
    call("GET", f"{DS}/{ds}")
    call("POST", f"{DS}/{ds}", params={"action": "cancel"})
    call("POST", f"{DS}/{ds}", params={"action": "keep-alive"})
    call("DELETE", f"{DS}/{ds}")
    ds2 = jv(call("POST", DS, json={"library_item_id": item}))
    call("POST", f"{DS}/{ds2}", params={"action": "cancel"})
    call("GET", f"{DS}/{ds2}")
    call("DELETE", f"{DS}/{ds2}")
    ds3 = jv(call("POST", DS, json={"library_item_id": item}))
    call("DELETE", f"{DS}/{ds3}")
    # /rest and JSON-RPC
    us6 = value(
        call(
            "POST",
            f"{R}/content/library/item/update-session",
            json={"create_spec": {"library_item_id": item2}},
        )
    )
    call("GET", f"{R}/content/library/item/update-session/id:{us6}")
    call(
        "POST",
        f"{R}/content/library/item/update-session/id:{us6}",
        params={"~action": "keep-alive"},
        json={"client_progress": 10},
    )
    call(
        "POST",
        f"{R}/content/library/item/update-session/id:{us6}",
        params={"~action": "fail"},
        json={"client_error_message": "r"},
    )
    call("GET", f"{R}/content/library/item/update-session/id:{us6}")
    ds4 = value(
        call(
            "POST",
            f"{R}/content/library/item/download-session",
            json={"create_spec": {"library_item_id": item}},
        )
    )
    call(
        "POST",
        f"{R}/content/library/item/download-session/id:{ds4}",
        params={"~action": "keep-alive"},
        json={"progress": 10},
    )
    call("GET", f"{R}/content/library/item/download-session/id:{ds4}")
    uss = "com.vmware.content.library.item.update_session"
    dss = "com.vmware.content.library.item.download_session"
    us7 = rpc(
        uss,
        "create",
        {
            "create_spec": {
                "STRUCTURE": {
                    "com.vmware.content.library.item.update_session_model": {
                        "library_item_id": {"OPTIONAL": item2}
                    }
                }
            }
        },
    )
    us7_id = None
    with contextlib.suppress(ValueError, KeyError, TypeError):
        us7_id = us7.json()["result"]["output"]
    rpc(uss, "get", {"update_session_id": us7_id or "x"})
    rpc(
        uss, "keep_alive", {"update_session_id": us7_id or "x", "client_progress": {"OPTIONAL": 12}}
    )
    rpc(uss, "fail", {"update_session_id": us7_id or "x", "client_error_message": "j"})
    rpc(uss, "get", {"update_session_id": us7_id or "x"})
    rpc(uss, "list", {"library_item_id": {"OPTIONAL": None}})
    rpc(dss, "get", {"download_session_id": ds4 if isinstance(ds4, str) else "x"})
    rpc(dss, "cancel", {"download_session_id": ds4 if isinstance(ds4, str) else "x"})
    # expiry
    server.backend.advance_clock(1000)
    call("GET", US)
    call("GET", DS)
    state = server.backend.dump()
    state.pop("now", None)
    state["files"].pop("data_dir", None)
    out.append(norm(f"{label} STATE {json.dumps(state, sort_keys=False, default=str)}"))
    http.close()


def main() -> None:
    configs: list[tuple[str, frozenset[str], frozenset[str]]] = [("none", frozenset(), frozenset())]
    configs += [(f"flaw:{f}", frozenset({f}), frozenset()) for f in FLAWS]
    configs += [(f"variant:{v}", frozenset(), frozenset({v})) for v in VARIANTS]
    out: list[str] = []
    settings = MockSettings(clock=FakeClock())
    with MockServer(settings) as server:
        for label, flaws, variants in configs:
            server.backend.reset()
            server.backend.set_flaws(flaws)
            server.backend.set_variants(variants)
            server.backend.api_sessions.reset()
            run(server, out, label)
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
