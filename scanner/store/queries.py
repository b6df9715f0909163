"""Reading the store: history, diff, trend, the portfolio, and the stored documents.

Each function returns plain data in the shape of its published schema
(`policies/schemas/{history,diff,trend,portfolio}.schema.json`); the CLI renders it.
"""
from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from .. import __version__
from ..errors import InputError
from .record import CLEARED, FAILING, key_of, scan_source, unpack
from .tables import findings, results, scans, vendors

DECIDED = ("PASS", "FAIL")


def _scan_rows(conn: Connection, vendor: str | None) -> list[Any]:
    query = (select(scans.c.id, vendors.c.name.label("vendor"), scans.c.started, scans.c.source, scans.c.summary)
             .join(vendors, vendors.c.id == scans.c.vendor_id)
             .order_by(scans.c.started.desc(), scans.c.id.desc()))
    if vendor is not None:
        query = query.where(vendors.c.name == vendor)
    return list(conn.execute(query))


def _known_vendor(conn: Connection, vendor: str | None) -> None:
    if vendor is not None and conn.execute(select(vendors.c.id).where(vendors.c.name == vendor)).first() is None:
        raise InputError("--vendor", f"no vendor {vendor!r} in the store")


def history(conn: Connection, vendor: str | None) -> dict[str, Any]:
    """Every scan, newest first."""
    _known_vendor(conn, vendor)
    return {"scans": [{"id": row.id, "vendor": row.vendor, "started": row.started, "source": row.source,
                       "summary": {"by_status": json.loads(row.summary)["by_status"]}}
                      for row in _scan_rows(conn, vendor)]}


def document(conn: Connection, scan_id: int) -> dict[str, Any]:
    blob = conn.execute(select(scans.c.document).where(scans.c.id == scan_id)).scalar()
    if blob is None:
        raise InputError(f"scan {scan_id}", "no such scan in the store (`vendorguard history` lists them)")
    return unpack(blob)


def diff(conn: Connection, vendor: str | None, first: int | None, second: int | None) -> dict[str, Any]:
    """What changed between two scans (default: the vendor's last two of the same source).

    new: failing in TO, not in FROM.  fixed: failing in FROM, PASS / NOT_APPLICABLE in TO, or
    gone from a TO that covers it.  decided / undecided: UNKNOWN in FROM and decided in TO, and the
    reverse — a finding that turns UNKNOWN is *undecided*, never fixed."""
    if (first is None) != (second is None):
        raise InputError("diff", "give both scan ids, or neither")
    if first is None:
        first, second = _last_two(conn, vendor)
    before, after = document(conn, first), document(conn, int(second))  # type: ignore[arg-type]
    old = {key_of(r): r for r in before["results"]}
    now = {key_of(r): r for r in after["results"]}
    failing_before = {k for k, r in old.items() if r["status"] in FAILING}
    failing_now = {k for k, r in now.items() if r["status"] in FAILING}
    same_input = {(i["source"], i["origin"]) for i in after["scan"]["inputs"]}

    def gone(key: Any) -> bool:
        result = old[key]
        origin = result.get("file") or result.get("account") or ""
        return key not in now and (result["source"], origin) in same_input

    fixed = [now.get(k) or old[k] for k in sorted(failing_before - failing_now)
             if (k in now and now[k]["status"] in CLEARED) or gone(k)]
    return {
        "from": first, "to": second,
        "new": [now[k] for k in sorted(failing_now - failing_before)],
        "fixed": fixed,
        "still_failing": len(failing_now & failing_before),
        "decided": [now[k] for k in sorted(now) if k in old and old[k]["status"] == "UNKNOWN"
                    and now[k]["status"] != "UNKNOWN"],
        "undecided": [now[k] for k in sorted(now) if k in old and old[k]["status"] != "UNKNOWN"
                      and now[k]["status"] == "UNKNOWN"],
    }


def _last_two(conn: Connection, vendor: str | None) -> tuple[int, int]:
    if vendor is None:
        names = list(conn.execute(select(vendors.c.name)).scalars())
        if not names:
            raise InputError("diff", "the store holds no scans yet")
        if len(names) != 1:
            raise InputError("diff", f"the store holds {len(names)} vendors: name one with --vendor")
        vendor = names[0]
    _known_vendor(conn, vendor)
    rows = _scan_rows(conn, vendor)
    if not rows:
        raise InputError("diff", f"no scan of {vendor!r} in the store")
    same = [r for r in rows if r.source == rows[0].source]
    if len(same) < 2:
        raise InputError("diff", f"{vendor!r} has one {rows[0].source} scan: nothing to compare it with")
    return same[1].id, same[0].id


def _share(counts: dict[str, int]) -> float | None:
    """PASS among what was judged: PASS / (PASS + FAIL + UNKNOWN).  UNKNOWN counts against the
    share (not seen is not passed); WAIVED (accepted) and NOT_APPLICABLE count for neither."""
    judged = counts.get("PASS", 0) + counts.get("FAIL", 0) + counts.get("UNKNOWN", 0)
    return round(counts.get("PASS", 0) / judged, 4) if judged else None


def _days(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() / 86400


def _fix_times(conn: Connection) -> dict[str, list[tuple[str, float]]]:
    """Per vendor: (rule id, days from first seen to fixed) of every fixed finding."""
    out: dict[str, list[tuple[str, float]]] = defaultdict(list)
    rows = conn.execute(select(vendors.c.name, findings.c.rule_id, findings.c.first_seen, findings.c.fixed_at)
                        .join(vendors, vendors.c.id == findings.c.vendor_id).where(findings.c.state == "fixed"))
    for row in rows:
        out[row.name].append((row.rule_id, _days(row.first_seen, row.fixed_at)))
    return out


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def trend(conn: Connection, vendor: str | None) -> dict[str, Any]:
    """Per vendor: the pass share of each scan by domain and by HIPAA control, oldest first, and
    the mean time to fix (days from first seen to fixed), overall and by domain."""
    _known_vendor(conn, vendor)
    scan_rows = list(reversed(_scan_rows(conn, vendor)))
    counts: dict[int, dict[tuple[str, str], dict[str, int]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    rule_domain: dict[str, str] = {}
    ids = [s.id for s in scan_rows]
    for start in range(0, len(ids), 500):
        rows = conn.execute(select(results.c.scan_id, results.c.rule_id, results.c.domain, results.c.status,
                                   results.c.controls).where(results.c.scan_id.in_(ids[start:start + 500])))
        for row in rows:
            rule_domain[row.rule_id] = row.domain
            per_scan = counts[row.scan_id]
            per_scan[("domain", row.domain)][row.status] += 1
            for control in json.loads(row.controls):
                if control.startswith("hipaa:"):
                    per_scan[("control", control[len("hipaa:"):])][row.status] += 1
    fix_times = _fix_times(conn)
    by_vendor: dict[str, list[Any]] = defaultdict(list)
    for row in scan_rows:
        by_vendor[row.vendor].append(row)
    out = []
    for name, rows in by_vendor.items():
        series: dict[str, dict[str, list[Any]]] = {"domain": defaultdict(list), "control": defaultdict(list)}
        for row in rows:
            for (kind, label), tally in counts[row.id].items():
                series[kind][label].append({"scan": row.id, "started": row.started, "pass_share": _share(tally)})
        fixes = fix_times.get(name, [])
        by_domain: dict[str, list[float]] = defaultdict(list)
        for rule_id, days in fixes:
            by_domain[rule_domain.get(rule_id, "other")].append(days)
        out.append({
            "vendor": name,
            "scans": [{"id": r.id, "started": r.started, "source": r.source,
                       "pass_share": _share(json.loads(r.summary)["by_status"])} for r in rows],
            "domains": {k: v for k, v in sorted(series["domain"].items())},
            "controls": {k: v for k, v in sorted(series["control"].items())},
            "fixed": len(fixes),
            "mean_days_to_fix": _mean([d for _, d in fixes]),
            "mean_days_to_fix_by_domain": {d: _mean(v) for d, v in sorted(by_domain.items())},
        })
    return {"vendors": sorted(out, key=lambda v: v["vendor"])}


def _latest_ids(conn: Connection, vendor: str | None) -> dict[str, list[int]]:
    """Per vendor, its scan ids newest first."""
    out: dict[str, list[int]] = defaultdict(list)
    for row in _scan_rows(conn, vendor):
        out[row.vendor].append(row.id)
    return out


def latest_documents(conn: Connection, vendor: str | None) -> list[dict[str, Any]]:
    _known_vendor(conn, vendor)
    return [document(conn, ids[0]) for _, ids in sorted(_latest_ids(conn, vendor).items())]


def portfolio(conn: Connection, label: str, pack_id: str) -> dict[str, Any]:
    """The portfolio page's document (`policies/schemas/portfolio.schema.json`): every vendor's
    latest scan by HIPAA control, its trend, what is new, and the oldest open findings."""
    now = datetime.now(timezone.utc)
    trends = {t["vendor"]: t for t in trend(conn, None)["vendors"]}
    pack: dict[str, Any] = {"id": pack_id, "title": pack_id, "controls": []}
    vendors_out = []
    for name, ids in sorted(_latest_ids(conn, None).items()):
        latest = document(conn, ids[0])
        for candidate in latest["scan"]["packs"]:
            if candidate["id"] == pack_id and len(candidate["controls"]) >= len(pack["controls"]):
                pack = {"id": candidate["id"], "title": candidate["title"],
                        "controls": [{"id": c["id"], "title": c["title"]} for c in candidate["controls"]]}
        controls: dict[str, dict[str, int]] = defaultdict(lambda: {"PASS": 0, "FAIL": 0, "UNKNOWN": 0, "WAIVED": 0})
        for result in latest["results"]:
            for control in result.get("controls") or []:
                if control.startswith(f"{pack_id}:") and result["status"] in ("PASS", "FAIL", "UNKNOWN", "WAIVED"):
                    controls[control[len(pack_id) + 1:]][result["status"]] += 1
        open_count = conn.execute(select(func.count()).select_from(findings).join(vendors, vendors.c.id == findings.c.vendor_id)
                                  .where(vendors.c.name == name, findings.c.state == "open")).scalar_one()
        vendors_out.append({
            "name": name,
            "latest_scan": {"id": ids[0], "started": latest["scan"]["started"], "source": scan_source(latest),
                            "summary": {"by_status": latest["summary"]["by_status"]}},
            "controls": dict(controls),
            "trend": [{"scan": s["id"], "started": s["started"], "pass_share": s["pass_share"]}
                      for s in trends[name]["scans"]],
            "new": [r for r in latest["results"] if r.get("new") and r["status"] == "FAIL"],
            "open_findings": open_count,
            "mean_days_to_fix": trends[name]["mean_days_to_fix"],
        })
    oldest = conn.execute(select(findings, vendors.c.name.label("vendor")).join(vendors, vendors.c.id == findings.c.vendor_id)
                          .where(findings.c.state == "open").order_by(findings.c.first_seen, findings.c.id).limit(20))
    return {
        "schema_version": 1,
        "generated": now.isoformat(timespec="seconds"),
        "store": label,
        "tool": {"name": "vendorguard", "version": __version__},
        "scans": conn.execute(select(func.count()).select_from(scans)).scalar_one(),
        "pack": pack,
        "vendors": vendors_out,
        "oldest_open": [{"vendor": f.vendor, "rule_id": f.rule_id, "title": f.title, "severity": f.severity,
                         "resource_type": f.resource_type, "address": f.address, "account": f.account or None, "region": f.region or None,
                         "first_seen": f.first_seen,
                         "days_open": int(max(0.0, _days(f.first_seen, now.isoformat())))} for f in oldest],
    }

