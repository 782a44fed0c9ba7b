"""The core never imports textual, and a headless replay imports nothing heavy.

Each check runs in a fresh interpreter (a subprocess): in this test process other tests may
already have imported textual or pandas.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORE = sorted(
    ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
    for path in (REPO / "monitor").rglob("*.py")
    if path.name != "__main__.py"  # __main__ runs the CLI when imported
    and "tui" not in path.relative_to(REPO).parts  # the Textual front end: the one textual user
)


def run_python(code: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=REPO,
        env=dict(os.environ),  # conftest's per-test home and the shared calendar cache
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def small_daily_file(tmp_path: Path) -> Path:
    path = tmp_path / "x.csv"
    # outside the 0.5 % approach bands of 2500: level_cross is the only alert
    path.write_text("date,open,high,low,close\n2026-01-05,2480,2485,2470,2480\n2026-01-06,2480,2530,2480,2520\n")
    return path


def warm_calendar_cache() -> None:
    """Build the early-close cache in this process, as any earlier run would have."""
    from monitor.market_hours import session_close

    session_close(date(2026, 1, 5))


def test_core_modules_and_headless_replay_never_import_textual(tmp_path):
    assert "monitor.state" in CORE and "monitor.series" in CORE and "monitor.feeds.base" in CORE
    warm_calendar_cache()
    result = run_python(
        f"""
        import contextlib, importlib, io, json, sys
        for name in {CORE!r}:
            importlib.import_module(name)
        from monitor.cli import main
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = main(["replay", "--headless", "^RUT={small_daily_file(tmp_path)}"])
        print(json.dumps({{"code": code, "alerts": out.getvalue().splitlines(),
                          "textual": sorted(m for m in sys.modules if m.split(".")[0] == "textual")}}))
        """
    )
    assert result["code"] == 0
    assert [json.loads(line)["rule"] for line in result["alerts"]] == ["level_cross"]
    assert result["textual"] == []


def test_headless_replay_path_imports_no_pandas_calendar_yfinance_or_asyncio(tmp_path):
    warm_calendar_cache()
    result = run_python(
        f"""
        import json, runpy, sys
        sys.argv = ["market-monitor", "replay", "--headless", "^RUT={small_daily_file(tmp_path)}"]
        try:
            runpy.run_module("monitor", run_name="__main__")
        except SystemExit as exc:
            code = exc.code
        heavy = ("textual", "pandas", "exchange_calendars", "yfinance", "numpy", "asyncio", "websockets",
                 "importlib.metadata",  # ~15 ms: the calendar cache is named without it
                 "importlib.resources", "tempfile",  # only the demo's shipped records read package data
                 "shlex", "textwrap", "unicodedata",  # the config's writer, a command sink, an odd value
                 "threading",  # the calendar's lock is a _thread lock
                 "shutil")  # argparse's help formatter asks the terminal's width only to write help
        print(json.dumps({{"code": code, "loaded": sorted(m for m in heavy if m in sys.modules)}}))
        """
    )
    assert result["code"] == 0
    # the ring buffers are stdlib arrays: not even numpy is needed to replay
    assert result["loaded"] == []
