"""Yahoo's streamer over ``websockets``: the primary live source.

Protocol (see the README): the client sends ``{"subscribe": [...]}`` / ``{"unsubscribe": [...]}``
text frames; the server sends ``{"type": "pricing", "message": "<base64 PricingData>"}``, one
per quote update. The subscribe list is re-sent every ``heartbeat`` seconds (Yahoo never acks)
and after every reconnect.

One task runs the connection: ``events()`` receives with a timeout, so heartbeats and the stale
watchdog run between frames and nothing can hang on a dead socket. Faults (clean close, dropped
TCP, silence while the market is open, refused connections) all end in a reconnect after a
capped, jittered backoff; malformed frames are counted and skipped.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import math
import time
from collections.abc import AsyncIterator, Callable, Sequence
from urllib.parse import urlsplit

from monitor.feeds.base import Feed, FeedEvent
from monitor.feeds.live import Backoff, StatusBook, network_problem, upper_symbols
from monitor.model import FeedState, SymbolInfo, Tick
from monitor.redact import redact
from monitor.source_catalog import DEFAULT_STREAM_URL

log = logging.getLogger("monitor.feeds.stream")

SILENT_WHILE_OPEN = "stale: no data while the market is open"  # why a connection was dropped
MAX_FRAME = 2**20  # bytes; a larger frame closes the connection (code 1009) and says so


class MalformedFrame(ValueError):
    """A server frame that is not a decodable pricing message."""


def _pricing_class():
    """yfinance's ``PricingData`` protobuf class, loaded from its own file: importing it as
    ``yfinance.pricing_pb2`` runs yfinance's ``__init__``, which loads pandas (about 70 MB that
    would stay resident for the whole live run). It needs only protobuf."""
    import sys

    loaded = sys.modules.get("yfinance.pricing_pb2") or sys.modules.get(_PRICING_MODULE)
    if loaded is None:
        import importlib.util
        from pathlib import Path

        package = importlib.util.find_spec("yfinance")  # finds it without importing it
        if package is None or not package.submodule_search_locations:
            raise ImportError("yfinance is not installed")
        path = Path(next(iter(package.submodule_search_locations))) / "pricing_pb2.py"
        spec = importlib.util.spec_from_file_location(_PRICING_MODULE, path)
        loaded = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(loaded)
        sys.modules[_PRICING_MODULE] = loaded
    return loaded.PricingData


_PRICING_MODULE = "monitor.feeds._yfinance_pricing_pb2"


def decode_frame(frame: str | bytes):
    """A server frame -> ``PricingData``, or None for a frame that is harmless but carries no
    quote (a JSON message of another type: heartbeat-like); raises ``MalformedFrame`` for
    anything else. Both wire formats decode: the JSON envelope ``{"type": "pricing", "message":
    "<base64>"}`` (``?version=2``) and the bare base64 the server sends without it. The quote's
    values are checked at the door (``monitor.door``), not here."""
    if isinstance(frame, bytes):
        try:
            frame = frame.decode("ascii")
        except UnicodeDecodeError:
            raise MalformedFrame("binary frame that is not base64") from None
    text = frame.strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise MalformedFrame(f"not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise MalformedFrame("not a pricing frame")
        if data.get("type") != "pricing":
            return None  # heartbeat-like or unknown message types: nothing to apply
        payload = data.get("message", "")
    else:
        payload = text  # the bare format: the base64 itself
    try:
        raw = base64.b64decode(payload, validate=True)
    except (binascii.Error, TypeError, ValueError) as exc:
        raise MalformedFrame(f"bad base64: {exc}") from None
    message = _pricing_class()()
    try:
        message.ParseFromString(raw)
    except Exception as exc:  # protobuf's DecodeError and friends
        raise MalformedFrame(f"bad protobuf: {exc}") from None
    if not message.id:
        raise MalformedFrame("pricing frame without a symbol")
    return message


def encode_frame(**fields) -> str:
    """A server frame for ``PricingData(**fields)`` (test servers and the soak benchmark)."""
    message = _pricing_class()(**fields)
    payload = base64.b64encode(message.SerializeToString()).decode("ascii")
    return json.dumps({"type": "pricing", "message": payload})


class YahooStreamFeed(Feed):
    """Live quotes from Yahoo's streamer (or any server speaking its frames at ``url``).

    ``market`` is anything with ``is_open(now)`` (a ``MarketClock``): the stale watchdog acts
    only while it says open. Intervals are constructor arguments so tests can shrink them.
    """

    source = "stream"

    def __init__(
        self,
        symbols: Sequence[str],
        url: str = DEFAULT_STREAM_URL,
        *,
        clock: Callable[[], float] = time.time,
        market=None,
        stale_after: float = 60.0,
        heartbeat: float = 15.0,
        backoff: Backoff | None = None,
        open_timeout: float = 10.0,
        healthy_after: float = 60.0,
        ping_interval: float | None = 20.0,
    ) -> None:
        self.url = url
        self.clock = clock
        self.market = market if market is not None else _default_market(clock)
        self.stale_after = stale_after
        self.heartbeat = heartbeat
        self.backoff = backoff or Backoff()
        self.open_timeout = open_timeout
        self.healthy_after = healthy_after
        self.ping_interval = ping_interval
        self.status = StatusBook(self.source, clock)
        self._symbols: list[str] = upper_symbols(symbols)
        self._ws = None
        self._stop = asyncio.Event()
        self._infos: dict[str, SymbolInfo] = {}
        # Counters (the soak benchmark and tests read them).
        self.connects = 0
        self.frames = 0
        self.malformed = 0
        self.failures = 0  # consecutive failed connections (reset when data flows)
        self.give_up_after: int | None = None

    # ------------------------------------------------------------------ public interface

    @property
    def symbols(self) -> list[str]:
        return list(self._symbols)

    def learn(self, info: SymbolInfo) -> None:
        """Take a symbol's exchange delay learned elsewhere (backfill) into the status."""
        self.status.learn(info)

    async def set_symbols(self, symbols: Sequence[str]) -> None:
        new = upper_symbols(symbols)
        removed = [s for s in self._symbols if s not in new]
        self._symbols = new
        ws = self._ws
        if ws is None:
            return
        try:
            if removed:
                await ws.send(json.dumps({"unsubscribe": removed}))
            await self._subscribe(ws)
        except Exception as exc:  # the connection loop notices and reconnects
            log.debug("symbol change not sent: %s", exc)

    async def aclose(self) -> None:
        self._stop.set()
        ws = self._ws
        if ws is not None:
            await _close_quietly(ws)

    def events(self) -> AsyncIterator[FeedEvent]:
        return self.run()

    def attempts(self, give_up_after: int | None) -> AsyncIterator[FeedEvent]:
        return self.run(give_up_after)

    async def run(self, give_up_after: int | None = None) -> AsyncIterator[FeedEvent]:
        """Connect, stream, reconnect forever; or end after ``give_up_after`` consecutive
        failed connections (the fallback feed then polls). The fallback feed may change
        ``self.give_up_after`` while this runs."""
        self._stop.clear()
        self.failures = 0
        self.give_up_after = give_up_after
        while not self._stop.is_set():
            reason = ""
            got_data = False
            started = asyncio.get_running_loop().time()
            async for event in self._one_connection():
                if isinstance(event, str):  # why the connection ended (its last event)
                    reason = event
                    continue
                if isinstance(event, list):
                    got_data = True
                yield event
            if self._stop.is_set():
                return
            # Only a connection that stayed up ``healthy_after`` seconds resets the backoff (one
            # that yields a tick and dies must not reconnect at full speed forever), unless it
            # was silent while the market was open: that is a failure, and repeated ones must
            # lead to polling. A connection that delivered data was not a failed connect.
            lasted = asyncio.get_running_loop().time() - started >= self.healthy_after
            if lasted and reason != SILENT_WHILE_OPEN:
                self.failures = 0
                self.backoff.reset()
            elif got_data:
                self.failures = 0
            else:
                self.failures += 1
            if self.give_up_after is not None and self.failures >= self.give_up_after:
                status = self.status.make(FeedState.OFFLINE, f"{reason}; {self.failures} failed connections")
                if status:
                    yield status
                return
            delay = self.backoff.next()
            status = self.status.make(FeedState.RECONNECTING, reason, retry_in=delay)
            if status:
                yield status
            try:
                await asyncio.wait_for(self._stop.wait(), delay)
                return
            except asyncio.TimeoutError:
                pass

    # ------------------------------------------------------------------ one connection

    async def _one_connection(self) -> AsyncIterator[FeedEvent | str]:
        """Events of one connection; ends by yielding a ``str``: why it ended."""
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed

        status = self.status.make(FeedState.CONNECTING, urlsplit(redact(self.url)).netloc)  # user:pass masked
        if status:
            yield status
        try:
            ws = await asyncio.wait_for(
                connect(
                    self.url,
                    open_timeout=self.open_timeout,
                    ping_interval=self.ping_interval,
                    ping_timeout=self.ping_interval,
                    close_timeout=2,
                    max_size=MAX_FRAME,
                ),
                self.open_timeout + 1,
            )
        except Exception as exc:  # refused, DNS, TLS, handshake, timeout: all retried
            cause = _describe(exc)
            yield f"connect failed: {network_problem(cause, urlsplit(self.url).hostname) or cause}"
            return
        self._ws = ws
        self.connects += 1
        loop = asyncio.get_running_loop()
        try:
            await self._subscribe(ws)
            next_beat = loop.time() + self.heartbeat
            last_data = loop.time()
            quiet_since = last_data  # start of the silence the watchdog counts (market open only)
            live = False
            while not self._stop.is_set():
                now = loop.time()
                market_open = self.market.is_open(self.clock())
                if not market_open:
                    quiet_since = now  # the night's silence does not count once the market opens
                elif now - quiet_since >= self.stale_after:
                    status = self.status.make(FeedState.STALE, f"no data for {now - quiet_since:.0f} s")
                    if status:
                        yield status
                    yield SILENT_WHILE_OPEN
                    return
                if not market_open and (not live or now - last_data >= self.stale_after):
                    live = False  # quiet after hours: say so instead of "live"
                    state = self.status.make(FeedState.MARKET_CLOSED, _closed_detail(self.market, self.clock()))
                elif not live:
                    state = self.status.make(FeedState.CONNECTING, "connected, waiting for data")
                else:
                    state = None
                if state:
                    yield state
                if now >= next_beat:
                    await self._subscribe(ws)
                    next_beat = now + self.heartbeat
                wait = min(next_beat - now, 1.0)
                if market_open:
                    wait = min(wait, max(0.0, quiet_since + self.stale_after - now))
                try:
                    frame = await asyncio.wait_for(ws.recv(), max(wait, 0.001))
                except asyncio.TimeoutError:
                    continue
                events = self._handle(frame)
                if events:
                    last_data = quiet_since = loop.time()
                    if self.market.is_open(self.clock()):
                        live = True
                        status = self.status.make(FeedState.LIVE, symbols=self._symbols)
                    else:  # a snapshot (re)sent while the market is closed is not "live"
                        live = False
                        status = self.status.make(FeedState.MARKET_CLOSED, _closed_detail(self.market, self.clock()))
                    if status:
                        yield status
                    for event in events:
                        yield event
        except ConnectionClosed as exc:
            yield _describe_close(exc)
        except Exception as exc:  # never let one connection's fault end the feed
            log.warning("stream connection failed: %s", _describe(exc))
            yield f"connection error: {_describe(exc)}"
        finally:
            self._ws = None
            await _close_quietly(ws)

    async def _subscribe(self, ws) -> None:
        if self._symbols:
            await ws.send(json.dumps({"subscribe": self._symbols}))

    def _handle(self, frame: str | bytes) -> list[FeedEvent] | None:
        """One frame -> [SymbolInfo?, [Tick]]; [] when malformed or not ours; None for a frame
        that carries no quote (heartbeat-like). The tick's values go to the door unchecked: a
        frame without a time gets NaN (the door gives it the receive time while the market is
        open)."""
        received = self.clock()
        try:
            message = decode_frame(frame)
        except MalformedFrame as exc:
            self.malformed += 1
            level = logging.WARNING if self.malformed == 1 or self.malformed % 100 == 0 else logging.DEBUG
            log.log(level, "skipped malformed frame #%d: %s", self.malformed, exc)
            return []
        if message is None:
            return None
        symbol = message.id.upper()
        if symbol not in self._symbols:
            return []
        self.frames += 1
        events: list[FeedEvent] = []
        hint = int(message.price_hint) if 0 < message.price_hint <= 8 else 2
        name = message.short_name or (self._infos[symbol].name if symbol in self._infos else "")
        known = self._infos.get(symbol)
        if known is None or known.name != name or known.price_hint != hint:
            delay = self.status.delays.get(symbol)
            info = SymbolInfo(symbol, name, delay, hint)
            self._infos[symbol] = info
            events.append(info)
        stamp = message.time / 1000.0 if message.time > 0 else math.nan
        volume = float(message.day_volume) if message.day_volume > 0 else None
        events.append([Tick(symbol, stamp, float(message.price), volume, received)])
        return events


def _default_market(clock):
    from monitor.market_hours import MarketClock

    return MarketClock(clock)


def _closed_detail(market, now: float) -> str:
    status = getattr(market, "status", None)
    if status is None:
        return ""
    try:
        return status(now).describe()
    except Exception:  # a calendar problem must not stop the stream
        return ""


def _describe(exc: BaseException) -> str:
    text = redact(str(exc))  # an invalid URI error repeats the URL, credentials and all
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _describe_close(exc) -> str:
    sent = getattr(exc, "sent", None)
    if sent is not None and sent.code == 1009:  # we closed it: a frame over max_size
        return f"a frame over the {MAX_FRAME // 1024} KiB size limit (closed with code 1009)"
    if sent is not None and sent.code == 1007:  # we closed it: a text frame that is not UTF-8
        return "a text frame that is not UTF-8 (closed with code 1007)"
    rcvd = getattr(exc, "rcvd", None)
    if rcvd is None:
        return "connection dropped (no close frame)"
    return f"server closed the connection (code {rcvd.code})"


async def _close_quietly(ws) -> None:
    try:
        await asyncio.wait_for(ws.close(), 3)
    except Exception:
        pass
    except asyncio.CancelledError:  # pragma: no cover - closing during shutdown
        raise


