"""Settings for the whole test session.

The project's tests start a Python process for about every suite run they judge (a
hundred or more), and each imports pytest, Hypothesis and Schemathesis. pytest rewrites
the asserts of every module of a pytest plugin's distribution (all of Schemathesis) and
caches the result as bytecode, unless bytecode is not written: with
PYTHONDONTWRITEBYTECODE set, each run compiled them again, about 4 of its 6-7 CPU
seconds. The session writes bytecode (into ``__pycache__``, which git ignores) for
itself and the processes it starts.
"""

from __future__ import annotations

import os
import sys
from collections import Counter

import pytest

os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The modules that run the suite in subprocesses first, most such tests first: with
    pytest-xdist (``-n``, one module per worker) the long ones start at once, and the
    quick ones fill the other workers around them."""
    slow_tests: Counter[str] = Counter(
        item.nodeid.split("::")[0] for item in items if item.get_closest_marker("slow")
    )
    items.sort(key=lambda item: -slow_tests[item.nodeid.split("::")[0]])
