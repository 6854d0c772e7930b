"""Layering contracts, checked on the source: who may import what.

import-linter cannot follow our package-dir mapping (the `kubeprops.*` subpackages live in sibling
folders, not under one package directory), so the contracts are checked here with `ast`, the same way:
every import statement of every module of a layer, against the layer's forbidden prefixes.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# folder -> (its package, prefixes it must never import)
CONTRACTS = {
    "scenario": (
        "kubeprops.scenario",
        (
            "kubeprops.reference_model",
            "kubeprops.adapters",
            "kubeprops.properties",
            "kubeprops.cli",
            "hypothesis",
            "kubernetes",
            "pytest",
        ),
    ),
    "reference_model": (
        "kubeprops.reference_model",
        (
            "kubeprops.adapters",
            "kubeprops.properties",
            "kubeprops.cli",
            "hypothesis",
            "kubernetes",
            "pytest",
            "random",
            "time",
            "datetime",
            "threading",
            "os",
            "socket",
            "subprocess",
        ),
    ),
    "adapters": (
        "kubeprops.adapters",
        ("kubeprops.reference_model", "kubeprops.properties", "hypothesis"),
    ),
    "properties": (
        "kubeprops.properties",
        ("kubeprops.adapters.simulator", "kubeprops.adapters.kubernetes", "kubernetes"),
    ),
}


def imported_modules(path: Path, package: str) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    relative_base = package + "." + ".".join(path.parent.relative_to(ROOT).parts[1:])
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.add(resolve(node, relative_base.rstrip(".")))
    return found


def resolve(node: ast.ImportFrom, base: str) -> str:
    if node.level == 0:
        return node.module or ""
    parts = base.split(".")
    parent = ".".join(parts[: len(parts) - (node.level - 1)])
    return f"{parent}.{node.module}" if node.module else parent


def violations(folder: str) -> list[str]:
    package, forbidden = CONTRACTS[folder]
    bad = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for module in imported_modules(path, package):
            if any(module == f or module.startswith(f + ".") for f in forbidden):
                bad.append(f"{path.relative_to(ROOT)} imports {module}")
    return bad


@pytest.mark.parametrize("folder", sorted(CONTRACTS))
def test_layer_imports(folder):
    assert violations(folder) == []


def test_the_checker_sees_relative_imports():
    # A contract that cannot fail proves nothing: the resolver must map relative imports to packages.
    node = ast.parse("from ..reference_model import world").body[0]
    assert resolve(node, "kubeprops.properties") == "kubeprops.reference_model"
    node = ast.parse("from .machine import bind").body[0]
    assert resolve(node, "kubeprops.properties") == "kubeprops.properties.machine"
