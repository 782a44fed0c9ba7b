"""The one interface every source of ticks implements: Yahoo streaming, Yahoo polling, replay.

A feed is an async iterator of events. Each event is one of:
- a ``list[Tick]`` (a batch: ticks that arrived together; the consumer applies them, then
  evaluates the cross-symbol rules once),
- a ``FeedStatus`` (connecting, live, reconnecting in N s, stale, ...),
- a ``SymbolInfo`` (display name, exchange delay, decimals), whenever the feed learns one.

The headless runner and the app consume feeds the same way, so they behave the same.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Sequence
from typing import Union

from monitor.model import FeedStatus, SymbolInfo, Tick

FeedEvent = Union[list[Tick], FeedStatus, SymbolInfo]


class Feed(abc.ABC):
    """Base class of all feeds. ``source`` is what alerts report: stream, poll or replay.

    ``give_up_after``: a running ``attempts`` ends after this many consecutive failed
    connections (None: never); it may be changed while it runs."""

    source: str = ""
    give_up_after: int | None = None

    @abc.abstractmethod
    def events(self) -> AsyncIterator[FeedEvent]:
        """Yield events until the feed ends (replay) or is closed (live feeds never end)."""

    def attempts(self, give_up_after: int | None) -> AsyncIterator[FeedEvent]:
        """Like ``events``, but ending after ``give_up_after`` consecutive failed connections, so
        another feed can take over (``FallbackFeed``). A feed that never fails that way (no
        connection of its own) just gives its events."""
        return self.events()

    def learn(self, info: SymbolInfo) -> None:
        """Symbol information learned elsewhere (another feed, the history): feeds that use it
        (delays, price decimals) keep it."""

    async def set_symbols(self, symbols: Sequence[str]) -> None:
        """Change the watched symbols (live feeds subscribe/unsubscribe)."""

    async def aclose(self) -> None:
        """Stop the feed and release its connections. Safe to call twice."""
