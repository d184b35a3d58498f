"""Unknown ids in the target's own format.

Ids on a real vCenter are not promised to be bare UUIDs, and a malformed id may be
refused differently (400) from a well-formed unknown one (404). So an unknown id is
derived from a real id of the same kind that this run created: one character changed
within its class (digit to digit, letter to letter, case kept), length kept.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

__all__ = ["UnknownIds", "derive_unknown"]

_HEX = "0123456789abcdef"


def _next_in_class(char: str) -> str | None:
    if char.isdigit():
        return str((int(char) + 1) % 10)
    lower = char.lower()
    if lower in _HEX:  # keep a hex id hex
        bumped = "abcdef"[("abcdef".index(lower) + 1) % 6]
    elif "a" <= lower <= "z":
        bumped = chr((ord(lower) - ord("a") + 1) % 26 + ord("a"))
    else:
        return None
    return bumped.upper() if char.isupper() else bumped


def derive_unknown(real: str, known: Collection[str] = ()) -> str:
    """``real`` with one alphanumeric character changed (from the end), not in ``known``."""
    for index in range(len(real) - 1, -1, -1):
        replacement = _next_in_class(real[index])
        if replacement is None:
            continue
        candidate = real[:index] + replacement + real[index + 1 :]
        if candidate != real and candidate not in known:
            return candidate
    raise ValueError(f"cannot derive an unknown id from {real!r}")


class UnknownIds:
    """One unknown id per kind, each derived from a real id the run made (made once)."""

    def __init__(self, make: dict[str, Callable[[], str]]) -> None:
        self._make = make
        self._cache: dict[str, str] = {}

    def of(self, kind: str) -> str:
        if kind not in self._cache:
            real = self._make[kind]()
            self._cache[kind] = derive_unknown(real, {real})
        return self._cache[kind]
