"""Distributed scans under way ("runs"): what lets a scan whose coordinator died be resumed by its id.

Before it sends any unit, the coordinator of a distributed scan kept in a store writes its run: the
scan's id (its units' task ids are made of it), the request that plans it again — the target by
reference (profile, role name, the ExternalId's *reference*, never its value), packs and output
options — and the units it planned.  Workers started with ``--store`` write each unit's answer (the
plain data they return: redacted resources, gaps, counts) keyed by (scan, account, region), so a
redelivered unit replaces its row and never adds a second.  ``vendorguard scan resume ID`` plans the
scan again, checks that it plans the same units, takes the answers kept here and sends only the
others; recording the scan closes its run in the same transaction, so a finished scan can be neither
resumed nor recorded twice.  A closed run keeps its row (to say so) but drops its answers: the
recorded scan holds what they became.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Callable

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection

from ..errors import InputError
from .record import pack, unpack
from .tables import run_units, runs

#: A unit's place in its scan: (account, region).
Place = tuple[str, str]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def begin(conn: Connection, scan_id: str, vendor: str | None, request: dict[str, Any],
          units: list[dict[str, Any]]) -> dict[Place, dict[str, Any]]:
    """Write the run of a new scan; for a scan being resumed, check it plans the units it planned
    (an organization that gained an account would otherwise mix two scans) and return the answers
    the workers kept, by (account, region)."""
    row = conn.execute(select(runs.c.units, runs.c.finished).where(runs.c.id == scan_id)).first()
    if row is None:
        conn.execute(runs.insert().values(id=scan_id, vendor=vendor or "", started=_now(), request=_canonical(request),
                                          units=_canonical(units)))
        return {}
    if row.finished is not None:
        raise InputError(f"scan {scan_id}", f"finished at {row.finished}: there is nothing to resume")
    if json.loads(row.units) != json.loads(_canonical(units)):
        raise InputError(f"scan {scan_id}", "it now plans other units than when it started (its accounts, regions "
                                            "or the way to reach them changed): start a new scan")
    rows = conn.execute(select(run_units.c.account, run_units.c.region, run_units.c.answer)
                        .where(run_units.c.run_id == scan_id))
    return {(r.account, r.region): unpack(r.answer) for r in rows}


def put(conn: Connection, scan_id: str, account: str, region: str, answer: dict[str, Any]) -> bool:
    """Keep a unit's answer, replacing any earlier one; False (nothing kept) when the scan has no
    open run here — its coordinator keeps no store, or a redelivery came after it was recorded."""
    open_run = select(runs.c.id).where(runs.c.id == scan_id, runs.c.finished.is_(None))
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
        open_run = open_run.with_for_update()  # a run being closed waits for this answer, or this one for it
    else:
        from sqlalchemy.dialects.sqlite import insert
    if conn.execute(open_run).first() is None:
        return False
    values = {"finished": _now(), "answer": pack(answer)}
    conn.execute(insert(run_units).values(run_id=scan_id, account=account, region=region, **values)
                 .on_conflict_do_update(index_elements=["run_id", "account", "region"], set_=values))
    return True


def get(conn: Connection, scan_id: str) -> dict[str, Any]:
    """An open run (id, vendor, started, request); an unknown or finished one is an input error."""
    row = conn.execute(select(runs).where(runs.c.id == scan_id)).first()
    if row is None:
        open_ids = conn.execute(select(runs.c.id).where(runs.c.finished.is_(None)).order_by(runs.c.started)).scalars()
        listed = ", ".join(open_ids) or "none"
        raise InputError(f"scan {scan_id}", f"no such distributed scan in the store (under way: {listed})")
    if row.finished is not None:
        raise InputError(f"scan {scan_id}", f"finished at {row.finished} (kept as scan {row.scan_id}): "
                                            "there is nothing to resume")
    return {"id": row.id, "vendor": row.vendor or None, "started": row.started, "request": json.loads(row.request)}


def close(conn: Connection, scan_id: str, recorded: int) -> None:
    """The scan is recorded as `recorded`: its run is finished and its answers dropped."""
    conn.execute(update(runs).where(runs.c.id == scan_id).values(finished=_now(), scan_id=recorded))
    conn.execute(delete(run_units).where(run_units.c.run_id == scan_id))


class Journal:
    """What a coordinator writes of its distributed scans in an open store: `begin` each scan's
    run; `take` the run of the scan about to be recorded (`Store.record` closes it).

    `request` holds what the command needs to finish the scan again (its output options); `resume`
    names the scan being resumed; `note` tells the user the id to resume with."""

    def __init__(self, store: Any, request: dict[str, Any], resume: str | None = None,
                 note: Callable[[str], None] | None = None) -> None:
        self.store, self.request, self.resume, self.note = store, request, resume, note
        self._open: str | None = None

    def begin(self, scan_id: str, vendor: str | None, target: dict[str, Any],
              units: list[dict[str, Any]]) -> dict[Place, dict[str, Any]]:
        """Write (or, resuming, check) the run; the answers already kept, by (account, region)."""
        kept = self.store.begin_run(scan_id, vendor, {**self.request, "target": target}, units)
        self._open = scan_id
        if self.note:
            if self.resume:
                self.note(f"resuming scan {scan_id}: {len(kept)} of {len(units)} units answered in {self.store.label}")
            else:
                self.note(f"scan {scan_id} under way, kept in {self.store.label}; if it stops, "
                          f"resume it with: vendorguard scan resume {scan_id} --store {self.store.label} --broker URL")
        return kept

    def take(self) -> str | None:
        """The run of the live scan now being recorded (once; the latest begun: the live scans of a
        vendors file run one after another, each recorded before the next begins)."""
        scan_id, self._open = self._open, None
        return scan_id
