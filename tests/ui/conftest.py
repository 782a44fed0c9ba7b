"""Helpers for the app tests: a feed the test drives tick by tick, a frozen clock, a config file."""

from __future__ import annotations

import asyncio
from datetime import date, time

import pytest

from monitor.config import load_config
from monitor.config_store import DEFAULT_CONFIG_TEXT
from monitor.feeds.base import Feed
from monitor.market_hours import ny_epoch
from monitor.model import FeedState, FeedStatus, Tick

# Tuesday 2026-02-24, 10:00 New York: a regular session, market open.
FROZEN = ny_epoch(date(2026, 2, 24), time(10, 0))


def frozen_clock() -> float:
    return FROZEN


class QueueFeed(Feed):
    """A live-looking feed ("stream") whose events the test pushes with ``put``."""

    source = "stream"

    def __init__(self) -> None:
        self.queue: asyncio.Queue = asyncio.Queue()
        self.closed = False

    async def events(self):
        yield FeedStatus(FeedState.LIVE, self.source, FROZEN)
        while True:
            event = await self.queue.get()
            if event is None:
                return
            if isinstance(event, BaseException):
                raise event
            yield event

    def put(self, event) -> None:
        self.queue.put_nowait(event)

    def tick(self, symbol: str, price: float, at: float = FROZEN) -> None:
        self.put([Tick(symbol, at, price, None, at)])

    async def aclose(self) -> None:
        self.closed = True


@pytest.fixture
def config_file(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(DEFAULT_CONFIG_TEXT, encoding="utf-8")
    return path


@pytest.fixture
def config(config_file):
    return load_config(config_file)


async def drain(pilot, app) -> None:
    """Let the feed worker take everything queued, then repaint."""
    feed = app.feed
    for _ in range(200):
        if getattr(feed, "queue", None) is None or feed.queue.empty():
            break
        await asyncio.sleep(0.005)
    await pilot.pause()
    app.flush()
    await pilot.pause()


@pytest.fixture(autouse=True)
def plain_terminal_env(monkeypatch):
    """Snapshots and colour checks must not depend on the caller's colour settings."""
    for name in ("NO_COLOR", "TEXTUAL_COLOR_SYSTEM", "FORCE_COLOR", "TEXTUAL_THEME"):
        monkeypatch.delenv(name, raising=False)
