"""Config validation: every kind of problem names the file, the right line and the key."""

from __future__ import annotations

from dataclasses import replace

import pytest

from monitor.config import Config, check_config_text, load_config
from monitor.config_store import DEFAULT_CONFIG_TEXT
from monitor.errors import UserError


def problems(text: str) -> list[str]:
    return check_config_text(text, "c.toml")[1]


def test_default_config_text_loads_to_exactly_the_defaults(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(DEFAULT_CONFIG_TEXT)
    assert replace(load_config(path), path=None) == Config()


@pytest.mark.parametrize(
    "text, expected",
    [
        ('symbols = "x"\n', "c.toml:1: symbols: expected a non-empty list"),
        ('# a\nfoo = 1\n[rules]\nrsi_period = 3\n', "c.toml:2: foo: unknown key"),
        ('[rules]\n\nrsi_period = "x"\n', "c.toml:3: rules.rsi_period: expected a whole number"),
        ('[rules]\nrsi_period = 3\nbogus = 1\n', "c.toml:3: rules.bogus: unknown key"),
        ('[notify]\nbell = "yes"\n', "c.toml:2: notify.bell: expected true or false"),
        ('rules.rsi_period = "x"\n', "c.toml:1: rules.rsi_period: expected a whole number"),
        ('[alerts]\nlevel_cross = {frequency = "sometimes"}\n', "c.toml:2: alerts.level_cross.frequency: expected one of"),
        ('[alerts.level_cross]\ncooldown = "soon"\n', "c.toml:2: alerts.level_cross.cooldown: expected a duration"),
        ('[alerts.level_cross]\nfrequency = "once"\nbad = 1\n', "c.toml:3: alerts.level_cross.bad: unknown key"),
        ('[alerts.nope]\nmuted = true\n', "c.toml:1: alerts.nope: unknown rule"),
        ('[notify]\ncommand = "notify-send \'x"\n', "c.toml:2: notify.command: cannot split"),
        ('ui = 3\n', "c.toml:1: ui: expected a table"),
        ('[ui]\nmax_fps = 0.1\n', "c.toml:2: ui.max_fps: expected 0.2 to 60 repaints per second, got 0.1"),
        ('[feed]\npoll_interval = 4.9\n', "c.toml:2: feed.poll_interval: expected at least 5 seconds, got 4.9"),
        ('[feed]\nstale_after = 0\n', "c.toml:2: feed.stale_after: expected a number above 0, got 0"),
        ('[feed]\nstale_after = inf\n', "c.toml:2: feed.stale_after: expected a finite number, got inf"),
        ('[rules]\nrsi_overbought = 100.5\n', "c.toml:2: rules.rsi_overbought: expected a number from 0 to 100, got 100.5"),
        ('[divergence]\nmin_spread_pct = -1\n', "c.toml:2: divergence.min_spread_pct: expected a number of 0 or more, got -1"),
        ('[alerts.ma_cross]\ncooldown = 0\n', "c.toml:2: alerts.ma_cross.cooldown: expected a number above 0, got 0"),
        ('[alerts.ma_cross]\ncooldown = "0m"\n', "c.toml:2: alerts.ma_cross.cooldown: expected a duration above 0, got '0m'"),
        ('[rules]\nrsi_rearm = -1\n', "c.toml:2: rules.rsi_rearm: expected a number from 0 to 100, got -1"),
        ('[rules]\nrsi_rearm = 70\n', "c.toml:2: rules.rsi_rearm: must be below rsi_overbought and 100 - rsi_oversold"),
        ('[rules]\nrsi_oversold = 40\nrsi_rearm = 60\n', "c.toml:3: rules.rsi_rearm: must be below rsi_overbought and 100 - rsi_oversold"),
        ('[rules]\nbreakout_gap = 0\n', "c.toml:2: rules.breakout_gap: expected a whole number of 1 or more, got 0"),
        ('[rules]\nbreakout_gap = 2.5\n', "c.toml:2: rules.breakout_gap: expected a whole number of sessions, got 2.5"),
        ('[[levels]]\nsymbol = "^RUT"\nprice = 2500\nconfirm = "bar"\n', "c.toml:4: levels[1].confirm: expected one of tick, close, got 'bar'"),
        ('[alerts.level_cross]\nconfirm = 1\n', "c.toml:2: alerts.level_cross.confirm: expected tick or close, got 1"),
        ('[alerts.ma_cross]\nconfirm = "close"\n', "c.toml:2: alerts.ma_cross.confirm: only level_cross, new_high, new_low fire on ticks"),
    ],
)
def test_each_problem_names_file_line_and_key(text, expected):
    found = problems(text)
    assert len(found) == 1, found
    assert found[0].startswith(expected), found


def test_problems_inside_levels_entries_point_at_that_entry():
    text = (
        '[[levels]]\nsymbol = "^RUT"\nprice = 1\n\n'
        '[[levels]]\nsymbol = "^RUT"\nprice = -2\nfrequency = "x"\nfoo = 3\n\n'
        '[[levels]]\nsymbol = "^RUT"\n'
    )
    assert problems(text) == [
        "c.toml:7: levels[2].price: expected a number above 0, got -2",
        "c.toml:8: levels[2].frequency: expected one of once, once_per_session, every_time, got 'x'",
        "c.toml:9: levels[2].foo: unknown key",
        "c.toml:11: levels[3].price: missing",
    ]


def test_a_level_listed_twice_is_a_problem():
    text = '[[levels]]\nsymbol = "^RUT"\nprice = 2500\n\n[[levels]]\nsymbol = "^RUT"\nprice = 2500.0\nlabel = "again"\n'
    assert problems(text) == ["c.toml:5: levels[2]: ^RUT 2500 is already levels[1]"]
    assert problems(text.replace('"^RUT"\nprice = 2500.0', '"^NDX"\nprice = 2500.0')) == []


@pytest.mark.parametrize(
    "text, line",
    [
        ('symbols = ["^RUT"]\n[rules\nx = 1\n', 2),
        ('a = 1\nb = \n', 2),
        ('a = 1\n\n\na = 2\n', 4),
    ],
)
def test_toml_syntax_error_has_its_line(text, line):
    found = problems(text)
    assert len(found) == 1
    assert found[0].startswith(f"c.toml:{line}: TOML syntax error: ")
    assert "(column " in found[0]


def test_multiline_strings_do_not_confuse_line_numbers():
    text = '[notify]\ncommand = """\nbell = 1\n"""\nbell = "x"\n'
    assert problems(text) == ["c.toml:5: notify.bell: expected true or false, got 'x'"]


def test_secrets_in_values_are_redacted_in_problems():
    found = problems('[notify]\nurls = "json://user:hunter2@example.org/?token=abc"\n')
    assert len(found) == 1
    assert "hunter2" not in found[0] and "abc" not in found[0]
    assert "json://***@example.org" in found[0]


def test_a_key_named_like_a_secret_is_named_not_masked():
    assert problems('token = "abc"\n') == ["c.toml:1: token: unknown key"]
    found = problems('[notify]\ncommand = 3\n"json://u:hunter2@h/" = 1\n')
    assert found[1] == "c.toml:3: notify.json://***@h/: unknown key"


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda p: p.write_bytes(b'symbols = ["^RUT"]\nlabel = "caf\xe9"\n'), ":2: not UTF-8 text (byte 0xe9 at column 13); save the file as UTF-8"),
        (lambda p: p.mkdir(), ": is a folder, not a config file"),
        (lambda p: None, ": config file not found"),
    ],
)
def test_unreadable_config_files_are_one_line_errors(tmp_path, make, expected):
    path = tmp_path / "c.toml"
    make(path)
    with pytest.raises(UserError) as info:
        load_config(path)
    assert str(info.value) == f"{path}{expected}"


def test_load_config_raises_one_line_user_error(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[rules]\nrsi_period = 0\nma_fast = "x"\n')
    with pytest.raises(UserError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"{path}:2: rules.rsi_period:")
    assert "1 more problem" in message and "\n" not in message


def test_policies_parse(tmp_path):
    text = (
        '[[levels]]\nsymbol = "^RUT"\nprice = 2500\nfrequency = "once"\ncooldown = "15m"\n'
        'expires = 2026-12-31\nmuted = true\n'
        '[alerts.ma_cross]\nfrequency = "once_per_session"\ncooldown = 90\n'
    )
    config, found = check_config_text(text, "c.toml")
    assert found == []
    policy = config.levels[0].policy
    assert (policy.frequency, policy.cooldown, str(policy.expires), policy.muted) == ("once", 900.0, "2026-12-31", True)
    assert config.policy_for("ma_cross").cooldown == 90.0


def test_a_symbol_typed_in_the_app_is_upper_cased_and_must_look_like_a_yahoo_ticker():
    from monitor.config import watch_symbol

    assert [watch_symbol(t) for t in (" ^rut ", "es=f", "brk-b", "0700.hk", "m&m.ns")] == ["^RUT", "ES=F", "BRK-B", "0700.HK", "M&M.NS"]
    for text, said in (("", "type a Yahoo ticker"), ("bad sym", "cannot be a Yahoo ticker"), ("^^x", "cannot be"), ("a" * 21, "cannot be")):
        with pytest.raises(ValueError, match=said):
            watch_symbol(text)


@pytest.mark.parametrize(
    "text, expected",
    [
        ('[futures]\n"^RUT" = "rty f"\n', 'c.toml:2: futures.^RUT: expected a futures ticker such as "RTY=F"'),
        ('[futures]\n"^RUT" = 3\n', 'c.toml:2: futures.^RUT: expected a futures ticker such as "RTY=F"'),
        ('[futures]\n"^GSPC" = "ES=F"\n"bad key" = "X=F"\n', 'c.toml:3: futures.bad key: expected an index ticker'),
        ('[futures]\n"^NDX" = "^NDX"\n', "c.toml:2: futures.^NDX: an index cannot be its own future"),
        ('futures = 1\n', "c.toml:1: futures: expected a table [futures]"),
    ],
)
def test_futures_problems_name_the_line_and_key(text, expected):
    found = problems(text)
    assert len(found) == 1 and found[0].startswith(expected), found


def test_futures_default_per_index_a_table_replaces_them_and_the_feed_subscribes_to_the_watched_ones():
    assert Config().watched_futures() == {"^RUT": "RTY=F", "^GSPC": "ES=F", "^NDX": "NQ=F"}
    assert Config().feed_symbols() == ["^RUT", "^GSPC", "^NDX", "RTY=F", "ES=F", "NQ=F"]
    config, found = check_config_text('symbols = ["^RUT", "AAPL"]\n[futures]\n"^RUT" = ""\n"^GSPC" = "ES=F"\n', "c.toml")
    assert found == [] and config.futures == {"^RUT": "", "^GSPC": "ES=F"}
    assert config.watched_futures() == {}  # ^RUT's is turned off, ^GSPC is not watched
    assert config.feed_symbols() == ["^RUT", "AAPL"]


# --------------------------------------------------------------------------------------------
# Warnings: valid, but a rule that can never fire


def warnings_of(text: str) -> list[str]:
    found: list[str] = []
    config, errors = check_config_text(text, "c.toml", found)
    assert errors == [] and config is not None
    return found


def test_a_level_or_divergence_symbol_outside_symbols_is_a_warning_at_its_line():
    text = (
        'symbols = ["^RUT", "^GSPC"]\n'
        '[[levels]]\nsymbol = "^RUT"\nprice = 2500\n'
        '[[levels]]\nsymbol = "RUT"\nprice = 2600\n'
        '[[levels]]\nsymbol = "AAPL"\nprice = 200\n'
        '[divergence]\nlead = "^RUT"\npeers = ["^GSPC", "^NDX"]\n'
    )
    assert warnings_of(text) == [
        "c.toml:6: levels[2].symbol: warning: 'RUT' is not in symbols, so this level never fires on live data (did you mean '^RUT'?)",
        "c.toml:9: levels[3].symbol: warning: 'AAPL' is not in symbols, so this level never fires on live data",
        "c.toml:13: divergence.peers[2]: warning: '^NDX' is not in symbols, so the divergence rule never fires on live data",
    ]


def test_a_divergence_lead_outside_symbols_is_a_warning():
    assert warnings_of('symbols = ["^GSPC", "^NDX"]\n[divergence]\nlead = "^rut"\n') == [
        "c.toml:3: divergence.lead: warning: '^RUT' is not in symbols, so the divergence rule never fires on live data",
    ]


def test_defaults_the_file_does_not_write_are_not_warned_about():
    """Watching only AAPL leaves the default ^RUT levels and divergence idle: not the user's doing."""
    assert warnings_of('symbols = ["AAPL"]\n') == []
    assert warnings_of("") == []
    assert warnings_of('[[levels]]\nsymbol = "^NDX"\nprice = 20000\n') == []  # default symbols


@pytest.mark.parametrize(
    "symbol, why",
    [
        ("A$B", "Yahoo tickers never contain '$'"),
        ("RUT/X", "Yahoo tickers never contain '/'"),
        ("ÄB", "Yahoo tickers never contain 'Ä'"),
        ("X^Y", "'^' only starts an index ticker, such as '^RUT'"),
        ("^", "a ticker starts with a letter or a digit (after an index's '^')"),
        ("^.X", "a ticker starts with a letter or a digit (after an index's '^')"),
        ("-X", "a ticker starts with a letter or a digit (after an index's '^')"),
        ("A" * 21, "longer than Yahoo's 20 characters"),
    ],
)
def test_a_symbol_that_cannot_be_a_yahoo_ticker_is_a_warning(symbol, why):
    text = f'symbols = ["^GSPC", "{symbol}"]\n'
    assert warnings_of(text) == [f"c.toml:1: symbols[2]: warning: {symbol!r} can never receive a quote: {why}"]


@pytest.mark.parametrize("symbol", ["^RUT", "^rut", "AAPL", "BRK-B", "ES=F", "EURUSD=X", "M&M.NS", "RY.TO", "BTC-USD", "^N225"])
def test_real_yahoo_ticker_shapes_are_not_warned_about(symbol):
    assert warnings_of(f'symbols = ["{symbol}"]\n') == []


def test_warnings_wait_until_the_errors_are_fixed():
    """Entries are numbered as written only when none was dropped by an error."""
    found: list[str] = []
    _, errors = check_config_text('symbols = ["^GSPC"]\n[[levels]]\nsymbol = "X"\nprice = -1\n', "c.toml", found)
    assert errors and found == []


def _controls(text: str) -> list[str]:
    return [c for c in text if not c.isprintable()]


@pytest.mark.parametrize(
    "text, expected",
    [
        ('[rules]\n"\\u001b[2J" = 1\n', "c.toml:2: rules.\\x1b[2J: unknown key"),
        ('[futures]\n"^RUT\\u009b2J" = "RTY=F"\n', "c.toml:2: futures.^RUT\\x9b2J: expected an index ticker"),
        ('[feed]\nsource = "x\\u001b]0;t\\u0007"\n', "c.toml:2: feed.source: expected one of yahoo-stream, yahoo-poll, got 'x\\x1b]0;t\\x07'"),
    ],
)
def test_a_control_character_from_the_file_is_shown_escaped_in_its_problem(text, expected):
    found = problems(text)
    assert len(found) == 1 and found[0].startswith(expected), found
    assert _controls(found[0]) == []


@pytest.mark.parametrize(
    "text, key",
    [
        ('[notify]\ncommand = "cat\\u0000x"\n', "notify.command"),
        ('[notify]\ncommand = "notify-send \\u001b[2Jx"\n', "notify.command"),
        ('[notify]\nurls = ["json://h/\\u009b"]\n', "notify.urls"),
        ('[feed]\nstream_url = "wss://h/\\u202e"\n', "feed.stream_url"),
    ],
)
def test_a_command_line_or_url_with_a_control_character_is_refused_at_its_line(text, key):
    found = problems(text)
    assert len(found) == 1 and found[0].startswith(f"c.toml:2: {key}: expected text without control characters, got "), found
    assert _controls(found[0]) == []


def test_a_command_line_may_hold_tabs_and_line_breaks():
    assert problems('[notify]\ncommand = "notify-send\\tx\\r\\ny"\n') == []


def test_a_zone_label_is_cleaned_like_a_level_label():
    config, found = check_config_text(
        '[[zones]]\nsymbol = "^RUT"\nlow = 1\nhigh = 2\nlabel = "\\u001b[31mred\\u009b0m zone\\u0007"\n', "c.toml")
    assert found == [] and config.zones[0].label == "red zone"


@pytest.mark.parametrize(
    "text, expected",
    [
        ('[rules]\nrsi_oversold = 70\n', "c.toml:2: rules.rsi_oversold: must be below rsi_overbought (70)"),
        ('[rules]\nma_fast = 200\n', "c.toml:2: rules.ma_fast: must be below ma_slow (200)"),
        ('[rules]\nma_slow = 20\n', "c.toml:1: rules.ma_fast: must be below ma_slow (20)"),
        ('[divergence]\nlead = "^NDX"\n', "c.toml:1: divergence.peers: must not contain the lead '^NDX'"),
        ('symbols = ["^RUT", "^rut"]\n', "c.toml:1: symbols: a symbol is listed twice in ['^RUT', '^RUT']"),
        ('[divergence]\npeers = ["^GSPC", "^GSPC"]\n', "c.toml:2: divergence.peers: a symbol is listed twice in ['^GSPC', '^GSPC']"),
    ],
)
def test_keys_that_contradict_each_other_are_one_problem_at_the_key_to_change(text, expected):
    assert problems(text) == [expected]


def test_a_file_without_a_futures_table_keeps_the_default_futures():
    config, found = check_config_text('symbols = ["^RUT"]\n', "c.toml")
    assert found == [] and config.futures == {"^RUT": "RTY=F", "^GSPC": "ES=F", "^NDX": "NQ=F"}
    assert config.feed_symbols() == ["^RUT", "RTY=F"]


def test_a_huge_value_is_said_by_its_length_and_a_problem_stays_one_short_line():
    word = "A" * 300_000  # redacting it whole took seconds; shown whole it floods the terminal
    found = check_config_text(f'symbols = ["{word}"]\n', "c.toml", warnings := [])[1]
    assert found == [] and warnings == [
        "c.toml:1: symbols[1]: warning: <300,002 characters> can never receive a quote: longer than Yahoo's 20 characters"]
    many = ", ".join(['"A"'] * 3000)
    found = problems(f"symbols = [{many}]\n")
    assert len(found) == 1 and found[0].startswith("c.toml:1: symbols: a symbol is listed twice in ['A', 'A'")
    assert len(found[0]) < 1100 and found[0].endswith("', ...")


def test_a_secret_in_a_huge_value_is_not_shown_in_part():
    found = problems(f'[notify]\nurls = ["json://u:hunter2@h/\\u0007{"x" * 3000}"]\n')
    assert found == ["c.toml:2: notify.urls: expected text without control characters, got <3,025 characters>"]


def test_a_number_of_thousands_of_digits_is_a_problem_at_its_line():
    assert problems(f'[rules]\nrsi_period = 3\nma_fast = 1{"0" * 5000}\n') == ["c.toml:3: a number of more than 4300 digits"]
