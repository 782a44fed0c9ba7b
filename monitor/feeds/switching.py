"""Streaming first, polling when streaming keeps failing, and back to streaming when it can.

``FallbackFeed`` runs the stream feed until it gives up (``give_up_after`` consecutive failed
connections), then polls; while polling it probes the stream every ``probe_every`` seconds and
switches back as soon as the stream delivers (a tick, or a connected "market closed"). Every
event passes through unchanged, so the status always names the source in use (``stream`` or
``poll``), and ``source`` says which one produced the latest ticks.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence

from monitor.feeds.base import Feed, FeedEvent
from monitor.feeds.yahoo_poll import YahooPollFeed
from monitor.feeds.yahoo_stream import YahooStreamFeed
from monitor.model import FeedState, FeedStatus, SymbolInfo

log = logging.getLogger("monitor.feeds.switching")

_END = object()
_STREAM_OK = (FeedState.LIVE, FeedState.DELAYED, FeedState.MARKET_CLOSED)


class FallbackFeed(Feed):
    def __init__(
        self,
        stream: YahooStreamFeed,
        poll: YahooPollFeed,
        *,
        give_up_after: int = 3,
        probe_every: float = 300.0,
    ) -> None:
        self.stream = stream
        self.poll = poll
        self.give_up_after = give_up_after
        self.probe_every = probe_every
        self.source = stream.source
        self.switches = 0
        self._closed = False

    def learn(self, info: SymbolInfo) -> None:
        self.stream.learn(info)
        self.poll.learn(info)

    async def set_symbols(self, symbols: Sequence[str]) -> None:
        await self.stream.set_symbols(symbols)
        await self.poll.set_symbols(symbols)

    async def aclose(self) -> None:
        self._closed = True
        await self.stream.aclose()
        await self.poll.aclose()

    def events(self) -> AsyncIterator[FeedEvent]:
        return self.run()

    async def run(self) -> AsyncIterator[FeedEvent]:
        queue: asyncio.Queue = asyncio.Queue(maxsize=1000)
        tasks: dict[str, asyncio.Task] = {}

        def start(name: str, agen: AsyncIterator[FeedEvent]) -> None:
            tasks[name] = asyncio.create_task(_pump(name, agen, queue), name=f"feed-{name}")

        start("stream", self.stream.run(self.give_up_after))
        mode = "stream"
        probe_at: float | None = None
        loop = asyncio.get_running_loop()
        try:
            while not self._closed:
                timeout = None if probe_at is None else max(0.0, probe_at - loop.time())
                try:
                    name, event = await asyncio.wait_for(queue.get(), timeout)
                except asyncio.TimeoutError:
                    probe_at = None
                    log.info("probing the stream while polling")
                    start("stream", self.stream.run(1))
                    continue
                if name == "stream" and mode == "poll":
                    if event is _END:  # the probe failed: keep polling, probe again later
                        probe_at = loop.time() + self.probe_every
                        continue
                    if not (isinstance(event, list) or (isinstance(event, FeedStatus) and event.state in _STREAM_OK)):
                        continue  # a probe's connecting/reconnecting noise: polling is what runs
                    mode, self.source = "stream", self.stream.source
                    self.stream.give_up_after = self.give_up_after  # the probe is the stream now
                    self.switches += 1
                    await self.poll.aclose()
                    await _cancel(tasks.pop("poll", None))
                    yield event
                    continue
                if event is _END:
                    if name == "stream" and mode == "stream" and not self._closed:
                        mode, self.source = "poll", self.poll.source
                        self.switches += 1
                        start("poll", self.poll.run())
                        probe_at = loop.time() + self.probe_every
                    continue
                if name == mode:
                    yield event
        finally:
            for task in tasks.values():
                await _cancel(task)


async def _pump(name: str, agen: AsyncIterator[FeedEvent], queue: asyncio.Queue) -> None:
    try:
        async for event in agen:
            await queue.put((name, event))
    except Exception:  # a feed bug must not stop the monitor: the other source takes over
        log.exception("%s feed failed", name)
    finally:
        await queue.put((name, _END))


async def _cancel(task: asyncio.Task | None) -> None:
    if task is None or task.done():
        return
    task.cancel()
    try:
        await task
    except (asyncio.CancelledError, Exception):
        pass
