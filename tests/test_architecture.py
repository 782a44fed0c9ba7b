"""The import contracts in pyproject.toml ([tool.importlinter]) hold, and cover the whole core.

`lint-imports` builds the import graph of the installed package (function-level imports and
those under TYPE_CHECKING included) and checks each contract; this test runs it in a subprocess
so the suite fails on a broken contract with import-linter's own explanation (the chain of
imports that breaks it). The contracts: "core" (no textual in the core), "layers" (the arrows of
the README's "Layout" run one way, every module in its place) and "acyclic" (no import cycle
between siblings); a cycle between a package and its own modules is found here with grimp.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest

REPO = Path(__file__).resolve().parent.parent
FRONTS = {"monitor.cli", "monitor.__main__", "monitor.tui"}  # may import the Textual front end
CHAIN = ("runner", "session", "state", "rules", "indicators", "model")  # issue 12's arrows, top down
LINT = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"


def contracts() -> dict[str, dict]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    return {contract["id"]: contract for contract in config["contracts"]}


def core_modules() -> set[str]:
    """Top-level modules and packages of monitor/ that are not fronts: the headless core."""
    found = set()
    for path in (REPO / "monitor").iterdir():
        if path.suffix == ".py" and path.stem != "__init__":
            found.add(f"monitor.{path.stem}")
        elif path.is_dir() and (path / "__init__.py").exists():
            found.add(f"monitor.{path.name}")
    return found - FRONTS


def test_every_core_module_is_under_the_core_contract():
    listed = set(contracts()["core"]["source_modules"])
    missing = sorted(core_modules() - listed)
    assert not missing, (
        f"add {missing} to source_modules of the 'core' contract in pyproject.toml "
        "(or, for a front end that may import textual, to FRONTS in this test)"
    )
    assert not sorted(listed - core_modules()), "the 'core' contract lists modules that do not exist"


def test_the_readmes_layout_says_what_every_module_is_for():
    """A newcomer finds each module of monitor/ in the README's table (a new one too)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    table = text.split("\n### Layout", 1)[1].split("\nWhere to add things", 1)[0]
    named = {match.group(1) for match in re.finditer(r"^  (\w+)(?:\.py|/) ", table, re.MULTILINE)}
    missing = sorted(name for name in (m.removeprefix("monitor.") for m in core_modules() | {"monitor.tui"}) if name not in named)
    assert not missing, f"README 'Layout': add a line for {missing} to the table of modules"


def test_widgets_may_read_no_core_module_but_model_and_view():
    """A new core module is forbidden to the widgets until it is deliberately allowed here."""
    widgets = contracts()["widgets"]
    assert widgets["source_modules"] == ["monitor.tui.widgets"]
    forbidden = set(widgets["forbidden_modules"])
    missing = sorted(core_modules() - {"monitor.model", "monitor.view"} - forbidden)
    assert not missing, f"add {missing} to forbidden_modules of the 'widgets' contract in pyproject.toml"
    assert forbidden == core_modules() - {"monitor.model", "monitor.view"}


def test_import_contracts_hold():
    done = subprocess.run([sys.executable, "-c", LINT], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def import_cycles(graph: grimp.ImportGraph) -> list[tuple[str, str]]:
    """Each import (importer, imported) that lies on a circle of imports. Every module counts as
    itself, a package's ``__init__`` too: a cycle between a package and one of its modules is
    one that the 'acyclic' contract (siblings only) does not see."""
    return sorted((importer, imported) for importer in graph.modules
                  for imported in graph.find_modules_directly_imported_by(importer)
                  if graph.chain_exists(importer=imported, imported=importer))


def test_no_import_cycle_anywhere_in_monitor():
    assert import_cycles(grimp.build_graph("monitor")) == []


def test_import_cycles_finds_a_cycle_between_a_package_and_its_module():
    graph = grimp.ImportGraph()
    graph.add_import(importer="p.config", imported="p.feeds")
    graph.add_import(importer="p.feeds", imported="p.feeds.stream")  # the registry builds the stream feed
    graph.add_import(importer="p.feeds.stream", imported="p.feeds")  # which reads a name from the registry
    assert import_cycles(graph) == [("p.feeds", "p.feeds.stream"), ("p.feeds.stream", "p.feeds")]


def test_the_layers_contract_places_every_module_and_runs_the_chain_downwards():
    layers = contracts()["layers"]
    assert layers["type"] == "layers" and layers["containers"] == ["monitor"] and layers["exhaustive"] is True
    depth = {tail.strip(" ()"): n for n, layer in enumerate(layers["layers"]) for tail in re.split("[|:]", layer)}
    assert [depth[module] for module in CHAIN] == sorted({depth[module] for module in CHAIN})
    assert contracts()["acyclic"]["type"] == "acyclic_siblings" and contracts()["acyclic"]["ancestors"] == ["monitor"]


# Imports that go against the arrows, added to a copy of the package: each breaks its contract.
REVERSE_IMPORTS = {
    "a rule reads the state that runs it (under TYPE_CHECKING)": (
        "detector.py", "if TYPE_CHECKING:\n    from monitor.state import SymbolState\n", "layers"),
    "the model imports the config (inside a function)": (
        "model.py", "def _later():\n    from monitor.config import Config\n", "layers"),
    "the config imports the rules' registry": ("config.py", "from monitor.rules import RULES as _RULES\n", "layers"),
    "a cycle inside feeds/ (inside a function)": (
        "feeds/live.py", "def _later():\n    from monitor.feeds import yahoo_stream\n", "acyclic"),
}


@pytest.mark.parametrize("module, line, contract", REVERSE_IMPORTS.values(), ids=REVERSE_IMPORTS)
def test_an_import_against_the_arrows_breaks_the_contracts(tmp_path, module, line, contract):
    shutil.copytree(REPO / "monitor", tmp_path / "monitor", ignore=shutil.ignore_patterns("__pycache__", "data"))
    shutil.copy(REPO / "pyproject.toml", tmp_path)
    with open(tmp_path / "monitor" / module, "a", encoding="utf-8") as source:
        source.write("\n\n" + line)
    done = subprocess.run([sys.executable, "-c", LINT, "--no-cache", "--contract", contract], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "BROKEN" in done.stdout, done.stdout + done.stderr
