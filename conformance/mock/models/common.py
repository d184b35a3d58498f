"""Pieces shared by the stores: ids, client tokens, transitions as data, and the session
store both kinds of transfer session use (lookup, expiry, create, keep-alive, fail)."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .. import errors
from ..errors import Message

if TYPE_CHECKING:
    from .backend import Backend

__all__ = ["BaseSession", "ClientTokens", "SessionStore", "is_uuid", "new_id", "next_state"]

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

St = TypeVar("St", bound=StrEnum)
S = TypeVar("S", bound="BaseSession[Any]")


#: the hex digit of a UUID's variant nibble (RFC 9562: 10xx), by the random one
_VARIANT = dict(zip("0123456789abcdef", "89ab" * 4, strict=True))


def new_id() -> str:
    """vCenter's content-library ids are UUIDs (``Backend.new_id`` may choose otherwise).

    A random (version 4) UUID in its text form, as ``str(uuid.uuid4())`` spells it, built
    from the same 16 random bytes without the ``UUID`` object: under half the cost, on
    every create (``bench/hotpath.py``).
    """
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


def is_uuid(text: str) -> bool:
    return _UUID.match(text) is not None


class ClientTokens:
    """Idempotent creates: one id per (kind, client_token); tokens must be UUID-shaped."""

    def __init__(self) -> None:
        self._ids: dict[tuple[str, str], str] = {}

    @staticmethod
    def check(token: str | None, *, uuid_only: bool = True) -> None:
        """The docstrings say the token must be UUID-shaped; ``uuid_only=False`` (a variant)
        accepts any non-empty string, as the docs' "should" allows."""
        if token is not None and not (token if not uuid_only else _UUID.match(token)):
            raise errors.invalid_argument(
                "com.vmware.vdcs.cls-main.invalid_client_token",
                f"The client token '{token}' is not a valid UUID.",
                token,
            )

    def lookup(self, kind: str, token: str | None, exists: Callable[[str], bool]) -> str | None:
        """The id an earlier create with this token returned, if that object still exists."""
        if token is None:
            return None
        ident = self._ids.get((kind, token))
        return ident if ident is not None and exists(ident) else None

    def remember(self, kind: str, token: str | None, ident: str) -> None:
        if token is not None:
            self._ids[(kind, token)] = ident

    def clear(self) -> None:
        self._ids.clear()


T = TypeVar("T")


def next_state(
    table: Mapping[tuple[T, str], T], state: T, operation: str, noun: str, *, lenient: bool
) -> T | None:
    """Look ``(state, operation)`` up in a transition table.

    A missing entry is NotAllowedInCurrentState, unless ``lenient`` (a flaw), which
    returns None: "answer 204 and change nothing".
    """
    new = table.get((state, operation))
    if new is None:
        if lenient:
            return None
        raise errors.not_allowed(operation, str(state), noun)
    return new


@dataclass(eq=False)
class BaseSession(Generic[St]):
    """What update and download sessions share; ``state`` is each kind's own enum (each
    kind gives it its default, ACTIVE)."""

    id: str
    library_item_id: str
    library_item_content_version: str
    expires_at: float
    client_progress: int = 0
    error_message: Message | None = None
    state: St = field(kw_only=True)


class SessionStore(Generic[S, St]):
    """Storage, per-item index, expiry and lookup for one kind of transfer session, and
    the operations both kinds share (create, keep-alive, cancel's precondition, fail).

    What differs by kind is data (class attributes: nouns, the transition table, the
    flaw names) or a hook (``_admit``, ``_canceled``, ``_discard``). Expired sessions are
    dropped lazily, whenever they are looked at.
    """

    kind = "session"  # noun for NotFound messages
    nacs_noun = "session"  # noun for NotAllowedInCurrentState messages
    token_kind = "session"
    #: (state, vAPI operation) -> new state; an operation missing for a state is NACS
    transitions: Mapping[tuple[St, str], St]
    #: the flaw under which a missing transition answers 204 and changes nothing
    lenient_flaw: str
    #: the flaw under which create accepts an unknown library item
    unknown_item_flaw: str
    #: the flaw under which keep-alive drops the client's progress (None: no such flaw)
    ignores_progress_flaw: str | None = None

    def __init__(self, backend: Backend, session_type: type[S]) -> None:
        self._b = backend
        self._session_type = session_type
        self._sessions: dict[str, S] = {}
        self._by_item: dict[str, dict[str, None]] = {}  # item id -> ordered set of session ids
        #: every id this store issued (the ``unknown-id-400`` flaw tells them apart)
        self._issued: set[str] = set()

    # -- bookkeeping -------------------------------------------------------------------
    def reset(self) -> None:
        self._sessions.clear()
        self._by_item.clear()
        self._issued.clear()

    def _add(self, session: S) -> None:
        self._sessions[session.id] = session
        self._issued.add(session.id)
        self._by_item.setdefault(session.library_item_id, {})[session.id] = None

    def _remove(self, session: S) -> None:
        self._sessions.pop(session.id, None)
        ids = self._by_item.get(session.library_item_id)
        if ids is not None:
            ids.pop(session.id, None)
            if not ids:
                del self._by_item[session.library_item_id]

    def _alive(self, session: S, now: float) -> bool:
        # "guaranteed not to expire earlier than" expiration_time: gone only after it.
        return now <= session.expires_at or self._b.flawed("sessions-never-expire")

    def exists(self, session_id: str) -> bool:
        session = self._sessions.get(session_id)
        if session is None:
            return False
        if not self._alive(session, self._b.clock.now()):
            self._remove(session)
            return False
        return True

    def find(self, session_id: str) -> S:
        """The live session, or NotFound (400 InvalidArgument under ``unknown-id-400`` for
        an id this server never issued; a deleted or expired one is still NotFound)."""
        self._b.check_id_format(session_id, self.kind)
        if not self.exists(session_id):
            if self._b.flawed("unknown-id-400") and session_id not in self._issued:
                raise errors.invalid_argument(
                    "com.vmware.vdcs.cls-main.invalid_session_id",
                    f"The {self.kind} ID '{session_id}' is invalid.",
                    session_id,
                )
            raise errors.not_found(self.kind, session_id)
        return self._sessions[session_id]

    def for_item(self, item_id: str) -> list[S]:
        """Live sessions of one item, oldest first."""
        now = self._b.clock.now()
        out: list[S] = []
        for sid in list(self._by_item.get(item_id, ())):
            session = self._sessions[sid]
            if self._alive(session, now):
                out.append(session)
            else:
                self._remove(session)
        return out

    def list_ids(self, item_id: str | None) -> list[str]:
        """``list``: every live session, or those of one item (which must exist)."""
        if item_id is not None:
            if not self._b.library.item_exists(item_id):
                if self._b.flawed("list-unknown-item-empty"):
                    return []
                raise errors.not_found("library item", item_id)
            if not self._b.flawed("list-ignores-filter"):
                return [s.id for s in self.for_item(item_id)]
        now = self._b.clock.now()
        expired = [s for s in self._sessions.values() if not self._alive(s, now)]
        for session in expired:
            self._remove(session)
        return list(self._sessions)

    def forget_item(self, item_id: str) -> None:
        """The item was deleted: its sessions go with it."""
        for sid in list(self._by_item.get(item_id, ())):
            self._remove(self._sessions[sid])

    # -- the operations both kinds share ------------------------------------------------
    def create(self, library_item_id: str, client_token: str | None, **fields: Any) -> str:
        """A new ACTIVE session on the item (``fields``: the kind's own, such as an update
        session's ``warning_behavior``), or the id an earlier create with this token gave."""
        reused = self._reuse(client_token)
        if reused is not None:
            return reused
        item_id, content_version = self._item_for_create(
            library_item_id, accept_unknown=self._b.flawed(self.unknown_item_flaw)
        )
        self._admit(item_id)
        session = self._session_type(
            id=self._b.new_id(),
            library_item_id=item_id,
            library_item_content_version=content_version,
            expires_at=self._new_expiry(),
            **fields,
        )
        self._add(session)
        self._b.tokens.remember(self.token_kind, client_token, session.id)
        return session.id

    def keep_alive(self, session_id: str, progress: int | None) -> None:
        session = self.find(session_id)
        if self._step(session, "keep_alive") is None:
            return
        self._extend(session)
        if progress is not None and not (
            self.ignores_progress_flaw is not None and self._b.flawed(self.ignores_progress_flaw)
        ):
            session.client_progress = progress

    def cancel(self, session_id: str) -> None:
        session = self.find(session_id)
        new = self._step(session, "cancel")
        if new is not None:
            self._canceled(session, new)

    def fail(self, session_id: str, client_error_message: str) -> None:
        """ERROR, with the client's text as ``error_message``; the kind discards what it holds."""
        session = self.find(session_id)
        new = self._step(session, "fail")
        if new is None:
            return
        session.state = new
        session.error_message = self._client_error(client_error_message)
        self._discard(session)

    def _step(self, session: S, operation: str) -> St | None:
        """The state ``operation`` leads to; NACS if none (None under ``lenient_flaw``)."""
        return next_state(
            self.transitions,
            session.state,
            operation,
            self.nacs_noun,
            lenient=self._b.flawed(self.lenient_flaw),
        )

    def delete(self, session_id: str) -> None:
        """``delete``: each kind has its own precondition."""
        raise NotImplementedError

    # -- hooks of the kinds ------------------------------------------------------------
    def _admit(self, item_id: str) -> None:
        """Raise if the item may not have another session (update sessions: one ACTIVE)."""

    def _canceled(self, session: S, new: St) -> None:
        """cancel is allowed: move to ``new`` (a flaw may differ) and let go of transfers."""
        session.state = new

    def _discard(self, session: S) -> None:
        """The session ended by fail: drop what it holds (update sessions: their bytes)."""

    # -- helpers -----------------------------------------------------------------------
    def _item_for_create(self, library_item_id: str, *, accept_unknown: bool) -> tuple[str, str]:
        """(id, content_version) of the item a create names; NotFound if there is none,
        unless ``accept_unknown`` (a flaw): then a session on no item, at version 1."""
        if accept_unknown and not self._b.library.item_exists(library_item_id):
            return library_item_id, "1"
        item = self._b.library.get_item(library_item_id)
        return item.id, str(item.content_version)

    def _new_expiry(self) -> float:
        timeout = self._b.session_timeout
        if self._b.flawed("expiry-one-hour"):
            timeout = 3600.0
        return self._b.clock.now() + timeout

    def _extend(self, session: S) -> None:
        if not self._b.flawed("keep-alive-no-extend"):
            session.expires_at = self._new_expiry()

    def _reuse(self, client_token: str | None) -> str | None:
        """Validate the token; return the id an identical earlier create produced."""
        self._b.tokens.check(client_token, uuid_only=not self._b.varied("client-token-any-format"))
        if self._b.flawed("client-token-ignored"):
            return None
        return self._b.tokens.lookup(self.token_kind, client_token, self.exists)

    def _client_error(self, text: str) -> Message | None:
        """``fail``'s LocalizableMessage carrying the client's text (None under a flaw)."""
        if self._b.flawed("fail-drops-message"):
            return None
        return Message("com.vmware.vdcs.cls-main.client_error", text, (text,))

    def dump(self) -> list[dict[str, Any]]:
        return [self._dump_one(s) for s in self._sessions.values()]

    def _dump_one(self, session: S) -> dict[str, Any]:
        return {
            "id": session.id,
            "library_item_id": session.library_item_id,
            "library_item_content_version": session.library_item_content_version,
            "client_progress": session.client_progress,
            "expires_at": session.expires_at,
            "error_message": None
            if session.error_message is None
            else session.error_message.to_json(),
            "state": str(session.state),
        }
