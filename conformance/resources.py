"""Where the shared data files live, installed or in a source checkout.

``schemas/`` sits at the top of the repository and ships inside the wheel as
``conformance/_schemas``; both the suite and the mock find it through here.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def schemas_dir() -> Path:
    """Return the directory holding the OpenAPI fragments and vAPI error schemas."""
    for candidate in (_PACKAGE_DIR / "_schemas", _PACKAGE_DIR.parent / "schemas"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        "schemas/ not found: reinstall vcenter-conformance "
        "(the wheel ships it as conformance/_schemas)"
    )
