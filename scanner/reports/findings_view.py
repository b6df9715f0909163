"""The evidence report's Findings: what did not pass first, and what passed only counted.

Findings are the results that did not pass, worst first: FAIL, then UNKNOWN, then WAIVED.  Within
each, one block per rule (most severe first) carries the rule's remediation once — open, so it
prints — and a row per distinct piece of evidence with every resource that showed it: a thousand
buckets failing the same way are one row listing a thousand addresses, not a thousand rows.
PASS and N/A results are summarised per rule (a count and the first few addresses, folded), behind
the page's status filter: a scan with 26,000 results stays a page a browser opens and a printer
prints.  Severity is shown only where something failed; an UNKNOWN says what it would be.
"""
from __future__ import annotations

import json
from collections import Counter
from typing import Any, Iterable

from ..model import SEVERITIES, Status
from .evidence_view import evidence_html, unknown_paths
from .html_kit import (FINDING_STATUSES, LABEL, QUIET_STATUSES, STATUSES, SYMBOL, anchor, badge, counts, e,
                       ordered, plural, results_of, scan_of, sev_rank)

#: Addresses listed under a rule's PASS (or N/A) count, on demand; the rest are only counted.
QUIET_LISTED = 25
#: A row listing more resources than this folds the list (opened for printing).
FOLD_AFTER = 12
#: How each way of fixing is named, and the order for a live finding and for a code finding.
WAYS = {"console": "AWS console", "cli": "AWS CLI", "terraform": "Terraform", "pulumi": "Pulumi"}
LIVE_ORDER = ("console", "cli", "terraform", "pulumi")
CODE_ORDER = ("terraform", "pulumi", "console", "cli")


def severity_html(status: str, severity: Any) -> str:
    """Severity is the weight of a failure: shown as such on FAIL; on UNKNOWN as what it would be;
    on WAIVED as the weight of the accepted failure; on PASS and N/A not at all."""
    if status == Status.FAIL.value:
        return f'<span class="sev sev-{e(severity)}">{e(severity)}</span>'
    if status == Status.UNKNOWN.value:
        return f'<span class="sev-if">{e(severity)} if it fails</span>'
    if status == Status.WAIVED.value:
        return f'<span class="sev-if">{e(severity)}, accepted by waiver</span>'
    return ""


def remediation_html(rule: dict[str, Any] | None, *, live: bool, folded: bool = False) -> str:
    """How to fix what the rule found: its text, then each way the rule records (console steps,
    CLI commands, Terraform, Pulumi) — for a live finding the console and CLI first, since there is
    no code to change; for a plan's, the code first.  Open unless `folded` (the rules appendix)."""
    if not rule:
        return ""
    fix = rule.get("remediation") or {}
    if isinstance(fix, str):
        fix = {"text": fix}
    if not isinstance(fix, dict) or not any(fix.get(k) for k in ("text", *WAYS)):
        return ""
    parts = [f'<p>{e(fix.get("text", ""))}</p>']
    for way in LIVE_ORDER if live else CODE_ORDER:
        value = fix.get(way)
        if not value:
            continue
        if way == "console":
            steps = value if isinstance(value, list) else [value]
            body = '<ol class="steps">' + "".join(f"<li>{e(s)}</li>" for s in steps) + "</ol>"
        else:
            body = f'<pre class="code"><code>{e(value)}</code></pre>'
        parts.append(f'<div class="way way-{way}"><span class="label">{WAYS[way]}</span>{body}</div>')
    if live and not (fix.get("console") or fix.get("cli")):
        parts.append('<p class="note">No console or CLI steps are recorded for this rule: the settings to change '
                     "are those in the code above.</p>")
    return f'<details class="fix"{"" if folded else " open"}><summary>Remediation</summary>{"".join(parts)}</details>'


def why_unknown(result: dict[str, Any]) -> str:
    """What could not be seen for an UNKNOWN result, and what would let it be decided."""
    paths = unknown_paths(result.get("evidence"))
    shown = ", ".join(f"<code>{e(p)}</code>" for p in paths)
    reason = str(result.get("reason") or "")
    rtype = f"<code>{e(result.get('resource_type'))}</code>"
    if reason.startswith("could not be read:"):
        text = (f"Not visible: the {rtype} resources themselves — reading them failed (the reason above). "
                "Give the scanning role read access to them and scan again.")
    elif "may be managed elsewhere" in reason:
        text = (f"Not visible: this {e(result.get('source'))} input shows only part of the account and holds no "
                f"{rtype}. Whether one exists is for a scan of the live account to tell.")
    elif "known only after apply" in reason:
        text = (f"Not visible: {shown or 'some values'} — known only after the plan is applied. "
                "Scan again once they are set, or scan the live account.")
    elif "could not be evaluated" in reason:
        text = "The rule's condition could not be evaluated on the values below (the reason above)."
    elif "whether the rule applies is not known" in reason:
        text = f"Not visible: {shown or 'the values'} that decide whether the rule applies."
    else:
        text = f"Not visible: {shown or 'the values the rule needs'}."
    return (f'<div class="why"><span class="label">Could not be decided</span> {text} '
            "It is neither passed nor failed.</div>")


def waiver_html(waiver: Any) -> str:
    if not waiver:
        return ""
    if not isinstance(waiver, dict):
        return f'<div class="waiver"><span class="label">Waived</span> {e(waiver)}</div>'
    names = {"approved_by": "approved by", "expires": "expires", "rule": "for rule", "resource": "on",
             "address": "on", "origin": "from", "check_id": "check"}
    facts = [f"{names.get(k, e(k))} {e(v)}" for k, v in waiver.items() if k != "justification" and v not in (None, "")]
    return ('<div class="waiver"><span class="label">Waived</span> '
            f'{e(waiver.get("justification") or "no justification recorded")}'
            + (f' <span class="note">— {"; ".join(facts)}</span>' if facts else "") + "</div>")


def cites_html(controls: Iterable[Any], titles: dict[str, str]) -> str:
    items = []
    for ref in controls:
        pack, _, cid = str(ref).partition(":")
        title = titles.get(str(ref))
        items.append(f'<li><span class="label">{e(pack)}</span> <span class="mono">{e(cid or ref)}</span>'
                     + (f' <span class="note">{e(title)}</span>' if title else "") + "</li>")
    return '<ul class="cites">' + "".join(items) + "</ul>" if items else ""


#: Where a result is: (field, how it is shown). Said once per row when every resource in it shares it.
WHERE = (("resource_type", lambda v: f"<code>{e(v)}</code>"), ("source", e),
         ("account", lambda v: f"account {e(v)}"), ("region", lambda v: f"region {e(v)}"),
         ("file", lambda v: f"<code>{e(v)}</code>"))


def _where(result: dict[str, Any], fields: Iterable[tuple[str, Any]]) -> str:
    shown = [show(result[name]) for name, show in fields if result.get(name)]
    if result.get("line"):
        shown.append(f"line {e(result['line'])}")
    return " · ".join(shown)


def _resource_list(items: list[tuple[int, dict[str, Any]]]) -> str:
    """The resources of one row: what they share said once, then each address with what is its own
    (a 26,000-result scan repeats no account, region or file name thousands of times)."""
    shared = [(n, f) for n, f in WHERE if len({str(r.get(n)) for _, r in items}) == 1]
    own = [(n, f) for n, f in WHERE if (n, f) not in shared]
    lis = []
    for i, r in items:
        where = _where(r, own)
        new = ""
        if r.get("baseline") == "new":
            new = ' <span class="new">NEW since baseline</span>'
        elif r.get("baseline"):
            new = f' <span class="note">baseline: {e(r["baseline"])}</span>'
        lis.append(f'<li class="result" id="result-{i}"><code class="addr">{e(r.get("address"))}</code>'
                   + (f' <span class="where">{where}</span>' if where else "") + f"{new}</li>")
    common = _where(dict(items[0][1], line=None), shared)
    listing = (f'<p class="where">{common}</p>' if common else "") + f'<ul class="resources">{"".join(lis)}</ul>'
    if len(items) > FOLD_AFTER:
        return (f'<details class="many" data-count="{len(items)}"><summary>{plural(len(items), "resource")} '
                f"with this evidence</summary>{listing}</details>")
    return listing


def _restates_evidence(reason: str, evidence: Any) -> bool:
    """Whether a reason is only the engine's one-line restatement of the evidence (``path = value;
    …``, long values cut short): then the evidence, shown whole below it, says it better."""
    return (isinstance(evidence, dict) and bool(evidence) and reason.startswith(f"{next(iter(evidence))} = ")
            and all(f"{k} = " in reason for k in evidence))


def _rows(items: list[tuple[int, dict[str, Any]]], rule: dict[str, Any] | None) -> list[str]:
    """One row per distinct (reason, evidence, waiver): the evidence once, every resource that showed it."""
    same: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for index, r in items:
        key = json.dumps([r.get("reason"), r.get("evidence"), r.get("waiver")], sort_keys=True, default=str)
        same.setdefault(key, []).append((index, r))
    rows = []
    for group in same.values():
        first = group[0][1]
        status = str(first.get("status"))
        reason = str(first.get("reason") or "")
        detail = [] if _restates_evidence(reason, first.get("evidence")) else [f'<p class="reason">{e(reason)}</p>']
        if status == Status.UNKNOWN.value:
            detail.append(why_unknown(first))
        detail.append(waiver_html(first.get("waiver")))
        if first.get("evidence") or status != Status.UNKNOWN.value:
            detail.append(evidence_html(first, rule))
        rows.append(f'<tr class="finding" data-status="{e(status)}" data-severity="{e(first.get("severity"))}" '
                    f'data-domain="{e(first.get("domain"))}" data-rule="{e(first.get("rule_id"))}" '
                    f'data-count="{len(group)}"><td>{_resource_list(group)}</td><td>{"".join(detail)}</td></tr>')
    return rows


def _filters(results: list[dict[str, Any]], domains_order: tuple[str, ...]) -> str:
    """Status, severity and domain boxes (each with its count of results), shown by the script only;
    PASS and N/A start unticked: findings first, the rest on demand."""
    tallies = {name: Counter(str(r.get(name)) for r in results) for name in ("status", "severity", "domain")}
    values = {"status": ordered(list(tallies["status"]) + list(STATUSES), STATUSES),
              "severity": ordered(tallies["severity"], SEVERITIES),
              "domain": ordered(tallies["domain"], domains_order)}
    shown = {"status": lambda s: f'{SYMBOL.get(s, "")} {e(LABEL.get(s, s))}', "severity": e, "domain": e}
    boxes = "".join(
        f"<fieldset><legend>{e(name.capitalize())}</legend>" + "".join(
            f'<label><input type="checkbox" name="{name}" value="{e(v)}"'
            f'{"" if name == "status" and v in QUIET_STATUSES else " checked"}> {shown[name](v)} '
            f'<span class="note">({tallies[name][v]:,})</span></label>' for v in values[name]) + "</fieldset>"
        for name in ("status", "severity", "domain"))
    return ('<form id="filters" class="filters" hidden aria-label="Filter findings">' + boxes
            + '<div><button type="button" id="filters-problems">Only findings</button> '
              '<button type="button" id="filters-all">Show all, PASS and N/A too</button></div></form>')


def _quiet(results: list[dict[str, Any]]) -> str:
    """PASS and N/A: one row per rule and status with its count and, folded, its first addresses."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in results:
        groups.setdefault((str(r.get("status")), str(r.get("rule_id"))), []).append(r)
    rows = []
    for (status, rid), rs in sorted(groups.items(), key=lambda g: (STATUSES.index(g[0][0]), g[0][1])):
        listed = "".join(f'<li><code class="addr">{e(r.get("address"))}</code></li>' for r in rs[:QUIET_LISTED])
        more = (f'<p class="note">and {len(rs) - QUIET_LISTED:,} more, each listed in the results document</p>'
                if len(rs) > QUIET_LISTED else "")
        rows.append(f'<tr class="quiet" data-status="{e(status)}" data-rule="{e(rid)}" '
                    f'data-severity="{e(rs[0].get("severity"))}" data-domain="{e(rs[0].get("domain"))}" '
                    f'data-count="{len(rs)}"><th scope="row" class="mono">{e(rid)}</th><td>{e(rs[0].get("title"))}</td>'
                    f"<td>{badge(status)}</td>"
                    f'<td class="num">{len(rs):,}</td><td><details class="quiet-list"><summary>'
                    f'{plural(len(rs), "resource")}</summary><ul class="resources">{listed}</ul>{more}</details></td></tr>')
    return ('<table class="quiet"><thead><tr><th scope="col">Rule</th><th scope="col">Title</th>'
            '<th scope="col">Status</th><th scope="col" class="num">Results</th><th scope="col">Resources</th>'
            f'</tr></thead><tbody>{"".join(rows)}</tbody></table>')


def _rule_groups(results: list[dict[str, Any]]) -> dict[str, dict[str, list[tuple[int, dict[str, Any]]]]]:
    """status → rule id → [(index, result)], findings only, in the order the report lists them."""
    out: dict[str, dict[str, list[tuple[int, dict[str, Any]]]]] = {}
    for index, r in enumerate(results):
        status = str(r.get("status"))
        if status not in QUIET_STATUSES:
            out.setdefault(status, {}).setdefault(str(r.get("rule_id")), []).append((index, r))
    order = list(FINDING_STATUSES) + sorted(set(out) - set(FINDING_STATUSES))
    return {s: dict(sorted(out[s].items(), key=lambda g: (sev_rank(g[1][0][1].get("severity")), g[0])))
            for s in order if s in out}


def failures_index(document: dict[str, Any]) -> str:
    """What failed, on the first page: one line per failing rule (severity, how many resources),
    linked to its block under Findings, then how many rules could not be decided or were waived."""
    groups = _rule_groups(results_of(document))
    failed = groups.get(Status.FAIL.value) or {}
    rows = "".join(
        f'<tr><td>{severity_html(Status.FAIL.value, g[0][1].get("severity"))}</td>'
        f'<td class="mono"><a href="#{anchor("finding", f"{Status.FAIL.value}|{rid}")}">{e(rid)}</a></td>'
        f'<td>{e(g[0][1].get("title"))}</td><td class="num">{len(g):,}</td></tr>' for rid, g in failed.items())
    others = "; ".join(f"{plural(sum(len(g) for g in groups[s].values()), 'result')} {LABEL.get(s, s)} under "
                       f"{plural(len(groups[s]), 'rule')}" for s in groups if s != Status.FAIL.value)
    table = ('<table class="failed-index"><thead><tr><th scope="col">Severity</th><th scope="col">Rule</th>'
             '<th scope="col">What failed</th><th scope="col" class="num">Results</th></tr></thead>'
             f"<tbody>{rows}</tbody></table>") if rows else '<p class="ok">Nothing failed.</p>'
    return (f'<div id="failed-first"><h2 class="index-h">What failed</h2>{table}'
            + (f'<p>Also: {e(others)}.</p>' if others else "") + "</div>")


def findings_section(document: dict[str, Any], domains_order: tuple[str, ...]) -> str:
    results = results_of(document)
    tally = counts(document)
    rules = {r.get("id"): r for r in document.get("rules") or [] if isinstance(r, dict)}
    titles = {f"{p.get('id')}:{c.get('id')}": str(c.get("title") or "")
              for p in scan_of(document).get("packs") or [] for c in p.get("controls") or []}
    groups = _rule_groups(results)
    quiet = [r for r in results if str(r.get("status")) in QUIET_STATUSES]
    quiet_text = ", ".join(f"{tally.by_status.get(s, 0):,} {LABEL[s]}" for s in QUIET_STATUSES)
    out = ['<section id="findings" aria-labelledby="findings-h"><h2 id="findings-h">Findings</h2>',
           f'<p id="findings-summary" data-findings="{tally.findings}" data-results="{tally.results}">'
           f"<strong>{plural(tally.findings, 'finding')}</strong> — the results that did not pass: "
           + ", ".join(f"{tally.by_status.get(s, 0):,} {LABEL[s]}" for s in FINDING_STATUSES)
           + f" — of {plural(tally.results, 'result')} over {plural(tally.resources, 'resource')}. "
           f"Each rule that found something is listed once, worst first, with how to fix it and the evidence "
           f"each resource showed. The other {tally.quiet:,} results ({quiet_text}) are counted per rule at the "
           "end, not listed one by one.</p>",
           _filters(results, domains_order),
           '<noscript><p class="note">Filters need JavaScript; every finding and the per-rule counts of the '
           "others are listed below.</p></noscript>",
           f'<p class="count" id="filter-count" aria-live="polite">Showing all {tally.findings:,} findings.</p>']
    for status, per_rule in groups.items():
        items = [item for group in per_rule.values() for item in group]
        out.append(f'<section class="status-group" id="findings-{e(status)}" data-status="{e(status)}">'
                   f'<h3>{badge(status)} {plural(len(items), "result")} under {plural(len(per_rule), "rule")}</h3>')
        for rid, group in per_rule.items():
            first = group[0][1]
            rule = rules.get(rid)
            live = any(r.get("source") == "aws" for _, r in group)
            rule_link = f'<a href="#{anchor("rule", rid)}">{e(rid)}</a>' if rid in rules else e(rid)
            block_id = anchor("finding", f"{status}|{rid}")
            out.append(
                f'<section class="rule-group" id="{block_id}" data-status="{e(status)}" data-rule="{e(rid)}" '
                f'data-severity="{e(first.get("severity"))}" data-domain="{e(first.get("domain"))}">'
                f'<h4>{badge(status)} <span class="mono">{rule_link}</span> {e(first.get("title"))}</h4>'
                f'<p class="rmeta">{severity_html(status, first.get("severity"))} · {e(first.get("domain"))} · '
                f'{plural(len(group), "result")}</p>'
                f'{cites_html(first.get("controls") or [], titles)}'
                f"{remediation_html(rule, live=live)}"
                '<table class="findings"><colgroup><col class="c-res"><col class="c-detail"></colgroup><thead><tr>'
                '<th scope="col">Resources</th><th scope="col">What the rule saw</th></tr></thead><tbody>'
                + "".join(_rows(group, rule)) + "</tbody></table></section>")
        out.append("</section>")
    out.append(f'<section class="status-group" id="passed" data-status="quiet"><h3>Passed and not applicable, '
               f"per rule</h3><p>{tally.quiet:,} results ({quiet_text}) are counted per rule here; the first "
               f"{QUIET_LISTED} resources of each are listed on demand, all of them in the results document.</p>"
               + _quiet(quiet) + "</section>")
    out.append("</section>")
    return "\n".join(out)
