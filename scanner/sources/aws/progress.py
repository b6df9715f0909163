"""Where a live scan stands — units done of all, accounts finished and still running — told unit by
unit by either executor through the same callback, ``on_progress(unit, units)``: the unit just
answered, and every unit of its scan.

`Tally` keeps the count and says it in one line; it decides, too, when a log that cannot be
rewritten (a CI job's) gets its next line: at each tenth of the scan, or after `every` seconds
without one, so that a scan of a thousand units neither floods the log nor goes silent in it.
Imports nothing heavy: the CLI uses it before boto3 is loaded.
"""
from __future__ import annotations

import time
from collections import Counter
from typing import Any, Callable, Sequence

#: The executors' progress callback: the unit just answered, and every unit of its scan.
OnProgress = Callable[[Any, Sequence[Any]], None]


class Tally:
    """A scan's progress by account (a vendors file's scans one after another: each starts afresh)."""

    def __init__(self, every: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.every, self.clock = every, clock
        self._units: Sequence[Any] | None = None
        self.planned: Counter[str] = Counter()
        self.answered: Counter[str] = Counter()
        self._reported = (0, clock())  # (tenths, when) of the last line a log got

    @property
    def done(self) -> int:
        return sum(self.answered.values())

    @property
    def total(self) -> int:
        return sum(self.planned.values())

    def __call__(self, unit: Any, units: Sequence[Any]) -> None:
        if units is not self._units:
            self._units = units
            self.planned = Counter(u.account for u in units)
            self.answered = Counter()
            self._reported = (0, self.clock())
        self.answered[unit.account] += 1

    def line(self, names: int = 3) -> str:
        """``units 30/42 (71%) · accounts 14/21 finished · running: 111…, 222…, 333… +4``"""
        finished = [a for a, n in self.planned.items() if self.answered[a] >= n]
        running = [a for a in self.planned if self.answered[a] < self.planned[a]]
        shown = ", ".join(running[:names]) + (f" +{len(running) - names}" if len(running) > names else "")
        percent = 100 * self.done // self.total if self.total else 100
        text = f"units {self.done}/{self.total} ({percent}%) · accounts {len(finished)}/{len(self.planned)} finished"
        return text + (f" · running: {shown}" if running else "")

    def due(self, live: bool = False) -> bool:
        """Whether to show the line now.  A log: a new tenth of the scan reached, the last unit
        answered, or `every` seconds since its last line.  A `live` line (a terminal's, rewritten):
        at most five times a second, and the last unit always."""
        tenths, when = self._reported
        now_tenths = 10 * self.done // self.total if self.total else 10
        if live:
            due = self.clock() - when >= 0.2 or self.done == self.total
        else:
            due = now_tenths > tenths or self.done == self.total or self.clock() - when >= self.every
        if due:
            self._reported = (now_tenths, self.clock())
            return True
        return False
