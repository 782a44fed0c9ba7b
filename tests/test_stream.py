"""YahooStreamFeed against a real websockets server on 127.0.0.1 speaking Yahoo's frames."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path

import pytest
from fakes.market import FixedMarket
from fakes.stream_server import FakeStreamer, wait_until

from monitor.feeds.live import Backoff
from monitor.feeds.yahoo_stream import MalformedFrame, YahooStreamFeed, decode_frame, encode_frame
from monitor.model import FeedState, FeedStatus, SymbolInfo, Tick

SYMBOLS = ["^RUT", "^GSPC", "^NDX"]


def make_feed(server: FakeStreamer, *, market_open: bool = True, **kwargs) -> YahooStreamFeed:
    options = dict(
        market=FixedMarket(market_open),
        stale_after=5.0,
        heartbeat=5.0,
        backoff=Backoff(first=0.05, cap=0.2),
        open_timeout=2.0,
        healthy_after=5.0,
        ping_interval=None,
    )
    options.update(kwargs)
    return YahooStreamFeed(SYMBOLS, server.url, **options)


class Reader:
    """Pulls a feed's events in the background so the test can wait for particular ones."""

    def __init__(self, feed: YahooStreamFeed, agen=None) -> None:
        self.feed = feed
        self.events: list = []
        self.agen = agen or feed.events()
        self.task = asyncio.create_task(self._pump())
        self.done = False

    async def _pump(self) -> None:
        async for event in self.agen:
            self.events.append(event)
        self.done = True

    def ticks(self) -> list[Tick]:
        return [t for e in self.events if isinstance(e, list) for t in e]

    def statuses(self, state: FeedState | None = None) -> list[FeedStatus]:
        return [e for e in self.events if isinstance(e, FeedStatus) and state in (None, e.state)]

    async def wait_ticks(self, count: int, timeout: float = 5.0) -> list[Tick]:
        await wait_until(lambda: len(self.ticks()) >= count, timeout)
        return self.ticks()

    async def close(self) -> None:
        await self.feed.aclose()
        await asyncio.wait_for(self.task, 5)


@pytest.fixture
async def server():
    async with FakeStreamer() as fake:
        yield fake


async def test_subscribes_and_yields_ticks_with_exchange_and_receive_time(server):
    reader = Reader(make_feed(server))
    await server.wait_subscribed(0)
    assert server.subscribes(0)[0] == SYMBOLS
    sent = await server.send_price("^RUT", 2512.5, when=1_763_740_800.25, short_name="Russell 2000", price_hint=2)
    [tick] = await reader.wait_ticks(1)
    assert tick.symbol == "^RUT" and tick.price == pytest.approx(2512.5)
    assert tick.time == pytest.approx(sent) == pytest.approx(1_763_740_800.25)
    assert tick.received is not None and tick.received > tick.time
    infos = [e for e in reader.events if isinstance(e, SymbolInfo)]
    assert infos == [SymbolInfo("^RUT", "Russell 2000", None, 2)]
    assert reader.statuses(FeedState.LIVE)
    await reader.close()
    assert reader.done


async def test_a_snapshot_while_the_market_is_closed_is_not_live(server):
    """Yahoo re-sends a snapshot on every subscribe, at night too: it says "market closed"."""
    feed = make_feed(server, market=FixedMarket(open_=False))
    reader = Reader(feed)
    await server.wait_subscribed(0)
    await server.send_price("^RUT", 2480.0)
    await reader.wait_ticks(1)
    assert reader.statuses(FeedState.MARKET_CLOSED) and not reader.statuses(FeedState.LIVE)
    await reader.close()


async def test_delayed_symbols_badge_the_status(server):
    feed = make_feed(server)
    feed.learn(SymbolInfo("^RUT", delay_minutes=15))
    reader = Reader(feed)
    await server.wait_subscribed(0)
    await server.send_price("^GSPC", 6700.0)
    await reader.wait_ticks(1)
    [delayed] = reader.statuses(FeedState.DELAYED)
    assert "^RUT 15 min" in delayed.detail
    assert not reader.statuses(FeedState.LIVE)
    await reader.close()


async def test_garbage_frames_are_counted_and_skipped(server):
    feed = make_feed(server)
    reader = Reader(feed)
    await server.wait_subscribed(0)
    garbage = [
        "not json at all",
        json.dumps({"type": "pricing", "message": "%%% not base64 %%%"}),
        json.dumps({"type": "pricing", "message": base64.b64encode(b"\xff\xff\xff\x07junk").decode()}),
        b"\x00\x01binary",
        json.dumps([1, 2, 3]),
    ]
    for frame in garbage:
        await server.send(frame)
    await server.send(json.dumps({"type": "heartbeat"}))  # harmless: not even counted as garbage
    await server.send_price("^NDX", 25000.0)
    ticks = await reader.wait_ticks(1)
    assert [t.symbol for t in ticks] == ["^NDX"]
    assert feed.malformed == len(garbage)
    assert feed.connects == 1  # garbage never cost the connection
    await reader.close()


def test_real_yahoo_frames_decode_in_both_wire_formats():
    """Recorded frames (tests/data/yahoo_stream_frames.json): the v2 JSON envelope, the bare
    base64 of the server without ?version=2, an overnight quote (market_hours 4)."""
    frames = json.loads((Path(__file__).parent / "data" / "yahoo_stream_frames.json").read_text())
    kinds = set()
    for entry in frames:
        text = entry.get("text") or entry.get("b64")
        message = decode_frame(text)
        assert message.id and message.price > 0 and message.time > 1e12, entry["src"]
        kinds.add(entry["kind"])
        expect = entry.get("expect") or {}
        if "time_ms" in expect:
            assert (message.id, message.time) == (expect["id"], expect["time_ms"])
    assert {"v2", "raw"} <= kinds
    overnight = [decode_frame(e.get("text") or e["b64"]) for e in frames]
    assert 4 in {m.market_hours for m in overnight}
    assert decode_frame(json.dumps({"type": "heartbeat"})) is None


def test_decode_frame_rejects_non_pricing_and_roundtrips():
    message = decode_frame(encode_frame(id="^RUT", price=2500.25, time=1_000, market_hours=1))
    assert (message.id, message.time, message.market_hours) == ("^RUT", 1_000, 1)
    with pytest.raises(MalformedFrame):
        decode_frame(encode_frame(id="", price=1.0))
    with pytest.raises(MalformedFrame):
        decode_frame(json.dumps({"type": "pricing"}))


@pytest.mark.parametrize("fault", ["tcp_drop", "clean_close"])
async def test_reconnects_and_resubscribes_after_fault(server, fault):
    feed = make_feed(server)
    reader = Reader(feed)
    await server.wait_subscribed(0)
    await server.send_price("^RUT", 2500.0)
    await reader.wait_ticks(1)
    if fault == "tcp_drop":
        server.drop()
    else:
        await server.close(1000)
    await server.wait_connections(2)
    await server.wait_subscribed(1)
    assert server.subscribes(1)[0] == SYMBOLS
    [retry] = reader.statuses(FeedState.RECONNECTING)
    assert 0 < retry.retry_in <= 0.05
    expected = "dropped" if fault == "tcp_drop" else "code 1000"
    assert expected in retry.detail
    await server.send_price("^RUT", 2501.0)
    ticks = await reader.wait_ticks(2)
    assert ticks[-1].price == pytest.approx(2501.0)
    await reader.close()


async def test_silence_while_open_goes_stale_and_reconnects(server):
    feed = make_feed(server, stale_after=0.3)
    reader = Reader(feed)
    await server.wait_subscribed(0)
    await server.send_price("^RUT", 2500.0)
    await reader.wait_ticks(1)
    await server.wait_connections(2, timeout=5)  # nothing more sent: the watchdog must act
    await server.wait_subscribed(1)
    [stale] = reader.statuses(FeedState.STALE)
    assert "no data" in stale.detail
    await reader.close()


async def test_silence_while_closed_is_not_stale(server):
    feed = make_feed(server, market_open=False, stale_after=0.1)
    reader = Reader(feed)
    await server.wait_subscribed(0)
    await asyncio.sleep(0.5)
    assert len(server.connections) == 1
    assert not reader.statuses(FeedState.STALE)
    assert reader.statuses(FeedState.MARKET_CLOSED)
    await reader.close()


async def test_heartbeat_resends_subscribe(server):
    reader = Reader(make_feed(server, heartbeat=0.05))
    await server.wait_subscribed(0)
    await wait_until(lambda: len(server.subscribes(0)) >= 4)
    assert all(s == SYMBOLS for s in server.subscribes(0))
    await reader.close()


async def test_set_symbols_unsubscribes_removed_ones(server):
    feed = make_feed(server)
    reader = Reader(feed)
    await server.wait_subscribed(0)
    await feed.set_symbols(["^RUT", "RTY=F"])
    await wait_until(lambda: server.unsubscribes())
    assert server.unsubscribes() == [["^GSPC", "^NDX"]]
    await wait_until(lambda: server.subscribes(0)[-1] == ["^RUT", "RTY=F"])
    await server.send_price("^GSPC", 6700.0)  # no longer watched: ignored
    await server.send_price("RTY=F", 2510.0)
    ticks = await reader.wait_ticks(1)
    assert [t.symbol for t in ticks] == ["RTY=F"]
    await reader.close()


async def test_refused_connection_backs_off_and_can_give_up(unused_tcp_port):
    feed = YahooStreamFeed(
        SYMBOLS, f"ws://127.0.0.1:{unused_tcp_port}/", market=FixedMarket(), backoff=Backoff(0.01, 0.02), ping_interval=None
    )
    events = [e async for e in feed.run(give_up_after=3)]
    retries = [e for e in events if isinstance(e, FeedStatus) and e.state is FeedState.RECONNECTING]
    assert len(retries) == 2
    assert all("connect failed" in r.detail for r in retries)
    assert events[-1].state is FeedState.OFFLINE


def test_backoff_first_retry_fast_capped_and_reset():
    backoff = Backoff(first=1.0, cap=60.0, rng=lambda: 1.0)
    delays = [backoff.next() for _ in range(10)]
    assert delays[0] <= 1.0
    assert delays == sorted(delays) and max(delays) == 60.0
    backoff.reset()
    assert backoff.next() <= 1.0
    low = Backoff(first=1.0, cap=60.0, rng=lambda: 0.0)
    assert low.next() == 0.5  # jitter never retries instantly


async def test_falls_back_to_polling_and_returns_to_streaming(unused_tcp_port, tmp_path):
    import yfinance as yf
    from fakes.chart import chart_json, fake_session

    from monitor.feeds.switching import FallbackFeed
    from monitor.feeds.yahoo_poll import YahooPollFeed

    yf.set_tz_cache_location(str(tmp_path / "yf"))
    session, _ = fake_session(lambda r: chart_json(r.symbol, [1_763_740_800], [2400.0]))
    url = f"ws://127.0.0.1:{unused_tcp_port}/"
    stream = YahooStreamFeed(SYMBOLS, url, market=FixedMarket(), backoff=Backoff(0.01, 0.02), ping_interval=None)
    poll = YahooPollFeed(SYMBOLS, 0.05, session=session, market=FixedMarket(), backoff=Backoff(0.05, 0.1))
    feed = FallbackFeed(stream, poll, give_up_after=2, probe_backoff=Backoff(0.2, 0.2))
    reader = Reader(feed)
    try:
        # The poll yields its ticks, then its POLLING status; the fallback feed hands them on
        # loop iterations apart (Python 3.11's wait_for runs the get in a task), so wait for the
        # status, the later of the two: waiting for the ticks raced the status on a loaded machine.
        await wait_until(lambda: reader.statuses(FeedState.POLLING), timeout=30)
        assert feed.source == "poll"
        assert reader.ticks()[0].price == 2400.0
        assert reader.statuses(FeedState.POLLING)[0].source == "poll"
        async with FakeStreamer(unused_tcp_port) as server:
            await server.wait_subscribed(0, timeout=30)
            await server.send_price("^RUT", 2555.0)
            await wait_until(lambda: reader.ticks()[-1].price == pytest.approx(2555.0), timeout=30)
            assert feed.source == "stream" and feed.switches == 2
            polls = poll.polls
            await asyncio.sleep(0.2)
            assert poll.polls == polls  # polling stopped once streaming was back
    finally:
        await reader.close()  # a failed assertion must not leave the feed running (the run hung)


async def test_silent_connections_while_open_count_as_failures(server):
    # Each connection stays up longer than healthy_after but delivers nothing while the market
    # is open: the feed must give up (the fallback feed then polls), not reconnect forever.
    feed = make_feed(server, stale_after=0.2, healthy_after=0.05)
    events = await asyncio.wait_for(_collect(feed.run(give_up_after=2)), 10)
    assert len(server.connections) == 2
    assert [e.state for e in events if isinstance(e, FeedStatus)][-1] is FeedState.OFFLINE


async def test_silence_before_the_open_does_not_count_once_it_opens(server):
    market = FixedMarket(open_=False)
    feed = make_feed(server, market=market, stale_after=0.5, heartbeat=0.05)  # the feed looks every 0.05 s
    reader = Reader(feed)
    await server.wait_subscribed(0)
    await asyncio.sleep(0.8)  # quiet longer than stale_after, but the market was closed
    market.open = True
    await wait_until(lambda: market.seen_open >= 2)  # the feed has looked at the open market
    assert not reader.statuses(FeedState.STALE) and len(server.connections) == 1
    await wait_until(lambda: reader.statuses(FeedState.STALE), timeout=5)  # silence while open
    await reader.close()


async def _collect(agen) -> list:
    return [event async for event in agen]


async def test_probes_of_the_stream_back_off_from_the_first_and_reset_once_it_is_back(unused_tcp_port, tmp_path):
    """While polling, the stream is probed soon at first (a short outage is back on the stream
    quickly), then less and less often up to the cap; once back, the next outage starts over."""
    from monitor.feeds.switching import PROBE_CAP, PROBE_FIRST, FallbackFeed
    from monitor.feeds.yahoo_poll import YahooPollFeed

    assert (PROBE_FIRST, PROBE_CAP) == (15.0, 300.0)
    url = f"ws://127.0.0.1:{unused_tcp_port}/"
    stream = YahooStreamFeed(SYMBOLS, url, market=FixedMarket(), backoff=Backoff(0.01, 0.02), ping_interval=None)
    poll = YahooPollFeed(SYMBOLS, 5.0, market=FixedMarket(), download=lambda symbols: None)
    feed = FallbackFeed(stream, poll, give_up_after=2, probe_backoff=Backoff(0.1, 0.4, rng=lambda: 1.0))
    reader = Reader(feed)
    await wait_until(lambda: len(feed.probes) >= 5, timeout=10)
    gaps = [round(b - a, 1) for a, b in zip(feed.probes, feed.probes[1:])]
    assert gaps[:4] == [0.2, 0.4, 0.4, 0.4]  # 0.1 to the first probe, then doubling, capped
    async with FakeStreamer(unused_tcp_port) as server:
        await server.wait_subscribed(0, timeout=10)
        await server.send_price("^RUT", 2555.0)
        await wait_until(lambda: feed.source == "stream")
        assert feed.probe_backoff.attempt == 0  # reset: the next outage probes early again
    await reader.close()


async def test_a_connection_that_gives_a_tick_and_dies_does_not_reset_the_backoff(server):
    """Only a connection that stayed up healthy_after seconds resets the backoff: one tick and a
    drop, again and again, must wait longer each time (was: 34 reconnects in 40 s)."""
    feed = make_feed(server, backoff=Backoff(first=0.05, cap=1.0, rng=lambda: 1.0), healthy_after=5.0)
    reader = Reader(feed)
    for connection in range(3):
        await server.wait_connections(connection + 1)
        await server.wait_subscribed(connection)
        await server.send_price("^RUT", 2480.0 + connection)
        await reader.wait_ticks(connection + 1)
        server.drop()
    await wait_until(lambda: len(reader.statuses(FeedState.RECONNECTING)) >= 3)
    waits = [s.retry_in for s in reader.statuses(FeedState.RECONNECTING)][:3]
    assert waits == [0.05, 0.1, 0.2]
    await reader.close()


async def test_a_frame_over_the_size_limit_says_so(server):
    reader = Reader(make_feed(server))
    await server.wait_subscribed(0)
    await server.send("x" * (2**20 + 10))
    await wait_until(lambda: reader.statuses(FeedState.RECONNECTING))
    assert "size limit" in reader.statuses(FeedState.RECONNECTING)[0].detail
    await server.wait_subscribed(1)  # and the feed goes on
    await reader.close()


async def test_a_text_frame_that_is_not_utf8_says_so(server):
    """The client closes such a connection (code 1007); the reason shown used to be
    'connection dropped (no close frame)', which blames the network."""
    reader = Reader(make_feed(server))
    await server.wait_subscribed(0)
    await server.current.send(b"\xff\xfe{bad", text=True)
    await wait_until(lambda: reader.statuses(FeedState.RECONNECTING))
    assert "not UTF-8" in reader.statuses(FeedState.RECONNECTING)[0].detail
    await server.wait_subscribed(1)  # and the feed goes on
    await reader.close()
