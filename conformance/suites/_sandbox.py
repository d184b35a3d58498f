"""The sandbox: one library per run, named with the run prefix, and everything in it.

The suite only ever modifies or deletes what this object recorded creating.
Cleanup runs even when tests fail: it cancels ACTIVE update sessions, deletes
sessions, items and the library, and reports what it could not remove.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Collection

from conformance.client import ClientError, Exchange, UnexpectedResponse, VcenterApi
from conformance.config import Config


def require(exchange: Exchange, status: int | Collection[int], what: str) -> Exchange:
    """A setup step must succeed; if it does not, the test is an Error, not a Fail."""
    statuses = {status} if isinstance(status, int) else set(status)
    if exchange.status not in statuses:
        raise UnexpectedResponse(
            f"setup step failed: {what} answered {exchange.status}, "
            f"expected {' or '.join(map(str, sorted(statuses)))}\n{exchange.describe(1500)}",
            exchange,
        )
    return exchange


def require_id(exchange: Exchange, what: str) -> str:
    require(exchange, (200, 201), what)
    value = exchange.json
    if isinstance(value, dict) and isinstance(value.get("value"), str):
        value = value["value"]
    if not isinstance(value, str) or not value:
        raise UnexpectedResponse(f"setup step failed: {what} returned no id", exchange)
    return value


class Sandbox:
    def __init__(self, api: VcenterApi, settings: Config) -> None:
        self.api = api
        self.settings = settings
        self.library_id: str | None = None
        self.datastore_id: str | None = None
        self.items: list[str] = []
        self.update_sessions: list[str] = []
        self.download_sessions: list[str] = []
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def name(self, kind: str) -> str:
        return f"{self.settings.run_prefix}-{kind}-{next(self._counter)}"

    def open(self) -> None:
        """Pick the datastore and create the run's library."""
        self.datastore_id = self.settings.datastore or self._discover_datastore()
        exchange = self.api.libraries.create(
            self.name("lib"),
            self.datastore_id,
            description="Created by vcenter-conformance; safe to delete.",
        )
        self.library_id = require_id(exchange, "creating the sandbox library")

    def _discover_datastore(self) -> str:
        exchange = require(self.api.datastores(), 200, "listing datastores")
        stores = exchange.json
        if not isinstance(stores, list) or not stores:
            raise UnexpectedResponse(
                "no datastore found to back the sandbox library: pass --datastore ID", exchange
            )
        best = max(stores, key=lambda s: s.get("free_space", 0) if isinstance(s, dict) else 0)
        if not isinstance(best, dict) or not isinstance(best.get("datastore"), str):
            raise UnexpectedResponse("datastore list has no 'datastore' ids", exchange)
        return str(best["datastore"])

    # -- creating and tracking -------------------------------------------------
    def new_item(self) -> str:
        if self.library_id is None:
            raise RuntimeError("sandbox not open")
        item_id = require_id(
            self.api.items.create(self.library_id, self.name("item")), "creating a library item"
        )
        with self._lock:
            self.items.append(item_id)
        return item_id

    def track_update_session(self, session_id: str) -> None:
        with self._lock:
            self.update_sessions.append(session_id)

    def track_download_session(self, session_id: str) -> None:
        with self._lock:
            self.download_sessions.append(session_id)

    def track_created(self, exchange: Exchange, kind: str) -> None:
        """Record a session a test created itself (even when it should not have been)."""
        if 200 <= exchange.status < 300:
            value = exchange.json
            if isinstance(value, dict):
                value = value.get("value")
            if isinstance(value, str) and value:
                if kind == "update":
                    self.track_update_session(value)
                else:
                    self.track_download_session(value)

    def new_update_session(self, item_id: str) -> str:
        exchange = self.api.update_sessions.create({"library_item_id": item_id})
        session_id = require_id(exchange, "creating an update session")
        self.track_update_session(session_id)
        return session_id

    def new_download_session(self, item_id: str) -> str:
        exchange = self.api.download_sessions.create({"library_item_id": item_id})
        session_id = require_id(exchange, "creating a download session")
        self.track_download_session(session_id)
        return session_id

    # -- cleanup ---------------------------------------------------------------
    def cleanup(self) -> list[str]:
        """Remove everything this run created; return what could not be removed."""
        problems: list[str] = []
        for session_id in self.update_sessions:
            problems += self._remove_update_session(session_id)
        for session_id in self.download_sessions:
            problems += self._remove(
                self.api.download_sessions.delete, session_id, "download session"
            )
        for item_id in self.items:
            problems += self._remove(self.api.items.delete, item_id, "library item")
        if self.library_id is not None:
            problems += self._remove(self.api.libraries.delete, self.library_id, "library")
        return problems

    def _remove_update_session(self, session_id: str) -> list[str]:
        try:
            got = self.api.update_sessions.get(session_id)
            if got.status == 404:
                return []
            state = got.json.get("state") if isinstance(got.json, dict) else None
            if state == "ACTIVE":
                self.api.update_sessions.cancel(session_id)
        except ClientError as exc:
            return [f"update session {session_id}: {exc}"]
        return self._remove(self.api.update_sessions.delete, session_id, "update session")

    @staticmethod
    def _remove(delete: Callable[[str], Exchange], object_id: str, kind: str) -> list[str]:
        try:
            exchange = delete(object_id)
        except ClientError as exc:
            return [f"{kind} {object_id}: {exc}"]
        if exchange.status in (200, 204, 404):
            return []
        return [f"{kind} {object_id}: delete answered {exchange.status}"]
