"""Reading the date-times a target sends, without ever crashing on them.

WIRE-DATETIME-FORMAT judges the format (RFC 3339 with a time zone, contract
§7.3/§10.13). Other requirements only need the instant: keep-alive moves
``expiration_time`` forward, a new session expires five minutes after the
answer's ``Date``. A target that breaks the format must fail WIRE-DATETIME-FORMAT
only; the other tests read what they can (a zone-less time still compares with
another zone-less time from the same target, an epoch number is an instant),
and otherwise raise :class:`NotJudged`, an Error that names the requirement
whose failure stopped them, never a ``TypeError`` of the suite.
"""

from __future__ import annotations

import email.utils
import math
import re
from datetime import UTC, datetime
from typing import Any

#: RFC 3339 ``date-time`` as the official bindings accept it: a ``T``, seconds,
#: optional fractions, and a zone (``Z`` or ``±hh:mm``).
RFC3339_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", re.ASCII
)
#: Epoch numbers above this are milliseconds (1e11 s is the year 5138).
_MILLISECONDS_FROM = 1e11
_NUMBER = re.compile(r"\d+(\.\d+)?", re.ASCII)
_FORMAT_REQUIREMENT = "WIRE-DATETIME-FORMAT"


class NotJudged(Exception):
    """A requirement could not be judged because the target broke another one first.

    Not a :class:`~conformance.checks.ConformanceFailure`: the test ends as Error
    with this message, and the broken requirement fails in its own test.
    """


def is_rfc3339(value: Any) -> bool:
    """Whether ``value`` is an RFC 3339 date-time with a time zone, naming a real
    calendar date and time (a leap second ``:60`` allowed, as RFC 3339 §5.6 does)."""
    if not isinstance(value, str) or RFC3339_DATETIME.fullmatch(value) is None:
        return False
    return read_datetime(value[:17] + value[17:19].replace("60", "59") + value[19:]) is not None


def read_datetime(value: Any) -> datetime | None:
    """The instant a target's date-time names, if it can be read at all.

    Reads RFC 3339 and the forms contract §7.3 lists as breaking it: no time zone
    (a naive result), a space instead of ``T``, epoch numbers in seconds or
    milliseconds (numbers or digit strings, UTC). None when nothing can be read.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        value = float(value)
    if isinstance(value, int | float):
        seconds = float(value)
        if not math.isfinite(seconds):
            return None
        if seconds >= _MILLISECONDS_FROM:
            seconds /= 1000
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def read_http_date(value: str | None) -> datetime | None:
    """A ``Date`` header as an aware instant (HTTP dates are GMT), None if unreadable."""
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def instant(value: Any, field: str, requirement: str) -> datetime:
    """``value`` as an aware instant, to compare with a clock or a ``Date`` header.

    Raises :class:`NotJudged` naming WIRE-DATETIME-FORMAT when the value has no
    time zone or cannot be read: its instant is then unknown.
    """
    parsed = read_datetime(value)
    if parsed is None or parsed.tzinfo is None:
        raise NotJudged(_not_judged(requirement, field, value, "its instant is unknown"))
    return parsed


def is_later(after: Any, before: Any, field: str, requirement: str) -> bool:
    """Whether ``after`` names a later instant than ``before`` (two readings of ``field``).

    Two zone-less values of one target compare as they are (the same unstated
    zone); a zone-less value against a zoned one, or an unreadable value, raises
    :class:`NotJudged` naming WIRE-DATETIME-FORMAT.
    """
    first = _readable(before, field, requirement)
    second = _readable(after, field, requirement)
    if (first.tzinfo is None) != (second.tzinfo is None):
        naive = before if first.tzinfo is None else after
        why = "it cannot be compared with the other reading, which has a time zone"
        raise NotJudged(_not_judged(requirement, field, naive, why))
    return second > first


def _readable(value: Any, field: str, requirement: str) -> datetime:
    parsed = read_datetime(value)
    if parsed is None:
        raise NotJudged(_not_judged(requirement, field, value, "it cannot be read"))
    return parsed


def _not_judged(requirement: str, field: str, value: Any, why: str) -> str:
    if value is None:
        return f"{requirement} not judged: the answer has no {field}"
    return (
        f"{requirement} not judged: {field} {value!r} is not an RFC 3339 date-time "
        f"with a time zone ({_FORMAT_REQUIREMENT} fails), and {why}"
    )
