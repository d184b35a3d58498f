"""Keep passwords and session tokens out of everything the suite writes.

Secrets are registered as soon as they are known (the password at start-up,
each session token at login); :meth:`Redactor.redact` then blanks them in any
text. Sensitive headers are blanked by name whatever their value, and the
credentials of any URL (``scheme://user:password@host``) by where they stand.
"""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Iterable, Mapping

REDACTED = "[REDACTED]"
SENSITIVE_HEADERS = frozenset({"authorization", "vmware-api-session-id", "cookie", "set-cookie"})
#: What URL credentials become: no brackets, so the URL still parses (``[...]`` in the
#: authority reads as an IPv6 address, and ``urlsplit`` raises on anything else there).
URL_CREDENTIALS_REDACTED = "REDACTED"
#: ``scheme://`` then the userinfo, up to the authority's last ``@`` (a password may hold
#: an unescaped one); the authority ends at ``/ ? #``, white space, quotes or brackets.
_URL_CREDENTIALS = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)[^\s/?#\"'<>\[\]\\]*@")


class Redactor:
    """A set of secret strings, and the means to blank them out of text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        """Register a secret; very short strings are ignored (they would blank too much)."""
        if not secret or len(secret) < 4:
            return
        with self._lock:
            self._secrets.add(secret)

    def add_basic_credentials(self, user: str, password: str) -> None:
        """Register the password and the Basic header value derived from it."""
        self.add(password)
        self.add(base64.b64encode(f"{user}:{password}".encode()).decode("ascii"))

    @property
    def secrets(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._secrets)

    def redact(self, text: str) -> str:
        """Return ``text`` with URL credentials and every registered secret blanked."""
        text = _URL_CREDENTIALS.sub(rf"\g<scheme>{URL_CREDENTIALS_REDACTED}@", text)
        # Longest first, so a secret containing another is blanked whole.
        for secret in sorted(self.secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def redact_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """Blank sensitive headers by name and any secret found in the others."""
        return {
            name: REDACTED if name.lower() in SENSITIVE_HEADERS else self.redact(value)
            for name, value in headers.items()
        }


#: The process-wide redactor: the client registers what it learns here, the
#: reporters blank with it.
GLOBAL_REDACTOR = Redactor()
