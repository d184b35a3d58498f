"""The sandbox removes what the run created, read from the client's exchanges.

No suite test tells the sandbox what it made: every successful create of a library, an
item, an update or a download session that goes through a client the sandbox observes
is tracked, in the /api and the legacy /rest dialect, and removed at cleanup. A refused
create, and any other request, tracks nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.client import Exchange, Redactor, VcenterApi, VcenterClient
from conformance.config import Config
from conformance.mock import MockServer, MockSettings
from conformance.sandbox import Sandbox, created_kind

USER = "administrator@vsphere.local"
PASSWORD = "sandbox-secret"


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(MockSettings(user=USER, password=PASSWORD)) as running:
        yield running


def _open(server: MockServer, dialect: str) -> tuple[VcenterApi, Sandbox]:
    client = VcenterClient(
        server.url, USER, PASSWORD, redactor=Redactor(), timeout=10, dialect=dialect
    )
    client.login()
    api = VcenterApi(client)
    box = Sandbox(api, Config(target=server.url, user=USER, password=PASSWORD, run_id="t"))
    client.add_listener(box.observe)
    box.open()
    return api, box


def _gone(exchange: Exchange) -> bool:
    return exchange.status == 404


@pytest.mark.parametrize("dialect", ["api", "rest"])
def test_what_a_test_creates_through_the_client_is_removed_at_cleanup(
    server: MockServer, dialect: str
) -> None:
    api, box = _open(server, dialect)
    library = box.library_id
    assert library is not None
    item = api.items.create(library, "made-by-a-test").json
    other = box.new_item()
    update = api.update_sessions.create({"library_item_id": item}).json
    download = api.download_sessions.create({"library_item_id": other}).json
    extra_library = api.libraries.create("made-by-a-test-too", "datastore-101").json
    assert all(isinstance(v, str) for v in (item, update, download, extra_library))
    assert box.items == [item, other]
    assert box.update_sessions == [update]
    assert box.download_sessions == [download]
    assert box.libraries == [extra_library]

    assert box.cleanup() == []
    assert _gone(api.update_sessions.get(update))  # ACTIVE: canceled, then deleted
    assert _gone(api.download_sessions.get(download))
    assert _gone(api.items.get(item)) and _gone(api.items.get(other))
    assert _gone(api.libraries.get(extra_library)) and _gone(api.libraries.get(library))
    api.client.logout()
    api.client.close()


@pytest.mark.parametrize("dialect", ["api", "rest"])
def test_a_refused_create_or_another_request_tracks_nothing(
    server: MockServer, dialect: str
) -> None:
    api, box = _open(server, dialect)
    item = box.new_item()
    session = box.new_update_session(item)
    tracked = (list(box.items), list(box.update_sessions), list(box.download_sessions))

    assert api.update_sessions.create({"library_item_id": "no-such-item"}).status == 404
    assert api.update_sessions.create({}).status == 400
    assert api.download_sessions.create({"library_item_id": "no-such-item"}).status == 404
    # a second ACTIVE session on the item is refused too
    assert api.update_sessions.create({"library_item_id": item}).status >= 400
    for exchange in (
        api.update_sessions.get(session),
        api.update_sessions.keep_alive(session),
        api.update_sessions.complete(session),  # POST with ?action=: not a create
        api.items.list(box.library_id or ""),
    ):
        assert exchange.status < 300, exchange.describe()

    assert (box.items, box.update_sessions, box.download_sessions) == tracked
    assert box.libraries == []
    assert box.cleanup() == []
    api.client.logout()
    api.client.close()


def test_an_object_tracked_twice_is_removed_once(server: MockServer) -> None:
    """``new_update_session`` tracks what it made, and the listener sees the same create."""
    api, box = _open(server, "api")
    session = box.new_update_session(box.new_item())
    box.track_update_session(session)
    assert box.update_sessions == [session]
    deletes: list[Exchange] = []
    api.client.add_listener(lambda e: deletes.append(e) if e.method == "DELETE" else None)
    assert box.cleanup() == []
    removed = [e.url.rsplit("/", 1)[-1] for e in deletes if 200 <= e.status < 300]
    assert removed.count(session) == 1  # (an ACTIVE session refuses the first delete)
    api.client.close()


def _exchange(method: str, path: str, status: int, body: str = '"id-1"') -> Exchange:
    return Exchange(method, "https://vc.example" + path, {}, None, status, {}, body, 1.0)


@pytest.mark.parametrize(
    ("method", "path", "status", "kind"),
    [
        ("POST", "/api/content/library/item/update-session", 201, "update session"),
        ("POST", "/api/content/library/item/update-session?client_token=x", 201, "update session"),
        ("POST", "/api/content/library/item/download-session", 201, "download session"),
        ("POST", "/api/content/library/item", 201, "item"),
        ("POST", "/api/content/local-library", 201, "library"),
        ("POST", "/api/content/library/item/update-session", 400, None),
        ("GET", "/api/content/library/item/update-session", 200, None),
        ("POST", "/api/content/library/item/update-session/s1?action=cancel", 204, None),
        ("POST", "/api/content/library/item/update-session/s1/file", 201, None),
        ("POST", "/api/session", 201, None),
    ],
)
def test_created_kind_reads_only_successful_creates(
    method: str, path: str, status: int, kind: str | None
) -> None:
    assert created_kind(_exchange(method, path, status)) == kind


def test_cleanup_removes_sessions_then_items_then_libraries(server: MockServer) -> None:
    """Deletes within a stage run a few at a time; the stages keep their order."""
    api, box = _open(server, "api")
    deleted: list[str] = []

    def record(exchange: Exchange) -> None:
        if exchange.method == "DELETE" and 200 <= exchange.status < 300:
            deleted.append(exchange.url.split("/api/", 1)[1].rsplit("/", 1)[0])

    api.client.add_listener(record)
    items = [box.new_item() for _ in range(3)]
    for item in items:
        api.update_sessions.create({"library_item_id": item})
        api.download_sessions.create({"library_item_id": item})
    assert box.cleanup() == []
    kinds = [path.rsplit("/", 1)[-1] for path in deleted]
    stage = {"update-session": 0, "download-session": 0, "item": 1, "local-library": 2}
    assert sorted(kinds, key=stage.__getitem__) == kinds
    assert kinds.count("update-session") == 3 and kinds.count("item") == 3
    assert kinds[-1] == "local-library"
