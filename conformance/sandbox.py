"""The sandbox: one library per run, named with the run prefix, and everything in it.

The suite only ever modifies or deletes what this object recorded creating. It
records from the client's exchanges (:meth:`Sandbox.observe`, a listener on every
client of the run): any successful create of a library, an item, an update or a
download session, whichever test or helper sent it and in either dialect (a legacy
/rest answer is read as its /api operation), so cleanup does not depend on each test
remembering what it made. Cleanup runs even when tests fail: it cancels ACTIVE update
sessions, deletes sessions, items and libraries, and reports what it could not remove.

:func:`sweep` removes what earlier runs left behind (a run killed with SIGKILL
cannot clean up): libraries whose name carries the prefix *and* whose
description carries :data:`MARKER`, with everything inside them.
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from conformance.client import (
    DOWNLOAD_SESSION_PATH,
    UPDATE_SESSION_PATH,
    ClientError,
    Exchange,
    UnexpectedResponse,
    VcenterApi,
    VcenterClient,
)
from conformance.config import Config

#: The /api create operations whose new objects the sandbox removes: path -> kind.
#: (``POST`` to the collection, no ``action``; a /rest create reads as the same.)
#: deletes in flight at once during cleanup (a real vCenter is asked for few at a time)
_CLEANUP_AT_ONCE = 8
#: one delete of cleanup; returns what it could not remove
_Removal = Callable[[], list[str]]

CREATES = {
    UPDATE_SESSION_PATH: "update session",
    DOWNLOAD_SESSION_PATH: "download session",
    "/api/content/library/item": "item",
    "/api/content/local-library": "library",
}


def connect(settings: Config) -> VcenterClient:
    """A client (not yet logged in) for the configured target, TLS and timeout."""
    if settings.target is None:
        raise ValueError("no target configured")
    return VcenterClient(
        settings.target,
        settings.user,
        settings.password,
        verify=settings.tls_verify,
        timeout=settings.timeout,
        dialect=settings.api,
    )


#: Written into the description of every library the suite creates; the sweep
#: deletes nothing that lacks it.
MARKER = "Created by vcenter-conformance; safe to delete."


def require(exchange: Exchange, status: int | Collection[int], what: str) -> Exchange:
    """A setup step must succeed; if it does not, the test is an Error, not a Fail.

    A setup step is not judged: where a success is expected, any 2xx will do (the exact
    code is its own operation's requirement, e.g. WIRE-VOID-204 or US-CREATE-201).
    """
    statuses = {status} if isinstance(status, int) else set(status)
    wanted = " or ".join(map(str, sorted(statuses)))
    if all(200 <= s < 300 for s in statuses):
        statuses, wanted = set(range(200, 300)), "a 2xx success"
    if exchange.status not in statuses:
        raise UnexpectedResponse(
            f"setup step failed: {what} answered {exchange.status}, "
            f"expected {wanted}\n{exchange.describe(1500)}",
            exchange,
        )
    return exchange


def require_ended(exchange: Exchange, what: str, judged_by: str) -> str:
    """A get after a step that should end a session: its state, which must not be ACTIVE.

    A session the ending left ACTIVE is the ending's own requirement's Fail
    (``judged_by``); a test that needs an ended session cannot judge, so it is an Error.
    """
    require(exchange, 200, f"get after {what}")
    body = exchange.json
    state = body.get("state") if isinstance(body, dict) else None
    if state == "ACTIVE":
        raise UnexpectedResponse(
            f"precondition failed: {what} left the session ACTIVE (judged under {judged_by})",
            exchange,
        )
    return str(state)


def require_id(exchange: Exchange, what: str) -> str:
    require(exchange, (200, 201), what)
    value = exchange.json
    if isinstance(value, dict) and isinstance(value.get("value"), str):
        value = value["value"]
    if not isinstance(value, str) or not value:
        raise UnexpectedResponse(f"setup step failed: {what} returned no id", exchange)
    return value


class Sandbox:
    def __init__(self, api: VcenterApi, settings: Config, *, worker: int = 0) -> None:
        self.api = api
        self.settings = settings
        self.library_id: str | None = None
        self.datastore_id: str | None = None
        self.items: list[str] = []
        self.update_sessions: list[str] = []
        self.download_sessions: list[str] = []
        #: libraries created besides the sandbox's own (deleted after the items)
        self.libraries: list[str] = []
        self._tracked = {
            "update session": self.update_sessions,
            "download session": self.download_sessions,
            "item": self.items,
            "library": self.libraries,
        }
        # Worker N of a parallel run (``run -n``) names its library lib-<N+1>: one
        # library per worker, all inside the run prefix that ``cleanup`` sweeps.
        self._counter = itertools.count(1 + worker)
        self._lock = threading.Lock()

    def name(self, kind: str) -> str:
        return f"{self.settings.run_prefix}-{kind}-{next(self._counter)}"

    def open(self) -> None:
        """Pick the datastore and create the run's library."""
        self.datastore_id = self.settings.datastore or self._discover_datastore()
        exchange = self.api.libraries.create(
            self.name("lib"),
            self.datastore_id,
            description=MARKER,
        )
        self.library_id = require_id(exchange, "creating the sandbox library")
        with self._lock:  # observed as a create too, but it goes last, on its own
            if self.library_id in self.libraries:
                self.libraries.remove(self.library_id)

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
    def observe(self, exchange: Exchange) -> None:
        """Track what a successful create in ``exchange`` made (a client listener)."""
        kind = created_kind(exchange)
        if kind is None:
            return
        value = exchange.json
        if isinstance(value, dict):  # an answer not read as /api: {"value": "<id>"}
            value = value.get("value")
        if isinstance(value, str) and value:
            self.track(kind, value)

    def track(self, kind: str, object_id: str) -> None:
        """Remove ``object_id`` (of a :data:`CREATES` kind) at cleanup (once, however often
        it is tracked)."""
        with self._lock:
            tracked = self._tracked[kind]
            if object_id not in tracked:
                tracked.append(object_id)

    def new_item(self) -> str:
        if self.library_id is None:
            raise RuntimeError("sandbox not open")
        item_id = require_id(
            self.api.items.create(self.library_id, self.name("item")), "creating a library item"
        )
        self.track("item", item_id)
        return item_id

    def track_update_session(self, session_id: str) -> None:
        self.track("update session", session_id)

    def track_download_session(self, session_id: str) -> None:
        self.track("download session", session_id)

    def new_update_session(self, item_id: str) -> str:
        exchange = self.api.update_sessions.create({"library_item_id": item_id})
        body = exchange.json if exchange.status >= 400 else None
        if isinstance(body, dict) and body.get("error_type") == "RESOURCE_BUSY":
            # The suite makes a second session on an item only after ending the first.
            raise UnexpectedResponse(
                "precondition failed: creating an update session answered RESOURCE_BUSY "
                "although the item's earlier sessions had ended (judged under "
                "US-NEW-AFTER-TERMINAL)",
                exchange,
            )
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
        """Remove everything this run created; return what could not be removed.

        Sessions go first, then items, then libraries (the run's own last); within a
        stage the deletes are independent and run a few at a time, since against a
        remote vCenter each one is a round trip.
        """
        download = self.api.download_sessions.delete
        sessions: list[_Removal] = [
            functools.partial(self._remove_update_session, s) for s in self.update_sessions
        ]
        sessions += [
            functools.partial(self._remove, download, s, "download session")
            for s in self.download_sessions
        ]
        items: list[_Removal] = [
            functools.partial(self._remove, self.api.items.delete, i, "library item")
            for i in self.items
        ]
        libraries: list[_Removal] = [
            functools.partial(self._remove, self.api.libraries.delete, lib, "library")
            for lib in self.libraries
        ]
        stages = [sessions, items, libraries]
        if self.library_id is not None:
            run_library = functools.partial(
                self._remove, self.api.libraries.delete, self.library_id, "library"
            )
            stages.append([run_library])
        problems: list[str] = []
        for stage in stages:
            if len(stage) < 2:
                results = [remove() for remove in stage]
            else:
                with ThreadPoolExecutor(max_workers=_CLEANUP_AT_ONCE) as pool:
                    results = list(pool.map(lambda remove: remove(), stage))
            for found in results:
                problems += found
        return problems

    def _remove_update_session(self, session_id: str) -> list[str]:
        """Delete; an ACTIVE session refuses that (NotAllowedInCurrentState), so cancel it
        first and delete again: one round trip for the sessions tests already ended."""
        try:
            first = self.api.update_sessions.delete(session_id)
            if first.status in (200, 204, 404):
                return []
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


def created_kind(exchange: Exchange) -> str | None:
    """The :data:`CREATES` kind ``exchange`` successfully created, or None."""
    if exchange.method != "POST" or not 200 <= exchange.status < 300:
        return None
    parts = urlsplit(exchange.url)
    if "action" in parse_qs(parts.query) or "~action" in parse_qs(parts.query):
        return None
    return CREATES.get(parts.path.rstrip("/"))


def datastore_problem(api: VcenterApi, settings: Config) -> str | None:
    """Why the sandbox library could not be backed by a datastore, in one line, or None.

    Checked before the run (``run``'s preflight): a wrong ``--datastore`` would
    otherwise end every test in the same setup Error. When the target cannot
    list datastores and one was given, the library create is left to tell.
    """
    listing = api.datastores()
    stores = listing.json if listing.status == 200 else None
    if not isinstance(stores, list):
        if settings.datastore:
            return None
        return (
            f"listing datastores answered {listing.status}, so none can be picked for the "
            "sandbox library: pass --datastore ID"
        )
    ids = [str(s["datastore"]) for s in stores if isinstance(s, dict) and s.get("datastore")]
    if settings.datastore is None:
        if ids:
            return None
        return "the target lists no datastore to back the sandbox library: pass --datastore ID"
    if settings.datastore in ids:
        return None
    shown = ", ".join(ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")
    return (
        f"--datastore {settings.datastore}: no such datastore on the target "
        f"(it lists: {shown or 'none'}); pass one of those ids, or leave --datastore out "
        "to use the one with the most free space"
    )


@dataclass
class SweepReport:
    libraries: list[str] = field(default_factory=list)
    items: int = 0
    update_sessions: int = 0
    download_sessions: int = 0
    problems: list[str] = field(default_factory=list)


def _leftover_libraries(api: VcenterApi, prefix: str, run_id: str | None) -> list[tuple[str, str]]:
    """(id, name) of the libraries earlier runs with ``prefix`` (and ``run_id``) created."""
    run = re.escape(run_id) if run_id else r"[A-Za-z0-9._-]+"
    pattern = re.compile(rf"^{re.escape(prefix)}-{run}-lib-\d+$")
    listing = require(api.libraries.list(), 200, "listing local libraries")
    found = []
    for library_id in listing.json or []:
        got = api.libraries.get(str(library_id))
        if got.status != 200 or not isinstance(got.json, dict):
            continue
        name, description = str(got.json.get("name", "")), str(got.json.get("description", ""))
        if pattern.match(name) and MARKER in description:
            found.append((str(library_id), name))
    return found


def sweep(
    api: VcenterApi, prefix: str, run_id: str | None = None, *, dry_run: bool = False
) -> SweepReport:
    """Remove what earlier runs left: their libraries, items and those items' sessions."""
    report = SweepReport()
    for library_id, name in _leftover_libraries(api, prefix, run_id):
        report.libraries.append(name)
        items = api.items.list(library_id)
        item_ids = [str(i) for i in items.json or []] if items.status == 200 else []
        box = Sandbox(api, Config())
        box.library_id = library_id
        for item_id in item_ids:
            for listing, sessions in (
                (api.update_sessions.list(item_id), box.update_sessions),
                (api.download_sessions.list(item_id), box.download_sessions),
            ):
                if listing.status == 200 and isinstance(listing.json, list):
                    sessions.extend(str(s) for s in listing.json)
        box.items = item_ids
        report.items += len(item_ids)
        report.update_sessions += len(box.update_sessions)
        report.download_sessions += len(box.download_sessions)
        if not dry_run:
            report.problems += box.cleanup()
    return report
