"""A market clock stand-in for the live feeds and the runner: open or closed as the test says."""

from __future__ import annotations


class FixedMarket:
    """``is_open()`` answers ``open``; ``seen_open`` counts the answers "open" (a test can wait
    until the code under test has looked at a market it just opened)."""

    def __init__(self, open_: bool = True) -> None:
        self.open = open_
        self.seen_open = 0

    def is_open(self, now=None) -> bool:
        self.seen_open += self.open
        return self.open
