"""The config schema's parts, stated once: what a key is (``Setting``: name, default, converter
with its range, what it expects, its comment), the kinds of tables keys live in, and how the
commented default config file shows them.

The schema itself is ``monitor.config.SCHEMA`` (a list of the tables below, in file order); the
config's validation, its typed values (``settings_class``), the default file
(``default_file_text``) and the README's reference (a test) all read it.

The converters take a parsed TOML value and return the typed one, or raise ``TypeError`` (the
message becomes "expected <expected>, got <value>") or ``ValueError`` with its own message.
This module imports nothing of the monitor, so any part that owns keys (a sink kind, a rule)
can state them beside its code and the config reads them from there.
"""

from __future__ import annotations

import json
import math
from dataclasses import MISSING, FrozenInstanceError, dataclass, field
from reprlib import recursive_repr
from typing import Any, Callable

Convert = Callable[[Any], Any]
Add = Callable[[str, str], None]  # records a problem: (dotted key, message)

COMMENT_COLUMN = 26  # where the default config file's end-of-line comments start
WIDTH = 99  # the default config file's comment paragraphs wrap before this column


class Frozen:
    """A subclass is a frozen dataclass: what ``@dataclass(frozen=True)`` generates for a class
    (``__init__`` by position or keyword with its defaults and default factories, the same
    ``TypeError`` messages, ``==`` and ``hash`` over the fields in order, the repr, no
    assignment) is done here, once for all classes. ``dataclass`` generates those methods as
    source and compiles them for every class at import, ~3 M instructions a class: the config's
    schema and its values, some twenty classes, cost a fifth of a short replay's whole process.
    ``dataclass`` still runs on each subclass, with nothing to generate, so ``fields``,
    ``replace`` and ``asdict`` work as on any dataclass."""

    __slots__ = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        dataclass(cls, init=False, repr=False, eq=False)
        cls._required = []  # the fields without a default, which come first
        for name, spec in cls.__dataclass_fields__.items():
            if spec.default is MISSING and spec.default_factory is MISSING:
                if len(cls._required) < list(cls.__dataclass_fields__).index(name):
                    raise TypeError(f"non-default argument {name!r} follows default argument")
                cls._required.append(name)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        fields = self.__dataclass_fields__
        where = f"{type(self).__qualname__}.__init__()"
        if len(args) > len(fields):
            most, least = len(fields) + 1, len(self._required) + 1
            takes = f"from {least} to {most}" if least < most else str(most)
            raise TypeError(f"{where} takes {takes} positional argument{'s' * (most > 1)} but {len(args) + 1} were given")
        values = dict(zip(fields, args))
        for name in kwargs:
            if name not in fields:
                raise TypeError(f"{where} got an unexpected keyword argument {name!r}")
            if name in values:
                raise TypeError(f"{where} got multiple values for argument {name!r}")
        values.update(kwargs)
        missing = [name for name in self._required if name not in values]
        if missing:
            names = [repr(name) for name in missing]
            listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])}{',' * (len(names) > 2)} and {names[-1]}"
            raise TypeError(f"{where} missing {len(names)} required positional argument{'s' * (len(names) > 1)}: {listed}")
        assign = object.__setattr__
        for name, spec in fields.items():
            if name in values:
                assign(self, name, values[name])
            else:
                assign(self, name, spec.default if spec.default_factory is MISSING else spec.default_factory())

    def _values(self) -> tuple:
        return tuple([getattr(self, name) for name in self.__dataclass_fields__])

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._values() == other._values()  # type: ignore[attr-defined]
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._values())

    @recursive_repr()
    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__dataclass_fields__)
        return f"{type(self).__qualname__}({shown})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")


class Setting(Frozen):
    """One key of a config table. ``required`` keys (a level's symbol and price) have no
    default: a missing one is a problem. ``example`` is the value the default file shows,
    commented out, for a key the default entries do not set (``muted = true``); a key unset by
    default (None) must have one."""

    key: str
    default: Any
    convert: Convert
    expected: str  # "expected <this>, got ..." when the converter raises TypeError
    comment: str = ""  # shown after the key in the commented default config file
    required: bool = False
    example: Any = None
    to_toml: Convert | None = None  # the value the file writes for a typed one, if not itself

    def default_line(self) -> str:
        """``key = default`` with its comment, as the commented default config file shows it."""
        return _with_comment(f"{self.key} = {toml_value(self.default)}", self.comment)

    def example_line(self) -> str:
        """``# key = example`` with its comment: a key shown commented out."""
        shown = self.default if self.example is None else self.example
        if shown is None:
            raise TypeError(f"{self.key}: a key unset by default needs an example to show in the default file")
        return _with_comment(f"# {self.key} = {toml_value(shown)}", self.comment)


def _with_comment(line: str, comment: str) -> str:
    return f"{line:<{COMMENT_COLUMN - 1}} # {comment}" if comment else line


class Group(Frozen):
    """Keys that sit in their table beside the others but make one value of type ``cls`` (a
    ``settings_class``): a level's delivery policy (frequency, cooldown, ...) is its
    ``AlertPolicy``, read from the same keys as an ``[alerts.<rule>]`` table."""

    name: str
    cls: type

    @property
    def settings(self) -> tuple[Setting, ...]:
        return self.cls.SETTINGS


Item = Setting | Group


def flat_settings(items: tuple[Item, ...]) -> tuple[Setting, ...]:
    """Every key of a table, a group's keys in its place."""
    return tuple(s for item in items for s in (item.settings if isinstance(item, Group) else (item,)))


def settings_class(name: str, items: tuple[Item, ...], doc: str, module: str) -> type:
    """A frozen dataclass (a ``Frozen``) with one field per setting (a required one first,
    without default) and per group (defaulting to its class's defaults); ``cls.SETTINGS`` is
    ``items``."""
    annotations: dict[str, Any] = {}
    body: dict[str, Any] = {"__annotations__": annotations, "__doc__": doc, "__module__": module, "__qualname__": name}
    for item in items:
        if isinstance(item, Group):
            annotations[item.name] = item.cls
            body[item.name] = field(default_factory=item.cls)
        elif item.required:
            annotations[item.key] = Any
        else:
            annotations[item.key] = type(item.default)
            body[item.key] = item.default
    cls = type(name, (Frozen,), body)
    cls.SETTINGS = items
    return cls


# --------------------------------------------------------------------------------------------
# The kinds of tables


class Table(Frozen):
    """``[name]``: a fixed set of keys read into ``cls`` (``name`` "" with ``cls`` None: the
    top-level keys, read into ``Config`` itself). ``check`` sees the read value and records
    problems between keys (``rsi_oversold`` below ``rsi_overbought``)."""

    name: str
    settings: tuple[Item, ...]
    comment: str = ""  # the paragraph above the table in the default file
    cls: type | None = None
    check: Callable[[Any, Add], None] | None = None

    def default_lines(self) -> list[str]:
        header = [f"[{self.name}]"] if self.name else []
        return [*comment_lines(self.comment), *header, *(s.default_line() for s in flat_settings(self.settings))]


def table(name: str, class_name: str, settings: tuple[Item, ...], doc: str, module: str, comment: str = "",
          check: Callable[[Any, Add], None] | None = None) -> Table:
    """A ``Table`` with its class (``settings_class``) made from its settings."""
    return Table(name, settings, comment, settings_class(class_name, settings, doc, module), check)


class Tables(Frozen):
    """``[[name]]``: a list of entries, each a table of ``cls``'s keys. Absent, the list is
    ``default()`` (which the default file shows); ``name = []`` means none. Two entries with the
    same ``identity`` are a problem ("<describe> is already <first entry>"); ``check`` returns
    (key, message) when one entry is wrong in itself, and it is then left out."""

    name: str
    cls: type
    default: Callable[[], tuple[Any, ...]]
    what: str  # "expected a table with <what>"
    identity: Callable[[Any], tuple]
    describe: Callable[[Any], str]
    comment: str = ""
    check: Callable[[Any], tuple[str, str] | None] | None = None

    @property
    def settings(self) -> tuple[Item, ...]:
        return self.cls.SETTINGS

    def default_lines(self) -> list[str]:
        keys = flat_settings(self.settings)
        shown = self.default()[:1]  # the keys the first default entry does not set: commented out
        optional = [s.example_line() for s in keys
                    if not s.required and all(entry_value(entry, s) == s.default for entry in shown)]
        lines = [*comment_lines(self.comment), *optional]
        for number, entry in enumerate(self.default()):
            if number:
                lines.append("")
            lines.append(f"[[{self.name}]]")
            for setting in keys:
                value = entry_value(entry, setting)
                if setting.required or (value is not None and value != setting.default):
                    line = f"{setting.key} = {toml_value(value)}"
                    lines.append(_with_comment(line, setting.comment) if number == 0 else line)
        return lines


def entry_value(entry: Any, setting: Setting) -> Any:
    """``setting``'s value in an entry read into a ``settings_class`` (inside its group, if any)."""
    for item in entry.SETTINGS:
        if isinstance(item, Group) and setting in item.settings:
            return getattr(getattr(entry, item.name), setting.key)
    return getattr(entry, setting.key)


class NamedTables(Frozen):
    """``[name.<one of names>]``: one table of ``cls``'s keys per name (``[alerts.level_cross]``);
    another name is a problem ("unknown <noun> (<noun>s: ...)"). None is written by default:
    the default file shows ``example`` commented out with every key."""

    name: str
    cls: type
    names: tuple[str, ...]
    noun: str  # "rule"
    example: str  # the name of the commented-out example table
    comment: str = ""
    check: Callable[[str, Any, Add], None] | None = None  # (name, value, add)

    @property
    def settings(self) -> tuple[Item, ...]:
        return self.cls.SETTINGS

    def default_lines(self) -> list[str]:
        keys = flat_settings(self.settings)
        return [*comment_lines(self.comment), f"# [{self.name}.{self.example}]", *(s.example_line() for s in keys)]


class Pairs(Frozen):
    """``[name]``: free keys, each one pair (``[futures]``: index = "future"). Absent, the pairs
    are ``default()``; present, ``read(table, add)`` gives them (the table replaces the defaults)."""

    name: str
    default: Callable[[], dict[str, Any]]
    read: Callable[[dict[str, Any], Add], dict[str, Any]]
    key: str  # what a key is, for the key reference ("<index>")
    accepts: str  # what a value is
    comment: str = ""

    @property
    def settings(self) -> tuple[Item, ...]:
        return ()

    def default_lines(self) -> list[str]:
        pairs = (f"{toml_value(key)} = {toml_value(value)}" for key, value in self.default().items())
        return [*comment_lines(self.comment), f"[{self.name}]", *pairs]


Section = Table | Tables | NamedTables | Pairs


def comment_lines(text: str) -> list[str]:
    """A comment as ``# `` lines: each line of ``text`` wrapped before ``WIDTH``."""
    import textwrap  # here: only the default file and the README's blocks are wrapped, not a run

    return ["# " + part for line in text.splitlines() for part in textwrap.wrap(line, WIDTH - 2, break_on_hyphens=False)]


def default_file_text(header: str, schema: tuple[Section, ...]) -> str:
    """The commented default config file: ``header``'s comment, then every section of
    ``schema`` with its comment and defaults (a key that is off unless set: commented out)."""
    blocks = [comment_lines(header), *(section.default_lines() for section in schema)]
    return "\n\n".join("\n".join(block) for block in blocks) + "\n"


def reference_table(schema: tuple[Section, ...]) -> str:
    """The README's key reference: every key as the README names it (``[rules] rsi_period``,
    ``[[levels]] price``, ``[alerts.<rule>] cooldown``), what it accepts, its default, its comment."""
    rows = ["| key | accepts | default | what |", "|---|---|---|---|"]
    for section in schema:
        if isinstance(section, Pairs):
            default = ", ".join(f"`{toml_value(k)} = {toml_value(v)}`" for k, v in section.default().items())
            rows.append(f"| `[{section.name}] {section.key}` | {section.accepts} | {default} | {section.comment.splitlines()[0]} |")
            continue
        where = {Table: "[{}] ", Tables: "[[{}]] ", NamedTables: "[{}.<{}>] "}[type(section)]
        where = where.format(section.name, getattr(section, "noun", ""))
        for setting in flat_settings(section.settings):
            key = f"{where if section.name else ''}{setting.key}"
            default = "required" if setting.required else "unset" if setting.default is None else f"`{toml_value(setting.default)}`"
            cells = (f"`{key}`", accepts(setting), default, setting.comment)
            rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(rows) + "\n"


def toml_value(value: Any) -> str:
    """A default as TOML source: ``true``, ``10`` (a whole float without its ``.0``), ``"osc9"``,
    ``[]``, ``2026-12-31``."""
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
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"no TOML form for {value!r}")


# --------------------------------------------------------------------------------------------
# Converters


def number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError
    if not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {value!r}")
    return float(value)


def accepting(text: str) -> Callable[[Convert], Convert]:
    """Marks a converter with what it accepts, range included ("a whole number of 1 or more"):
    its error message and the README's key reference both say it."""

    def mark(convert: Convert) -> Convert:
        convert.accepts = text  # type: ignore[attr-defined]
        return convert

    return mark


def accepts(setting: Setting) -> str:
    """What ``setting`` accepts: its converter's mark, else what its type error expects."""
    return getattr(setting.convert, "accepts", "") or setting.expected


def bounded(low: float, high: float = math.inf, *, above: bool = False, expected: str) -> Convert:
    """A converter for a finite number from ``low`` (exclusive if ``above``) to ``high``."""

    @accepting(expected)
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


def text_line(value: Any) -> str:
    """A string without control characters (tabs and line breaks aside): one that is used as it
    is (a command line, a URL), not cleaned like a label."""
    text = string(value)
    if text.isprintable():
        return text
    import unicodedata  # here: a text that is not printable is rare, and a run imports less

    if any(c not in "\t\n\r" and unicodedata.category(c)[0] == "C" for c in text):
        raise ValueError(f"expected text without control characters, got {text!r}")
    return text


def string_list(value: Any) -> tuple[str, ...]:
    """A list of ``text_line`` strings."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise TypeError
    return tuple(text_line(item) for item in value)


def choice(options: tuple[str, ...]) -> Convert:
    @accepting("one of " + ", ".join(json.dumps(option) for option in options))
    def convert(value: Any) -> str:
        text = string(value)
        if text not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {value!r}")
        return text

    return convert


def command_line(value: Any) -> str:
    """A command line split like a shell would (``shlex``), but never run by a shell."""
    import shlex  # here: only a config that sets a command line needs it

    text = text_line(value)
    try:
        shlex.split(text)
    except ValueError as exc:
        raise ValueError(f"cannot split the command line: {exc}") from None
    return text
