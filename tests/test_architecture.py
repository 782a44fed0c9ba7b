"""The import contracts in pyproject.toml ([tool.importlinter]) hold, and cover the whole core.

`lint-imports` builds the import graph of the installed package (function-level imports
included) and checks each contract; this test runs it in a subprocess so the suite fails on a
broken contract with import-linter's own explanation (the chain of imports that breaks it).
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FRONTS = {"monitor.cli", "monitor.__main__", "monitor.tui"}  # may import the Textual front end


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


def test_import_contracts_hold():
    code = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
