"""Session bars: which session a tick belongs to, how bars form, and the three ways they commit."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import pytest

from monitor.bars import MINUTE_BARS_KEPT, PENDING_KEPT, DailyBar, MinuteBar, SessionDays, ny_day_epoch, ny_day_epochs
from monitor.config import Config
from monitor.model import NEW_YORK, Tick
from monitor.state import MarketState


def ny(day: str, hhmm: str = "09:30", seconds: float = 0.0) -> float:
    """Epoch of a New York wall time."""
    when = datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=NEW_YORK)
    return when.timestamp() + seconds


def tick(symbol: str, day: str, hhmm: str, price: float, volume: float | None = None, seconds: float = 0.0) -> Tick:
    return Tick(symbol, ny(day, hhmm, seconds), price, volume)


def state(*symbols: str) -> MarketState:
    return MarketState(Config(symbols=symbols or ("X",), levels=()))


# --------------------------------------------------------------------------------------------
# SessionDays: epoch -> New York date, exact across DST changes


@pytest.mark.parametrize(
    "day, hours",
    [("2025-03-09", 23), ("2025-11-02", 25), ("2025-06-16", 24), ("1987-04-05", 23), ("1974-01-06", 23)],
)
def test_day_range_is_midnight_to_midnight_new_york(day, hours):
    days = SessionDays()
    d = date.fromisoformat(day)
    start = datetime(d.year, d.month, d.day, tzinfo=NEW_YORK).timestamp()
    got_day, got_start, got_end = days.lookup(start + 3 * 3600)
    assert got_day == d
    assert got_start == start
    assert got_end - got_start == hours * 3600


def test_ticks_around_midnight_and_dst_changes_get_the_new_york_date():
    days = SessionDays()
    for day in ("2025-03-08", "2025-03-09", "2025-03-10", "2025-11-01", "2025-11-02", "2025-11-03"):
        d = date.fromisoformat(day)
        midnight = datetime(d.year, d.month, d.day, tzinfo=NEW_YORK).timestamp()
        assert days.lookup(midnight)[0] == d
        assert days.lookup(midnight - 0.001)[0] == d - timedelta(days=1)


def test_lookup_agrees_with_zoneinfo_every_hour_for_two_years_in_any_order():
    days = SessionDays()
    first = datetime(2024, 1, 1, tzinfo=NEW_YORK).timestamp()
    hours = list(range(0, 2 * 366 * 24, 1))
    # forwards, then a jumpy order (live catch-up, several symbols on different days)
    for h in hours + hours[::-7] + hours[::13]:
        t = first + h * 3600 + 1799.5
        day, start, end = days.lookup(t)
        assert day == datetime.fromtimestamp(t, NEW_YORK).date()
        assert start <= t < end


def test_lookup_corrects_a_guess_a_day_late_or_early():
    """The day is first guessed with the UTC offset of the last day looked up, an hour off
    across a DST change: 23:30 in winter after a summer day is guessed a day late, 00:30 in
    summer after a winter day a day early. The range returned is the day's own."""
    for before, after in (("2025-07-01T12:00", "2025-01-15T23:30"), ("2025-01-15T12:00", "2025-07-01T00:30")):
        days = SessionDays()
        days.lookup(datetime.fromisoformat(before).replace(tzinfo=NEW_YORK).timestamp())
        t = datetime.fromisoformat(after).replace(tzinfo=NEW_YORK).timestamp()
        want = datetime.fromtimestamp(t, NEW_YORK).date()
        midnight = datetime(want.year, want.month, want.day, tzinfo=NEW_YORK).timestamp()
        assert days.lookup(t) == (want, midnight, midnight + 86400.0), after


def test_bars_know_their_session_close_including_early_closes():
    bar = DailyBar(date(2025, 12, 24), 1.0, 1.0, 1.0, 1.0, None)
    assert bar.close_time == ny("2025-12-24", "13:00")
    assert bar._replace(day=date(2025, 12, 26)).close_time == ny("2025-12-26", "16:00")
    assert bar._replace(day=date(2025, 7, 3)).close_time == ny("2025-07-03", "13:00")


def test_ny_day_epoch_agrees_with_zoneinfo_for_every_day_since_1900():
    day = date(1900, 1, 1)
    while day < date(2031, 1, 1):
        for hhmm, seconds in (("09:30", 34200.0), ("16:00", 57600.0)):
            expected = datetime.fromisoformat(f"{day.isoformat()}T{hhmm}").replace(tzinfo=NEW_YORK).timestamp()
            assert ny_day_epoch(day, seconds) == expected, (day, hhmm)
        day += timedelta(days=3)


def test_month_offsets_are_the_same_whichever_neighbour_month_was_cached_first(monkeypatch):
    """A month takes the offset at its first and last midnight from a cached neighbour month:
    asked forwards, backwards or alone, every month of years with DST changes is the same."""
    from monitor import bars

    months = [(year, month) for year in (2024, 2025) for month in range(1, 13)]
    monkeypatch.setattr(bars, "_months", {})
    forwards = [bars.midnight_offsets(*m) for m in months]
    monkeypatch.setattr(bars, "_months", {})
    backwards = [bars.midnight_offsets(*m) for m in reversed(months)][::-1]
    alone = []
    for m in months:
        monkeypatch.setattr(bars, "_months", {})
        alone.append(bars.midnight_offsets(*m))
    assert forwards == backwards == alone
    assert alone[2][:10] == (-18000.0,) * 10 and alone[2][10:] == (-14400.0,) * 22  # EDT from 2024-03-10


def test_ny_day_epochs_of_a_column_of_days_agree_with_zoneinfo():
    """A column of days spanning years, in and out of order, with gaps of several months."""
    days = [date(1927, 12, 30) + timedelta(days=n * 5) for n in range(7000)]
    days += [date(2026, 1, 2), date(1999, 12, 31), date(1950, 2, 28), date(2024, 2, 29), date(2025, 11, 2), date(2025, 3, 9)]
    for hhmm, seconds in (("09:30", 34200.0), ("16:00", 57600.0)):
        expected = [datetime.fromisoformat(f"{day.isoformat()}T{hhmm}").replace(tzinfo=NEW_YORK).timestamp() for day in days]
        assert ny_day_epochs(days, seconds) == expected
    assert ny_day_epochs([], 34200.0) == []


def test_ny_day_epochs_of_days_centuries_apart_lays_out_only_their_months(monkeypatch):
    """A daily file with a stray year ("0205" for "2025", or 9998) must not make the loader lay
    out, look up and cache every month in between (it took seconds and hundreds of MB)."""
    from monitor import bars

    monkeypatch.setattr(bars, "_months", {})
    days = [date(1905, 1, 3), *(date(2025, 1, 2) + timedelta(days=n) for n in range(20)), date(2500, 6, 1)]
    expected = [datetime.combine(day, datetime.min.time()).replace(hour=9, minute=30, tzinfo=NEW_YORK).timestamp() for day in days]
    assert ny_day_epochs(days, 34200.0) == expected
    assert len(bars._months) <= 6  # the months of the days given (and their neighbours), not 7,000


# --------------------------------------------------------------------------------------------
# Forming bar: open, revise, minute bars


def test_ticks_of_one_session_revise_the_forming_bar():
    st = state()
    st.apply([tick("X", "2026-01-05", "09:30", 100.0, 10)])  # volume: the session's so far
    st.apply([tick("X", "2026-01-05", "11:00", 97.0, 15)])
    st.apply([tick("X", "2026-01-05", "14:00", 104.0)])
    st.apply([tick("X", "2026-01-05", "15:00", 103.0, 12)])  # an older print: no double count
    st.apply([tick("X", "2026-01-05", "16:00", 101.5, 16)])
    s = st.symbols["X"]
    assert s.session == date(2026, 1, 5)
    assert (s.day_open, s.day_high, s.day_low, s.last) == (100.0, 104.0, 97.0, 101.5)
    assert s.day_volume == 16
    assert s.last_time == ny("2026-01-05", "16:00")
    assert not s.daily  # nothing committed yet


def test_pre_and_post_market_ticks_belong_to_their_new_york_date():
    st = state()
    st.apply([tick("X", "2026-01-05", "04:00", 100.0)])
    st.apply([tick("X", "2026-01-05", "19:59", 103.0)])
    st.apply([tick("X", "2026-01-06", "00:00", 99.0)])  # midnight New York: the next session
    s = st.symbols["X"]
    assert [b.day for b in s.daily] == [date(2026, 1, 5)]
    assert s.daily[0].close == 103.0
    assert s.session == date(2026, 1, 6)


def test_minute_bars_revise_within_a_minute_and_restart_each_session():
    st = state()
    st.apply([tick("X", "2026-01-05", "09:30", 100.0)])
    st.apply([tick("X", "2026-01-05", "09:30", 101.0, seconds=20)])
    st.apply([tick("X", "2026-01-05", "09:30", 99.5, seconds=40)])
    st.apply([tick("X", "2026-01-05", "09:31", 100.2, seconds=1)])
    s = st.symbols["X"]
    start = ny("2026-01-05", "09:30")
    assert list(s.intraday) == [MinuteBar(start, 100.0, 101.0, 99.5, 99.5), MinuteBar(start + 60, 100.2, 100.2, 100.2, 100.2)]
    st.apply([tick("X", "2026-01-06", "09:30", 90.0)])
    assert list(s.intraday) == [MinuteBar(ny("2026-01-06", "09:30"), 90.0, 90.0, 90.0, 90.0)]


def test_minute_bars_of_an_unread_session_do_not_leak_into_the_next():
    """Ticks are folded into minute bars only when ``intraday`` is read: a session nobody read
    leaves nothing behind when the next one opens."""
    st = state()
    st.apply([tick("X", "2026-01-05", "09:30", 100.0)])
    st.apply([tick("X", "2026-01-05", "15:59", 101.0)])
    st.apply([tick("X", "2026-01-06", "09:30", 90.0)])
    st.apply([tick("X", "2026-01-06", "09:30", 91.0, seconds=30)])
    assert list(st.symbols["X"].intraday) == [MinuteBar(ny("2026-01-06", "09:30"), 90.0, 91.0, 90.0, 91.0)]


def test_minute_bars_are_bounded():
    st = state()
    base = ny("2025-11-02", "00:00")  # the 25-hour day: 1,500 minutes in one session
    for minute in range(1500):
        st.apply([Tick("X", base + minute * 60, 100.0 + minute % 7)])
    s = st.symbols["X"]
    assert s.session == date(2025, 11, 2)
    assert len(s.intraday) == MINUTE_BARS_KEPT
    assert s.intraday[0].start == base + (1500 - MINUTE_BARS_KEPT) * 60
    assert s.intraday[-1].start == base + 1499 * 60


# --------------------------------------------------------------------------------------------
# Commit paths


def test_first_tick_of_a_later_session_commits_with_the_session_close_time():
    st = state()
    committed = []
    st.bar_listeners.append(lambda symbol, bar: committed.append((symbol, bar)))
    st.apply([tick("X", "2026-01-02", "09:30", 10.0, 7)])
    st.apply([tick("X", "2026-01-02", "16:00", 11.0, 10)])
    assert committed == []
    st.apply([tick("X", "2026-01-05", "09:30", 12.0)])  # Monday after a weekend
    assert committed == [("X", DailyBar(date(2026, 1, 2), 10.0, 11.0, 10.0, 11.0, 10.0))]
    assert committed[0][1].close_time == ny("2026-01-02", "16:00")
    s = st.symbols["X"]
    assert s.prev_close == 11.0
    assert s.change == pytest.approx(1.0)
    assert s.change_pct == pytest.approx(100 / 11)


def test_finish_commits_every_forming_bar():
    st = state("X", "Y")
    st.apply([tick("X", "2026-01-02", "09:30", 10.0), tick("Y", "2026-01-02", "09:30", 20.0)])
    st.finish()
    assert [b.close for b in st.symbols["X"].daily] == [10.0]
    assert [b.close for b in st.symbols["Y"].daily] == [20.0]
    assert st.symbols["X"].session is None
    assert st.finish() == []  # nothing left to commit


def test_commit_due_waits_for_the_early_close_of_2025_12_24():
    st = state()
    st.apply([tick("X", "2025-12-24", "09:30", 10.0)])
    st.apply([tick("X", "2025-12-24", "12:59", 10.5)])
    st.commit_due(ny("2025-12-24", "13:01", 59.9))  # two minutes' grace for the closing print
    assert not st.symbols["X"].daily
    st.apply([tick("X", "2025-12-24", "13:00", 10.5, seconds=4)])  # the closing print, late
    st.commit_due(ny("2025-12-24", "13:02"))
    (bar,) = st.symbols["X"].daily
    assert bar.close_time == ny("2025-12-24", "13:00")
    assert bar.close == 10.5
    assert st.symbols["X"].session is None


def test_commit_due_on_a_regular_day_waits_for_16_00():
    st = state()
    st.apply([tick("X", "2026-01-05", "15:59", 10.0)])
    st.commit_due(ny("2026-01-05", "16:01", 59))
    assert not st.symbols["X"].daily
    st.commit_due(ny("2026-01-05", "16:02", 1))
    assert st.symbols["X"].daily[-1].close_time == ny("2026-01-05", "16:00")


def test_late_prints_of_a_committed_session_are_ignored_and_counted():
    st = state()
    st.apply([tick("X", "2026-01-05", "15:59", 10.0)])
    st.commit_due(ny("2026-01-05", "16:02", 5))
    # After the commit, and more than 30 minutes after the close (earlier prints revise the
    # close: tests/test_session.py).
    st.apply([tick("X", "2026-01-05", "16:31", 10.3, seconds=7)])
    s = st.symbols["X"]
    assert s.late_ticks == 1
    assert s.daily[-1].close == 10.0 and s.last == 10.0
    st.apply([tick("X", "2026-01-06", "09:30", 11.0)])
    st.apply([tick("X", "2026-01-05", "12:00", 9.0)])  # an older session while the next forms
    assert s.late_ticks == 2
    assert s.session == date(2026, 1, 6) and s.day_low == 11.0


def test_bar_volume_is_none_when_no_tick_had_one():
    st = state()
    st.apply([tick("X", "2026-01-05", "09:30", 10.0)])
    st.finish()
    assert st.symbols["X"].daily[0].volume is None
    assert math.isnan(st.symbols["X"].prev_close)


def test_minute_bars_fold_the_same_when_read_often_or_once():
    """Minute bars are folded from the session's ticks on read or every PENDING_KEPT ticks:
    the result must not depend on when that happens."""
    base = ny("2026-01-05", "04:00")
    prices = [100.0 + ((i * 37) % 23) / 10 for i in range(PENDING_KEPT + 1000)]
    once, often = state(), state()
    for i, price in enumerate(prices):
        tk = Tick("X", base + i * 7.0, price)  # ~8.6 ticks a minute, minutes split unevenly
        once.apply([tk])
        often.apply([tk])
        if i % 101 == 0:
            assert len(often.symbols["X"].intraday) >= 1
    expected: dict[float, list[float]] = {}
    for i, price in enumerate(prices):
        t = base + i * 7.0
        expected.setdefault(t - t % 60, []).append(price)
    want = [MinuteBar(start, p[0], max(p), min(p), p[-1]) for start, p in sorted(expected.items())][-MINUTE_BARS_KEPT:]
    assert list(once.symbols["X"].intraday) == want
    assert list(often.symbols["X"].intraday) == want


def test_close_and_base_follows_the_kept_daily_bars_and_a_revised_close():
    """``close_and_base`` (read at every commit of the relative-strength lead) answers what the
    daily ring holds: past the kept bars, across its bulk writes, and after the official close
    revised a committed bar."""
    from monitor.bars import DAILY_BARS_KEPT

    st = state()
    s = st.symbols["X"]
    first = date(2020, 1, 1).toordinal()
    sessions = DAILY_BARS_KEPT + 300
    for i in range(sessions):
        st.apply([tick("X", date.fromordinal(first + i).isoformat(), "15:00", 100.0 + i)])
    st.commit_due(ny(date.fromordinal(first + sessions - 1).isoformat(), "16:05"))
    closes, days = s.daily.column("close").tolist(), s.daily.column("day").tolist()
    assert len(closes) == DAILY_BARS_KEPT
    for back in (0, 1, 7, DAILY_BARS_KEPT - 1):
        day = date.fromordinal(int(days[-1 - back]))
        for n in (1, 21, DAILY_BARS_KEPT - 1 - back, DAILY_BARS_KEPT - back):
            i = len(closes) - 1 - back
            now, base = s.close_and_base(day, n)
            if i >= n:
                assert (now, base) == (closes[i], closes[i - n]), (back, n)
            else:  # no base kept
                assert math.isnan(base), (back, n)
    gone = date.fromordinal(int(days[0]) - 1)  # no longer kept
    assert all(math.isnan(x) for x in s.close_and_base(gone, 1))
    last = date.fromordinal(first + sessions - 1)
    st.apply([tick("X", last.isoformat(), "16:10", 50.0)])  # the official close, after the commit
    assert s.daily[-1].close == 50.0
    assert s.close_and_base(last, 1) == (50.0, closes[-2])
    st.apply([tick("X", (last + timedelta(days=1)).isoformat(), "10:00", 60.0)])  # forming: its last price
    assert s.close_and_base(last + timedelta(days=1), 1) == (60.0, 50.0)


def test_daily_holds_the_newest_committed_bars_whenever_it_is_read():
    """Committed bars reach the daily ring only when ``daily`` is read; until then the newest
    ``DAILY_BARS_KEPT`` of them are held (older ones would be overwritten in the ring anyway).
    Read often, rarely, right after the held bars were trimmed, through a revised close, or never
    for thousands of bars, ``daily`` is the newest ``DAILY_BARS_KEPT`` bars, and what is held
    unwritten stays bounded."""
    from collections import deque

    from monitor.bars import CLOSES_SLACK, DAILY_BARS_KEPT, SessionBars

    bars = SessionBars("X")
    want: deque[DailyBar] = deque(maxlen=DAILY_BARS_KEPT)
    first = date(1990, 1, 1).toordinal()
    trim = DAILY_BARS_KEPT + CLOSES_SLACK  # the side lists (and the held bars) are trimmed at this length
    reads = {0, 1, 2, trim - 1}  # bar indexes after which ``daily`` is read (then none for 1,792 bars)
    revised = {trim - 1 + 7 * CLOSES_SLACK, trim + 9 * CLOSES_SLACK + 3}  # right after a trim, and between
    sessions = 3 * trim + 7
    for i in range(sessions):
        price = 100.0 + (i * 37) % 101
        bars.open_session(date.fromordinal(first + i), 0.0, 1.0, 0.0, price, float(i) if i % 3 else None)
        bars.revise(0.5, price + 1.5, None)
        bars.revise(0.6, price - 0.5, float(i + 1) if i % 3 else None)
        want.append(bars.commit())
        if i in revised:
            bar = bars.revise_close(0.9, price + 3.0)
            assert bar == DailyBar(date.fromordinal(first + i), price, price + 3.0, price - 0.5, price + 3.0, float(i + 1) if i % 3 else None)
            want[-1] = bar
        if i in reads or i in revised:
            assert list(bars.daily) == list(want), i
        assert len(bars._pending_daily) <= trim  # memory stays bounded
    assert list(bars.daily) == list(want)
    assert bars.daily.column("close").tolist() == [bar.close for bar in want]
    assert bars.daily.column("day").tolist() == [bar.day.toordinal() for bar in want]


def test_extreme_origin_of_nan_is_not_kept():
    """NaN equals nothing: no bar set it, even one whose high is that very NaN object (which
    ``list.index`` would match by identity)."""
    from monitor.bars import NAN, SessionBars

    bars = SessionBars("X")
    bars.open_session(date(2026, 1, 5), 0.0, 1.0, 0.0, NAN, None)
    bars.commit()
    assert bars.extreme_origin(5, NAN, True) == (5, None)
    assert bars.extreme_origin(5, NAN, False) == (5, None)


# --------------------------------------------------------------------------------------------
# FirstIndex: list.index from a dict of first positions (extreme_origin)

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as hst  # noqa: E402

_first_index_ops = hst.lists(
    hst.one_of(
        hst.tuples(hst.just("append"), hst.integers(0, 7).map(float)),
        hst.tuples(hst.just("trim"), hst.integers(1, 4)),
        hst.tuples(hst.just("replace"), hst.integers(0, 8).map(float)),
        hst.tuples(hst.just("index"), hst.tuples(hst.integers(0, 8).map(float), hst.integers(0, 12))),
    ),
    max_size=80,
)


@settings(max_examples=300)
@given(_first_index_ops, hst.integers(1, 6))
def test_first_index_is_list_index_whatever_was_appended_trimmed_or_replaced(ops, kept):
    """Few distinct values, so ties, values first seen before the asked start, starts before
    the mapped range (after the map started over), trims of values never mapped and replaced
    last values all occur."""
    from monitor.bars import FirstIndex

    index = FirstIndex(kept)
    want: list[float] = []
    for op, arg in ops:
        if op == "append":
            index.values.append(arg)
            want.append(arg)
        elif op == "trim" and len(want) >= arg:
            index.trim(arg)
            del want[:arg]
        elif op == "replace" and want:
            index.replace_last(arg)
            want[-1] = arg
        elif op == "index":
            value, start = arg
            start = min(start, len(want))
            expected = want.index(value, start) if value in want[start:] else -1
            assert index.index(value, start) == expected, (value, start)
        assert index.values == want


def test_first_index_forgets_a_replaced_value_and_maps_its_replacement():
    from monitor.bars import FirstIndex

    index = FirstIndex()
    index.values.extend([1.0, 2.0])
    assert index.index(2.0, 0) == 1  # mapped
    index.replace_last(3.0)
    assert index.index(2.0, 0) == -1 and index.index(3.0, 0) == 1
    index.replace_last(1.0)  # a value also seen before: its first position stays
    assert index.index(1.0, 0) == 0 and index.index(1.0, 1) == 1 and index.index(3.0, 0) == -1


def test_first_index_counts_positions_across_trims_of_unmapped_values():
    from monitor.bars import FirstIndex

    index = FirstIndex()
    index.values.extend([5.0, 6.0])
    assert index.index(6.0, 0) == 1
    index.values.extend([7.0, 8.0, 9.0, 6.0])
    index.trim(3)  # 5, 6 (mapped) and 7 (not yet)
    assert index.values == [8.0, 9.0, 6.0]
    assert index.index(8.0, 0) == 0 and index.index(6.0, 0) == 2 and index.index(6.0, 1) == 2


def test_first_index_starts_over_for_a_start_before_what_it_maps():
    from monitor.bars import FirstIndex

    index = FirstIndex(kept=2)
    index.values.extend([1.0, 2.0, 3.0, 4.0, 5.0])
    assert index.index(5.0, 0) == 4  # maps all five: more than kept
    assert index.index(5.0, 3) == 4  # starts over from position 3
    assert index.index(2.0, 1) == 1  # before position 3: starts over again


def test_first_index_stays_bounded():
    """Thousands of distinct values asked about over a sliding window: the map starts over
    rather than growing with the history."""
    from monitor.bars import CLOSES_SLACK, DAILY_BARS_KEPT, FIRST_INDEX_KEPT, FirstIndex

    index = FirstIndex()
    for i in range(5 * DAILY_BARS_KEPT):
        index.values.append(float(i))
        if len(index.values) >= DAILY_BARS_KEPT + CLOSES_SLACK:
            index.trim(CLOSES_SLACK)
        start = max(0, len(index.values) - 252)
        assert index.index(float(i - 3), start) == (len(index.values) - 4 if i >= 3 else -1)
        assert len(index._first) <= FIRST_INDEX_KEPT + 1


def test_extreme_origin_is_the_earliest_bar_of_the_window_at_every_commit():
    """Asked at every commit over thousands of bars (highs and lows on a coarse grid, so equal
    extremes recur), across the trims of the kept bars and after revised closes that moved a
    bar's high or low beyond the window's: the earliest bar of the window with its extreme."""
    from monitor.bars import SessionBars

    bars = SessionBars("X")
    highs: list[float] = []
    lows: list[float] = []
    days: list[date] = []
    first = date(1990, 1, 1).toordinal()
    window = 252

    def check(i: int) -> None:
        for values, high in ((highs, True), (lows, False)):
            kept = values[-window:]
            extreme = max(kept) if high else min(kept)
            at = len(values) - len(kept) + kept.index(extreme)
            assert bars.extreme_origin(window, extreme, high) == (len(values) - at, days[at]), (i, high)

    for i in range(4000):
        day = date.fromordinal(first + i)
        mid = 100.0 + i // 10 + (i * 7919) % 23  # a slow drift: extremes recur, then are left behind
        bars.open_session(day, 0.0, 1.0, 0.0, mid, None)
        bars.revise(0.5, mid + (i * 31) % 5, None)
        bars.revise(0.6, mid - (i * 17) % 4, None)
        bar = bars.commit()
        highs.append(bar.high)
        lows.append(bar.low)
        days.append(day)
        check(i)
        if i % 97 == 0:  # the official close, beyond the window's high or low
            bar = bars.revise_close(0.9, max(highs[-window:]) + 1.0 if i % 2 else min(lows[-window:]) - 1.0)
            highs[-1], lows[-1] = bar.high, bar.low
            check(i)


def test_close_and_base_before_any_bar_is_not_held():
    from monitor.bars import SessionBars

    bars = SessionBars("X")
    assert all(math.isnan(x) for x in bars.close_and_base(date(2026, 1, 5), 1))
    assert all(math.isnan(x) for x in bars.close_and_base(None, 1))
