"""Polling Yahoo through yfinance: the fallback when streaming fails, and a source of its own.

Every ``interval`` seconds (slower while the market is closed) one ``yf.download`` of the last
day's 1-minute bars runs in a worker thread. Yahoo revises recent bars after the fact, so each
poll re-takes the last ``bars`` bars and emits a tick for each bar that is new or whose close
changed since the previous poll; ticks never go back in time. ``yf.download`` swallows rate
limits and returns an empty frame: an empty frame (or a 429 seen in yfinance's log) backs off.

The download runs in a child process (``monitor.isolate``) that hands back plain rows, so
the monitor itself never loads yfinance and pandas (about 70 MB); the child lives while polling
runs. With an injected ``session`` (tests) it runs in this process.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import AsyncIterator, Callable, Sequence

from monitor.feeds.base import Feed, FeedEvent
from monitor.feeds.live import Backoff, StatusBook, in_daemon_thread, network_problem, upper_symbols
from monitor.model import FeedState, SymbolInfo, Tick

log = logging.getLogger("monitor.feeds.poll")

BAR_SECONDS = 60.0


def yf_download(symbols: Sequence[str], session=None):
    """One blocking ``yf.download`` of today's 1-minute bars (columns: Price x Ticker)."""
    import yfinance as yf

    return yf.download(
        list(symbols),
        period="1d",
        interval="1m",
        progress=False,
        threads=False,
        auto_adjust=False,
        session=session,
        timeout=10,
    )


Closes = dict[str, list[tuple[float, float]]]  # symbol -> (bar start epoch, close), oldest first


def download_closes(symbols: Sequence[str], session=None) -> tuple[Closes, list[str]]:
    """One poll's download as plain data: each symbol's 1-minute closes (NaN dropped), and the
    warnings yfinance logged meanwhile (a 429 hides there). An exception carries those warnings
    as ``yf_messages``."""
    from monitor.feeds.live import quiet_yfinance

    yf_log = quiet_yfinance()
    yf_log.take()
    try:
        frame = yf_download(symbols, session)
    except Exception as exc:
        exc.yf_messages = yf_log.take()
        raise
    return frame_closes(frame, symbols), yf_log.take()


def frame_closes(frame, symbols: Sequence[str]) -> Closes:
    try:
        closes = frame["Close"]
    except (KeyError, TypeError):
        return {}
    found: Closes = {}
    for symbol in symbols:
        if symbol in getattr(closes, "columns", ()):
            found[symbol] = [(stamp.timestamp(), float(close)) for stamp, close in closes[symbol].dropna().items()]
    return found


class YahooPollFeed(Feed):
    """Quotes from repeated ``yf.download`` calls. ``session`` is yfinance's seam (tests mount a
    local transport adapter on a ``requests.Session``); ``download`` replaces the call itself:
    ``download(symbols) -> (closes, yfinance warnings)`` like ``download_closes``."""

    source = "poll"

    def __init__(
        self,
        symbols: Sequence[str],
        interval: float = 15.0,
        *,
        session=None,
        clock: Callable[[], float] = time.time,
        market=None,
        closed_interval: float = 300.0,
        backoff: Backoff | None = None,
        bars: int = 3,
        download: Callable[[Sequence[str]], object] | None = None,
        download_timeout: float = 120.0,
    ) -> None:
        self.interval = interval
        self.closed_interval = max(closed_interval, interval)
        self.session = session
        self.clock = clock
        if market is None:
            from monitor.market_hours import MarketClock

            market = MarketClock(clock)
        self.market = market
        self.backoff = backoff or Backoff(first=2 * interval, cap=max(300.0, 4 * interval))
        self.bars = bars
        if download is None and session is None:
            from monitor.feeds.live import yfinance_child_setup
            from monitor.isolate import ChildCalls

            download = ChildCalls(download_closes, setup=yfinance_child_setup)  # no pandas here
        self._download = download or (lambda symbols: download_closes(symbols, self.session))
        self.download_timeout = download_timeout  # yfinance's own timeouts are per request
        self._running: asyncio.Future | None = None  # the download thread's result
        self.status = StatusBook(self.source, clock)
        self.symbols: list[str] = upper_symbols(symbols)
        self._last: dict[str, tuple[float, float]] = {}  # symbol -> (bar start, close) emitted
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()
        self.polls = 0
        self.failed_polls = 0

    def learn(self, info: SymbolInfo) -> None:
        self.status.learn(info)

    async def set_symbols(self, symbols: Sequence[str]) -> None:
        self.symbols = upper_symbols(symbols)
        self._wake.set()  # poll the new list now

    async def aclose(self) -> None:
        self._stop.set()

    def events(self) -> AsyncIterator[FeedEvent]:
        return self.run()

    async def run(self) -> AsyncIterator[FeedEvent]:
        self._stop.clear()
        try:
            async for event in self._polls():
                yield event
        finally:
            close = getattr(self._download, "close", None)
            if close is not None:  # the child process: its memory is not needed until next time
                close()

    async def _polls(self) -> AsyncIterator[FeedEvent]:
        while not self._stop.is_set():
            self._wake.clear()  # a symbol change from here on wakes the next sleep
            symbols = list(self.symbols)
            self.polls += 1
            try:
                (closes, messages), error = await self._fetch(symbols), None
            except Exception as exc:  # YFRateLimitError, network errors, parse errors, timeout
                closes, messages, error = None, list(getattr(exc, "yf_messages", [])), exc
            received = self.clock()
            ticks = self._ticks(closes, symbols, received) if closes is not None else []
            has_rows = bool(closes) and any(closes.values())
            if error is not None or not has_rows:
                self.failed_polls += 1
                delay = self.backoff.next()
                reason = _failure_reason(error, messages)
                log.info("poll failed: %s; retry in %.0f s", reason, delay)
                status = self.status.make(FeedState.RECONNECTING, reason, retry_in=delay)
            else:
                self.backoff.reset()
                if ticks:
                    yield ticks
                market_open = self.market.is_open(received)
                delay = self.interval if market_open else self.closed_interval
                if market_open:
                    status = self.status.make(FeedState.POLLING, f"every {delay:g} s", symbols=symbols)
                else:
                    status = self.status.make(FeedState.MARKET_CLOSED, f"polling every {delay:g} s")
            if status:
                yield status
            await self._sleep(delay)

    async def _fetch(self, symbols: list[str]):
        """One download in a worker thread, awaited at most ``download_timeout`` seconds. A
        download that hangs is never abandoned for a new one: the next poll waits for it again,
        so a dead network cannot pile up threads. One in a child process is ended instead (its
        call fails and frees the thread): the next poll starts a fresh child, where a hung
        child would have held every later poll forever."""
        if self._running is None or self._running.done():
            self._running = asyncio.ensure_future(in_daemon_thread(lambda: self._download(symbols)))
            self._running.add_done_callback(lambda done: done.cancelled() or done.exception())  # read if abandoned
        try:
            return await asyncio.wait_for(asyncio.shield(self._running), self.download_timeout)
        except asyncio.TimeoutError:
            close = getattr(self._download, "close", None)
            if close is not None:
                await in_daemon_thread(close)
            raise TimeoutError(f"no answer from Yahoo in {self.download_timeout:g} s") from None

    async def _sleep(self, delay: float) -> None:
        stop = asyncio.ensure_future(self._stop.wait())
        wake = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({stop, wake}, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
            wake.cancel()

    def _ticks(self, closes: Closes, symbols: Sequence[str], received: float) -> list[Tick]:
        """New or revised bars of the last ``bars`` rows, as ticks in time order."""
        ticks: list[Tick] = []
        for symbol in symbols:
            if symbol not in closes:
                continue
            last_start, last_close = self._last.get(symbol, (-math.inf, math.nan))
            for start, close in closes[symbol][-self.bars :]:
                if start < last_start or (start == last_start and close == last_close):
                    continue
                when = min(start + BAR_SECONDS - 1.0, received)
                ticks.append(Tick(symbol, when, close, None, received))
                last_start, last_close = start, close
            self._last[symbol] = (last_start, last_close)
        ticks.sort(key=lambda tick: tick.time)
        return ticks


def _failure_reason(error: BaseException | None, messages: list[str]) -> str:
    text = " ".join(messages)
    if (error is not None and "RateLimit" in type(error).__name__) or "RateLimit" in text or "Too Many" in text:
        return "rate limited by Yahoo"
    offline = network_problem(f"{_describe(error)} {text}" if error is not None else text)
    if offline:
        return offline
    if error is not None:
        return _describe(error)[:160]
    if messages:
        return f"no data from Yahoo: {' '.join(messages[-1].split())}"[:160]
    return "no data from Yahoo"


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"
