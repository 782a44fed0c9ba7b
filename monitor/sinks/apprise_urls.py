"""Notifications through apprise URLs."""

from __future__ import annotations

import time
from typing import Callable, Iterable

from monitor.errors import UserError
from monitor.model import Alert
from monitor.settings import Setting, string_list
from monitor.sinks.base import SinkError, SinkKind, alert_body, alert_title


class AppriseSink:
    """Notifications through apprise URLs (``pip install 'market-monitor[notify]'``).

    Each URL is sent on its own, retried ``retries`` times with exponential backoff; only the
    URLs that failed are retried, so nobody gets a message twice."""

    name = "apprise"

    def __init__(
        self,
        urls: Iterable[str],
        retries: int = 3,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        try:
            import apprise
        except ImportError:
            raise UserError("notify.urls needs apprise: pip install 'market-monitor[notify]'") from None
        from monitor.redact import install_log_redaction, redact  # here: the config reads KIND on every run

        install_log_redaction("apprise")
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep
        self.targets: list[tuple[str, object]] = []
        for url in urls:
            target = apprise.Apprise()
            if not target.add(url):
                raise UserError(redact(f"notify.urls: apprise does not understand {url}"))
            self.targets.append((redact(url), target))

    def deliver(self, alert: Alert) -> None:
        title, body = "market-monitor: " + alert_title(alert), alert_body(alert)
        pending = list(self.targets)
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(self.backoff * 2 ** (attempt - 1))
            pending = [(shown, target) for shown, target in pending if not _notify(target, title, body)]
            if not pending:
                return
        names = ", ".join(shown for shown, _ in pending)
        raise SinkError(f"could not deliver to {names} after {self.retries + 1} attempts")


def _notify(target, title: str, body: str) -> bool:
    try:
        return bool(target.notify(title=title, body=body))
    except Exception as exc:  # a plugin bug must not kill the worker
        import logging

        from monitor.redact import redact

        logging.getLogger("monitor.sinks").warning(redact(f"apprise raised {type(exc).__name__}: {exc}"))
        return False


KIND = SinkKind(
    "apprise",
    (Setting("urls", (), string_list, "a list of apprise URLs",
             "apprise URLs (pip install 'market-monitor[notify]'), e.g. [\"ntfy://ntfy.sh/my-topic\"]"),),
    wanted=lambda notify: bool(notify.urls),
    build=lambda notify, write: AppriseSink(notify.urls),
)
