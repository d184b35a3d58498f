"""Exceptions raised by the vCenter REST client.

Hierarchy::

    ClientError                 the client could not get an answer worth judging
    ├── TransportError          connection refused or reset, TLS failure, bad URL
    │   └── RequestTimeout      no answer within the configured timeout
    ├── LoginFailed             POST /api/session did not give a session token
    ├── ServiceUnavailable      502/503/504 even after retries: the service is down
    ├── UnexpectedResponse      a setup call answered with something unusable
    └── CleanupIncomplete       the run could not remove everything it created

None of these means "the target does not conform": the suite reports them as
Error, never as Fail. Conformance failures live in ``conformance.checks``.
"""

from __future__ import annotations

from ._exchange import Exchange


class ClientError(Exception):
    """Base class: the client could not obtain a usable answer."""


class TransportError(ClientError):
    """The HTTP exchange itself failed (no status code to judge)."""


class RequestTimeout(TransportError):
    """The target did not answer within the per-request timeout."""


class LoginFailed(ClientError):
    """The target refused the credentials or answered the login oddly."""

    def __init__(self, message: str, exchange: Exchange | None = None) -> None:
        super().__init__(message)
        self.exchange = exchange


class ServiceUnavailable(ClientError):
    """The target kept answering 502, 503 or 504: nothing about conformance can be judged."""

    def __init__(self, message: str, exchange: Exchange) -> None:
        super().__init__(message)
        self.exchange = exchange


class UnexpectedResponse(ClientError):
    """A call made to prepare a test (not the one under test) did not succeed."""

    def __init__(self, message: str, exchange: Exchange) -> None:
        super().__init__(message)
        self.exchange = exchange


class CleanupIncomplete(ClientError):
    """The target refused to remove what the run created: an Error of the run, not of the
    test that happened to be last (its requirements were judged before)."""
