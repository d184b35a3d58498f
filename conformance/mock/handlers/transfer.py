"""The data endpoints outside /api (contract §8): ``/cls/data/{token}/{file_name}``.

PUT or POST uploads to an update-session file, GET (or HEAD) downloads a prepared
download-session file. No session header is needed, and one sent is ignored (clients
differ, §8): the unguessable token in the URI is the credential. The trailing file name
is for people; the token alone says which file.

Bytes stream through in batches of ``BATCH``: the event loop receives (or sends) one
batch while a worker thread writes and hashes (or reads) the previous one, so a
transfer holds at most two batches in memory, whatever its size. A PULL runs in a
thread of its own (stdlib ``urllib``) and hands its result back to the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import ssl
import threading
import urllib.request
from collections.abc import AsyncIterator

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse

from .. import errors
from ..limits import STALL_EXTENSION
from ..models import Backend
from ..models.download_files import Offer
from ..models.files import Transfer
from ..models.storage import Reader
from .common import SESSION_HEADER, backend_of

__all__ = ["BATCH", "download", "start_pull", "upload"]

BATCH = 1 << 20
_PULL_TIMEOUT = 30.0
_OCTETS = "application/octet-stream"


# -- uploads ----------------------------------------------------------------------------


async def upload(request: Request) -> Response:
    """PUT or POST of the bytes: 200 once they are in (verification shows in the file's
    status); 404 for an unknown or dead endpoint, 400 NACS for an ended session."""
    backend = backend_of(request)
    if backend.flawed("upload-needs-session-header"):  # behind the /api login, as if it were
        backend.api_sessions.touch(request.headers.get(SESSION_HEADER))
    transfer = backend.update_files.begin_upload(request.path_params["token"], request.url.path)
    if transfer is None:  # the upload-after-cancel-accepted flaw
        async for _ in request.stream():
            pass
        return Response(status_code=200)
    try:
        await _receive(request, transfer)
    except ClientDisconnect:
        received = transfer.receiver.count
        stall = request.scope.get("extensions", {}).get(STALL_EXTENSION, {})
        if stall.get("stalled"):
            reason = f"no bytes for {stall['idle_timeout']:g} s after {received} bytes"
        else:
            reason = f"the connection closed after {received} bytes"
        backend.update_sessions.abort(transfer, reason)
        return Response(status_code=400)  # nobody is listening
    except OSError as exc:
        backend.update_sessions.abort(transfer, f"cannot store the bytes ({exc.strerror})")
        raise errors.internal_error("the data directory failed") from exc
    except BaseException:
        backend.update_sessions.abort(transfer, "the transfer was interrupted")
        raise
    backend.update_sessions.finish(transfer)
    if backend.varied("checksum-mismatch-at-upload") and transfer.file.error_message is not None:
        return Response(status_code=400)  # the bytes were refused: the file is ERROR
    return Response(status_code=200)


async def _receive(request: Request, transfer: Transfer) -> None:
    """Stream the body into the transfer's file, through two reused batch buffers.

    The event loop copies incoming chunks into one buffer while two worker threads hash
    and write the other. Reused buffers (rather than holding on to the chunks) keep the
    allocator from handing memory back to the kernel and faulting it in again each batch,
    which costs more than the copy.
    """
    loop = asyncio.get_running_loop()
    receiver = transfer.receiver
    buffers = (memoryview(bytearray(BATCH)), memoryview(bytearray(BATCH)))
    current, filled = 0, 0
    pending: list[asyncio.Future[None]] = []
    async for chunk in request.stream():
        if transfer.abandoned:
            break  # replaced, removed or ended: finish() tells the client
        data, offset = memoryview(chunk), 0
        while offset < len(data):
            take = min(BATCH - filled, len(data) - offset)
            buffers[current][filled : filled + take] = data[offset : offset + take]
            filled, offset = filled + take, offset + take
            if filled == BATCH:
                await asyncio.gather(*pending)  # the other buffer is free again
                full = buffers[current]
                pending = [
                    loop.run_in_executor(None, receiver.hash, full),
                    loop.run_in_executor(None, receiver.store, full),
                ]
                current, filled = 1 - current, 0
    await asyncio.gather(*pending)
    if filled and not transfer.abandoned:
        await loop.run_in_executor(None, receiver.write, buffers[current][:filled])


# -- downloads --------------------------------------------------------------------------


async def download(request: Request) -> Response:
    """GET of a prepared file: exactly its bytes, streamed, with Content-Length."""
    backend = backend_of(request)
    offer = backend.download_files.open(request.path_params["token"])
    headers = {"Content-Length": str(offer.item_file.size)}
    if request.method == "HEAD":
        return Response(status_code=200, headers=headers, media_type=_OCTETS)
    if offer.item_file.size == 0:
        backend.download_files.sent(offer, 0, whole=True)
        return Response(b"", media_type=_OCTETS)
    try:
        reader = Reader(offer.item_file.data)
    except OSError as exc:
        raise errors.transfer_endpoint_not_found(request.url.path) from exc
    return StreamingResponse(_send(backend, offer, reader), headers=headers, media_type=_OCTETS)


async def _send(backend: Backend, offer: Offer, reader: Reader) -> AsyncIterator[bytes]:
    """Read the next batch in a worker thread while the current one goes out."""
    loop = asyncio.get_running_loop()
    corrupt = backend.flawed("download-corrupts-bytes")
    size, sent = offer.item_file.size, 0
    try:
        pending = loop.run_in_executor(None, reader.read, BATCH)
        while chunk := await pending:
            pending = loop.run_in_executor(None, reader.read, BATCH)
            if corrupt and sent == 0:
                chunk = bytes([chunk[0] ^ 0xFF]) + chunk[1:]
            sent += len(chunk)
            # counted before the yield: a client that has read it all may ask at once
            backend.download_files.sent(offer, sent, whole=sent >= size)
            yield chunk
    finally:
        reader.close()  # a read still pending gets b""


# -- PULL -------------------------------------------------------------------------------


def start_pull(backend: Backend, session_id: str, name: str) -> None:
    """Fetch a PULL file's ``source_endpoint`` in a background thread (file TRANSFERRING).

    https sources are verified against the system trust store, unless the session's
    ``warning_behavior`` ignores a certificate warning. No proxy is used.
    """
    transfer = backend.update_files.begin_pull(session_id, name)
    session = backend.update_sessions.find(session_id)
    verify = not any(w.ignored for w in session.warning_behavior or ())
    endpoint = transfer.file.source_endpoint
    assert endpoint is not None  # add() requires it for PULL
    thread = threading.Thread(
        target=_pull,
        args=(backend, asyncio.get_running_loop(), transfer, endpoint.uri, verify),
        name="mock-vcenter-pull",
        daemon=True,
    )
    thread.start()


def _pull(
    backend: Backend,
    loop: asyncio.AbstractEventLoop,
    transfer: Transfer,
    uri: str,
    verify: bool,
) -> None:
    reason: str | None = None
    try:
        context = ssl.create_default_context()
        if not verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
        )
        with opener.open(uri, timeout=_PULL_TIMEOUT) as response:
            while not transfer.abandoned and (chunk := response.read(BATCH)):
                transfer.receiver.write(chunk)
    except (OSError, ValueError, http.client.HTTPException) as exc:  # URLError is an OSError
        reason = f"cannot read {uri}: {exc}"
    try:
        loop.call_soon_threadsafe(_pulled, backend, transfer, reason)
    except RuntimeError:  # the event loop is closed: the mock has stopped
        transfer.receiver.close()
        backend.storage.discard(transfer.receiver.path)


def _pulled(backend: Backend, transfer: Transfer, reason: str | None) -> None:
    """On the event loop: READY/ERROR, or nothing if the file or session went away."""
    with contextlib.suppress(errors.VapiError):
        if reason is None:
            backend.update_sessions.finish(transfer)
        else:
            backend.update_sessions.abort(transfer, reason)
