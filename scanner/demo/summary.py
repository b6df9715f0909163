"""The demo's last screen: a line of counts per scan, what changed between the two visits, and
which files to open.  Short on purpose — the full tables are in the reports, one command away —
so that what a new user should look at next is on the screen, not 400 lines above it."""
from __future__ import annotations

import os
from typing import Any

from ..model import SEVERITIES, severity_rank
from ..reports.escape import terminal
from . import STORE, Outcome

#: how many new or fixed results the summary lists before pointing at the diff
SHOWN = 5


def counts(document: dict[str, Any]) -> str:
    """'186 results: FAIL 90 (6 critical, 26 high, …), UNKNOWN 6, PASS 85, NOT_APPLICABLE 5': the
    statuses present, most urgent first."""
    summary = document["summary"]
    by_status, failed = summary["by_status"], summary.get("failed_by_severity") or {}
    parts = []
    for status in ("FAIL", "UNKNOWN", "WAIVED", "PASS", "NOT_APPLICABLE"):
        if by_status.get(status):
            parts.append(f"{status} {by_status[status]}")
            if status == "FAIL" and any(failed.values()):
                parts[-1] += " (" + ", ".join(f"{failed[s]} {s}" for s in SEVERITIES if failed.get(s)) + ")"
    return f"{summary['total']} results: " + ", ".join(parts)


def _listed(kind: str, results: list[dict[str, Any]], diff_file: str) -> list[str]:
    ranked = sorted(results, key=lambda r: (severity_rank(r["severity"]), r["rule_id"], r["address"]))
    lines = [f"  {kind:6} {r['severity']:8} {r['rule_id']:11} {terminal(r['address'])}" for r in ranked[:SHOWN]]
    if len(ranked) > SHOWN:
        lines.append(f"  … and {len(ranked) - SHOWN} more {kind} in {diff_file}")
    return lines


def _waivers(outcome: Outcome) -> list[str]:
    """One line when waivers were applied: how many results they waived, and what to review."""
    applied = [(s, s.document["scan"]["waivers"]) for s in outcome.scans if s.document["scan"].get("waivers")]
    if not applied:
        return []
    waived = sum(s.document["summary"]["by_status"].get("WAIVED", 0) for s, _ in applied)
    review = [f"{len(w[k])} {k} in {s.stem}" for s, w in applied for k in ("expired", "stale") if w.get(k)]
    return [f"waivers from {terminal(applied[0][1]['file'])}: {waived} results WAIVED"
            + (f"; to review: {', '.join(review)}" if review else "")]


def summary(outcome: Outcome) -> str:
    """The demo's closing lines (see the module's docstring)."""
    out = outcome.output_dir
    width = max(len(s.title) for s in outcome.scans)
    lines = [outcome.headline] + [f"  {s.title:{width}}  {counts(s.document)}" for s in outcome.scans]
    lines += _waivers(outcome)
    diff, diff_file = outcome.diff, str(outcome.written["diff.md"])
    lines.append(f"between the visits: {len(diff['fixed'])} fixed, {len(diff['new'])} new, "
                 f"{diff['still_failing']} still failing ({diff_file})")
    lines += _listed("fixed", diff["fixed"], diff_file) + _listed("new", diff["new"], diff_file)
    first, *others = [os.path.join(out, s.stem) for s in outcome.scans]
    portfolio, store = str(outcome.written["portfolio.html"]), os.path.join(out, STORE)
    column = max(len(first) + len(".html"), len(portfolio))
    lines += [
        "",
        "open in a browser:",
        f"  {first + '.html':{column}}  the first visit's evidence report "
        f"(the others: {', '.join(os.path.basename(o) + '.html' for o in others)})",
        f"  {portfolio:{column}}  the portfolio: the vendor's scans side by side",
        f"for CI: {others[-1]}.sarif (code scanning), {others[-1]}.junit.xml, {others[-1]}.json (the plan's scan)",
        f"the full tables: vendorguard report {first}.json   (every scan in every format is in {out}{os.sep})",
        f"every scan is kept in {store}: vendorguard history --store {store}",
    ]
    return "\n".join(lines) + "\n"
