"""The official vSphere Automation SDK (9.1.1.0), unchanged, against the mock's JSON-RPC door.

``create_vsphere_client`` and ``get_requests_connector(url=<vc>/api)`` speak JSON-RPC 2.0
over ``POST /api`` (contract §1, §7.2). Every test runs over HTTP and over HTTPS (the
mock's ``--tls`` certificates, verified by the SDK's requests session).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import sdk_steps as steps
from com.vmware.appliance.system_client import Version
from com.vmware.cis_client import Session
from com.vmware.content.library.item_client import UpdateSession
from com.vmware.content.library_client import Item, ItemModel
from com.vmware.content_client import LocalLibrary
from com.vmware.vapi.std.errors_client import Unauthenticated
from com.vmware.vcenter_client import Datastore
from mock_fixtures import DATASTORE, PASSWORD, USER
from vmware.vapi.bindings.stub import StubConfiguration
from vmware.vapi.lib.connect import get_requests_connector
from vmware.vapi.security.user_password import create_user_password_security_context
from vmware.vapi.stdlib.client.factories import StubConfigurationFactory
from vmware.vapi.vsphere.client import create_vsphere_client

from conformance.mock import FakeClock, MockServer, MockSettings
from conformance.mock.tls import make_certificates

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
    return steps.log_in(stub_config(mock, http))


def test_sdk_login_library_and_item(config: StubConfiguration) -> None:
    assert Session(config).get().user == USER
    library_id = steps.new_library(config)
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
    steps.update_session_lifecycle(config, http, steps.JSONRPC, CONTENT, "PUT")


def test_sdk_download_session_prepare_and_download(
    config: StubConfiguration, http: requests.Session
) -> None:
    item_id = steps.new_item(config)
    session_id = steps.new_update_session(config, item_id)
    steps.upload(config, http, session_id, "a.bin", CONTENT)
    UpdateSession(config).complete(session_id)
    steps.download_lifecycle(config, http, item_id, "a.bin", CONTENT)


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

    config = steps.log_in(stub_config(mock, http))
    session_id = steps.documented_session_errors(config, steps.JSONRPC)

    Session(config).delete()  # logout
    with pytest.raises(Unauthenticated):
        UpdateSession(config).get(session_id)


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
    steps.flaw_shows(config, mock, steps.JSONRPC)


def test_sdk_sees_the_fake_clock_expire_sessions(
    config: StubConfiguration, mock: MockServer
) -> None:
    steps.fake_clock_expires_sessions(config, mock, steps.JSONRPC)
