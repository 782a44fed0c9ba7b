"""The live data sources by name, the default one, and the stream URL's default and check.

The config reads these (``[feed] source`` and ``stream_url``), so this module imports nothing of
the feeds; ``monitor.feeds.LIVE_SOURCES`` binds each name to the builder of its feed. Adding a
source is its name here and its builder there (see ``monitor.feeds``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

SOURCE_NAMES: tuple[str, ...] = ("yahoo-stream", "yahoo-poll")  # --source NAME, [feed] source = "NAME"
DEFAULT_SOURCE = SOURCE_NAMES[0]  # [feed] source when the config does not say
DEFAULT_STREAM_URL = "wss://streamer.finance.yahoo.com/?version=2"


def check_ws_url(url: str) -> str:
    """``url`` if it is a ws:// or wss:// URL the stream can connect to, else ValueError. A bad
    port or host passes a prefix test but fails inside the feed at every (re)connect."""
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
