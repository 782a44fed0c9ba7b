"""One feed first, another when the first keeps failing, and back to the first when it can.

``FallbackFeed`` runs the primary feed (Yahoo's stream) until it gives up (``give_up_after``
consecutive failed connections, ``Feed.attempts``), then the fallback (polling); meanwhile it
probes the primary on a backoff (``PROBE_FIRST`` seconds at first, doubling up to
``PROBE_CAP``: a short outage is back on the stream within a minute of the server's return, a
long one costs one probe every 5 minutes) and switches back as soon as it delivers (a tick, or
a connected "market closed"). Every event passes through unchanged, so the status
always names the source in use (``stream`` or ``poll``), and ``source`` says which one produced
the latest ticks. Both are plain ``Feed``s: any source can be the primary or the fallback.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence

from monitor.feeds.base import Feed, FeedEvent
from monitor.feeds.live import Backoff, cancel_tasks
from monitor.model import FeedState, FeedStatus, SymbolInfo

log = logging.getLogger("monitor.feeds.switching")

PROBE_FIRST = 15.0  # seconds before the first probe of the primary after falling back
PROBE_CAP = 300.0
_END = object()
_STREAM_OK = (FeedState.LIVE, FeedState.DELAYED, FeedState.MARKET_CLOSED)


class FallbackFeed(Feed):
    def __init__(
        self,
        primary: Feed,
        fallback: Feed,
        *,
        give_up_after: int = 3,
        probe_backoff: Backoff | None = None,
    ) -> None:
        self.primary = primary
        self.fallback = fallback
        self.give_up_after = give_up_after
        self.probe_backoff = probe_backoff or Backoff(first=PROBE_FIRST, cap=PROBE_CAP)
        self.probes: list[float] = []  # loop times the primary was probed (tests, fault suite)
        self.source = primary.source
        self.switches = 0
        self._closed = False

    def learn(self, info: SymbolInfo) -> None:
        self.primary.learn(info)
        self.fallback.learn(info)

    async def set_symbols(self, symbols: Sequence[str]) -> None:
        await self.primary.set_symbols(symbols)
        await self.fallback.set_symbols(symbols)

    async def aclose(self) -> None:
        self._closed = True
        await self.primary.aclose()
        await self.fallback.aclose()

    def events(self) -> AsyncIterator[FeedEvent]:
        return self.run()

    async def run(self) -> AsyncIterator[FeedEvent]:
        queue: asyncio.Queue = asyncio.Queue(maxsize=1000)
        tasks: dict[str, asyncio.Task] = {}

        def start(name: str, agen: AsyncIterator[FeedEvent]) -> None:
            tasks[name] = asyncio.create_task(_pump(name, agen, queue), name=f"feed-{name}")

        start("primary", self.primary.attempts(self.give_up_after))
        mode = "primary"
        probe_at: float | None = None
        loop = asyncio.get_running_loop()
        try:
            while not self._closed:
                timeout = None if probe_at is None else max(0.0, probe_at - loop.time())
                try:
                    name, event = await asyncio.wait_for(queue.get(), timeout)
                except asyncio.TimeoutError:
                    probe_at = None
                    self.probes.append(loop.time())
                    log.info("probing %s while on %s", self.primary.source, self.fallback.source)
                    start("primary", self.primary.attempts(1))
                    continue
                if name == "primary" and mode == "fallback":
                    if event is _END:  # the probe failed: stay on the fallback, probe again later
                        probe_at = loop.time() + self.probe_backoff.next()
                        continue
                    if not (isinstance(event, list) or (isinstance(event, FeedStatus) and event.state in _STREAM_OK)):
                        continue  # a probe's connecting/reconnecting noise: the fallback is what runs
                    mode, self.source = "primary", self.primary.source
                    self.primary.give_up_after = self.give_up_after  # the probe is the primary now
                    self.probe_backoff.reset()  # the next outage probes early again
                    self.switches += 1
                    await self.fallback.aclose()
                    await cancel_tasks(tasks.pop("fallback", None))
                    yield event
                    continue
                if event is _END:
                    if name == "primary" and mode == "primary" and not self._closed:
                        mode, self.source = "fallback", self.fallback.source
                        self.switches += 1
                        start("fallback", self.fallback.events())
                        probe_at = loop.time() + self.probe_backoff.next()
                    continue
                if name == mode:
                    yield event
        finally:
            for task in tasks.values():
                await cancel_tasks(task)


async def _pump(name: str, agen: AsyncIterator[FeedEvent], queue: asyncio.Queue) -> None:
    try:
        async for event in agen:
            await queue.put((name, event))
    except Exception:  # a feed bug must not stop the monitor: the other source takes over
        log.exception("%s feed failed", name)
    finally:
        await queue.put((name, _END))

