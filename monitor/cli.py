"""Command line: parse arguments, load the config, hand over to the app, the headless runner,
replay, or the config and alert-history commands.

Every command module is imported lazily so that the headless paths never import textual.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from monitor.errors import UserError

PROG = "market-monitor"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Terminal market monitor for ^RUT, ^GSPC and ^NDX: live quotes, indicators, alerts.",
    )
    parser.add_argument("--config", metavar="PATH", help="config file (default: $MARKET_MONITOR_CONFIG or the user config dir)")
    parser.add_argument("--demo", action="store_true", help="open the monitor on a replay of real history (no network)")
    parser.add_argument("--headless", action="store_true", help="no screen: print alerts as JSON lines on stdout")
    parser.add_argument("--source", choices=["yahoo-stream", "yahoo-poll"], help="live data source (default from config: yahoo-stream)")
    parser.add_argument("--stream-url", metavar="URL", help="streaming server URL (default Yahoo's)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    replay = sub.add_parser("replay", help="replay CSV history through the live code path")
    replay.add_argument("files", nargs="+", metavar="SYMBOL=PATH", help="a CSV file, optionally prefixed with its symbol")
    replay.add_argument("--config", dest="sub_config", metavar="PATH", help="config file")
    replay.add_argument("--headless", dest="sub_headless", action="store_true", help="print alert JSON lines instead of opening the app")
    replay.add_argument("--speed", default=None, metavar="max|N", help="'max' (default headless) or a speed-up factor")
    replay.add_argument("--indicators-csv", metavar="PATH", help="write one row per committed daily bar per symbol")
    replay.add_argument("--notify", action="store_true", help="deliver alerts to the configured sinks too")

    add_study_parser(sub)

    config = sub.add_parser("config", help="create, check and show the config file")
    config_sub = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    init = config_sub.add_parser("init", help="write a commented default config")
    init.add_argument("path", nargs="?", help="where (default: the config path in use)")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    check = config_sub.add_parser("check", help="validate a config file, one line per problem")
    check.add_argument("path", nargs="?", help="file to check (default: the config path in use)")
    config_sub.add_parser("show", help="print the effective config (defaults merged, secrets redacted)")
    config_sub.add_parser("path", help="print the config path in use")

    alerts = sub.add_parser("alerts", help="list the alert history")
    alerts.add_argument("--since", metavar="DATE", help="only alerts on or after this date (YYYY-MM-DD)")
    alerts.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    return parser


def add_study_parser(sub) -> None:
    study = sub.add_parser(
        "study",
        help="what each alert has been worth: returns after it vs every session",
        description="Replay history through the live engine and measure the symbol's return h sessions "
        "after each alert against the baseline of every session. Without files: the cached history of "
        "the configured symbols, or the shipped demo data.",
    )
    study.add_argument("files", nargs="*", metavar="SYMBOL=PATH", help="a CSV file, optionally prefixed with its symbol")
    study.add_argument("--config", dest="sub_config", metavar="PATH", help="config file")
    study.add_argument("--horizons", metavar="H,H,...", help="sessions after the alert (default 5,21,63,126,252)")
    study.add_argument("--from", dest="start", metavar="DATE", help="only alerts and baseline sessions on or after DATE")
    study.add_argument("--to", dest="end", metavar="DATE", help="only alerts and baseline sessions on or before DATE")
    study.add_argument("--wide", action="store_true", help="one wide line per row with every statistic")
    study.add_argument("--annualised", action="store_true", help="also the mean returns compounded to a year")
    form = study.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="one JSON object per row")
    form.add_argument("--csv", action="store_true", help="flat CSV: one line per row and horizon")


def _version() -> str:
    from monitor import __version__

    return __version__


def _replay_in_app(args: argparse.Namespace, config, series) -> int:
    try:
        from monitor.tui.app import run_app_on_replay
    except ImportError as exc:
        raise UserError(f"the app cannot start here ({exc}); use 'market-monitor replay --headless' for JSON alerts") from None
    return run_app_on_replay(args, config, series)


def dispatch(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.command == "replay":
        from monitor.replay import run_replay_command

        return run_replay_command(args, _replay_in_app)
    if args.command == "study":
        from monitor.study import run_study_command

        return run_study_command(args)
    if args.command == "config":
        from monitor.config_cli import run_config_command

        return run_config_command(args)
    if args.command == "alerts":
        from monitor.history import run_alerts_command

        return run_alerts_command(args)
    if args.headless:
        if args.demo:
            raise UserError("--demo opens the app; for a headless replay use 'market-monitor replay --headless'")
        from monitor.runner import run_headless

        return run_headless(args)
    from monitor.tui.app import run_app

    return run_app(args)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return dispatch(args, parser)
    except UserError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # stdout closed by the reader (e.g. `| head`): not an error of ours.
        try:
            sys.stdout = None  # type: ignore[assignment]
        finally:
            return 0
