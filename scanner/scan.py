"""The pipeline: read inputs → inventories → engine → a ScanReport.  One direction, no state."""
from __future__ import annotations

import gc
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from . import __version__
from . import baseline as baselines
from . import waivers as waiver_files
from .catalog import Selection, select
from .engine import Engine
from .errors import InputError
from .model import Inventory, Result
from .results import ScanReport

if TYPE_CHECKING:
    from .sources.aws.live import Target
    from .sources.aws.session import Tuning

#: Larger inputs are refused rather than read into memory whole.
MAX_INPUT_BYTES = 512 * 1024 * 1024


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def read_input(path: str) -> tuple[str, bytes]:
    """(display name, bytes) of a file, or of stdin for ``-``."""
    if path == "-":
        data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        name = "<stdin>"
    else:
        file = Path(path)
        try:
            if file.is_dir():
                raise InputError(path, "is a directory, not a file")
            if file.stat().st_size > MAX_INPUT_BYTES:
                raise InputError(path, f"larger than {MAX_INPUT_BYTES // 2**20} MiB")
            data = file.read_bytes()
        except FileNotFoundError:
            raise InputError(path, "no such file") from None
        except PermissionError:
            raise InputError(path, "permission denied") from None
        except OSError as exc:
            raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
        name = path
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(name, f"larger than {MAX_INPUT_BYTES // 2**20} MiB")
    return name, data


@dataclass
class Decisions:
    """What decides a build beyond the rules: accepted risks and an earlier scan to compare with.
    Loaded before scanning, so a bad waiver file fails fast, not after a long live scan."""

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
            from .sources.tfplan import parse_json

            name, data = read_input(baseline)
            loaded.baseline = baselines.failed_keys(parse_json(name, data), name)
        return loaded

    def apply(self, report: ScanReport) -> None:
        if self.waivers_file:
            report.extra["waivers"] = {"file": self.waivers_file,
                                       **waiver_files.apply(report.results, self.waivers, self.today)}
        if self.baseline is not None:
            report.extra["baseline"] = {"file": self.baseline_file, **baselines.compare(report.results, self.baseline)}


def run(inventories: Iterable[Inventory], selection: Selection, started: str,
        decisions: Decisions | None = None, **extra: object) -> ScanReport:
    """Evaluate the selection over inventories that are already read, then waivers and baseline."""
    inventories = list(inventories)
    engine = Engine(selection)
    results = [result for inventory in inventories for result in _evaluate(engine, inventory)]
    report = ScanReport(results, inventories, selection.packs, selection.rules, started, now(), __version__, dict(extra))
    (decisions or Decisions()).apply(report)
    return report


def _evaluate(engine: Engine, inventory: Inventory) -> list[Result]:
    """The engine's results over one inventory.  Conditions are evaluated recursively, so a value
    nested hundreds of levels deep (no provider schema comes near; a hostile or corrupted input
    does) is refused with the input's name rather than crashing the scan."""
    try:
        return engine.run(inventory)
    except RecursionError:
        raise InputError(inventory.origin, "a value is nested too deeply to evaluate "
                                           "(hundreds of levels; no real plan or stack nests so deep)") from None


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """Parsing a large plan allocates millions of containers and none of them form cycles; the
    cyclic collector would walk them again and again (a third of a 10,000-resource scan)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def scan_files(paths: Iterable[str], reader: Callable[[str, bytes], Inventory],
               packs: Iterable[str], decisions: Decisions | None = None) -> ScanReport:
    """Read every file first (so a bad one fails the scan before any output), then evaluate."""
    started = now()
    _, selection = select(packs)
    with no_cycle_collection():
        inventories = [reader(*read_input(path)) for path in paths]
        return run(inventories, selection, started, decisions)


def scan_aws(target: "Target", packs: Iterable[str], on_progress: Callable[[int, int], None] | None = None,
             tuning: "Tuning | None" = None, decisions: Decisions | None = None) -> ScanReport:
    """Scan live accounts with only the collectors the selected rules need."""
    from .sources.aws.live import scan_live

    started = now()
    _, selection = select(packs)
    types = {t for rule in selection.rules for t in rule.resource_types}
    inventories, guard = scan_live(target, types, tuning, on_progress)
    calls: dict[str, int] = {}
    for (service, _op), count in sorted(guard.calls.items()):
        calls[service] = calls.get(service, 0) + count
    return run(inventories, selection, started, decisions, api_calls=calls)
