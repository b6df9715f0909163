"""The evidence report: one self-contained HTML file a practice files for its vendor review.

It is written to be printed and signed: what failed comes first (the verdict, then an index of
the failing rules, then the findings — FAIL, UNKNOWN, WAIVED — with their remediation and evidence,
see `findings_view`); PASS and N/A are counted per rule, never listed one by one.  Then it says
exactly what was examined (when, as whom, which accounts, regions, inputs and pack versions with
their content digests), how each HIPAA citation and vendor-checklist article came out, and what
could not be read.  Every number it states comes from `html_kit.counts` (the document's summary).

Everything that comes from the scanned environment (names, tags, addresses, reasons, evidence)
is untrusted: it only ever reaches the page through :func:`escape.html_text`, never into a URL,
a ``<style>`` or the ``<script>``, and the page's Content-Security-Policy allows nothing but its
own style and script (by hash) and no network at all, so even a missed escape could neither run
nor load anything.  The script only filters rows and opens folded lists for printing; with
scripts off every finding and every per-rule count is shown.  Style (with its ``@media print``
rules) and script are fixed text, kept as package data in ``assets/`` and inlined whole.
"""
from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from typing import Any

from ..model import Status
from .findings_view import failures_index, findings_section, remediation_html
from .html_kit import (LABEL, STATUSES, SYMBOL, anchor, asset, badge, counts, e, join, num, ordered,
                       page, plural, results_of, scan_of)

#: The statuses the per-domain chart stacks (NOT_APPLICABLE is counted beside the bar).
CHART_STATUSES = tuple(s for s in STATUSES if s != Status.NOT_APPLICABLE.value)
WAIVERS_LINK = '<a href="#decisions">Waivers</a>'
NO_RESOURCE = '<span class="note">no resource</span>'


# -- the document, read defensively (a saved report may be older, or hand-edited) -----------------


def _by_domain(document: dict[str, Any]) -> dict[str, dict[str, int]]:
    """The summary's per-domain counts, plus any domain the results have that the summary does not
    count (e.g. checkov checks no rule maps), counted from the results: every result is in the chart."""
    summary = document.get("summary") or {}
    out: dict[str, dict[str, int]] = dict(summary["by_domain"]) if isinstance(summary.get("by_domain"), dict) else {}
    counted: dict[str, dict[str, int]] = {}
    for r in results_of(document):
        domain = str(r.get("domain"))
        if domain not in out:
            counts = counted.setdefault(domain, {s: 0 for s in STATUSES})
            counts[str(r.get("status"))] = counts.get(str(r.get("status")), 0) + 1
    out.update(counted)
    return out


def rollup(results: list[dict[str, Any]]) -> str:
    """A control's status from its results: FAIL if any failed, else UNKNOWN if any could not be
    decided, else WAIVED if it passes only by an accepted waiver, else PASS; N/A without results
    that apply."""
    statuses = {r.get("status") for r in results}
    return next((s for s in STATUSES if s in statuses), Status.NOT_APPLICABLE.value)


def control_results(document: dict[str, Any]) -> list[tuple[dict[str, Any], list[tuple[dict[str, Any], list[dict[str, Any]]]]]]:
    """[(pack, [(control, its results)])]: a result belongs to a control when the result cites it."""
    cited: dict[str, list[dict[str, Any]]] = {}
    for r in results_of(document):
        for ref in r.get("controls") or []:
            cited.setdefault(str(ref), []).append(r)
    out = []
    for pack in scan_of(document).get("packs") or []:
        controls = [(c, cited.get(f"{pack.get('id')}:{c.get('id')}", [])) for c in pack.get("controls") or []]
        out.append((pack, controls))
    return out


# -- sections ----------------------------------------------------------------------------------


def _duration(started: Any, finished: Any) -> str:
    try:
        seconds = (datetime.fromisoformat(str(finished)) - datetime.fromisoformat(str(started))).total_seconds()
    except ValueError:
        return ""
    if seconds < 0:
        return ""
    minutes, secs = divmod(int(round(seconds)), 60)
    return f" ({minutes} min {secs} s)" if minutes else f" ({secs} s)"


def _accounts(document: dict[str, Any]) -> list[str]:
    seen: list[str] = []
    for inp in scan_of(document).get("inputs") or []:
        if inp.get("source") == "aws" and inp.get("origin"):
            seen.append(str(inp["origin"]))
    seen += [str(r["account"]) for r in results_of(document) if r.get("account")]
    return list(dict.fromkeys(seen))


def _regions(document: dict[str, Any]) -> list[str]:
    seen: list[str] = []
    for inp in scan_of(document).get("inputs") or []:
        regions = (inp.get("metadata") or {}).get("regions")
        if isinstance(regions, list):
            seen += [str(x) for x in regions]
    seen += [str(r["region"]) for r in results_of(document) if r.get("region")]
    return sorted(dict.fromkeys(seen))


def _identities(document: dict[str, Any]) -> list[str]:
    out = []
    for inp in scan_of(document).get("inputs") or []:
        identity = (inp.get("metadata") or {}).get("identity")
        if identity:
            out += [str(i) for i in identity] if isinstance(identity, list) else [str(identity)]
    return list(dict.fromkeys(out))


def _value_html(value: Any) -> str:
    """One metadata value: scalars inline, lists joined, anything bigger as pretty JSON."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return e(json.dumps(value) if value is None or isinstance(value, bool) else value)
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        text = join(value)
        if len(value) > 12:
            return f"<details class=\"more\"><summary>{len(value)} entries</summary>{text}</details>"
        return text or "none"
    return f"<pre>{e(json.dumps(value, indent=2, ensure_ascii=False, default=str))}</pre>"


def header(document: dict[str, Any]) -> str:
    """The title, the verdict in one line, and exactly what was examined: when, as whom, which
    accounts, regions, inputs, packs (versions and content digests) and tool version."""
    scan = scan_of(document)
    tool = document.get("tool") or {}
    inputs = scan.get("inputs") or []
    summary = document.get("summary") or {}
    tally = counts(document)
    by_status = tally.by_status
    origins = ", ".join(str(i.get("origin")) for i in inputs if i.get("origin")) or "no input"
    failed = summary.get("failed_by_severity") or {}
    failed_text = ", ".join(f"{n} {s}" for s, n in failed.items() if n)
    verdict = (f"{by_status.get(Status.FAIL.value, 0):,} failed, {by_status.get(Status.UNKNOWN.value, 0):,} could "
               f"not be decided and {by_status.get(Status.WAIVED.value, 0):,} waived — "
               f"{plural(tally.findings, 'finding')}" + (f" (failed: {failed_text})" if failed_text else "")
               + f" — and {by_status.get(Status.PASS.value, 0):,} passed, of {plural(tally.results, 'result')} "
               f"over {plural(tally.resources, 'resource')} read from the inputs.")
    identities = _identities(document)
    files = list(dict.fromkeys([str(i.get("origin")) for i in inputs if i.get("source") != "aws" and i.get("origin")]
                               + [str(r["file"]) for r in results_of(document) if r.get("file")]))
    packs = scan.get("packs") or []
    facts = [
        ("When", f"{e(scan.get('started', 'not recorded'))} to {e(scan.get('finished', 'not recorded'))}"
                 + e(_duration(scan.get("started"), scan.get("finished")))),
        ("Scanned as", "<br>".join(f"<code>{e(i)}</code> <span class=\"note\">(identity from STS)</span>"
                                   for i in identities)
         if identities else "no AWS identity: the inputs were files, not a live account"),
        ("AWS accounts", join(_accounts(document)) or "none recorded"),
        ("Regions", join(_regions(document)) or "none recorded"),
        ("Sources", join(dict.fromkeys(str(i.get("title") or i.get("source")) for i in inputs)) or "none"),
        ("Files", "<br>".join(f"<code>{e(f)}</code>" for f in files) if files else "none (a live scan)"),
        ("Rule packs", "<br>".join(
            f"{e(p.get('title'))} <span class=\"note\">— <code>{e(p.get('id'))}</code> version {e(p.get('version'))}, "
            f"<code class=\"digest\">{e(p.get('digest'))}</code></span>" for p in packs) or "none"),
        ("Tool", f"{e(tool.get('name', 'vendorguard'))} {e(tool.get('version', '?'))} "
                 f"<span class=\"note\">(results schema {e(document.get('schema_version', '?'))})</span>"),
    ]
    return f"""<header class="report">
<h1>Vendor environment evidence report</h1>
<p class="sub">HIPAA-mapped configuration review of <strong>{e(origins)}</strong></p>
<p class="verdict" id="verdict">{e(verdict)}</p>
{failures_index(document)}
<h2 class="index-h">What was examined</h2>
<dl class="facts" id="examined">{"".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)}</dl>
<nav class="toc" aria-label="Sections"><a href="#findings">Findings</a><a href="#glance">At a glance</a><a href="#scan">Inputs and packs</a><a href="#controls">Controls</a><a href="#unreadable">Not seen</a><a href="#not-evaluated">Not evaluated</a>{WAIVERS_LINK if _has_decisions(document) else ""}<a href="#rules">Rules</a></nav>
</header>"""


def scan_section(document: dict[str, Any]) -> str:
    scan = scan_of(document)
    inputs = scan.get("inputs") or []
    out = ['<section id="scan" aria-labelledby="scan-h"><h2 id="scan-h">Inputs, packs and API calls</h2>']
    out.append('<h3>Inputs</h3><table class="inputs"><thead><tr><th scope="col">Source</th>'
               '<th scope="col">Origin (file, stack or account)</th><th scope="col" class="num">Resources</th>'
               '<th scope="col" class="num">Not readable</th><th scope="col">Details</th></tr></thead><tbody>')
    for inp in inputs:
        meta = inp.get("metadata") or {}
        details = "".join(f"<div><span class=\"label\">{e(k)}</span> {_value_html(v)}</div>"
                          for k, v in meta.items())
        if inp.get("notes"):
            details += "<div><span class=\"label\">notes</span> " + "; ".join(e(n) for n in inp["notes"]) + "</div>"
        out.append(f"<tr><td>{e(inp.get('title') or inp.get('source'))}</td><td><code>{e(inp.get('origin'))}</code></td>"
                   f"{num(int(inp.get('resources') or 0))}{num(len(inp.get('unreadable') or []))}"
                   f"<td>{details or '—'}</td></tr>")
    out.append("</tbody></table>")

    out.append('<h3>Rule packs</h3><table class="packs"><thead><tr><th scope="col">Pack</th><th scope="col">Title</th>'
               '<th scope="col">Version</th><th scope="col">Content digest</th><th scope="col" class="num">Controls</th>'
               "</tr></thead><tbody>")
    for pack in scan.get("packs") or []:
        out.append(f"<tr><td><code>{e(pack.get('id'))}</code></td><td>{e(pack.get('title'))}</td>"
                   f"<td>{e(pack.get('version'))}</td><td><code class=\"digest\">{e(pack.get('digest'))}</code></td>"
                   f"{num(len(pack.get('controls') or []))}</tr>")
    out.append("</tbody></table>")
    out.append(f"<p>{len(document.get('rules') or [])} rules were applied (listed under <a href=\"#rules\">Rules</a>).</p>")

    calls = scan.get("api_calls")
    if isinstance(calls, dict):
        total = sum(int(n) for n in calls.values() if isinstance(n, int))
        out.append(f'<h3>AWS API calls</h3><p>{total} read-only API calls were made.</p>'
                   f'<details class="more"><summary>Calls per service</summary><p>'
                   + ", ".join(f"{e(k)} {e(v)}" for k, v in calls.items()) + "</p></details>")
    known = {"started", "finished", "packs", "inputs", "api_calls", "waivers", "baseline"}
    extra = {k: v for k, v in scan.items() if k not in known}
    if extra:
        out.append("<h3>Other scan records</h3><dl class=\"facts\">"
                   + "".join(f"<dt>{e(k)}</dt><dd>{_value_html(v)}</dd>" for k, v in extra.items()) + "</dl>")
    out.append("</section>")
    return "\n".join(out)


def _segments(counts: list[int], width: float, minimum: float) -> list[float]:
    """Segment widths proportional to counts, each non-zero one at least `minimum` wide (so its
    count fits), the rest shared in proportion."""
    total = sum(counts)
    if not total:
        return [0.0] * len(counts)
    fixed: dict[int, float] = {}
    while True:
        free = width - sum(fixed.values())
        rest = sum(c for i, c in enumerate(counts) if i not in fixed)
        widths = [fixed.get(i, (c / rest * free) if rest else 0.0) for i, c in enumerate(counts)]
        small = [i for i, c in enumerate(counts) if c and i not in fixed and widths[i] < minimum]
        if not small:
            return widths
        for i in small:
            fixed[i] = minimum


_FILL = {Status.FAIL.value: "#a4161a", Status.UNKNOWN.value: "url(#vg-hatch)", Status.WAIVED.value: "url(#vg-dots)",
         Status.PASS.value: "#9fd3a9"}
_CHART_WORD = {s: s.lower() for s in CHART_STATUSES}


def chart(document: dict[str, Any]) -> str:
    """Stacked horizontal bars, one per domain, 100% wide: FAIL | UNKNOWN | WAIVED | PASS, each
    with its count; patterns as well as colours, so it reads printed in grayscale."""
    by_domain = _by_domain(document)
    label_w, bar_w, right_w, row_h, gap, top = 190, 560, 150, 24, 9, 40
    width = label_w + bar_w + right_w
    height = top + len(by_domain) * (row_h + gap) + 6
    desc = "; ".join(
        f"{d}: " + ", ".join(f"{c.get(s, 0)} {_CHART_WORD[s]}" for s in CHART_STATUSES)
        + f", {c.get(Status.NOT_APPLICABLE.value, 0)} not applicable" for d, c in by_domain.items())
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="domain-chart" role="img" '
        f'aria-labelledby="chart-title chart-desc" viewBox="0 0 {width} {height}" width="{width}" height="{height}">',
        '<title id="chart-title">Results per domain: fail, unknown, waived and pass</title>',
        f'<desc id="chart-desc">{e(desc)}</desc>',
        '<defs><pattern id="vg-hatch" patternUnits="userSpaceOnUse" width="7" height="7" patternTransform="rotate(45)">'
        '<rect width="7" height="7" fill="#f6cf5e"/><rect width="2.6" height="7" fill="#7a5800"/></pattern>'
        '<pattern id="vg-dots" patternUnits="userSpaceOnUse" width="6" height="6">'
        '<rect width="6" height="6" fill="#c3cbeb"/><circle cx="3" cy="3" r="1.5" fill="#2f3f73"/></pattern></defs>',
    ]
    # legend
    x = label_w
    for status in CHART_STATUSES:
        parts.append(f'<rect x="{x}" y="6" width="18" height="14" fill="{_FILL[status]}" stroke="#333" stroke-width="0.8"/>'
                     f'<text x="{x + 24}" y="17">{SYMBOL[status]} {LABEL[status]}</text>')
        x += 44 + 9 * len(LABEL[status])
    parts.append(f'<text x="{label_w + bar_w + 10}" y="17" class="tot">total (+ N/A)</text>')
    y = top
    for domain, of_domain in by_domain.items():
        values = [int(of_domain.get(s, 0) or 0) for s in CHART_STATUSES]
        na = int(of_domain.get(Status.NOT_APPLICABLE.value, 0) or 0)
        parts.append(f'<g class="bar" data-domain="{e(domain)}">')
        parts.append(f'<text class="dom" x="{label_w - 8}" y="{y + row_h / 2 + 4:.1f}" text-anchor="end">{e(domain)}</text>')
        widths = _segments(values, bar_w, 26)
        x = float(label_w)
        if not sum(values):
            parts.append(f'<rect x="{label_w}" y="{y}" width="{bar_w}" height="{row_h}" fill="#fff" stroke="#999" '
                         f'stroke-dasharray="4 3"/><text x="{label_w + 8}" y="{y + row_h / 2 + 4:.1f}">only not applicable</text>')
        for status, count, w in zip(CHART_STATUSES, values, widths):
            if not count:
                continue
            parts.append(f'<rect class="seg" data-domain="{e(domain)}" data-status="{status}" data-count="{count}" '
                         f'x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row_h}" fill="{_FILL[status]}" '
                         f'stroke="#fff" stroke-width="1"><title>{e(domain)}: {count} {_CHART_WORD[status]}</title></rect>')
            dark = " on-dark" if status == Status.FAIL.value else ""
            parts.append(f'<text class="seg{dark}" x="{x + w / 2:.1f}" y="{y + row_h / 2 + 4.5:.1f}" '
                         f'text-anchor="middle" aria-hidden="true">{count}</text>')
            x += w
        total = sum(values)
        parts.append(f'<text class="tot" x="{label_w + bar_w + 10}" y="{y + row_h / 2 + 4:.1f}">{total}'
                     f'{f" (+{na} N/A)" if na else ""}</text>')
        parts.append("</g>")
        y += row_h + gap
    parts.append("</svg>")
    return "".join(parts)


def glance_section(document: dict[str, Any]) -> str:
    by_status = counts(document).by_status
    statuses = ordered(list(by_status) + list(STATUSES), STATUSES)
    cards = "".join(
        f'<div role="listitem" class="card c-{e(s)}"><span class="n" id="total-{e(s)}" data-status="{e(s)}">{int(by_status.get(s, 0) or 0)}</span>'
        f'{badge(s)}</div>' for s in statuses)
    failed = (document.get("summary") or {}).get("failed_by_severity") or {}
    sev = ", ".join(f'<span class="sev sev-{e(s)}">{e(s)}</span> <strong id="failed-{e(s)}">{e(n)}</strong>'
                    for s, n in failed.items())
    by_domain = _by_domain(document)
    rows = "".join(
        f'<tr data-domain="{e(d)}"><th scope="row">{e(d)}</th>'
        + "".join(num(int(c.get(s, 0) or 0)) for s in STATUSES)
        + num(sum(int(v or 0) for v in c.values())) + "</tr>" for d, c in by_domain.items())
    head = "".join(f'<th scope="col" class="num">{SYMBOL[s]} {LABEL[s]}</th>' for s in STATUSES)
    return f"""<section id="glance" aria-labelledby="glance-h"><h2 id="glance-h">At a glance</h2>
<div class="cards" role="list" aria-label="Results by status">{cards}</div>
<p>Failures by severity: {sev or 'none'}.</p>
<figure class="chart">{chart(document)}
<figcaption>Each bar is one domain, 100% wide: the share of its results that failed (✗, solid dark), could not be
decided (?, striped), were waived (⊘, dotted) or passed (✓, light). The number in each segment is its count of results;
the total is on the right. Not-applicable results are counted beside the bar only.</figcaption></figure>
<details class="more"><summary>The chart's numbers as a table</summary>
<table class="domains"><thead><tr><th scope="col">Domain</th>{head}<th scope="col" class="num">Total</th></tr></thead>
<tbody>{rows}</tbody></table></details>
</section>"""


def controls_section(document: dict[str, Any]) -> str:
    rule_anchor = {r.get("id"): anchor("rule", r.get("id")) for r in document.get("rules") or []}
    out = ['<section id="controls" aria-labelledby="controls-h"><h2 id="controls-h">Controls</h2>',
           "<p>Each control (a HIPAA citation, or an article of the vendor checklist) is rolled up from the results of "
           "its rules: <strong>FAIL</strong> if any result failed, else <strong>UNKNOWN</strong> if any could not be "
           "decided, else <strong>WAIVED</strong> if it passes only by an approved waiver, else <strong>PASS</strong>; "
           "<strong>N/A</strong> when none of its rules had a result that applies.</p>"]
    for pack, controls in control_results(document):
        rolled = Counter(rollup(rs) for _, rs in controls)
        tally = ", ".join(f"{rolled[s]} {LABEL[s]}" for s in STATUSES if rolled.get(s))
        out.append(f'<h3 id="{anchor("pack", pack.get("id"))}">{e(pack.get("title"))} '
                   f'<span class="note">({e(pack.get("id"))} {e(pack.get("version"))})</span></h3>')
        out.append(f"<p>{len(controls)} controls: {e(tally) or 'none'}.</p>")
        head = "".join(f'<th scope="col" class="num">{SYMBOL[s]} {LABEL[s]}</th>' for s in STATUSES)
        out.append(f'<table class="controls" data-pack="{e(pack.get("id"))}"><thead><tr><th scope="col">Citation</th>'
                   f'<th scope="col">Control</th><th scope="col">Status</th>{head}<th scope="col">Rules</th></tr></thead><tbody>')
        for control, rs in controls:
            counts = Counter(r.get("status") for r in rs)
            status = rollup(rs)
            rules = ", ".join(
                f'<a href="#{rule_anchor[rid]}">{e(rid)}</a>' if rid in rule_anchor else e(rid)
                for rid in control.get("rules") or [])
            out.append(f'<tr class="control" data-control="{e(pack.get("id"))}:{e(control.get("id"))}" data-rollup="{e(status)}">'
                       f'<th scope="row" class="mono">{e(control.get("id"))}</th><td>{e(control.get("title"))}</td>'
                       f"<td>{badge(status)}</td>" + "".join(num(counts.get(s, 0)) for s in STATUSES)
                       + f'<td class="note">{rules}</td></tr>')
        out.append("</tbody></table>")
    out.append("</section>")
    return "\n".join(out)


def unreadable_section(document: dict[str, Any]) -> str:
    inputs = scan_of(document).get("inputs") or []
    gaps = [(inp, gap) for inp in inputs for gap in inp.get("unreadable") or []]
    unknown = [r for r in results_of(document) if r.get("status") == Status.UNKNOWN.value]
    out = ['<section id="unreadable" aria-labelledby="unreadable-h"><h2 id="unreadable-h">What could not be seen</h2>']
    if gaps:
        out.append(f"<p>{len(gaps)} part(s) of the environment could not be read at all. Every rule over them is "
                   "UNKNOWN, not PASS: absence of evidence was not taken as compliance.</p>")
        out.append('<table class="gaps"><thead><tr><th scope="col">Input</th><th scope="col">Resource type</th>'
                   '<th scope="col">Account</th><th scope="col">Region</th><th scope="col">Why</th></tr></thead><tbody>')
        for inp, gap in gaps:
            out.append(f"<tr class=\"gap\"><td><code>{e(inp.get('origin'))}</code></td><td><code>{e(gap.get('resource_type'))}</code></td>"
                       f"<td>{e(gap.get('account') or 'all')}</td><td>{e(gap.get('region') or 'all')}</td>"
                       f"<td>{e(gap.get('reason'))}</td></tr>")
        out.append("</tbody></table>")
    else:
        out.append('<p class="ok" id="no-gaps">Every resource type the selected rules need was read: nothing was unreadable.</p>')
    notes = [(inp, n) for inp in inputs for n in inp.get("notes") or []]
    if notes:
        out.append("<h3>Notes from the inputs</h3><ul>" + "".join(
            f"<li><code>{e(inp.get('origin'))}</code>: {e(n)}</li>" for inp, n in notes) + "</ul>")
    if unknown:
        by_why = Counter(_unknown_kind(r) for r in unknown)
        out.append(f"<p>{len(unknown)} result(s) are <strong>UNKNOWN</strong>: the scanner could not see enough to "
                   "decide. Each one is explained with its finding; in short:</p><ul>" + "".join(
                       f"<li>{n} × {e(kind)}</li>" for kind, n in by_why.most_common()) + "</ul>")
    else:
        out.append("<p>No result is UNKNOWN: every rule could be decided on what was read.</p>")
    out.append("</section>")
    return "\n".join(out)


def not_evaluated_section(document: dict[str, Any]) -> str:
    """Resources no selected rule evaluated: "compliant" is not "not looked at"."""
    out = ['<section id="not-evaluated" aria-labelledby="not-evaluated-h">'
           '<h2 id="not-evaluated-h">What no rule evaluated</h2>']
    missing = document.get("not_evaluated")
    if missing is None:
        out.append('<p id="not-evaluated-count" data-count="">This results document predates the list of resources '
                   "no rule evaluated: which resources went unjudged is not known.</p></section>")
        return "\n".join(out)
    if not missing:
        out.append('<p class="ok" id="not-evaluated-count" data-count="0">0 resources not evaluated: every resource '
                   "of the input was evaluated by at least one selected rule.</p></section>")
        return "\n".join(out)
    out.append(f'<p id="not-evaluated-count" data-count="{len(missing)}"><strong>{len(missing)}</strong> resource(s) '
               "of the input were evaluated by no selected rule. They are neither compliant nor failing: they were "
               "not looked at.</p>")
    groups = Counter((str(m.get("resource_type", "")), str(m.get("reason", ""))) for m in missing)
    out.append('<table class="not-evaluated-types"><thead><tr><th scope="col">Resource type</th>'
               '<th scope="col">Why</th><th scope="col" class="num">Resources</th></tr></thead><tbody>')
    for (rtype, why), n in sorted(groups.items(), key=lambda g: (-g[1], g[0])):
        out.append(f"<tr><td><code>{e(rtype)}</code></td><td>{e(why)}</td>{num(n)}</tr>")
    out.append("</tbody></table>")
    out.append(f'<details class="more"><summary>All {len(missing)} resource(s)</summary>'
               '<table class="not-evaluated"><thead><tr><th scope="col">Resource</th><th scope="col">Type</th>'
               '<th scope="col">Why</th></tr></thead><tbody>')
    for m in missing:
        out.append(f'<tr class="not-evaluated-resource"><td><code>{e(m.get("address"))}</code></td>'
                   f'<td><code>{e(m.get("resource_type"))}</code></td><td>{e(m.get("reason"))}</td></tr>')
    out.append("</tbody></table></details></section>")
    return "\n".join(out)


def _unknown_kind(result: dict[str, Any]) -> str:
    reason = str(result.get("reason") or "")
    if reason.startswith("could not be read:"):
        return "the resources could not be read (" + reason[len("could not be read:"):].strip() + ")"
    if "may be managed elsewhere" in reason:
        return "an account or region control that this input does not show (it may be managed elsewhere)"
    if "known only after apply" in reason:
        return "values known only after the plan is applied"
    if "could not be evaluated" in reason:
        return "the rule's condition could not be evaluated on the values seen"
    if "whether the rule applies is not known" in reason:
        return "whether the rule applies is not known"
    return "values that were not visible"


def _has_decisions(document: dict[str, Any]) -> bool:
    scan = scan_of(document)
    return bool(scan.get("waivers") or scan.get("baseline")
                or any(r.get("status") == Status.WAIVED.value for r in results_of(document)))


def decisions_section(document: dict[str, Any]) -> str:
    """Waivers (in force, expired, stale) and the baseline comparison, when the scan had them."""
    scan = scan_of(document)
    waivers, baseline = scan.get("waivers"), scan.get("baseline")
    waived = [r for r in results_of(document) if r.get("status") == Status.WAIVED.value]
    if not _has_decisions(document):
        return ""
    out = ['<section id="decisions" aria-labelledby="decisions-h"><h2 id="decisions-h">Waivers and baseline</h2>']

    def waiver_table(entries: list[Any], css: str) -> str:
        rows = "".join(
            f"<tr><td><code>{e(w.get('rule'))}</code></td><td><code>{e(w.get('resource') or w.get('address'))}</code></td>"
            f"<td>{e(w.get('justification'))}</td><td>{e(w.get('approved_by'))}</td><td>{e(w.get('expires'))}</td></tr>"
            if isinstance(w, dict) else f'<tr><td colspan="5">{e(w)}</td></tr>' for w in entries)
        return (f'<table class="{css}"><thead><tr><th scope="col">Rule</th><th scope="col">Resources</th>'
                '<th scope="col">Justification</th><th scope="col">Approved by</th><th scope="col">Expires</th></tr>'
                f"</thead><tbody>{rows}</tbody></table>")

    if isinstance(waivers, dict) and waivers.get("file"):
        out.append(f"<p>Waivers file: <code>{e(waivers['file'])}</code>.</p>")
    out.append(f"<p>{len(waived)} result(s) are <strong>WAIVED</strong>: a failure or an undecided result "
               "accepted as a risk, with its justification, approver and expiry shown on each finding.</p>")
    if isinstance(waivers, dict):
        expired = waivers.get("expired") or []
        stale = waivers.get("stale") or []
        if expired:
            out.append(f"<h3>Expired waivers ({len(expired)})</h3><p>These no longer waive anything: the results "
                       "they matched are reported as they are.</p>" + waiver_table(expired, "waivers expired"))
        if stale:
            out.append(f"<h3>Stale waivers ({len(stale)})</h3><p>These matched no result in this scan.</p>"
                       + waiver_table(stale, "waivers stale"))
        other = {k: v for k, v in waivers.items() if k not in ("file", "expired", "stale")}
        if other:
            out.append('<dl class="facts">' + "".join(f"<dt>{e(k)}</dt><dd>{_value_html(v)}</dd>"
                                                      for k, v in other.items()) + "</dl>")
    if isinstance(baseline, dict):
        fixed = baseline.get("fixed") or []
        out.append(f"<h3>Against the baseline</h3><p>Baseline: <code>{e(baseline.get('file'))}</code>. "
                   f"{e(baseline.get('new', 0))} failure(s) are new since it; {len(fixed)} of its failures are "
                   "fixed.</p>")
        if fixed:
            out.append('<table class="fixed"><thead><tr><th scope="col">Rule</th><th scope="col">Resource</th></tr>'
                       "</thead><tbody>" + "".join(
                           f"<tr><td><code>{e(f.get('rule_id'))}</code></td><td><code>{e(f.get('address'))}</code></td></tr>"
                           if isinstance(f, dict) else f'<tr><td colspan="2">{e(f)}</td></tr>' for f in fixed)
                       + "</tbody></table>")
        other = {k: v for k, v in baseline.items() if k not in ("file", "fixed", "new")}
        if other:
            out.append('<dl class="facts">' + "".join(f"<dt>{e(k)}</dt><dd>{_value_html(v)}</dd>"
                                                      for k, v in other.items()) + "</dl>")
    out.append("</section>")
    return "\n".join(out)


def rules_section(document: dict[str, Any]) -> str:
    rules = document.get("rules") or []
    per_rule = Counter((r.get("rule_id"), r.get("status")) for r in results_of(document))
    live = any(i.get("source") == "aws" for i in scan_of(document).get("inputs") or [])
    out = ['<section id="rules" aria-labelledby="rules-h"><h2 id="rules-h">Rules applied</h2>',
           f"<p>{len(rules)} rules, each an expectation of the vendor's environment, with why it matters and its "
           "references.</p>",
           f'<p class="print-only">Printed: the {len({r.get("rule_id") for r in results_of(document)})} rules with '
           "a result in this scan; the others, which found nothing to check, are listed on screen and in the results "
           "document.</p>",
           '<table class="rules"><colgroup><col class="c-id"><col class="c-text"><col class="c-sev"><col class="c-dom">'
           '<col class="c-res"><col class="c-ref"></colgroup><thead><tr><th scope="col">Rule</th><th scope="col">Expectation and rationale</th>'
           '<th scope="col">Severity if it fails</th><th scope="col">Domain</th><th scope="col">Results</th>'
           '<th scope="col">References</th></tr></thead><tbody>']
    for rule in sorted(rules, key=lambda r: str(r.get("id"))):
        rid = rule.get("id")
        results = "".join(f"<div>{badge(s)} {per_rule[(rid, s)]}</div>" for s in STATUSES if per_rule.get((rid, s)))
        refs = rule.get("references") or {}
        ref_html = "".join(f'<div><span class="label">{e(k)}</span> {join(v) if isinstance(v, list) else e(v)}</div>'
                           for k, v in refs.items()) if isinstance(refs, dict) else e(refs)
        condition = (f'<details class="more"><summary>Condition</summary><pre><code>{e(rule.get("condition"))}</code></pre>'
                     f'<p class="note">Applies to: {join(rule.get("resource_types") or [])}; scope {e(rule.get("scope"))}</p>'
                     "</details>")
        unused = "" if results else ' class="unused"'  # printed only when it had a result
        out.append(f'<tr id="{anchor("rule", rid)}"{unused}>'
                   f'<th scope="row" class="mono">{e(rid)}</th>'
                   f'<td><strong>{e(rule.get("title"))}</strong><p>{e(rule.get("rationale"))}</p>{condition}'
                   f'{remediation_html(rule, live=live, folded=True)}</td>'
                   f'<td><span class="sev">{e(rule.get("severity"))}</span></td>'
                   f'<td>{e(rule.get("domain"))}</td><td class="results-of">{results or NO_RESOURCE}</td>'
                   f"<td>{ref_html}</td></tr>")
    out.append("</tbody></table></section>")
    return "\n".join(out)


def render(document: dict[str, Any], **_options: Any) -> str:
    tool = document.get("tool") or {}
    scan = scan_of(document)
    origins = ", ".join(str(i.get("origin")) for i in scan.get("inputs") or [] if i.get("origin"))
    title = f"vendorguard evidence report — {origins or 'scan'} — {scan.get('finished', '')}"
    body = "\n".join([
        header(document), findings_section(document, tuple(_by_domain(document))), glance_section(document),
        scan_section(document), controls_section(document), unreadable_section(document),
        not_evaluated_section(document), decisions_section(document),
        rules_section(document),
        f'<footer><p>Generated by {e(tool.get("name", "vendorguard"))} {e(tool.get("version", "?"))} from the scan\'s '
        "results document. This file is self-contained: it loads nothing from any network, and its only script "
        "filters the findings and opens every remediation for printing (with scripts off, every finding and "
        "the per-rule counts of the rest are shown).</p></footer>",
    ])
    return page(title, body, generator=f"{tool.get('name', 'vendorguard')} {tool.get('version', '')}",
                style=asset("report.css"), script=asset("report.js"))
