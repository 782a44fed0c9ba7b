"""Text from outside (stream names, yfinance metadata, config labels, alert history) made safe to
draw: escape sequences and control characters removed before a widget, a log line or a sink
sees it. The terminal bell and the OSC notification sinks are the only escapes the program
writes itself."""

from __future__ import annotations

import re

# ESC-introduced sequences: CSI (ESC [ ... final), OSC/DCS/SOS/PM/APC strings (ESC ] ... BEL or
# ESC \), and two-byte escapes; their 8-bit C1 forms too. What is left of a cut sequence, and
# every other C0/C1 control character (tabs and newlines included: one line of text), goes.
_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"  # CSI
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC, DCS, ...
    r"|\x1b[ -/]*[0-~]?"  # two-byte escapes (ESC c, ESC 7, ESC ( B, ...)
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]+")


def clean_text(value: object, limit: int = 200) -> str:
    """``value`` as one printable line of at most ``limit`` characters: escape sequences dropped,
    other control characters (and bidirectional overrides) turned into a space."""
    text = value if isinstance(value, str) else str(value)
    if text.isprintable() and len(text) <= limit:
        return text  # the common case costs one check
    text = _SEQUENCE.sub("", text)
    text = _CONTROL.sub(" ", text).strip()
    return text[:limit]


def visible(text: str) -> str:
    """``text`` with every non-printable character written as its escape (``\\x1b``, ``\\x9b``,
    ``\\n``): a message that quotes outside text still says what was there, on one line, and
    cannot drive the terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)
