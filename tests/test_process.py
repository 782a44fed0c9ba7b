"""A real ``market-monitor --headless`` process: SIGHUP ends it like SIGTERM, a closed stdout is
refused at start, and credentials in ``--stream-url`` never reach its output."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from fakes.market import FixedMarket
from fakes.stream_server import FakeStreamer

from monitor.feeds.live import Backoff
from monitor.feeds.yahoo_stream import YahooStreamFeed
from monitor.model import FeedStatus

EXE = Path(sys.executable).with_name("market-monitor")
SECRET = "hunter2pass"


def _env() -> dict:
    return dict(os.environ, MARKET_MONITOR_BACKFILL="off", PYTHONUNBUFFERED="1")


def _config(tmp_path: Path) -> Path:
    config = tmp_path / "config.toml"
    config.write_text('symbols = ["^RUT"]\n')
    return config


def test_headless_sighup_stops_like_sigterm_and_masks_stream_credentials(tmp_path):
    async def scenario():
        async with FakeStreamer() as server:
            url = server.url.replace("ws://", f"ws://alice:{SECRET}@")
            proc = await asyncio.create_subprocess_exec(
                str(EXE), "--headless", "--source", "yahoo-stream", "--stream-url", url, "--config", str(_config(tmp_path)),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(),
            )
            try:
                await server.wait_subscribed(0, timeout=20)
                await server.send_price("^RUT", 2480.0)
                await asyncio.sleep(0.3)
                proc.send_signal(signal.SIGHUP)
                code = await asyncio.wait_for(proc.wait(), 10)
            finally:
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()
            return code, (await proc.stderr.read()).decode()

    code, err = asyncio.run(scenario())
    assert code == 0, err
    assert "stopped: 0 alert(s) delivered" in err
    assert "***@127.0.0.1" in err  # the connecting line names the server...
    assert SECRET not in err and "alice" not in err  # ...without its credentials


def test_headless_with_closed_stdout_is_a_one_line_error_at_start(tmp_path):
    proc = subprocess.run(
        [str(EXE), "--headless", "--stream-url", "ws://127.0.0.1:9/", "--config", str(_config(tmp_path))],
        stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_env(), timeout=30,
        preexec_fn=lambda: os.close(1),  # as `market-monitor --headless >&-`
    )
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert err.count("\n") == 1 and "stdout" in err and "closed" in err
    assert "Traceback" not in err


def test_bad_stream_url_is_refused_without_its_credentials():
    from argparse import Namespace

    import pytest

    from monitor.config import Config
    from monitor.errors import UserError
    from monitor.feeds import build_live_feed

    with pytest.raises(UserError) as caught:
        build_live_feed(Config(), Namespace(source=None, stream_url=f"https://bob:{SECRET}@example.org/"))
    assert SECRET not in str(caught.value) and "***@example.org" in str(caught.value)


async def test_connect_failure_does_not_print_the_stream_credentials():
    # No host: websockets refuses the URI and its message repeats it.
    feed = YahooStreamFeed(["^RUT"], f"ws://bob:{SECRET}@/quotes", market=FixedMarket(), backoff=Backoff(0.01, 0.02))
    statuses = []
    events = feed.events()
    try:
        async for event in events:
            if isinstance(event, FeedStatus):
                statuses.append(event.describe())
            if any("connect failed" in text or "reconnect" in text for text in statuses[1:]):
                break
    finally:
        await feed.aclose()
        await events.aclose()
    text = " | ".join(statuses)
    assert "isn't a valid URI" in text and "ws://***@/quotes" in text, text
    assert SECRET not in text and "bob" not in text, text


def test_config_show_masks_stream_url_credentials():
    from dataclasses import replace

    from monitor.config import Config
    from monitor.config_store import config_to_toml

    config = Config()
    config = replace(config, feed=replace(config.feed, stream_url=f"wss://alice:{SECRET}@stream.example.org/?version=2"))
    shown = config_to_toml(config)
    assert 'stream_url = "wss://***@stream.example.org/?version=2"' in shown and SECRET not in shown


def test_stream_url_with_a_bad_port_or_host_is_refused_at_start_without_its_credentials(tmp_path):
    # They pass a ws:// prefix test, then failed inside the feed at every connect ("primary feed
    # failed", no reason, polling forever) instead of a one-line error at start.
    from argparse import Namespace

    import pytest

    from monitor.config import Config, load_config
    from monitor.errors import UserError
    from monitor.feeds import build_live_feed

    for url in (f"wss://bob:{SECRET}@host:99999/", f"wss://bob:{SECRET}@host:abc/", f"wss://bob:{SECRET}@[::1/", f"wss://bob:{SECRET}@/x"):
        with pytest.raises(UserError) as caught:
            build_live_feed(Config(), Namespace(source=None, stream_url=url))
        assert SECRET not in str(caught.value) and "--stream-url: expected a ws:// or wss:// URL" in str(caught.value), url
        config = tmp_path / "config.toml"
        config.write_text(f'[feed]\nstream_url = "{url}"\n')
        with pytest.raises(UserError) as caught:
            load_config(config)
        assert "stream_url" in str(caught.value) and SECRET not in str(caught.value), (url, str(caught.value))


def test_headless_on_a_terminal_that_hangs_up_stops_with_exit_0(tmp_path):
    # An SSH session that drops: SIGHUP, and the terminal answers every later write with EIO.
    # Before: the 'stopped' status line raised on the dead terminal and the run ended with 1.
    import pty
    import select
    import time

    pid, fd = pty.fork()
    if pid == 0:  # the child: the monitor on the pty
        os.environ.update(_env())
        os.execv(str(EXE), [str(EXE), "--headless", "--stream-url", "ws://127.0.0.1:9/", "--config", str(_config(tmp_path))])
    seen, deadline = b"", time.monotonic() + 20
    while b"stream:" not in seen and time.monotonic() < deadline:  # running, its signals handled
        if select.select([fd], [], [], 0.1)[0]:
            try:
                seen += os.read(fd, 4096)
            except OSError:
                break
    os.close(fd)  # the terminal hangs up
    code, deadline = None, time.monotonic() + 10
    while code is None and time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        code = os.waitstatus_to_exitcode(status) if done else time.sleep(0.05)
    if code is None:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    assert b"stream:" in seen, seen
    assert code == 0
