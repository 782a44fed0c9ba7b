"""Pieces shared by the live Yahoo feeds: reconnect backoff, status bookkeeping, quote freshness
and a quiet yfinance logger.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from monitor.model import FeedState, FeedStatus, SymbolInfo, Tick

if TYPE_CHECKING:  # pragma: no cover
    import asyncio

log = logging.getLogger("monitor.feeds")


class Backoff:
    """Capped exponential backoff with full jitter.

    The first retry comes within ``first`` seconds; each later one may wait up to twice as long
    as the previous bound, never more than ``cap``. ``reset()`` once data flows again.
    """

    def __init__(self, first: float = 1.0, cap: float = 60.0, rng: Callable[[], float] = random.random) -> None:
        self.first = first
        self.cap = cap
        self.rng = rng
        self.attempt = 0

    def next(self) -> float:
        bound = min(self.cap, self.first * (2**self.attempt))
        self.attempt += 1
        # Half fixed, half random: spreads clients out without ever retrying instantly.
        return bound * (0.5 + 0.5 * self.rng())

    def reset(self) -> None:
        self.attempt = 0


class StatusBook:
    """Emits a ``FeedStatus`` only when the state or detail changes, and badges delayed data.

    ``delays`` holds what is known of each symbol's exchange delay (``exchangeDataDelayedBy``);
    a live feed with any delayed symbol reports ``delayed`` with the symbols in the detail.
    """

    def __init__(self, source: str, clock: Callable[[], float] = time.time) -> None:
        self.source = source
        self.clock = clock
        self.delays: dict[str, int] = {}
        self.last: FeedStatus | None = None

    def learn(self, info: SymbolInfo) -> None:
        if info.delay_minutes is not None:
            self.delays[info.symbol] = info.delay_minutes

    def delayed_detail(self, symbols: Iterable[str]) -> str:
        late = [f"{s} {self.delays[s]} min" for s in symbols if self.delays.get(s)]
        return "delayed: " + ", ".join(late) if late else ""

    def make(
        self,
        state: FeedState,
        detail: str = "",
        retry_in: float | None = None,
        symbols: Iterable[str] = (),
    ) -> FeedStatus | None:
        """The status to emit, or None when nothing changed."""
        if state in (FeedState.LIVE, FeedState.POLLING):
            late = self.delayed_detail(symbols)
            if late and state is FeedState.LIVE:
                state, detail = FeedState.DELAYED, late
            elif late:
                detail = f"{detail}; {late}" if detail else late
        status = FeedStatus(state, self.source, self.clock(), detail, retry_in)
        last = self.last
        if last and retry_in is None and (last.state, last.detail, last.retry_in) == (state, detail, None):
            return None
        self.last = status
        return status


def upper_symbols(symbols: Iterable[str]) -> list[str]:
    """Tickers as Yahoo spells them (upper case), once each, in order: a config or a caller
    that says '^rut' still subscribes to and polls ^RUT."""
    return list(dict.fromkeys(symbol.upper() for symbol in symbols))


def is_stale(tick: Tick, stale_after: float, market_open: bool) -> bool:
    """A quote is stale while the market is open if its exchange time lags its receive time
    (or now) by more than ``stale_after`` seconds. Outside regular hours nothing is stale."""
    if not market_open:
        return False
    received = tick.received if tick.received is not None else time.time()
    return received - tick.time > stale_after


_DNS_FAILURE = re.compile(
    r"could not resolve host|failed to resolve|name or service not known|name resolution"
    r"|nodename nor servname|getaddrinfo failed|dnserror|gaierror",
    re.IGNORECASE,
)
_UNRESOLVED_HOST = re.compile(r"resolve(?: host)?:? '?([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)", re.IGNORECASE)
_NO_ROUTE = re.compile(r"network is unreachable|no route to host", re.IGNORECASE)
_NO_CONNECTION = re.compile(
    r"connection refused|failed to connect|failed to establish|timed out|connection reset|connectionerror",
    re.IGNORECASE,
)


def network_problem(text: str, host: str | None = None) -> str:
    """A plain reason when an error text says the network failed rather than Yahoo's data, else "".

    yfinance reports a failed DNS lookup as "possibly delisted; no price data found" after
    logging the real cause: a user must read "network unreachable", not that the symbol is gone.
    """
    if _DNS_FAILURE.search(text):
        found = _UNRESOLVED_HOST.search(text)
        host = found.group(1) if found else host
        return f"network unreachable: cannot resolve {host}" if host else "network unreachable: DNS lookup failed"
    if _NO_ROUTE.search(text):
        return "network unreachable"
    match = _NO_CONNECTION.search(text)
    if match:
        return f"cannot connect ({match.group(0).lower()})"
    return ""


class YFinanceLog(logging.Handler):
    """Takes over yfinance's logger so its warnings never land on the terminal; keeps the last
    few messages so a failed poll can say why (rate limited, no data, ...)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.recent: deque[str] = deque(maxlen=20)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # pragma: no cover - a broken log call must not break a poll
            return
        if record.levelno >= logging.WARNING:
            self.recent.append(message)
        log.debug("yfinance: %s", message)

    def take(self) -> list[str]:
        items = list(self.recent)
        self.recent.clear()
        return items


_yf_handler: YFinanceLog | None = None


def quiet_yfinance() -> YFinanceLog:
    """Install (once) the handler on yfinance's logger and return it."""
    global _yf_handler
    if _yf_handler is None:
        _yf_handler = YFinanceLog()
        logger = logging.getLogger("yfinance")
        logger.addHandler(_yf_handler)
        logger.propagate = False
        import warnings

        import yfinance  # its import adds a warnings filter that ours must follow

        # By default yfinance swallows a failed request and reports "possibly delisted; no price
        # data found": with exceptions on, download() logs the real cause (DNS, refused, ...)
        # and Ticker.history() raises it, so the status can say the network is unreachable.
        yfinance.config.debug.hide_exceptions = False

        # yfinance trips pandas deprecation warnings on every call: not the user's concern.
        warnings.filterwarnings("ignore", module=r"yfinance(\.|$)")
        if logger.level == logging.NOTSET or logger.level > logging.WARNING:
            logger.setLevel(logging.WARNING)
    return _yf_handler


def yfinance_child_setup() -> None:
    """In the yfinance child process (``monitor.isolate``): yfinance's timezone cache in the
    monitor's cache folder, where the parent would have kept it."""
    try:
        import yfinance

        from monitor.paths import cache_dir

        yfinance.set_tz_cache_location(str(cache_dir() / "yfinance"))
    except Exception:  # yfinance then uses its own default folder
        pass


async def cancel_tasks(*tasks: asyncio.Task | None) -> None:
    """Cancel the tasks still running (None and finished ones are skipped) and wait until each
    has ended; what they raise on the way out (the cancellation, a feed's error) is dropped."""
    import asyncio  # here, as in ``in_daemon_thread``: a headless replay imports no asyncio

    running = [task for task in tasks if task is not None and not task.done()]
    for task in running:
        task.cancel()
    for task in running:
        try:
            await task
        except (asyncio.CancelledError, Exception):
            pass


async def in_daemon_thread(fn: Callable[[], object]):
    """Run a blocking call (yfinance) in a daemon thread and await its result.

    Unlike ``asyncio.to_thread`` a request still running at shutdown never delays the exit:
    the interpreter does not join daemon threads."""
    import asyncio
    import threading

    loop = asyncio.get_running_loop()
    future = loop.create_future()

    def settle(result, error) -> None:
        if not future.done():
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)

    def work() -> None:
        try:
            result, error = fn(), None
        except BaseException as exc:  # handed to the awaiting task
            result, error = None, exc
        try:
            loop.call_soon_threadsafe(settle, result, error)
        except RuntimeError:
            pass  # the loop closed while we worked: nobody is waiting

    threading.Thread(target=work, name="yfinance", daemon=True).start()
    return await future
