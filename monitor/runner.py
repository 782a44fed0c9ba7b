"""Live headless run: ``market-monitor --headless [--source yahoo-stream|yahoo-poll]``.

Feed -> ``MarketState`` -> ``delivery.Delivery`` (policy gate, alert history, ``[notify]`` sinks) ->
one JSON line per delivered alert on stdout. Status lines (connection, market, backfill) go to
stderr. Runs until SIGINT, SIGTERM or SIGHUP (the terminal or SSH session went away), then
prints its ``stopped:`` line and exits 0. A closed stdout is refused at start (exit 2).

The backfill (history from the cache, topped up from Yahoo) runs in a worker thread while the
feed already streams: live ticks are held until the history is in (at most
``backfill_timeout`` seconds), so history goes first and never overwrites live prices; a slow or
failed backfill never holds live alerts back for longer than that.

``MARKET_MONITOR_BACKFILL=off`` skips the backfill, ``=cache`` uses the cache without asking
Yahoo (tests and offline runs).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import time
from collections.abc import Callable
from typing import TextIO

from monitor.config import Config
from monitor.feeds.backfill import HistoryFirst
from monitor.feeds.base import Feed
from monitor.feeds.live import in_daemon_thread, is_stale
from monitor.model import Alert, FeedStatus, SymbolInfo, Tick, iso_time

MAX_HELD_BATCHES = 100_000  # live batches held while the backfill runs (~hours of ticks)


def run_headless(args) -> int:
    from monitor.feeds import build_live_feed
    from monitor.feeds.backfill import backfill_from_env
    from monitor.history import AlertHistory
    from monitor.paths import load_effective_config
    from monitor.delivery import Delivery, terminal_writer

    require_stdout()
    config = load_effective_config(getattr(args, "config", None))
    feed = build_live_feed(config, args)
    backfill = backfill_from_env(config.symbols)

    def on_error(name: str, message: str) -> None:
        print(f"notify: {name}: {message}", file=sys.stderr, flush=True)

    delivery = Delivery(config, terminal_write=terminal_writer(), history=AlertHistory(), on_error=on_error)
    runner = LiveRunner(config, feed, delivery, backfill=backfill)
    logger = logging.getLogger("monitor")
    logger.addHandler(_StatusLog(runner))  # warnings as timestamped status lines on stderr
    logger.propagate = False
    return asyncio.run(runner.run(install_signals=True))


def require_stdout() -> None:
    """Alerts are written to stdout: refuse to start without one (``--headless >&-``) rather
    than fail at the first alert."""
    import os

    from monitor.errors import UserError

    try:
        os.fstat(sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):  # None, closed fd, closed or fake file
        raise UserError("--headless writes alerts to stdout, which is closed (redirect it to a file or /dev/null)") from None


STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class _StatusLog(logging.Handler):
    def __init__(self, runner: "LiveRunner") -> None:
        super().__init__(logging.WARNING)
        self.runner = runner

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.runner.status_line(f"{record.levelname.lower()}: {record.getMessage()}")
        except Exception:  # pragma: no cover - stderr gone
            pass


class LiveRunner:
    """One live session: feed events in, alert JSON lines out. Everything is injectable."""

    def __init__(
        self,
        config: Config,
        feed: Feed,
        delivery,
        *,
        backfill=None,
        out: TextIO | None = None,
        err: TextIO | None = None,
        clock: Callable[[], float] = time.time,
        market=None,
        commit_every: float = 5.0,
        backfill_timeout: float = 30.0,
    ) -> None:
        from monitor.state import MarketState

        if market is None:
            from monitor.market_hours import MarketClock

            market = MarketClock(clock)
        self.config = config
        self.feed = feed
        self.delivery = delivery
        self.backfill = backfill
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.clock = clock
        self.market = market
        self.commit_every = commit_every
        self.backfill_timeout = backfill_timeout
        self.state = MarketState(config, feed.source)
        self.stop = asyncio.Event()
        self.alerts_out = 0
        self._history = HistoryFirst(MAX_HELD_BATCHES)
        self._history.done = backfill is None

    # ------------------------------------------------------------------ lifecycle

    async def run(self, install_signals: bool = False) -> int:
        loop = asyncio.get_running_loop()
        if install_signals:
            for sig in STOP_SIGNALS:
                loop.add_signal_handler(sig, self.stop.set)
        self.status_line(f"market: {_describe_market(self.market, self.clock())}")
        consumer = asyncio.create_task(self._consume(), name="feed")
        history = asyncio.create_task(self._backfill(), name="backfill") if self.backfill is not None else None
        try:
            while not self.stop.is_set() and not consumer.done():
                try:
                    await asyncio.wait_for(self.stop.wait(), self.commit_every)
                except asyncio.TimeoutError:
                    pass
                self.deliver(self.state.commit_due(self.clock()))
        finally:
            for task in (consumer, history):
                if task is not None:
                    task.cancel()
            await self.feed.aclose()
            for task in (consumer, history):
                if task is not None:
                    try:
                        await task
                    except (asyncio.CancelledError, Exception):
                        pass
            self.delivery.close(timeout=2.0)
            self.status_line(f"stopped: {self.alerts_out} alert(s) delivered")
        if consumer.done() and not consumer.cancelled() and consumer.exception() is not None:
            raise consumer.exception()
        return 0

    async def _consume(self) -> None:
        async for event in self.feed.events():
            if isinstance(event, list):
                self.on_ticks(event)
            elif isinstance(event, FeedStatus):
                self.status_line(event.describe())
            elif isinstance(event, SymbolInfo):
                self.on_info(event)

    # ------------------------------------------------------------------ events

    def on_ticks(self, batch: list[Tick]) -> None:
        if not self._history.hold(batch):
            self.apply(batch)

    def apply(self, batch: list[Tick]) -> None:
        now = self.clock()
        market_open = self.market.is_open(now)
        stale_after = self.config.feed.stale_after
        stale = any(is_stale(tick, stale_after, market_open) for tick in batch)
        self.state.source = self.feed.source  # stream or poll: whichever delivered this batch
        self.deliver(self.state.apply(batch, stale))

    def on_info(self, info: SymbolInfo) -> None:
        if info.delay_minutes:
            self.status_line(f"{info.symbol}: quotes delayed {info.delay_minutes} min")

    def deliver(self, alerts: list[Alert]) -> None:
        if not alerts:
            return
        for alert in self.delivery.handle(alerts):
            self.out.write(alert.to_json() + "\n")
            self.alerts_out += 1
        self.out.flush()

    def status_line(self, text: str) -> None:
        self.err.write(f"{iso_time(self.clock())} {text}\n")
        self.err.flush()

    # ------------------------------------------------------------------ history

    async def _backfill(self) -> None:
        """History first, then the live ticks held meanwhile; on timeout or failure, live goes on."""
        self.status_line("backfill: loading history")
        try:
            result = await asyncio.wait_for(in_daemon_thread(self.backfill.load), self.backfill_timeout)
        except asyncio.TimeoutError:
            self.status_line(f"backfill: no history after {self.backfill_timeout:g} s; going on without it")
            result = None
        except Exception as exc:  # a bug in the backfill must not stop live data
            self.status_line(f"backfill: failed ({type(exc).__name__}: {exc})")
            result = None
        if result is not None:
            for problem in result.problems:
                self.status_line(f"backfill: {problem}")
            learn = getattr(self.feed, "learn", None)
            for info in result.infos:
                if learn is not None:
                    learn(info)
                self.on_info(info)
        for batch in self._history.finish(self.state, result, self.clock()):
            self.apply(batch)
        if result is not None:
            self.status_line(f"backfill: {self._history.applied:,} history ticks of {len(result.series)} series applied")


def _describe_market(market, now: float) -> str:
    status = getattr(market, "status", None)
    return status(now).describe() if status is not None else ("open" if market.is_open(now) else "closed")
