"""Thin wrappers naming each documented operation (paths from contract.md §3).

Each method sends exactly one request and returns its :class:`Exchange`; none
of them judges the answer.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ._client import VcenterClient
from ._exchange import Exchange
from ._files import DownloadSessionFileApi, ItemFileApi, TransferApi, UpdateSessionFileApi

UPDATE_SESSION_PATH = "/api/content/library/item/update-session"
DOWNLOAD_SESSION_PATH = "/api/content/library/item/download-session"
LOCAL_LIBRARY_PATH = "/api/content/local-library"
ITEM_PATH = "/api/content/library/item"


def _id(value: str) -> str:
    return quote(value, safe="")


def _token_params(client_token: str | None) -> dict[str, str] | None:
    return {"client_token": client_token} if client_token else None


class CisSessionApi:
    """``/api/session``: the API login session itself."""

    def __init__(self, client: VcenterClient) -> None:
        self._client = client

    def get(self) -> Exchange:
        return self._client.request("GET", "/api/session")

    def delete(self, *, session_token: str | None = None) -> Exchange:
        return self._client.request("DELETE", "/api/session", session_token=session_token)


class SessionApi:
    """What update and download sessions share: create, list, get, delete, cancel, fail."""

    base: str

    def __init__(self, client: VcenterClient) -> None:
        self._client = client

    def path(self, session_id: str, suffix: str = "") -> str:
        return f"{self.base}/{_id(session_id)}{suffix}"

    def create(
        self, spec: Any, *, client_token: str | None = None, token_in_header: bool = False
    ) -> Exchange:
        """``client_token`` goes in the query (published spec) or the Client-Token header
        (9.1.1 bindings); a target should accept both (contract.md §3)."""
        if client_token and token_in_header:
            return self._client.request(
                "POST", self.base, json=spec, headers={"Client-Token": client_token}
            )
        return self._client.request(
            "POST", self.base, json=spec, params=_token_params(client_token)
        )

    def list(self, library_item_id: str | None = None) -> Exchange:
        params = {"library_item_id": library_item_id} if library_item_id is not None else None
        return self._client.request("GET", self.base, params=params)

    def get(self, session_id: str) -> Exchange:
        return self._client.request("GET", self.path(session_id))

    def delete(self, session_id: str) -> Exchange:
        return self._client.request("DELETE", self.path(session_id))

    def cancel(self, session_id: str) -> Exchange:
        return self._client.request("POST", self.path(session_id, "?action=cancel"))

    def fail(self, session_id: str, client_error_message: str) -> Exchange:
        return self._client.request(
            "POST",
            self.path(session_id, "?action=fail"),
            json={"client_error_message": client_error_message},
        )


class UpdateSessionApi(SessionApi):
    """``/api/content/library/item/update-session`` (seed pages 000, 002, 003, 004)."""

    base = UPDATE_SESSION_PATH

    def update(self, session_id: str, spec: Any) -> Exchange:
        return self._client.request("PATCH", self.path(session_id), json=spec)

    def complete(self, session_id: str) -> Exchange:
        return self._client.request("POST", self.path(session_id, "?action=complete"))

    def keep_alive(self, session_id: str, client_progress: int | None = None) -> Exchange:
        body = {} if client_progress is None else {"client_progress": client_progress}
        return self._client.request("POST", self.path(session_id, "?action=keep-alive"), json=body)


class DownloadSessionApi(SessionApi):
    """``/api/content/library/item/download-session`` (seed page 001, contract §3)."""

    base = DOWNLOAD_SESSION_PATH

    def keep_alive(self, session_id: str, progress: int | None = None) -> Exchange:
        body = {} if progress is None else {"progress": progress}
        return self._client.request("POST", self.path(session_id, "?action=keep-alive"), json=body)


class LocalLibraryApi:
    """``/api/content/local-library``: the sandbox library the suite works in."""

    def __init__(self, client: VcenterClient) -> None:
        self._client = client

    def create(self, name: str, datastore_id: str, *, description: str = "") -> Exchange:
        spec = {
            "name": name,
            "description": description,
            "type": "LOCAL",
            "storage_backings": [{"type": "DATASTORE", "datastore_id": datastore_id}],
        }
        return self._client.request("POST", LOCAL_LIBRARY_PATH, json=spec)

    def list(self) -> Exchange:
        return self._client.request("GET", LOCAL_LIBRARY_PATH)

    def get(self, library_id: str) -> Exchange:
        return self._client.request("GET", f"{LOCAL_LIBRARY_PATH}/{_id(library_id)}")

    def delete(self, library_id: str) -> Exchange:
        return self._client.request("DELETE", f"{LOCAL_LIBRARY_PATH}/{_id(library_id)}")


class ItemApi:
    """``/api/content/library/item``: library items that sessions work on."""

    def __init__(self, client: VcenterClient) -> None:
        self._client = client

    def create(self, library_id: str, name: str, *, item_type: str = "file") -> Exchange:
        spec = {"library_id": library_id, "name": name, "type": item_type}
        return self._client.request("POST", ITEM_PATH, json=spec)

    def list(self, library_id: str) -> Exchange:
        return self._client.request("GET", ITEM_PATH, params={"library_id": library_id})

    def get(self, item_id: str) -> Exchange:
        return self._client.request("GET", f"{ITEM_PATH}/{_id(item_id)}")

    def delete(self, item_id: str) -> Exchange:
        return self._client.request("DELETE", f"{ITEM_PATH}/{_id(item_id)}")


class VcenterApi:
    """Every service the suite uses, over one logged-in client."""

    def __init__(self, client: VcenterClient) -> None:
        self.client = client
        self.session = CisSessionApi(client)
        self.update_sessions = UpdateSessionApi(client)
        self.download_sessions = DownloadSessionApi(client)
        self.libraries = LocalLibraryApi(client)
        self.items = ItemApi(client)
        self.update_session_files = UpdateSessionFileApi(client)
        self.download_session_files = DownloadSessionFileApi(client)
        self.item_files = ItemFileApi(client)
        self.transfers = TransferApi(client)

    def datastores(self) -> Exchange:
        return self.client.request("GET", "/api/vcenter/datastore")

    def version(self) -> Exchange:
        return self.client.request("GET", "/api/appliance/system/version")
