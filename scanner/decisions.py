"""What decides a build beyond the rules: accepted risks (waivers) and an earlier scan (baseline)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from . import baseline as baselines
from . import waivers as waiver_files
from .inputs import parse_json, read_input

if TYPE_CHECKING:
    from .results import ScanReport


@dataclass
class Decisions:
    """Waivers and a baseline, loaded before scanning, so a bad waiver file fails fast, not after
    a long live scan."""

    waivers: list[waiver_files.Waiver] = field(default_factory=list)
    waivers_file: str | None = None
    baseline: set[tuple[str, str]] | None = None
    baseline_file: str | None = None
    today: date = field(default_factory=date.today)

    @classmethod
    def load(cls, waivers: str | None = None, baseline: str | None = None) -> "Decisions":
        """Explicit files, else ``.vendorguard-waivers.yaml`` in the working directory if present."""
        if waivers is None and Path(waiver_files.DEFAULT_FILE).is_file():
            waivers = waiver_files.DEFAULT_FILE
        loaded = cls(waivers_file=waivers, baseline_file=baseline)
        if waivers:
            loaded.waivers = waiver_files.load(waivers)
        if baseline:
            name, data = read_input(baseline)
            loaded.baseline = baselines.failed_keys(parse_json(name, data), name)
        return loaded

    def apply(self, report: "ScanReport") -> None:
        """Waive what the waivers accept and mark what is new against the baseline, in place."""
        if self.waivers_file:
            report.extra["waivers"] = {"file": self.waivers_file,
                                       **waiver_files.apply(report.results, self.waivers, self.today)}
        if self.baseline is not None:
            report.extra["baseline"] = {"file": self.baseline_file, **baselines.compare(report.results, self.baseline)}
