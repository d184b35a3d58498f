"""Error messages a user can act on in one read: "what failed: cause; what to do".

An Error means the suite could not judge (the target refused a setup step, the
network broke, the suite itself broke). Its message goes to results.json, the
console summary and the report, so it is one line with the cause first: the
vAPI error's ``error_type`` and ``default_message`` rather than a transcript
whose cause sits after the headers, and never a library's chained traceback.
"""

from __future__ import annotations

from typing import Any

from conformance.client import (
    ClientError,
    Exchange,
    LoginFailed,
    RequestTimeout,
    ServiceUnavailable,
    TransportError,
    UnexpectedResponse,
)

#: What to do, by the setup step that failed (matched in the step's description).
_SETUP_ADVICE = {
    "sandbox library": "check --datastore (a datastore the user may create a library on)",
    "listing datastores": "pass --datastore ID",
}
_SETUP_DEFAULT = "the target refused a step that prepares the test; the exchange is in report.html"


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0].strip() if text.strip() else ""


def response_cause(exchange: Exchange) -> str:
    """The answer's own explanation: ``ERROR_TYPE: default message`` or the text's start."""
    body: Any = exchange.json
    if isinstance(body, dict):
        messages = body.get("messages")
        first = messages[0] if isinstance(messages, list) and messages else None
        text = first.get("default_message") if isinstance(first, dict) else None
        error_type = body.get("error_type")
        if error_type or text:
            return ": ".join(str(p) for p in (error_type, text) if p)
    text = " ".join(exchange.response_text.split())
    return text[:200] + ("…" if len(text) > 200 else "") if text else "(empty body)"


def tidy_error(exc: BaseException) -> str:
    """One line: what failed, the cause, what to do."""
    first = _first_line(str(exc))
    if isinstance(exc, UnexpectedResponse):
        what, _, rest = first.partition(": ")
        advice = next((a for k, a in _SETUP_ADVICE.items() if k in first), _SETUP_DEFAULT)
        return f"{what}: {rest}: {response_cause(exc.exchange)}; {advice}"
    if isinstance(exc, ServiceUnavailable):
        return f"{first}; the target's service is down or overloaded: retry later"
    if isinstance(exc, LoginFailed):
        return first
    if isinstance(exc, RequestTimeout):
        return f"{first}; raise --timeout or check the target's load"
    if isinstance(exc, TransportError):
        return f"{first}; check that the target is reachable (URL, network, TLS: --ca-bundle)"
    if isinstance(exc, ClientError):
        return first
    if type(exc).__module__.startswith(("_pytest", "pytest")):  # pytest.fail(...), already tidy
        return first
    return (
        f"{type(exc).__name__}: {first}; a suite error, not the target's: "
        "the traceback is in report.html"
    )


def has_own_message(exc: BaseException) -> bool:
    """The client's errors explain themselves; their chained library tracebacks add nothing."""
    return isinstance(exc, ClientError)
