"""Bounds on what one request may take from the mock: its head, and its silences.

The JSON body limit lives where bodies are read (``handlers.common.read_body``); this is
the connection side, as a uvicorn protocol (``MockServer`` and ``serve`` use it):

* a request line and headers over ``max_head_bytes`` are answered ``431`` with a vAPI
  body, and the connection is closed (the rest of that head is never read);
* a request that has begun and sends nothing for ``idle_timeout`` seconds (a head that
  stops, a body that stops, an upload that stalls) has its connection aborted. Time
  when the mock itself stopped reading (a slow disk, a fault's delay) does not count.
  The handler sees a client disconnect; an upload's file goes to ERROR, and the scope
  extension ``STALL_EXTENSION`` tells it why.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, ClassVar, cast

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from . import errors
from .faults import ABORT_EXTENSION, AbortableHttpToolsProtocol

__all__ = ["STALL_EXTENSION", "LimitedHttpToolsProtocol", "limited_protocol"]

#: ``scope["extensions"][STALL_EXTENSION]``: ``{"idle_timeout": s, "stalled": bool}``.
STALL_EXTENSION = "vcenter-mock.stall"


class _HeadTooLarge(Exception):
    """Raised in a parser callback to stop parsing a head that is too large."""


class LimitedHttpToolsProtocol(AbortableHttpToolsProtocol):
    """uvicorn's httptools protocol with a head size limit and an idle timeout.

    Subclass it with :func:`limited_protocol`; the class attributes are the limits.
    """

    max_head_bytes: ClassVar[int] = 32 << 10
    idle_timeout: ClassVar[float] = 30.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_bytes = 0  # parsed head bytes of the current request
        self._raw_head_bytes = 0  # bytes received while its head is incomplete
        self._in_head = True
        self._receiving = False  # a request has begun and its last byte is not in
        self._refused = False
        self._last_data = 0.0
        self._idle_timer: asyncio.TimerHandle | None = None
        self._stall: dict[str, Any] = {}

    # -- bytes in ------------------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        self._last_data = self.loop.time()
        if self._in_head:
            self._raw_head_bytes += len(data)
        super().data_received(data)
        if self._refused or self.transport.is_closing():
            return
        if self._in_head and self._raw_head_bytes > self.max_head_bytes:
            self._refuse_head()  # a head that never ends: httptools would hold it all
            return
        self._watch_idle()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        super().connection_lost(exc)

    # -- parser callbacks -------------------------------------------------------------------
    # The parser callbacks run for every request (on_header for every header): they call
    # uvicorn's by name, and on_message_begin sets both extensions at once (the abort
    # hook as ``AbortableHttpToolsProtocol`` does), as each call less is measurable on
    # the hot path (``bench/hotpath.py``).
    def on_message_begin(self) -> None:
        HttpToolsProtocol.on_message_begin(self)
        self._receiving, self._in_head = True, True
        self._head_bytes = 0
        self._stall = {"idle_timeout": self.idle_timeout, "stalled": False}
        extensions = {
            ABORT_EXTENSION: {"abort": self.transport.abort},
            STALL_EXTENSION: self._stall,
        }
        self.scope["extensions"] = extensions  # type: ignore[typeddict-item]

    def on_url(self, url: bytes) -> None:
        self._head_bytes += len(url)
        if self._head_bytes > self.max_head_bytes:
            self._stop_head()
        HttpToolsProtocol.on_url(self, url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_bytes += len(name) + len(value) + 4  # ": " and CRLF
        if self._head_bytes > self.max_head_bytes:
            self._stop_head()
        HttpToolsProtocol.on_header(self, name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._raw_head_bytes = 0
        HttpToolsProtocol.on_headers_complete(self)

    def on_message_complete(self) -> None:
        self._receiving, self._in_head = False, True
        self._raw_head_bytes = 0
        HttpToolsProtocol.on_message_complete(self)

    def _stop_head(self) -> None:
        self._refused = True
        raise _HeadTooLarge  # httptools stops and reports it to data_received

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a head httptools could not parse, or that we stopped."""
        if self._refused:
            self._refuse_head()
        else:
            super().send_400_response(msg)

    def _refuse_head(self) -> None:
        self._refused = True
        limit = self.max_head_bytes
        error = errors.invalid_argument(
            "mock.request.head_too_large",
            f"The request line and headers are larger than {limit} bytes.",
            str(limit),
        )
        body = json.dumps(error.body()).encode()
        self.transport.write(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
            b"content-type: application/json\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\n"
            b"connection: close\r\n\r\n" + body
        )
        self.transport.close()

    # -- idle requests ----------------------------------------------------------------------
    def _watch_idle(self) -> None:
        if self._receiving and self._idle_timer is None:
            self._idle_timer = self.loop.call_later(self.idle_timeout, self._check_idle)

    def _check_idle(self) -> None:
        self._idle_timer = None
        if not self._receiving or self.transport.is_closing():
            return
        now = self.loop.time()
        if self.flow.read_paused:  # the mock is not reading: the client is not idle
            self._last_data = now
        idle = now - self._last_data
        if idle < self.idle_timeout:
            self._idle_timer = self.loop.call_later(self.idle_timeout - idle, self._check_idle)
            return
        self._stall["stalled"] = True
        self.transport.abort()  # the handler sees a disconnect; no answer is sent


def limited_protocol(max_head_bytes: int, idle_timeout: float) -> type[LimitedHttpToolsProtocol]:
    """A protocol class with these limits, for ``uvicorn.Config(http=...)``."""
    attributes = {"max_head_bytes": max_head_bytes, "idle_timeout": idle_timeout}
    return cast(
        type[LimitedHttpToolsProtocol],
        type("LimitedHttpToolsProtocol", (LimitedHttpToolsProtocol,), attributes),
    )
