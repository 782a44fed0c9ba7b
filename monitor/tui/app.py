"""The Textual monitor: wiring of feed → MarketState → Delivery (policy, history, sinks) → screen.

Ticks are applied to ``MarketState`` as they arrive (in the feed worker); the screen is
repainted by a timer at most ``[ui] max_fps`` times a second, and only the cells whose text
changed are written. ``make_app`` builds the app for the CLI and for the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from functools import partial
from typing import Any

from textual import work
from textual.actions import parse as parse_action
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer
from textual.widgets._toast import ToastRack
from textual.worker import Worker, WorkerState

from monitor.config import RULES, Config, watch_symbol
from monitor.delivery import Delivery
from monitor.errors import UserError
from monitor.feeds.base import Feed
from monitor.feeds.live import in_daemon_thread
from monitor.futures import FuturesBoard
from monitor.market_hours import MarketClock
from monitor.model import Alert, FeedState, FeedStatus, SymbolInfo, shown_state
from monitor.policy import alert_key
from monitor.series import demo_series
from monitor.session import BACKFILL_TIMEOUT, Frontend, LiveSession
from monitor.state import MarketState, SymbolState
from monitor.tui import partial_updates
from monitor.tui.widgets.alert_log import AlertDetails, AlertFilter, AlertLog, rule_parameters
from monitor.tui.widgets.detail import DetailPane, chart_data, readout_lines
from monitor.tui.widgets.dialogs import SNOOZE_SECONDS, ConfirmSave, MuteDialog, ThresholdsDialog, mute_entries
from monitor.tui.widgets.help import HelpScreen
from monitor.tui.widgets.rows import ny_time, short_decimals, watch_cells, watch_columns
from monitor.tui.widgets.status_bar import StatusBar
from monitor.tui.widgets.symbol_dialog import SymbolDialog
from monitor.tui.widgets.watchlist import Watchlist
from monitor.view import DAILY_RANGE, RANGES, Rotation, StatusInputs, chart_view, display_name, freshness, market_view, readout, rotation_of, rotation_view, watch_row

DEMO_HISTORY_SHARE = 0.8  # sessions applied at start as history; the rest is played
DEMO_SPEED = 9600.0  # data seconds per second: a daily bar's 4 ticks 0.375 s apart, 1.5 s a session
HISTORY_SHOWN = 50
FLASH_TIMES = (0.0, 0.35, 0.7, 1.4)  # row flash: on, off, on, off
TTY_CHECK_SECONDS = 2.0
HANGUP_GRACE = 3.0  # seconds the shutdown may take after the terminal went away
CHART_INTERVAL = 1.0  # seconds between chart redraws while prices move
REMOVE_CONFIRM_SECONDS = 5.0  # the second Del must come this soon
KEEP_DELIVERED = 1000


class MonitorApp(App[int], Frontend):
    """The market monitor. Build it with ``make_app``."""

    CSS_PATH = "app.tcss"
    TITLE = "market-monitor"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("question_mark", "help", "Help", id="help", key_display="?"),
        Binding("c", "toggle_chart", "Chart", id="chart"),
        Binding("v", "toggle_rotation", "Rotation", id="rotation"),
        Binding("t", "thresholds", "Thresholds", id="thresholds"),
        Binding("m", "mute", "Mute", id="mute"),
        Binding("a", "focus_alerts", "Alerts", id="alerts"),
        Binding("w", "focus_watchlist", "Watchlist", id="watchlist", show=False),
        Binding("r", "mark_read", "Mark read", id="mark_read", show=False),
        Binding("space", "pause", "Pause", id="pause", show=False),
        Binding("e", "study", "Study", id="study", show=False),
        Binding("plus,equals_sign", "faster", "Faster", id="faster", show=False, key_display="+"),
        Binding("minus", "slower", "Slower", id="slower", show=False, key_display="-"),
        Binding("full_stop", "step_session", "Step a session", id="step", show=False, key_display="."),
        Binding("greater_than_sign", "play_to_end", "To the end", id="to_end", show=False, key_display=">"),
        *(Binding(str(i), f"chart_range('{name}')", f"Chart {name}", show=False) for i, name in enumerate(RANGES, start=1)),
        Binding("n", "add_symbol", "Add symbol", id="add_symbol", show=False),
        Binding("delete", "remove_symbol", "Remove symbol", id="remove_symbol", show=False, key_display="Del"),
        Binding("shift+up", "move_up", "Move up", id="move_up", show=False, key_display="shift+↑"),
        Binding("shift+down", "move_down", "Move down", id="move_down", show=False, key_display="shift+↓"),
        Binding("s", "sort", "Sort", id="sort", show=False),
    ]

    def __init__(
        self,
        config: Config,
        feed: Feed,
        *,
        badge: str = "",
        clock: Callable[[], float] = time.time,
        history: Any = None,
        state: MarketState | None = None,
        delivery: Any = None,
        backfill: Any = None,
        chart_range: str = "1D",
        intraday: bool = True,
    ) -> None:
        # NO_COLOR: Textual's Monochrome filter turns red and green into dark greys on a dark grey
        # background (unreadable); with ANSI colours on it uses its NoColor filter instead: the
        # terminal's own foreground and background, with bold, dim and reverse kept.
        super().__init__(ansi_color=True if os.environ.get("NO_COLOR") is not None else None)
        partial_updates.install()  # changed lines are sent from the change on, not the widget's edge
        self.config = config
        self.feed = feed
        self.badge = badge
        self.clock = clock
        self.history = history
        self.replay = feed.source == "replay"
        # A replay's keys (pause, speed, step, to the end) talk to this: a ReplayFeed.
        self.replay_control: Any = feed if self.replay else None
        self._resume_after_dialog = False  # a dialog paused the replay: play on when it closes
        state = state or MarketState(config, feed.source)
        delivery = delivery or Delivery(
            config,
            terminal_write=self.write_terminal,
            history=None if self.replay else history,
            on_error=self._sink_error,
            clock=clock,
            sinks=[] if self.replay else None,  # replays and the demo notify nobody, bell included
        )
        self.market_clock = MarketClock(clock)
        self.futures = FuturesBoard({} if self.replay else config.watched_futures(), self.market_clock)
        self.session = LiveSession(
            config, feed, delivery, frontend=self, state=state, backfill=backfill, clock=clock, market=self.market_clock,
            futures=self.futures,
        )
        self.state = self.session.state
        self.delivery = delivery
        self._shown_status: FeedStatus | None = None
        self.terminal_output: list[str] = []  # what went straight to the terminal (bell, OSC)
        self.chart_range = chart_range  # one of detail.RANGES
        self.daily_range = chart_range if chart_range != "1D" else DAILY_RANGE  # where `c` goes back to
        self.intraday = intraday  # the data has minute bars (a daily replay has not)
        self.rotation = False  # the chart shows the lead over its peers instead of the price (key v)
        self.feed_error = ""
        self.flushes = 0  # repaints the flush timer asked for
        self.delivered: deque[Alert] = deque(maxlen=KEEP_DELIVERED)  # newest last
        self._pending_moments: list[list[Alert]] = []  # delivered, not yet toasted: one list per batch and symbol
        self.unread = 0  # alerts delivered since the user last marked them read
        self._status_dirty = True
        self._detail_dirty = True
        self._flash_timers: list = []
        self._toasts: list[tuple[str, str]] = []  # (title, message) shown since the last clear
        self._chart_drawn = 0.0  # monotonic time of the last chart redraw
        self._chart_pending = False  # prices moved since the chart was drawn
        self._watchlist: Watchlist | None = None
        self._remove_armed: tuple[str, float] | None = None  # (symbol, when): Del pressed once

    # --- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Watchlist(list(self.state.symbols), columns=watch_columns(self._rotation), id="watchlist")
        yield DetailPane(id="detail")
        yield AlertLog(id="alerts")
        yield StatusBar(id="status")
        yield Footer()

    def on_resize(self) -> None:
        self.call_after_refresh(self.place_toasts)

    def place_toasts(self) -> None:
        """Toasts sit over the chart, just above the alert log (which lists the same alerts)."""
        screen = self.screen_stack[0] if self.screen_stack else None
        if screen is None or not screen.query(AlertLog):
            return
        bottom = max(0, screen.size.height - self.alert_log.region.y)
        for rack in screen.query(ToastRack):
            rack.styles.margin = (0, 0, bottom, 0)

    @property
    def watchlist(self) -> Watchlist:
        found = self._main_watchlist()
        return found if found is not None else self.query_one("#watchlist", Watchlist)

    @property
    def alert_log(self) -> AlertLog:
        return self.query_one("#alerts", AlertLog)

    def on_mount(self) -> None:
        self.state.dirty.update(self.state.symbols)
        if self.console.color_system in ("standard", "windows"):
            # 16 colours: use the terminal's own palette, so red stays the user's red.
            self.theme = "ansi-dark"
        if self.badge:
            self.sub_title = self.badge
        if self.history is not None and not self.replay:
            self.alert_log.add_history(reversed(self.history.recent(HISTORY_SHOWN)))
        self.watchlist.focus()
        self.set_interval(1.0 / self.config.ui.max_fps, self.flush, name="flush")
        self.set_interval(1.0, self.tick_second, name="clock")
        if not self.is_headless:
            self._watch_signals()
            if _on_a_tty():  # not under `textual serve` (pipes, no tty): see _run
                self.set_interval(TTY_CHECK_SECONDS, self._check_terminal, name="tty")
        self.call_after_refresh(self.place_toasts)
        self.consume_feed()
        self.flush()

    # --- feed: the live session (monitor.session) does the work; the app draws ------------------

    @work(name="feed", group="feed", exclusive=True, exit_on_error=False)
    async def consume_feed(self) -> None:
        """Run the session (feed, history, door, state, delivery); errors end up in the status
        bar (exit_on_error=False)."""
        try:
            await self.session.run()
        finally:
            self._status_dirty = True

    @property
    def feed_status(self) -> FeedStatus | None:
        return self.session.feed_status

    @property
    def last_tick(self) -> float | None:
        return self.session.last_tick

    @property
    def infos(self) -> dict[str, SymbolInfo]:
        return self.session.infos

    @property
    def history_first(self):
        return self.session.history_first

    @property
    def backfill(self):
        return self.session.backfill

    def market_open(self, now: float) -> bool:
        return self.session.market_open(now)

    # Frontend: what the session tells the app.

    def show_status(self, status: FeedStatus) -> None:
        """A new feed state for the status bar. Going offline or stale is also said once in a
        toast with its reason, which the status bar has no room for at 80 columns."""
        previous, self._shown_status = self._shown_status, status
        self._status_dirty = True
        trouble = status.state in (FeedState.OFFLINE, FeedState.STALE)
        changed = previous is None or (previous.state, previous.source) != (status.state, status.source)
        if trouble and changed:
            self.notify(status.detail or status.state.value, title=f"{status.source}: {status.state.value}", severity="warning", timeout=10)

    def show_info(self, info: SymbolInfo) -> None:
        self.state.dirty.add(info.symbol)

    def say(self, text: str, warning: bool = False) -> None:
        """Warnings (history problems, the first reject of each cause) once in a toast; the
        status bar keeps the short note and the reject count."""
        if warning:
            self.notify(text, title="Input", severity="warning", timeout=10)

    def changed(self) -> None:
        self._status_dirty = True

    def show_alerts(self, alerts: list[Alert]) -> None:
        """One batch's delivered alerts: the log shows them at once, toasts and row flashes come
        with the next repaint, one per symbol of the batch (a moment)."""
        moments: dict[str, list[Alert]] = {}
        for alert in alerts:
            self.delivered.append(alert)
            self.alert_log.add(alert)
            moments.setdefault(alert.symbol, []).append(alert)
            self.unread += 1
            self._status_dirty = True
        self._pending_moments += moments.values()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "feed":
            return
        if event.state is WorkerState.ERROR:
            error = event.worker.error
            self.feed_error = f"{type(error).__name__}: {error}" if error else "failed"
            self._status_dirty = True
            self.notify(self.feed_error, title="Feed stopped", severity="error", timeout=10)

    # --- alerts ------------------------------------------------------------------------------

    def handle_alerts(self, alerts: Iterable[Alert]) -> None:
        """Policy, history and sinks (bell included) through the session's ``Delivery``."""
        self.session.deliver(list(alerts))

    def _announce(self) -> None:
        """The newest moment in one toast (each of its alerts a line), the others counted; one
        flash per symbol."""
        moments, self._pending_moments = self._pending_moments, []
        if not moments:
            return
        if not isinstance(self.screen, ModalScreen):  # no toasts over a dialog: the log has them
            newest = moments[-1]
            others = sum(map(len, moments)) - len(newest)
            more = f" (+{others} more in the log)" if others else ""
            rules = ", ".join(dict.fromkeys(alert.rule for alert in newest))
            self.clear_notifications()  # one toast at a time: at 80x24 a stack hides the screen
            self.notify("\n".join(alert.message for alert in newest) + more, title=f"{newest[0].symbol} · {rules}", timeout=6)
        for symbol in sorted({moment[0].symbol for moment in moments}):
            if symbol in self.watchlist.symbols:
                for i, at in enumerate(FLASH_TIMES):
                    timer = self.set_timer(at or 0.001, lambda s=symbol, on=not i % 2: self._flash(s, on))
                    self._flash_timers.append(timer)
        del self._flash_timers[:-64]  # older flashes have long finished

    def _main_watchlist(self) -> Watchlist | None:
        """The watchlist, or None once the app shuts down: a timer (flash, repaint, the
        second's tick) can fire after the main screen's widgets are gone."""
        found = self._watchlist  # a DOM query per repaint cost 1 ms: look it up once
        if found is not None and found.is_attached:
            return found
        screens = self.screen_stack
        found = next(iter(screens[0].query(Watchlist)), None) if screens else None
        self._watchlist = found
        return found

    def _flash(self, symbol: str, on: bool) -> None:
        """One step of a row flash (nothing left to flash once the app shuts down)."""
        watchlist = self._main_watchlist()
        if watchlist is not None:
            watchlist.flash(symbol, on)

    @property
    def flash_steps(self) -> int:
        """Row flash steps scheduled since the flashes were last stopped (the latest 64)."""
        return len(self._flash_timers)

    @property
    def toasts(self) -> tuple[tuple[str, str], ...]:
        """(title, message) of every toast shown since the last ``clear_notifications``."""
        return tuple(self._toasts)

    def notify(self, message: str, *, title: str = "", **kwargs) -> None:
        self._toasts.append((title, message))
        super().notify(message, title=title, **kwargs)

    def clear_notifications(self) -> None:
        self._toasts.clear()
        super().clear_notifications()

    def stop_flashes(self) -> None:
        for timer in self._flash_timers:
            timer.stop()
        self._flash_timers.clear()
        watchlist = self._main_watchlist()
        for symbol in watchlist.symbols if watchlist is not None else ():
            watchlist.flash(symbol, False)

    def settle(self) -> None:
        """Stop flashes, clear toasts and repaint: a still picture for snapshot tests. Alerts
        still waiting for the repaint are announced first, so their flashes stop too."""
        self.flush()
        self.stop_flashes()
        self.clear_notifications()
        self._status_dirty = self._detail_dirty = True
        self.flush()

    # --- repaint -----------------------------------------------------------------------------

    def flush(self) -> None:
        """Push what changed since the last flush to the screen (called max_fps times a second)."""
        dirty = self.state.dirty
        if self._chart_pending and time.monotonic() - self._chart_drawn >= CHART_INTERVAL:
            self._chart_pending = False
            self._detail_dirty = True
        if not dirty and not self._status_dirty and not self._pending_moments and not self._detail_dirty:
            return
        watchlist = self._main_watchlist()
        if watchlist is None:
            return
        self.flushes += 1
        selected = watchlist.selected_symbol
        lead, peers = self._rotation.lead, self._rotation.peers
        if lead in self.state.symbols and not dirty.isdisjoint(peers):
            dirty.add(lead)  # its spreads against the peers moved
        with self.batch_update():
            for symbol in list(dirty):
                sym = self.state.symbols.get(symbol)
                if sym is not None and symbol in watchlist.symbols:
                    watchlist.set_row(symbol, watch_cells(self._row(sym)))
            if selected in dirty or self._detail_dirty:
                self._show_detail(selected, force=self._detail_dirty)
            dirty.clear()
            if self._status_dirty:
                self._show_status()
            self._announce()

    @property
    def _rotation(self) -> Rotation:
        return rotation_of(self.config)

    def display_name(self, symbol: str) -> str:
        info = self.infos.get(symbol)
        return display_name(symbol, info.name if info is not None else "")

    def price_decimals(self, symbol: str) -> int:
        info = self.infos.get(symbol)
        return info.price_hint if info is not None else 2

    def _row(self, sym: SymbolState):
        info = self.infos.get(sym.symbol)
        now = self.clock()
        feed = self.feed_status
        market_open = self.market_open(now) if not self.replay else True
        shown = shown_state(feed.state, market_open) if feed is not None else None  # the status bar's word
        fresh = freshness(
            self.feed.source,
            now=now,
            last_received=sym.last_received,
            last_time=sym.last_time,
            delay_minutes=info.delay_minutes if info else None,
            stale_after=self.config.feed.stale_after,
            market_open=market_open and shown is not FeedState.MARKET_CLOSED,
            feed_stale=shown in (FeedState.STALE, FeedState.OFFLINE),
        )
        shown_row = watch_row(sym, self.config, self.display_name(sym.symbol), fresh, self.price_decimals(sym.symbol), self.state.symbols)
        quote = self._futures_quote(sym.symbol, now)
        if quote is not None:
            shown_row = shown_row._replace(change=quote.change, change_pct=quote.change_pct, futures=quote.future)
        return shown_row

    def _futures_quote(self, symbol: str, now: float):
        """While the cash market is closed: the future's change since the index's last close."""
        if self.replay or not self.futures.futures or self.market_open(now):
            return None
        return self.futures.quote(symbol, now)

    def _show_detail(self, symbol: str | None, force: bool = False) -> None:
        """Readouts at every repaint; the chart (a coarser picture) at most once a second
        unless the selection or the chart mode changed."""
        self._detail_dirty = False
        sym = self.state.symbols.get(symbol) if symbol else None
        if sym is None:
            return
        pane = self.query_one(DetailPane)
        pane.show_readout(readout_lines(readout(sym, self.config, self.display_name(symbol), self.state.symbols), self.price_decimals(symbol)))
        now = time.monotonic()
        if force or now - self._chart_drawn >= CHART_INTERVAL:
            self._chart_drawn = now
            if self.rotation:
                view = rotation_view(self.state.symbols, self.config, self.chart_range, intraday=self.intraday)
                pane.show_chart(chart_data(view), decimals=1)
            else:
                data = chart_data(chart_view(sym, self.config, self.chart_range, intraday=self.intraday))
                pane.show_chart(data, decimals=short_decimals(sym.last, self.price_decimals(symbol)))
        else:
            self._chart_pending = True

    def _show_status(self) -> None:
        self._status_dirty = False
        replay = self.replay
        now = self.last_tick if replay and self.last_tick else self.clock()
        self.query_one(StatusBar).show(
            StatusInputs(
                badge=self.badge,
                source=self.feed.source,
                feed=self.feed_status,
                error=self.feed_error,
                market=None if replay else market_view(self.market_clock.status(now)),
                last_tick=self.last_tick,
                now=now,
                replay=replay,
                paused=bool(getattr(self.replay_control, "paused", False)),
                speed=replay_speed(getattr(self.replay_control, "speed", None)) if replay else "",
                note=self.status_note(),
                unread=self.unread,
                futures=any(self._futures_quote(symbol, now) for symbol in self.watchlist.order),
            )
        )

    def tick_second(self) -> None:
        """Once a second (the clock timer; a test calls it rather than wait): countdowns and ages move (the session commits closed bars); a sorted
        watchlist follows the new values."""
        watchlist = self._main_watchlist()
        if watchlist is not None:
            watchlist.resort()
        if not self.replay:
            self._status_dirty = True
            self.state.dirty.update(self.state.symbols)  # freshness badges age

    def status_note(self) -> str:
        """The backfill's note and what the door rejected, for the status bar."""
        return " · ".join(part for part in (self.session.note, self.session.rejects) if part)

    def on_data_table_row_highlighted(self, event) -> None:
        if event.data_table is self.watchlist:
            self._remove_armed = None
            self._detail_dirty = True
            self.flush()

    # --- the watchlist's symbols ---------------------------------------------------------------

    def action_add_symbol(self) -> None:
        """Add a symbol to the watchlist: checked with Yahoo, its history loaded, saved."""
        self.push_screen(SymbolDialog(self.add_symbol, self.badge))

    async def add_symbol(self, text: str) -> str:
        """Put the symbol typed as ``text`` on the watchlist. Yahoo is asked through the
        backfill (which loads its history at the same time): a symbol without data is refused.
        Returns "" once it is watched, else why not (the dialog shows it)."""
        try:
            symbol = watch_symbol(text)
        except ValueError as exc:
            return str(exc)
        if symbol in self.watchlist.order:
            return f"{symbol} is already on the watchlist"
        if self.replay:
            return "a replay shows the replayed files only: add symbols in a live run"
        result, unchecked = None, "not checked: history is off"
        if self.backfill is not None:
            try:
                result, problem = await asyncio.wait_for(in_daemon_thread(lambda: self.backfill.check(symbol)), BACKFILL_TIMEOUT)
            except asyncio.TimeoutError:
                return f"Yahoo did not answer for {symbol} within {BACKFILL_TIMEOUT:g} s: try again"
            if problem:
                return problem
            unchecked = "" if result.series else f"not checked: {result.unreachable or 'history from the cache only'}"
            future = self.config.futures.get(symbol)
            if future and not self.replay:  # its future's closes, for the row before the open
                self.futures.configure({**self.futures.futures, symbol: future})
                self.session.learn_history(await in_daemon_thread(self.backfill.with_symbols([future]).load))
        if result is not None:
            self._take_history(result)
        await self.watch_symbols([*self.watchlist.order, symbol], selected=symbol, said=f"added {symbol}")
        if unchecked:
            self.notify(f"{symbol}: {unchecked}; it shows 'waiting' until Yahoo sends a price", title="Watchlist", severity="warning", timeout=8)
        return ""

    def _take_history(self, result) -> None:
        """A new symbol's backfill into the state, through the session (and its door)."""
        self.session.add_history(result)

    async def watch_symbols(self, symbols: Sequence[str], *, selected: str | None = None, said: str = "") -> None:
        """Watch ``symbols`` in this order from now on: state, rows, the feed's subscriptions
        and the config file (live runs only: a replay's watchlist is its files)."""
        for symbol in set(self.watchlist.order) - set(symbols):
            self.state.symbols.pop(symbol, None)
        config = replace(self.config, symbols=tuple(symbols))
        self.config = config
        if not self.replay:
            self.futures.configure(config.watched_futures())
        self.state.reconfigure(config)
        self.watchlist.set_order(list(symbols), selected)
        self.state.dirty.update(symbols)
        self._detail_dirty = True
        self.flush()
        await self.feed.set_symbols(config.feed_symbols())
        if self.replay:
            self.notify(f"{said} (a replay's watchlist is not saved)" if said else "not saved in a replay", title="Watchlist", timeout=3)
            return
        from monitor import config_store
        from monitor.paths import config_path

        path = config.path or config_path()[0]
        try:
            config_store.save_symbols(path, symbols)
        except (UserError, OSError) as exc:
            self.notify(f"{said}, but not saved: {exc}" if said else f"not saved: {exc}", title="Watchlist", severity="error", timeout=10)
        else:
            self.notify(f"{said}; saved to {path}" if said else f"saved to {path}", title="Watchlist", timeout=3)

    async def action_remove_symbol(self) -> None:
        """Remove the selected symbol from the watchlist (press Del twice; saved)."""
        symbol = self.watchlist.selected_symbol
        if symbol is None:
            return
        order = self.watchlist.order
        if len(order) == 1:
            self.notify("the watchlist keeps one symbol at least", title="Watchlist", timeout=3)
            return
        armed, self._remove_armed = self._remove_armed, None
        if armed is None or armed[0] != symbol or self.clock() - armed[1] > REMOVE_CONFIRM_SECONDS:
            self._remove_armed = (symbol, self.clock())
            self.notify(f"press Del again to remove {symbol}", title="Watchlist", timeout=REMOVE_CONFIRM_SECONDS)
            return
        levels = len(self.config.levels_for(symbol))
        said = f"removed {symbol}" + (f" (its {levels} level(s) stay in the config)" if levels else "")
        await self.watch_symbols([s for s in order if s != symbol], said=said)

    async def action_move_up(self) -> None:
        """Move the selected symbol up the watchlist (your order, saved)."""
        await self.move_symbol(-1)

    async def action_move_down(self) -> None:
        """Move the selected symbol down the watchlist (your order, saved)."""
        await self.move_symbol(1)

    async def move_symbol(self, offset: int) -> None:
        watchlist = self.watchlist
        symbol = watchlist.selected_symbol
        if symbol is None:
            return
        if watchlist.sort is not None:  # moving a row means the user's own order again
            watchlist.sort_by(None)
        order = list(watchlist.order)
        at = order.index(symbol)
        to = max(0, min(len(order) - 1, at + offset))
        if to != at:
            order.insert(to, order.pop(at))
            await self.watch_symbols(order, selected=symbol, said=f"moved {symbol}")

    def action_sort(self) -> None:
        """Sort the watchlist by the next column (then back to your order); or click a header."""
        watchlist = self.watchlist
        watchlist.next_sort()
        self.notify(watchlist.sort_label(), title="Watchlist", timeout=2)

    # --- actions -----------------------------------------------------------------------------

    def action_toggle_chart(self) -> None:
        """Switch the detail chart between the session (1D) and the daily range last shown."""
        self.action_chart_range(self.daily_range if self.chart_range == "1D" else "1D")

    def action_toggle_rotation(self) -> None:
        """Switch the chart between the price and the rotation view: the divergence lead over each peer, 100 at the range's start."""
        self.rotation = not self.rotation
        self._detail_dirty = True
        self.flush()

    def action_chart_range(self, name: str) -> None:
        """Show the chart over ``name`` (1D is the session's minutes, the others daily closes)."""
        self.chart_range = name
        if name != "1D":
            self.daily_range = name
        self._detail_dirty = True
        self.flush()

    def push_screen(self, screen, *args, **kwargs):
        """Toasts would cover the dialog; a replay waits while one is open (help, a dialog)."""
        self.clear_notifications()
        control = self.replay_control
        if control is not None and not control.paused and len(self.screen_stack) <= 1:
            control.paused = self._resume_after_dialog = True
            self._status_dirty = True
        return super().push_screen(screen, *args, **kwargs)

    def pop_screen(self):
        done = super().pop_screen()
        if self._resume_after_dialog and len(self.screen_stack) <= 1:
            self._resume_after_dialog = False
            self.replay_control.paused = False
            self._status_dirty = True
        return done

    def action_help(self) -> None:
        """Show every key and what it does."""
        self.push_screen(HelpScreen(self.key_table(), self.badge))

    def action_focus_alerts(self) -> None:
        """Move the focus to the alert log (scroll it with the arrow keys)."""
        self.alert_log.focus()

    def action_mark_read(self) -> None:
        """Mark every alert read: the unread count goes and row flashes stop."""
        self.unread = 0
        self.stop_flashes()
        self._status_dirty = True
        self.flush()

    def on_alert_log_opened(self, event: AlertLog.Opened) -> None:
        """Enter on an alert in the log: its details."""
        gate = getattr(self.delivery, "gate", None)
        policy = gate.policy_for(alert_key(event.alert)) if gate is not None else None
        self.push_screen(AlertDetails(event.alert, rule_parameters(event.alert, self.config, policy), self.badge))

    def on_alert_log_filter_asked(self) -> None:
        """``f`` in the log: filter it by a symbol or a rule seen in it."""
        log = self.alert_log
        symbols = list(dict.fromkeys([*self.state.symbols, *(a.symbol for a in log.alerts)]))
        rules = [rule for rule in RULES if rule in {a.rule for a in log.alerts}] or list(RULES)
        self.push_screen(AlertFilter(log.filter, symbols, rules, self.badge), lambda chosen: chosen is not None and log.set_filter(chosen))

    def action_focus_watchlist(self) -> None:
        """Move the focus back to the watchlist."""
        self.watchlist.focus()

    def action_pause(self) -> None:
        """Pause or resume a replay."""
        control = self.replay_control
        if control is not None:
            control.paused = not control.paused
            self._resume_after_dialog = False
            self._replay_changed("replay paused" if control.paused else "replay resumed")

    def action_faster(self) -> None:
        """Replay twice as fast (the speed is in the status bar)."""
        if self.replay_control is not None:
            self.replay_control.faster()
            self._replay_changed()

    def action_slower(self) -> None:
        """Replay half as fast."""
        if self.replay_control is not None:
            self.replay_control.slower()
            self._replay_changed()

    def action_step_session(self) -> None:
        """Replay the next session, then pause."""
        if self.replay_control is not None:
            self.replay_control.step_session()
            self._replay_changed()

    def action_play_to_end(self) -> None:
        """Replay everything left at once."""
        if self.replay_control is not None:
            self.replay_control.play_to_end()
            self._replay_changed("replaying to the end")

    def _replay_changed(self, note: str = "") -> None:
        self._status_dirty = True
        self.alert_log.show_whole(bool(self.replay_control.paused))
        if note:
            self.notify(note, timeout=2)
        self.flush()

    def action_study(self) -> None:
        """Study the selected symbol: returns after each alert rule against every session."""
        from monitor.tui.study_job import study_job, study_loader
        from monitor.tui.widgets.study import StudyScreen

        symbol = self.watchlist.selected_symbol
        if symbol:
            self.push_screen(StudyScreen(symbol, study_job(study_loader(self))))

    def action_thresholds(self) -> None:
        """Edit the levels and zones of the selected symbol and the rule thresholds."""
        symbol = self.watchlist.selected_symbol
        if symbol:
            self.push_screen(ThresholdsDialog(self.config, symbol, self.badge), self.apply_config)

    def apply_config(self, config: Config | None) -> None:
        """Use ``config`` at once (state, gate, screen) and save its levels, zones and rules; a demo or
        a replay asks first (the file is the user's real config)."""
        if config is None:
            return
        from monitor.paths import config_path

        path = config.path or self.config.path or config_path()[0]
        config = replace(config, path=path)
        self.config = self.session.config = config
        self.state.reconfigure(config)
        self.delivery.reconfigure(config)
        self.state.dirty.update(self.state.symbols)
        self._detail_dirty = True
        if self.replay:
            self.push_screen(ConfirmSave(path, self.badge), lambda save: self.save_thresholds(config) if save else self.notify(
                "applied to this replay only; your config is unchanged", title="Thresholds", timeout=4))
        else:
            self.save_thresholds(config)
        self.flush()

    def save_thresholds(self, config: Config) -> None:
        """Write the levels, zones and rules of ``config`` to its file (comments kept)."""
        from monitor import config_store

        try:
            config_store.save_levels(config.path, config.levels)
            config_store.save_zones(config.path, config.zones)
            config_store.save_rules(config.path, config.rules)
        except (UserError, OSError) as exc:
            self.notify(f"applied, but not saved: {exc}", title="Config", severity="error", timeout=10)
        else:
            self.notify(f"saved to {config.path}", title="Thresholds", timeout=4)

    def action_mute(self) -> None:
        """Mute, snooze (1 h) or unmute an alert rule or a level of the selected symbol."""
        symbol = self.watchlist.selected_symbol or ""
        self.push_screen(MuteDialog(mute_entries(symbol, self.config), self.muted_states(), self.apply_mute, self.badge))

    def muted_states(self) -> dict[str, str]:
        """Each muted key: "muted" or "snoozed until 11:00 ET" (New York time like every other
        time on screen: over SSH the host is often UTC)."""
        return {
            key: "muted" if until is None else f"snoozed until {ny_time(until)[:5]} ET"
            for key, until in self.delivery.gate.muted_keys().items()
        }

    def apply_mute(self, action: str, key: str) -> dict[str, str]:
        """Mute, snooze or unmute ``key`` (the mute dialog stays open); returns the new states."""
        if action == "mute":
            self.delivery.gate.mute(key)
        elif action == "snooze":
            self.delivery.gate.snooze(key, SNOOZE_SECONDS)
        else:
            self.delivery.gate.unmute(key)
        return self.muted_states()

    def key_table(self) -> list[tuple[str, str]]:
        """(key, what it does) for the help screen, from the bindings and their actions."""
        rows = [(b.key_display or b.key, self.describe_binding(b)) for b in self.BINDINGS if not b.action.startswith("chart_range")]
        rows += [
            ("1-7", f"Chart range: {' '.join(RANGES)} (1D: the session's minutes; the others daily closes)."),
            ("↑ ↓", "Select a symbol (watchlist); move through the alert log when it has the focus."),
            ("Enter", "In the alert log: the alert's details (values, rule parameters, source)."),
            ("f", "In the alert log: show only one symbol's or one rule's alerts."),
            ("Tab", "Next panel."),
            ("ctrl+p", "Command palette: every action by name."),
            ("ctrl+q", "Quit."),
        ]
        return rows

    def describe_binding(self, binding: Binding) -> str:
        action = getattr(self, f"action_{parse_action(binding.action)[1]}", None)
        doc = (action.__doc__ or "").strip().splitlines() if action else []
        return doc[0] if doc else binding.description

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for binding in self.BINDINGS:
            _, name, params = parse_action(binding.action)
            action = getattr(self, f"action_{name}", None)
            if action is None or name == "quit":
                continue
            yield SystemCommand(binding.description, self.describe_binding(binding), partial(action, *params))

    # --- terminal ----------------------------------------------------------------------------

    def write_terminal(self, text: str) -> None:
        """Bell and desktop-notification escapes, straight to the terminal (thread-safe: the
        driver queues writes for its writer thread)."""
        self.terminal_output.append(text)
        del self.terminal_output[:-100]
        driver = self._driver
        if driver is not None and not self.is_headless:
            driver.write(text)
            driver.flush()

    def _sink_error(self, name: str, message: str) -> None:
        """A sink failed (called on a sink's thread): say so in a toast."""
        try:
            self.call_from_thread(self.notify, message, title=f"{name} failed", severity="error")
        except RuntimeError:
            pass

    def _check_terminal(self) -> None:
        """Exit when the terminal went away (a dropped SSH session leaves no tty)."""
        if not _on_a_tty():
            self.terminal_gone()

    def _watch_signals(self) -> None:
        """SIGTERM: leave as ``q`` does (the terminal restored); SIGHUP: the same while the
        terminal still answers, else ``terminal_gone``. Plain ``signal`` handlers, not the event
        loop's: they run even while the loop is stuck on a write nobody reads."""
        handlers = {"SIGTERM": lambda *_: self.leave(), "SIGHUP": lambda *_: self.hang_up()}
        for name, handler in handlers.items():
            try:
                signal.signal(getattr(signal, name), handler)
            except (AttributeError, ValueError, OSError):  # Windows, or not the main thread
                pass

    def hang_up(self) -> None:
        if _on_a_tty():
            self.leave()
        else:
            self.terminal_gone()

    def leave(self) -> None:
        """Exit with 0 from any thread or a signal handler; if the shutdown blocks (a pipe
        nobody reads), the process ends after a grace period (history and config writes are
        already on disk by then)."""
        threading.Thread(target=_exit_after, args=(HANGUP_GRACE,), name="leave-exit", daemon=True).start()
        loop = getattr(self, "_loop", None)  # Textual's own loop, set while the app runs
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.exit, 0)

    def terminal_gone(self, reason: str = "") -> None:
        """The terminal (or the `textual serve` client) went away: leave now. Output goes to
        /dev/null so Textual's shutdown does not fail writing to a dead tty or pipe."""
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            for fd in (1, 2):
                os.dup2(null, fd)
        except OSError:
            pass
        self.leave()

    async def action_quit(self) -> None:
        """Quit the monitor."""
        self.exit(0)

    async def on_unmount(self) -> None:
        await self.session.aclose()


# --- building the app -------------------------------------------------------------------------


def replay_speed(speed: float | None) -> str:
    """A replay's speed for the status bar: ``×9,600`` (data seconds per second) or ``max``."""
    return "max" if speed is None else f"×{speed:,.0f}"


def _on_a_tty() -> bool:
    """stdout is a terminal that still answers (a hung-up pty fails tcgetattr with EIO)."""
    try:
        fd = sys.__stdout__.fileno()
        if not os.isatty(fd):
            return False
        try:
            import termios
        except ImportError:  # Windows: isatty is all we can ask
            return True
        termios.tcgetattr(fd)
        return True
    except Exception:  # OSError, termios.error, a closed or replaced stdout
        return False


def _exit_after(seconds: float) -> None:
    time.sleep(seconds)
    os._exit(0)


def make_app(
    config: Config,
    feed: Feed,
    *,
    demo: bool = False,
    clock: Callable[[], float] | None = None,
    history: Any = None,
    state: MarketState | None = None,
    delivery: Any = None,
    backfill: Any = None,
    chart_range: str | None = None,
    intraday: bool = True,
) -> MonitorApp:
    """The app for the CLI and the tests. ``clock`` is the wall clock (frozen in tests);
    ``history`` an ``AlertHistory`` shown at start and appended to (never in replays); a
    ``state`` may come pre-filled (the demo's history); ``backfill`` a ``feeds.backfill.Backfill``
    loaded at start (live); ``delivery`` replaces the ``delivery.Delivery`` built from the config."""
    replay = feed.source == "replay"
    badge = "DEMO · REPLAY" if demo else "REPLAY" if replay else ""
    return MonitorApp(
        config,
        feed,
        badge=badge,
        clock=clock or time.time,
        history=None if replay else history,
        state=state,
        delivery=delivery,
        backfill=None if replay else backfill,
        chart_range=chart_range or (DAILY_RANGE if replay else "1D"),
        intraday=intraday,
    )


def prefill(state: MarketState, series: list) -> None:
    """Apply ``series`` to ``state`` at once as history: its alerts are discarded."""
    from monitor.series import replay_batches

    for batch in replay_batches([s for s in series if s.rows]):
        state.apply(batch)


def build_replay_app(
    config: Config,
    series: list,
    *,
    speed: float | None,
    cut: float | None = None,
    demo: bool = False,
    clock: Callable[[], float] | None = None,
) -> MonitorApp:
    """The app on replayed ``series``: the watchlist is the replayed symbols (the config's levels
    and rules apply where they name them); the rows before the epoch ``cut`` are applied at once
    as history, the rest is played at ``speed``."""
    from monitor.feeds.replay import ReplayFeed
    from monitor.series import replayed_symbols, split_at

    config = replace(config, symbols=replayed_symbols(series))
    history, rest = split_at(series, cut) if cut is not None else ([], series)
    state = MarketState(config, "replay")
    if demo:  # the all-time records set before the shipped two years
        from monitor.records import shipped_records

        state.seed_records(shipped_records())
    prefill(state, history)
    intraday = any(getattr(s, "kind", "") == "intraday" for s in series)
    return make_app(
        config,
        ReplayFeed(rest, speed),
        demo=demo,
        clock=clock,
        state=state,
        chart_range="1D" if intraday else DAILY_RANGE,
        intraday=intraday,
    )


def build_demo_app(config: Config, *, speed: float | None = DEMO_SPEED, clock: Callable[[], float] | None = None) -> MonitorApp:
    """``--demo``: 80 % of the shipped sessions as history, the rest played at ``speed``."""
    from monitor.series import share_cut

    series = demo_series()
    return build_replay_app(config, series, speed=speed, cut=share_cut(series, DEMO_HISTORY_SHARE), demo=True, clock=clock)


def run_app(args: argparse.Namespace) -> int:
    """``market-monitor`` (live) and ``market-monitor --demo``."""
    from monitor.config import load_effective_config

    config = load_effective_config(getattr(args, "config", None))
    if getattr(args, "demo", False):
        return _run(build_demo_app(config))
    from monitor.feeds import build_live_feed
    from monitor.feeds.backfill import backfill_from_env
    from monitor.history import AlertHistory

    feed = build_live_feed(config, args, symbols=config.feed_symbols())
    return _run(make_app(config, feed, history=AlertHistory(), backfill=backfill_from_env(config.feed_symbols())))


def run_app_on_replay(args: argparse.Namespace, config: Config, series: list) -> int:
    """``market-monitor replay FILES`` without --headless: the app on the replayed files, from
    ``--from DATE`` (default: the last year of a long replay; what is before is history)."""
    from monitor.feeds.replay import parse_speed
    from monitor.series import default_cut, parse_from

    speed = parse_speed(args.speed) if getattr(args, "speed", None) else DEMO_SPEED
    from_date = getattr(args, "from_date", None)
    cut = parse_from(from_date, series) if from_date else default_cut(series)
    return _run(build_replay_app(config, series, speed=speed, cut=cut))


def _run(app: MonitorApp) -> int:
    """Run the app; under `textual serve` (stdout a pipe) a ``ClientWatch`` ends it when the
    browser's server stops listening, from the very start (start-up may block on the pipe)."""
    from monitor.tui.client_watch import ClientWatch, is_pipe

    watch = ClientWatch(app.terminal_gone).start() if is_pipe(1) else None
    try:
        return int(app.run() or 0)
    finally:
        if watch is not None:
            watch.stop()
