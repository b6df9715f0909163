"""Rendering what the store answers: `history`, `diff` and `trend`, as JSON, a table, or (diff)
Markdown for a pull-request comment.  JSON is the published shape (`policies/schemas/`); the
other formats are views of it.  Every string from a scan is untrusted and escaped for its medium.
"""
from __future__ import annotations

import json
from typing import Any, Callable

from .escape import md_code, md_text, terminal

VIEWS = ("history", "diff", "trend")
FORMATS = {"history": ("table", "json"), "diff": ("table", "json", "markdown"), "trend": ("table", "json")}


def render(view: str, document: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(document, indent=2, sort_keys=True) + "\n"
    renderer: Callable[[dict[str, Any]], str] = _RENDERERS[(view, fmt)]
    return renderer(document)


def _counts(by_status: dict[str, int]) -> str:
    return "  ".join(f"{k} {v}" for k, v in by_status.items() if v) or "no results"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _history_table(document: dict[str, Any]) -> str:
    lines = [f"{'scan':>6}  {'started':25}  {'vendor':24}  {'source':16}  results"]
    for scan in document["scans"]:
        lines.append(f"{scan['id']:>6}  {terminal(scan['started']):25}  {terminal(scan['vendor']):24}  "
                     f"{terminal(scan['source']):16}  {_counts(scan['summary']['by_status'])}")
    if not document["scans"]:
        lines.append("no scans in the store")
    return "\n".join(lines) + "\n"


def _result_line(result: dict[str, Any]) -> str:
    return (f"  {result['status']:8} {result['severity']:8} {terminal(result['rule_id']):12} "
            f"{terminal(result['address'])}: {terminal(result.get('reason') or '')}")


def _diff_table(document: dict[str, Any]) -> str:
    lines = [f"scan {document['from']} → scan {document['to']}: {len(document['new'])} new, "
             f"{len(document['fixed'])} fixed, {document['still_failing']} still failing, "
             f"{len(document['decided'])} decided, {len(document['undecided'])} no longer decided"]
    for title, key in (("new", "new"), ("fixed", "fixed"), ("decided since", "decided"),
                       ("no longer decided (UNKNOWN now: not fixed)", "undecided")):
        if document[key]:
            lines.append(f"{title}:")
            lines.extend(_result_line(r) for r in document[key])
    return "\n".join(lines) + "\n"


def _md_rows(results: list[dict[str, Any]]) -> list[str]:
    rows = ["| Status | Severity | Rule | Resource | Reason |", "| --- | --- | --- | --- | --- |"]
    rows += [f"| {r['status']} | {r['severity']} | **{md_text(r['rule_id'])}** {md_text(r['title'])} | "
             f"{md_code(r['address'], 120)} | {md_text(r.get('reason') or '', 200)} |" for r in results]
    return rows


def _diff_markdown(document: dict[str, Any]) -> str:
    out = [f"### vendorguard: scan {document['from']} → scan {document['to']}", "",
           f"**{len(document['new'])} new**, {len(document['fixed'])} fixed, {document['still_failing']} still "
           f"failing, {len(document['decided'])} decided, {len(document['undecided'])} no longer decided.", ""]
    for title, key in (("New findings", "new"), ("Fixed", "fixed"), ("Decided since", "decided"),
                       ("No longer decided (UNKNOWN now: not counted as fixed)", "undecided")):
        if document[key]:
            out += [f"#### {title}", "", *_md_rows(document[key]), ""]
    return "\n".join(out)


def _trend_table(document: dict[str, Any]) -> str:
    lines = []
    for vendor in document["vendors"]:
        scans = vendor["scans"]
        shares = " → ".join(_share(s["pass_share"]) for s in scans[-8:])
        fix = vendor["mean_days_to_fix"]
        lines.append(f"{terminal(vendor['vendor'])}: {len(scans)} scans, pass share {shares}; "
                     f"{vendor['fixed']} fixed, mean time to fix "
                     f"{'—' if fix is None else f'{fix:.1f} days'}")
        for kind in ("domains", "controls"):
            for label, series in vendor[kind].items():
                values = " → ".join(_share(p["pass_share"]) for p in series[-8:])
                lines.append(f"  {kind[:-1]:8} {terminal(label):28} {values}")
    return "\n".join(lines or ["no scans in the store"]) + "\n"


_RENDERERS: dict[tuple[str, str], Callable[[dict[str, Any]], str]] = {
    ("history", "table"): _history_table,
    ("diff", "table"): _diff_table,
    ("diff", "markdown"): _diff_markdown,
    ("trend", "table"): _trend_table,
}
