"""YahooPollFeed through yfinance's session= seam: recorded-shape chart JSON, 429s, empty answers."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
import yfinance as yf
from fakes.chart import chart_json, empty_chart, fake_session
from fakes.market import FixedMarket
from fakes.stream_server import wait_until

from monitor.feeds.live import Backoff
from monitor.feeds.yahoo_poll import YahooPollFeed
from monitor.model import NEW_YORK, FeedState, FeedStatus

BAR0 = int(datetime(2026, 11, 20, 15, 0, tzinfo=NEW_YORK).timestamp())  # a Friday afternoon
SYMBOLS = ["^RUT", "^GSPC"]


@pytest.fixture(autouse=True)
def yf_caches(tmp_path):
    yf.set_tz_cache_location(str(tmp_path / "yf"))


class Script:
    """Chart answers per poll (yfinance retries a 4xx once, so count polls, not requests): a
    list of callables (request -> answer); the last one repeats."""

    def __init__(self, *steps) -> None:
        self.steps = list(steps)
        self.feed = None

    def __call__(self, request):
        if request.params.get("interval") == "1d":  # yfinance's timezone lookup
            return chart_json(request.symbol, [BAR0], [1.0], granularity="1d")
        step = self.steps[min(self.feed.polls, len(self.steps)) - 1]
        return step(request)


def bars(*closes, start=BAR0):
    def answer(request):
        scale = 1.0 if request.symbol == "^RUT" else 2.0
        stamps = [start + 60 * i for i in range(len(closes))]
        return chart_json(request.symbol, stamps, [c * scale for c in closes])

    return answer


def make_feed(script, *, market_open=True, **kwargs):
    session, adapter = fake_session(script)
    interval = kwargs.pop("interval", 0.05)
    options = dict(session=session, market=FixedMarket(market_open), backoff=Backoff(0.05, 0.2), closed_interval=30.0)
    options.update(kwargs)
    script.feed = YahooPollFeed(SYMBOLS, interval, **options)
    return script.feed, adapter


async def collect(feed, until, timeout=10.0):
    events = []

    async def pump():
        async for event in feed.events():
            events.append(event)
            if until(events):
                await feed.aclose()

    await asyncio.wait_for(pump(), timeout)
    return events


def ticks_of(events):
    return [t for e in events if isinstance(e, list) for t in e]


def statuses(events, state=None):
    return [e for e in events if isinstance(e, FeedStatus) and state in (None, e.state)]


async def test_polls_take_last_bars_and_emit_only_new_or_revised():
    script = Script(bars(100.0, 101.0), bars(100.0, 101.0), bars(100.0, 101.5), bars(100.0, 101.5, 102.0))
    feed, adapter = make_feed(script)
    events = await collect(feed, lambda ev: feed.polls >= 4)
    ticks = [t for t in ticks_of(events) if t.symbol == "^RUT"]
    assert [t.price for t in ticks] == [100.0, 101.0, 101.5, 102.0]
    assert [t.time for t in ticks] == [BAR0 + 59, BAR0 + 119, BAR0 + 119, BAR0 + 179]
    assert all(t.received >= t.time for t in ticks)
    assert [t.price for t in ticks_of(events) if t.symbol == "^GSPC"] == [200.0, 202.0, 203.0, 204.0]
    assert statuses(events, FeedState.POLLING)
    assert {r.params["range"] for r in adapter.chart_requests() if r.params["interval"] == "1m"} == {"1d"}


async def test_rate_limit_backs_off_then_recovers(capfd):
    script = Script(lambda r: 429, lambda r: 429, bars(100.0))
    feed, _ = make_feed(script)
    events = await collect(feed, lambda ev: bool(ticks_of(ev)))
    retries = statuses(events, FeedState.RECONNECTING)
    assert len(retries) == 2
    assert all("rate limited" in r.detail for r in retries)
    assert retries[1].retry_in > retries[0].retry_in
    assert ticks_of(events)[0].price == 100.0
    assert statuses(events)[-1].state is FeedState.POLLING
    err = capfd.readouterr().err
    assert "Failed download" not in err and "RateLimit" not in err  # yfinance's log kept quiet


async def test_empty_answers_back_off():
    script = Script(lambda r: empty_chart(r.symbol), bars(100.0))
    feed, _ = make_feed(script)
    events = await collect(feed, lambda ev: bool(ticks_of(ev)))
    [retry] = statuses(events, FeedState.RECONNECTING)
    assert retry.detail.startswith("no data from Yahoo") and retry.retry_in > 0
    assert feed.failed_polls == 1


async def test_closed_market_polls_slowly():
    script = Script(bars(100.0))
    feed, adapter = make_feed(script, market_open=False, closed_interval=30.0)
    events = await collect(feed, lambda ev: bool(statuses(ev, FeedState.MARKET_CLOSED)))
    assert "every 30 s" in statuses(events, FeedState.MARKET_CLOSED)[0].detail
    assert feed.polls == 1


async def test_set_symbols_polls_new_list_at_once():
    script = Script(bars(100.0))
    feed, adapter = make_feed(script, interval=30.0, closed_interval=30.0)
    task = asyncio.create_task(collect(feed, lambda ev: "^NDX" in {t.symbol for t in ticks_of(ev)}))
    await wait_until(lambda: feed.polls >= 1)
    await feed.set_symbols(["^NDX"])
    events = await asyncio.wait_for(task, 10)
    assert ticks_of(events)[-1].symbol == "^NDX"


async def test_unreachable_network_says_so_not_delisted():
    import requests

    def no_dns(request):
        raise requests.exceptions.ConnectionError(
            "Failed to resolve 'query2.finance.yahoo.com' ([Errno -2] Name or service not known)"
        )

    script = Script(no_dns, bars(100.0))
    feed, _ = make_feed(script)
    events = await collect(feed, lambda ev: bool(ticks_of(ev)))
    [retry] = statuses(events, FeedState.RECONNECTING)
    assert retry.detail == "network unreachable: cannot resolve query2.finance.yahoo.com"
    assert ticks_of(events)[0].price == 100.0


def test_failure_reason_prefers_the_network_cause_over_yfinance_last_words():
    from monitor.feeds.yahoo_poll import _failure_reason

    curl = "Failed to get ticker '^RUT' reason: Failed to perform, curl: (6) Could not resolve host: query2.finance.yahoo.com."
    delisted = "$^NDX: possibly delisted; no price data found  (period=1d)"
    assert _failure_reason(None, [curl, delisted]) == "network unreachable: cannot resolve query2.finance.yahoo.com"
    assert _failure_reason(None, [delisted]).startswith("no data from Yahoo")
    assert _failure_reason(None, ["curl: (28) Connection timed out after 10001 ms"]) == "cannot connect (timed out)"
    assert _failure_reason(None, ["Too Many Requests", curl]) == "rate limited by Yahoo"


async def test_a_hung_download_times_out_and_is_not_started_twice():
    import threading

    release = threading.Event()
    calls = []

    def hangs(symbols):
        calls.append(symbols)
        release.wait(10)
        raise ConnectionError("released at the end of the test")

    feed = YahooPollFeed(SYMBOLS, 0.05, market=FixedMarket(), backoff=Backoff(0.05, 0.1), download=hangs, download_timeout=0.1)
    try:
        events = await collect(feed, lambda ev: len(statuses(ev, FeedState.RECONNECTING)) >= 2)
    finally:
        release.set()
    retries = statuses(events, FeedState.RECONNECTING)
    assert all("no answer from Yahoo in 0.1 s" in r.detail for r in retries)
    assert feed.polls >= 2 and len(calls) == 1  # the second poll waited for the same thread
