"""The official SDK's lifecycle steps, shared by its two doors into the mock:
``test_sdk_jsonrpc.py`` (JSON-RPC at ``/api``) and ``test_sdk_rest.py`` (the REST
connector at ``/rest``). Each door passes its ``Door``, which says how an SDK error is
judged there; what only one door shows stays in its own module.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

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
from com.vmware.content.library.item_client import File as ItemFile
from com.vmware.content.library_client import Item, ItemModel, StorageBacking
from com.vmware.content_client import LibraryModel, LocalLibrary
from com.vmware.vapi.std.errors_client import (
    Error,
    NotAllowedInCurrentState,
    NotFound,
    ResourceBusy,
)
from mock_fixtures import DATASTORE, PASSWORD, USER
from vmware.vapi.bindings.stub import StubConfiguration
from vmware.vapi.security.session import create_session_security_context
from vmware.vapi.security.user_password import create_user_password_security_context

from conformance.mock import FakeClock, MockServer

UpdateFile = updatesession_client.File
DownloadFile = downloadsession_client.File


@dataclass(frozen=True)
class Door:
    """How SDK errors come out of a door. JSON-RPC raises the class the error names
    (``typed``); the REST connector raises the operation's first declared error whatever
    the body says (contract §1, defect 3), so there only ``error_type`` is judged."""

    typed: bool

    @contextmanager
    def raises(self, error: type[Error]) -> Iterator[pytest.ExceptionInfo[Error]]:
        """Like ``pytest.raises(error)``, and the error's ``error_type`` matches it."""
        with pytest.raises(error if self.typed else Error) as raised:
            yield raised
        assert str(raised.value.error_type) == _error_type(error)


JSONRPC = Door(typed=True)
REST = Door(typed=False)


def _error_type(error: type[Error]) -> str:
    """``NotAllowedInCurrentState`` -> ``NOT_ALLOWED_IN_CURRENT_STATE``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", error.__name__).upper()


def log_in(config: StubConfiguration) -> StubConfiguration:
    """Log in the SDK's way: user_pass, then the session_id it answered."""
    config.connector.set_security_context(create_user_password_security_context(USER, PASSWORD))
    token = Session(config).create()
    config.connector.set_security_context(create_session_security_context(token))
    return config


def new_library(config: StubConfiguration) -> str:
    backing = StorageBacking(type=StorageBacking.Type.DATASTORE, datastore_id=DATASTORE)
    spec = LibraryModel(name="lib", type=LibraryModel.LibraryType.LOCAL, storage_backings=[backing])
    return str(LocalLibrary(config).create(create_spec=spec))


def new_item(config: StubConfiguration) -> str:
    library_id = new_library(config)
    return str(Item(config).create(create_spec=ItemModel(library_id=library_id, name="iso")))


def new_update_session(config: StubConfiguration, item_id: str | None = None) -> str:
    spec = UpdateSessionModel(library_item_id=item_id or new_item(config))
    return str(UpdateSession(config).create(create_spec=spec))


def upload(
    config: StubConfiguration,
    http: requests.Session,
    session_id: str,
    name: str,
    content: bytes,
    *,
    method: str = "PUT",
    spec: UpdateFile.AddSpec | None = None,
) -> UpdateFile.Info:
    """Add a PUSH file (``spec``, or a bare one) and send its bytes to the endpoint the SDK
    returned, scheme and port included; the file as ``add`` answered it."""
    spec = spec or UpdateFile.AddSpec(name=name, source_type=UpdateFile.SourceType.PUSH)
    added = UpdateFile(config).add(session_id, spec)
    assert added.status == TransferStatus.WAITING_FOR_TRANSFER
    assert added.bytes_transferred == 0
    sent = http.request(method, added.upload_endpoint.uri, data=content, timeout=10)
    assert sent.status_code == 200, sent.text
    return added


def update_session_lifecycle(
    config: StubConfiguration, http: requests.Session, door: Door, content: bytes, method: str
) -> tuple[str, str]:
    """Create, add and upload a verified file (``method``: PUT or POST), validate,
    keep-alive, complete, delete; the file is the item's. Returns (item id, session id)."""
    item_id = new_item(config)
    sessions = UpdateSession(config)
    session_id = new_update_session(config, item_id)
    assert sessions.list(library_item_id=item_id) == [session_id]
    model = sessions.get(session_id)
    assert model.state == UpdateSessionModel.State.ACTIVE
    assert model.library_item_id == item_id and model.id is None
    assert model.expiration_time is not None  # parsed by the SDK's date-time rules

    sha1 = hashlib.sha1(content).hexdigest()
    spec = UpdateFile.AddSpec(
        name="disk.iso",
        source_type=UpdateFile.SourceType.PUSH,
        size=len(content),
        checksum_info=ItemFile.ChecksumInfo(
            algorithm=ItemFile.ChecksumAlgorithm.SHA1, checksum=sha1
        ),
    )
    upload(config, http, session_id, "disk.iso", content, method=method, spec=spec)
    files = UpdateFile(config)
    ready = files.get(session_id, "disk.iso")
    assert ready.status == TransferStatus.READY
    assert (ready.size, ready.bytes_transferred) == (len(content), len(content))
    assert [f.name for f in files.list(session_id)] == ["disk.iso"]
    validation = files.validate(session_id)
    assert not validation.has_errors and not validation.missing_files

    sessions.keep_alive(session_id, client_progress=50)
    assert sessions.get(session_id).client_progress == 50
    sessions.complete(session_id)
    assert sessions.get(session_id).state == UpdateSessionModel.State.DONE
    sessions.delete(session_id)
    with door.raises(NotFound):
        sessions.get(session_id)
    item_files = ItemFile(config).list(item_id)
    assert [(f.name, f.size) for f in item_files] == [("disk.iso", len(content))]
    assert ItemFile(config).get(item_id, "disk.iso").checksum_info.checksum == sha1
    return item_id, session_id


def download_lifecycle(
    config: StubConfiguration, http: requests.Session, item_id: str, name: str, content: bytes
) -> None:
    """On an item holding ``name``: list, prepare, download it, keep-alive, cancel, delete."""
    downloads = DownloadSession(config)
    download_id = downloads.create(create_spec=DownloadSessionModel(library_item_id=item_id))
    assert downloads.get(download_id).state == DownloadSessionModel.State.ACTIVE
    files = DownloadFile(config)
    assert [(f.name, f.status) for f in files.list(download_id)] == [
        (name, DownloadFile.PrepareStatus.UNPREPARED)
    ]
    files.prepare(download_id, name, endpoint_type=DownloadFile.EndpointType.HTTPS)
    prepared = files.get(download_id, name)
    assert prepared.status == DownloadFile.PrepareStatus.PREPARED
    fetched = http.get(prepared.download_endpoint.uri, timeout=10)
    assert fetched.status_code == 200 and fetched.content == content
    downloads.keep_alive(download_id, progress=100)
    downloads.cancel(download_id)
    assert downloads.get(download_id).state == DownloadSessionModel.State.CANCELED
    downloads.delete(download_id)
    assert downloads.list() == []


def documented_session_errors(config: StubConfiguration, door: Door) -> str:
    """NotFound, ResourceBusy and NotAllowedInCurrentState, with their args; returns the
    id of the (canceled) session."""
    sessions = UpdateSession(config)
    with door.raises(NotFound) as not_found:
        sessions.get("no-such-session")
    assert not_found.value.messages[0].args == ["no-such-session"]
    item_id = new_item(config)
    session_id = new_update_session(config, item_id)
    with door.raises(ResourceBusy):
        new_update_session(config, item_id)
    with door.raises(NotAllowedInCurrentState) as nacs:
        sessions.delete(session_id)
    assert nacs.value.messages[0].args == ["delete", "ACTIVE"]
    sessions.cancel(session_id)
    with door.raises(NotAllowedInCurrentState):
        sessions.complete(session_id)
    return session_id


def flaw_shows(config: StubConfiguration, mock: MockServer, door: Door) -> None:
    """``delete-active-allowed``: the SDK's delete of an ACTIVE session no longer raises."""
    sessions = UpdateSession(config)
    session_id = new_update_session(config)
    mock.backend.set_flaws({"delete-active-allowed"})
    sessions.delete(session_id)
    with door.raises(NotFound):
        sessions.get(session_id)


def fake_clock_expires_sessions(config: StubConfiguration, mock: MockServer, door: Door) -> None:
    """A session lives to its ``expiration_time`` (the mock's 300 s) and is gone after."""
    clock = mock.backend.clock
    assert isinstance(clock, FakeClock)
    sessions = UpdateSession(config)
    session_id = new_update_session(config)
    clock.advance(300)
    assert sessions.get(session_id).state == UpdateSessionModel.State.ACTIVE
    clock.advance(1)
    with door.raises(NotFound):
        sessions.get(session_id)
