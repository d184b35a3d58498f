"""The official vSphere Automation SDK (9.1.1.0), unchanged, against the mock's JSON-RPC door.

``create_vsphere_client`` and ``get_requests_connector(url=<vc>/api)`` speak JSON-RPC 2.0
over ``POST /api`` (contract §1, §7.2). Every test runs over HTTP and over HTTPS (the
mock's ``--tls`` certificates, verified by the SDK's requests session).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
import requests
from com.vmware.appliance.system_client import Version
from com.vmware.cis_client import Session
from com.vmware.content.library.item import downloadsession_client, updatesession_client
from com.vmware.content.library.item_client import (
    DownloadSession,
    DownloadSessionModel,
    TransferStatus,
    UpdateSession,
    UpdateSessionModel,
)
from com.vmware.content.library.item_client import File as ItemFile
from com.vmware.content.library_client import Item, ItemModel, StorageBacking
from com.vmware.content_client import LibraryModel, LocalLibrary
from com.vmware.vapi.std.errors_client import (
    NotAllowedInCurrentState,
    NotFound,
    ResourceBusy,
    Unauthenticated,
)
from com.vmware.vcenter_client import Datastore
from mock_fixtures import PASSWORD, USER
from vmware.vapi.bindings.stub import StubConfiguration
from vmware.vapi.lib.connect import get_requests_connector
from vmware.vapi.security.session import create_session_security_context
from vmware.vapi.security.user_password import create_user_password_security_context
from vmware.vapi.stdlib.client.factories import StubConfigurationFactory
from vmware.vapi.vsphere.client import create_vsphere_client

from conformance.mock import FakeClock, MockServer, MockSettings
from conformance.mock.tls import make_certificates

UpdateFile = updatesession_client.File
DownloadFile = downloadsession_client.File
DATASTORE = "datastore-101"
CONTENT = b"vcenter-conformance " * 1000


@pytest.fixture(scope="module", params=["http", "https"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[MockServer, bool | str]]:
    """The mock and what ``requests`` should verify its certificate with."""
    settings = MockSettings(user=USER, password=PASSWORD, clock=FakeClock())
    if request.param == "http":
        with MockServer(settings) as plain:
            yield plain, True
        return
    files = make_certificates(tmp_path_factory.mktemp("sdk-tls"))
    with MockServer(settings, ssl_certfile=str(files.cert), ssl_keyfile=str(files.key)) as tls:
        yield tls, str(files.ca)


@pytest.fixture
def mock(server: tuple[MockServer, bool | str]) -> MockServer:
    server[0].backend.reset()
    return server[0]


@pytest.fixture
def http(server: tuple[MockServer, bool | str]) -> Iterator[requests.Session]:
    session = requests.Session()
    session.trust_env = False  # else REQUESTS_CA_BUNDLE would win over ``verify``
    session.verify = server[1]
    yield session
    session.close()


def stub_config(mock: MockServer, http: requests.Session) -> StubConfiguration:
    connector = get_requests_connector(session=http, url=mock.url + "/api")
    return StubConfigurationFactory.new_std_configuration(connector)


@pytest.fixture
def config(mock: MockServer, http: requests.Session) -> StubConfiguration:
    """A stub configuration logged in the SDK's way: user_pass, then session_id."""
    config = stub_config(mock, http)
    config.connector.set_security_context(create_user_password_security_context(USER, PASSWORD))
    token = Session(config).create()
    config.connector.set_security_context(create_session_security_context(token))
    return config


def new_item(config: StubConfiguration) -> str:
    backing = StorageBacking(type=StorageBacking.Type.DATASTORE, datastore_id=DATASTORE)
    library_id = LocalLibrary(config).create(
        create_spec=LibraryModel(
            name="lib", type=LibraryModel.LibraryType.LOCAL, storage_backings=[backing]
        )
    )
    return str(Item(config).create(create_spec=ItemModel(library_id=library_id, name="iso")))


def test_sdk_login_library_and_item(config: StubConfiguration) -> None:
    assert Session(config).get().user == USER
    backing = StorageBacking(type=StorageBacking.Type.DATASTORE, datastore_id=DATASTORE)
    library_id = LocalLibrary(config).create(
        create_spec=LibraryModel(
            name="lib", type=LibraryModel.LibraryType.LOCAL, storage_backings=[backing]
        )
    )
    library = LocalLibrary(config).get(library_id)
    assert (library.id, library.name, library.type) == (library_id, "lib", "LOCAL")
    assert library.storage_backings[0].datastore_id == DATASTORE
    assert LocalLibrary(config).list() == [library_id]
    item_id = Item(config).create(
        create_spec=ItemModel(library_id=library_id, name="iso", type="iso")
    )
    assert Item(config).list(library_id) == [item_id]
    item = Item(config).get(item_id)
    assert (item.name, item.library_id, item.content_version) == ("iso", library_id, "1")


def test_sdk_datastores_and_version(config: StubConfiguration) -> None:
    datastores = Datastore(config).list()
    assert DATASTORE in [d.datastore for d in datastores]
    named = datastores[0].name
    assert [d.name for d in Datastore(config).list(Datastore.FilterSpec(names={named}))] == [named]
    assert Datastore(config).list(Datastore.FilterSpec(names={"no such name"})) == []
    assert Version(config).get().version


def test_sdk_update_session_lifecycle_with_upload(
    config: StubConfiguration, http: requests.Session
) -> None:
    item_id = new_item(config)
    sessions = UpdateSession(config)
    session_id = sessions.create(create_spec=UpdateSessionModel(library_item_id=item_id))
    assert sessions.list(library_item_id=item_id) == [session_id]
    model = sessions.get(session_id)
    assert model.state == UpdateSessionModel.State.ACTIVE
    assert model.library_item_id == item_id and model.id is None
    assert model.expiration_time is not None  # parsed by the SDK's date-time rules

    files = UpdateFile(config)
    sha1 = hashlib.sha1(CONTENT).hexdigest()
    added = files.add(
        session_id,
        UpdateFile.AddSpec(
            name="disk.iso",
            source_type=UpdateFile.SourceType.PUSH,
            size=len(CONTENT),
            checksum_info=ItemFile.ChecksumInfo(
                algorithm=ItemFile.ChecksumAlgorithm.SHA1, checksum=sha1
            ),
        ),
    )
    assert added.status == TransferStatus.WAITING_FOR_TRANSFER
    assert added.bytes_transferred == 0
    # The upload goes to the endpoint the SDK returned, scheme and port included.
    uploaded = http.put(added.upload_endpoint.uri, data=CONTENT, timeout=10)
    assert uploaded.status_code == 200, uploaded.text
    ready = files.get(session_id, "disk.iso")
    assert ready.status == TransferStatus.READY
    assert (ready.size, ready.bytes_transferred) == (len(CONTENT), len(CONTENT))
    assert [f.name for f in files.list(session_id)] == ["disk.iso"]
    validation = files.validate(session_id)
    assert not validation.has_errors and not validation.missing_files

    sessions.keep_alive(session_id, client_progress=50)
    assert sessions.get(session_id).client_progress == 50
    sessions.complete(session_id)
    assert sessions.get(session_id).state == UpdateSessionModel.State.DONE
    sessions.delete(session_id)
    with pytest.raises(NotFound):
        sessions.get(session_id)
    item_files = ItemFile(config).list(item_id)
    assert [(f.name, f.size) for f in item_files] == [("disk.iso", len(CONTENT))]
    assert ItemFile(config).get(item_id, "disk.iso").checksum_info.checksum == sha1


def test_sdk_download_session_prepare_and_download(
    config: StubConfiguration, http: requests.Session
) -> None:
    item_id = new_item(config)
    session_id = UpdateSession(config).create(
        create_spec=UpdateSessionModel(library_item_id=item_id)
    )
    added = UpdateFile(config).add(
        session_id, UpdateFile.AddSpec(name="a.bin", source_type=UpdateFile.SourceType.PUSH)
    )
    http.put(added.upload_endpoint.uri, data=CONTENT, timeout=10).raise_for_status()
    UpdateSession(config).complete(session_id)

    downloads = DownloadSession(config)
    download_id = downloads.create(create_spec=DownloadSessionModel(library_item_id=item_id))
    assert downloads.get(download_id).state == DownloadSessionModel.State.ACTIVE
    files = DownloadFile(config)
    assert [(f.name, f.status) for f in files.list(download_id)] == [
        ("a.bin", DownloadFile.PrepareStatus.UNPREPARED)
    ]
    files.prepare(download_id, "a.bin", endpoint_type=DownloadFile.EndpointType.HTTPS)
    prepared = files.get(download_id, "a.bin")
    assert prepared.status == DownloadFile.PrepareStatus.PREPARED
    fetched = http.get(prepared.download_endpoint.uri, timeout=10)
    assert fetched.status_code == 200 and fetched.content == CONTENT
    downloads.keep_alive(download_id, progress=100)
    downloads.cancel(download_id)
    assert downloads.get(download_id).state == DownloadSessionModel.State.CANCELED
    downloads.delete(download_id)
    assert downloads.list() == []


def test_sdk_documented_errors_raise_the_sdk_classes(
    mock: MockServer, http: requests.Session
) -> None:
    anonymous = stub_config(mock, http)
    with pytest.raises(Unauthenticated) as unauthenticated:
        Session(anonymous).get()
    assert unauthenticated.value.error_type == Unauthenticated.Type.UNAUTHENTICATED
    anonymous.connector.set_security_context(create_user_password_security_context(USER, "wrong"))
    with pytest.raises(Unauthenticated):
        Session(anonymous).create()

    config = stub_config(mock, http)
    config.connector.set_security_context(create_user_password_security_context(USER, PASSWORD))
    config.connector.set_security_context(create_session_security_context(Session(config).create()))
    sessions = UpdateSession(config)
    with pytest.raises(NotFound) as not_found:
        sessions.get("no-such-session")
    assert not_found.value.messages[0].args == ["no-such-session"]
    item_id = new_item(config)
    session_id = sessions.create(create_spec=UpdateSessionModel(library_item_id=item_id))
    with pytest.raises(ResourceBusy):
        sessions.create(create_spec=UpdateSessionModel(library_item_id=item_id))
    with pytest.raises(NotAllowedInCurrentState) as nacs:
        sessions.delete(session_id)
    assert nacs.value.messages[0].args == ["delete", "ACTIVE"]
    sessions.cancel(session_id)
    with pytest.raises(NotAllowedInCurrentState):
        sessions.complete(session_id)

    Session(config).delete()  # logout
    with pytest.raises(Unauthenticated):
        sessions.get(session_id)


@pytest.mark.parametrize("server", ["https"], indirect=True)  # it always uses https
def test_create_vsphere_client_logs_in_and_out(mock: MockServer, http: requests.Session) -> None:
    """The SDK's one-line entry point, against ``mock --tls``."""
    client = create_vsphere_client(
        server=mock.url.removeprefix("https://"), username=USER, password=PASSWORD, session=http
    )
    token = client.get_session_id()
    assert mock.backend.api_sessions.touch(token).user == USER
    assert client.content.LocalLibrary.list() == []
    client.session_svc.delete()
    with pytest.raises(Unauthenticated):
        client.content.LocalLibrary.list()


def test_sdk_sees_a_mock_flaw_through_jsonrpc(config: StubConfiguration, mock: MockServer) -> None:
    """``delete-active-allowed``: the SDK's delete of an ACTIVE session no longer raises."""
    sessions = UpdateSession(config)
    session_id = sessions.create(create_spec=UpdateSessionModel(library_item_id=new_item(config)))
    mock.backend.set_flaws({"delete-active-allowed"})
    sessions.delete(session_id)
    with pytest.raises(NotFound):
        sessions.get(session_id)


def test_sdk_sees_the_fake_clock_expire_sessions(
    config: StubConfiguration, mock: MockServer
) -> None:
    clock = mock.backend.clock
    assert isinstance(clock, FakeClock)
    sessions = UpdateSession(config)
    session_id = sessions.create(create_spec=UpdateSessionModel(library_item_id=new_item(config)))
    clock.advance(300)
    assert sessions.get(session_id).state == UpdateSessionModel.State.ACTIVE
    clock.advance(1)
    with pytest.raises(NotFound):
        sessions.get(session_id)
