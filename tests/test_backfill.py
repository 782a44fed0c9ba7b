"""Backfill: yfinance through the session seam, the on-disk cache, top-ups, outages, corruption."""

from __future__ import annotations

import logging
import math
from datetime import date, datetime, time, timedelta

import pytest
import yfinance as yf
from fakes.chart import chart_json, fake_session

from monitor.config import Config
from monitor.feeds.backfill import Backfill
from monitor.market_hours import MarketClock
from monitor.model import NEW_YORK
from monitor.state import MarketState

NOW = datetime(2026, 11, 20, 11, 0, tzinfo=NEW_YORK).timestamp()  # Friday, market open
SYMBOLS = ["^RUT", "^GSPC"]


@pytest.fixture(autouse=True)
def yf_caches(tmp_path):
    yf.set_tz_cache_location(str(tmp_path / "yf"))


def sessions_before(day: date, count: int) -> list[date]:
    clock = MarketClock()
    out, current = [], day
    while len(out) < count:
        current -= timedelta(days=1)
        if clock.is_session(current):
            out.append(current)
    return sorted(out)


def daily_answer(request, through: date):
    days = sessions_before(through + timedelta(days=1), 40)
    stamps = [int(datetime.combine(d, time(9, 30), NEW_YORK).timestamp()) for d in days]
    if "period1" in request.params:
        stamps = [s for s in stamps if s >= int(request.params["period1"]) - 86400]
    base = 2000.0 if request.symbol == "^RUT" else 6000.0
    closes = [base + i for i in range(len(stamps))]
    return chart_json(request.symbol, stamps, closes, highs=[c + 5 for c in closes], lows=[c - 5 for c in closes], granularity="1d")


def minute_answer(request, until: float):
    opens = int(datetime(2026, 11, 20, 9, 30, tzinfo=NEW_YORK).timestamp())
    stamps = list(range(opens, int(until), 60))
    base = 2100.0 if request.symbol == "^RUT" else 6100.0
    return chart_json(request.symbol, stamps, [base + i / 100 for i in range(len(stamps))])


class Yahoo:
    """Daily and 1-minute charts up to ``today``; ``down=True`` answers 429 to everything."""

    def __init__(self, today: date = date(2026, 11, 20), now: float = NOW) -> None:
        self.today, self.now, self.down = today, now, False

    def __call__(self, request):
        if self.down:
            return 429
        if request.params.get("interval") == "1m":
            return minute_answer(request, self.now)
        return daily_answer(request, self.today)


def info(symbol):
    return {"shortName": f"{symbol} name", "exchangeDataDelayedBy": 15 if symbol == "^RUT" else 0, "priceHint": 2}


def make(yahoo, tmp_path, now=NOW, **kwargs):
    session, adapter = fake_session(yahoo)
    backfill = Backfill(SYMBOLS, cache=tmp_path / "cache", session=session, clock=lambda: now, fetch_info=info, **kwargs)
    return backfill, adapter


def daily_requests(adapter):
    return [r for r in adapter.chart_requests() if r.params.get("interval") == "1d" and r.params.get("range") != "1d"]


def test_first_run_fetches_two_years_and_todays_minutes(tmp_path):
    backfill, adapter = make(Yahoo(), tmp_path)
    result = backfill.load()
    assert result.problems == []
    kinds = {(s.symbol, s.kind): s for s in result.series}
    daily = kinds[("^RUT", "daily")]
    assert datetime.fromtimestamp(daily.rows[-1][0], NEW_YORK).date() == date(2026, 11, 19)  # today is forming
    assert len(kinds[("^RUT", "intraday")].rows) == 90  # 09:30 .. 10:59
    assert {r.params.get("range") for r in daily_requests(adapter)} == {"2y"}
    assert (tmp_path / "cache" / "_RUT-1d.csv").exists()
    delays = {i.symbol: i.delay_minutes for i in result.infos}
    assert delays == {"^RUT": 15, "^GSPC": 0}


def test_ticks_go_through_market_state_like_a_replay(tmp_path):
    backfill, _ = make(Yahoo(), tmp_path)
    result = backfill.load()
    state = MarketState(Config(symbols=tuple(SYMBOLS)), "stream")
    times = []
    for batch in result.batches():
        times.append(batch[0].time)
        state.apply(batch)
    assert times == sorted(times)
    rut = state.symbols["^RUT"]
    assert len(rut.daily) == 39  # sessions before today; today forms from the 1-minute bars
    assert rut.last == pytest.approx(2100.0 + 89 / 100)
    assert rut.prev_close == pytest.approx(2038.0)


def test_history_never_overwrites_live_ticks(tmp_path):
    backfill, _ = make(Yahoo(), tmp_path)
    result = backfill.load()
    first_live = datetime(2026, 11, 20, 10, 0, tzinfo=NEW_YORK).timestamp()
    ticks = [t for b in result.batches({"^RUT": first_live}) for t in b if t.symbol == "^RUT"]
    assert max(t.time for t in ticks) < first_live


def test_restart_during_outage_uses_the_cache(tmp_path):
    yahoo = Yahoo()
    make(Yahoo(), tmp_path)[0].load()
    yahoo.down = True
    backfill, adapter = make(yahoo, tmp_path)
    result = backfill.load()
    kinds = {(s.symbol, s.kind): len(s.rows) for s in result.series}
    assert kinds[("^RUT", "daily")] == 39 and kinds[("^RUT", "intraday")] == 90
    assert not daily_requests(adapter)  # the daily cache was current: not even asked
    assert any("1m download failed" in p or "no 1m data" in p for p in result.problems)


def test_next_day_tops_up_incrementally(tmp_path):
    make(Yahoo(), tmp_path)[0].load()
    monday = datetime(2026, 11, 23, 11, 0, tzinfo=NEW_YORK).timestamp()
    backfill, adapter = make(Yahoo(date(2026, 11, 23), monday), tmp_path, now=monday)
    result = backfill.load()
    [request, *_] = daily_requests(adapter)
    assert "period1" in request.params and "range" not in request.params
    daily = next(s for s in result.series if s.symbol == "^RUT" and s.kind == "daily")
    assert datetime.fromtimestamp(daily.rows[-1][0], NEW_YORK).date() == date(2026, 11, 20)
    assert len(daily.rows) == 40  # 39 cached + Friday's


def test_corrupt_cache_is_discarded_with_a_warning(tmp_path, caplog):
    caplog.set_level(logging.INFO, "monitor.feeds.backfill")
    make(Yahoo(), tmp_path)[0].load()
    (tmp_path / "cache" / "_RUT-1d.csv").write_text("date,open,high,low,close\n2026-11-19,1,2,x,4\n")
    backfill, adapter = make(Yahoo(), tmp_path)
    result = backfill.load()
    assert any("corrupt" in p for p in result.problems)
    assert "corrupt" in caplog.text
    daily = next(s for s in result.series if s.symbol == "^RUT" and s.kind == "daily")
    assert len(daily.rows) == 39  # refetched in full
    assert {r.symbol for r in daily_requests(adapter)} == {"^RUT"}


def test_weekend_has_no_minute_bars(tmp_path):
    saturday = datetime(2026, 11, 21, 12, 0, tzinfo=NEW_YORK).timestamp()
    backfill, _ = make(Yahoo(), tmp_path, now=saturday)
    result = backfill.load()
    assert {s.kind for s in result.series} == {"daily"}
    daily = next(s for s in result.series if s.symbol == "^RUT")
    assert datetime.fromtimestamp(daily.rows[-1][0], NEW_YORK).date() == date(2026, 11, 20)
    assert not math.isnan(daily.rows[-1][4])


def test_apply_to_discards_history_alerts_and_commits_closed_sessions(tmp_path):
    backfill, _ = make(Yahoo(), tmp_path)
    result = backfill.load()
    state = MarketState(Config(symbols=tuple(SYMBOLS)), "stream")
    count = result.apply_to(state, NOW)
    assert count == 4 * sum(len(s.rows) for s in result.series)
    assert len(state.symbols["^RUT"].daily) == 39
    assert state.symbols["^RUT"].session == date(2026, 11, 20)  # today still forming


def test_history_first_holds_live_batches_until_history_is_in(tmp_path):
    from monitor.feeds.backfill import HistoryFirst
    from monitor.model import Tick

    backfill, _ = make(Yahoo(), tmp_path)
    result = backfill.load()
    gate = HistoryFirst()
    live = [Tick("^RUT", datetime(2026, 11, 20, 10, 0, tzinfo=NEW_YORK).timestamp(), 2600.0, None, NOW)]
    assert gate.hold(live)
    state = MarketState(Config(symbols=tuple(SYMBOLS)), "stream")
    assert gate.finish(state, result, NOW) == [live]
    assert state.symbols["^RUT"].last < 2100.0 + 31 / 100  # history stopped before the live tick
    assert not gate.hold(live)  # from now on the caller applies live batches itself


def test_unreachable_network_stops_asking_and_serves_the_cache(tmp_path):
    import requests

    make(Yahoo(), tmp_path)[0].load()
    calls = []

    def no_dns(symbol, **kwargs):
        calls.append(symbol)
        raise requests.exceptions.ConnectionError("curl: (6) Could not resolve host: query2.finance.yahoo.com")

    later = datetime(2026, 11, 23, 11, 0, tzinfo=NEW_YORK).timestamp()  # Monday: the cache needs a top-up
    backfill = Backfill(SYMBOLS, cache=tmp_path / "cache", clock=lambda: later, fetch=no_dns, fetch_info=info)
    result = backfill.load()
    assert calls == ["^RUT"]  # one failure for want of a network: nothing else is asked
    assert result.problems == ["network unreachable: cannot resolve query2.finance.yahoo.com; history from the cache only"]
    assert [(s.symbol, s.kind, len(s.rows)) for s in result.series] == [("^RUT", "daily", 39), ("^GSPC", "daily", 39)]
