"""Fixtures shared by all tests."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory) -> Path:
    """One cache folder for the whole run (the calendar's early-close table is built once)."""
    return tmp_path_factory.mktemp("mm-cache")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory, monkeypatch, shared_cache):
    """Every test gets its own config and state folders: nothing touches the real home."""
    home = tmp_path_factory.mktemp("mm-home")
    monkeypatch.setenv("MARKET_MONITOR_HOME", str(home))
    monkeypatch.setenv("MARKET_MONITOR_CACHE", str(shared_cache))
    monkeypatch.delenv("MARKET_MONITOR_CONFIG", raising=False)
    return home


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """tests/data: small slices of real index data, kept in the repository so that a fresh clone
    runs every test with nothing beside it (tests/data/README.md says what each file is)."""
    return DATA



@pytest.fixture(autouse=True)
def unmemoized_yfinance():
    """Each test's chart stand-in is asked, never served an earlier test's answer
    (``fakes.chart.forget_yfinance_answers``)."""
    from fakes.chart import forget_yfinance_answers

    forget_yfinance_answers()
