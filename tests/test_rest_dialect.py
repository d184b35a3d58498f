"""The legacy /rest dialect: the api setting, the client's translation and its /api reading."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from legacy_door import legacy_door

from conformance.checks import ConformanceFailure, check_status
from conformance.client import Exchange, Redactor, VcenterApi, VcenterClient
from conformance.client._rest import api_view, translate
from conformance.config import ConfigError, load_config
from conformance.mock import MockServer, MockSettings

USER, PASSWORD = "administrator@vsphere.local", "pa55-word-for-rest-tests"


# -- the setting ---------------------------------------------------------------
def test_api_defaults_to_auto_and_comes_from_file_env_and_flag(tmp_path: Path) -> None:
    assert load_config(env={}).api == "auto"
    file = tmp_path / "c.toml"
    file.write_text('[conformance]\napi = "rest"\n')
    assert load_config(file=file, env={}).api == "rest"
    assert load_config(file=file, env={"CONFORMANCE_API": "API"}).api == "api"
    assert load_config(env={"CONFORMANCE_API": "api"}, overrides={"api": "rest"}).api == "rest"


def test_a_bad_api_names_the_setting_and_the_choices() -> None:
    with pytest.raises(ConfigError) as info:
        load_config(env={"CONFORMANCE_API": "soap"})
    assert str(info.value).startswith("CONFORMANCE_API")
    assert "auto" in str(info.value) and "rest" in str(info.value)


# -- translation (wrapper names from the published 8.0.2 /rest request bodies) ------
US = "/api/content/library/item/update-session"
DS = "/api/content/library/item/download-session"
REST = "/rest/com/vmware/content/library/item"


@pytest.mark.parametrize(
    ("method", "path", "params", "body", "expected"),
    [
        ("POST", US, {"client_token": "t1"}, {"library_item_id": "i"},
         ("POST", f"{REST}/update-session", None,
          {"create_spec": {"library_item_id": "i"}, "client_token": "t1"}, "create")),
        ("GET", US, {"library_item_id": "i"}, None,
         ("GET", f"{REST}/update-session", {"library_item_id": "i"}, {}, "value")),
        ("GET", f"{US}/u%2F1", None, None,
         ("GET", f"{REST}/update-session/id:u%2F1", None, {}, "value")),
        ("PATCH", f"{US}/u1", None, {"warning_behavior": []},
         ("PATCH", f"{REST}/update-session/id:u1", None,
          {"update_spec": {"warning_behavior": []}}, "void")),
        ("POST", f"{US}/u1?action=keep-alive", None, {"client_progress": 5},
         ("POST", f"{REST}/update-session/id:u1?~action=keep-alive", None,
          {"client_progress": 5}, "void")),
        ("POST", f"{US}/u1/file", None, {"name": "f"},
         ("POST", f"{REST}/updatesession/file/id:u1?~action=add", None,
          {"file_spec": {"name": "f"}}, "create")),
        ("GET", f"{US}/u1/file/a%20b", None, None,
         ("POST", f"{REST}/updatesession/file/id:u1?~action=get", None,
          {"file_name": "a b"}, "value")),
        ("DELETE", f"{US}/u1/file/f", None, None,
         ("POST", f"{REST}/updatesession/file/id:u1?~action=remove", None,
          {"file_name": "f"}, "void")),
        ("GET", f"{US}/u1/file", None, None,
         ("GET", f"{REST}/updatesession/file", {"update_session_id": "u1"}, {}, "value")),
        ("GET", f"{DS}/d1/file", {"file_name": "f"}, None,
         ("POST", f"{REST}/downloadsession/file/id:d1?~action=get", None,
          {"file_name": "f"}, "value")),
        ("GET", "/api/content/library/item/i1/file", {"name": "f"}, None,
         ("POST", f"{REST}/file/id:i1?~action=get", None, {"name": "f"}, "value")),
        ("DELETE", "/api/content/library/item/i1", None, None,
         ("DELETE", f"{REST}/id:i1", None, {}, "void")),
        ("GET", "/api/session", None, None,
         ("POST", "/rest/com/vmware/cis/session?~action=get", None, {}, "value")),
        ("GET", "/api/vcenter/datastore", None, None,
         ("GET", "/rest/vcenter/datastore", None, None, "value")),
    ],
)  # fmt: skip
def test_api_requests_translate_to_their_published_rest_form(
    method: str,
    path: str,
    params: dict[str, str] | None,
    body: object,
    expected: tuple[str, str, dict[str, str] | None, object, str],
) -> None:
    rest = translate(method, path, params, body, body is not None, None)
    assert rest is not None
    assert (rest.method, rest.path, rest.params, rest.json, rest.kind) == expected


def test_the_client_token_header_travels_in_the_rest_body() -> None:
    rest = translate("POST", US, None, {"library_item_id": "i"}, True, {"Client-Token": "t"})
    assert rest is not None and rest.json["client_token"] == "t"


def test_a_path_with_no_rest_form_is_left_alone() -> None:
    assert translate("GET", "/api/no/such/thing", None, None, False, None) is None


# -- the /api reading of /rest answers -------------------------------------------
def _wire(status: int, body: object | None) -> Exchange:
    return Exchange(
        method="POST",
        url="http://vc/rest/com/vmware/x",
        request_headers={},
        request_body=None,
        status=status,
        response_headers={"Content-Type": "application/json"},
        response_text="" if body is None else json.dumps(body),
        elapsed_ms=1.0,
    )


def test_a_rest_create_reads_as_201_with_the_bare_id() -> None:
    view = api_view(_wire(200, {"value": "id-1"}), "POST", "http://vc/api/x", "create")
    assert (view.status, view.json, view.url) == (201, "id-1", "http://vc/api/x")
    assert view.wire is not None and view.wire.status == 200


def test_a_rest_void_answer_reads_as_204_and_keeps_a_stray_body() -> None:
    assert api_view(_wire(200, None), "POST", "u", "void").status == 204
    stray = api_view(_wire(200, {"x": 1}), "POST", "u", "void")
    assert stray.status == 204 and stray.json == {"x": 1}


def test_a_rest_error_reads_as_the_bare_struct_with_error_type_from_type() -> None:
    envelope = {"type": "com.vmware.vapi.std.errors.not_found", "value": {"messages": []}}
    view = api_view(_wire(404, envelope), "GET", "u", "value")
    assert view.status == 404
    assert view.json == {"messages": [], "error_type": "NOT_FOUND"}


def test_an_answer_not_in_the_rest_form_is_shown_unchanged() -> None:
    view = api_view(_wire(201, {"value": "id"}), "POST", "u", "create")
    assert (view.status, view.json) == (201, {"value": "id"})
    bare = api_view(_wire(200, "id"), "POST", "u", "create")
    assert (bare.status, bare.json) == (200, "id")


def test_reports_show_the_wire_and_its_reading() -> None:
    view = api_view(_wire(200, {"value": "id-1"}), "POST", "http://vc/api/x", "create")
    text = view.describe()
    assert "> POST http://vc/rest/com/vmware/x" in text and "read as /api" in text
    assert view.to_dict()["read_as_api"]["status"] == 201
    assert "/rest/com/vmware/x" in view.as_curl()


def test_a_failure_on_a_rest_reading_names_what_went_over_the_wire() -> None:
    """ "got 201" alone would misquote a /rest login that answered 200: the message says
    both, so a vendor can find the request in their own logs."""
    view = api_view(_wire(200, {"value": "id-1"}), "POST", "http://vc/api/session", "create")
    with pytest.raises(ConformanceFailure) as caught:
        check_status(view, 401, "AUTH-LOGIN-BAD-401", "login with a wrong password")
    assert str(caught.value.message).endswith(
        "got 201 (on the wire: POST http://vc/rest/com/vmware/x answered 200, read as /api)"
    )
    plain = _wire(200, {"value": "id-1"})
    assert plain.on_the_wire == ""


# -- the client against the mock ----------------------------------------------------
@pytest.fixture
def server() -> Iterator[MockServer]:
    with MockServer(MockSettings(user=USER, password=PASSWORD)) as running:
        yield running


def _client(url: str, dialect: str) -> VcenterClient:
    return VcenterClient(url, USER, PASSWORD, redactor=Redactor(), timeout=10, dialect=dialect)


def test_the_rest_client_goes_over_rest_and_reads_as_api(server: MockServer) -> None:
    client = _client(server.url, "rest")
    seen: list[Exchange] = []
    client.add_listener(seen.append)
    client.login()
    api = VcenterApi(client)
    library = api.libraries.create("rest-lib", "datastore-101")
    assert library.status == 201, library.describe()
    item = api.items.create(library.json, "rest-item")
    created = api.update_sessions.create({"library_item_id": item.json})
    assert created.status == 201 and isinstance(created.json, str)
    assert created.wire is not None and created.wire.status == 200
    assert "/rest/com/vmware/content/library/item/update-session" in created.wire.url
    got = api.update_sessions.get(created.json)
    assert got.status == 200 and got.json["state"] == "ACTIVE"
    assert api.update_sessions.keep_alive(created.json).status == 204
    assert api.update_sessions.cancel(created.json).status == 204
    busy = api.update_sessions.get("no-such-session")
    assert busy.status == 404 and busy.json["error_type"] == "NOT_FOUND"
    assert all("/rest/" in e.wire.url for e in seen if e.wire is not None)
    assert not [e for e in seen if e.wire is None and "/api/" in e.url]
    client.logout()
    client.close()


def test_auto_picks_api_where_api_session_exists(server: MockServer) -> None:
    client = _client(server.url, "auto")
    client.login()
    assert client.dialect == "api"
    client.close()


def test_auto_falls_back_to_rest_where_api_is_missing(server: MockServer) -> None:
    with legacy_door(server.url, "6.7") as url:
        client = _client(url, "auto")
        client.login()
        assert client.dialect == "rest"
        assert VcenterApi(client).session.get().status == 200
        client.close()


def test_an_unknown_dialect_is_refused() -> None:
    with pytest.raises(ValueError, match="dialect"):
        _client("http://127.0.0.1:9", "soap")


# -- cross-dialect diff ----------------------------------------------------------------
def _results(run_id: str, api: str | None, **statuses: str) -> dict[str, object]:
    run: dict[str, object] = {"id": run_id, "target": "https://vc.example"}
    if api is not None:
        run["api"] = api
    return {
        "run": run,
        "verdict": "PASS",
        "exit_code": 0,
        "requirements": [
            {
                "id": req.replace("_", "-"),
                "title": f"title of {req}",
                "status": status.partition(":")[0],
                "selected": not status.endswith(":deselected"),
                "message": "not selected" if status.endswith(":deselected") else "why",
            }
            for req, status in statuses.items()
        ],
    }


def test_a_rest_before_and_api_after_diff_lists_one_dialect_rules_apart() -> None:
    from conformance.reporting.diff import compare, render_text

    before = _results(
        "b", "rest", US_A="pass", REST_VOID_200="pass", WIRE_VOID_204="not_run:deselected"
    )
    after = _results(
        "a", "api", US_A="pass", REST_VOID_200="not_run:deselected", WIRE_VOID_204="pass"
    )
    diff = compare(before, after)  # type: ignore[arg-type]
    assert not diff.regressions and not diff.unjudged
    assert sorted(c.id for c in diff.one_dialect) == ["REST-VOID-200", "WIRE-VOID-204"]
    assert diff.exit_code == 0
    text = render_text(diff)
    assert "dialect rest" in text and "dialect api" in text
    assert "Judged in one dialect only (not applicable on the other side): 2" in text


def test_a_regression_across_dialects_is_still_a_regression() -> None:
    from conformance.reporting.diff import compare

    before = _results("b", "rest", US_A="pass", REST_GET_VALUE="pass")
    after = _results("a", None, US_A="fail", REST_GET_VALUE="not_run:deselected")
    diff = compare(before, after)  # type: ignore[arg-type]
    assert [c.id for c in diff.regressions] == ["US-A"] and diff.exit_code == 1


def test_within_one_dialect_a_deselected_pass_is_still_no_longer_judged() -> None:
    from conformance.reporting.diff import compare

    before = _results("b", "api", US_A="pass")
    after = _results("a", "api", US_A="not_run:deselected")
    diff = compare(before, after)  # type: ignore[arg-type]
    assert [c.id for c in diff.unjudged] == ["US-A"] and not diff.one_dialect


# -- the vcsim profile -------------------------------------------------------------------
def test_the_vcsim_profile_cites_vcsim_code_and_says_it_was_not_run() -> None:
    from conformance.catalog import catalog
    from conformance.profiles import __file__ as profiles_init
    from conformance.profiles import load_profile

    profile = load_profile("vcsim", frozenset(catalog().ids))
    assert len(profile.deviations) >= 10
    for deviation in profile.deviations:
        assert deviation.link.startswith("https://github.com/vmware/govmomi/blob/")
        assert deviation.link.endswith("/vapi/simulator/simulator.go")
    header = (Path(profiles_init).parent / "vcsim.yaml").read_text(encoding="utf-8")
    assert "vcsim WAS NOT RUN HERE" in header and "--api rest" in header
