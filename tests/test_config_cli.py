"""`market-monitor config init|check|show|path` through the real CLI entry point."""

from __future__ import annotations

import stat

import pytest

from monitor.cli import main
from monitor.paths import default_config_path


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_init_writes_a_private_commented_default_and_refuses_to_overwrite(tmp_path, capsys):
    path = tmp_path / "sub" / "config.toml"
    code, out, _ = run(capsys, "config", "init", str(path))
    assert code == 0 and str(path) in out
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text().startswith("# market-monitor configuration.")
    path.write_text("# mine\n")
    code, _, err = run(capsys, "config", "init", str(path))
    assert code == 2 and "already exists" in err and "--force" in err
    assert path.read_text() == "# mine\n"
    path.chmod(0o644)
    code, _, _ = run(capsys, "config", "init", str(path), "--force")
    assert code == 0 and "# mine" not in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_init_under_a_file_says_the_folder_is_a_file(tmp_path, capsys):
    (tmp_path / "file").write_text("mine")
    code, out, err = run(capsys, "config", "init", str(tmp_path / "file" / "config.toml"))
    assert code == 1 and out == ""
    assert err == f"market-monitor: error: {tmp_path / 'file' / 'config.toml'}: config not saved: a file stands where its folder should be\n"
    assert (tmp_path / "file").read_text() == "mine"


def test_init_without_path_uses_the_path_in_use(capsys):
    code, _, _ = run(capsys, "config", "init")
    assert code == 0 and default_config_path().exists()
    assert run(capsys, "config", "check")[:2] == (0, f"{default_config_path()}: ok\n")


def test_check_lists_every_problem_in_line_order_and_exits_2(tmp_path, capsys):
    path = tmp_path / "c.toml"
    path.write_text('[rules]\nrsi_period = "x"\n\n[notify]\nbell = 2\nfoo = 1\n')
    code, out, _ = run(capsys, "config", "check", str(path))
    assert code == 2
    assert out.splitlines() == [
        f"{path}:2: rules.rsi_period: expected a whole number, got 'x'",
        f"{path}:5: notify.bell: expected true or false, got 2",
        f"{path}:6: notify.foo: unknown key",
    ]


def test_check_missing_file_is_one_line_error(tmp_path, capsys):
    code, out, err = run(capsys, "config", "check", str(tmp_path / "none.toml"))
    assert code == 2 and out == "" and err.count("\n") == 1 and "not found" in err


def test_check_without_a_file_checks_the_defaults_and_says_so(capsys):
    """No config at the default path: the defaults are in use, and they are valid (exit 0)."""
    code, out, err = run(capsys, "config", "check")
    assert (code, err) == (0, "")
    assert out == f"{default_config_path()}: no such file; the defaults are in use, and they are valid ('config init' writes them there)\n"
    assert run(capsys, "config", "show")[0] == 0  # the defaults


def test_a_missing_config_says_where_its_path_came_from(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MARKET_MONITOR_CONFIG", str(tmp_path / "typo.toml"))
    for argv in (["config", "check"], ["config", "show"]):
        code, out, err = run(capsys, *argv)
        assert (code, out) == (2, "") and err == f"market-monitor: error: {tmp_path / 'typo.toml'}: config file not found (named by MARKET_MONITOR_CONFIG)\n"
    code, _, err = run(capsys, "--config", str(tmp_path / "flag.toml"), "config", "show")
    assert code == 2 and err.strip().endswith("flag.toml: config file not found (given with --config)")


def test_path_follows_flag_then_environment_then_platform_dir(tmp_path, capsys, monkeypatch):
    assert run(capsys, "config", "path")[1].strip() == str(default_config_path())
    monkeypatch.setenv("MARKET_MONITOR_CONFIG", str(tmp_path / "env.toml"))
    assert run(capsys, "config", "path")[1].strip() == str(tmp_path / "env.toml")
    assert run(capsys, "--config", str(tmp_path / "flag.toml"), "config", "path")[1].strip() == str(tmp_path / "flag.toml")


def test_show_prints_effective_config_with_secrets_redacted(tmp_path, capsys):
    import tomllib

    path = tmp_path / "c.toml"
    path.write_text(
        '[rules]\nrsi_period = 10\n[notify]\nurls = ["json://bob:hunter2@example.org/hook?token=abc123"]\n'
        'command = "curl -H \'Authorization: Bearer s3cr3tvalue\' https://example.org"\n'
    )
    code, out, _ = run(capsys, "--config", str(path), "config", "show")
    assert code == 0
    assert "hunter2" not in out and "abc123" not in out and "s3cr3tvalue" not in out
    shown = tomllib.loads(out)
    assert shown["rules"]["rsi_period"] == 10 and shown["rules"]["ma_slow"] == 200  # defaults merged
    assert shown["notify"]["urls"] == ["json://***@example.org/hook?token=***"]
    assert [lv["price"] for lv in shown["levels"]] == [2500, 2600]


@pytest.mark.parametrize("bad", ['symbols = 1\n', 'nope = [\n'])
def test_show_with_a_bad_config_is_a_one_line_error(tmp_path, capsys, bad):
    path = tmp_path / "c.toml"
    path.write_text(bad)
    code, out, err = run(capsys, "--config", str(path), "config", "show")
    assert code == 2 and out == "" and err.count("\n") == 1 and f"{path}:1:" in err


def test_check_exits_1_with_warnings_when_the_config_is_valid_but_a_rule_can_never_fire(tmp_path, capsys):
    path = tmp_path / "c.toml"
    path.write_text('symbols = ["^RUT", "^GSPC", "^NDX"]\n\n[[levels]]\nsymbol = "RUT"\nprice = 2500\n')
    code, out, err = run(capsys, "config", "check", str(path))
    assert (code, err) == (1, "")
    assert out == f"{path}:4: levels[1].symbol: warning: 'RUT' is not in symbols, so this level never fires on live data (did you mean '^RUT'?)\n"
    path.write_text('symbols = ["^RUT", "^GSPC", "^NDX"]\n\n[[levels]]\nsymbol = "^RUT"\nprice = 2500\n')
    assert run(capsys, "config", "check", str(path))[:2] == (0, f"{path}: ok\n")


def test_check_with_errors_exits_2_and_leaves_warnings_for_later(tmp_path, capsys):
    path = tmp_path / "c.toml"
    path.write_text('symbols = ["^rut"]\n[rules]\nrsi_period = 0\n')
    code, out, _ = run(capsys, "config", "check", str(path))
    assert code == 2 and out == f"{path}:3: rules.rsi_period: expected a whole number of 1 or more, got 0\n"


def test_a_bad_config_stops_a_command_with_its_control_characters_escaped(tmp_path, capsys):
    path = tmp_path / "c.toml"
    path.write_text('[rules]\n"\\u001b]0;pwned\\u0007" = 1\n')
    code, out, err = run(capsys, "--config", str(path), "config", "show")
    assert code == 2 and out == ""
    assert err == f"market-monitor: error: {path}:2: rules.\\x1b]0;pwned\\x07: unknown key\n"


def test_a_one_line_error_quoting_a_control_character_shows_it_escaped(tmp_path, capsys):
    path = tmp_path / "c\x1b[2J.toml"  # any UserError, not only a config problem
    code, out, err = run(capsys, "--config", str(path), "config", "show")
    assert code == 2 and out == "" and "\x1b" not in err
    assert err.startswith(f"market-monitor: error: {tmp_path}/c\\x1b[2J.toml: config file not found")
