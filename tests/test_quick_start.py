"""The README's quick start is what CI runs, and it works on a fresh clone: two commands, each
creating a virtualenv first (current Debian/Ubuntu refuse pip into the system Python), and the test
data the suite needs is in the repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV = "python3 -m venv .venv && . .venv/bin/activate && "


def quick_start_commands() -> list[str]:
    readme = (REPO / "README.md").read_text()
    section = readme.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", section, re.S)]


def test_quick_start_is_two_commands_that_start_with_a_virtualenv():
    demo, tests = quick_start_commands()
    assert demo == VENV + "pip install . && market-monitor --demo"
    assert tests == VENV + "pip install -e '.[test]' && pytest"


def test_ci_runs_the_readme_test_command_verbatim():
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    commands = [line for line in ci if line.strip() and not line.startswith("#")]
    assert commands[-1] == quick_start_commands()[1]
    assert "set -euo pipefail" in commands  # a failing step fails CI


def test_the_test_data_is_tracked_by_git():
    """A fresh clone has only what git tracks: every file the tests read from tests/data must be."""
    tracked = subprocess.run(["git", "ls-files", "tests/data"], cwd=REPO, capture_output=True,
                             text=True, check=True).stdout.split()
    present = sorted(str(p.relative_to(REPO)) for p in (REPO / "tests" / "data").rglob("*") if p.is_file())
    assert present and sorted(tracked) == present
