"""Sources of ticks: Yahoo streaming, Yahoo polling and replay, behind one interface.

``LIVE_SOURCES`` is the one list of live data sources: ``--source``'s choices, ``[feed] source``'s
check and ``build_live_feed`` (the one place that turns the config and the command line into a
live feed, for the headless runner and the app alike) read it, and a test holds the README's
"Sources" table to it. Adding a source is its feed module (a ``Feed``, ``monitor.feeds.base``),
its ``LiveSource`` entry here with its builder, its tests, and its row in that table.

This module stays light (the config reads the names on every run): each builder imports its feed
when it is called.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from monitor.config import Config
    from monitor.feeds.base import Feed
    from monitor.market_hours import MarketClock


@dataclass(frozen=True)
class FeedInputs:
    """What a builder gets: the config, the stream URL in force (``--stream-url`` or
    ``[feed] stream_url``), the symbols to watch, the clocks, and yfinance's session (tests)."""

    config: Config
    url: str
    symbols: list[str]
    clock: Callable[[], float]
    market: MarketClock
    session: Any = None


@dataclass(frozen=True)
class LiveSource:
    name: str  # --source NAME, [feed] source = "NAME"
    build: Callable[[FeedInputs], Feed]


def _poll(inputs: FeedInputs) -> Feed:
    from monitor.feeds.yahoo_poll import YahooPollFeed

    return YahooPollFeed(
        inputs.symbols, inputs.config.feed.poll_interval, session=inputs.session, clock=inputs.clock, market=inputs.market
    )


def _stream_then_poll(inputs: FeedInputs) -> Feed:
    """The stream, with polling when the stream keeps failing (``FallbackFeed``)."""
    from monitor.feeds.switching import FallbackFeed
    from monitor.feeds.yahoo_stream import YahooStreamFeed

    stream = YahooStreamFeed(
        inputs.symbols, inputs.url, clock=inputs.clock, market=inputs.market, stale_after=inputs.config.feed.stale_after
    )
    return FallbackFeed(stream, _poll(inputs))


LIVE_SOURCES: tuple[LiveSource, ...] = (
    LiveSource("yahoo-stream", _stream_then_poll),
    LiveSource("yahoo-poll", _poll),
)
SOURCE_NAMES = tuple(source.name for source in LIVE_SOURCES)
DEFAULT_SOURCE = SOURCE_NAMES[0]  # [feed] source when the config does not say


def check_ws_url(url: str) -> str:
    """``url`` if it is a ws:// or wss:// URL the stream can connect to, else ValueError. A bad
    port or host passes a prefix test but fails inside the feed at every (re)connect."""
    from urllib.parse import urlsplit

    if not url.startswith(("ws://", "wss://")):
        raise ValueError(f"expected a ws:// or wss:// URL, got {url!r}")
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port  # .port raises on 99999 or 'abc'
    except ValueError as exc:
        raise ValueError(f"expected a ws:// or wss:// URL, got {url!r} ({exc})") from None
    if not host:
        raise ValueError(f"expected a ws:// or wss:// URL with a host, got {url!r}")
    return url


def build_live_feed(config, args=None, *, clock: Callable[[], float] = time.time, session=None, symbols=None):
    """The feed of ``--source`` (else ``[feed] source``) from ``LIVE_SOURCES``.

    ``--stream-url`` overrides ``[feed] stream_url``; ``session`` is yfinance's (tests);
    ``symbols`` default to the watchlist (the app adds the futures it shows before the open)."""
    from monitor.errors import UserError
    from monitor.market_hours import MarketClock

    name = getattr(args, "source", None) or config.feed.source
    url = getattr(args, "stream_url", None) or config.feed.stream_url
    try:
        check_ws_url(url)
    except ValueError as exc:
        from monitor.redact import redact

        raise UserError(redact(f"--stream-url: {exc}")) from None
    source = next(source for source in LIVE_SOURCES if source.name == name)  # argparse and the config checked it
    symbols = list(config.symbols if symbols is None else symbols)
    return source.build(FeedInputs(config, url, symbols, clock, MarketClock(clock), session))
