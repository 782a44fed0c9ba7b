"""A headless replay run and its outputs: alerts as JSON lines in time order
(``TimeOrderedOutput``), ``--indicators-csv`` (``IndicatorsCsv``) and ``--notify``.
``run_headless_replay`` serves ``market-monitor replay --headless`` and ``monitor.study``."""

from __future__ import annotations

import heapq
import math
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, TextIO

from monitor.bars import DailyBar, SessionDays
from monitor.config import Config
from monitor.errors import UserError
from monitor.feeds.replay import ReplayFeed
from monitor.model import Alert, tick_time
from monitor.series import Series, gc_paused, replay_batches
from monitor.rotation import MONTH, WEEK, change_pct, spread_bp, ytd_pct
from monitor.state import MarketState

NAN = float("nan")
INDICATOR_COLUMNS = (
    "date", "symbol", "open", "high", "low", "close", "sma_fast", "sma_slow", "ema_fast", "ema_slow",
    "macd", "macd_signal", "macd_hist", "rsi", "high_n", "low_n", "chg_1w", "chg_1m", "chg_ytd",
)


def indicator_columns(config: Config) -> tuple[str, ...]:
    """The ``--indicators-csv`` header: ``INDICATOR_COLUMNS`` then ``rs_<peer>`` per peer."""
    return INDICATOR_COLUMNS + tuple(f"rs_{peer}" for peer in config.divergence.peers)



class IndicatorsCsv:
    """``--indicators-csv``: one row per committed daily bar per symbol (a bar listener).

    It refuses to overwrite one of the replayed ``inputs``; a write error (disk full) is a
    one-line ``UserError`` naming the file."""

    def __init__(self, path: str | Path, state: MarketState, inputs: Iterable[Path] = ()) -> None:
        self.path = Path(path)
        self.state = state
        if any(_same_file(self.path, source) for source in inputs):
            raise UserError(f"{self.path}: is one of the replayed files; write the indicators CSV elsewhere")
        try:
            self.file: IO[str] = open(self.path, "w", encoding="utf-8", newline="")
            self.file.write(",".join(indicator_columns(state.config)) + "\n")
        except OSError as exc:
            raise self._error(exc) from None
        self.rows = 0
        state.bar_listeners.append(self.on_bar)

    def _error(self, exc: OSError) -> UserError:
        return UserError(f"{self.path}: cannot write the indicators CSV: {exc.strerror or exc}", exit_code=1)

    def on_bar(self, symbol: str, bar: DailyBar) -> None:
        s = self.state.symbols[symbol]
        ind = s.ind
        values = (
            bar.open, bar.high, bar.low, bar.close, ind.sma_fast, ind.sma_slow, ind.ema_fast, ind.ema_slow,
            ind.macd, ind.macd_signal, ind.macd_hist, ind.rsi, ind.high_n, ind.low_n,
            change_pct(s, WEEK), change_pct(s, MONTH), ytd_pct(s),
        ) + self._spreads(symbol, bar)
        cells = ",".join("" if v != v else repr(v) for v in values)
        try:
            self.file.write(f"{bar.day.isoformat()},{symbol},{cells}\n")
        except OSError as exc:
            raise self._error(exc) from None
        self.rows += 1

    def _spreads(self, symbol: str, bar: DailyBar) -> tuple[float, ...]:
        """``rs_<peer>`` in basis points on the lead's rows (NaN elsewhere or where unknown)."""
        config = self.state.config
        peers = config.divergence.peers
        if symbol != config.divergence.lead:
            return (NAN,) * len(peers)
        symbols = self.state.symbols
        n = config.relative_strength.sessions
        return tuple(spread_bp(symbols[symbol], symbols[p], n, bar.day) if p in symbols else NAN for p in peers)

    def close(self) -> None:
        try:
            self.file.close()
        except OSError as exc:
            raise self._error(exc) from None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # ``a`` does not exist yet
        return False


class TimeOrderedOutput:
    """Holds alerts until no later-applied data can produce an earlier one, then writes them.

    Bar-close alerts are stamped with the session close, which a later batch can report after
    ticks stamped past the close (an early close, a closing print bar). ``release(upto)`` writes
    every held alert at or before ``upto``."""

    def __init__(self, write: Callable[[Alert], None]) -> None:
        self._write = write
        self.heap: list[tuple[float, int, Alert]] = []  # held alerts; empty almost always
        self._seq = 0
        self.count = 0

    def add(self, alerts: Iterable[Alert]) -> None:
        """Hold ``alerts`` until ``release``."""
        for alert in alerts:
            self._seq += 1
            heapq.heappush(self.heap, (alert.time, self._seq, alert))

    def put(self, alerts: list[Alert], upto: float) -> None:
        """``add`` then ``release(upto)``; time-ordered alerts pass straight through when nothing
        is held and none is later than ``upto`` (almost always)."""
        if not self.heap and alerts[-1].time <= upto:
            write = self._write
            for alert in alerts:
                write(alert)
            self.count += len(alerts)
        else:
            self.add(alerts)
            self.release(upto)

    def release(self, upto: float = float("inf")) -> None:
        heap = self.heap
        while heap and heap[0][0] <= upto:
            self._write(heapq.heappop(heap)[2])
            self.count += 1


def _notifier(config: Config, err: TextIO) -> tuple[Callable[[Alert], None], Callable[[], None]]:
    """``--notify``: the policy gate and the ``[notify]`` sinks, as the live runner delivers
    (``delivery.Delivery``, without the alert history). Imported only when asked for. Bell and
    desktop notifications go to the terminal: stdout carries the JSON lines."""
    from monitor.delivery import Delivery, terminal_writer

    def on_error(sink: str, message: str) -> None:
        err.write(f"notify: {sink}: {message}\n")

    delivery = Delivery(config, terminal_write=terminal_writer(), on_error=on_error)

    def deliver(alert: Alert) -> None:
        delivery.handle((alert,))

    return deliver, delivery.close


def run_headless_replay(
    config: Config,
    series: Sequence[Series],
    *,
    speed: float | None = None,
    indicators_csv: str | None = None,
    notify: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
    on_alert: Callable[[Alert], None] | None = None,
    on_bar: Callable[[str, DailyBar], None] | None = None,
) -> int:
    """Replay ``series``: one JSON alert per line on ``out`` in time order, a summary on ``err``.

    ``on_alert`` takes each alert instead of ``out`` (the same alerts in the same order);
    ``on_bar`` is told every committed daily bar (``monitor.study`` reads both).

    When the reader of ``out`` goes away (``| head -1``) the replay stops with ``BrokenPipeError``
    (the CLI exits 0 quietly), except that an indicators CSV is still written to the end."""
    out = out or sys.stdout
    err = err or sys.stderr
    if out is None and on_alert is None:
        raise UserError("stdout is closed: the alerts have nowhere to go (redirect it, e.g. >/dev/null)")
    started = time.perf_counter()
    state = MarketState(config, "replay")
    if on_bar is not None:
        state.bar_listeners.append(on_bar)
    csv_out = IndicatorsCsv(indicators_csv, state, [s.path for s in series]) if indicators_csv else None
    deliver, close_notify = _notifier(config, err) if notify else (None, lambda: None)
    reader_gone = False

    def write(alert: Alert) -> None:
        nonlocal reader_gone
        if not reader_gone:
            try:
                out.write(alert.to_json() + "\n")
            except BrokenPipeError:
                if csv_out is None:
                    raise
                reader_gone = True
            except OSError as exc:
                raise _output_error(exc) from None
        if deliver is not None:
            deliver(alert)

    pending = TimeOrderedOutput(write if on_alert is None else on_alert)
    settle = _settler(state, series, pending)
    try:
        with gc_paused():
            if speed is None:
                apply = state.apply
                for batch in replay_batches(series):
                    alerts = apply(batch)
                    if alerts or pending.heap:
                        settle(alerts, tick_time(batch[0]))
            else:
                import asyncio

                asyncio.run(_paced(state, ReplayFeed(series, speed), pending, settle))
            pending.add(state.finish())
            pending.release()
    finally:
        if csv_out is not None:
            csv_out.close()
        close_notify()
    if not reader_gone and on_alert is None:
        try:
            out.flush()
        except BrokenPipeError:
            reader_gone = True
        except OSError as exc:
            raise _output_error(exc) from None
    elapsed = time.perf_counter() - started
    ticks = sum(s.ticks for s in series)
    err.write(
        f"replay: {ticks:,} ticks of {len({s.symbol for s in series})} symbol(s), "
        f"{pending.count:,} alerts in {elapsed:.2f} s"
        + (f"; indicators written to {csv_out.path} ({csv_out.rows:,} rows)" if csv_out else "")
        + "\n"
    )
    if reader_gone:
        raise BrokenPipeError  # after the summary: the CLI drops stdout so exit cannot fail on it
    return 0


def _output_error(exc: OSError) -> UserError:
    return UserError(f"stdout: cannot write the alerts: {exc.strerror or exc}", exit_code=1)


def _settler(
    state: MarketState, series: Sequence[Series], pending: TimeOrderedOutput
) -> Callable[[list[Alert], float], None]:
    """``settle(alerts, now)`` after a batch at data time ``now`` that fired ``alerts`` or while
    alerts are held: hand them to ``pending`` and write what can no longer be preceded.

    A symbol whose files have ended keeps its last bar forming until ``finish``, and that bar's
    close would hold back every later alert (``MarketState.settled_until``): a paced replay would
    print nothing more until the end. So once the data is past the New York day of a symbol's
    last tick, its bar is committed (the same bar, the same alerts, only written in time)."""
    days = SessionDays()
    last: dict[str, float] = {}
    for s in series:
        if s.rows:
            last[s.symbol] = max(last.get(s.symbol, -math.inf), s.rows[-1][0] + s.offsets[-1])
    ends = sorted((days.lookup(t)[2], symbol) for symbol, t in last.items())  # (end of that day, symbol)

    def settle(alerts: list[Alert], now: float) -> None:
        if ends and ends[0][0] <= now:
            done = [symbol for end, symbol in ends if end <= now]
            del ends[: len(done)]
            pending.add(state.finish(done))
        upto = state.settled_until(now)
        if alerts:
            pending.put(alerts, upto)
        else:
            pending.release(upto)

    return settle


async def _paced(
    state: MarketState, feed: ReplayFeed, pending: TimeOrderedOutput, settle: Callable[[list[Alert], float], None]
) -> None:
    async for event in feed.events():
        if isinstance(event, list):
            alerts = state.apply(event)
            if alerts or pending.heap:
                settle(alerts, tick_time(event[0]))
