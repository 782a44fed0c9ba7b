"""Recorded-shape v8 chart JSON served to yfinance through a requests transport adapter.

yfinance's hosts are hard-coded; its seam is the ``session=`` argument. A ``requests.Session``
with ``ChartAdapter`` mounted for https answers every request locally: the cookie and crumb
endpoints with fixed values, ``/v8/finance/chart/<symbol>`` from a script (a chart, an empty
result, an error, or an HTTP status such as 429). No socket is opened.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, time
from collections.abc import Callable, Sequence
from urllib.parse import parse_qs, unquote, urlsplit

import requests
from requests.adapters import BaseAdapter

from monitor.model import NEW_YORK


def chart_json(
    symbol: str,
    timestamps: Sequence[int],
    closes: Sequence[float | None],
    *,
    highs: Sequence[float | None] | None = None,
    lows: Sequence[float | None] | None = None,
    opens: Sequence[float | None] | None = None,
    volumes: Sequence[int | None] | None = None,
    granularity: str = "1m",
    price_hint: int = 2,
) -> dict:
    """The v8 chart answer yfinance parses, for one symbol."""
    closes = list(closes)
    last = next((c for c in reversed(closes) if c is not None), None)
    return {
        "chart": {
            "error": None,
            "result": [
                {
                    "meta": {
                        "currency": "USD",
                        "symbol": symbol,
                        "exchangeName": "SNP",
                        "fullExchangeName": "SNP",
                        "instrumentType": "INDEX",
                        "firstTradeDate": 1000,
                        "regularMarketTime": int(timestamps[-1]) if timestamps else 0,
                        "hasPrePostMarketData": False,
                        "gmtoffset": -18000,
                        "timezone": "EST",
                        "exchangeTimezoneName": "America/New_York",
                        "regularMarketPrice": last,
                        "chartPreviousClose": last,
                        "previousClose": last,
                        "scale": 3,
                        "priceHint": price_hint,
                        "shortName": f"{symbol} index",
                        "dataGranularity": granularity,
                        "range": "",
                        "validRanges": ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"],
                        **({"tradingPeriods": _regular_periods(timestamps)} if granularity.endswith("m") else {}),
                    },
                    "timestamp": [int(t) for t in timestamps],
                    "indicators": {
                        "quote": [
                            {
                                "open": list(opens or closes),
                                "high": list(highs or closes),
                                "low": list(lows or closes),
                                "close": closes,
                                "volume": list(volumes or [0] * len(closes)),
                            }
                        ]
                    },
                }
            ],
        }
    }


def _regular_periods(timestamps: Sequence[int]) -> list[list[dict]]:
    """Yahoo's ``tradingPeriods`` (regular hours only) for the New York dates of the bars."""
    days = sorted({datetime.fromtimestamp(t, NEW_YORK).date() for t in timestamps})
    return [
        [
            {
                "timezone": "EST",
                "gmtoffset": -18000,
                "start": int(datetime.combine(day, time(9, 30), NEW_YORK).timestamp()),
                "end": int(datetime.combine(day, time(16, 0), NEW_YORK).timestamp()),
            }
        ]
        for day in days
    ]


def empty_chart(symbol: str) -> dict:
    """What Yahoo answers when it has no bars (result without timestamps)."""
    answer = chart_json(symbol, [], [])
    result = answer["chart"]["result"][0]
    del result["timestamp"]
    result["indicators"]["quote"] = [{}]
    return answer


def error_chart(code: str = "Not Found", description: str = "No data found, symbol may be delisted") -> dict:
    return {"chart": {"result": None, "error": {"code": code, "description": description}}}


class ChartRequest:
    """What the handler sees: the symbol and the query parameters of one chart request."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.url = url
        self.symbol = unquote(parts.path.rsplit("/", 1)[-1])
        self.params = {k: v[0] for k, v in parse_qs(parts.query).items()}


Handler = Callable[[ChartRequest], "int | dict | tuple[int, dict | str]"]


class ChartAdapter(BaseAdapter):
    """Answers yfinance locally. ``handler(chart_request)`` returns a chart dict (200), an
    HTTP status (e.g. 429), or ``(status, body)``. Every chart request is recorded."""

    def __init__(self, handler: Handler) -> None:
        super().__init__()
        self.handler = handler
        self.requests: list[ChartRequest] = []
        self.other: list[str] = []
        self.lock = threading.Lock()

    def send(self, request, **kwargs):
        url = request.url
        if "/v8/finance/chart/" in url:
            chart = ChartRequest(url)
            with self.lock:
                self.requests.append(chart)
            answer = self.handler(chart)
            if isinstance(answer, int):
                status, body = answer, "Too Many Requests" if answer == 429 else ""
            elif isinstance(answer, tuple):
                status, body = answer
            else:
                status, body = 200, answer
        else:
            with self.lock:
                self.other.append(url)
            status, body = 200, "fake-crumb" if "getcrumb" in url else ""
        return _response(request, status, body)

    def close(self) -> None:
        pass

    def __getstate__(self) -> dict:
        """Picklable (without its lock), so a fake session can cross into the yfinance child
        process; requests made there are recorded there."""
        state = dict(self.__dict__)
        del state["lock"]
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.lock = threading.Lock()

    def chart_requests(self, symbol: str | None = None) -> list[ChartRequest]:
        with self.lock:
            return [r for r in self.requests if symbol in (None, r.symbol)]


def _response(request, status: int, body) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.url = request.url
    response.request = request
    response.reason = "OK" if status == 200 else "Error"
    text = body if isinstance(body, str) else json.dumps(body)
    response._content = text.encode("utf-8")
    response.headers["Content-Type"] = "application/json"
    response.encoding = "utf-8"
    return response


def forget_yfinance_answers() -> None:
    """yfinance memoizes (in-process) the chart answers of date ranges that ended before the wall
    clock, as the range of every test clock in the past does: a second load in the same process
    would get the first one's answer without asking the stand-in. Imports nothing (a test without
    yfinance stays without it)."""
    import sys

    data = sys.modules.get("yfinance.data")
    if data is not None:
        data.YfData.cache_get.cache_clear()


def fake_session(handler: Handler) -> tuple[requests.Session, ChartAdapter]:
    """A requests session whose every http(s) request is answered by ``handler``."""
    adapter = ChartAdapter(handler)
    session = requests.Session()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session, adapter


class StandinYahoo:
    """A picklable chart handler (it can serve the yfinance child process): daily bars of the
    ``days`` sessions before the day of ``now`` and that day's 1-minute bars up to ``now``; every
    answer is ``status`` instead when one is set (429: rate limited)."""

    def __init__(self, days: int, now: float, status: int | None = None) -> None:
        from datetime import timedelta

        from monitor.market_hours import MarketClock

        calendar = MarketClock(lambda: now)
        day = datetime.fromtimestamp(now, NEW_YORK).date() - timedelta(days=1)
        self.sessions: list = []  # dates, oldest first
        while len(self.sessions) < days:
            if calendar.is_session(day):
                self.sessions.insert(0, day)
            day -= timedelta(days=1)
        self.now = now
        self.status = status

    def __call__(self, request: ChartRequest):
        if self.status is not None:
            return self.status
        base = 2000.0 if request.symbol == "^RUT" else 6000.0
        if request.params.get("interval") == "1m":
            day = datetime.fromtimestamp(self.now, NEW_YORK).date()
            opens = int(datetime.combine(day, time(9, 30), NEW_YORK).timestamp())
            stamps = list(range(opens, int(self.now), 60))
            return chart_json(request.symbol, stamps, [base + 100 + i / 100 for i in range(len(stamps))])
        stamps = [int(datetime.combine(d, time(9, 30), NEW_YORK).timestamp()) for d in self.sessions]
        closes = [base + i for i in range(len(stamps))]
        return chart_json(request.symbol, stamps, closes, granularity="1d")


def standin_info(symbol: str) -> dict:
    """``Ticker.info`` of the stand-in (picklable: a module-level function)."""
    return {"shortName": f"{symbol} name", "exchangeDataDelayedBy": 0, "priceHint": 2}


def standin_hang(*_):
    """A yfinance call that never returns (a module-level function: it can run in the child)."""
    threading.Event().wait()


def standin_chatty(value):
    """A yfinance call that writes to file descriptor 1 itself (as a C library can), then answers."""
    import os

    os.write(1, b"\x00\x00\x00\x01x")  # read as a message, this is a 1-byte broken pickle
    return value


def standin_failure(text: str):
    """Fails as a yfinance call can (a module-level function: it can run in the child process):
    an error of yfinance's rate-limit class carrying the warnings yfinance logged."""
    error = type("YFRateLimitError", (Exception,), {})(text)
    error.yf_messages = ["Too Many Requests. Rate limited. Try after a while."]
    raise error


class HistoryYahoo:
    """A picklable chart handler serving daily bars from CSV files (``symbol -> [paths]``, the
    replay format, concatenated): the sessions up to ``through`` inside the request's
    ``period1``/``period2`` (all of them for a ``range``), with ``revised`` closes (date -> close)
    in place of the file's. Every request is kept in ``served`` (params and rows answered)."""

    def __init__(self, files: dict, through=None, revised: dict | None = None) -> None:
        import csv

        self.bars: dict[str, list[tuple]] = {}
        for symbol, paths in files.items():
            rows = []
            for path in paths:
                with open(path, encoding="utf-8") as handle:
                    rows += [(r["date"], float(r["open"]), float(r["high"]), float(r["low"]), float(r["close"]))
                             for r in csv.DictReader(handle)]
            self.bars[symbol] = rows
        self.through = through  # a date: the last session Yahoo has
        self.revised = dict(revised or {})
        self.served: list[tuple[dict, int]] = []

    def __call__(self, request: ChartRequest):
        from datetime import date

        first = int(request.params.get("period1", -(2**40)))
        last = int(request.params.get("period2", 2**40))
        stamps, quotes = [], []
        for day, o, h, l, c in self.bars.get(request.symbol, []):
            when = date.fromisoformat(day)
            stamp = int(datetime.combine(when, time(9, 30), NEW_YORK).timestamp())
            if (self.through is None or when <= self.through) and first <= stamp < last:
                c = self.revised.get(when, c)
                stamps.append(stamp)
                quotes.append((o, max(h, c), min(l, c), c))
        if request.params.get("range") == "1d":  # yfinance's time zone probe: the last bar
            stamps, quotes = stamps[-1:], quotes[-1:]
        else:
            self.served.append((dict(request.params), len(stamps)))
        if not stamps:
            return empty_chart(request.symbol)
        o, h, l, c = (list(column) for column in zip(*quotes))
        return chart_json(request.symbol, stamps, c, opens=o, highs=h, lows=l, granularity="1d")
