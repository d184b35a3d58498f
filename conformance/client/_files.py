"""File services of update and download sessions, item files, and the byte transfers.

Paths from contract.md §3; the transfer endpoints (outside /api) from §8. As in
``_services``, each method sends one request and returns what it got; none of
them judges the answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from ._client import VcenterClient
from ._exchange import Exchange

_ITEM_PATH = "/api/content/library/item"
_UPDATE_SESSION_PATH = _ITEM_PATH + "/update-session"
_DOWNLOAD_SESSION_PATH = _ITEM_PATH + "/download-session"

#: The methods clients use to push bytes to an upload endpoint (contract §8):
#: govc PUTs, VMware's Python sample POSTs.
UPLOAD_METHODS = ("PUT", "POST")


def _segment(value: str) -> str:
    """One path segment: ids and file names are percent-encoded whole (``/`` included)."""
    return quote(value, safe="")


class UpdateSessionFileApi:
    """``…/update-session/{id}/file``: add, list, get, remove, validate (contract §3)."""

    def __init__(self, client: VcenterClient) -> None:
        self._client = client

    def path(self, session_id: str, suffix: str = "") -> str:
        return f"{_UPDATE_SESSION_PATH}/{_segment(session_id)}/file{suffix}"

    def add(self, session_id: str, spec: Any, *, action_form: bool = False) -> Exchange:
        """``POST …/file`` with the bare File.AddSpec (``POST …/file?action=add`` if asked)."""
        suffix = "?action=add" if action_form else ""
        return self._client.request("POST", self.path(session_id, suffix), json=spec)

    def add_push(
        self,
        session_id: str,
        name: str,
        *,
        size: int | None = None,
        checksum: str | None = None,
        algorithm: str | None = "SHA1",
        action_form: bool = False,
    ) -> Exchange:
        """Add a PUSH file; ``size`` and ``checksum`` are sent only when given."""
        spec: dict[str, Any] = {"name": name, "source_type": "PUSH"}
        if size is not None:
            spec["size"] = size
        if checksum is not None:
            info = {"checksum": checksum}
            if algorithm is not None:
                info["algorithm"] = algorithm
            spec["checksum_info"] = info
        return self.add(session_id, spec, action_form=action_form)

    def list(self, session_id: str) -> Exchange:
        return self._client.request("GET", self.path(session_id))

    def get(self, session_id: str, file_name: str) -> Exchange:
        return self._client.request("GET", self.path(session_id, "/" + _segment(file_name)))

    def remove(self, session_id: str, file_name: str) -> Exchange:
        return self._client.request("DELETE", self.path(session_id, "/" + _segment(file_name)))

    def validate(self, session_id: str) -> Exchange:
        """``POST …/file?action=validate``; no body (the runtime still sends Content-Type)."""
        return self._client.request("POST", self.path(session_id, "?action=validate"))


class DownloadSessionFileApi:
    """``…/download-session/{id}/file``: list, get, prepare (contract §3)."""

    def __init__(self, client: VcenterClient) -> None:
        self._client = client

    def path(self, session_id: str, suffix: str = "") -> str:
        return f"{_DOWNLOAD_SESSION_PATH}/{_segment(session_id)}/file{suffix}"

    def list(self, session_id: str) -> Exchange:
        return self._client.request("GET", self.path(session_id))

    def get(self, session_id: str, file_name: str) -> Exchange:
        """``GET …/file?file_name=<name>`` (not the SDK connector's bare ``?file_name``)."""
        return self._client.request("GET", self.path(session_id), params={"file_name": file_name})

    def prepare(
        self, session_id: str, file_name: str, endpoint_type: str | None = None
    ) -> Exchange:
        """``POST …/file?action=prepare`` with ``{"file_name"[, "endpoint_type"]}``."""
        body: dict[str, str] = {"file_name": file_name}
        if endpoint_type is not None:
            body["endpoint_type"] = endpoint_type
        return self._client.request("POST", self.path(session_id, "?action=prepare"), json=body)


class ItemFileApi:
    """``/api/content/library/item/{id}/file``: what every client sees of an item's files."""

    def __init__(self, client: VcenterClient) -> None:
        self._client = client

    def path(self, item_id: str) -> str:
        return f"{_ITEM_PATH}/{_segment(item_id)}/file"

    def list(self, item_id: str) -> Exchange:
        return self._client.request("GET", self.path(item_id))

    def get(self, item_id: str, name: str) -> Exchange:
        """``GET …/file?name=<name>``."""
        return self._client.request("GET", self.path(item_id), params={"name": name})


@dataclass(frozen=True)
class Download:
    """What a GET of a download endpoint gave: the exchange (content elided) and the bytes."""

    exchange: Exchange
    content: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.exchange.status < 300


class TransferApi:
    """The upload and download endpoints: absolute URLs, outside /api (contract §8).

    Exchanges are recorded like any other, but without the file content.
    """

    def __init__(self, client: VcenterClient) -> None:
        self._client = client

    def upload(
        self,
        uri: str,
        data: bytes | Iterable[bytes],
        method: str = "PUT",
        with_session: bool = True,
    ) -> Exchange:
        """Send ``data`` to an upload endpoint with PUT (govc) or POST (VMware's sample).

        ``with_session=False`` sends no ``vmware-api-session-id``, as the sample does.
        """
        if method not in UPLOAD_METHODS:
            raise ValueError(f"upload method must be one of {UPLOAD_METHODS}, not {method!r}")
        exchange, _ = self._client.transfer(method, uri, data=data, auth=with_session)
        return exchange

    def download(self, uri: str, with_session: bool = True) -> Download:
        """GET a download endpoint, streaming the body; the bytes come back whole."""
        exchange, content = self._client.transfer("GET", uri, auth=with_session)
        return Download(exchange, content)
