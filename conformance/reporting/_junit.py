"""Make ``junit.xml`` count what ``results.json`` counts.

pytest's junitxml calls an exception in a test's call a failure and one in its
setup or teardown an error, and counts both when both happen. The suite's
statuses differ: a connection reset during the call is an Error (the suite
could not judge), a broken SHOULD is a Warn (reported, but it passes), and a
known deviation passes too. Every conformance testcase carries the
``conformance_status`` property; this rewrites each testcase's outcome element
from it, and the suite's counters from the testcases: failures = Fail,
errors = Error, skipped = Skip, and Warn or known deviation as passed, with the
message in ``system-out``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

_OUTCOMES = {"failure": "failures", "error": "errors", "skipped": "skipped"}
#: conformance status -> the JUnit element it becomes (None: passed)
_ELEMENT = {"fail": "failure", "error": "error", "skip": "skipped"}


def align_junit(path: Path) -> None:
    """Rewrite ``path`` in place (nothing to do if pytest wrote none)."""
    if not path.is_file():
        return
    tree = ET.parse(path)
    root = tree.getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    for suite in suites:
        counts = dict.fromkeys(_OUTCOMES.values(), 0)
        cases = suite.findall("testcase")
        for case in cases:
            status = _status_of(case)
            if status is not None:
                _rewrite(case, status)
            # A testcase of no conformance test (a collection error) stays as pytest wrote it.
            tag = next((c.tag for c in case if c.tag in _OUTCOMES), None)
            if tag is not None:
                counts[_OUTCOMES[tag]] += 1
        suite.set("tests", str(len(cases)))
        for key, value in counts.items():
            suite.set(key, str(value))
    tree.write(path, encoding="utf-8", xml_declaration=True)


def _status_of(case: ET.Element) -> str | None:
    values = [
        p.get("value")
        for p in case.iterfind("properties/property")
        if p.get("name") == "conformance_status"
    ]
    return values[-1] if values else None


def _rewrite(case: ET.Element, status: str) -> None:
    found = [c for c in case if c.tag in _OUTCOMES]
    message = next((c.get("message", "") for c in found if c.get("message")), "")
    text = "\n".join(c.text or "" for c in found).strip()
    wanted = _ELEMENT.get(status)
    if wanted is not None and [c.tag for c in found] == [wanted]:
        return  # pytest already said it right
    for child in found:
        case.remove(child)
    if wanted is not None:
        element = ET.Element(wanted, {"message": message or status})
        if wanted == "skipped":
            element.set("type", "pytest.skip")
        element.text = text
        properties = case.find("properties")
        case.insert(0 if properties is None else list(case).index(properties) + 1, element)
    elif found:
        # Warn or known deviation: passed, with what was found where a reader looks.
        out = case.find("system-out")
        if out is None:
            out = ET.SubElement(case, "system-out")
        label = status.upper().replace("_", " ")
        out.text = f"{label}: {message}\n{text}\n{out.text or ''}".rstrip() + "\n"
