"""Command line: parse arguments, load the config, hand over to the app, the headless runner,
replay, or the config, alert-history and notify commands.

Each subcommand is declared by one ``_add_<name>`` function and dispatched through ``COMMANDS``
(its module imported lazily, so that the headless paths never import textual). Every
subcommand's parser takes ``--config`` too, so it works before or after the subcommand, and
reports an unknown argument with its own usage.
"""

from __future__ import annotations

import argparse
import errno
import sys
from collections.abc import Callable, Sequence
from importlib import import_module

from monitor.errors import UserError
from monitor.feeds import DEFAULT_SOURCE, SOURCE_NAMES

PROG = "market-monitor"
CONFIG_HELP = "config file (default: $MARKET_MONITOR_CONFIG or the user config dir)"


class HelpFormatter(argparse.HelpFormatter):
    """argparse's, asking the terminal's width only when help or usage is written: argparse makes
    a formatter for each declared argument (to check its metavar), and asking costs an import of
    shutil (with zlib, bz2 and lzma) and a failing terminal query, at every start."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position, width=80 if width is None else width)  # 80: until sized
        self._sized = width is not None
        self._help_position = max_help_position

    def format_help(self) -> str:
        if not self._sized:  # as argparse sizes it
            import shutil

            self._width = shutil.get_terminal_size().columns - 2
            self._max_help_position = min(self._help_position, max(self._width - 20, self._indent_increment * 2))
            self._sized = True
        return super().format_help()


class Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` with the ``HelpFormatter`` above."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)


class CommandParser(Parser):
    """A subcommand's parser: an argument it does not know is its error, shown with its own
    usage (argparse would hand it to the top-level parser, which prints the top-level usage).

    Its arguments are declared when it is first used (``declare``, set by ``build_parser``):
    a run parses one subcommand, and declaring every subcommand's arguments cost more
    instructions than the argument parsing itself."""

    declare: Callable[[argparse.ArgumentParser], None] | None = None

    def _declared(self) -> None:
        if self.declare is not None:
            declare, self.declare = self.declare, None
            declare(self)

    def format_usage(self) -> str:
        self._declared()
        return super().format_usage()

    def format_help(self) -> str:
        self._declared()
        return super().format_help()

    def parse_known_args(self, args=None, namespace=None):
        self._declared()
        namespace, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return namespace, extras


def _config_option() -> argparse.ArgumentParser:
    """``--config`` for a subcommand's parser. SUPPRESS as the default: when it is not given
    after the subcommand, the value given before it (or None) stays."""
    parent = Parser(add_help=False)
    parent.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help=CONFIG_HELP)
    return parent


def _add_replay(replay: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    replay.add_argument("files", nargs="+", metavar="SYMBOL=PATH", help="a CSV file, optionally prefixed with its symbol")
    replay.add_argument("--headless", action="store_true", default=argparse.SUPPRESS, help="print alert JSON lines instead of opening the app")
    replay.add_argument("--speed", default=None, metavar="max|N", help="'max' (default headless) or a speed-up factor")
    replay.add_argument("--from", dest="from_date", metavar="DATE", help="app: load what is before DATE as history and play from there (default: the last year of a long replay)")
    replay.add_argument("--indicators-csv", metavar="PATH", help="write one row per committed daily bar per symbol")
    replay.add_argument("--notify", action="store_true", help="deliver alerts to the configured sinks too")


def _add_study(study: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    study.add_argument("files", nargs="*", metavar="SYMBOL=PATH", help="a CSV file, optionally prefixed with its symbol")
    study.add_argument("--horizons", metavar="H,H,...", help="sessions after the alert (default 5,21,63,126,252)")
    study.add_argument("--from", dest="start", metavar="DATE", help="only alerts and baseline sessions on or after DATE")
    study.add_argument("--to", dest="end", metavar="DATE", help="only alerts and baseline sessions on or before DATE")
    study.add_argument("--wide", action="store_true", help="one wide line per row with every statistic")
    study.add_argument("--annualised", action="store_true", help="also the mean returns compounded to a year")
    form = study.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="one JSON object per row")
    form.add_argument("--csv", action="store_true", help="flat CSV: one line per row and horizon")


def _add_config(config: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    actions = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    init = actions.add_parser("init", parents=[common], help="write a commented default config")
    init.add_argument("path", nargs="?", help="where (default: the config path in use)")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    check = actions.add_parser("check", parents=[common], help="validate a config file: problems (exit 2), rules that can never fire (exit 1)")
    check.add_argument("path", nargs="?", help="file to check (default: the config path in use)")
    actions.add_parser("show", parents=[common], help="print the effective config (defaults merged, secrets redacted)")
    actions.add_parser("path", parents=[common], help="print the config path in use")


def _add_alerts(alerts: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    alerts.add_argument("--since", metavar="DATE", help="only alerts on or after this date (YYYY-MM-DD)")
    alerts.add_argument("--json", action="store_true", help="JSON lines instead of a table")


def _add_notify(notify: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    notify.add_argument("--test", action="store_true", required=True,
                        help="send one sample alert, marked as a test, to every configured sink; exit 1 if any failed")


def _lazy(module: str, function: str) -> Callable[[argparse.Namespace], int]:
    """A command's runner, imported only when that command runs."""
    return lambda args: getattr(import_module(module), function)(args)


def _replay_in_app(args: argparse.Namespace, config, series) -> int:
    try:
        from monitor.tui.app import run_app_on_replay
    except ImportError as exc:
        raise UserError(f"the app cannot start here ({exc}); use 'market-monitor replay --headless' for JSON alerts") from None
    return run_app_on_replay(args, config, series)


def _run_replay(args: argparse.Namespace) -> int:
    from monitor.replay_cli import run_replay_command

    return run_replay_command(args, _replay_in_app)


# name -> (its help line and description, declares its arguments, runs it with the parsed
# arguments and returns the exit code)
COMMANDS: dict[str, tuple[dict[str, str], Callable, Callable[[argparse.Namespace], int]]] = {
    "replay": ({"help": "replay CSV history through the live code path"}, _add_replay, _run_replay),
    "study": (
        {
            "help": "what each alert has been worth: returns after it vs every session",
            "description": "Replay history through the live engine and measure the symbol's return h sessions "
            "after each alert against the baseline of every session. Without files: the cached history of "
            "the configured symbols, or the shipped demo data.",
        },
        _add_study,
        _lazy("monitor.study", "run_study_command"),
    ),
    "config": ({"help": "create, check and show the config file"}, _add_config, _lazy("monitor.config_cli", "run_config_command")),
    "alerts": ({"help": "list the alert history"}, _add_alerts, _lazy("monitor.history", "run_alerts_command")),
    "notify": ({"help": "check the [notify] sinks"}, _add_notify, _lazy("monitor.notify_test", "run_notify_command")),
}


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog=PROG,
        description="Terminal market monitor for ^RUT, ^GSPC and ^NDX: live quotes, indicators, alerts.",
    )
    parser.add_argument("--config", metavar="PATH", help=CONFIG_HELP)
    parser.add_argument("--demo", action="store_true", help="open the monitor on a replay of real history (no network)")
    parser.add_argument("--headless", action="store_true", help="no screen: print alerts as JSON lines on stdout")
    parser.add_argument("--source", choices=SOURCE_NAMES, help=f"live data source (default from config: {DEFAULT_SOURCE})")
    parser.add_argument("--stream-url", metavar="URL", help="streaming server URL (default Yahoo's)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    # prog given: argparse would format the usage to find it (PROG: no positional comes before)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=CommandParser, prog=PROG)
    common = _config_option()
    for name, (texts, add, _) in COMMANDS.items():
        command = sub.add_parser(name, parents=[common], **texts)
        command.declare = lambda command, add=add: add(command, common)
    return parser


def _version() -> str:
    from monitor import __version__

    return __version__


def dispatch(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.command in COMMANDS:
        return COMMANDS[args.command][2](args)
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
        from monitor.text import visible

        print(f"{PROG}: error: {visible(str(exc))}", file=sys.stderr)  # it may quote outside text
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # stdout closed by the reader (e.g. `| head`): not an error of ours.
        try:
            sys.stdout = None  # type: ignore[assignment]
        finally:
            return 0
    except OSError as exc:
        if exc.filename is not None or exc.errno not in _WRITE_REFUSED:
            raise
        # the output refused (disk full, > /dev/full): one line, not a traceback
        sys.stdout = None  # type: ignore[assignment]  # the exit's flush would fail again
        print(f"{PROG}: error: write failed: {exc.strerror}", file=sys.stderr)
        return 1


# a write error with no file named is stdout's (files the commands write are named in theirs)
_WRITE_REFUSED = {getattr(errno, name) for name in ("ENOSPC", "EDQUOT", "EFBIG", "EIO") if hasattr(errno, name)}
