"""yfinance runs in a child process: the monitor process never loads yfinance or pandas, and the
history and polls it gets back are the same as in-process. Each scenario runs in a fresh
interpreter (this one has pandas loaded by the other tests) against the local chart stand-in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent

PRELUDE = """
import asyncio, functools, json, sys
from datetime import date, datetime, time, timedelta
from fakes.chart import StandinYahoo, fake_session, standin_info
from monitor.model import NEW_YORK

NOW = datetime(2026, 11, 20, 11, 0, tzinfo=NEW_YORK).timestamp()  # a Friday morning
def heavy():
    return sorted(name for name in ("pandas", "yfinance", "numpy") if name in sys.modules)
"""


def run_scenario(code: str, tmp_path: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, "-c", PRELUDE + code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_backfill_in_a_child_process_never_loads_pandas_here_and_gives_the_same_history(tmp_path):
    result = run_scenario(
        f"""
from pathlib import Path
from monitor.feeds.backfill import Backfill
def load(folder, isolate):
    session, _ = fake_session(StandinYahoo(30, NOW))
    backfill = Backfill(["^RUT", "^GSPC"], cache=Path(folder), session=session, clock=functools.partial(float, NOW),
                        fetch_info=standin_info, isolate=isolate)
    got = backfill.load()
    return [[s.symbol, s.kind, s.rows] for s in got.series], got.problems, [i.name for i in got.infos]
isolated = load({str(tmp_path / 'a')!r}, True)
before = heavy()
here = load({str(tmp_path / 'b')!r}, False)
print(json.dumps({{"isolated": isolated, "here": here, "heavy_after_child": before, "heavy_after_here": heavy()}}))
""",
        tmp_path,
    )
    assert result["heavy_after_child"] == []  # the child did the yfinance work
    assert result["heavy_after_here"] == ["numpy", "pandas", "yfinance"]  # what it saves
    series, problems, names = result["isolated"]
    assert [(symbol, kind, len(rows)) for symbol, kind, rows in series] == [
        ("^RUT", "daily", 30), ("^GSPC", "daily", 30), ("^RUT", "intraday", 90), ("^GSPC", "intraday", 90)
    ]
    assert problems == [] and names == ["^RUT name", "^GSPC name"]
    assert result["isolated"] == result["here"]


def test_polls_in_a_child_process_never_load_pandas_here_and_rate_limits_still_read_as_such(tmp_path):
    result = run_scenario(
        """
from fakes.market import FixedMarket
from monitor.feeds.live import Backoff, yfinance_child_setup
from monitor.feeds.yahoo_poll import YahooPollFeed, download_closes
from monitor.isolate import ChildCalls
from monitor.model import FeedStatus

async def poll(status=None):
    session, _ = fake_session(StandinYahoo(30, NOW, status=status))
    calls = ChildCalls(functools.partial(download_closes, session=session), setup=yfinance_child_setup)
    feed = YahooPollFeed(["^RUT", "^GSPC"], 0.05, download=calls, market=FixedMarket(), backoff=Backoff(0.05, 0.1),
                         clock=lambda: NOW)
    ticks, statuses = [], []
    events = feed.events()
    async for event in events:
        if isinstance(event, list):
            ticks += [[t.symbol, t.price] for t in event]
        elif isinstance(event, FeedStatus):
            statuses.append(event.describe())
        if ticks or len(statuses) >= 2:
            await feed.aclose()
            break
    await events.aclose()
    return ticks, statuses, calls.pid is None

ok = asyncio.run(poll())
limited = asyncio.run(poll(status=429))
print(json.dumps({"ok": ok, "limited": limited, "heavy": heavy()}))
""",
        tmp_path,
    )
    ticks, _, ended = result["ok"]
    assert ticks == [["^RUT", 2100.87], ["^GSPC", 6100.87], ["^RUT", 2100.88], ["^GSPC", 6100.88], ["^RUT", 2100.89], ["^GSPC", 6100.89]]
    assert ended  # the child process ends with the polling
    _, statuses, _ = result["limited"]
    assert statuses and all("rate limited by Yahoo" in text for text in statuses)
    assert result["heavy"] == []


def test_streaming_and_the_market_calendar_never_load_pandas_here(tmp_path):
    result = run_scenario(
        f"""
import os
from pathlib import Path
os.environ["MARKET_MONITOR_CACHE"] = {str(tmp_path / "fresh-cache")!r}  # the calendar table is built now
from monitor.feeds.yahoo_stream import decode_frame, encode_frame
from monitor.market_hours import MarketClock, session_close
frame = decode_frame(encode_frame(id="^RUT", price=2500.5, time=1_000))
fresh = MarketClock()
print(json.dumps({{
    "frame": [frame.id, frame.price],
    "thanksgiving": fresh.is_session(date(2026, 11, 26)),
    "early_close": datetime.fromtimestamp(session_close(date(2026, 11, 27)), NEW_YORK).strftime("%H:%M"),
    "heavy": heavy(),
}}))
""",
        tmp_path,
    )
    assert result["frame"] == ["^RUT", 2500.5]
    assert result["thanksgiving"] is False and result["early_close"] == "13:00"  # the table is right...
    assert result["heavy"] == []  # ...and was built in a child


def test_live_runs_use_the_child_process_unless_a_seam_is_given():
    from fakes.chart import fake_session

    from monitor.feeds.backfill import Backfill
    from monitor.feeds.yahoo_poll import YahooPollFeed
    from monitor.isolate import ChildCalls

    session, _ = fake_session(lambda request: 429)
    assert isinstance(YahooPollFeed(["^RUT"])._download, ChildCalls)
    assert not isinstance(YahooPollFeed(["^RUT"], session=session)._download, ChildCalls)
    assert Backfill(["^RUT"]).isolate is True
    assert Backfill(["^RUT"], session=session).isolate is False


def test_a_child_error_keeps_its_class_name_text_and_yfinance_warnings():
    import pytest
    from fakes.chart import standin_failure

    from monitor.feeds.yahoo_poll import _failure_reason
    from monitor.isolate import ChildCalls

    calls = ChildCalls(standin_failure)
    try:
        for _ in range(2):
            with pytest.raises(Exception) as caught:
                calls("429 from Yahoo")
            error = caught.value
            assert (type(error).__name__, str(error)) == ("YFRateLimitError", "429 from Yahoo")
            assert error.yf_messages == ["Too Many Requests. Rate limited. Try after a while."]
            assert _failure_reason(error, error.yf_messages) == "rate limited by Yahoo"
        assert calls.starts == 1 and calls.pid is not None  # one child served both calls
    finally:
        calls.close()
    assert calls.pid is None


async def test_a_poll_child_that_hangs_is_ended_at_the_timeout_and_the_next_poll_starts_a_fresh_one(caplog):
    # Before: the hung child was never ended; every later poll waited for it again (polling dead
    # for the rest of the run, the child alive until the monitor exited).
    import asyncio
    import os

    from fakes.chart import standin_hang
    from fakes.market import FixedMarket

    from monitor.feeds.live import Backoff
    from monitor.feeds.yahoo_poll import YahooPollFeed
    from monitor.isolate import ChildCalls
    from monitor.model import FeedStatus

    calls = ChildCalls(standin_hang)
    feed = YahooPollFeed(["^RUT"], 0.05, download=calls, market=FixedMarket(), backoff=Backoff(0.01, 0.02), download_timeout=1.0)
    children: set[int] = set()

    async def sample() -> None:
        while True:
            if calls.pid is not None:
                children.add(calls.pid)
            await asyncio.sleep(0.02)

    sampler = asyncio.create_task(sample())
    statuses = []
    events = feed.events()
    try:
        async for event in events:
            if isinstance(event, FeedStatus) and "no answer from Yahoo" in event.describe():
                statuses.append(event.describe())
                if len(statuses) == 2:
                    break
    finally:
        sampler.cancel()
        await feed.aclose()
        await events.aclose()
    assert calls.starts == 2 and len(children) == 2, (calls.starts, children, statuses)  # a fresh child per poll
    for pid in children:  # each hung child was ended, none left behind
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        raise AssertionError(f"child {pid} still runs")
    assert calls.pid is None
    import gc

    gc.collect()
    assert "never retrieved" not in caplog.text  # the ended call's error is not a stray traceback


def test_a_child_writing_to_its_stdout_directly_does_not_break_the_answers():
    # Before: only Python's sys.stdout was sent elsewhere; bytes written to fd 1 (a C library's
    # chatter) were read as a message: a broken answer, or a bogus length that waited forever.
    from fakes.chart import standin_chatty

    from monitor.isolate import ChildCalls

    calls = ChildCalls(standin_chatty)
    try:
        assert calls([("^RUT", 2500.5)]) == [("^RUT", 2500.5)]
        assert calls("again") == "again" and calls.starts == 1
    finally:
        calls.close()


def test_a_call_with_a_timeout_kills_a_child_that_never_answers_and_the_next_call_starts_a_fresh_one():
    import threading
    import time

    import pytest
    from fakes.chart import standin_hang

    from monitor.isolate import ChildCalls, ChildTimeout

    calls = ChildCalls(standin_hang, timeout=0.5)
    children: set[int] = set()
    outcome: list[BaseException] = []

    def call() -> None:
        try:
            calls("^RUT")
        except BaseException as exc:  # noqa: BLE001 - handed to the assertions below
            outcome.append(exc)

    try:
        for _ in range(2):
            worker = threading.Thread(target=call, daemon=True)
            worker.start()
            deadline = time.monotonic() + 5
            while worker.is_alive() and time.monotonic() < deadline:
                if calls.pid is not None:
                    children.add(calls.pid)
                time.sleep(0.02)
            assert not worker.is_alive(), "the call still waits for a child that never answers"
        assert [type(e) for e in outcome] == [ChildTimeout, ChildTimeout]
        assert str(outcome[0]) == "the yfinance process gave no answer in 0.5 s and was stopped"
        assert calls.starts == 2 and len(children) == 2 and calls.pid is None
        for pid in children:  # killed and reaped: none left behind
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)
    finally:
        calls.close()


def test_a_call_that_answers_in_time_leaves_no_watchdog_to_kill_the_child_later():
    # The timer of an answered call must be cancelled: else it kills the reused child afterwards
    # (a fresh interpreter per call, or a later call cut off mid-way with the wrong error).
    import time

    from fakes.chart import standin_chatty

    from monitor.isolate import ChildCalls

    calls = ChildCalls(standin_chatty)
    try:
        assert calls("warm") == "warm"  # the child started and its modules imported, without a timeout
        calls.timeout = 0.3
        assert calls("first") == "first"
        time.sleep(0.5)  # past the first call's timeout
        assert calls("second") == "second" and calls.starts == 1
    finally:
        calls.close()
