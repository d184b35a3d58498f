"""The official SDK's REST mode (``msg_protocol='rest'``), unchanged, against the mock's /rest.

Given ``url=<mock>/rest``, the 9.1.1 REST connector sends the bindings' /api templates
under that URL (``POST /rest/session``, ``GET /rest/content/library/item?library_id`` with
the value in a JSON body, ...) and expects the legacy ``{"value": ...}`` and
``{"type", "value"}`` envelopes (contract §1, §7.1). The mock serves exactly that.

The REST connector picks the exception class by the operation's first declared error,
whatever the body says (contract §1, defect 3), so errors are judged by ``error_type``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import sdk_steps as steps
from com.vmware.cis_client import Session
from com.vmware.content.library_client import Item
from com.vmware.vapi.std.errors_client import Unauthenticated
from mock_fixtures import PASSWORD, USER
from vmware.vapi.bindings.stub import StubConfiguration
from vmware.vapi.lib.connect import get_requests_connector
from vmware.vapi.stdlib.client.factories import StubConfigurationFactory

from conformance.mock import FakeClock, MockServer, MockSettings

CONTENT = b"legacy rest " * 500


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(MockSettings(user=USER, password=PASSWORD, clock=FakeClock())) as mock:
        yield mock


@pytest.fixture
def mock(server: MockServer) -> MockServer:
    server.backend.reset()
    return server


@pytest.fixture
def http() -> Iterator[requests.Session]:
    session = requests.Session()
    sent: list[str] = []
    session.hooks["response"].append(lambda r, *a, **k: sent.append(r.request.path_url))
    session.sent = sent  # type: ignore[attr-defined]
    yield session
    session.close()


def rest_config(mock: MockServer, http: requests.Session) -> StubConfiguration:
    connector = get_requests_connector(session=http, url=mock.url + "/rest", msg_protocol="rest")
    return StubConfigurationFactory.new_std_configuration(connector)


@pytest.fixture
def config(mock: MockServer, http: requests.Session) -> StubConfiguration:
    return steps.log_in(rest_config(mock, http))


def test_sdk_rest_mode_full_lifecycle(
    config: StubConfiguration, mock: MockServer, http: requests.Session
) -> None:
    assert Session(config).get().user == USER
    # uploads by POST here (the JSON-RPC tests PUT): the endpoint takes both (§8)
    item_id, session_id = steps.update_session_lifecycle(config, http, steps.REST, CONTENT, "POST")
    library_id = Item(config).get(item_id).library_id
    assert Item(config).list(library_id) == [item_id]
    assert "/rest/content/library/item?library_id" in http.sent  # type: ignore[attr-defined]
    steps.download_lifecycle(config, http, item_id, "disk.iso", CONTENT)

    Session(config).delete()
    with pytest.raises(Unauthenticated):
        Session(config).get()
    # What the connector really sent: the /api templates under the /rest URL.
    assert f"/rest/content/library/item/update-session/{session_id}?action=complete" in (
        http.sent  # type: ignore[attr-defined]
    )
    assert mock.backend.update_sessions.list_ids(None) == []


def test_sdk_rest_mode_errors_carry_their_error_type(config: StubConfiguration) -> None:
    steps.documented_session_errors(config, steps.REST)


def test_sdk_rest_mode_sees_a_mock_flaw(config: StubConfiguration, mock: MockServer) -> None:
    steps.flaw_shows(config, mock, steps.REST)


def test_sdk_rest_mode_sees_the_fake_clock_expire_sessions(
    config: StubConfiguration, mock: MockServer
) -> None:
    steps.fake_clock_expires_sessions(config, mock, steps.REST)
