"""Fixtures and a small HTTP client for the mock vCenter's own tests (``tests/test_mock_*.py``).

Test modules use it with ``pytest_plugins = ["mock_fixtures"]`` and import ``Api`` and
the helpers from it. They import this file before pytest registers it as a plugin, so
pytest could not rewrite its asserts anyway: PYTEST_DONT_REWRITE says so, and silences
the warning (which ``filterwarnings = error`` would turn into a failure).
"""

from __future__ import annotations

import itertools
import secrets
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
import requests

from conformance.mock import FakeClock, MockServer, MockSettings
from conformance.mock.models import common as models_common

USER = "administrator@vsphere.local"
PASSWORD = "secret"
SESSION_HEADER = "vmware-api-session-id"
US = "/api/content/library/item/update-session"
DS = "/api/content/library/item/download-session"
ITEM = "/api/content/library/item"
LIB = "/api/content/local-library"
DATASTORE = "datastore-101"
ISO_MS_Z = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"


class Api:
    """A thin ``requests`` client for the mock, with helpers that create fixtures."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = requests.Session()
        self.token: str | None = None

    def close(self) -> None:
        self.http.close()

    def login(self, user: str = USER, password: str = PASSWORD) -> str:
        response = self.http.post(self.base_url + "/api/session", auth=(user, password))
        assert response.status_code == 201, response.text
        self.token = response.json()
        self.http.headers[SESSION_HEADER] = self.token
        return self.token

    def logout_locally(self) -> None:
        """Forget the token client-side (the server still knows it)."""
        self.http.headers.pop(SESSION_HEADER, None)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.http.request(method, self.base_url + path, timeout=10, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    # -- fixtures ----------------------------------------------------------------------
    def _created(self, response: requests.Response) -> str:
        assert response.status_code in (200, 201), response.text
        value = response.json()
        assert isinstance(value, str), value
        return value

    def library(self, name: str = "lib") -> str:
        body = {
            "name": name,
            "type": "LOCAL",
            "storage_backings": [{"type": "DATASTORE", "datastore_id": DATASTORE}],
        }
        return self._created(self.post(LIB, json=body))

    def item(self, library_id: str | None = None, name: str = "item") -> str:
        library_id = library_id or self.library()
        body = {"library_id": library_id, "name": name, "type": "iso"}
        return self._created(self.post(ITEM, json=body))

    def update_session(self, item_id: str | None = None, **extra: Any) -> str:
        body = {"library_item_id": item_id or self.item(), **extra}
        return self._created(self.post(US, json=body))

    def download_session(self, item_id: str | None = None) -> str:
        return self._created(self.post(DS, json={"library_item_id": item_id or self.item()}))

    def us_action(self, session_id: str, action: str, **kwargs: Any) -> requests.Response:
        return self.post(f"{US}/{session_id}", params={"action": action}, **kwargs)

    def ds_action(self, session_id: str, action: str, **kwargs: Any) -> requests.Response:
        return self.post(f"{DS}/{session_id}", params={"action": action}, **kwargs)

    def us_get(self, session_id: str) -> dict[str, Any]:
        response = self.get(f"{US}/{session_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def ds_get(self, session_id: str) -> dict[str, Any]:
        response = self.get(f"{DS}/{session_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


def assert_error(response: requests.Response, status: int, error_type: str) -> dict[str, Any]:
    """The response is a well-formed vAPI error of this status and type; returns the body."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    assert body["error_type"] == error_type, body
    assert body["messages"], body
    for message in body["messages"]:
        assert isinstance(message["id"], str) and message["id"]
        assert isinstance(message["default_message"], str) and message["default_message"]
        assert all(isinstance(arg, str) for arg in message["args"])
    return body


@pytest.fixture(scope="session")
def mock_server() -> Iterator[MockServer]:
    """One mock vCenter on a free port and a FakeClock, for the whole test session."""
    with MockServer(MockSettings(user=USER, password=PASSWORD, clock=FakeClock())) as server:
        yield server


@pytest.fixture
def mock(mock_server: MockServer) -> MockServer:
    """The shared server with its state (and runtime flaws) reset."""
    mock_server.backend.reset()
    return mock_server


@pytest.fixture
def clock(mock: MockServer) -> FakeClock:
    assert isinstance(mock.backend.clock, FakeClock)
    return mock.backend.clock


@pytest.fixture
def anon(mock: MockServer) -> Iterator[Api]:
    """A client without a session."""
    client = Api(mock.url)
    yield client
    client.close()


@pytest.fixture
def api(anon: Api) -> Api:
    """A logged-in client."""
    anon.login()
    return anon


def observe(
    mock: MockServer,
    probe: Callable[[Api, FakeClock], Any],
    *,
    flaws: Iterable[str] = (),
    variants: Iterable[str] = (),
) -> Any:
    """Run ``probe`` on a fresh mock (logged in first), with ``flaws`` and ``variants`` on;
    the mock is reset afterwards. The flaw and variant probes share it."""
    mock.backend.reset()
    api = Api(mock.url)
    try:
        api.login()
        mock.backend.set_flaws(flaws)
        mock.backend.set_variants(variants)
        clock = mock.backend.clock
        assert isinstance(clock, FakeClock)
        return probe(api, clock)
    finally:
        api.close()
        mock.backend.reset()


def count_ids(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Ids and tokens the mock makes, from a counter; the function returned restarts it,
    so two apps given the same requests answer with the same ids."""
    counter = [itertools.count(1)]

    def fake_uuid4() -> uuid.UUID:
        return uuid.UUID(int=next(counter[0]))

    def fake_token_hex(nbytes: int | None = None) -> str:
        return format(next(counter[0]), "x").rjust(2 * (nbytes or 32), "0")

    def restart() -> None:
        counter[0] = itertools.count(1)

    monkeypatch.setattr(uuid, "uuid4", fake_uuid4)
    monkeypatch.setattr(models_common, "new_id", lambda: str(fake_uuid4()))
    monkeypatch.setattr(secrets, "token_hex", fake_token_hex)
    return restart
