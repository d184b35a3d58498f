"""The layering of ARCHITECTURE.md, enforced by reading every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import conformance

PACKAGE = Path(conformance.__file__).resolve().parent

# layer -> the conformance layers it may import (itself always allowed)
ALLOWED = {
    "client": set(),
    "checks": {"client", "resources"},
    "catalog": set(),
    "config": set(),
    "resources": set(),
    "profiles": set(),
    "drift": {"checks"},
    "sandbox": {"client", "config"},
    "reporting": {"catalog", "checks", "client", "config", "profiles", "resources"},
    "suites": {
        "catalog",
        "checks",
        "client",
        "config",
        "profiles",
        "reporting",
        "resources",
        "sandbox",
    },
    "mock": {"resources"},
    # runs `vcenter-conformance run` per target in a subprocess; reads only results.json
    "fleet": {"config", "reporting"},
    # the vcenter_mock fixture for users' tests starts the mock, and nothing else
    "pytest_plugin": {"mock"},
}


def layer_of(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py")


def conformance_imports(path: Path) -> set[str]:
    own_package = ".".join(("conformance", *path.relative_to(PACKAGE).parent.parts))
    return imported_layers(path.read_text(encoding="utf-8"), own_package)


def imported_layers(source: str, own_package: str) -> set[str]:
    """The conformance sub-packages that ``source`` (a module of ``own_package``) imports."""
    tree = ast.parse(source)
    layers: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = own_package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
                names = [module]
            else:
                names = [node.module or ""]
        for name in names:
            parts = name.split(".")
            if parts[0] == "conformance" and len(parts) > 1:
                layers.add(parts[1])
            elif parts[0] == "conformance":
                layers.add("__init__")
    return layers


MODULES = [p for p in PACKAGE.rglob("*.py") if layer_of(p) in ALLOWED and "_schemas" not in p.parts]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_imports_only_allowed_layers(path: Path) -> None:
    layer = layer_of(path)
    imported = conformance_imports(path) - {layer, "__init__"}
    forbidden = imported - ALLOWED[layer]
    assert not forbidden, f"{layer} may not import {sorted(forbidden)}"


def test_mock_imports_nothing_from_the_suite() -> None:
    mock_modules = [p for p in MODULES if layer_of(p) == "mock"]
    assert len(mock_modules) > 5
    for path in mock_modules:
        assert conformance_imports(path) <= {"mock", "resources"}, path


def test_pytest_plugin_imports_the_mock_only_inside_its_fixtures() -> None:
    """Registered in every pytest run of an installed package: it must cost nothing unused."""
    tree = ast.parse((PACKAGE / "pytest_plugin.py").read_text(encoding="utf-8"))
    top_level = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            top_level.add("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            top_level.update(alias.name for alias in node.names)
    assert not {name for name in top_level if "mock" in name or name.startswith("conformance")}
    assert top_level <= {
        "__future__",
        "secrets",
        "collections.abc",
        "dataclasses",
        "pathlib",
        "typing",
        "pytest",
    }


def test_the_checker_sees_forbidden_imports() -> None:
    source = (
        "from conformance.suites import conftest\n"
        "from ..checks import x\n"
        "import conformance.client\n"
    )
    assert imported_layers(source, "conformance.mock") == {"suites", "checks", "client"}
