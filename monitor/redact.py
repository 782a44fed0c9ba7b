"""Hide secrets in text that reaches a log, the screen or ``config show``.

Notification URLs carry credentials: ``json://user:pass@host/path?token=abc`` becomes
``json://***@host/path?token=***``. In every ``scheme://`` URL the user info is replaced, and
so are query values named like a secret (token, key, password, auth, signature, ...) and a host,
path segment or query value that looks like a token (long and mixing letters and digits, or a
``bot:token`` pair); the scheme and a normal host stay visible so the
reader can tell which service failed. Outside URLs, ``token=...``, ``password: ...``,
``X-Api-Key: ...``, ``Bearer ...``, command-line options (``--token ...``, ``--token=...``) and
curl's ``-u user:password`` values are replaced too.
"""

from __future__ import annotations

import logging
import re

MASK = "***"

_URL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*)://(?P<rest>[^\s'\"<>,\]\)]+)")
_SECRET_WORDS = r"(?:access[_-]?token|api[_-]?key|apikey|authorization|passwd|password|pwd|secret|token|webhook)"
# "token=x", "password: x", "--token=x", "X-Api-Key: x" (a key path such as "notify.token" is not a value)
_ASSIGNED = re.compile(rf"(?i)(?<![.\w])({_SECRET_WORDS})(\s*[=:]\s*)(?!\*\*\*|(?i:bearer|basic)\s)([^\s&'\",;]+)")
# command-line options: "--token x", "--api-key x", and curl's "-u user:password"
_OPTION = re.compile(rf"(?i)(?<!\S)(--?{_SECRET_WORDS})(\s+)(?!\*\*\*|-)(\S+)")
_CURL_USER = re.compile(r"(?<!\S)(-u|--user)(\s+)([^\s:]+:)(?!\*\*\*)(\S+)")
_SECRET_NAME = re.compile(r"(?i)token|key|secret|pass|pwd|auth|sig|session|cred|hook|user")
_BEARER = re.compile(r"(?i)\b(bearer|basic)(\s+)(?!\*\*\*)([A-Za-z0-9._~+/=\-]{6,})")


def looks_secret(part: str) -> bool:
    """A token-like string: 16+ characters mixing letters and digits, any 24+ character run
    without dots, or ``id:token`` (Telegram bots)."""
    if ":" in part:
        head, _, tail = part.rpartition(":")
        if not tail.isdigit():  # not host:port
            return True
        part = head
    if "." in part and not any(c.isdigit() for c in part.split(".")[-1]):
        return False  # a domain name
    letters = any(c.isalpha() for c in part)
    digits = any(c.isdigit() for c in part)
    return (len(part) >= 16 and letters and digits) or (len(part) >= 24 and "." not in part)


def _redact_url(match: re.Match[str]) -> str:
    scheme, rest = match.group("scheme"), match.group("rest")
    rest, hash_mark, fragment = rest.partition("#")
    rest, question, query = rest.partition("?")
    authority, slash, path = rest.partition("/")
    if "@" in authority:
        authority = MASK + "@" + authority.rpartition("@")[2]
    host = authority.rpartition("@")[2]
    if looks_secret(host):
        authority = authority[: len(authority) - len(host)] + MASK
    if path:
        path = "/".join(MASK if looks_secret(seg) else seg for seg in path.split("/"))
    if query:
        query = "&".join(
            f"{name}={MASK}" if sep and (_SECRET_NAME.search(name) or looks_secret(value)) else pair
            for pair in query.split("&")
            for name, sep, value in [pair.partition("=")]
        )
    if fragment:
        fragment = MASK
    return f"{scheme}://{authority}{slash}{path}{question}{query}{hash_mark}{fragment}"


def redact(text: str) -> str:
    """``text`` with credentials, tokens and token-like URL parts replaced by ``***``."""
    if not text:
        return text
    text = _URL.sub(_redact_url, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    text = _OPTION.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)
    text = _CURL_USER.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3)}{MASK}", text)
    return _ASSIGNED.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the formatted message of every record it sees."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install_log_redaction(*logger_names: str) -> None:
    """Redact records logged by these loggers (default: ``apprise``, which logs every plugin's
    messages, URLs included, on that one logger). A logger's filter does not see its children's
    records, so ``monitor.*`` modules redact their own messages where they make them."""
    for name in logger_names or ("apprise",):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
