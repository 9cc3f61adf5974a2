"""Hybrid logical clock stamps: wall-clock milliseconds, a counter, the store code.

A stamp is a fixed-width string, so comparing strings compares stamps (then the store
breaks ties deterministically). The clock never runs backwards, and observing a stamp
from elsewhere moves it past that stamp, so an edit made after seeing another edit
always stamps later even when the desk's own clock is slow.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

WALL_DIGITS = 15
COUNTER_DIGITS = 6
MAX_COUNTER = 10**COUNTER_DIGITS - 1


@dataclass(frozen=True, order=True)
class Stamp:
    wall_ms: int
    counter: int
    node: str

    def __str__(self) -> str:
        return f"{self.wall_ms:0{WALL_DIGITS}d}.{self.counter:0{COUNTER_DIGITS}d}.{self.node}"

    @staticmethod
    def parse(text: str) -> Stamp:
        wall, counter, node = text.split(".", 2)
        return Stamp(int(wall), int(counter), node)


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


class HybridClock:
    """Issues stamps for one node. Not thread-safe: the capture hook owns one per flush."""

    def __init__(self, node: str, last: Stamp | None = None,
                 physical: Callable[[], int] = wall_clock_ms) -> None:
        self.node = node
        self.last = last or Stamp(0, 0, node)
        self.physical = physical

    def tick(self) -> Stamp:
        return self._advance(self.last.wall_ms, self.last.counter)

    def ticks(self, count: int) -> list[str]:
        """`count` stamps in a row, as text: one reading of the physical clock, then the
        counter (a bulk write stamps thousands of ops; `tick` each would read the clock
        and build a Stamp for every one). Equal to `tick` in a clock that stands still."""
        if count <= 0:
            return []
        first = self.tick()
        if first.counter + count - 1 > MAX_COUNTER:
            return [str(first), *(str(self.tick()) for _ in range(count - 1))]
        head, tail = f"{first.wall_ms:0{WALL_DIGITS}d}.", f".{self.node}"
        stamps = [f"{head}{counter:06d}{tail}"
                  for counter in range(first.counter, first.counter + count)]
        self.last = Stamp(first.wall_ms, first.counter + count - 1, self.node)
        return stamps

    def observe(self, remote: Stamp) -> Stamp:
        """Move past a stamp seen elsewhere (pulled from the centre)."""
        if (remote.wall_ms, remote.counter) > (self.last.wall_ms, self.last.counter):
            self.last = Stamp(remote.wall_ms, remote.counter, self.node)
        return self.last

    def _advance(self, wall: int, counter: int) -> Stamp:
        now = self.physical()
        if now > wall:
            self.last = Stamp(now, 0, self.node)
        elif counter < MAX_COUNTER:
            self.last = Stamp(wall, counter + 1, self.node)
        else:  # a million stamps in one millisecond: borrow the next millisecond
            self.last = Stamp(wall + 1, 0, self.node)
        return self.last


def clamp(stamp: Stamp, limit_ms: int) -> Stamp:
    """A stamp from a desk whose clock runs ahead is pulled back to `limit_ms`, so a
    fast clock cannot win every conflict."""
    if stamp.wall_ms <= limit_ms:
        return stamp
    return Stamp(limit_ms, stamp.counter, stamp.node)
