"""Sources of ticks: Yahoo streaming, Yahoo polling and replay, behind one interface."""
