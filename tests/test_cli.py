"""The command line as a user meets it, run as a real process: --config before or after the
subcommand, each subcommand's own usage, config check's exit codes, replay of Yahoo's CSV."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def cli(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``market-monitor ARGV`` in a new process (the per-test home from conftest is inherited)."""
    return subprocess.run([sys.executable, "-m", "monitor", *argv], capture_output=True, text=True,
                          timeout=60, cwd=cwd)


@pytest.fixture
def config_file(tmp_path) -> Path:
    path = tmp_path / "mine.toml"
    path.write_text('symbols = ["^RUT", "AAPL"]\n[[levels]]\nsymbol = "AAPL"\nprice = 200\n')
    return path


@pytest.mark.parametrize("where", ["before", "after"])
def test_config_option_works_before_or_after_the_subcommand(config_file, where):
    for action in (["config", "show"], ["config", "path"]):
        argv = ["--config", str(config_file), *action] if where == "before" else [*action, "--config", str(config_file)]
        done = cli(*argv)
        assert done.returncode == 0, done.stderr
        if action[1] == "show":
            assert done.stdout.startswith(f"# effective config: {config_file};") and 'symbols = ["^RUT", "AAPL"]' in done.stdout
        else:
            assert done.stdout == f"{config_file}\n"


def test_config_after_the_subcommand_wins_over_the_one_before(config_file, tmp_path):
    done = cli("--config", str(tmp_path / "other.toml"), "config", "check", "--config", str(config_file))
    assert (done.returncode, done.stdout) == (0, f"{config_file}: ok\n")


def test_replay_takes_config_after_the_subcommand(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('symbols = ["X"]\n[[levels]]\nsymbol = "X"\nprice = 150\n')
    data = tmp_path / "x.csv"
    data.write_text("date,open,high,low,close\n2026-01-05,100,101,99,100\n2026-01-06,100,160,99,155\n")
    done = cli("replay", f"X={data}", "--headless", "--config", str(config))
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["rule"] for line in done.stdout.splitlines()] == ["level_cross"]


@pytest.mark.parametrize(
    "argv, usage",
    [
        (["replay", "--bogus", "x.csv"], "usage: market-monitor replay "),
        (["replay"], "usage: market-monitor replay "),
        (["config", "check", "--bogus"], "usage: market-monitor config check "),
        (["config", "bogus"], "usage: market-monitor config "),
        (["alerts", "--bogus"], "usage: market-monitor alerts "),
        (["notify"], "usage: market-monitor notify "),
        (["--bogus"], "usage: market-monitor [-h]"),
    ],
)
def test_each_subcommand_prints_its_own_usage_on_a_bad_argument(argv, usage):
    done = cli(*argv)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith(usage)
    assert done.stderr.count("usage:") == 1


def test_config_check_exit_codes(tmp_path, config_file):
    done = cli("config", "check")  # no file at the default path: the defaults, which are valid
    assert done.returncode == 0 and "the defaults are in use, and they are valid" in done.stdout
    done = cli("config", "check", str(config_file))
    assert (done.returncode, done.stdout) == (0, f"{config_file}: ok\n")
    config_file.write_text('symbols = ["^RUT"]\n[[levels]]\nsymbol = "AAPL"\nprice = 200\n')
    done = cli("config", "check", str(config_file))
    assert done.returncode == 1 and done.stdout.startswith(f"{config_file}:3: levels[1].symbol: warning: 'AAPL' is not in symbols")
    config_file.write_text('symbols = ["^RUT"]\nbogus = 1\n')
    done = cli("config", "check", str(config_file))
    assert (done.returncode, done.stdout) == (2, f"{config_file}:2: bogus: unknown key\n")


def test_replay_plays_yahoos_csv_export_like_the_plain_file(data_dir, tmp_path):
    """Yahoo's download (Date,Open,High,Low,Close,Adj Close,Volume) gives the same alerts as
    the same days in the plain format."""
    plain = data_dir / "daily" / "rut_last400.csv"
    rows = plain.read_text().splitlines()[1:]
    yahoo = tmp_path / "^RUT.csv"
    yahoo.write_text("Date,Open,High,Low,Close,Adj Close,Volume\n" + "".join(
        f"{d},{o},{h},{l},{c},{float(c) * 0.97:.6f},{int(float(v))}\n"
        for d, o, h, l, c, v in (row.split(",") for row in rows)))
    expected = cli("replay", "--headless", f"^RUT={plain}")
    got = cli("replay", "--headless", f"^RUT={yahoo}")
    assert expected.returncode == got.returncode == 0, got.stderr
    assert got.stdout == expected.stdout and "level_cross" in got.stdout



@pytest.mark.parametrize("argv", [["config", "show"], ["config", "check"], ["config", "path"]])
def test_output_the_disk_refuses_is_one_line_not_a_traceback(argv):
    # Before: `config show > /dev/full` (or a full disk) ended in an OSError traceback.
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "monitor", *argv], stdout=full, stderr=subprocess.PIPE, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (1, "market-monitor: error: write failed: No space left on device\n")


def test_an_os_error_naming_a_file_is_not_taken_for_a_refused_write():
    import errno

    from monitor import cli

    def fails(args, parser):
        raise OSError(errno.EIO, "Input/output error", "/some/file")

    original, cli.dispatch = cli.dispatch, fails
    try:
        with pytest.raises(OSError):
            cli.main(["config", "path"])
    finally:
        cli.dispatch = original


def test_a_subcommands_arguments_are_declared_at_its_first_use_and_its_help_lists_them():
    """build_parser declares a subcommand's arguments when that subcommand is used (a run parses
    one); its usage and help, asked for before any parse, declare them first."""
    from monitor.cli import build_parser

    def command(name):
        return next(action for action in build_parser()._actions if action.dest == "command").choices[name]

    assert "--horizons" in command("study").format_help() and "--since" in command("alerts").format_usage()
    assert build_parser().parse_args(["study", "--horizons", "5", "--config", "c.toml"]).horizons == "5"


@pytest.mark.parametrize("columns", [60, 150])
def test_help_is_wrapped_to_the_terminal_width(columns, monkeypatch, capsys):
    """The width is asked only when help is written (COLUMNS, then the terminal, as argparse does)."""
    from monitor.cli import main

    monkeypatch.setenv("COLUMNS", str(columns))
    for argv in (["--help"], ["replay", "--help"]):
        with pytest.raises(SystemExit):
            main(argv)
        lines = capsys.readouterr().out.splitlines()
        assert max(map(len, lines)) <= columns - 2
        assert max(map(len, lines)) > (columns - 2) * 0.8  # the help fills the width
