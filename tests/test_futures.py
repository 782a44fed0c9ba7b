"""Index futures before the open: the change since the index's last close, with a fixed clock."""

from __future__ import annotations

from datetime import date, time

import pytest

from monitor.futures import FuturesBoard
from monitor.market_hours import MarketClock, ny_epoch
from monitor.model import Tick


def at(day: date, hh: int, mm: int = 0, ss: int = 0) -> float:
    return ny_epoch(day, time(hh, mm, ss))


def board(now: float) -> FuturesBoard:
    return FuturesBoard({"^RUT": "RTY=F", "^GSPC": "ES=F"}, MarketClock(lambda: now))


def tick(symbol: str, when: float, price: float) -> Tick:
    return Tick(symbol, when, price, None, when)


def test_before_the_open_the_future_is_measured_from_its_price_at_the_index_close():
    tuesday, monday = date(2026, 2, 24), date(2026, 2, 23)
    now = at(tuesday, 8, 0)
    futures = board(now)
    batch = [tick("^RUT", at(monday, 15, 59), 2395.0), tick("RTY=F", at(monday, 15, 59, 59), 2400.0)]
    rest, moved = futures.take(batch)
    assert [t.symbol for t in rest] == ["^RUT"] and moved == {"^RUT"}  # futures never reach the state
    futures.take([tick("RTY=F", at(monday, 16, 30), 2390.0)])  # after the close: not the reference
    futures.take([tick("RTY=F", at(tuesday, 7, 59), 2424.0)])
    quote = futures.quote("^RUT", now)
    assert quote.future == "RTY=F" and quote.since == monday
    assert quote.last == 2424.0 and quote.change == pytest.approx(24.0) and quote.change_pct == pytest.approx(1.0)
    assert futures.quote("^GSPC", now) is None  # no price of ES=F yet
    assert futures.quote("^NDX", now) is None  # no future configured


def test_across_a_holiday_the_reference_is_the_last_session_before_it():
    friday, holiday, tuesday = date(2026, 2, 13), date(2026, 2, 16), date(2026, 2, 17)  # Presidents' Day
    now = at(tuesday, 9, 0)
    futures = board(now)
    assert futures.market.last_closed_session(now) == friday
    # The backfill's daily bars: Yahoo has a bar for the holiday too (futures traded).
    futures.learn_daily("RTY=F", [(at(friday, 9, 30), 0, 0, 0, 2390.0), (at(holiday, 9, 30), 0, 0, 0, 2395.0)])
    futures.take([tick("RTY=F", at(holiday, 12, 0), 2410.0)])  # no session: no index close that day
    futures.take([tick("RTY=F", at(tuesday, 8, 59), 2414.0)])
    quote = futures.quote("^RUT", now)
    assert quote.since == friday
    assert quote.change == pytest.approx(24.0) and quote.change_pct == pytest.approx(2414.0 / 2390.0 * 100 - 100)


def test_a_live_tick_at_the_close_wins_over_the_daily_bar():
    monday, tuesday = date(2026, 2, 23), date(2026, 2, 24)
    futures = board(at(tuesday, 6, 0))
    futures.take([tick("ES=F", at(monday, 15, 59, 58), 6000.0)])
    futures.learn_daily("ES=F", [(at(monday, 9, 30), 0, 0, 0, 6012.0)])  # Yahoo's close, later
    futures.take([tick("ES=F", at(tuesday, 5, 0), 6060.0)])
    assert futures.quote("^GSPC", at(tuesday, 6, 0)).change_pct == pytest.approx(1.0)


def test_inside_a_session_the_last_close_is_the_previous_session():
    tuesday = date(2026, 2, 24)
    clock = MarketClock(lambda: at(tuesday, 10, 0))
    assert clock.last_closed_session(at(tuesday, 10, 0)) == date(2026, 2, 23)
    assert clock.last_closed_session(at(tuesday, 16, 0)) == tuesday
