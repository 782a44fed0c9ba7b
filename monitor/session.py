"""One live session, shared by the app and ``--headless``: the only place that turns feed events
into state changes and delivered alerts.

    feed events -> ticks held until the history is in (``HistoryFirst``) -> the door
    (``monitor.door``) -> ``MarketState`` -> ``Delivery`` (policy, history, sinks) -> front-end

The session also commits live bars whose session closed (``commit_due``, every
``commit_every`` seconds), flags alerts from stale quotes, stamps the source that delivered each
batch, learns symbol info (names cleaned of escapes; delays and price hints handed to the feed
and the door) and keeps the feed status. Front-ends (the Textual app, the headless runner) get
its output through a ``Frontend`` and only draw or print it. A replay feed (the app's demo and
``replay`` without ``--headless``) goes through the same path: no commit cadence, no staleness,
and the forming bars are committed when its data ends.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence

from monitor.config import Config
from monitor.door import Door
from monitor.feeds.backfill import LOAD_TIMEOUT, HistoryFirst
from monitor.feeds.base import Feed
from monitor.feeds.live import cancel_tasks, in_daemon_thread, is_stale
from monitor.model import Alert, FeedState, FeedStatus, SymbolInfo, Tick, tick_time
from monitor.state import MarketState
from monitor.text import clean_text

log = logging.getLogger("monitor.session")

MAX_HELD_BATCHES = 100_000  # live batches held while the backfill runs (~hours of ticks)
COMMIT_EVERY = 1.0  # seconds between checks for live bars whose session closed
BACKFILL_TIMEOUT = LOAD_TIMEOUT + 5.0  # live ticks are held at most this long for the history
# (30 s: the backfill stops a yfinance child that hangs 5 s before, and reads its cache instead)


class Frontend:
    """What a front-end does with a session's output. Every method is optional (no-op)."""

    def show_alerts(self, alerts: list[Alert]) -> None:
        """Alerts that passed the delivery (policy gate, history, sinks)."""

    def show_status(self, status: FeedStatus) -> None:
        """A new feed status."""

    def show_info(self, info: SymbolInfo) -> None:
        """A symbol's name, delay or price hint became known."""

    def say(self, text: str, warning: bool = False) -> None:
        """A one-off message: backfill progress and problems, the first reject of each cause."""

    def changed(self) -> None:
        """The session's note or last tick changed (repaint the status)."""


class LiveSession:
    """Feed -> state -> delivery for one run. ``run()`` until the feed ends or ``stop`` is set."""

    def __init__(
        self,
        config: Config,
        feed: Feed,
        delivery,
        *,
        frontend: Frontend | None = None,
        state: MarketState | None = None,
        backfill=None,
        clock: Callable[[], float] = time.time,
        market=None,
        commit_every: float = COMMIT_EVERY,
        backfill_timeout: float = BACKFILL_TIMEOUT,
        futures=None,
    ) -> None:
        if market is None:
            from monitor.market_hours import MarketClock

            market = MarketClock(clock)
        self.config = config
        self.feed = feed
        self.delivery = delivery
        self.frontend = frontend or Frontend()
        self.replay = feed.source == "replay"
        self.state = state or MarketState(config, feed.source)
        self.backfill = None if self.replay else backfill
        self.clock = clock
        self.market = market
        self.commit_every = commit_every
        self.backfill_timeout = backfill_timeout
        self.futures = futures  # a futures.FuturesBoard: futures' ticks go there, never to the rules
        self.door = Door(self.market_open, self._rejected)
        self.history_first = HistoryFirst(MAX_HELD_BATCHES)
        self.history_first.done = self.backfill is None
        self.stop = asyncio.Event()
        self.infos: dict[str, SymbolInfo] = {}
        self.feed_status: FeedStatus | None = None
        self.last_tick: float | None = None  # exchange time of the newest tick applied
        self.note = ""  # the backfill's state in a few words ("loading history")
        self.delivered = 0
        self._market_second, self._market_is_open = -1, False

    # ------------------------------------------------------------------ running

    async def run(self) -> None:
        """Consume the feed (and load the history) until the feed ends or ``stop`` is set; a
        feed's exception is raised after the tasks are cancelled."""
        consumer = asyncio.create_task(self._consume(), name="feed")
        history = asyncio.create_task(self._load_history(), name="backfill") if self.backfill is not None else None
        try:
            while not self.stop.is_set() and not consumer.done():
                waiter = asyncio.ensure_future(self.stop.wait())
                try:
                    await asyncio.wait({consumer, waiter}, timeout=self.commit_every, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    waiter.cancel()
                if not self.replay:
                    self.commit_due()
        finally:
            await cancel_tasks(consumer, history)
        if consumer.done() and not consumer.cancelled() and consumer.exception() is not None:
            raise consumer.exception()
        if consumer.done() and not consumer.cancelled():
            self._ended()

    async def aclose(self) -> None:
        """Stop the feed and let the sinks finish (at most 2 s)."""
        self.stop.set()
        try:
            await self.feed.aclose()
        finally:
            self.delivery.close(timeout=2.0)

    async def _consume(self) -> None:
        async for event in self.feed.events():
            self.on_event(event)

    def on_event(self, event) -> None:
        if isinstance(event, list):
            self.on_ticks(event)
        elif isinstance(event, FeedStatus):
            self.on_status(event)
        elif isinstance(event, SymbolInfo):
            self.learn(event)

    def _ended(self) -> None:
        """The feed's data ended (a replay): commit what is forming, say so."""
        if self.replay:
            self.deliver(self.state.finish())
        if self.feed_status is None or self.feed_status.state is not FeedState.ENDED:
            self.on_status(FeedStatus(FeedState.ENDED, self.feed.source, self.clock(), "end of data"))

    # ------------------------------------------------------------------ events

    def on_status(self, status: FeedStatus) -> None:
        self.feed_status = status
        self.frontend.show_status(status)

    def on_ticks(self, batch: Sequence[Tick]) -> None:
        """A live batch waits while the history loads (history first); then it goes in."""
        if not self.history_first.hold(batch):
            self.apply(batch)

    def apply(self, batch: Sequence[Tick]) -> None:
        """``batch`` through the door into the state; its alerts to the delivery."""
        ticks = self.door.admit(batch)
        if not ticks:
            return
        newest = max(map(tick_time, ticks))
        if self.last_tick is None or newest > self.last_tick:
            self.last_tick = newest
            self.frontend.changed()
        if self.futures is not None:
            ticks, moved = self.futures.take(ticks)
            if moved:
                self.state.dirty.update(moved)
                self.frontend.changed()
            if not ticks:
                return
        stale = False
        if not self.replay:
            market_open = self.market_open(self.clock())
            stale_after = self.config.feed.stale_after
            stale = any(is_stale(tick, stale_after, market_open) for tick in ticks)
            self.state.source = self.feed.source  # stream or poll: whichever delivered this batch
        alerts = self.state.apply(ticks, stale)
        if alerts:
            self.deliver(alerts)

    def learn(self, info: SymbolInfo, tell_feed: bool = False) -> None:
        """A symbol's info: its name cleaned of escapes, its price hint to the door; ``tell_feed``
        for info learned elsewhere (the backfill), so the feed can badge delayed quotes."""
        info = SymbolInfo(info.symbol.upper(), clean_text(info.name, 80), info.delay_minutes, info.price_hint)
        self.infos[info.symbol] = info
        self.door.hint(info.symbol, info.price_hint)
        if tell_feed:
            learn = getattr(self.feed, "learn", None)
            if learn is not None:
                learn(info)
        self.state.dirty.add(info.symbol)
        self.frontend.show_info(info)

    def commit_due(self) -> None:
        """Commit the live bars whose session closed; their bar-close alerts are delivered."""
        self.deliver(self.state.commit_due(self.clock()))

    def deliver(self, alerts: list[Alert]) -> None:
        if not alerts:
            return
        delivered = self.delivery.handle(alerts)
        if delivered:
            self.delivered += len(delivered)
            self.frontend.show_alerts(delivered)

    def market_open(self, now: float) -> bool:
        """The market clock's answer, worked out at most once a second (asked per batch)."""
        second = int(now)
        if second != self._market_second:
            self._market_second, self._market_is_open = second, self.market.is_open(now)
        return self._market_is_open

    def _rejected(self, symbol: str, cause: str) -> None:
        log.info("%s: %s: rejected", symbol, cause)
        self.frontend.say(f"{clean_text(symbol, 40)}: {cause}: rejected (counted, said once)", warning=True)
        self.frontend.changed()

    @property
    def rejects(self) -> str:
        """What the door turned away, in one line for the status bar ("" when nothing)."""
        return self.door.summary()

    # ------------------------------------------------------------------ history

    async def _load_history(self) -> None:
        """History first, then the live ticks held meanwhile; on timeout or failure, live goes on."""
        self._note("loading history")
        self.frontend.say("backfill: loading history")
        result = None
        try:
            result = await asyncio.wait_for(in_daemon_thread(self.backfill.load), self.backfill_timeout)
        except asyncio.TimeoutError:
            self._note(f"no history after {self.backfill_timeout:g} s")
            self.frontend.say(f"backfill: no history after {self.backfill_timeout:g} s; going on without it", warning=True)
        except Exception as exc:  # a bug in the backfill must not stop live data
            self._note("no history")
            self.frontend.say(f"backfill: failed ({type(exc).__name__}: {clean_text(exc)})", warning=True)
        else:
            self._note("history incomplete" if result.problems else "")
            for problem in result.problems:
                self.frontend.say(f"backfill: {clean_text(problem)}", warning=True)
            self.learn_history(result)
        now = self.clock()
        for batch in self.history_first.finish(self.state, result, now, lambda rows: self.door.admit(rows, now)):
            self.apply(batch)
        self.state.dirty.update(self.state.symbols)
        if result is not None:
            self.frontend.say(
                f"backfill: {self.history_first.applied:,} history ticks of {len(result.series)} series applied"
            )
        self.frontend.changed()

    def learn_history(self, result) -> None:
        """Names and delays of a backfill (told to the feed too); its futures' daily bars go to
        the futures board and out of the result, which then holds what the state may see."""
        for info in result.infos:
            self.learn(info, tell_feed=True)
        if self.futures is None:
            return
        futures = self.futures.index_of
        for series in result.series:
            if series.symbol in futures and series.kind == "daily":
                self.futures.learn_daily(series.symbol, series.rows)
        result.series = [series for series in result.series if series.symbol not in futures]

    def add_history(self, result) -> None:
        """A symbol added while running (the app's watchlist): its backfill through the door
        into the state before its subscription starts; its old bar-close alerts are discarded
        like any history's, the other symbols' due commits are delivered."""
        self.learn_history(result)
        self.state.seed_records(result.records)
        new = {series.symbol for series in result.series}
        now = self.clock()
        for batch in result.batches():
            batch = self.door.admit(batch, now)
            if batch:
                self.state.apply(batch)
        self.deliver([alert for alert in self.state.commit_due(now) if alert.symbol not in new])

    def _note(self, text: str) -> None:
        self.note = text
        self.frontend.changed()
