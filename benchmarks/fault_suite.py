"""Fault suite: each attack of issue 8 against the real live path, on 127.0.0.1 only.

A local Yahoo-style streamer (tests/fakes/stream_server.py) feeds the real ``YahooStreamFeed``
into the headless front-end of ``LiveSession`` (door, state, delivery), with an injected clock
set to a regular session (Tue 2026-02-24 10:00 New York) so the result never depends on when it
runs. After each attack a canary (a print crossing the 2,500 level) must still fire: an attack
that silences a symbol shows up as a missing alert. Process attacks run the real
``market-monitor --headless`` in a child process.

    python benchmarks/fault_suite.py

Prints one table: attack | survived | alerts expected/got | notes.
"""

from __future__ import annotations

import asyncio
import io
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the local stand-ins (fakes)

from fakes.market import FixedMarket  # noqa: E402
from fakes.stream_server import FakeStreamer, wait_until  # noqa: E402

from monitor.config import Config, Level  # noqa: E402
from monitor.delivery import Delivery  # noqa: E402
from monitor.feeds.live import Backoff  # noqa: E402
from monitor.feeds.yahoo_stream import YahooStreamFeed, encode_frame  # noqa: E402
from monitor.market_hours import ny_epoch  # noqa: E402
from monitor.runner import LiveRunner  # noqa: E402

OPEN = ny_epoch(__import__("datetime").date(2026, 2, 24), __import__("datetime").time(10, 0))
MS = int(OPEN * 1000)
CONFIG = Config(symbols=("^RUT",), levels=(Level("^RUT", 2500.0, "support"),))
ESCAPES = "\x1b]52;c;SGVsbG8=\x07\x1b]2;pwned\x07"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Run:
    """One headless session on a fresh streamer; ``alerts`` and ``log`` are what it printed."""

    def __init__(self, server: FakeStreamer, *, market_open: bool = True, config: Config = CONFIG, **feed_args) -> None:
        self.clock = Clock(OPEN)
        self.market = FixedMarket(market_open)
        self.feed = YahooStreamFeed(
            list(config.symbols), server.url, clock=self.clock, market=self.market,
            backoff=feed_args.pop("backoff", Backoff(0.05, 0.2)), ping_interval=None, **feed_args,
        )
        self.out, self.err = io.StringIO(), io.StringIO()
        self.runner = LiveRunner(
            config, self.feed, Delivery(config, sinks=[]), out=self.out, err=self.err, clock=self.clock, market=self.market
        )
        self.task = asyncio.create_task(self.runner.run())

    @property
    def alerts(self) -> list[dict]:
        return [json.loads(line) for line in self.out.getvalue().splitlines()]

    async def stop(self) -> bool:
        """True when the run was still alive and ended cleanly (exit 0, no traceback)."""
        alive = not self.task.done()
        self.runner.stop.set()
        try:
            code = await asyncio.wait_for(self.task, 5)
        except Exception:
            return False
        return alive and code == 0


async def canary(server: FakeStreamer, run: Run, at: float, count: int) -> None:
    """Below, then above the 2,500 level: one level_cross up must follow."""
    await server.send(encode_frame(id="^RUT", price=2490.0, time=int(at * 1000)))
    await server.send(encode_frame(id="^RUT", price=2530.0, time=int(at * 1000) + 1000))
    try:
        await wait_until(lambda: len(run.alerts) >= count, 2.0)
    except AssertionError:
        pass


def said(run: Run, *words: str) -> str:
    log = run.err.getvalue()
    return "; ".join(f"{w!r} said {log.count(w)}x" for w in words)


# ------------------------------------------------------------------------------------ attacks


async def frames_attack(name: str, frames: list, notes, expected: int = 1, **run_args) -> tuple:
    async with FakeStreamer() as server:
        run = Run(server, **run_args)
        await server.wait_subscribed(0)
        for frame in frames:
            await server.send(frame)
        await asyncio.sleep(0.1)
        await canary(server, run, OPEN + 60, expected)
        await asyncio.sleep(0.1)
        got = len(run.alerts)
        note = notes(run)
        ok = await run.stop()
    return name, ok, expected, got, note


async def attack_time_overflow():
    frames = [encode_frame(id="^RUT", price=2600.0, time=2**62)] * 3
    return await frames_attack("frame stamped 2**62 ms (x3)", frames, lambda r: said(r, "time not representable"))


async def attack_day_ahead():
    frames = [encode_frame(id="^RUT", price=2600.0, time=MS + 86_400_000)]
    return await frames_attack("frame stamped a day ahead", frames, lambda r: said(r, "5 min ahead"))


async def attack_stale_snapshot():
    async with FakeStreamer() as server:
        run = Run(server)
        run.clock.now = OPEN + 305
        await server.wait_subscribed(0)
        await canary(server, run, OPEN + 300, 1)  # 10:05: 2490 then 2530, up
        await server.send(encode_frame(id="^RUT", price=2400.0, time=MS + 60_000))  # a 10:01 snapshot
        await asyncio.sleep(0.2)
        got = len(run.alerts)
        note = f"last stays {run.runner.state.symbols['^RUT'].last:g}; " + said(run, "stale snapshot")
        ok = await run.stop()
    return "10:01 snapshot re-sent after a 10:05 print", ok, 1, got, note


async def attack_escape_name():
    frames = [encode_frame(id="^RUT", price=2480.0, time=MS, short_name=f"Russell{ESCAPES} 2000")]

    def notes(run: Run) -> str:
        name = run.runner.session.infos.get("^RUT")
        escapes = run.err.getvalue().count("\x1b") + run.out.getvalue().count("\x1b")
        return f"name {name.name if name else '?'!r}; escapes written: {escapes}"

    return await frames_attack("OSC 52 / OSC 2 in the stream's short_name", frames, notes)


async def attack_float32_edge():
    async with FakeStreamer() as server:
        run = Run(server)
        await server.wait_subscribed(0)
        await server.send(encode_frame(id="^RUT", price=2490.0, time=MS))
        await server.send(encode_frame(id="^RUT", price=2512.8, time=MS + 1000))  # 2512.800048828125 on the wire
        try:
            await wait_until(lambda: run.alerts, 2.0)
        except AssertionError:
            pass
        prices = [a["price"] for a in run.alerts]
        ok = await run.stop()
    return "float32 price on the wire", ok, 1, len(prices), f"alert price {prices[0] if prices else '-'} in JSON"


async def attack_lower_case_config():
    config = Config(symbols=("^rut",), levels=(Level("^RUT", 2500.0, "support"),))
    from monitor.config import load_config

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.toml"
        path.write_text('symbols = ["^rut"]\n[[levels]]\nsymbol = "^rut"\nprice = 2500\nlabel = "support"\n')
        config = load_config(path)
    async with FakeStreamer() as server:
        run = Run(server, config=config)
        await server.wait_subscribed(0)
        await canary(server, run, OPEN, 1)
        got = len(run.alerts)
        note = f"subscribed {server.subscribes(0)[0]}"
        ok = await run.stop()
    return "config says ^rut", ok, 1, got, note


async def attack_bare_base64():
    async with FakeStreamer() as server:
        run = Run(server)
        await server.wait_subscribed(0)
        for price, ms in ((2490.0, MS), (2530.0, MS + 1000)):
            await server.send(json.loads(encode_frame(id="^RUT", price=price, time=ms))["message"])
        try:
            await wait_until(lambda: run.alerts, 2.0)
        except AssertionError:
            pass
        got = len(run.alerts)
        ok = await run.stop()
    return "bare base64 frames (no ?version=2)", ok, 1, got, f"malformed: {run.feed.malformed}"


async def attack_harmless_frames():
    frames = [
        encode_frame(id="^RUT", price=2480.0, time=MS, market_hours=4),  # overnight
        json.dumps({"type": "heartbeat"}),
        json.dumps({"type": "pricing"}),
        "not json, not base64 %%%",
        b"\x00\x01\x02",
    ]
    return await frames_attack(
        "market_hours 4, heartbeat, garbage", frames, lambda r: f"malformed counted: {r.feed.malformed}, connects: {r.feed.connects}"
    )


async def attack_bad_prices():
    frames = [encode_frame(id="^RUT", price=p, time=MS) for p in (math.nan, math.inf, 1.4e-45, 0.0, -2500.0)]
    return await frames_attack("price NaN, inf, 1.4e-45, 0, negative", frames, lambda r: said(r, "price not a positive"))


async def attack_no_time_closed():
    async with FakeStreamer() as server:
        run = Run(server, market_open=False)
        await server.wait_subscribed(0)
        await server.send(encode_frame(id="^RUT", price=2530.0, time=0))
        await asyncio.sleep(0.2)
        got = len(run.alerts)
        note = f"{said(run, 'no time while the market is closed')}; status: {run.runner.session.feed_status.label if run.runner.session.feed_status else '-'}"
        ok = await run.stop()
    return "frame without time, market closed", ok, 0, got, note


async def attack_snapshot_while_closed():
    async with FakeStreamer() as server:
        run = Run(server, market_open=False)
        await server.wait_subscribed(0)
        await server.send(encode_frame(id="^RUT", price=2480.0, time=MS))
        await asyncio.sleep(0.3)
        log = run.err.getvalue()
        ok = await run.stop()
    note = f"'stream: live' said {log.count('stream: live')}x, 'market closed' {log.count('market closed')}x"
    return "snapshot while the market is closed", ok, 0, 0, note


async def attack_oversized_frame():
    async with FakeStreamer() as server:
        run = Run(server)
        await server.wait_subscribed(0)
        await server.send("x" * (2**20 + 10))
        await server.wait_connections(2, 5)
        await server.wait_subscribed(1)
        await canary(server, run, OPEN + 60, 1)
        got = len(run.alerts)
        note = "reason: " + ("size limit" if "size limit" in run.err.getvalue() else "NOT SAID")
        ok = await run.stop()
    return "frame over 1 MiB", ok, 1, got, note


async def attack_flapping():
    """One tick then a dropped connection, again and again: the backoff must grow."""
    async with FakeStreamer() as server:
        run = Run(server, backoff=Backoff(0.05, 1.0), healthy_after=60.0)
        start = time.monotonic()
        seen = 0
        while time.monotonic() - start < 3.0:
            try:
                await server.wait_connections(seen + 1, 3.0 - (time.monotonic() - start))
                await server.wait_subscribed(seen)
            except AssertionError:
                break
            seen += 1
            await server.send(encode_frame(id="^RUT", price=2480.0, time=MS + seen * 1000))
            await asyncio.sleep(0.02)
            server.drop()
        ok = await run.stop()
    return "one tick, then drop (3 s)", ok, 0, len(run.alerts), f"{seen} connections in 3 s (backoff 0.05 s doubling to 1 s, never reset)"


async def attack_outage():
    """A 30 s outage, at 1/10 scale (stream backoff, probe backoff and outage all divided by
    10): the stream gives up, the monitor polls, and must be back on the stream within a
    (scaled) minute of the server's return."""
    from monitor.feeds.switching import PROBE_CAP, PROBE_FIRST, FallbackFeed
    from monitor.feeds.yahoo_poll import YahooPollFeed

    scale = 10.0
    async with FakeStreamer() as first:
        port = first.port
        stream = YahooStreamFeed(["^RUT"], first.url, market=FixedMarket(), backoff=Backoff(0.1, 6.0), ping_interval=None)
        poll = YahooPollFeed(["^RUT"], 1.5, market=FixedMarket(), download=lambda symbols: None)
        feed = FallbackFeed(stream, poll, probe_backoff=Backoff(PROBE_FIRST / scale, PROBE_CAP / scale))
        events: list = []

        async def pump():
            async for event in feed.events():
                events.append(event)

        task = asyncio.create_task(pump())
        await first.wait_subscribed(0)
        await first.send(encode_frame(id="^RUT", price=2480.0, time=MS))
        first.drop()
    down = time.monotonic()
    await wait_until(lambda: feed.source == "poll", 10)
    await asyncio.sleep(max(0.0, 30 / scale - (time.monotonic() - down)))
    async with FakeStreamer(port) as again:
        back = time.monotonic()
        await again.wait_subscribed(0, 60 / scale + 5)
        await again.send(encode_frame(id="^RUT", price=2490.0, time=MS + 1000))
        try:
            await wait_until(lambda: feed.source == "stream", 5)
        except AssertionError:
            pass
        took = (time.monotonic() - back) * scale
        on_stream = feed.source == "stream"
        await feed.aclose()
        await asyncio.wait_for(task, 5)
    note = f"back on the stream {took:.0f} s (scaled) after the server returned; {len(feed.probes)} probe(s)"
    return "30 s outage (at 1/10 scale)", on_stream and took <= 60, 0, 0, note


# ------------------------------------------------------------------------------------ processes


def headless(args: list[str], config: Path, **popen) -> subprocess.Popen:
    exe = Path(sys.executable).with_name("market-monitor")
    env = dict(os.environ, MARKET_MONITOR_BACKFILL="off", PYTHONUNBUFFERED="1")
    return subprocess.Popen([str(exe), "--headless", "--config", str(config), *args], env=env, **popen)


async def attack_signal(sig: int, name: str):
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "config.toml"
        config.write_text('symbols = ["^RUT"]\n')
        async with FakeStreamer() as server:
            proc = headless(["--stream-url", server.url], config, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            try:
                await server.wait_subscribed(0, timeout=30)
                proc.send_signal(sig)
                for _ in range(100):
                    if proc.poll() is not None:
                        break
                    await asyncio.sleep(0.1)
            finally:
                if proc.poll() is None:
                    proc.kill()
            err = proc.stderr.read().decode()
    ok = proc.returncode == 0 and "stopped" in err and "Traceback" not in err
    return f"--headless gets {name}", ok, 0, 0, f"exit {proc.returncode}, 'stopped' line: {'stopped' in err}"


async def attack_closed_stdout():
    exe = Path(sys.executable).with_name("market-monitor")
    env = dict(os.environ, MARKET_MONITOR_BACKFILL="off")
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "config.toml"
        config.write_text('symbols = ["^RUT"]\n')
        shell = subprocess.run(
            f"'{exe}' --headless --config '{config}' --stream-url ws://127.0.0.1:9/ >&-",
            shell=True, capture_output=True, text=True, env=env, timeout=60,
        )
    err = shell.stderr.strip().splitlines()
    ok = shell.returncode == 2 and len(err) == 1 and "Traceback" not in shell.stderr
    return "--headless >&- (stdout closed)", ok, 0, 0, f"exit {shell.returncode}: {err[-1][:60] if err else ''}"


async def attack_credentials_in_url():
    async with FakeStreamer() as server:
        url = server.url.replace("ws://", "ws://user:s3cret@")
        run = Run(server)
        run.feed.url = url
        await server.wait_subscribed(0)
        await canary(server, run, OPEN, 1)
        got = len(run.alerts)
        ok = await run.stop()
    shown = run.err.getvalue().count("s3cret")
    return "credentials in --stream-url", ok, 1, got, f"password printed {shown}x"


ATTACKS = [
    attack_time_overflow, attack_day_ahead, attack_stale_snapshot, attack_escape_name, attack_float32_edge,
    attack_lower_case_config, attack_bare_base64, attack_harmless_frames, attack_bad_prices, attack_no_time_closed,
    attack_snapshot_while_closed, attack_oversized_frame, attack_flapping, attack_outage, attack_credentials_in_url,
    lambda: attack_signal(signal.SIGTERM, "SIGTERM"), lambda: attack_signal(signal.SIGHUP, "SIGHUP"),
    attack_closed_stdout,
]


async def main() -> None:
    import logging

    logging.getLogger("monitor").addHandler(logging.NullHandler())  # the table is the report
    logging.getLogger("monitor").propagate = False
    rows = []
    for attack in ATTACKS:
        try:
            rows.append(await attack())
        except Exception as exc:  # the suite reports, never stops
            rows.append((getattr(attack, "__name__", "attack"), False, "-", "-", f"suite error: {type(exc).__name__}: {exc}"))
    width = max(len(r[0]) for r in rows)
    print(f"{'attack':<{width}} | survived | alerts expected/got | notes")
    print(f"{'-' * width}-|----------|---------------------|------")
    for name, ok, expected, got, note in rows:
        print(f"{name:<{width}} | {'yes' if ok else 'NO':<8} | {f'{expected}/{got}':<19} | {note}")


if __name__ == "__main__":
    asyncio.run(main())
