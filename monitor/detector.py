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

Rules append what fires to ``out``. A detector that keeps memory per symbol names its attributes
in ``memory`` (they become slots of ``SymbolState``) and sets them in ``attach``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from monitor.config import Config
    from monitor.state import SymbolState


class Detector:
    memory: tuple[str, ...] = ()  # attributes kept on each SymbolState

    tick: Callable[..., None] | None = None
    closing: Callable[..., None] | None = None
    close: Callable[..., None] | None = None
    batch: Callable[..., None] | None = None
    replay: Callable[..., None] | None = None

    def __init__(self, config: Config, symbols: Mapping[str, SymbolState]) -> None:
        self.config = config
        self.symbols = symbols

    def attach(self, s: SymbolState) -> None:
        """Set this detector's ``memory`` on a new symbol's state."""

    def reconfigure(self, config: Config, rebuild: bool) -> None:
        """New settings (the app's dialogs), before any symbol is; ``rebuild``: the indicators
        will be recomputed from the kept bars (``replay`` runs for each of them)."""
        self.config = config

    def reconfigure_symbol(self, s: SymbolState, old: Config, rebuild: bool) -> None:
        """``s``'s memory under the new ``self.config`` (``old`` was in force until now)."""

