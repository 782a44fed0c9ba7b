"""``market-monitor replay SYMBOL=PATH ...``: the command. The file format is ``monitor.series``,
the feed ``monitor.feeds.replay``, the headless run ``monitor.replay_run``; the app opens through
``open_app``, passed in by the front end (the core never imports the Textual front end)."""

from __future__ import annotations

import argparse
import atexit
import gc
from collections.abc import Callable

from monitor.config import Config, load_effective_config
from monitor.errors import UserError
from monitor.feeds.replay import parse_speed
from monitor.replay_run import run_headless_replay
from monitor.series import Series, gc_paused, load_all, parse_from


def run_replay_command(args: argparse.Namespace, open_app: Callable[[argparse.Namespace, Config, list[Series]], int]) -> int:
    """``market-monitor replay``: headless (JSON alerts on stdout) or in the app, which the front
    end passes as ``open_app`` (the core never imports the Textual front end)."""

    speed = parse_speed(args.speed)
    config = load_effective_config(args.config)
    if not args.headless:
        with gc_paused():
            series = load_all(args.files)
        if args.indicators_csv:
            raise UserError("--indicators-csv is written by a headless replay; add --headless")
        if getattr(args, "from_date", None):
            parse_from(args.from_date, series)  # a bad date is said before the app opens
        return open_app(args, config, series)
    _skip_exit_collection()
    # one pause from the load to the last alert: between two pauses, the collections of the
    # replay's set-up scanned every loaded row (a replay makes no cycles for them to find)
    with gc_paused():
        series = load_all(args.files)
        if getattr(args, "from_date", None):
            raise UserError("--from sets where the app starts playing; a headless replay prints every alert (drop --from)")
        return run_headless_replay(
            config, series, speed=speed, indicators_csv=args.indicators_csv, notify=args.notify
        )


def _skip_exit_collection() -> None:
    """The interpreter collects garbage once more when it exits; after a headless replay that
    scan finds no cycle in the loaded files and the replayed state, so what is alive then is
    frozen (``gc.freeze``) instead: the exit only frees it. Registered once, however often the
    command runs in one process."""
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)
