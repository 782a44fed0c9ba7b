"""A websockets server on 127.0.0.1 that speaks Yahoo's streamer frames and can be told to
misbehave: drop TCP, close cleanly, send garbage, go silent."""

from __future__ import annotations

import asyncio
import json
import time

from websockets.asyncio.server import serve

from monitor.feeds.yahoo_stream import encode_frame

# How long a test waits for something that must happen: it costs nothing when it happens, and
# a loaded 2-core CI can take seconds to run a client that is idle in a minute's test run.
WAIT = 15.0


class FakeStreamer:
    def __init__(self, port: int = 0) -> None:
        self.connections: list = []  # every accepted connection, in order
        self.received: list[tuple[int, dict]] = []  # (connection index, client message)
        self.server = None
        self.port = port

    async def __aenter__(self) -> "FakeStreamer":
        self.server = await serve(self._handler, "127.0.0.1", self.port, ping_interval=None)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc) -> None:
        self.server.close()
        for ws in self.connections:
            if ws.transport is not None:
                ws.transport.abort()
        await asyncio.wait_for(self.server.wait_closed(), 5)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/?version=2"

    async def _handler(self, ws) -> None:
        index = len(self.connections)
        self.connections.append(ws)
        try:
            async for message in ws:
                try:
                    self.received.append((index, json.loads(message)))
                except ValueError:
                    self.received.append((index, {"raw": message}))
        except Exception:
            pass

    # ------------------------------------------------------------------ what the client said

    def subscribes(self, connection: int | None = None) -> list[list[str]]:
        return [m["subscribe"] for i, m in self.received if "subscribe" in m and connection in (None, i)]

    def unsubscribes(self) -> list[list[str]]:
        return [m["unsubscribe"] for _, m in self.received if "unsubscribe" in m]

    async def wait_connections(self, count: int, timeout: float = WAIT) -> None:
        await wait_until(lambda: len(self.connections) >= count, timeout)

    async def wait_subscribed(self, connection: int, timeout: float = WAIT) -> None:
        await wait_until(lambda: self.subscribes(connection), timeout)

    # ------------------------------------------------------------------ what the server does

    @property
    def current(self):
        return self.connections[-1]

    async def send(self, frame: str | bytes) -> None:
        await self.current.send(frame)

    async def send_price(self, symbol: str, price: float, when: float | None = None, **fields) -> float:
        """One pricing frame; returns the exchange time (seconds) it carried."""
        when = time.time() if when is None else when
        await self.send(encode_frame(id=symbol, price=price, time=int(when * 1000), **fields))
        return int(when * 1000) / 1000.0

    def drop(self) -> None:
        """Abort the TCP connection: no close frame (the client sees 1006)."""
        self.current.transport.abort()

    async def close(self, code: int = 1000) -> None:
        await self.current.close(code)


async def wait_until(predicate, timeout: float = WAIT, step: float = 0.01) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(step)
