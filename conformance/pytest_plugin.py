"""pytest plugin: a mock vCenter for your own tests (entry point ``pytest11``).

Installing the package registers it; nothing happens until a test asks for a fixture:

* ``vcenter_mock``: a mock vCenter over HTTP on a free loopback port, for the whole session;
* ``vcenter_mock_tls``: the same over HTTPS, with ``ca_bundle`` to verify it.

Both yield a ``VcenterMock`` (``url``, ``user``, ``password``, ``reset()``, ``seed_item()``,
...). The mock serves /api REST, JSON-RPC at ``POST /api`` (the official SDK's protocol)
and legacy /rest, from one state. Its clock is a ``FakeClock``: time stands still until
``advance()``, so session expiry is tested without waiting. The mock is imported inside
the fixtures, so a test run that uses neither pays nothing.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .mock import Backend, FakeClock, MockServer

__all__ = ["VcenterMock", "vcenter_mock", "vcenter_mock_tls"]

USER = "administrator@vsphere.local"
DATASTORE = "datastore-101"  # the mock's datastore with the most free space


@dataclass
class VcenterMock:
    """A running mock vCenter and helpers to put things in it."""

    url: str
    user: str
    password: str
    server: MockServer
    ca_bundle: str | None = None  # the CA of ``vcenter_mock_tls``; None over HTTP

    @property
    def host(self) -> str:
        """``host:port``, what ``create_vsphere_client(server=...)`` takes."""
        return self.url.split("://", 1)[1]

    @property
    def backend(self) -> Backend:
        return self.server.backend

    @property
    def clock(self) -> FakeClock:
        from .mock import FakeClock

        clock = self.server.backend.clock
        assert isinstance(clock, FakeClock)
        return clock

    def advance(self, seconds: float) -> None:
        """Move the mock's clock: sessions expire 300 s after their last keep-alive."""
        self.clock.advance(seconds)

    def reset(self) -> None:
        """Forget every library, item, session and login token (the clock stays)."""
        self.server.backend.reset()

    def set_flaws(self, *names: str) -> None:
        """Make the mock break documented rules (``conformance.mock.FLAWS``), to test your
        client's error handling; ``set_flaws()`` turns them off."""
        self.server.backend.set_flaws(set(names))

    def seed_library(self, name: str = "library", datastore_id: str = DATASTORE) -> str:
        """A local library on ``datastore_id``; returns its id."""
        from .mock.models.library import StorageBacking

        backing = StorageBacking("DATASTORE", datastore_id, None)
        return self.backend.library.create_library(name, None, [backing], None)

    def seed_item(
        self,
        library_id: str | None = None,
        name: str = "item",
        *,
        item_type: str = "iso",
        files: dict[str, bytes] | None = None,
    ) -> str:
        """A library item (in a new library unless given), holding ``files``; returns its id.

        The files go in as a client would put them: an update session, one PUSH upload
        each, ``complete``, and the session deleted.
        """
        library_id = library_id or self.seed_library()
        item_id = self.backend.library.create_item(library_id, name, item_type, None, None)
        if files:
            self._upload(item_id, files)
        return item_id

    def _upload(self, item_id: str, files: dict[str, bytes]) -> None:
        import requests

        with requests.Session() as http:
            http.trust_env = False
            http.verify = self.ca_bundle or True
            login = http.post(self.url + "/api/session", auth=(self.user, self.password))
            login.raise_for_status()
            http.headers["vmware-api-session-id"] = login.json()
            sessions = self.url + "/api/content/library/item/update-session"
            session = http.post(sessions, json={"library_item_id": item_id})
            session.raise_for_status()
            session_url = f"{sessions}/{session.json()}"
            for file_name, content in files.items():
                added = http.post(
                    session_url + "/file", json={"name": file_name, "source_type": "PUSH"}
                )
                added.raise_for_status()
                http.put(added.json()["upload_endpoint"]["uri"], data=content).raise_for_status()
            http.post(session_url, params={"action": "complete"}).raise_for_status()
            http.delete(session_url).raise_for_status()
            http.delete(self.url + "/api/session").raise_for_status()


def _start(tls_directory: Path | None) -> Iterator[VcenterMock]:
    from .mock import FakeClock, MockServer, MockSettings

    password = secrets.token_urlsafe(12)
    settings = MockSettings(user=USER, password=password, clock=FakeClock())
    options: dict[str, Any] = {}
    ca_bundle = None
    if tls_directory is not None:
        from .mock.tls import make_certificates

        files = make_certificates(tls_directory)
        options = {"ssl_certfile": str(files.cert), "ssl_keyfile": str(files.key)}
        ca_bundle = str(files.ca)
    with MockServer(settings, **options) as server:
        yield VcenterMock(server.url, USER, password, server, ca_bundle)


@pytest.fixture(scope="session")
def vcenter_mock() -> Iterator[VcenterMock]:
    """A mock vCenter over HTTP on a free loopback port, stopped at the end of the session."""
    yield from _start(None)


@pytest.fixture(scope="session")
def vcenter_mock_tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VcenterMock]:
    """The mock over HTTPS; verify it with ``ca_bundle`` (a fresh CA each session)."""
    yield from _start(tmp_path_factory.mktemp("vcenter-mock-tls"))
