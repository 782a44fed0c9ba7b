"""What a family of alert rules gives the engine: the hooks ``monitor.state.MarketState`` calls.

A detector is made once per ``MarketState`` from the config (``symbols`` is the state's own
mapping of symbol -> ``SymbolState``, filled as symbols arrive). Each hook is optional: the
engine collects, in the registry's order (``monitor.rules.ENGINE_ORDER``), only the hooks a
detector defines, so a family with no per-tick rule costs the tick loop nothing.

- ``tick(s, t, price, out)``: after each price of symbol ``s`` (its forming bar already holds it);
- ``closing(s, out)``: just before ``s``'s forming bar is committed (rules that wait for the close);
- ``close(s, bar, before, now, out)``: after ``bar`` was committed; ``before`` and ``now`` are the
  indicator ``Snapshot``s of the previous and of this committed bar;
- ``batch(ticks, out)``: after a batch of prices seen together (not a ``BarExtremes`` batch);
- ``replay(s, bar, ind)``: each kept bar while ``s``'s indicators are recomputed (``ind`` after it).

The per-symbol hooks (``tick``, ``closing``, ``close``) run only for the symbols the detector
``watches``. A detector whose settings leave a hook nothing to do may set it to None on the
instance (``Extremes.closing`` without a rule that waits for the close): the engine reads the
hooks when it (re)builds a symbol's loops. Rules append what fires to ``out``. A detector that keeps memory per symbol names its attributes
in ``memory`` (they become slots of ``SymbolState``) and sets them in ``attach``.

``s`` is typed ``RuleSymbol``: what the rules read of ``monitor.state.SymbolState``, stated here so
that the rules do not import the state that runs them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # pragma: no cover
    from collections import deque

    from monitor.bars import BarRing, DailyBar
    from monitor.config import Config
    from monitor.indicators import IndicatorSet
    from monitor.records import Records


class RuleSymbol(Protocol):
    """One symbol's state as the rules read it (``monitor.state.SymbolState`` is the one kind);
    besides these, each detector reads and writes the attributes it names in ``memory``."""

    symbol: str
    session: date | None  # the forming bar's day; None when none is forming
    last_day: date | None  # the newest session seen (forming or committed)
    last: float
    prev_close: float  # close of the session before the latest one (NaN if none)
    prev_high_n: float  # highest high / lowest low of the last high_low_window committed bars
    prev_low_n: float
    ind: IndicatorSet
    records: Records  # all-time records of the committed sessions
    year_base: float  # the last close before the year of the last committed bar
    gaps: deque[float]  # SMA gaps (%) at the last committed bars

    @property
    def daily(self) -> BarRing[DailyBar]: ...

    @property
    def close_time(self) -> float: ...

    def close_and_base(self, day: date | None, n: int) -> tuple[float, float]: ...

    def extreme_origin(self, window: int, value: float, high: bool) -> tuple[int, date | None]: ...

    def __getattr__(self, memory: str) -> Any: ...  # a detector's memory


class Detector:
    memory: tuple[str, ...] = ()  # attributes kept on each SymbolState

    tick: Callable[..., None] | None = None
    closing: Callable[..., None] | None = None
    close: Callable[..., None] | None = None
    batch: Callable[..., None] | None = None
    replay: Callable[..., None] | None = None

    def __init__(self, config: Config, symbols: Mapping[str, RuleSymbol]) -> None:
        self.config = config
        self.symbols = symbols

    def attach(self, s: RuleSymbol) -> None:
        """Set this detector's ``memory`` on a new symbol's state."""

    def quiet(self, s: RuleSymbol) -> tuple[float, float]:
        """(low, high): while ``s``'s memory stays as it is now, a tick at a price strictly
        between them can neither fire this detector's ``tick`` hook nor change its memory, so
        the engine may skip the hook. The engine asks again after the hook ran, after each of
        ``s``'s commits and after a reconfigure. The default, an empty range, skips nothing."""
        return math.inf, -math.inf

    def watches(self, s: RuleSymbol) -> bool:
        """Whether the per-symbol hooks have anything to check for ``s`` (asked after ``attach``
        and after each ``reconfigure_symbol``): the engine leaves them out of that symbol's
        loops otherwise, so a symbol without levels or zones costs only the rules it has."""
        return True

    def reconfigure(self, config: Config, rebuild: bool) -> None:
        """New settings (the app's dialogs), before any symbol is; ``rebuild``: the indicators
        will be recomputed from the kept bars (``replay`` runs for each of them)."""
        self.config = config

    def reconfigure_symbol(self, s: RuleSymbol, old: Config, rebuild: bool) -> None:
        """``s``'s memory under the new ``self.config`` (``old`` was in force until now)."""

