"""The door (monitor/door.py): what may enter the state, rounded and upper-cased; each reject
counted and reported once per cause and symbol. And clean_text (monitor/text.py)."""

from __future__ import annotations

import math
import struct

import pytest

from monitor import door as door_module
from monitor.door import Door
from monitor.model import Tick
from monitor.text import clean_text

NOW = 1_771_945_200.0  # 2026-02-24 10:00 New York


def float32(value: float) -> float:
    """What a float32 on Yahoo's wire becomes in Python."""
    return struct.unpack("f", struct.pack("f", value))[0]


def make_door(market_open: bool = True):
    said: list[tuple[str, str]] = []
    return Door(lambda now: market_open, lambda symbol, cause: said.append((symbol, cause))), said


def live(symbol: str, t: float, price: float, received: float = NOW) -> Tick:
    return Tick(symbol, t, price, None, received)


def test_times_that_cannot_be_or_are_far_ahead_are_rejected_once_per_cause_and_symbol():
    door, said = make_door()
    batch = [
        live("^RUT", 2**62 / 1000, 2500.0),  # 2**62 ms: crashed --headless with OverflowError
        live("^RUT", 2**62 / 1000, 2500.0),
        live("^RUT", math.inf, 2500.0),
        live("^RUT", -5.0, 2500.0),
        live("^RUT", NOW + 86400, 2500.0),  # a day ahead: would have silenced the symbol
        live("^RUT", NOW + 301, 2500.0),
        live("^GSPC", NOW + 301, 6000.0),
        live("^RUT", NOW + 299, 2501.0),  # under 5 minutes ahead: clocks differ, fine
    ]
    assert door.admit(batch) == [batch[-1]]
    assert said == [
        ("^RUT", door_module.BAD_TIME),
        ("^RUT", door_module.AHEAD),
        ("^GSPC", door_module.AHEAD),
    ]
    assert door.rejected[(door_module.BAD_TIME, "^RUT")] == 4
    assert door.summary().startswith("rejected 7: ^RUT time not representable ×4")


def test_a_snapshot_older_than_the_last_print_moves_nothing_ties_pass():
    door, said = make_door()
    assert door.admit([live("^RUT", NOW + 5 * 60, 2510.0)])
    assert door.admit([live("^RUT", NOW + 60, 2490.0)]) == []  # the 10:01 snapshot after 10:05
    same = live("^RUT", NOW + 5 * 60, 2511.0)
    assert door.admit([same]) == [same]  # several prints share a second
    assert door.admit([live("^GSPC", NOW, 6000.0)])  # per symbol
    assert said == [("^RUT", door_module.OLDER)]


def test_a_frame_without_time_takes_the_receive_time_only_while_open():
    door, _ = make_door(market_open=True)
    [tick] = door.admit([live("^RUT", math.nan, 2500.0, received=NOW + 3)])
    assert tick.time == NOW + 3
    closed, said = make_door(market_open=False)
    assert closed.admit([live("^RUT", math.nan, 2500.0)]) == []
    assert said == [("^RUT", door_module.NO_TIME)]


# 0.004 is above zero but rounds to 0.0 at the index's 2 decimals: the price that would be
# compared, shown and written is 0, which is not a price.
@pytest.mark.parametrize("price", [math.nan, math.inf, -math.inf, 0.0, -2500.0, 1.4e-45, 1e300, 0.004])
def test_prices_that_are_not_prices_are_rejected(price):
    door, said = make_door()
    assert door.admit([live("^RUT", NOW, price)]) == []
    assert said == [("^RUT", door_module.BAD_PRICE)]


def test_prices_are_rounded_to_the_price_hint_and_symbols_upper_cased():
    door, _ = make_door()
    wire = float32(2502.8)
    assert wire != 2502.8  # 2502.800048828125 on the wire
    [tick] = door.admit([live("^rut", NOW, wire)])
    assert (tick.symbol, tick.price) == ("^RUT", 2502.8)
    door.hint("eurusd=x", 4)
    [fx] = door.admit([live("EURUSD=X", NOW, float32(1.15327))])
    assert fx.price == 1.1533
    untouched = live("^GSPC", NOW, 6000.25)
    assert door.admit([untouched])[0] is untouched  # nothing to change: the same tuple


def test_clean_text_removes_escape_sequences_and_control_characters():
    assert clean_text("Russell\x1b]52;c;SGVsbG8=\x07 2000") == "Russell 2000"  # OSC 52: clipboard
    assert clean_text("S&P\x1b]2;pwned\x1b\\ 500") == "S&P 500"  # OSC 2: window title
    assert clean_text("\x1b[2J\x1b[31mred\x1b[0m") == "red"
    assert clean_text("a\tb\nc\rd\x07e\x9b31mf") == "a b c d ef"
    assert clean_text("evil\u202etxt.exe") == "evil txt.exe"  # bidirectional override
    assert clean_text("x" * 500, limit=10) == "x" * 10
    plain = "Nasdaq 100 ^NDX"
    assert clean_text(plain) is plain


def test_a_config_in_lower_case_watches_upper_case_symbols_with_clean_labels(tmp_path):
    from monitor.config import load_config
    from monitor.feeds.yahoo_poll import YahooPollFeed
    from monitor.feeds.yahoo_stream import YahooStreamFeed

    path = tmp_path / "config.toml"
    path.write_text(
        'symbols = ["^rut", "^gspc"]\n\n[[levels]]\nsymbol = "^rut"\nprice = 2500\n'
        'label = "support\\u001b]52;c;SGVsbG8=\\u0007 line"\n',
        encoding="utf-8",
    )
    config = load_config(path)
    assert config.symbols == ("^RUT", "^GSPC")
    [level] = config.levels_for("^RUT")
    assert level.label == "support line"
    # Callers that pass lower case (the watchlist editor) still reach Yahoo's spelling.
    assert YahooStreamFeed(["^rut", "^RUT"], "ws://127.0.0.1:9").symbols == ["^RUT"]
    assert YahooPollFeed(["^ndx"]).symbols == ["^NDX"]
