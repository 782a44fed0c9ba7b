"""History at start: the whole daily history and the current session's 1-minute bars per symbol.

Bars come from yfinance (``Ticker.history``) and are kept in the cache dir as the same CSV files
``market-monitor replay`` reads, so a restart is instant and works while Yahoo is down. The
first start fetches the daily history in full (period "max"); each later start tops it up: it
re-takes the sessions from a week before the last cached one (Yahoo revises recent closes).
The cache is input like any CSV: a damaged file is reported (file:line), its sound rows before
the bad one are kept and the rest is fetched again; cached sessions ahead of the clock are
ignored; a top-up whose closes disagree with the cache's by more than ``CLASH`` (a split, another
symbol's file) fetches the whole history again; when that fails the cache is served as it was
(the records and indicators from its whole history, not from the week fetched, and never the two
mixed) and the next start asks again. Files are replaced whole (a temporary file
renamed over them), so a crash or a second monitor never leaves a torn one.
Nothing here raises: a failed download leaves whatever the cache had.

The state gets the last ``KEEP_DAILY`` sessions (the chart and indicators run on those) and the
all-time records of the whole history as numbers (``BackfillResult.records``), so its memory
stays bounded however long the history; ``daily_sessions=None`` hands back every session
(``market-monitor study``).

The downloads run in a short-lived child process (``monitor.isolate``): the monitor
itself never loads yfinance and pandas, which would stay resident (about 70 MB) for the whole
live run. A child that gives no answer within ``timeout`` is killed, and the history comes from
the cache alone. With an injected ``session`` or ``fetch`` (tests) the load runs in this process.

The bars become ticks through ``monitor.series`` (the same four ticks per bar as a replay), and
the runner applies them to ``MarketState`` with the alerts discarded.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import os
import re
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from monitor.bars import DAILY_BARS_KEPT, DailyBar
from monitor.errors import UserError
from monitor.feeds.live import network_problem
from monitor.market_hours import REGULAR_OPEN, MarketClock, ny_epoch, session_close
from monitor.model import DEFAULT_DECIMALS, NEW_YORK, SymbolInfo
from monitor.records import Records
from monitor.series import DAILY_OFFSETS, BadRow, Series, load_series, replay_batches

log = logging.getLogger("monitor.feeds.backfill")

DAILY_PERIOD = "max"  # the first start fetches the whole daily history; later ones top it up
KEEP_DAILY = DAILY_BARS_KEPT  # the recent sessions the state gets (what it keeps: the chart's 5Y)
REFETCH_DAYS = 7  # a top-up re-takes this many calendar days
INFO_MAX_AGE = 86400.0
LOAD_TIMEOUT = 25.0  # seconds the yfinance child may take (the session waits 5 s longer)
CLASH = 0.10  # a refetched close this far from the cached one: the cache is not this history

Row = tuple  # (bar time, open, high, low, close, volume or None), as in monitor.series.Series


@dataclass
class BackfillResult:
    """What a backfill produced: replay ``Series`` (daily, then intraday), symbol infos and
    the problems met (one line each, for the status line). ``unreachable`` says why Yahoo
    could not be asked at all (network down), else "". """

    series: list = field(default_factory=list)
    infos: list[SymbolInfo] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    unreachable: str = ""
    records: dict[str, Records] = field(default_factory=dict)  # symbol -> the whole history's

    def batches(self, before: dict[str, float] | None = None):
        """Tick batches in time order (plain tuples, as the replay makes them: see ``Tick``); a
        symbol's ticks at or after ``before[symbol]`` (its first live tick) are left out so
        history never overwrites live prices. A batch keeps its kind (``BarExtremes``)."""
        for batch in replay_batches(self.series):
            if before:
                batch = type(batch)(tick for tick in batch if tick[1] < before.get(tick[0], math.inf))
                if not batch:
                    continue
            yield batch

    def apply_to(self, state, now: float, before: dict[str, float] | None = None, admit=None) -> int:
        """Feed the history to a ``MarketState`` (the live session): the whole history's
        records, then every batch through ``admit`` (the door, when given) and ``apply``, then
        the sessions that closed before ``now`` are committed. History's alerts are old news
        and discarded. Returns the number of ticks applied."""
        state.seed_records(self.records)
        count = 0
        apply = state.apply
        for batch in self.batches(before):
            if admit is not None:
                batch = admit(batch)
            apply(batch)
            count += len(batch)
        state.commit_due(now)
        return count


class HistoryFirst:
    """Live batches that arrive while the backfill runs wait here, so history goes into the
    state first and never overwrites live prices (``monitor.session``)::

        if not history_first.hold(batch): apply(batch)       # for every live batch
        for batch in history_first.finish(state, result, now): apply(batch)   # once

    ``result`` may be None (backfill failed or timed out): the held batches are released."""

    def __init__(self, max_batches: int = 100_000) -> None:
        self.max_batches = max_batches
        self.held: list[list] = []
        self.first_live: dict[str, float] = {}
        self.done = False
        self.applied = 0  # history ticks applied by finish()

    def hold(self, batch: list) -> bool:
        """Keep ``batch`` if the history is not in yet (True), else leave it to the caller."""
        if self.done:
            return False
        for symbol, t, *_ in batch:
            if math.isfinite(t):  # a frame without a time (NaN) says nothing of where live begins
                self.first_live.setdefault(symbol.upper(), t)  # the door's spelling of it
        if len(self.held) < self.max_batches:
            self.held.append(batch)
        return True

    def finish(self, state, result: BackfillResult | None, now: float, admit=None) -> list[list]:
        """Apply the history (if any, through ``admit``: the door) and return the held live
        batches, oldest first."""
        self.done = True
        self.applied = result.apply_to(state, now, self.first_live, admit) if result is not None else 0
        held, self.held = self.held, []
        return held


class Backfill:
    """Loads and tops up the cached history of ``symbols``. ``session`` is yfinance's seam;
    ``fetch`` replaces the download itself: ``fetch(symbol, **history_kwargs) -> DataFrame``.
    ``isolate``: load in a child process (default: unless a seam is injected)."""

    def __init__(
        self,
        symbols: Sequence[str],
        *,
        cache: Path | None = None,
        session=None,
        clock: Callable[[], float] = time.time,
        fetch: Callable[..., object] | None = None,
        fetch_info: Callable[[str], dict] | None = None,
        offline: bool = False,
        isolate: bool | None = None,
        daily_sessions: int | None = KEEP_DAILY,
        timeout: float | None = LOAD_TIMEOUT,
    ) -> None:
        if cache is None:
            from monitor.paths import cache_dir

            cache = cache_dir() / "history"
        self.symbols = list(dict.fromkeys(symbols))
        self.cache = cache
        self.session = session
        self.clock = clock
        self.market = MarketClock(clock)
        self._fetch = fetch or self._yf_history
        self._fetch_info = fetch_info or self._yf_info
        self.offline = offline  # cache only (tests, and a quick restart path)
        self.isolate = (session is None and fetch is None and fetch_info is None) if isolate is None else isolate
        self.daily_sessions = daily_sessions  # the last sessions handed back (None: all)
        self.timeout = timeout  # of the child process (None: wait for it)
        self._unreachable = ""  # set by the first request that fails for want of a network

    def with_symbols(self, symbols: Sequence[str]) -> "Backfill":
        """The same backfill (cache, session, clock) for other symbols: a symbol added in the app."""
        other = copy.copy(self)
        other.symbols = list(dict.fromkeys(symbols))
        return other

    def check(self, symbol: str) -> tuple[BackfillResult, str]:
        """Blocking: load a new symbol's history, which also asks Yahoo whether it knows the
        symbol. Returns the result and why it cannot be watched ("" when bars came, or when
        Yahoo could not be asked: the network is down or the backfill reads the cache only)."""
        result = self.with_symbols([symbol]).load()
        if any(series.symbol == symbol for series in result.series) or result.unreachable or self.offline:
            return result, ""
        mine = " ".join(p for p in result.problems if p.startswith(f"{symbol}:"))
        if "RateLimit" in mine or "Too Many Requests" in mine:
            return result, f"{symbol} not checked: Yahoo is rate-limiting requests, try again in a minute"
        # Yahoo answered but without bars: an empty chart, or an error for the symbol (yfinance
        # words it in many ways: no timezone, possibly delisted, not found).
        return result, f"unknown symbol: Yahoo has no data for {symbol}"

    # ------------------------------------------------------------------ the whole job

    def load(self) -> BackfillResult:
        """Blocking: run it in a worker thread."""
        if self.isolate and not self.offline:  # offline needs no yfinance: no child to start
            from monitor.feeds.live import yfinance_child_setup
            from monitor.isolate import ChildTimeout, run_isolated

            try:
                return run_isolated(_load_here, self, setup=yfinance_child_setup, timeout=self.timeout)
            except ChildTimeout as exc:  # a hung download: what the cache has, said once
                cached = copy.copy(self)
                cached.offline = True
                result = cached.load_here()
                result.unreachable = f"{exc}; history from the cache only"
                result.problems.insert(0, result.unreachable)
                return result
        return self.load_here()

    def load_here(self) -> BackfillResult:
        """``load`` in this process."""
        if not self.offline:
            from monitor.feeds.live import quiet_yfinance

            quiet_yfinance()
        self._unreachable = ""
        result = BackfillResult()
        intraday = []
        for symbol in self.symbols:
            try:
                daily, minutes = self._daily(symbol, result), self._minutes(symbol, result)
            except Exception as exc:  # one symbol's trouble never stops the others
                result.problems.append(f"{symbol}: backfill failed: {exc}")
                continue
            info = self._info(symbol, result)
            if info is not None:
                result.infos.append(info)
            if daily is not None:
                result.records[symbol] = _records(daily.rows, info.price_hint if info else DEFAULT_DECIMALS)
                result.series.append(self._recent(daily))
            if minutes is not None:
                intraday.append(minutes)
        result.series.extend(intraday)
        result.unreachable = self._unreachable
        for problem in result.problems:  # the caller shows them (status line / app)
            log.info("%s", problem)
        return result

    # ------------------------------------------------------------------ daily bars

    def _daily(self, symbol: str, result: BackfillResult):
        """The whole cached daily history, topped up (fetched in full when there is none)."""
        path = self._path(symbol, "1d-max")
        now = self.clock()
        rows = _closed(self._read(path, symbol, result), now, path, result)
        if not self.offline and not self._daily_fresh(rows, now):
            fresh = self._fetch_daily(symbol, result, rows, now)
            clash = _clash(rows, fresh or [])
            if clash:  # said once, with what came of it (the refetch's own failure follows)
                said = len(result.problems)
                result.problems.append(f"{path}: {clash}")
                whole = self._fetch_daily(symbol, result, [], now)
                if whole:  # an answer without a sound row is no history either
                    result.problems[said] += "; the whole history fetched again"
                    rows, fresh = [], whole
                else:  # neither history trusted over the other: the cache stays whole, unmixed
                    result.problems[said] += (
                        f"; the whole history could not be fetched again: the cache served as it was"
                        f" (through {_ny_date(rows[-1][0])}), asked again at the next start"
                    )
                    fresh = None
            if fresh is not None:
                rows = _merge(rows, fresh)
                self._write(path, rows, result, daily=True)
                _forget(self._path(symbol, "1d"))  # the two-year cache of earlier versions
        return self._series(symbol, path, "daily", rows)

    def _fetch_daily(self, symbol: str, result: BackfillResult, rows: list[Row], now: float) -> list[Row] | None:
        """The sessions closed by ``now`` from a week before the last of ``rows`` (all of them
        when there are none), or None. Never a forming bar: that comes from the 1-minute bars."""
        end = (_ny_date(now) + timedelta(days=1)).isoformat()  # the clock's, not yfinance's
        if rows:
            start = _ny_date(rows[-1][0]) - timedelta(days=REFETCH_DAYS)
            fetched = self._download(symbol, result, start=start.isoformat(), end=end, interval="1d")
        else:
            fetched = self._download(symbol, result, period=DAILY_PERIOD, end=end, interval="1d")
        if fetched is None:
            return None
        return [r for r in _daily_rows(fetched) if session_close(_ny_date(r[0])) <= now]

    def _recent(self, daily):
        """``daily`` cut to the last ``daily_sessions`` (what the state gets)."""
        if self.daily_sessions is None or len(daily.rows) <= self.daily_sessions:
            return daily
        return self._series(daily.symbol, daily.path, "daily", daily.rows[-self.daily_sessions:])

    def _daily_fresh(self, rows: list[Row], now: float) -> bool:
        """The cache already holds the last session that has closed."""
        return bool(rows) and _ny_date(rows[-1][0]) >= self.market.last_closed_session(now)

    # ------------------------------------------------------------------ 1-minute bars

    def _minutes(self, symbol: str, result: BackfillResult):
        """The 1-minute bars of the session in progress (None outside one)."""
        now = self.clock()
        day = _ny_date(now)
        opens = ny_epoch(day, REGULAR_OPEN)
        if not (self.market.is_session(day) and opens <= now < session_close(day)):
            return None
        path = self._path(symbol, "1m")
        rows = [r for r in self._read(path, symbol, result) if opens <= r[0] < now]  # none ahead of the clock
        if not self.offline:
            fetched = self._download(symbol, result, period="1d", interval="1m")
            if fetched is not None:
                rows = _merge(rows, [r for r in _minute_rows(fetched) if opens <= r[0] < now])
                self._write(path, rows, result, daily=False)
        return self._series(symbol, path, "intraday", rows)

    # ------------------------------------------------------------------ symbol info

    def _info(self, symbol: str, result: BackfillResult) -> SymbolInfo | None:
        """Name and exchange delay, from Ticker.info once a day (cached)."""
        path = self._path(symbol, "info").with_suffix(".json")
        cached = None
        try:
            cached = json.loads(path.read_text(encoding="utf-8"))
            fresh = self.clock() - float(cached["fetched"]) < INFO_MAX_AGE
        except (OSError, ValueError, KeyError, TypeError):
            cached, fresh = None, False
        if not fresh and not self.offline and not self._unreachable:
            try:
                info = self._fetch_info(symbol) or {}
                delay = info.get("exchangeDataDelayedBy")
                cached = {
                    "fetched": self.clock(),
                    "name": str(info.get("shortName") or info.get("longName") or ""),
                    "delay": int(delay) if isinstance(delay, (int, float)) else None,
                    "price_hint": int(info.get("priceHint") or 2),
                }
                _atomic_write(path, json.dumps(cached))
            except Exception as exc:
                if not self._network_down(exc, result):
                    result.problems.append(f"{symbol}: no symbol info ({type(exc).__name__})")
        if not cached:
            return None
        return SymbolInfo(symbol, cached.get("name", ""), cached.get("delay"), cached.get("price_hint", 2))

    # ------------------------------------------------------------------ yfinance and files

    def _download(self, symbol: str, result: BackfillResult, **kwargs):
        """Rows-ready DataFrame or None (reason noted)."""
        if self._unreachable:
            return None
        try:
            frame = self._fetch(symbol, **kwargs)
        except Exception as exc:  # YFRateLimitError, network, parse errors
            if self._network_down(exc, result):
                return None
            result.problems.append(f"{symbol}: {kwargs.get('interval')} download failed: {type(exc).__name__}: {exc}"[:200])
            return None
        if frame is None or getattr(frame, "empty", True):
            result.problems.append(f"{symbol}: no {kwargs.get('interval')} data from Yahoo")
            return None
        return frame

    def _network_down(self, exc: Exception, result: BackfillResult) -> bool:
        """Note a failure for want of a network once, and make no more requests in this load:
        each would fail the same way, some only after a timeout, and the cache must reach the
        runner within its backfill timeout."""
        problem = network_problem(f"{type(exc).__name__}: {exc}")
        if problem:
            self._unreachable = problem
            result.problems.append(f"{problem}; history from the cache only")
        return bool(problem)

    def _yf_history(self, symbol: str, **kwargs):
        import yfinance as yf

        return yf.Ticker(symbol, session=self.session).history(auto_adjust=False, actions=False, **kwargs)

    def _yf_info(self, symbol: str) -> dict:
        import yfinance as yf

        return yf.Ticker(symbol, session=self.session).info

    def _path(self, symbol: str, kind: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9._=-]", "_", symbol)
        return self.cache / f"{safe}-{kind}.csv"

    def _read(self, path: Path, symbol: str, result: BackfillResult) -> list[Row]:
        """The cached rows; of a damaged file the sound rows before the bad one. The file stays
        until a download replaces it: offline, or with Yahoo down, it is all there is."""
        if not path.exists():
            return []
        try:
            return list(load_series(path, symbol).rows)
        except UserError as exc:  # names the file and line
            rows = exc.rows if isinstance(exc, BadRow) else []
            kept = f"the {len(rows):,} rows before it kept" if rows else ""
            fetched = "" if self.offline else "the rest fetched again" if rows else "fetched again"
            result.problems.append("; ".join(filter(None, [f"corrupt cache file ({exc})", kept, fetched])))
            return rows

    def _write(self, path: Path, rows: list[Row], result: BackfillResult, *, daily: bool) -> None:
        lines = ["date,open,high,low,close,volume" if daily else "timestamp,open,high,low,close,volume"]
        for t, o, h, l, c, v in rows:
            stamp = _ny_date(t).isoformat() if daily else datetime.fromtimestamp(t, NEW_YORK).isoformat()
            lines.append(f"{stamp},{o!r},{h!r},{l!r},{c!r},{'' if v is None else repr(v)}")
        try:
            _atomic_write(path, "\n".join(lines) + "\n")
        except OSError as exc:
            result.problems.append(f"{path}: cache not written: {exc.strerror or exc}")

    def _series(self, symbol: str, path: Path, kind: str, rows: list[Row]):
        if not rows:
            return None
        offsets = DAILY_OFFSETS if kind == "daily" else (0.0, 15.0, 30.0, 45.0)
        return Series(symbol, path, kind, rows, offsets)


def _load_here(backfill: Backfill) -> BackfillResult:
    """The child process's job (a module-level function: it is pickled by name)."""
    return backfill.load_here()


def backfill_from_env(symbols: Sequence[str]) -> Backfill | None:
    """The backfill a live run uses: ``MARKET_MONITOR_BACKFILL=off`` none, ``=cache`` the cache
    without asking Yahoo (tests, offline runs), anything else the full one."""
    import os

    mode = os.environ.get("MARKET_MONITOR_BACKFILL", "on").strip().lower()
    return None if mode == "off" else Backfill(symbols, offline=(mode == "cache"))


# -------------------------------------------------------------------------------------------- helpers


def _ny_date(epoch: float) -> date:
    return datetime.fromtimestamp(epoch, NEW_YORK).date()


def _frame_rows(frame) -> list[tuple]:
    """(Timestamp, open, high, low, close, volume|None) for each complete row of a history frame."""
    rows = []
    volumes = frame["Volume"] if "Volume" in frame else None
    for i, (stamp, o, h, l, c) in enumerate(
        zip(frame.index, frame["Open"], frame["High"], frame["Low"], frame["Close"])
    ):
        o, h, l, c = float(o), float(h), float(l), float(c)
        if not all(math.isfinite(v) and v > 0 for v in (o, h, l, c)):
            continue
        values = (o, max(o, h, l, c), min(o, h, l, c), c)  # Yahoo's extremes can miss the close
        volume = float(volumes.iloc[i]) if volumes is not None else math.nan
        rows.append((stamp, *values, volume if math.isfinite(volume) and volume > 0 else None))
    return rows


def _daily_rows(frame) -> list[Row]:
    return [(ny_epoch(stamp.date(), REGULAR_OPEN), o, h, l, c, v) for stamp, o, h, l, c, v in _frame_rows(frame)]


def _minute_rows(frame) -> list[Row]:
    return [(stamp.timestamp(), o, h, l, c, v) for stamp, o, h, l, c, v in _frame_rows(frame)]


def _merge(old: list[Row], new: list[Row]) -> list[Row]:
    """Old rows overwritten by new ones with the same bar time, in time order."""
    merged = {row[0]: row for row in old}
    merged.update({row[0]: row for row in new})
    return [merged[t] for t in sorted(merged)]


def _records(rows: list[Row], decimals: int) -> Records:
    """The all-time records of daily ``rows`` (closed sessions: ``_closed``), at the prices the
    door lets in (rounded to the symbol's price hint): a live price equal to the record is not
    above it. Only the bars that hold a record (the earliest of equals) are folded into
    ``Records``: a date per row would cost more than the rest."""
    records = Records()
    if not rows:
        return records
    highs, lows, closes = ([round(row[k], decimals) for row in rows] for k in (2, 3, 4))
    holders = {highs.index(max(highs)), lows.index(min(lows)), closes.index(max(closes))}
    for i in sorted(holders):
        t, o, _, _, _, v = rows[i]
        records.update(DailyBar(_ny_date(t), o, highs[i], lows[i], closes[i], v))
    return records


def _closed(rows: list[Row], now: float, path: Path, result: BackfillResult) -> list[Row]:
    """Cached daily ``rows`` without the sessions that had not closed by ``now`` (written under
    a clock that was ahead, or edited): a cache holding them would never be topped up."""
    end = len(rows)
    while end and session_close(_ny_date(rows[end - 1][0])) > now:
        end -= 1
    if end < len(rows):
        ahead = len(rows) - end
        result.problems.append(f"{path}: {ahead} session(s) from {_ny_date(rows[end][0])} on have not closed yet; ignored")
    return rows[:end]


def _clash(cached: list[Row], fetched: list[Row]) -> str:
    """The first session whose fetched close is more than ``CLASH`` away from the cached one,
    in words, or "": Yahoo revises closes by a little, a split or another symbol's file by more."""
    closes = {row[0]: row[4] for row in cached[-(REFETCH_DAYS + 1) :]}  # those a top-up re-takes
    for t, _, _, _, close, _ in fetched:
        old = closes.get(t)
        if old is not None and abs(close - old) > CLASH * old:
            return f"cached close {old:g} on {_ny_date(t)}, Yahoo's {close:g}"
    return ""


def _forget(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass


def _atomic_write(path: Path, text: str) -> None:
    """Replace ``path`` whole: a temporary file of this writer's own (two monitors starting at
    once each write theirs; the last rename wins, neither is torn), on disk before it is renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        _forget(Path(tmp))
        raise
