"""The pipeline, one direction, for every source: read → fold → evaluate → decide → report.

`scan` runs it from a registered source's inputs; `judge` runs the stages after reading, for
callers that built their inventories another way (the reference stack under Pulumi's mocks, the
demo).  Each stage is a plain function over plain data.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager, nullcontext
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator, Sequence

from . import __version__
from .catalog import Selection, select
from .coverage import fold, not_evaluated
from .decisions import Decisions
from .engine import Engine
from .errors import InputError
from .model import Inventory, Result
from .results import ScanReport
from .source import Reading, Source


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


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


def scan(source: Source, inputs: Sequence[str], packs: Iterable[str], decisions: Decisions | None = None,
         **options: Any) -> ScanReport:
    """Read `inputs` with `source` (its own `options`), then judge them with the selected packs."""
    started = now()
    _, selection = select(packs)
    with no_cycle_collection() if source.offline else nullcontext():
        reading = source.read(inputs, selection, **options)
        return judge(reading, selection, started, decisions)


def judge(reading: Reading, selection: Selection, started: str, decisions: Decisions | None = None) -> ScanReport:
    """Fold, evaluate, merge a source's second opinion, apply waivers and baseline: the report."""
    inventories = [fold(inventory) for inventory in reading.inventories]
    engine = Engine(selection)
    results = list(reading.results)
    for inventory in inventories:
        if inventory.evaluate:
            results.extend(_evaluate(engine, inventory))
    if reading.merge is not None:
        results = reading.merge(results, inventories)
    report = ScanReport(results, inventories, selection.packs, selection.rules, started, now(), __version__,
                        dict(reading.extra), not_evaluated(inventories, results, selection, selection.catalog))
    (decisions or Decisions()).apply(report)
    return report


def evaluate(inventories: Iterable[Inventory], selection: Selection, started: str,
             decisions: Decisions | None = None, **extra: Any) -> ScanReport:
    """`judge` for inventories read outside a source (with scan-level facts for the report)."""
    return judge(Reading(list(inventories), extra=extra), selection, started, decisions)


def _evaluate(engine: Engine, inventory: Inventory) -> list[Result]:
    """The engine's results over one inventory.  Conditions are evaluated recursively, so a value
    nested hundreds of levels deep (no provider schema comes near; a hostile or corrupted input
    does) is refused with the input's name rather than crashing the scan."""
    try:
        return engine.run(inventory)
    except RecursionError:
        raise InputError(inventory.origin, "a value is nested too deeply to evaluate "
                                           "(hundreds of levels; no real plan or stack nests so deep)") from None
