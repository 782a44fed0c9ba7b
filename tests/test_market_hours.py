"""Market hours with fixed clocks: holidays, early closes, weekends, DST changes."""

from __future__ import annotations

from datetime import date, datetime, time, timezone

import pytest

from monitor import market_hours
from monitor.market_hours import MarketClock, Phase, ny_epoch, session_close
from monitor.model import NEW_YORK


def at(text: str) -> float:
    """'2026-11-27 12:00' New York time -> epoch."""
    return datetime.fromisoformat(text).replace(tzinfo=NEW_YORK).timestamp()


def ny(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, NEW_YORK).strftime("%Y-%m-%d %H:%M")


def status_at(text: str):
    return MarketClock(clock=lambda: at(text)).status()


def test_regular_day_phases():
    assert status_at("2026-11-24 03:59").phase is Phase.CLOSED
    assert status_at("2026-11-24 04:00").phase is Phase.PRE
    assert status_at("2026-11-24 09:29").phase is Phase.PRE
    opened = status_at("2026-11-24 09:30")
    assert opened.phase is Phase.OPEN and opened.is_open
    assert ny(opened.next_close) == "2026-11-24 16:00"
    assert ny(opened.next_open) == "2026-11-25 09:30"
    assert status_at("2026-11-24 16:00").phase is Phase.POST
    assert status_at("2026-11-24 20:00").phase is Phase.CLOSED


def test_holiday_thanksgiving():
    status = status_at("2026-11-26 11:00")
    assert status.phase is Phase.HOLIDAY
    assert "Thanksgiving" in status.holiday
    assert ny(status.next_open) == "2026-11-27 09:30"
    assert ny(status.next_close) == "2026-11-27 13:00"
    assert "holiday" in status.describe()


def test_early_close_day_after_thanksgiving():
    status = status_at("2026-11-27 12:59")
    assert status.phase is Phase.OPEN and status.early_close
    assert ny(status.next_close) == "2026-11-27 13:00"
    assert "early close 13:00" in status.describe()
    assert status_at("2026-11-27 13:00").phase is Phase.POST
    assert status_at("2026-11-27 17:00").phase is Phase.CLOSED
    assert session_close(date(2026, 11, 27)) == at("2026-11-27 13:00")


def test_weekend_points_to_monday():
    status = status_at("2026-11-21 12:00")  # a Saturday
    assert status.phase is Phase.CLOSED
    assert ny(status.next_open) == "2026-11-23 09:30"
    assert "Mon 09:30" in status.describe()


def test_dst_spring_forward_weekend():
    # Clocks change on Sunday 2026-03-08: Friday's open is 14:30 UTC, Monday's 13:30 UTC.
    friday = status_at("2026-03-06 10:00")
    assert friday.is_open
    saturday = status_at("2026-03-07 10:00")
    assert saturday.next_open == datetime(2026, 3, 9, 13, 30, tzinfo=timezone.utc).timestamp()
    assert ny_epoch(date(2026, 3, 6), time(9, 30)) - ny_epoch(date(2026, 3, 9), time(9, 30)) == pytest.approx(
        -(3 * 86400 - 3600)
    )


def test_dst_fall_back_keeps_new_york_hours():
    # 2026-11-01 clocks go back: Monday 2026-11-02 still opens at 09:30 New York (14:30 UTC).
    monday = status_at("2026-11-02 09:31")
    assert monday.is_open
    assert datetime.fromtimestamp(monday.next_close, NEW_YORK).hour == 16
    assert ny_epoch(date(2026, 11, 2), time(9, 30)) % 86400 == 14 * 3600 + 30 * 60


def test_dates_beyond_the_calendar_do_not_rebuild_repeatedly(monkeypatch):
    market_hours._reset_for_tests()
    calls = []
    real = market_hours._compute_table

    def counting():
        calls.append(1)
        return real()

    monkeypatch.setattr(market_hours, "_compute_table", counting)
    for offset in range(5):
        close = session_close(date(2090, 1, 2 + offset))
        assert datetime.fromtimestamp(close, NEW_YORK).hour == 16
    assert len(calls) <= 1
    market_hours._reset_for_tests()


def test_corrupt_calendar_cache_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("MARKET_MONITOR_CACHE", str(tmp_path))
    market_hours._reset_for_tests()
    market_hours._cache_file().write_text("{not json", encoding="utf-8")
    assert session_close(date(2026, 12, 24)) == at("2026-12-24 13:00")
    assert "holidays" in market_hours._cache_file().read_text(encoding="utf-8")
    market_hours._reset_for_tests()


def test_the_calendar_cache_is_named_by_the_installed_exchange_calendars_version():
    from importlib.metadata import version

    assert market_hours._cache_file().name == f"xnys-early-closes-{version('exchange-calendars')}.json"
