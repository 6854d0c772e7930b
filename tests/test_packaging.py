"""The distribution installs under `kubeprops.` only, with the console script and the pytest plugin."""

import subprocess
import sys
from importlib.metadata import entry_points


def test_public_import_paths():
    import kubeprops.adapters
    import kubeprops.properties
    import kubeprops.reference_model
    import kubeprops.scenario

    assert kubeprops.properties.run_conformance
    assert kubeprops.adapters.Adapter


def test_no_generic_top_level_names_outside_the_repository(tmp_path):
    # From another directory, only `kubeprops` is importable: the source folders' short names are not.
    code = (
        "import importlib.util as u\n"
        "names = ('reference_model', 'properties', 'adapters', 'scenario', 'runner')\n"
        "print([n for n in names if u.find_spec(n)])\n"
        "import kubeprops.reference_model, kubeprops.adapters.simulator\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_console_script_and_pytest_plugin_are_registered():
    scripts = {e.name: e.value for e in entry_points(group="console_scripts")}
    assert scripts["kubeprops"] == "kubeprops.cli:main"
    plugins = {e.name: e.value for e in entry_points(group="pytest11")}
    assert plugins["kubeprops"] == "kubeprops.pytest_plugin"


def test_every_source_package_is_listed_for_wheels():
    # Editable installs find subpackages by path; a wheel only ships what pyproject lists.
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    config = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    dirs = {folder: package for package, folder in config["package-dir"].items()}
    found = set()
    for folder, package in dirs.items():
        for init in (root / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(root / folder).parts
            found.add(".".join((package, *rel)))
    assert found <= listed, sorted(found - listed)
