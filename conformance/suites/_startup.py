"""A pytest plugin ``run`` loads first (``-p``), in its process and in every worker of
``run -n``: no cyclic garbage collection while pytest starts and collects.

Starting is mostly importing modules and building objects that live for the whole run,
and Python's collector walks them again and again as they are made: about 13 % of a
worker's start-up CPU (bench/parallel.py). A parallel run starts its workers together
on however few cores there are, and the first test runs only when the last worker has
collected, so that CPU is wall time. Collection resumes when the tests start, with what
start-up built set aside (``gc.freeze``): it is never garbage, and the collections
during the run need not walk it.
"""

from __future__ import annotations

import gc

import pytest

gc.disable()


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> None:
    _resume()


def pytest_unconfigure(config: pytest.Config) -> None:
    _resume()  # a run that ended before its tests (a usage error, no tests collected)


def _resume() -> None:
    if not gc.isenabled():
        gc.freeze()
        gc.enable()
