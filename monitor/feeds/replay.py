"""Replayed files as a live feed: ``ReplayFeed``, with the pacing, speed, step and pause controls
the app's replay keys use."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from monitor.bars import SessionDays
from monitor.errors import UserError
from monitor.feeds.base import Feed, FeedEvent
from monitor.model import FeedState, FeedStatus, tick_time
from monitor.series import Series, replay_batches

MAX_GAP = 3600.0  # paced replay: a longer gap in the data (night, weekend) counts as one hour
YIELD_EVERY = 256  # unpaced ReplayFeed: let the event loop run every so many batches
MAX_WAIT = 0.25  # paced ReplayFeed: longest single sleep, so speed keys and pause act at once
MAX_SPEED = 10_000_000.0  # faster than this is "max" (as fast as possible)


class ReplayFeed(Feed):
    """Replayed files as a ``Feed`` (source "replay"). ``speed`` None plays as fast as possible
    (yielding to the event loop now and then); a number N plays N data seconds per second, with
    gaps longer than an hour (nights, weekends) counted as one hour.

    The app's replay keys use ``faster``, ``slower``, ``step_session``, ``play_to_end`` and
    ``paused``; they act within ``MAX_WAIT`` seconds, even in the middle of a long wait."""

    source = "replay"

    def __init__(
        self,
        series_list: Sequence[Series],
        speed: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] | None = None,
    ) -> None:
        self.series = list(series_list)
        self.speed = speed
        self.paused = False
        self._clock = clock
        self._sleep = sleep
        self._closed = False
        self._step = False  # step_session asked: play the next session, then pause
        self._step_until: float | None = None  # epoch at which the stepped session is done

    # --- controls ------------------------------------------------------------------------------

    def faster(self) -> None:
        """Twice the speed; past ``MAX_SPEED``, as fast as possible."""
        if self.speed is not None:
            self.speed = None if self.speed * 2 > MAX_SPEED else self.speed * 2

    def slower(self) -> None:
        """Half the speed (at least 1x, real time); from "max", ``MAX_SPEED``."""
        self.speed = MAX_SPEED if self.speed is None else max(1.0, self.speed / 2)

    def step_session(self) -> None:
        """Play the next session at once, then pause (pauses a playing replay first)."""
        self._step = True
        self.paused = True

    def play_to_end(self) -> None:
        """Everything left, as fast as possible."""
        self.speed = None
        self._step, self._step_until = False, None
        self.paused = False

    # --- events --------------------------------------------------------------------------------

    async def events(self) -> AsyncIterator[FeedEvent]:
        import asyncio  # here, not at module level: a headless replay never needs it

        sleep = self._sleep or asyncio.sleep
        yield FeedStatus(FeedState.REPLAY, self.source, time.time(), _describe(self.series))
        previous: float | None = None
        due = self._clock()
        days = SessionDays()
        for count, batch in enumerate(replay_batches(self.series)):
            t = tick_time(batch[0])
            if self._step_until is not None and t >= self._step_until:  # the stepped session is done
                self._step_until, self.paused = None, True
            if self.speed is None or self._step_until is not None:
                if not count % YIELD_EVERY:
                    await asyncio.sleep(0)
            elif previous is not None:
                due += min(t - previous, MAX_GAP) / self.speed
                due = await self._wait(due, sleep)
            # Checked after the pacing wait too: a pause pressed during it holds this batch.
            while self.paused and not self._closed:
                if self._step:  # play this batch's session unpaced, pause at the next one
                    self._step, self.paused = False, False
                    self._step_until = days.lookup(t)[2]
                    break
                await sleep(0.1)
                due = self._clock()
            if self._closed:
                return
            previous = t
            yield batch
        yield FeedStatus(FeedState.ENDED, self.source, time.time(), "end of replay data")

    async def _wait(self, due: float, sleep: Callable[[float], Awaitable[object]]) -> float:
        """Sleep until ``due`` in slices of at most ``MAX_WAIT``; a speed change meanwhile
        rescales what is left of the wait, a pause or a step ends it. Returns the due time."""
        speed = self.speed
        # Counted down by the clock and by the slices asked for: a sleep that returns early
        # (a stand-in that does not wait) still ends the wait.
        left = due - self._clock()
        while not (self.paused or self._closed or self.speed is None):
            if self.speed != speed:
                left *= speed / self.speed
                due = self._clock() + (due - self._clock()) * speed / self.speed
                speed = self.speed
            delay = min(due - self._clock(), left)
            if delay <= 0:
                break
            step = min(delay, MAX_WAIT)
            await sleep(step)
            left -= step
        return due

    async def aclose(self) -> None:
        self._closed = True


def _describe(series_list: Sequence[Series]) -> str:
    return ", ".join(f"{s.symbol} from {s.path.name}" for s in series_list)



def parse_speed(text: str | None) -> float | None:
    """``--speed``: None or 'max' -> None (as fast as possible), else a factor above 0."""
    if text is None or text.strip().lower() == "max":
        return None
    try:
        speed = float(text)
    except ValueError:
        speed = float("nan")
    if not (0 < speed < float("inf")):
        raise UserError(f"--speed: expected 'max' or a number above 0, got {text!r}")
    return speed

