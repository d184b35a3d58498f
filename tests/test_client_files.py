"""The client's file services and byte transfers: paths, streaming, and what gets recorded."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import urlsplit

import pytest

from conformance.client import Exchange, Redactor, VcenterApi, VcenterClient
from conformance.mock import MockServer, MockSettings

USER, PASSWORD = "administrator@vsphere.local", "pa55-word-for-file-client-tests"


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(MockSettings(user=USER, password=PASSWORD)) as running:
        yield running


@pytest.fixture
def api(server: MockServer) -> Iterator[VcenterApi]:
    client = VcenterClient(server.url, USER, PASSWORD, redactor=Redactor(), timeout=5)
    client.login()
    yield VcenterApi(client)
    client.close()


def new_session(api: VcenterApi) -> tuple[str, str]:
    """(item id, update session id) on a fresh item of a fresh library."""
    library = api.libraries.create(f"lib-{os.urandom(4).hex()}", "datastore-101").json
    item = api.items.create(library, f"item-{os.urandom(4).hex()}").json
    session = api.update_sessions.create({"library_item_id": item}).json
    return item, session


def test_upload_and_download_round_trip_without_recording_the_bytes(api: VcenterApi) -> None:
    seen: list[Exchange] = []
    api.client.add_listener(seen.append)
    data = os.urandom(5000)
    item, session = new_session(api)
    added = api.update_session_files.add_push(
        session, "a b.bin", size=len(data), checksum=hashlib.sha1(data).hexdigest()
    )
    assert added.status == 201, added.describe()
    uri = added.json["upload_endpoint"]["uri"]
    sent = api.transfers.upload(uri, data, method="POST", with_session=False)
    assert sent.status in (200, 201, 204), sent.describe()
    assert "vmware-api-session-id" not in {k.lower() for k in sent.request_headers}
    assert sent.request_body == "[5000 bytes of file content elided]"
    assert api.update_session_files.get(session, "a b.bin").json["status"] == "READY"
    assert api.update_session_files.validate(session).json["has_errors"] is False
    assert api.update_sessions.complete(session).status == 204
    assert [f["name"] for f in api.item_files.list(item).json] == ["a b.bin"]
    assert api.item_files.get(item, "a b.bin").json["size"] == len(data)

    download = api.download_sessions.create({"library_item_id": item}).json
    listed = api.download_session_files.list(download).json
    assert listed[0]["status"] == "UNPREPARED"
    assert api.download_session_files.prepare(download, "a b.bin").status == 200
    info = api.download_session_files.get(download, "a b.bin").json
    got = api.transfers.download(info["download_endpoint"]["uri"])
    assert got.ok and got.content == data
    assert got.exchange.response_text == "[5000 bytes of transferred content elided]"
    assert got.exchange.transfer and got.exchange.request_body is None

    # Nothing recorded holds the bytes (nor the token).
    text = "".join(e.describe() + e.as_curl() + str(e.to_dict()) for e in seen)
    assert data.hex()[:40] not in text
    assert data.decode("latin-1")[:64] not in text
    assert api.client.token is not None and api.client.token not in text


def test_upload_streams_an_iterable_of_chunks(api: VcenterApi) -> None:
    _, session = new_session(api)
    chunks = [os.urandom(1000) for _ in range(4)]
    uri = api.update_session_files.add_push(session, "chunks.bin", size=4000).json[
        "upload_endpoint"
    ]["uri"]
    sent = api.transfers.upload(uri, iter(chunks))
    assert 200 <= sent.status < 300, sent.describe()
    assert sent.request_body == "[4000 bytes of file content elided]"
    info = api.update_session_files.get(session, "chunks.bin").json
    assert (info["status"], info["size"]) == ("READY", 4000)


def test_an_endpoint_with_credentials_in_its_url_is_recorded_without_them(
    api: VcenterApi,
) -> None:
    """A target may hand out endpoints carrying credentials; no exchange shows them."""
    seen: list[Exchange] = []
    api.client.add_listener(seen.append)
    _, session = new_session(api)
    uri = api.update_session_files.add_push(session, "c.bin").json["upload_endpoint"]["uri"]
    sent = api.transfers.upload(uri.replace("://", "://uploader:endpoint-secret@"), b"x" * 10)
    assert sent.status == 200, sent.describe()
    assert urlsplit(sent.url).username == "REDACTED"
    text = "".join(e.describe() + e.as_curl() + str(e.to_dict()) for e in seen)
    assert "endpoint-secret" not in text
    assert "uploader" not in text


def test_file_operation_paths(api: VcenterApi) -> None:
    seen: list[Exchange] = []
    api.client.add_listener(seen.append)
    api.update_session_files.get("us 1", "dir/x.iso")
    api.update_session_files.add("us-1", {}, action_form=True)
    api.update_session_files.validate("us-1")
    api.download_session_files.get("ds-1", "a&b.iso")
    api.download_session_files.prepare("ds-1", "x.iso", endpoint_type="HTTPS")
    api.item_files.get("item-1", "x.iso")
    paths = [e.url.split("/item/", 1)[1] for e in seen]
    assert paths == [
        "update-session/us%201/file/dir%2Fx.iso",
        "update-session/us-1/file?action=add",
        "update-session/us-1/file?action=validate",
        "download-session/ds-1/file?file_name=a%26b.iso",
        "download-session/ds-1/file?action=prepare",
        "item-1/file?name=x.iso",
    ]
    assert seen[4].request_body == '{"file_name": "x.iso", "endpoint_type": "HTTPS"}'


def test_upload_refuses_other_methods(api: VcenterApi) -> None:
    with pytest.raises(ValueError, match="PUT"):
        api.transfers.upload("http://127.0.0.1:1/x", b"x", method="PATCH")


# -- a plain HTTP server, for redirects and error bodies ------------------------------------


class _Handler(BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, str, str | None]]] = []

    def do_GET(self) -> None:
        self.seen.append((self.headers["Host"], self.path, self.headers["vmware-api-session-id"]))
        if self.path == "/hop":
            port = self.server.server_address[1]
            self.send_response(302)
            self.send_header("Location", f"http://localhost:{port}/data")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/data":
            body = b"\x00\x01payload"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            body = b'{"error": "no such download"}'
            self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass


@pytest.fixture
def plain_server() -> Iterator[str]:
    _Handler.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_download_follows_a_redirect_and_drops_the_session_on_another_host(
    plain_server: str,
) -> None:
    client = VcenterClient(plain_server, USER, PASSWORD, redactor=Redactor(), timeout=5)
    client._token = "token-for-redirect-test"  # no login: the plain server has no /api
    seen: list[Exchange] = []
    client.add_listener(seen.append)
    got = VcenterApi(client).transfers.download(plain_server + "/hop")
    assert got.ok and got.content == b"\x00\x01payload"
    assert [e.status for e in seen] == [302, 200]
    [(_, _, first), (host, path, second)] = _Handler.seen
    assert first == "token-for-redirect-test"
    assert host.startswith("localhost:") and path == "/data" and second is None


def test_a_short_transfer_error_body_is_kept_and_the_curl_has_no_bytes(plain_server: str) -> None:
    client = VcenterClient(plain_server, USER, PASSWORD, redactor=Redactor(), timeout=5)
    client._token = "token-for-curl-test"
    got = VcenterApi(client).transfers.download(plain_server + "/missing")
    assert not got.ok and got.exchange.status == 404
    assert got.exchange.response_text == '{"error": "no such download"}'
    curl = got.exchange.as_curl()
    assert f'curl -sS -X POST -u "$VC_USER:$VC_PASSWORD" {plain_server}/api/session' in curl
    assert "token-for-curl-test" not in curl
    upload = Exchange(
        method="PUT",
        url=plain_server + "/cls/data/1/x.bin",
        request_headers={},
        request_body="[3 bytes of file content elided]",
        status=200,
        response_headers={},
        response_text="",
        elapsed_ms=1.0,
        transfer=True,
    )
    assert "--data-binary @FILE" in upload.as_curl()
