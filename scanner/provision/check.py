"""The offline proof behind ``vendorguard provision check``: the template's export under mocks
(`mocks.mock_export`), read with the Pulumi source and scanned with the packs by the same pipeline
as every other scan.  Kept apart from `mocks` because this is the scanner's side: it needs the
catalog and the pipeline, the mocks only Pulumi.
"""
from __future__ import annotations

from collections import Counter
from typing import Iterable, Mapping

from ..catalog import select
from ..decisions import Decisions
from ..model import Status
from ..pipeline import evaluate, now
from ..results import ScanReport
from ..sources.pulumi import read_pulumi
from .mocks import MOCK_ACCOUNT, mock_export
from .templates import parse_config


def check(template: str = "hipaa-baseline", config: Mapping[str, str] | Iterable[str] | None = None,
          packs: Iterable[str] = (), decisions: Decisions | None = None) -> ScanReport:
    """The offline proof: the template under mocks, read by the Pulumi source, scanned with the
    packs (default: the shipped ones).  The inventory's notes say that it ran under mocks and list
    every UNKNOWN with the value it waits for."""
    started = now()
    _, selection = select(packs)
    document = mock_export(template, config)
    inventory = read_pulumi(f"template {template} (offline, under Pulumi mocks)", document,
                            account=MOCK_ACCOUNT)
    inventory.metadata.update(template=template, mocked=True, account=MOCK_ACCOUNT)
    report = evaluate([inventory], selection, started, decisions,
                      provision={"template": template, "mocked": True,
                                 "config": {k: v for k, v in sorted(parse_config(config).items())}})
    unknown = [r for r in report.results if r.status is Status.UNKNOWN]
    waiting = (f"{len(unknown)} UNKNOWN, each waiting for a value that exists only after deployment:"
               if unknown else "no UNKNOWN")
    inventory.notes.insert(0, f"offline check: the {template} program ran under Pulumi mocks as a "
                              f"preview ({len(inventory.resources)} resources assessed); {waiting}")
    notes = [f"UNKNOWN {r.rule_id} on {r.address}: {r.reason}" for r in unknown]
    built = Counter(r.type for r in inventory.resources)
    notes.append("the stack builds (as assessed): " + ", ".join(f"{n} {t}" for t, n in sorted(built.items())))
    decided = {r.rule_id for r in report.results}
    live_only = [r for r in selection.rules if r.id not in decided and r.sources and "pulumi" not in r.sources]
    absent = [r for r in selection.rules if r.id not in decided and r not in live_only]
    if absent:
        notes.append(f"{len(absent)} rules have no resource in the stack: " + ", ".join(
            f"{r.id} ({'/'.join(r.resource_types)})" for r in sorted(absent, key=lambda r: r.id)))
    if live_only:
        notes.append(f"{len(live_only)} rules only a live scan decides: "
                     + ", ".join(r.id for r in sorted(live_only, key=lambda r: r.id)))
    inventory.notes[1:1] = notes
    return report
