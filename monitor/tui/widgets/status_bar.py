"""The status bar: badge, data source and connection state, market phase with its countdown,
and the time and age of the last tick (data time, never the UI's clock; New York's, said "ET"
live and in a replay alike)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal

from monitor.model import FeedState, FeedStatus, shown_state
from monitor.tui.widgets.lines import LinesView
from monitor.tui.widgets.rows import age, ny_time
from monitor.view import StatusInputs

STATE_STYLES = {
    FeedState.LIVE: "green",
    FeedState.POLLING: "green",
    FeedState.REPLAY: "cyan",
    FeedState.DELAYED: "yellow",
    FeedState.CONNECTING: "yellow",
    FeedState.RECONNECTING: "bold yellow",
    FeedState.STALE: "bold red",
    FeedState.OFFLINE: "bold red",
    FeedState.MARKET_CLOSED: "dim",
    FeedState.ENDED: "bold cyan",
}


def _countdown(seconds: float) -> str:
    """12s, 5m, 2h 05m, 49h: past a day a countdown counts hours (a weekend's "2d" could be
    anything from 48 to 71 hours; "2d 1h" would not fit 80 columns beside a reconnect)."""
    if seconds >= 86400:
        return f"{int(seconds) // 3600}h"
    return age(seconds).replace(" min", "m").replace(" h ", "h ").replace(" s", "s")


def status_line(inputs: StatusInputs) -> Text:
    """The whole status line as one text (tests, logs)."""
    main, tick = status_parts(inputs)
    return main + Text(" │ ", style="dim") + tick


def status_parts(inputs: StatusInputs) -> tuple[Text, Text]:
    """(badge, feed and market state; data time and age of the last tick). Two parts so the
    one that changes every second repaints alone."""
    text = Text()
    if inputs.badge:
        text.append(f" {inputs.badge} ", style="bold reverse")
        text.append(" ")
    feed = inputs.feed
    detail = ""
    if inputs.error:
        text.append(f"{inputs.source}: feed error: {inputs.error}", style="bold red")
    elif feed is None:
        text.append(f"{inputs.source}: starting", style="yellow")
    else:
        market_open = inputs.market is None or inputs.replay or inputs.market.is_open
        shown = shown_state(feed.state, market_open)
        if feed.state is FeedState.ENDED:
            label = "replay ended"
        elif feed.state is FeedState.REPLAY:
            label = f"{'replay paused' if inputs.paused else 'replay playing'} {inputs.speed}".rstrip()
        elif shown is not feed.state:  # live a moment ago, but the market has closed
            label = f"{feed.source}: {shown.value}"
        else:
            label = f"{feed.source}: {feed.label}"
        text.append(label, style=STATE_STYLES.get(shown, ""))
        if feed.retry_in is not None:
            left = max(0.0, feed.retry_in - (inputs.now - feed.time))
            text.append(f" in {_countdown(left)}", style="yellow")
        if shown not in (FeedState.ENDED, FeedState.REPLAY) and shown is feed.state:
            detail = feed.detail
    market = inputs.market
    if market is not None and not inputs.replay:
        text.append(" │ ", style="dim")
        if market.is_open:
            text.append("NYSE open", style="green")
            text.append(f", closes in {_countdown(market.next_change - inputs.now)}")
        else:
            if inputs.futures:  # before the market: what gets cut at 80 columns is the countdown
                text.append("Chg: futures", style="bold magenta")
                text.append(" · ", style="dim")
            text.append(f"NYSE {market.phase}", style="yellow")
            text.append(f", opens in {_countdown(market.next_change - inputs.now)}")
    if inputs.unread:
        text.append(" │ ", style="dim")
        text.append(f"{inputs.unread} unread", style="bold yellow")
    if detail:  # after the market state: a long reason is what gets cut at 80 columns
        text.append(f" ({detail})", style="dim")
    if inputs.note:  # last: the backfill's note matters less than why the feed is down
        text.append(f" · {inputs.note}", style="yellow")
    if inputs.replay:
        return text, Text(f"data {ny_time(inputs.last_tick, with_date=True)} ET" if inputs.last_tick else "data –")
    if inputs.last_tick is None:
        return text, Text("no tick yet", style="dim")
    return text, Text(f"{ny_time(inputs.last_tick)} ET · {_countdown(inputs.now - inputs.last_tick)} ago")


class StatusBar(Horizontal):
    """One line above the footer: state on the left, the last tick on the right."""

    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; }
    StatusBar #status-main { width: 1fr; }
    StatusBar #status-tick { width: 27; }
    """
    # The tick part is sized to its text at each change (14 cells for "no tick yet", 27 for
    # "09:30:00 ET · 2h 05m ago"): what it leaves is room for the feed's state and reason.

    def compose(self) -> ComposeResult:
        yield LinesView(id="status-main")
        yield LinesView(id="status-tick")

    def show(self, inputs: StatusInputs) -> None:
        main, tick = status_parts(inputs)
        self.query_one("#status-main", LinesView).set_lines([main])
        tick = Text(" │ ", style="dim") + tick
        view = self.query_one("#status-tick", LinesView)
        if view.styles.width is None or view.styles.width.value != tick.cell_len:
            view.styles.width = tick.cell_len
        view.set_lines([tick])

    @property
    def plain_lines(self) -> list[str]:
        main = self.query_one("#status-main", LinesView).plain_lines
        tick = self.query_one("#status-tick", LinesView).plain_lines
        return ["".join(main + tick)]
