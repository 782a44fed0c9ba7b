"""Textual widgets of the market-monitor app."""
