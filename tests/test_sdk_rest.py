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
from com.vmware.cis_client import Session
from com.vmware.content.library.item import downloadsession_client, updatesession_client
from com.vmware.content.library.item_client import (
    DownloadSession,
    DownloadSessionModel,
    TransferStatus,
    UpdateSession,
    UpdateSessionModel,
)
from com.vmware.content.library_client import Item, ItemModel, StorageBacking
from com.vmware.content_client import LibraryModel, LocalLibrary
from com.vmware.vapi.std.errors_client import Error, Unauthenticated
from mock_fixtures import PASSWORD, USER
from vmware.vapi.bindings.stub import StubConfiguration
from vmware.vapi.lib.connect import get_requests_connector
from vmware.vapi.security.session import create_session_security_context
from vmware.vapi.security.user_password import create_user_password_security_context
from vmware.vapi.stdlib.client.factories import StubConfigurationFactory

from conformance.mock import FakeClock, MockServer, MockSettings

UpdateFile = updatesession_client.File
DownloadFile = downloadsession_client.File
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
    config = rest_config(mock, http)
    config.connector.set_security_context(create_user_password_security_context(USER, PASSWORD))
    token = Session(config).create()
    config.connector.set_security_context(create_session_security_context(token))
    return config


def new_item(config: StubConfiguration) -> str:
    backing = StorageBacking(type=StorageBacking.Type.DATASTORE, datastore_id="datastore-101")
    library_id = LocalLibrary(config).create(
        create_spec=LibraryModel(
            name="lib", type=LibraryModel.LibraryType.LOCAL, storage_backings=[backing]
        )
    )
    return str(Item(config).create(create_spec=ItemModel(library_id=library_id, name="iso")))


def test_sdk_rest_mode_full_lifecycle(
    config: StubConfiguration, mock: MockServer, http: requests.Session
) -> None:
    assert Session(config).get().user == USER
    item_id = new_item(config)
    library_id = Item(config).get(item_id).library_id
    assert Item(config).list(library_id) == [item_id]
    assert "/rest/content/library/item?library_id" in http.sent  # type: ignore[attr-defined]

    sessions = UpdateSession(config)
    session_id = sessions.create(create_spec=UpdateSessionModel(library_item_id=item_id))
    assert sessions.get(session_id).state == UpdateSessionModel.State.ACTIVE
    added = UpdateFile(config).add(
        session_id,
        UpdateFile.AddSpec(name="a.iso", source_type=UpdateFile.SourceType.PUSH, size=len(CONTENT)),
    )
    http.post(added.upload_endpoint.uri, data=CONTENT, timeout=10).raise_for_status()
    assert UpdateFile(config).get(session_id, "a.iso").status == TransferStatus.READY
    assert not UpdateFile(config).validate(session_id).has_errors
    sessions.complete(session_id)
    assert sessions.get(session_id).state == UpdateSessionModel.State.DONE
    sessions.delete(session_id)

    downloads = DownloadSession(config)
    download_id = downloads.create(create_spec=DownloadSessionModel(library_item_id=item_id))
    DownloadFile(config).prepare(download_id, "a.iso")
    prepared = DownloadFile(config).get(download_id, "a.iso")
    assert prepared.status == DownloadFile.PrepareStatus.PREPARED
    assert http.get(prepared.download_endpoint.uri, timeout=10).content == CONTENT
    downloads.delete(download_id)

    Session(config).delete()
    with pytest.raises(Unauthenticated):
        Session(config).get()
    # What the connector really sent: the /api templates under the /rest URL.
    assert f"/rest/content/library/item/update-session/{session_id}?action=complete" in (
        http.sent  # type: ignore[attr-defined]
    )
    assert mock.backend.update_sessions.list_ids(None) == []


def error_type(raised: pytest.ExceptionInfo[Error]) -> str:
    return str(raised.value.error_type)


def test_sdk_rest_mode_errors_carry_their_error_type(config: StubConfiguration) -> None:
    sessions = UpdateSession(config)
    with pytest.raises(Error) as unknown:
        sessions.get("no-such-session")
    assert error_type(unknown) == "NOT_FOUND"
    item_id = new_item(config)
    session_id = sessions.create(create_spec=UpdateSessionModel(library_item_id=item_id))
    with pytest.raises(Error) as busy:
        sessions.create(create_spec=UpdateSessionModel(library_item_id=item_id))
    assert error_type(busy) == "RESOURCE_BUSY"
    with pytest.raises(Error) as active:
        sessions.delete(session_id)
    assert error_type(active) == "NOT_ALLOWED_IN_CURRENT_STATE"
    assert active.value.messages[0].args == ["delete", "ACTIVE"]


def test_sdk_rest_mode_sees_a_mock_flaw(config: StubConfiguration, mock: MockServer) -> None:
    sessions = UpdateSession(config)
    session_id = sessions.create(create_spec=UpdateSessionModel(library_item_id=new_item(config)))
    mock.backend.set_flaws({"delete-active-allowed"})
    sessions.delete(session_id)
    with pytest.raises(Error) as gone:
        sessions.get(session_id)
    assert error_type(gone) == "NOT_FOUND"


def test_sdk_rest_mode_sees_the_fake_clock_expire_sessions(
    config: StubConfiguration, mock: MockServer
) -> None:
    clock = mock.backend.clock
    assert isinstance(clock, FakeClock)
    sessions = UpdateSession(config)
    session_id = sessions.create(create_spec=UpdateSessionModel(library_item_id=new_item(config)))
    clock.advance(300)
    assert sessions.get(session_id).state == UpdateSessionModel.State.ACTIVE
    clock.advance(1)
    with pytest.raises(Error) as expired:
        sessions.get(session_id)
    assert error_type(expired) == "NOT_FOUND"
