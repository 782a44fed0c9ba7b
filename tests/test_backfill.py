"""Backfill: yfinance through the session seam, the on-disk cache, top-ups, outages, corruption."""

from __future__ import annotations

import csv
import logging
import math
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pytest
import yfinance as yf
from fakes.chart import HistoryYahoo, chart_json, fake_session, forget_yfinance_answers

from monitor.config import Config
from monitor.feeds.backfill import KEEP_DAILY, REFETCH_DAYS, Backfill
from monitor.market_hours import MarketClock
from monitor.model import NEW_YORK, BarExtremes, Tick
from monitor.series import load_series
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
    forget_yfinance_answers()  # each load asks the stand-in
    session, adapter = fake_session(yahoo)
    backfill = Backfill(SYMBOLS, cache=tmp_path / "cache", session=session, clock=lambda: now, fetch_info=info, **kwargs)
    return backfill, adapter


def daily_requests(adapter):
    return [r for r in adapter.chart_requests() if r.params.get("interval") == "1d" and r.params.get("range") != "1d"]


def test_first_run_fetches_the_whole_history_and_todays_minutes(tmp_path):
    backfill, adapter = make(Yahoo(), tmp_path)
    result = backfill.load()
    assert result.problems == []
    kinds = {(s.symbol, s.kind): s for s in result.series}
    daily = kinds[("^RUT", "daily")]
    assert datetime.fromtimestamp(daily.rows[-1][0], NEW_YORK).date() == date(2026, 11, 19)  # today is forming
    assert len(kinds[("^RUT", "intraday")].rows) == 90  # 09:30 .. 10:59
    # period "max": yfinance asks from 99 years before the end, which is the clock's tomorrow
    tomorrow = int(datetime(2026, 11, 21, tzinfo=NEW_YORK).timestamp())
    assert {(r.params.get("range"), int(r.params["period1"]), int(r.params["period2"])) for r in daily_requests(adapter)} == {
        (None, tomorrow - 3122064000 + 5, tomorrow)
    }
    assert (tmp_path / "cache" / "_RUT-1d-max.csv").exists()
    delays = {i.symbol: i.delay_minutes for i in result.infos}
    assert delays == {"^RUT": 15, "^GSPC": 0}


def test_ticks_go_through_market_state_like_a_replay(tmp_path):
    backfill, _ = make(Yahoo(), tmp_path)
    result = backfill.load()
    state = MarketState(Config(symbols=tuple(SYMBOLS)), "stream")
    times = []
    for batch in result.batches():
        times.append(Tick(*batch[0]).time)
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
    batches = list(result.batches({"^RUT": first_live}))
    ticks = [Tick(*t) for b in batches for t in b if t[0] == "^RUT"]
    assert max(t.time for t in ticks) < first_live
    # what is left of a daily bar's 11:00 and 14:00 batches stays ``BarExtremes``
    extremes = {Tick(*b[0]).time for b in result.batches() if type(b) is BarExtremes}
    assert extremes and all((type(b) is BarExtremes) == (Tick(*b[0]).time in extremes) for b in batches)


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


def test_a_live_tick_without_a_sound_time_does_not_cut_the_history(tmp_path):
    """A frame with no time (NaN), or an impossible one, while the history loads says nothing
    about where live prices begin: it must not become the symbol's first live time (NaN would
    drop its whole history, every ``t < NaN`` being false). A lower-case symbol is the
    upper-case one, as the door reads it."""
    from monitor.feeds.backfill import HistoryFirst

    backfill, _ = make(Yahoo(), tmp_path)
    result = backfill.load()
    first = datetime(2026, 11, 20, 10, 0, tzinfo=NEW_YORK).timestamp()
    gate = HistoryFirst()
    gate.hold([Tick("^RUT", math.nan, 2600.0, None, NOW), Tick("^GSPC", math.inf, 5000.0, None, NOW)])
    gate.hold([Tick("^rut", first, 2600.0, None, NOW)])
    state = MarketState(Config(symbols=tuple(SYMBOLS)), "stream")
    gate.finish(state, result, NOW)
    assert gate.first_live == {"^RUT": first}
    assert len(state.symbols["^RUT"].daily) == 39  # the history went in
    assert state.symbols["^RUT"].last < 2100.0 + 31 / 100  # and stopped before the live tick
    assert len(state.symbols["^GSPC"].daily) == 39


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


# --------------------------------------------------------------------------------------------
# The whole history: fetched once, topped up, its records handed to the state as numbers

DAILY_DATA = Path(__file__).resolve().parent / "data" / "daily"
RUT_FILES = {"^RUT": [DAILY_DATA / "rut_1987-1992.csv", DAILY_DATA / "rut_2016-2026.csv"]}


def csv_bars(through: date, revised: dict | None = None) -> list[tuple]:
    """(date, open, high, low, close) of RUT_FILES up to ``through``, read here independently."""
    out = []
    for path in RUT_FILES["^RUT"]:
        with open(path, encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                day = date.fromisoformat(row["date"])
                if day <= through:
                    o, h, l, c = (float(row[k]) for k in ("open", "high", "low", "close"))
                    c = (revised or {}).get(day, c)
                    out.append((day, o, max(h, c), min(l, c), c))
    return out


def evening(day: date) -> float:
    return datetime.combine(day, time(18, 0), NEW_YORK).timestamp()  # after the close: no minute bars


def midnight(day: date) -> int:
    return int(datetime.combine(day, time(0, 0), NEW_YORK).timestamp())


def history_backfill(yahoo, tmp_path, day: date, **kwargs) -> Backfill:
    forget_yfinance_answers()
    session, _ = fake_session(yahoo)
    return Backfill(["^RUT"], cache=tmp_path / "cache", session=session, clock=lambda: evening(day), fetch_info=info, **kwargs)


def cached_bars(tmp_path) -> list[tuple]:
    rows = load_series(tmp_path / "cache" / "_RUT-1d-max.csv").rows
    return [(datetime.fromtimestamp(t, NEW_YORK).date(), o, h, l, c) for t, o, h, l, c, _ in rows]


def test_first_start_fetches_the_whole_history_and_a_restart_only_the_top_up(tmp_path):
    first_day, second_day = date(2026, 2, 13), date(2026, 2, 20)  # Fridays
    first = HistoryYahoo(RUT_FILES, through=first_day)
    legacy = tmp_path / "cache" / "_RUT-1d.csv"  # an earlier version's two years, replaced
    legacy.parent.mkdir()
    legacy.write_text("date,open,high,low,close\n2026-02-12,1,2,1,2\n")
    result = history_backfill(first, tmp_path, first_day).load()
    assert not legacy.exists()
    [(params, answered)] = first.served
    assert int(params["period1"]) <= midnight(date(1987, 9, 10)) and "range" not in params  # period "max"
    assert int(params["period2"]) == midnight(date(2026, 2, 14))  # the clock's tomorrow
    assert answered == len(csv_bars(first_day)) == cached_bars(tmp_path).__len__()
    assert cached_bars(tmp_path) == csv_bars(first_day)
    [daily] = result.series
    assert len(daily.rows) == KEEP_DAILY  # the state gets the recent window only

    # A week later: Yahoo has five more sessions and revised the close of 2026-02-11.
    revised = {date(2026, 2, 11): 2700.0}
    second = HistoryYahoo(RUT_FILES, through=second_day, revised=revised)
    history_backfill(second, tmp_path, second_day).load()
    [(params, answered)] = second.served
    assert int(params["period1"]) == midnight(first_day - timedelta(days=REFETCH_DAYS))  # 2026-02-06
    assert int(params["period2"]) == midnight(second_day + timedelta(days=1))
    assert answered == 10  # 02-06 .. 02-20 (02-16 a holiday), not the whole history again
    assert cached_bars(tmp_path) == csv_bars(second_day, revised)  # the merge equals the full history


def test_all_time_records_known_live_are_those_of_the_whole_history(tmp_path):
    day = date(2026, 2, 23)
    result = history_backfill(HistoryYahoo(RUT_FILES), tmp_path, day).load()
    state = MarketState(Config(symbols=("^RUT",)), "stream")
    result.apply_to(state, evening(day))
    rut = state.symbols["^RUT"]
    bars = csv_bars(day)
    days = [b[0] for b in bars]
    highs, lows, closes = (np.array([b[k] for b in bars]) for k in (2, 3, 4))
    records = rut.records
    assert (records.high, records.high_day) == (highs.max(), days[int(np.argmax(highs))])
    assert (records.low, records.low_day) == (lows.min(), days[int(np.argmin(lows))])
    assert (records.close, records.close_day) == (closes.max(), days[int(np.argmax(closes))])
    assert records.low_day.year == 1987  # long before the window the state keeps...
    assert len(rut.daily) == KEEP_DAILY and min(rut.daily.column("low")) > records.low  # ...which does not know it


def test_a_backfill_child_that_never_answers_is_stopped_and_the_cache_serves(tmp_path):
    import functools

    from fakes.chart import standin_hang, standin_info

    make(Yahoo(), tmp_path)[0].load()  # a cache from an earlier start
    later = datetime(2026, 11, 23, 11, 0, tzinfo=NEW_YORK).timestamp()  # Monday: a top-up is due
    hung = Backfill(SYMBOLS, cache=tmp_path / "cache", clock=functools.partial(float, later), fetch=standin_hang,
                    fetch_info=standin_info, isolate=True, timeout=0.5)
    result = hung.load()
    said = "the yfinance process gave no answer in 0.5 s and was stopped; history from the cache only"
    assert result.problems == [said] and result.unreachable == said  # said once
    assert [(s.symbol, s.kind, len(s.rows)) for s in result.series] == [("^RUT", "daily", 39), ("^GSPC", "daily", 39)]
    assert set(result.records) == {"^RUT", "^GSPC"}


def test_records_are_rounded_like_the_door_so_a_price_equal_to_the_record_is_not_above_it(tmp_path):
    def float32_highs(request):  # Yahoo's floats: 2466.49 arrives as 2466.489990234375
        answer = daily_answer(request, date(2026, 11, 20))
        quote = answer["chart"]["result"][0]["indicators"]["quote"][0]
        quote["high"][-5] = 2466.489990234375
        return answer

    result = make(float32_highs, tmp_path)[0].load()
    assert (result.records["^RUT"].high, result.records["^GSPC"].high) == (2466.49, 6043.0)


def test_a_cached_row_ahead_of_the_clock_sets_no_record(tmp_path):
    make(Yahoo(), tmp_path)[0].load()
    path = tmp_path / "cache" / "_RUT-1d-max.csv"
    path.write_text(path.read_text() + "2026-11-25,2100,99999,2000,2100,\n")  # a corrupt cache's future session
    result = make(Yahoo(), tmp_path, offline=True)[0].load()
    assert result.records["^RUT"].high == 2043.0  # the closed sessions' (the door rejects the row's ticks)


# --------------------------------------------------------------------------------------------
# Hostile caches and answers: one line naming where, nothing already received lost

DAY = date(2026, 2, 13)  # a Friday: the sound cache ends here
NEXT = date(2026, 2, 20)  # the Friday after: a top-up is due


def sound_cache(tmp_path) -> tuple[Path, list[str]]:
    history_backfill(HistoryYahoo(RUT_FILES, through=DAY), tmp_path, DAY).load()
    path = tmp_path / "cache" / "_RUT-1d-max.csv"
    return path, path.read_text().splitlines(keepends=True)


def field(line: str, index: int, value: str) -> str:
    parts = line.split(",")
    parts[index] = value
    return ",".join(parts)


MID = 1500  # a row in the middle of the file (its line number is MID + 1)


@pytest.mark.parametrize(
    "damage, where, kept",
    [
        (lambda ls: ls[:1] + ["x" + ls[1]] + ls[2:], ":2: date: expected", 0),  # garbled first row
        (lambda ls: ls[:-1] + [ls[-1][:14]], ": expected 6 columns", -2),  # torn last line: a crash mid-write
        (lambda ls: ls[:MID] + [field(ls[MID], 4, "nan")] + ls[MID + 1 :], f":{MID + 1}: close: expected a finite", MID - 1),
        (lambda ls: ls[:MID] + [field(ls[MID], 3, "-1")] + ls[MID + 1 :], f":{MID + 1}: low: expected a price above 0", MID - 1),
        (lambda ls: ls[:MID] + [field(ls[MID], 1, "0")] + ls[MID + 1 :], f":{MID + 1}: open: expected a price above 0", MID - 1),
        (lambda ls: ls[:MID] + [ls[MID + 1], ls[MID]] + ls[MID + 2 :], f":{MID + 2}: date: ", MID),  # out of order
        (lambda ls: ls[: MID + 1] + [ls[MID]] + ls[MID + 2 :], f":{MID + 2}: date: ", MID),  # a date twice
        (lambda ls: [], ":1: header", 0),  # emptied
    ],
    ids=["garbled", "torn-last-line", "nan", "negative", "zero", "out-of-order", "duplicate", "empty"],
)
def test_a_damaged_cache_is_reported_once_keeps_its_sound_rows_and_fetches_the_rest(tmp_path, caplog, damage, where, kept):
    caplog.set_level(logging.INFO, "monitor.feeds.backfill")
    path, lines = sound_cache(tmp_path)
    kept = kept % len(lines)  # -2: all rows but the last
    damaged = damage(lines)
    path.write_text("".join(damaged))
    yahoo = HistoryYahoo(RUT_FILES, through=NEXT)
    result = history_backfill(yahoo, tmp_path, NEXT).load()
    [problem] = result.problems  # once, and no traceback: a line for the status bar
    assert problem.startswith(f"corrupt cache file ({path}:") and where in problem and "\n" not in problem, problem
    assert [r.getMessage() for r in caplog.records if "corrupt cache" in r.getMessage()] == [problem]
    [(params, _)] = yahoo.served
    if kept:
        assert problem.endswith(f"; the {kept:,} rows before it kept; the rest fetched again"), problem
        last_kept = cached_day(damaged[kept])
        assert int(params["period1"]) == midnight(last_kept - timedelta(days=REFETCH_DAYS))  # a top-up from them
    else:
        assert problem.endswith("); fetched again"), problem
        assert int(params["period1"]) <= midnight(date(1987, 9, 10))  # the whole history
    assert cached_bars(tmp_path) == csv_bars(NEXT)  # nothing lost, the file sound again
    assert result.records["^RUT"].low_day.year == 1987
    assert history_backfill(HistoryYahoo(RUT_FILES, through=NEXT), tmp_path, NEXT).load().problems == []


def cached_day(line: str) -> date:
    return date.fromisoformat(line.split(",")[0])


def test_offline_a_damaged_cache_serves_its_sound_rows_and_stays_on_disk(tmp_path):
    path, lines = sound_cache(tmp_path)
    torn = "".join(lines[:-1]) + lines[-1][:14]
    path.write_text(torn)
    result = history_backfill(HistoryYahoo(RUT_FILES), tmp_path, NEXT, offline=True).load()
    [problem] = result.problems
    assert problem.endswith(f"; the {len(lines) - 2:,} rows before it kept"), problem  # nothing fetched: not said
    [daily] = result.series
    assert cached_day(lines[-2]) == datetime.fromtimestamp(daily.rows[-1][0], NEW_YORK).date()
    assert result.records["^RUT"].low_day.year == 1987
    assert path.read_text() == torn  # still there for the next start that can fetch


def test_cached_sessions_ahead_of_the_clock_are_ignored_said_once_and_the_top_up_still_runs(tmp_path):
    path, lines = sound_cache(tmp_path)
    path.write_text("".join(lines) + "2026-02-25,2100,99999,2000,2100,\n")  # written under a clock ahead
    yahoo = HistoryYahoo(RUT_FILES, through=NEXT)
    result = history_backfill(yahoo, tmp_path, NEXT).load()
    assert result.problems == [f"{path}: 1 session(s) from 2026-02-25 on have not closed yet; ignored"]
    [(params, _)] = yahoo.served  # not taken for a fresh cache
    assert int(params["period1"]) == midnight(DAY - timedelta(days=REFETCH_DAYS))
    assert cached_bars(tmp_path) == csv_bars(NEXT)
    assert result.records["^RUT"].high < 99999


def test_a_cache_whose_closes_clash_with_yahoos_is_fetched_again_in_full(tmp_path):
    other = {"^RUT": [DAILY_DATA / "spx_1960-1964.csv", DAILY_DATA / "spx_2016-2026.csv"]}  # another symbol's file, ^RUT's name
    history_backfill(HistoryYahoo(other, through=DAY), tmp_path, DAY).load()
    path = tmp_path / "cache" / "_RUT-1d-max.csv"
    yahoo = HistoryYahoo(RUT_FILES, through=NEXT)
    result = history_backfill(yahoo, tmp_path, NEXT).load()
    [problem] = result.problems
    assert problem.startswith(f"{path}: cached close ") and "on 2026-02-06, Yahoo's 2" in problem, problem
    assert problem.endswith("; the whole history fetched again")
    [(top_up, _), (whole, _)] = yahoo.served
    assert int(top_up["period1"]) == midnight(DAY - timedelta(days=REFETCH_DAYS))
    assert int(whole["period1"]) <= midnight(date(1987, 9, 10))
    assert cached_bars(tmp_path) == csv_bars(NEXT)  # none of the other symbol's sessions left


class RefusesTheWhole(HistoryYahoo):
    """Answers a top-up but not a request for the whole history: ``answer`` instead (429: rate
    limited; a chart: one whose bars are not sound)."""

    def __init__(self, files: dict, through: date, answer) -> None:
        super().__init__(files, through=through)
        self.answer = answer

    def __call__(self, request):
        if int(request.params.get("period1", 0)) <= midnight(date(1987, 9, 10)) and request.params.get("range") != "1d":
            self.served.append((dict(request.params), -1))
            return self.answer
        return super().__call__(request)


UNSOUND_BAR = chart_json("^RUT", [midnight(NEXT) + 34200], [-1.0], granularity="1d")  # a bar with no sound price


@pytest.mark.parametrize("answer, failure", [(429, ["^RUT: 1d download failed: "]), (UNSOUND_BAR, [])], ids=["refused", "no-sound-bar"])
def test_a_clashing_cache_whose_whole_refetch_fails_is_served_as_it_was_and_asked_again_next_start(tmp_path, answer, failure):
    """One history is wrong and which is not known: neither the week fetched alone (records and
    indicators from a week) nor the two mixed (a false jump where they meet) is served, but the
    cache as it was, said once, and the next start asks again."""
    other = {"^RUT": [DAILY_DATA / "spx_1960-1964.csv", DAILY_DATA / "spx_2016-2026.csv"]}  # another symbol's file
    history_backfill(HistoryYahoo(other, through=DAY), tmp_path, DAY).load()
    path = tmp_path / "cache" / "_RUT-1d-max.csv"
    cached, before = load_series(path, "^RUT").rows, path.read_bytes()
    yahoo = RefusesTheWhole(RUT_FILES, NEXT, answer)
    result = history_backfill(yahoo, tmp_path, NEXT).load()
    clash, *rest = result.problems
    assert clash.startswith(f"{path}: cached close ") and "on 2026-02-06, Yahoo's 2" in clash, clash
    assert clash.endswith(
        "; the whole history could not be fetched again: the cache served as it was (through 2026-02-13),"
        " asked again at the next start"
    ), clash
    assert [p[:26] for p in rest] == failure  # the refetch's own failure, if it had one
    assert [params.get("period1") for params, answered in yahoo.served if answered == -1]  # the whole was asked for
    [daily] = result.series
    assert daily.rows == cached[-KEEP_DAILY:]  # the cache's last sessions, none of the week fetched
    lowest = min(cached, key=lambda row: row[3])
    assert result.records["^RUT"].low == lowest[3] and lowest[0] < cached[-KEEP_DAILY][0]  # the whole cache's records
    assert path.read_bytes() == before  # kept for the next start

    healed = history_backfill(HistoryYahoo(RUT_FILES, through=NEXT), tmp_path, NEXT).load()
    [problem] = healed.problems
    assert problem.startswith(f"{path}: cached close ") and problem.endswith("; the whole history fetched again"), problem
    assert cached_bars(tmp_path) == csv_bars(NEXT)


@pytest.mark.parametrize("through", [DAY - timedelta(days=3), None], ids=["ends-before-the-cache", "empty"])
def test_a_top_up_answer_that_lacks_cached_sessions_loses_none(tmp_path, through):
    path, lines = sound_cache(tmp_path)
    files = RUT_FILES if through else {}  # {}: Yahoo answers the top-up with no bars
    result = history_backfill(HistoryYahoo(files, through=through), tmp_path, NEXT).load()
    assert cached_bars(tmp_path) == csv_bars(DAY)  # every cached session kept
    [daily] = result.series
    assert datetime.fromtimestamp(daily.rows[-1][0], NEW_YORK).date() == DAY
    assert [p[:26] for p in result.problems] == ([] if through else ["^RUT: 1d download failed: "])


def test_a_top_up_on_the_first_session_of_a_year_and_over_a_weekend(tmp_path):
    new_year = date(2025, 12, 31)
    history_backfill(HistoryYahoo(RUT_FILES, through=new_year), tmp_path, new_year).load()
    morning = datetime(2026, 1, 2, 10, 0, tzinfo=NEW_YORK).timestamp()  # 01-01 a holiday, 01-02 forming
    for clock, asked in [(morning, None), (evening(date(2026, 1, 2)), new_year - timedelta(days=7)), (evening(date(2026, 1, 3)), None)]:
        yahoo = HistoryYahoo(RUT_FILES, through=date(2026, 1, 2))
        forget_yfinance_answers()
        session, _ = fake_session(yahoo)
        Backfill(["^RUT"], cache=tmp_path / "cache", session=session, clock=lambda: clock, fetch_info=info).load()
        daily = [(params, n) for params, n in yahoo.served if params.get("interval") == "1d"]
        assert [int(p["period1"]) for p, _ in daily] == ([midnight(asked)] if asked else [])
    assert cached_bars(tmp_path) == csv_bars(date(2026, 1, 2))


def test_a_cache_path_that_is_a_directory_is_said_and_the_fetched_history_still_served(tmp_path):
    path = tmp_path / "cache" / "_RUT-1d-max.csv"
    path.mkdir(parents=True)
    result = history_backfill(HistoryYahoo(RUT_FILES, through=DAY), tmp_path, DAY).load()
    assert result.problems == [
        f"corrupt cache file ({path}: is a directory, expected a CSV file); fetched again",
        f"{path}: cache not written: Is a directory",
    ]
    assert result.records["^RUT"].low_day.year == 1987  # what was received is served
    assert not [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")]  # no temporary file left behind


def test_the_cache_is_written_through_a_temporary_file_of_its_own(tmp_path):
    theirs = tmp_path / "cache" / "_RUT-1d-max.csv.tmp"  # another monitor's, starting at the same time
    theirs.mkdir(parents=True)
    result = history_backfill(HistoryYahoo(RUT_FILES, through=DAY), tmp_path, DAY).load()
    assert result.problems == []
    assert cached_bars(tmp_path) == csv_bars(DAY)
    assert sorted(p.name for p in theirs.parent.iterdir()) == ["_RUT-1d-max.csv", "_RUT-1d-max.csv.tmp", "_RUT-info.json"]


@pytest.mark.parametrize("symbol", ["../x", "^RUT/..", "/etc/passwd", ".."])
def test_a_symbol_with_path_characters_names_a_file_inside_the_cache(tmp_path, symbol):
    backfill = Backfill([symbol], cache=tmp_path / "cache", clock=lambda: NOW, offline=True)
    path = backfill._path(symbol, "1d-max")
    assert path.parent == tmp_path / "cache" and "/" not in path.name and path.name.endswith("-1d-max.csv")


def test_the_record_close_high_and_low_each_come_from_their_own_session_the_earliest_of_equals(tmp_path):
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "_RUT-1d-max.csv").write_text(
        "date,open,high,low,close,volume\n"
        "2026-02-09,100,110,95,100,\n"  # the record high
        "2026-02-10,100,104,90,103,\n"  # the record low
        "2026-02-11,100,110,96,104,\n"  # the high again: not a new record
        "2026-02-12,100,105,97,104,\n"  # the record close again: not a new one
    )
    records = Backfill(["^RUT"], cache=tmp_path / "cache", clock=lambda: evening(DAY), offline=True).load().records["^RUT"]
    assert (records.high, records.high_day) == (110, date(2026, 2, 9))
    assert (records.low, records.low_day) == (90, date(2026, 2, 10))
    assert (records.close, records.close_day) == (104, date(2026, 2, 11))


def test_cached_minutes_ahead_of_the_clock_are_not_served(tmp_path):
    make(Yahoo(), tmp_path)[0].load()
    path = tmp_path / "cache" / "_RUT-1m.csv"
    path.write_text(path.read_text() + "2026-11-20T15:00:00-05:00,2200,2300,2100,2250,\n")  # 15:00, the clock says 11:00
    yahoo = Yahoo()
    yahoo.down = True  # what the cache holds is all there is
    result = make(yahoo, tmp_path)[0].load()
    minutes = next(s for s in result.series if s.symbol == "^RUT" and s.kind == "intraday")
    assert len(minutes.rows) == 90 and max(r[0] for r in minutes.rows) < NOW
