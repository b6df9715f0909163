"""A pull-request comment (GitHub-flavoured Markdown).

Layout: a one-line verdict; a table of PASS/FAIL/UNKNOWN/WAIVED by domain; the failures that
matter most (critical and high first, at most `top` of them); then, collapsed in ``<details>``,
every failure, how to fix each failed rule, the results that could not be decided and why, the
waived ones, what the baseline says is fixed, expired and stale waivers, and what could not be read.  A hidden marker on the last line lets a bot find its own
comment to update it.

Every value from the scanned environment — addresses, reasons, evidence, justifications, input
names — goes through `escape.md_text` / `md_code` / `md_fence`, which leave no way to open HTML,
a link, an image, a mention or a table cell.  The text that is not from the environment (rule titles,
remediation, control ids) comes from the packs, and is escaped the same way all the same: a pack
can be a user's own file.  ``<details>`` blocks hold only text this module writes; the
``<summary>`` lines carry numbers and fixed words.
"""
from __future__ import annotations

from typing import Any

from ..model import DOMAINS, SEVERITIES, Status
from ..results import is_new, verdict
from .escape import md_code, md_fence, md_text

MARKER = "<!-- vendorguard-report -->"
#: GitHub refuses a comment longer than 65,536 characters.
MAX_CHARS = 65_000
_ICON = {"critical": "🟥", "high": "🟧", "medium": "🟨", "low": "⬜"}
#: The domain table's columns, each status with its icon.
_COLUMNS = {Status.PASS.value: "✅", Status.FAIL.value: "❌", Status.UNKNOWN.value: "❔", Status.WAIVED.value: "💤"}
_REASON = 240
_ADDRESS = 160


def render(document: dict[str, Any], top: int = 15, max_rows: int = 200, fail_on: str = "low") -> str:
    """The comment.  Long sections stop at `max_rows` rows (and say how many are left out); when
    the whole would still pass GitHub's limit, rows are halved until it fits."""
    while True:
        text = _render(document, top, max_rows, fail_on)
        if len(text) <= MAX_CHARS or max_rows <= 5:
            return text
        max_rows //= 2


def _rank(result: dict[str, Any]) -> tuple[Any, ...]:
    severity = result["severity"]
    return (SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES),
            not is_new(result), result["rule_id"], str(result["address"]))


def _render(document: dict[str, Any], top: int, max_rows: int, fail_on: str) -> str:
    results = document["results"]
    fails = sorted((r for r in results if r["status"] == Status.FAIL.value), key=_rank)
    unknown = sorted((r for r in results if r["status"] == Status.UNKNOWN.value), key=_rank)
    waived = sorted((r for r in results if r["status"] == Status.WAIVED.value), key=_rank)
    rules = {r["id"]: r for r in document.get("rules") or []}
    out = [_verdict(document, fails, unknown, waived, fail_on), ""]
    out += _domain_table(document)
    if fails:
        out += _top_failures(fails, top)
        out += _details(f"All {len(fails)} failures", _result_table(fails, max_rows, with_severity=True))
        out += _details(f"How to fix ({len(_failed_rules(fails))} rules)", _fixes(fails, rules))
    if unknown:
        out += _details(f"{len(unknown)} results could not be decided (UNKNOWN)",
                        _result_table(unknown, max_rows, with_severity=False))
    if waived:
        out += _details(f"{len(waived)} waived", _waived_table(waived, max_rows))
    out += _decisions(document, max_rows)
    gaps = _gaps(document)
    if gaps:
        out += _details(f"{len(gaps)} parts of the inventory could not be read", gaps[:max_rows] + _more(gaps, max_rows))
    missing = document.get("not_evaluated") or []
    if missing:
        out += _details(f"{len(missing)} resources not evaluated by any selected rule", _not_evaluated(missing, max_rows))
    out += [_footer(document), "", MARKER]
    return "\n".join(out) + "\n"


def _verdict(document: dict[str, Any], fails: list[dict[str, Any]], unknown: list[dict[str, Any]],
             waived: list[dict[str, Any]], fail_on: str) -> str:
    counts = document["summary"]["by_status"]
    with_baseline = (document.get("scan") or {}).get("baseline") is not None or any(
        r.get("baseline") for r in document["results"])
    by_severity = [f"{n} {s}" for s in SEVERITIES if (n := sum(r["severity"] == s for r in fails))]
    rest = f"{counts.get(Status.PASS.value, 0)} passed · {len(unknown)} unknown · {len(waived)} waived"
    if document.get("not_evaluated"):
        rest += f" · {len(document['not_evaluated'])} not evaluated"
    if fails:
        new = sum(is_new(r) for r in fails)
        news = f", {new} new" if with_baseline or any("new" in r for r in fails) else ""
        icon = "❌" if verdict(document, fail_on).code else "⚠️"
        head = f"{icon} **{len(fails)} failed** ({', '.join(by_severity)}{news})"
    elif unknown:
        head = "✅ **No failures**, but some checks could not be decided"
    else:
        head = "✅ **No failures**"
    return f"### vendorguard: {head} · {rest}"


def _domain_table(document: dict[str, Any]) -> list[str]:
    # Counted from the results, not `summary.by_domain`: that lists only the catalog's domains,
    # and a result can have another (checkov checks no rule cites are "unmapped").
    by_domain: dict[str, dict[str, int]] = {}
    for result in document["results"]:
        counts = by_domain.setdefault(str(result["domain"]), {})
        counts[result["status"]] = counts.get(result["status"], 0) + 1
    if not by_domain:
        return ["_No results._", ""]
    order = {d: i for i, d in enumerate(DOMAINS)}
    rows = ["| Domain | " + " | ".join(f"{icon} {s}" for s, icon in _COLUMNS.items()) + " |",
            "| --- |" + " ---: |" * len(_COLUMNS)]
    totals = [0] * len(_COLUMNS)
    for domain in sorted(by_domain, key=lambda d: (order.get(d, len(order)), d)):
        counts = by_domain[domain]
        values = [int(counts.get(s, 0)) for s in _COLUMNS]
        totals = [a + b for a, b in zip(totals, values)]
        cells = [f"**{v}**" if s == Status.FAIL.value and v else str(v) for s, v in zip(_COLUMNS, values)]
        rows.append(f"| {md_text(domain)} | " + " | ".join(cells) + " |")
    rows.append("| **Total** | " + " | ".join(f"**{v}**" for v in totals) + " |")
    return rows + [""]


def _top_failures(fails: list[dict[str, Any]], top: int) -> list[str]:
    important = [r for r in fails if r["severity"] in SEVERITIES[:2]]  # critical and high
    title, lower = "#### Critical and high failures", len(fails) - len(important)
    if not important:
        important, title, lower = fails, "#### Failures", 0
    shown = important[:top]
    out = [title, "", "| Severity | Rule | Resource | Why |", "| --- | --- | --- | --- |"]
    out += [_row(r, with_severity=True) for r in shown]
    notes = []
    if len(important) > len(shown):
        notes.append(f"{len(important) - len(shown)} more" + (" critical/high" if lower or title != "#### Failures" else ""))
    if lower:
        notes.append(f"{lower} of lower severity")
    if notes:
        out += ["", f"_…and {' and '.join(notes)}: every failure is listed below._"]
    return out + [""]


def _row(result: dict[str, Any], with_severity: bool) -> str:
    rule = f"**{md_text(result['rule_id'])}** {md_text(result['title'])}"
    if is_new(result):
        rule += " 🆕"
    cells = [rule, md_code(result["address"], _ADDRESS), md_text(result.get("reason") or "", _REASON)]
    if with_severity:
        cells.insert(0, f"{_ICON.get(result['severity'], '')} {md_text(result['severity'])}")
    return "| " + " | ".join(cells) + " |"


def _result_table(results: list[dict[str, Any]], max_rows: int, with_severity: bool) -> list[str]:
    head = ["| Severity | Rule | Resource | Reason |", "| --- | --- | --- | --- |"] if with_severity else \
        ["| Rule | Resource | Reason |", "| --- | --- | --- |"]
    return head + [_row(r, with_severity) for r in results[:max_rows]] + _more(results, max_rows)


def _waived_table(results: list[dict[str, Any]], max_rows: int) -> list[str]:
    out = ["| Rule | Resource | Justification | Approved by | Expires |", "| --- | --- | --- | --- | --- |"]
    for r in results[:max_rows]:
        waiver = r.get("waiver") or {}
        out.append("| " + " | ".join([
            f"**{md_text(r['rule_id'])}** {md_text(r['title'])}", md_code(r["address"], _ADDRESS),
            md_text(waiver.get("justification") or r.get("reason") or "", _REASON),
            md_text(waiver.get("approved_by") or ""), md_text(waiver.get("expires") or ""),
        ]) + " |")
    return out + _more(results, max_rows)


def _failed_rules(fails: list[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(r["rule_id"] for r in fails))


def _fixes(fails: list[dict[str, Any]], rules: dict[str, dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for rule_id in _failed_rules(fails):
        rule = rules.get(rule_id)
        if rule is None:
            continue
        count = sum(r["rule_id"] == rule_id for r in fails)
        refs = rule.get("references") or {}
        hipaa = ", ".join(md_text(c) for c in refs.get("hipaa") or [])
        out.append(f"**{md_text(rule_id)}** {md_text(rule['title'])} — {count} resource{'s' if count != 1 else ''}"
                   + (f" · HIPAA {hipaa}" if hipaa else ""))
        out.append("")
        remediation = rule.get("remediation") or {}
        if remediation.get("text"):
            out += [md_text(" ".join(str(remediation["text"]).split())), ""]
        if remediation.get("terraform"):
            out += [md_fence(remediation["terraform"], "hcl"), ""]
    return out


def _decisions(document: dict[str, Any], max_rows: int) -> list[str]:
    """What the baseline says is fixed; waivers that expired (and no longer waive) or match nothing."""
    scan = document.get("scan") or {}
    out: list[str] = []
    fixed = ((scan.get("baseline") or {}).get("fixed")) or []
    if fixed:
        rows = [f"- **{md_text(f.get('rule_id', ''))}** on {md_code(f.get('address', ''), _ADDRESS)}" for f in fixed]
        out += _details(f"{len(fixed)} fixed since the baseline", rows[:max_rows] + _more(rows, max_rows))
    waivers = scan.get("waivers") or {}
    for key, title in (("expired", "expired waivers (they no longer waive anything)"),
                       ("stale", "stale waivers (they match no result)")):
        entries = waivers.get(key) or []
        if entries:
            rows = [f"- **{md_text(w.get('rule', ''))}** on {md_code(w.get('resource', ''), _ADDRESS)}: "
                    f"{md_text(w.get('justification', ''), _REASON)} (approved by {md_text(w.get('approved_by', ''))}, "
                    f"expires {md_text(w.get('expires', ''))})" for w in entries]
            out += _details(f"{len(entries)} {title}", rows[:max_rows] + _more(rows, max_rows))
    return out


def _gaps(document: dict[str, Any]) -> list[str]:
    lines = []
    for source in (document.get("scan") or {}).get("inputs") or []:
        for gap in source.get("unreadable") or []:
            where = "/".join(str(x) for x in (gap.get("account"), gap.get("region")) if x)
            lines.append(f"- {md_code(gap.get('resource_type') or '')}"
                         + (f" in {md_code(where)}" if where else "") + f": {md_text(gap.get('reason') or '', _REASON)}")
    return lines


def _not_evaluated(missing: list[dict[str, Any]], max_rows: int) -> list[str]:
    rows = ["| Resource | Type | Why |", "| --- | --- | --- |"]
    rows += ["| " + " | ".join([md_code(str(m.get("address", "")), _ADDRESS), md_code(str(m.get("resource_type", ""))),
                                md_text(str(m.get("reason", "")), _REASON)]) + " |" for m in missing[:max_rows]]
    return rows + _more(missing, max_rows)


def _more(items: list[Any], max_rows: int) -> list[str]:
    return ["", f"_…and {len(items) - max_rows} more, in the full report._"] if len(items) > max_rows else []


def _details(summary: str, body: list[str]) -> list[str]:
    return ["<details>", f"<summary>{summary}</summary>", "", *body, "", "</details>", ""]


def _footer(document: dict[str, Any]) -> str:
    tool = document.get("tool") or {}
    scan = document.get("scan") or {}
    packs = ", ".join(f"{md_text(p['id'])} {md_text(p.get('version') or '')}".strip() for p in scan.get("packs") or [])
    inputs = ", ".join(md_code(i.get("origin") or "", 80) for i in scan.get("inputs") or [])
    resources = sum(int(i.get("resources") or 0) for i in scan.get("inputs") or [])
    parts = [f"{md_text(tool.get('name', 'vendorguard'))} {md_text(tool.get('version', ''))}".strip()]
    if packs:
        parts.append(f"packs: {packs}")
    if inputs:
        parts.append(f"scanned: {inputs} ({resources} resources)")
    if scan.get("finished"):
        parts.append(md_text(scan["finished"]))
    return "<sub>" + " · ".join(parts) + "</sub>"
