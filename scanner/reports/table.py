"""Terminal table: what failed or could not be decided, grouped by domain, worst first.

What a CI log needs besides: failures new against the baseline (or since the vendor's previous kept
scan) tagged NEW, and, at the end, what the baseline says is fixed and the waivers that expired
(their findings fail again) or match nothing (stale) — a waiver file must not rot unseen."""
from __future__ import annotations

import io
from collections import Counter
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..model import Status, severity_rank
from ..results import is_new
from .escape import terminal, truncate

_STYLE = {Status.FAIL.value: "bold red", Status.UNKNOWN.value: "yellow", Status.PASS.value: "green",
          Status.WAIVED.value: "cyan", Status.NOT_APPLICABLE.value: "dim"}
#: A cell is for a person to read: a multi-megabyte name or reason (a hostile plan) is cut, as
#: rich would take seconds per megabyte to fold it; the JSON report keeps the whole value.
_CELL_LIMIT = 2000


def render(document: dict[str, Any], color: bool = False, width: int = 140) -> str:
    out = io.StringIO()
    console = Console(file=out, force_terminal=color, no_color=not color, width=width,
                      highlight=False, emoji=False)
    results = [r for r in document["results"] if r["status"] in (Status.FAIL.value, Status.UNKNOWN.value)]
    results.sort(key=lambda r: (r["domain"], r["status"] != Status.FAIL.value, severity_rank(r["severity"]),
                                r["rule_id"], r["address"]))
    domains: dict[str, list[dict[str, Any]]] = {}
    for result in results:
        domains.setdefault(result["domain"], []).append(result)
    for domain, rows in domains.items():
        table = Table(title=Text(domain, style="bold"), title_justify="left", expand=True)
        table.add_column("status", no_wrap=True)
        table.add_column("severity", no_wrap=True)
        table.add_column("rule", no_wrap=True)
        table.add_column("resource", overflow="fold", ratio=2)
        table.add_column("reason", overflow="fold", ratio=3)
        for r in rows:
            status = Text(r["status"], style=_STYLE[r["status"]])
            if is_new(r):
                status.append(" NEW", style="bold magenta")
            table.add_row(status, Text(r["severity"]),
                          Text(r["rule_id"]), Text(truncate(terminal(r["address"]), _CELL_LIMIT)),
                          Text(truncate(terminal(f"{r['title']}: {r['reason']}"), _CELL_LIMIT)))
        console.print(table)
    summary = document["summary"]
    counts = summary["by_status"]
    line = Text()
    for status in (s.value for s in Status):
        if counts.get(status):
            line.append(f"{status} {counts[status]}  ", style=_STYLE[status])
    failed = ", ".join(f"{n} {s}" for s, n in summary["failed_by_severity"].items() if n)
    if failed:
        line.append(f"(failed: {failed})")
    resources = sum(i["resources"] for i in document["scan"]["inputs"])
    console.print(Text(f"{summary['total']} results over {resources} resources: ") + line)
    missing = document.get("not_evaluated")
    if missing:
        reasons = Counter(str(m.get("reason", "")) for m in missing)
        shown = "; ".join(f"{n} {truncate(terminal(why), 200)}" for why, n in reasons.most_common(3))
        more = f"; {len(reasons) - 3} other reasons" if len(reasons) > 3 else ""
        console.print(Text(f"not evaluated: {len(missing)} resources no selected rule evaluated "
                           f"({shown}{more}) — listed in the JSON report", style="yellow"))
    elif missing is not None:
        console.print(Text("not evaluated: 0 resources (every resource was evaluated by a selected rule)"))
    _decisions(console, document)
    return out.getvalue()


def _decisions(console: Console, document: dict[str, Any]) -> None:
    """The baseline's new and fixed counts; the expired and stale waivers, one row each."""
    scan = document["scan"]
    baseline = scan.get("baseline")
    if baseline is not None:
        new = sum(1 for r in document["results"] if r["status"] == Status.FAIL.value and r.get("baseline") == "new")
        fixed = len(baseline.get("fixed") or [])
        console.print(Text(f"baseline {truncate(terminal(baseline.get('file') or ''), 200)}: {new} new FAIL, "
                           f"{fixed} fixed since then" + (" (listed in the JSON report)" if fixed else "")))
    waivers = scan.get("waivers") or {}
    rows = [(kind, w) for kind in ("expired", "stale") for w in waivers.get(kind) or []]
    if not rows:
        return
    table = Table(title=Text(f"waivers to review ({truncate(terminal(waivers.get('file') or ''), 200)}): "
                             "expired ones no longer waive, stale ones match no result", style="bold"),
                  title_justify="left", expand=True)
    for name in ("waiver", "rule", "resource", "expires", "approved by", "justification"):
        table.add_column(name, no_wrap=name in ("waiver", "expires"),
                         overflow="fold", ratio={"resource": 2, "justification": 3}.get(name))
    for kind, w in rows:
        table.add_row(Text(kind.upper(), style="bold red" if kind == "expired" else "yellow"),
                      *(Text(truncate(terminal(str(w.get(k) or "")), _CELL_LIMIT))
                        for k in ("rule", "resource", "expires", "approved_by", "justification")))
    console.print(table)
