"""A recorded HTTP request and its response, already redacted."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ._redact import REDACTED

_MISSING = object()


@dataclass(frozen=True)
class Exchange:
    """One request and the response to it, as the reports show them.

    Headers and bodies are redacted when the exchange is recorded, so an
    ``Exchange`` can be printed, stored or attached to a report as it is.
    """

    method: str
    url: str
    request_headers: dict[str, str]
    request_body: str | None
    status: int
    response_headers: dict[str, str]
    response_text: str
    elapsed_ms: float
    _json_cache: list[Any] = field(default_factory=list, repr=False, compare=False)
    #: a file transfer (outside /api): the bodies hold byte counts, never the bytes
    transfer: bool = False
    #: in the legacy /rest dialect, the exchange as it went over the wire; this one is
    #: then its /api reading (the /api method, URL, status and bare body) that checks judge
    wire: Exchange | None = None

    @property
    def content_type(self) -> str:
        for name, value in self.response_headers.items():
            if name.lower() == "content-type":
                return value
        return ""

    def header(self, name: str) -> str | None:
        for key, value in self.response_headers.items():
            if key.lower() == name.lower():
                return value
        return None

    @property
    def has_json(self) -> bool:
        return self.json_or(_MISSING) is not _MISSING

    def json_or(self, default: Any) -> Any:
        """The parsed JSON body, or ``default`` when the body is empty or not JSON."""
        if not self._json_cache:
            try:
                self._json_cache.append(json.loads(self.response_text))
            except ValueError:
                self._json_cache.append(_MISSING)
        value = self._json_cache[0]
        return default if value is _MISSING else value

    @property
    def json(self) -> Any:
        """The parsed JSON body, or ``None``."""
        return self.json_or(None)

    @property
    def on_the_wire(self) -> str:
        """For an /api reading of a /rest exchange, what went over the wire, to append to
        a message that quotes this reading's status or URL (else "")."""
        if self.wire is None:
            return ""
        return (
            f" (on the wire: {self.wire.method} {self.wire.url} answered {self.wire.status}, "
            "read as /api)"
        )

    def describe(self, limit: int = 4000) -> str:
        """A readable request/response transcript for failure messages and reports."""
        if self.wire is not None:
            reading = f"= read as /api: {self.method} {self.url} -> {self.status}"
            if self.response_text:
                reading += f" {_clip(self.response_text, limit)}"
            return self.wire.describe(limit) + "\n" + reading
        lines = [f"> {self.method} {self.url}"]
        lines += [f"> {k}: {v}" for k, v in self.request_headers.items()]
        if self.request_body:
            lines.append(f"> {_clip(self.request_body, limit)}")
        lines.append(f"< {self.status}  ({self.elapsed_ms:.0f} ms)")
        lines += [f"< {k}: {v}" for k, v in self.response_headers.items()]
        if self.response_text:
            lines.append(f"< {_clip(self.response_text, limit)}")
        return "\n".join(lines)

    def as_curl(self) -> str:
        """Shell lines that repeat the request: a login, then the request with its session.

        Secrets stay out: the password comes from ``$VC_PASSWORD`` and the
        session id from the login line, as the user would type them.
        """
        if self.wire is not None:
            return self.wire.as_curl()
        parts = ["curl", "-sS", "-X", self.method]
        needs_session = False
        for name, value in self.request_headers.items():
            lowered = name.lower()
            if lowered in {"content-length", "accept-encoding", "connection", "user-agent"}:
                continue
            if lowered == "vmware-api-session-id" and value == REDACTED:
                parts += ["-H", "vmware-api-session-id: $SESSION_ID"]
                needs_session = True
                continue
            if lowered == "authorization" and value == REDACTED:
                parts += ["-u", "$VC_USER:$VC_PASSWORD"]
                continue
            parts += ["-H", f"{name}: {value}"]
        if self.request_body and self.transfer:
            parts += ["--data-binary", "@FILE"]  # the bytes were never recorded
        elif self.request_body:
            parts += ["--data", self.request_body]
        parts.append(self.url)
        command = " ".join(_quote(p) for p in parts)
        if not needs_session:
            return command
        if "/rest/" in self.url:  # legacy: the token comes back as {"value": "..."}
            base = self.url.split("/rest/", 1)[0]
            login = (
                f'SESSION_ID=$(curl -sS -X POST -u "$VC_USER:$VC_PASSWORD" {shlex.quote(base)}'
                '/rest/com/vmware/cis/session | sed -E \'s/.*"value": *"([^"]*)".*/\\1/\')'
            )
            return f"{login}\n{command}"
        if "/api/" in self.url:
            base = self.url.split("/api/", 1)[0]
        else:  # a transfer endpoint: assume the API is served by the same origin
            split = urlsplit(self.url)
            base = f"{split.scheme}://{split.netloc}"
        login = (
            f'SESSION_ID=$(curl -sS -X POST -u "$VC_USER:$VC_PASSWORD" {shlex.quote(base)}'
            "/api/session | tr -d '\"')"
        )
        return f"{login}\n{command}"

    def to_dict(self) -> dict[str, Any]:
        if self.wire is not None:
            return {**self.wire.to_dict(), "read_as_api": _reading(self)}
        return {
            "method": self.method,
            "url": self.url,
            "request_headers": self.request_headers,
            "request_body": self.request_body,
            "status": self.status,
            "response_headers": self.response_headers,
            "response_body": self.response_text,
            "elapsed_ms": round(self.elapsed_ms, 1),
        }


def _reading(self: Exchange) -> dict[str, Any]:
    return {
        "method": self.method,
        "url": self.url,
        "status": self.status,
        "body": self.response_text,
    }


def _quote(part: str) -> str:
    """Quote for the shell, but let ``$SESSION_ID`` and ``$VC_*`` expand."""
    if "$SESSION_ID" in part or "$VC_" in part:
        return '"' + part.replace('"', '\\"') + '"'
    return shlex.quote(part)


def _clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"... ({len(text) - limit} more characters)"
