"""Live headless run: ``market-monitor --headless [--source yahoo-stream|yahoo-poll]``.

The live loop is ``monitor.session.LiveSession`` (the app runs the same one): feed -> history
first -> the door -> ``MarketState`` -> ``delivery.Delivery``. This module is its headless
front-end: one JSON line per delivered alert on stdout; status lines (connection, market,
backfill, rejected input) on stderr. Runs until SIGINT, SIGTERM or SIGHUP (the terminal or SSH
session went away), then prints its ``stopped:`` line and exits 0. A closed stdout is refused
at start (exit 2).

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

from monitor.config import Config, load_effective_config
from monitor.feeds.base import Feed
from monitor.model import Alert, FeedStatus, SymbolInfo, iso_time
from monitor.session import BACKFILL_TIMEOUT, COMMIT_EVERY, Frontend, LiveSession


def run_headless(args) -> int:
    from monitor.feeds import build_live_feed
    from monitor.feeds.backfill import backfill_from_env
    from monitor.history import AlertHistory
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
    """The headless front-end of a ``LiveSession``: alert JSON lines out, status lines to stderr.
    Everything is injectable."""

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
        commit_every: float = COMMIT_EVERY,
        backfill_timeout: float = BACKFILL_TIMEOUT,
    ) -> None:
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.clock = clock
        self.session = LiveSession(
            config,
            feed,
            delivery,
            frontend=_Printer(self),
            backfill=backfill,
            clock=clock,
            market=market,
            commit_every=commit_every,
            backfill_timeout=backfill_timeout,
        )
        self.state = self.session.state
        self.stop = self.session.stop

    @property
    def alerts_out(self) -> int:
        return self.session.delivered

    async def run(self, install_signals: bool = False) -> int:
        session = self.session
        if install_signals:
            loop = asyncio.get_running_loop()
            for sig in STOP_SIGNALS:
                loop.add_signal_handler(sig, self.stop.set)
        self.status_line(f"market: {_describe_market(session.market, self.clock())}")
        try:
            await session.run()
        finally:
            await session.aclose()
            self.status_line(f"stopped: {self.alerts_out} alert(s) delivered")
        return 0

    def status_line(self, text: str) -> None:
        """One timestamped line on stderr; dropped when stderr is gone (a terminal that hung up
        answers EIO), which must not end the run or turn its stop into a failure."""
        try:
            self.err.write(f"{iso_time(self.clock())} {text}\n")
            self.err.flush()
        except (OSError, ValueError):
            pass


class _Printer(Frontend):
    """Delivered alerts as JSON lines on ``out``; statuses and messages as status lines."""

    def __init__(self, runner: LiveRunner) -> None:
        self.runner = runner

    def show_alerts(self, alerts: list[Alert]) -> None:
        out = self.runner.out
        for alert in alerts:
            out.write(alert.to_json() + "\n")
        out.flush()

    def show_status(self, status: FeedStatus) -> None:
        self.runner.status_line(status.describe())

    def show_info(self, info: SymbolInfo) -> None:
        if info.delay_minutes:
            self.runner.status_line(f"{info.symbol}: quotes delayed {info.delay_minutes} min")

    def say(self, text: str, warning: bool = False) -> None:
        self.runner.status_line(text)


def _describe_market(market, now: float) -> str:
    status = getattr(market, "status", None)
    return status(now).describe() if status is not None else ("open" if market.is_open(now) else "closed")
