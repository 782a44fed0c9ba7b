"""The live sources registry (monitor.feeds.LIVE_SOURCES, over the catalog
monitor.source_catalog) is the one list the CLI, the config, build_live_feed and the README read;
the fallback feed works with any pair of Feeds."""

from __future__ import annotations

import asyncio
from argparse import Namespace
from collections.abc import AsyncIterator
from pathlib import Path

import monitor.feeds as feeds
from monitor.cli import build_parser
from monitor.config import Config, FeedConfig, check_config_text
from monitor.feeds import BUILDERS, DEFAULT_SOURCE, LIVE_SOURCES, SOURCE_NAMES, LiveSource, build_live_feed
from monitor.feeds.base import Feed
from monitor.feeds.live import Backoff
from monitor.feeds.switching import FallbackFeed
from monitor.model import Tick

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_cli_and_the_config_take_the_source_names_from_the_registry():
    source = next(action for action in build_parser()._actions if action.dest == "source")
    assert tuple(source.choices) == SOURCE_NAMES and SOURCE_NAMES[:2] == ("yahoo-stream", "yahoo-poll")
    assert FeedConfig().source == DEFAULT_SOURCE == "yahoo-stream"
    for name in SOURCE_NAMES:
        config, problems = check_config_text(f'[feed]\nsource = "{name}"\n', "c.toml")
        assert problems == [] and config.feed.source == name
    _, problems = check_config_text('[feed]\nsource = "bogus"\n', "c.toml")
    assert problems == [f"c.toml:2: feed.source: expected one of {', '.join(SOURCE_NAMES)}, got 'bogus'"]


def test_every_catalogued_source_and_no_other_has_a_builder_in_the_catalogs_order():
    assert list(BUILDERS) == list(SOURCE_NAMES)
    assert [(source.name, source.build) for source in LIVE_SOURCES] == [(name, BUILDERS[name]) for name in SOURCE_NAMES]


class Quiet(Feed):
    source = "quiet"

    def __init__(self, inputs=None) -> None:
        self.inputs = inputs

    async def events(self) -> AsyncIterator:
        return
        yield


def test_build_live_feed_builds_the_registered_source(monkeypatch):
    monkeypatch.setattr(feeds, "LIVE_SOURCES", (*LIVE_SOURCES, LiveSource("quiet", Quiet)))
    feed = build_live_feed(Config(), Namespace(source="quiet", stream_url="ws://127.0.0.1:9/"), symbols=["X"])
    assert isinstance(feed, Quiet)
    assert feed.inputs.url == "ws://127.0.0.1:9/" and feed.inputs.symbols == ["X"]


def test_the_readme_sources_table_has_a_row_per_source():
    text = README.read_text(encoding="utf-8")
    table = text.split("| `--source` | what it does | alerts say |", 1)[1].split("\n\n", 1)[0]
    rows = [line.split("|")[1].strip() for line in table.strip().splitlines()[1:]]
    assert [row.split()[0].strip("`") for row in rows if row.startswith("`")] == list(SOURCE_NAMES)


class GivesUp(Feed):
    """A primary that fails to connect at once, every time it is tried."""

    source = "first"

    def __init__(self) -> None:
        self.tried: list[int | None] = []

    def events(self) -> AsyncIterator:
        return self.attempts(None)

    async def attempts(self, give_up_after: int | None) -> AsyncIterator:
        self.tried.append(give_up_after)
        return
        yield


class Ticks(Feed):
    source = "second"

    def __init__(self) -> None:
        self.closed = asyncio.Event()
        self.learned: list = []

    def learn(self, info) -> None:
        self.learned.append(info)

    async def events(self) -> AsyncIterator:
        yield [Tick("X", 1.0, 2.0)]
        await self.closed.wait()

    async def aclose(self) -> None:
        self.closed.set()


async def test_the_fallback_feed_takes_any_two_feeds():
    primary, fallback = GivesUp(), Ticks()
    feed = FallbackFeed(primary, fallback, give_up_after=4, probe_backoff=Backoff(60, 60))
    feed.learn("info")
    events = feed.events()
    assert await asyncio.wait_for(events.__anext__(), 5) == [Tick("X", 1.0, 2.0)]
    assert feed.source == "second" and feed.switches == 1
    assert primary.tried == [4] and fallback.learned == ["info"]
    await feed.aclose()
    await events.aclose()


def test_the_commented_default_config_names_every_source():
    from monitor.config_store import DEFAULT_CONFIG_TEXT

    line = next(line for line in DEFAULT_CONFIG_TEXT.splitlines() if line.startswith("source = "))
    assert line.startswith(f'source = "{DEFAULT_SOURCE}"') and all(f'"{name}"' in line for name in SOURCE_NAMES)
