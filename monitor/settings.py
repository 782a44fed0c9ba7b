"""What a config key is, stated once: its name, default, converter (type and range), what the
converter expects (for the error message) and the comment the default config file shows.

The converters take a parsed TOML value and return the typed one, or raise ``TypeError`` (the
message becomes "expected <expected>, got <value>") or ``ValueError`` with its own message.
This module imports nothing of the monitor, so any part that owns keys (a sink kind, a rule)
can state them beside its code and the config reads them from there.
"""

from __future__ import annotations

import json
import math
import shlex
from dataclasses import dataclass
from typing import Any, Callable

Convert = Callable[[Any], Any]

COMMENT_COLUMN = 26  # where the default config file's end-of-line comments start


@dataclass(frozen=True)
class Setting:
    """One key of a config table."""

    key: str
    default: Any
    convert: Convert
    expected: str  # "expected <this>, got ..." when the converter raises TypeError
    comment: str = ""  # shown after the key in the commented default config file

    def default_line(self) -> str:
        """``key = default`` with its comment, as the commented default config file shows it."""
        line = f"{self.key} = {toml_value(self.default)}"
        if not self.comment:
            return line
        return f"{line:<{COMMENT_COLUMN - 1}} # {self.comment}"


def toml_value(value: Any) -> str:
    """A default as TOML source: ``true``, ``10`` (a whole float without its ``.0``), ``"osc9"``,
    ``[]``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


# --------------------------------------------------------------------------------------------
# Converters


def number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError
    if not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {value!r}")
    return float(value)


def bounded(low: float, high: float = math.inf, *, above: bool = False, expected: str) -> Convert:
    """A converter for a finite number from ``low`` (exclusive if ``above``) to ``high``."""

    def convert(value: Any) -> float:
        result = number(value)
        if result < low or (above and result == low) or result > high:
            raise ValueError(f"expected {expected}, got {value!r}")
        return result

    return convert


positive_number = bounded(0, above=True, expected="a number above 0")


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError
    return value


def string(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError
    return value


def string_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise TypeError
    return tuple(value)


def choice(options: tuple[str, ...]) -> Convert:
    def convert(value: Any) -> str:
        text = string(value)
        if text not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {value!r}")
        return text

    return convert


def command_line(value: Any) -> str:
    """A command line split like a shell would (``shlex``), but never run by a shell."""
    text = string(value)
    try:
        shlex.split(text)
    except ValueError as exc:
        raise ValueError(f"cannot split the command line: {exc}") from None
    return text
