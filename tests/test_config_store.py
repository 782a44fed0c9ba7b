"""Atomic, comment-keeping config writes; a failed write never loses the valid file."""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import replace
from datetime import date

import pytest

from monitor import config_store
from monitor.config import AlertPolicy, Config, Level, Rules, Zone, load_config
from monitor.config_store import DEFAULT_CONFIG_TEXT, save_levels, save_rules, save_symbols, save_zones
from monitor.errors import UserError

USER_FILE = """\
# my monitor
symbols = ["^RUT", "^GSPC"]  # just two

[rules]
rsi_period = 10  # faster RSI

[[levels]]
# the big one
symbol = "^RUT"
price = 2500
label = "support"

[[levels]]
symbol = "^GSPC"
price = 6000

[divergence]
peers = ["^GSPC"]
"""


@pytest.fixture
def user_file(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(USER_FILE)
    path.chmod(0o600)
    return path


def test_save_levels_keeps_comments_order_and_mode(user_file):
    levels = (
        Level("^RUT", 2500.0, "support", AlertPolicy(cooldown=900.0)),
        Level("^RUT", 2450.5, "deeper"),
    )
    save_levels(user_file, levels)
    text = user_file.read_text()
    assert "# my monitor" in text and "# just two" in text and "# faster RSI" in text and "# the big one" in text
    assert 'cooldown = "15m"' in text and "6000" not in text
    assert text.index("[rules]") < text.index("[[levels]]") < text.index("[divergence]")
    config = load_config(user_file)
    assert config.levels == levels and config.rules.rsi_period == 10
    assert stat.S_IMODE(user_file.stat().st_mode) == 0o600


def test_save_levels_empty_list_means_no_levels(user_file):
    save_levels(user_file, [])
    assert load_config(user_file).levels == ()


def test_save_zones_keeps_the_comments_of_a_zone_that_stays(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(USER_FILE + '\n[[zones]]\n# the ceiling\nsymbol = "^RUT"\nlow = 2580\nhigh = 2600\nlabel = "resistance zone"\n')
    zones = (Zone("^RUT", 2580.0, 2600.0, "ceiling"), Zone("^GSPC", 6000.0, 6100.5, ""))
    save_zones(path, zones)
    text = path.read_text()
    assert "# the ceiling" in text and "# the big one" in text and 'label = "ceiling"' in text
    assert load_config(path).zones == zones
    save_zones(path, [])  # none, not the default zone
    assert load_config(path).zones == ()


def test_save_rules_updates_in_place_and_adds_only_changes(user_file):
    save_rules(user_file, replace(Rules(), rsi_period=7, ma_fast=20))
    text = user_file.read_text()
    assert "rsi_period = 7  # faster RSI" in text
    assert "ma_fast = 20" in text and "ma_slow" not in text  # unchanged defaults stay implicit
    assert load_config(user_file).rules == replace(Rules(), rsi_period=7, ma_fast=20)


def test_saving_to_a_missing_file_starts_from_the_commented_default(tmp_path):
    path = tmp_path / "new" / "config.toml"
    save_symbols(path, ["^RUT"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "# market-monitor configuration." in path.read_text()
    assert load_config(path).symbols == ("^RUT",)


def test_saving_under_a_file_is_a_user_error(tmp_path):
    (tmp_path / "file").write_text("mine")
    with pytest.raises(UserError, match="a file stands where its folder should be"):
        save_symbols(tmp_path / "file" / "config.toml", ["^RUT"])
    assert (tmp_path / "file").read_text() == "mine"


@pytest.mark.parametrize("where", ["write", "fsync", "replace"])
def test_failure_mid_write_leaves_the_original_intact(user_file, monkeypatch, where):
    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    if where == "write":
        real_fdopen = os.fdopen

        class FullDisk:
            def __init__(self, *a, **k):
                self.handle = real_fdopen(*a, **k)

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.handle.close()

            def fileno(self):
                return self.handle.fileno()

            def write(self, text):
                self.handle.write(text[: len(text) // 2])
                self.handle.flush()
                no_space()

        monkeypatch.setattr(config_store.os, "fdopen", FullDisk)
    else:
        monkeypatch.setattr(config_store.os, where, no_space)
    with pytest.raises(UserError) as info:
        save_rules(user_file, replace(Rules(), rsi_period=5))
    assert "No space left" in str(info.value)
    assert user_file.read_text() == USER_FILE
    assert sorted(p.name for p in user_file.parent.iterdir()) == ["config.toml"]  # no temp file left


def test_an_invalid_result_never_replaces_the_file(user_file):
    with pytest.raises(UserError) as info:
        save_rules(user_file, replace(Rules(), rsi_oversold=80.0))  # oversold above overbought
    assert "invalid" in str(info.value) and "rsi_oversold" in str(info.value)
    assert user_file.read_text() == USER_FILE


def test_config_to_toml_round_trips_the_defaults(tmp_path):
    path = tmp_path / "shown.toml"
    path.write_text(config_store.config_to_toml(Config()))
    assert replace(load_config(path), path=None) == Config()
    path.write_text(DEFAULT_CONFIG_TEXT)
    assert replace(load_config(path), path=None) == Config()


def test_a_symlinked_config_stays_a_symlink(tmp_path):
    real = tmp_path / "dotfiles" / "config.toml"
    real.parent.mkdir()
    real.write_text(USER_FILE)
    link = tmp_path / "config.toml"
    link.symlink_to(real)
    save_symbols(link, ["^NDX"])
    assert link.is_symlink() and load_config(link).symbols == ("^NDX",)
    assert "# my monitor" in real.read_text()


def test_confirm_settings_round_trip_through_config_show(tmp_path):
    """``confirm`` of a level and of a rule survive ``config show`` and the app's dialogs
    (which validate through the same TOML)."""
    close = AlertPolicy(confirm="close")
    config = Config(
        levels=(Level("^RUT", 2500.0, "support", close), Level("^RUT", 2600.0, "resistance", AlertPolicy(confirm="tick"))),
        alerts={"new_high": close},
    )
    path = tmp_path / "shown.toml"
    path.write_text(config_store.config_to_toml(config))
    loaded = load_config(path)
    assert [lv.policy.confirm for lv in loaded.levels] == ["close", "tick"]
    assert loaded.confirm_for("new_high") == "close" and loaded.confirm_for("new_low") == "tick"
    assert loaded.confirm_for("level_cross", loaded.levels[0]) == "close"
