"""Delivery sinks and the dispatcher, with real subprocesses and a real local HTTP server."""

from __future__ import annotations

import base64
import json
import logging
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from monitor.config import NotifyConfig
from monitor.errors import UserError
from monitor.model import Alert
from monitor.delivery import Delivery, Dispatcher
from monitor.sinks import (
    AppriseSink,
    BellSink,
    CommandSink,
    DesktopSink,
    SinkError,
    build_sinks,
    sanitize,
)

ALERT = Alert(1772463600.0, "^RUT", "level_cross", "down", 2497.12, "^RUT fell below 2,500 (support) at 2,497.12",
              {"level": 2500.0, "label": "support"}, "stream")
EVIL = Alert(1772463600.0, "^RUT", "level_cross", "down", 1.0, "x $(touch PWNED) `touch PWNED`; touch PWNED\x1b]0;title\x07 \x9b end")


# --- terminal sinks -----------------------------------------------------------------------------


def test_bell_writes_bel():
    out = []
    BellSink(out.append).deliver(ALERT)
    assert out == ["\a"]


def test_sanitize_removes_every_control_character():
    assert sanitize("a\x1b]0;x\x07b\nc\x9bd\x7f") == "a ]0;x b c d"
    assert len(sanitize("x" * 1000)) == 240


def test_desktop_osc777_and_osc9_with_sanitized_text():
    out = []
    DesktopSink(out.append, "both", tmux=False).deliver(EVIL)
    text = out[0]
    assert text.startswith("\x1b]777;notify;market-monitor: ^RUT level cross down;x $(touch PWNED)")
    assert "\x1b]9;x $(touch PWNED)" in text
    # the only escape/control characters are the ones that frame the two sequences
    assert text.count("\x1b") == 2 and text.count("\x07") == 2 and "\x9b" not in text


def test_desktop_formats_and_tmux_passthrough():
    out = []
    DesktopSink(out.append, "osc9", tmux=False).deliver(ALERT)
    assert out[-1] == "\x1b]9;^RUT fell below 2,500 (support) at 2,497.12\x07"
    DesktopSink(out.append, "osc777", tmux=True).deliver(ALERT)
    assert out[-1] == ("\x1bPtmux;\x1b\x1b]777;notify;market-monitor: ^RUT level cross down;"
                       "^RUT fell below 2,500 (support) at 2,497.12\x07\x1b\\")
    digits = Alert(0.0, "6E", "new_high", "up", 1.0, "4;2 odd message")
    DesktopSink(out.append, "osc9", tmux=False).deliver(digits)
    assert out[-1] == "\x1b]9;6E: 4;2 odd message\x07"  # never "9;<digit>;" (ConEmu commands)


def test_desktop_detects_tmux_from_environment(monkeypatch):
    monkeypatch.setenv("TMUX", "/tmp/tmux-0/default,1,0")
    assert DesktopSink(lambda s: None).tmux
    monkeypatch.delenv("TMUX")
    assert not DesktopSink(lambda s: None).tmux


# --- command sink -------------------------------------------------------------------------------


def python_command(code: str) -> str:
    return f"{sys.executable} -c {json.dumps(code)}"


def test_command_gets_the_alert_as_one_json_line_and_no_shell(tmp_path, monkeypatch):
    target = tmp_path / "got.json"
    code = f"import sys; open({str(target)!r}, 'w').write(sys.stdin.read())"
    sink = CommandSink(python_command(code), timeout=20)
    monkeypatch.chdir(tmp_path)  # where a shell would have created PWNED
    sink.deliver(EVIL)
    sink.deliver(ALERT)
    text = target.read_text()
    assert text.endswith("\n") and text.count("\n") == 1
    assert json.loads(text) == ALERT.to_dict()
    assert not (tmp_path / "PWNED").exists()


def test_command_alert_text_never_reaches_argv(tmp_path):
    target = tmp_path / "argv.json"
    code = f"import sys, json; sys.stdin.read(); open({str(target)!r}, 'w').write(json.dumps(sys.argv[1:]))"
    CommandSink(python_command(code) + " --flag 'two words'", timeout=20).deliver(EVIL)
    assert json.loads(target.read_text()) == ["--flag", "two words"]


def test_command_that_hangs_is_killed_and_reported(tmp_path):
    pid_file = tmp_path / "pid"
    code = f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); time.sleep(60)"
    sink = CommandSink(python_command(code), timeout=1.0)
    with pytest.raises(SinkError, match="did not finish within 1 s and was killed"):
        sink.deliver(ALERT)
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)


def test_command_failure_reports_status_and_last_stderr_line():
    sink = CommandSink(python_command("import sys; sys.stderr.write('first\\nbad thing\\n'); sys.exit(3)"))
    with pytest.raises(SinkError, match=r"exited with status 3: bad thing$"):
        sink.deliver(ALERT)
    with pytest.raises(SinkError, match="cannot run no-such-program-here"):
        CommandSink("no-such-program-here --x").deliver(ALERT)


def test_command_program_may_start_with_home(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert CommandSink("~/bin/alert --x ~/not-expanded").argv == [str(tmp_path / "bin/alert"), "--x", "~/not-expanded"]


def test_command_line_that_cannot_be_split_is_a_user_error():
    with pytest.raises(UserError):
        CommandSink("notify 'unclosed")


# --- apprise against a local HTTP server ----------------------------------------------------------


class Receiver:
    """A 127.0.0.1 HTTP server that answers with the given statuses in turn (last one repeats)."""

    def __init__(self, statuses=(200,)):
        self.statuses = list(statuses)
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": json.loads(body)})
                status = receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver_factory(monkeypatch):
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    made = []

    def make(statuses=(200,)):
        made.append(Receiver(statuses))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


def test_apprise_json_post_carries_the_alert(receiver_factory):
    server = receiver_factory()
    sink = AppriseSink([f"json://bob:hunter2@127.0.0.1:{server.port}/hook"], sleep=lambda s: None)
    sink.deliver(ALERT)
    [request] = server.requests
    assert request["path"].startswith("/hook")
    assert request["body"]["message"] == ALERT.message
    assert request["body"]["title"] == "market-monitor: ^RUT level cross down"
    assert request["headers"]["Authorization"] == "Basic " + base64.b64encode(b"bob:hunter2").decode()


def test_apprise_retries_with_backoff_then_succeeds(receiver_factory):
    server = receiver_factory([500, 503, 200])
    pauses = []
    AppriseSink([f"json://127.0.0.1:{server.port}/"], retries=3, backoff=0.5, sleep=pauses.append).deliver(ALERT)
    assert len(server.requests) == 3 and pauses == [0.5, 1.0]


def test_apprise_only_retries_the_url_that_failed(receiver_factory):
    good, bad = receiver_factory([200]), receiver_factory([500])
    sink = AppriseSink([f"json://127.0.0.1:{good.port}/", f"json://127.0.0.1:{bad.port}/"], retries=2, sleep=lambda s: None)
    with pytest.raises(SinkError):
        sink.deliver(ALERT)
    assert len(good.requests) == 1 and len(bad.requests) == 3


def test_apprise_failure_is_retried_then_reported_with_secrets_redacted(receiver_factory, caplog):
    server = receiver_factory([500])
    url = f"json://bob:hunter2@127.0.0.1:{server.port}/hook"
    sink = AppriseSink([url], retries=2, sleep=lambda s: None)
    errors = []
    dispatcher = Dispatcher([sink], lambda name, message: errors.append((name, message)))
    with caplog.at_level(logging.DEBUG):
        dispatcher.submit(ALERT)
        assert dispatcher.close(timeout=20)
    assert len(server.requests) == 3
    assert errors == [("apprise", f"could not deliver to json://***@127.0.0.1:{server.port}/hook after 3 attempts")]
    assert "hunter2" not in caplog.text and "hunter2" not in str(errors)


def test_apprise_bad_url_is_a_user_error_without_the_secret():
    with pytest.raises(UserError) as info:
        AppriseSink(["nosuchscheme://user:hunter2@example.org/"])
    assert "hunter2" not in str(info.value)


# --- dispatcher ---------------------------------------------------------------------------------


class Recorder:
    def __init__(self, name="rec", fail=False, gate: threading.Event | None = None):
        self.name, self.fail, self.gate = name, fail, gate
        self.got: list[Alert] = []

    def deliver(self, alert):
        if self.gate is not None:
            self.gate.wait(10)
        if self.fail:
            raise RuntimeError("broken token=abc123")
        self.got.append(alert)


def test_one_failing_sink_never_stops_the_others():
    good, bad = Recorder("good"), Recorder("bad", fail=True)
    errors = []
    dispatcher = Dispatcher([bad, good], lambda name, message: errors.append((name, message)))
    for _ in range(5):
        dispatcher.submit(ALERT)
    assert dispatcher.close(timeout=10)
    assert len(good.got) == 5
    assert errors == [("bad", "RuntimeError: broken token=***")] * 5 and dispatcher.errors == 5


def test_submit_never_blocks_on_a_slow_sink_and_a_full_queue_is_reported():
    gate = threading.Event()
    slow, fast = Recorder("slow", gate=gate), Recorder("fast")
    errors = []
    dispatcher = Dispatcher([slow, fast], lambda name, message: errors.append(name), queue_size=2)
    for count in range(1, 7):
        started = time.monotonic()
        dispatcher.submit(ALERT)
        # A submit that waited on the slow sink would wait for ever (its gate opens below): a
        # generous bound still catches it, and a loaded 2-core machine cannot trip it.
        assert time.monotonic() - started < 5
        while len(fast.got) < count and time.monotonic() - started < 5:
            time.sleep(0.001)  # the fast sink keeps up; only the slow one's queue fills
    gate.set()
    assert dispatcher.close(timeout=10)
    assert len(fast.got) == 6
    # 3 or 4 drops: the first reported at once, the rest with their count at close
    assert 2 <= len(slow.got) <= 3 and errors == ["slow", "slow"]


def test_close_gives_up_after_timeout_when_a_sink_hangs():
    gate = threading.Event()
    dispatcher = Dispatcher([Recorder("stuck", gate=gate)])
    dispatcher.submit(ALERT)
    assert dispatcher.close(timeout=0.2) is False
    gate.set()


def test_a_worker_closed_with_a_full_queue_still_ends_once_it_has_drained():
    gate = threading.Event()
    stuck = Recorder("stuck", gate=gate)
    dispatcher = Dispatcher([stuck], queue_size=1)
    dispatcher.submit(ALERT)
    while dispatcher.waiting()[0]:  # the first alert is being delivered
        time.sleep(0.001)
    dispatcher.submit(ALERT)  # the queue is full now: no room for the stop marker
    assert dispatcher.close(timeout=0) is False  # what Delivery.reconfigure does
    gate.set()
    assert dispatcher.join(10) and len(stuck.got) == 2


def test_on_error_that_raises_does_not_kill_the_worker():
    def explode(name, message):
        raise ValueError("ui gone")

    good = Recorder("good")
    dispatcher = Dispatcher([Recorder("bad", fail=True), good], explode)
    dispatcher.submit(ALERT)
    dispatcher.submit(ALERT)
    assert dispatcher.close(timeout=10) and len(good.got) == 2


# --- building from [notify] ---------------------------------------------------------------------


def test_build_sinks_from_notify_config(receiver_factory):
    writes = []
    assert [s.name for s in build_sinks(NotifyConfig(), writes.append)] == ["bell"]
    assert build_sinks(NotifyConfig(), None) == []  # no terminal: no bell
    server = receiver_factory()
    notify = NotifyConfig(bell=False, desktop=True, desktop_format="both", command="true", command_timeout=3,
                          urls=(f"json://127.0.0.1:{server.port}/",))
    sinks = build_sinks(notify, writes.append)
    assert [s.name for s in sinks] == ["desktop", "command", "apprise"]
    assert sinks[0].format == "both" and sinks[1].argv == ["true"] and sinks[1].timeout == 3


# --- the whole delivery path ----------------------------------------------------------------------


def test_delivery_gates_records_and_dispatches(tmp_path):
    from dataclasses import replace

    from monitor.config import AlertPolicy, Config
    from monitor.history import AlertHistory

    sink = Recorder("rec")
    history = AlertHistory(tmp_path / "alerts.jsonl")
    config = Config(alerts={"level_cross": AlertPolicy(frequency="once")})
    delivery = Delivery(config, history=history, sinks=[sink])
    later = replace(ALERT, time=ALERT.time + 60)
    assert delivery.handle([ALERT, later]) == [ALERT]
    delivery.reconfigure(Config())  # every_time now; same notify: same sinks
    assert delivery.handle([later]) == [later]
    assert delivery.close(timeout=10)
    assert sink.got == [ALERT, later]
    assert [a.time for a in history.read()] == [ALERT.time, later.time]


def test_once_and_once_per_session_hold_across_a_restart(tmp_path):
    """A live run's gate learns from the alert history what earlier runs delivered."""
    from dataclasses import replace

    from monitor.config import AlertPolicy, Config
    from monitor.history import AlertHistory

    path = tmp_path / "alerts.jsonl"
    once = Config(alerts={"level_cross": AlertPolicy(frequency="once")})
    first = Delivery(once, history=AlertHistory(path), sinks=[Recorder("rec")])
    assert first.handle([ALERT]) == [ALERT] and first.close(timeout=10)

    later = replace(ALERT, time=ALERT.time + 86_400 * 3)
    restarted = Delivery(once, history=AlertHistory(path), sinks=[Recorder("rec")])
    assert restarted.handle([later]) == []  # delivered once already, in the earlier run
    assert restarted.close(timeout=10)

    per_session = Config(alerts={"level_cross": AlertPolicy(frequency="once_per_session")})
    same_day = replace(ALERT, time=ALERT.time + 60)
    again = Delivery(per_session, history=AlertHistory(path), sinks=[Recorder("rec")])
    assert again.handle([same_day]) == []  # this session had it before the restart
    assert again.handle([later]) == [later]  # a later session
    assert again.close(timeout=10)
    fresh = Delivery(once, sinks=[Recorder("rec")])  # no history (replay --notify): a clean slate
    assert fresh.handle([later]) == [later] and fresh.close(timeout=10)


def test_delivery_without_history_and_a_broken_history_is_reported(tmp_path):
    from monitor.config import Config
    from monitor.history import AlertHistory

    sink = Recorder("rec")
    replay = Delivery(Config(), sinks=[sink])  # replay --notify: nothing recorded
    assert replay.handle([ALERT]) == [ALERT] and replay.close(timeout=10)
    blocker = tmp_path / "file"
    blocker.write_text("")
    errors = []
    delivery = Delivery(Config(), history=AlertHistory(blocker / "alerts.jsonl"), sinks=[sink],
                        on_error=lambda name, message: errors.append(name))
    for _ in range(3):
        assert delivery.handle([ALERT]) == [ALERT]  # still delivered
    assert delivery.close(timeout=10) and len(sink.got) == 4
    assert errors == ["history"]  # once, not once per alert


def test_delivery_rebuilds_sinks_when_notify_changes(monkeypatch):
    from monitor.config import Config

    monkeypatch.delenv("TMUX", raising=False)
    out = []
    delivery = Delivery(Config(), terminal_write=out.append)
    assert [s.name for s in delivery.dispatcher.sinks] == ["bell"]
    delivery.reconfigure(Config(notify=NotifyConfig(bell=False, desktop=True)))
    assert [s.name for s in delivery.dispatcher.sinks] == ["desktop"]
    delivery.handle([ALERT])
    assert delivery.close(timeout=10)
    assert out == ["\x1b]9;^RUT fell below 2,500 (support) at 2,497.12\x07"]


# --- under pressure ---------------------------------------------------------------------------


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_the_bell_rings_at_most_once_a_second():
    out, clock = [], FakeClock()
    bell = BellSink(out.append, clock=clock)
    for step in (0.0, 0.1, 0.5, 0.99):  # a burst: one ring
        clock.now = 1000.0 + step
        bell.deliver(ALERT)
    assert out == ["\a"]
    clock.now = 1001.0
    bell.deliver(ALERT)
    bell.deliver(ALERT)
    assert out == ["\a", "\a"]


def test_a_storm_of_dropped_alerts_is_reported_once_a_minute_with_a_count():
    gate, clock = threading.Event(), FakeClock()
    stuck = Recorder("command", gate=gate)
    errors = []
    dispatcher = Dispatcher([stuck], lambda name, message: errors.append((name, message)), queue_size=1, clock=clock)
    dispatcher.submit(ALERT)
    while dispatcher.waiting()[0]:  # the first alert is being delivered
        time.sleep(0.001)
    for _ in range(1000):  # one fits in the queue, 999 are dropped
        dispatcher.submit(ALERT)
    assert errors == [("command", "too many alerts waiting: 1 dropped; further drops are counted and reported once every 60 s")]
    clock.now += 59
    dispatcher.submit(ALERT)
    assert len(errors) == 1  # not yet a minute
    clock.now += 1
    dispatcher.submit(ALERT)
    assert errors[1:] == [("command", "too many alerts waiting: 1,000 dropped in the last 60 s")]
    clock.now += 5
    dispatcher.submit(ALERT)
    gate.set()
    assert dispatcher.close(timeout=10)
    assert errors[2:] == [("command", "too many alerts waiting: 1 more dropped")]  # the rest, at close
    assert len(stuck.got) == 2


def test_one_bell_per_symbol_per_moment_but_every_alert_to_the_other_sinks():
    """Delivery.handle gets one batch (a moment): a symbol's alerts ring once, each alert still
    reaches the other sinks (and the history) on its own."""
    from monitor.config import Config

    class Seen:
        def __init__(self, once_per_moment: bool) -> None:
            self.name = "bell-like" if once_per_moment else "recorder"
            self.once_per_moment = once_per_moment
            self.seen: list[str] = []

        def deliver(self, alert):
            self.seen.append(alert.message)

    def alert(symbol: str, message: str) -> Alert:
        return Alert(1772463600.0, symbol, "level_cross", "down", 1.0, message)

    assert BellSink.once_per_moment
    bell, other = Seen(True), Seen(False)
    delivery = Delivery(Config(), sinks=[bell, other])
    delivery.handle([alert("^RUT", "a"), alert("^RUT", "b"), alert("^GSPC", "c")])
    delivery.handle([alert("^RUT", "d")])  # the next moment rings again
    assert delivery.close(timeout=5)
    assert bell.seen == ["a", "c", "d"]
    assert other.seen == ["a", "b", "c", "d"]


# --- the registry ---------------------------------------------------------------------------------


def test_the_notify_table_is_the_registrys_keys_with_their_defaults_and_checks():
    from dataclasses import fields

    from monitor.config import check_config_text
    from monitor.sinks import SINKS, notify_settings

    keys = [setting.key for setting in notify_settings()]
    assert len(keys) == len(set(keys)), "two sinks claim one [notify] key"
    assert [item.name for item in fields(NotifyConfig)] == keys
    assert NotifyConfig() == NotifyConfig(**{s.key: s.default for s in notify_settings()})
    assert [kind.name for kind in SINKS][:4] == ["bell", "desktop", "command", "apprise"]  # a new sink goes after
    for setting in notify_settings():  # each key is checked with its own converter and message
        _, problems = check_config_text(f"[notify]\n{setting.key} = {{}}\n", "c.toml")
        assert problems and problems[0].startswith(f"c.toml:2: notify.{setting.key}: expected"), problems


def test_the_default_config_file_shows_every_notify_key_with_its_default_and_comment():
    import tomllib

    from monitor.config_store import DEFAULT_CONFIG_TEXT
    from monitor.sinks import notify_settings

    lines = DEFAULT_CONFIG_TEXT.splitlines()
    block = lines[lines.index("[notify]") + 1:][: len(notify_settings())]
    assert block == [setting.default_line() for setting in notify_settings()]
    assert block[0] == "bell = true               # ring the terminal bell"
    assert tomllib.loads(DEFAULT_CONFIG_TEXT)["notify"]["command_timeout"] == 10


def test_the_readme_shows_and_explains_every_notify_key():
    from pathlib import Path

    from monitor.sinks import notify_settings

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    whole_file = readme.split("### The whole file, with its defaults", 1)[1].split("```", 2)[1]
    notifications = readme.split("## Notifications (`[notify]`)", 1)[1].split("\n## ", 1)[0]
    for setting in notify_settings():
        assert setting.default_line() in whole_file.splitlines()
        assert f"`{setting.key}" in notifications, f"README's Notifications section does not explain {setting.key}"


def test_build_sinks_leaves_out_terminal_sinks_without_a_terminal():
    notify = NotifyConfig(bell=True, desktop=True, command="true")
    assert [s.name for s in build_sinks(notify, None)] == ["command"]
    assert [s.name for s in build_sinks(notify, print)] == ["bell", "desktop", "command"]
