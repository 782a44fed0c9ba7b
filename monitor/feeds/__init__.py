"""Sources of ticks: Yahoo streaming, Yahoo polling and replay, behind one interface.

``build_live_feed(config, args)`` is the one place that turns the config and the command line
into a live feed, for the headless runner and the app alike.
"""

from __future__ import annotations

import time
from collections.abc import Callable


def build_live_feed(config, args=None, *, clock: Callable[[], float] = time.time, session=None, symbols=None):
    """``--source yahoo-poll`` -> a poll feed; otherwise the stream with polling as fallback.

    ``--stream-url`` overrides ``[feed] stream_url``; ``session`` is yfinance's (tests);
    ``symbols`` default to the watchlist (the app adds the futures it shows before the open)."""
    from monitor.errors import UserError
    from monitor.feeds.switching import FallbackFeed
    from monitor.feeds.yahoo_poll import YahooPollFeed
    from monitor.feeds.yahoo_stream import YahooStreamFeed
    from monitor.market_hours import MarketClock

    source = getattr(args, "source", None) or config.feed.source
    url = getattr(args, "stream_url", None) or config.feed.stream_url
    if not url.startswith(("ws://", "wss://")):
        from monitor.redact import redact

        raise UserError(redact(f"--stream-url: expected a ws:// or wss:// URL, got {url!r}"))
    market = MarketClock(clock)
    symbols = list(config.symbols if symbols is None else symbols)
    poll = YahooPollFeed(symbols, config.feed.poll_interval, session=session, clock=clock, market=market)
    if source == "yahoo-poll":
        return poll
    stream = YahooStreamFeed(symbols, url, clock=clock, market=market, stale_after=config.feed.stale_after)
    return FallbackFeed(stream, poll)
