"""Secrets never reach logs, `config show` or error messages."""

from __future__ import annotations

import logging

import pytest
from hypothesis import assume, given, settings, strategies as st

from monitor.redact import install_log_redaction, redact


@pytest.mark.parametrize(
    "text, expected",
    [
        ("json://user:pass@host/path?token=abc", "json://***@host/path?token=***"),
        ("jsons://bob@example.org:8443/x?a=1&apikey=zz&sig=q", "jsons://***@example.org:8443/x?a=1&apikey=***&sig=***"),
        ("wss://streamer.finance.yahoo.com/?version=2", "wss://streamer.finance.yahoo.com/?version=2"),
        ("json://h/x?priority=high&id=AbCdEf0123456789xyz", "json://h/x?priority=high&id=***"),
        ("json://127.0.0.1:8080/hook", "json://127.0.0.1:8080/hook"),
        ("ntfy://ntfy.sh/my-topic", "ntfy://ntfy.sh/my-topic"),
        ("tgram://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/987654", "tgram://***/987654"),
        ("discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js", "discord://4174216298/***"),
        ("https://hooks.slack.com/services/T1234ABCD/B1234ABCD/abcdefghijklmnopqrstuvwx",
         "https://hooks.slack.com/services/T1234ABCD/B1234ABCD/***"),
        ("mailto://me:pw@gmail.com?to=you@example.org#frag", "mailto://***@gmail.com?to=you@example.org#***"),
        ("failed: ['json://a:b@h/', 'pover://ukey@atoken123456789abcdef']", "failed: ['json://***@h/', 'pover://***@***']"),
        ("token=abc password: hunter2 api_key=zz", "token=*** password: *** api_key=***"),
        ("curl -H 'Authorization: Bearer abcdef123456' https://x.io", "curl -H 'Authorization: Bearer ***' https://x.io"),
        ("f.toml:3: notify.secret: unknown key", "f.toml:3: notify.secret: unknown key"),
        ("ntfy publish --token=tk_abc123 topic", "ntfy publish --token=*** topic"),
        ("notify --token abc123 --api-key k1 --password pw -v", "notify --token *** --api-key *** --password *** -v"),
        ("curl -H 'X-Api-Key: abc123' -u bob:hunter2 https://x.io", "curl -H 'X-Api-Key: ***' -u bob:*** https://x.io"),
        ("run --tokens 3 --token-file /etc/tok", "run --tokens 3 --token-file /etc/tok"),
        ("^RUT fell below 2,500 (support) at 2,497.12", "^RUT fell below 2,500 (support) at 2,497.12"),
        ("", ""),
    ],
)
def test_redact(text, expected):
    assert redact(text) == expected


def test_redact_is_idempotent():
    once = redact("json://user:pass@host/p?token=abc token=x Bearer abcdefgh --token y -u a:b")
    assert redact(once) == once


def test_log_records_are_redacted(caplog):
    install_log_redaction("monitor.test")
    install_log_redaction("monitor.test")  # installing twice adds one filter
    logger = logging.getLogger("monitor.test")
    assert len(logger.filters) == 1
    with caplog.at_level(logging.INFO, logger="monitor.test"):
        logger.warning("sending to %s failed", "json://bob:hunter2@example.org/x?token=t0k3n")
    assert "hunter2" not in caplog.text and "t0k3n" not in caplog.text
    assert "json://***@example.org/x?token=***" in caplog.text


_secret = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", min_size=8, max_size=30)


@settings(max_examples=200, deadline=None)
@given(user=_secret, password=_secret, token=_secret, scheme=st.sampled_from(["json", "jsons", "ntfys", "mailtos", "https"]))
def test_no_credential_or_query_value_survives(user, password, token, scheme):
    for secret in (user, password, token):
        assume(secret not in f"delivery to {scheme}://***@notify.example.org/path?token=***&x=1 failed")
    url = f"{scheme}://{user}:{password}@notify.example.org/path?token={token}&x=1"
    shown = redact(f"delivery to {url} failed")
    for secret in (user, password, token):
        assert secret not in shown
    assert f"{scheme}://***@notify.example.org/path?token=***&x=1" in shown
