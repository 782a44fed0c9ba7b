"""Soak test of the stream client: a local Yahoo-style server (in a child process) streams 3
symbols at 20 ticks/s each and drops the TCP connection every 30 s, for at least 10 simulated
minutes (accelerated by --speed). The client is the real ``YahooStreamFeed`` feeding a
``MarketState``.

Reports ticks sent and received (every tick the server sent while connected must arrive: the
server flushes before it drops), reconnects, resident memory at start and end, and CPU.

    python benchmarks/soak_stream.py [--minutes 10] [--speed 10]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import resource
import sys
import time

SYMBOLS = ["^RUT", "^GSPC", "^NDX"]
RATE = 20.0  # ticks per second per symbol (simulated time)
DROP_EVERY = 30.0  # simulated seconds between connection drops
STEP = 0.05  # real seconds between sends


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ------------------------------------------------------------------------------------ server


def serve(port_out, result_out, minutes: float, speed: float) -> None:
    asyncio.run(_serve(port_out, result_out, minutes, speed))


async def _serve(port_out, result_out, minutes: float, speed: float) -> None:
    from websockets.asyncio.server import serve as ws_serve

    from monitor.feeds.yahoo_stream import encode_frame

    sent: list[int] = []  # sequence numbers flushed to a subscribed client
    done = asyncio.Event()
    total_real = minutes * 60.0 / speed
    started = time.monotonic()
    drops = 0
    seq = 0

    async def handler(ws) -> None:
        nonlocal seq, drops
        try:
            await asyncio.wait_for(ws.recv(), 5)  # the subscribe
        except Exception:
            return
        connected_at = time.monotonic()
        rounds = 0  # ticks per symbol sent on this connection
        while not done.is_set():
            due = int((time.monotonic() - connected_at) * RATE * speed)  # exact rate, however slow a step
            count, rounds = due - rounds, due
            batch = []
            for _ in range(count):
                for symbol in SYMBOLS:
                    seq += 1
                    price = 2000.0 + (seq % 1000) / 10.0
                    # The exchange time (ms) carries the sequence number: the client reports it back.
                    batch.append((seq, encode_frame(id=symbol, price=price, time=1_700_000_000_000 + seq)))
            try:
                for number, frame in batch:
                    await ws.send(frame)
                    sent.append(number)
            except Exception:
                return
            if (time.monotonic() - connected_at) * speed >= DROP_EVERY:
                # Flush what was sent, then drop TCP without a close frame.
                while ws.transport.get_write_buffer_size():
                    await asyncio.sleep(0.001)
                await asyncio.sleep(0.01)
                drops += 1
                ws.transport.abort()
                return
            await asyncio.sleep(STEP)

    async with ws_serve(handler, "127.0.0.1", 0, ping_interval=None, max_queue=None) as server:
        port_out.send(server.sockets[0].getsockname()[1])
        await asyncio.sleep(total_real - (time.monotonic() - started))
        done.set()
        await asyncio.sleep(0.5)
    result_out.send((sent, drops))


# ------------------------------------------------------------------------------------ client


async def client(url: str, minutes: float, speed: float, report) -> None:
    from monitor.config import Config
    from monitor.feeds.live import Backoff
    from monitor.feeds.yahoo_stream import YahooStreamFeed
    from monitor.state import MarketState

    class Open:
        def is_open(self, now=None) -> bool:
            return True

    feed = YahooStreamFeed(
        SYMBOLS, url, market=Open(), stale_after=10.0, backoff=Backoff(first=1.0, cap=60.0), ping_interval=None
    )
    state = MarketState(Config(symbols=tuple(SYMBOLS)), "stream")
    # One byte per possible sequence number, allocated up front so the bookkeeping itself does
    # not grow the resident memory being measured.
    received = bytearray(int(len(SYMBOLS) * RATE * minutes * 60 * 1.1) + 1000)
    duplicates = 0
    total_real = minutes * 60.0 / speed
    start = time.monotonic()
    cpu0 = time.process_time()
    report["rss_start"] = rss_mb()
    warm_at = start + min(2 * DROP_EVERY / speed, total_real / 4)  # after the first reconnect

    async def consume() -> None:
        nonlocal duplicates
        async for event in feed.events():
            if isinstance(event, list):
                for tick in event:
                    number = round(tick.time * 1000) - 1_700_000_000_000
                    if received[number]:
                        duplicates += 1
                    received[number] = 1
                state.apply(event)
                if "rss_warm" not in report and time.monotonic() >= warm_at:
                    report["rss_warm"] = rss_mb()

    task = asyncio.create_task(consume())
    await asyncio.sleep(total_real + 1.0)
    await feed.aclose()
    await asyncio.wait_for(task, 5)
    report["rss_end"] = rss_mb()  # before the bookkeeping below allocates anything
    report.update(
        received={i for i, seen in enumerate(received) if seen},
        duplicates=duplicates,
        connects=feed.connects,
        malformed=feed.malformed,
        cpu=time.process_time() - cpu0,
        wall=time.monotonic() - start,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="simulated minutes (default 10)")
    parser.add_argument("--speed", type=float, default=10.0, help="time acceleration (default 10)")
    args = parser.parse_args()

    ctx = mp.get_context("spawn")
    port_recv, port_send = ctx.Pipe(duplex=False)
    result_recv, result_send = ctx.Pipe(duplex=False)
    server = ctx.Process(target=serve, args=(port_send, result_send, args.minutes, args.speed), daemon=True)
    server.start()
    port = port_recv.recv()
    report: dict = {}
    asyncio.run(client(f"ws://127.0.0.1:{port}/?version=2", args.minutes, args.speed, report))
    sent, drops = result_recv.recv()
    server.join(5)

    sent_set = set(sent)
    missing = sent_set - report["received"]
    growth = report["rss_end"] - report.get("rss_warm", report["rss_start"])
    rows = [
        ("simulated time", f"{args.minutes:g} min at {args.speed:g}x ({report['wall']:.1f} s real)"),
        ("ticks sent (while connected)", f"{len(sent_set):,}"),
        ("ticks received", f"{len(report['received']):,}"),
        ("sent but not received", f"{len(missing):,}"),
        ("duplicates", f"{report['duplicates']:,}"),
        ("connection drops (server)", f"{drops}"),
        ("connects (client)", f"{report['connects']} ({report['connects'] - 1} reconnects)"),
        ("malformed frames", f"{report['malformed']}"),
        ("RSS at start / after warm-up / end", f"{report['rss_start']:.1f} / {report.get('rss_warm', float('nan')):.1f} / {report['rss_end']:.1f} MB"),
        ("RSS growth after warm-up", f"{growth:+.2f} MB"),
        ("client CPU", f"{report['cpu']:.2f} s = {100 * report['cpu'] / report['wall']:.1f}% of one core "
                       f"({len(report['received']) / report['wall']:,.0f} ticks/s)"),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"{'measure'.ljust(width)} | value")
    print(f"{'-' * width}-|-{'-' * 40}")
    for name, value in rows:
        print(f"{name.ljust(width)} | {value}")
    # Every drop must be followed by a reconnect (the last drop may end the run).
    ok = not missing and growth <= 5.0 and drops >= 1 and report["connects"] - 1 >= drops - 1
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
