"""Sources of ticks: Yahoo streaming, Yahoo polling and replay, behind one interface.

``LIVE_SOURCES`` binds each live data source of the catalog (``monitor.source_catalog``: the
names ``--source`` offers and ``[feed] source`` accepts) to the builder of its feed;
``build_live_feed`` (the one place that turns the config and the command line into a live feed,
for the headless runner and the app alike) reads it, and a test holds the README's "Sources"
table to it. Adding a source is its feed module (a ``Feed``, ``monitor.feeds.base``), its name in
the catalog, its builder in ``BUILDERS`` here, its tests, its row in that table, and the
README's config blocks regenerated (``python tests/test_config_schema.py``).

Each builder imports its feed when it is called, so the CLI's parser stays light.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from monitor.settings import Frozen
from monitor.source_catalog import DEFAULT_SOURCE, SOURCE_NAMES, check_ws_url

if TYPE_CHECKING:  # pragma: no cover
    from monitor.config import Config
    from monitor.feeds.base import Feed
    from monitor.market_hours import MarketClock

__all__ = ["BUILDERS", "DEFAULT_SOURCE", "LIVE_SOURCES", "SOURCE_NAMES", "FeedInputs", "LiveSource", "build_live_feed", "check_ws_url"]


class FeedInputs(Frozen):
    """What a builder gets: the config, the stream URL in force (``--stream-url`` or
    ``[feed] stream_url``), the symbols to watch, the clocks, and yfinance's session (tests)."""

    config: Config
    url: str
    symbols: list[str]
    clock: Callable[[], float]
    market: MarketClock
    session: Any = None


class LiveSource(Frozen):
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


# The builder of each source of the catalog (monitor.source_catalog), in its order.
BUILDERS: dict[str, Callable[[FeedInputs], Feed]] = {
    "yahoo-stream": _stream_then_poll,
    "yahoo-poll": _poll,
}
LIVE_SOURCES: tuple[LiveSource, ...] = tuple(LiveSource(name, BUILDERS[name]) for name in SOURCE_NAMES)


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
