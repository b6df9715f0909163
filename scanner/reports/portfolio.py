"""The portfolio page: every vendor a store holds, on one self-contained HTML page.

A practice reviews many vendors, scan after scan.  This page answers, for all of them at once:
where does each vendor stand on each HIPAA control (a heat map, vendors × controls, from each
vendor's latest scan), is it getting better (each vendor's pass share over its scans, inline SVG),
what broke since the last look (failures new since the vendor's previous scan), and what has been
left open longest.

It is rendered from the portfolio document (`policies/schemas/portfolio.schema.json`, what
``vendorguard report --store URL --format json`` prints), never from the store itself, so the page
and the JSON always say the same thing.  Every string in that document — vendor names, addresses,
reasons, even control ids — is untrusted and reaches the page only through :func:`html.e`; the
page is the evidence report's shell (`html.page`: one inlined style sheet and one script, allowed
by hash, no network).  The script only sorts tables; without it everything is shown.
"""
from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from .. import __version__
from ..catalog import shipped_schema
from ..model import SEVERITIES, Status
from .html import SYMBOL, anchor, asset, badge, e, page

#: The statuses a vendor's summary lists, worst first (as the evidence report orders them).
SUMMARY = tuple(s.value for s in (Status.FAIL, Status.UNKNOWN, Status.WAIVED, Status.PASS, Status.NOT_APPLICABLE))
#: Shades of a heat-map cell with a failure, by its share of passing results: < 25 %, < 50 %, < 75 %, more.
FAIL_SHADES = ("hm-f0", "hm-f1", "hm-f2", "hm-f3")
NO_RESULTS = '<span class="note">no results</span>'


def validator() -> Any:
    """A JSON Schema validator for a portfolio document (`policies/schemas/portfolio.schema.json`).
    Its ``new`` results refer to the results schema's result (``results.schema.json#…``): both
    schemas are handed to the validator from package data, so nothing is ever fetched."""
    import jsonschema  # deferred: ~100 ms to import, needed only to check a document
    from referencing import Registry, Resource

    results = shipped_schema("results")
    registry = Registry().with_resource(results["$id"], Resource.from_contents(results))
    return jsonschema.Draft202012Validator(shipped_schema("portfolio"), registry=registry,
                                           format_checker=jsonschema.FormatChecker())


# -- small pieces ---------------------------------------------------------------------------------


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def _when(value: Any) -> str:
    """A timestamp as a reader wants it (``2026-12-03 10:00 UTC``); anything unparseable as it is."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value or "")
    offset = moment.utcoffset()
    zone = " UTC" if offset is not None and not offset else ("" if offset is None else moment.strftime(" %z"))
    return moment.strftime("%Y-%m-%d %H:%M") + zone


def _percent(share: float) -> str:
    return f"{math.floor(share * 100 + 1e-9)}%"


def _share(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1:
        return float(value)
    return None


def _sev_key(severity: Any) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def _vendors(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [v for v in document.get("vendors") or [] if isinstance(v, dict)]


def _controls(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in (document.get("pack") or {}).get("controls") or [] if isinstance(c, dict)]


def _latest(vendor: dict[str, Any]) -> dict[str, Any]:
    return vendor.get("latest_scan") if isinstance(vendor.get("latest_scan"), dict) else {}


def _trend(vendor: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for t in vendor.get("trend") or [] if isinstance(t, dict)]


# -- the heat map ---------------------------------------------------------------------------------


def cell(counts: Any, scanned: bool = True) -> tuple[str, str, str, str]:
    """(state, css class, what the cell shows, what it means in words) for one control's counts.

    A cell's colour is its share of PASS among the decided results (PASS and FAIL): any FAIL puts
    it at the red end, shaded by that share; all decided results passing is green; results that
    could only be UNKNOWN are amber "not decided" (never green: nothing was seen to pass); no
    results at all is grey "not assessed".  The cell always shows a symbol (and, with a failure,
    the share) as well: colour is never the only signal."""
    counts = counts if isinstance(counts, dict) else {}
    passed, failed = _int(counts.get("PASS")), _int(counts.get("FAIL"))
    unknown, waived = _int(counts.get("UNKNOWN")), _int(counts.get("WAIVED"))
    na = _int(counts.get("NOT_APPLICABLE"))
    words = (f"{passed} passed, {failed} failed, {unknown} not decided, {waived} waived"
             + (f", {na} not applicable" if na else ""))
    waived_mark = f'<sup aria-hidden="true">{SYMBOL[Status.WAIVED.value]}</sup>' if waived else ""
    marks = (f'<sup aria-hidden="true">{SYMBOL[Status.UNKNOWN.value]}</sup>' if unknown else "") + waived_mark
    if not scanned:
        return "unscanned", "hm-na", "\u2013", "not scanned yet"
    if failed:
        share = _percent(passed / (passed + failed))
        shade = FAIL_SHADES[min(4 * passed // (passed + failed), 3)]
        return ("fail", shade, f"{SYMBOL[Status.FAIL.value]}{share[:-1]}{marks}",
                f"{share} of decided results passed: {words}")
    if passed:
        state, css = ("pass-undecided", "hm-pu") if unknown else ("pass", "hm-p")
        return state, css, f"{SYMBOL[Status.PASS.value]}{marks}", f"100% of decided results passed: {words}"
    if unknown:
        return "undecided", "hm-u", f"{SYMBOL[Status.UNKNOWN.value]}{waived_mark}", f"nothing decided: {words}"
    if waived:
        return "waived", "hm-w", SYMBOL[Status.WAIVED.value], f"only waived results: {words}"
    return "unassessed", "hm-na", "\u2013", ("not assessed: " + (f"no result applies ({words})" if na else
                                                                  "no result cites this control in the latest scan"))


def heatmap_section(document: dict[str, Any]) -> str:
    """Vendors (rows) × the pack's controls (columns), from each vendor's latest scan."""
    pack = document.get("pack") or {}
    controls = _controls(document)
    vendors = _vendors(document)
    out = ['<section id="heatmap" aria-labelledby="heatmap-h"><h2 id="heatmap-h">Vendors × controls</h2>',
           f"<p>Each row is a vendor's latest scan; each column a control of {e(pack.get('title') or pack.get('id'))}. "
           "A cell shows the share of the control's decided results (passed or failed) that passed: "
           f"{SYMBOL[Status.FAIL.value]} and the percentage when anything failed (the darker the red, the lower the "
           f"share), {SYMBOL[Status.PASS.value]} when every decided result passed. A result that could not be decided "
           "is never counted as passed. Hover or focus a cell for its counts.</p>"]
    legend = [("hm-f0", f"{SYMBOL[Status.FAIL.value]}0", "failed: under 25% passed"),
              ("hm-f1", f"{SYMBOL[Status.FAIL.value]}25", "failed: 25–49% passed"),
              ("hm-f2", f"{SYMBOL[Status.FAIL.value]}50", "failed: 50–74% passed"),
              ("hm-f3", f"{SYMBOL[Status.FAIL.value]}75", "failed: 75–99% passed"),
              ("hm-p", SYMBOL[Status.PASS.value], "every decided result passed"),
              ("hm-pu", f"{SYMBOL[Status.PASS.value]}<sup>?</sup>", "passed, and some results not decided"),
              ("hm-u", SYMBOL[Status.UNKNOWN.value], "not decided: results only UNKNOWN"),
              ("hm-w", SYMBOL[Status.WAIVED.value], "only waived results (a ⊘ mark: some waived)"),
              ("hm-na", "\u2013", "not assessed: no results (or not scanned)")]
    out.append('<ul class="legend" aria-label="Key to the heat map">' + "".join(
        f'<li><span class="cell {css}" aria-hidden="true">{shown}</span> {text}</li>' for css, shown, text in legend)
        + "</ul>")
    if not vendors:
        out.append('<p class="note" id="heatmap-empty">The store holds no vendor yet: scan one with '
                   "<code>vendorguard scan … --store URL --vendor NAME</code>.</p></section>")
        return "\n".join(out)
    head = "".join(
        f'<th scope="col" class="ctl" data-control="{e(c.get("id"))}" title="{e(c.get("id"))}: {e(c.get("title"))}">'
        f'<span class="vert">{e(c.get("id"))}</span></th>' for c in controls)
    out.append('<div class="heat-wrap"><table class="heat" id="heatmap-table" '
               f'aria-label="Vendors by controls of {e(pack.get("id"))}"><thead><tr>'
               f'<th scope="col" class="vendor">Vendor</th>{head}</tr></thead><tbody>')
    for vendor in vendors:
        latest = _latest(vendor)
        scanned = bool(latest)
        per_control = vendor.get("controls") if isinstance(vendor.get("controls"), dict) else {}
        when = (f'<div class="note">scan {e(latest.get("id"))}, {e(_when(latest.get("started")))}</div>'
                if scanned else '<div class="note">not scanned yet</div>')
        cells = []
        for control in controls:
            cid = control.get("id")
            counts = per_control.get(cid) if isinstance(per_control.get(cid), dict) else {}
            state, css, shown, words = cell(counts, scanned)
            label = f"{vendor.get('name')} — {cid} {control.get('title')}: {words}"
            data = "".join(f' data-{s.lower()}="{_int(counts.get(s))}"' for s in ("PASS", "FAIL", "UNKNOWN", "WAIVED"))
            cells.append(f'<td class="cell {css}" data-state="{state}" data-control="{e(cid)}"{data} '
                         f'title="{e(label)}" aria-label="{e(label)}">{shown}</td>')
        out.append(f'<tr data-vendor="{e(vendor.get("name"))}"><th scope="row" class="vendor">'
                   f'<a href="#{anchor("vendor", vendor.get("name"))}">{e(vendor.get("name"))}</a>{when}</th>'
                   + "".join(cells) + "</tr>")
    out.append("</tbody></table></div>")
    out.append('<h3>The columns</h3><dl class="controls-key" id="controls-key">' + "".join(
        f"<dt>{e(c.get('id'))}</dt><dd>{e(c.get('title'))}</dd>" for c in controls) + "</dl>")
    out.append("</section>")
    return "\n".join(out)


# -- trends ---------------------------------------------------------------------------------------


def _x_positions(trend: list[dict[str, Any]], left: float, width: float) -> list[float]:
    """Scans placed by when they ran (irregular scans are not drawn as evenly spaced), or evenly
    when a time is missing or all are the same."""
    try:
        times = [datetime.fromisoformat(str(t.get("started"))).timestamp() for t in trend]
    except (ValueError, TypeError):
        times = []
    if len(trend) == 1:
        return [left + width / 2]
    if times and max(times) > min(times):
        return [left + (t - min(times)) / (max(times) - min(times)) * width for t in times]
    return [left + i / (len(trend) - 1) * width for i in range(len(trend))]


def sparkline(vendor: dict[str, Any]) -> str:
    """The vendor's pass share over its scans as a small line chart (0 to 100 %, never rescaled, so
    a small wobble does not look like a collapse), with the first and last values as text.  A scan
    with nothing decided breaks the line and is drawn as a hollow mark at the bottom."""
    trend = _trend(vendor)
    name = vendor.get("name")
    ident = anchor("trend", name)
    width, height, pad = 150, 38, 4
    shares = [_share(t.get("pass_share")) for t in trend]
    xs = _x_positions(trend, pad, width - 2 * pad) if trend else []
    top, bottom = pad, height - pad

    def y(share: float) -> float:
        return bottom - share * (bottom - top)

    desc = "; ".join(f"scan {t.get('scan')} ({_when(t.get('started'))}): "
                     + (_percent(s) if s is not None else "nothing decided") for t, s in zip(trend, shares))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="spark" id="{ident}" role="img" '
             f'aria-labelledby="{ident}-t {ident}-d" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             f'data-points="{sum(s is not None for s in shares)}">',
             f'<title id="{ident}-t">Pass share of {e(name)} over {len(trend)} scan(s)</title>',
             f'<desc id="{ident}-d">{e(desc) or "no scans"}</desc>',
             f'<line x1="{pad}" y1="{top}" x2="{width - pad}" y2="{top}" stroke="#c9c9c9" stroke-dasharray="2 2"/>',
             f'<line x1="{pad}" y1="{bottom}" x2="{width - pad}" y2="{bottom}" stroke="#9a9a9a"/>']
    run: list[str] = []
    for x, share in [*zip(xs, shares), (None, None)]:
        if share is not None and x is not None:
            run.append(f"{x:.1f},{y(share):.1f}")
            continue
        if len(run) > 1:
            parts.append(f'<polyline class="line" points="{" ".join(run)}" fill="none" stroke="#1f3a5f" '
                         'stroke-width="1.8" stroke-linejoin="round" stroke-linecap="round"/>')
        run = []
    for i, (x, share, item) in enumerate(zip(xs, shares, trend)):
        label = f"scan {item.get('scan')}: " + (_percent(share) if share is not None else "nothing decided")
        if share is None:
            parts.append(f'<circle class="gap" cx="{x:.1f}" cy="{bottom:.1f}" r="2.6" fill="#fff" stroke="#6b6b6b" '
                         f'stroke-width="1.2"><title>{e(label)}</title></circle>')
        else:
            r = 3.2 if i == len(trend) - 1 else 2.2
            parts.append(f'<circle class="pt" cx="{x:.1f}" cy="{y(share):.1f}" r="{r}" fill="#1f3a5f">'
                         f"<title>{e(label)}</title></circle>")
    parts.append("</svg>")
    known = [s for s in shares if s is not None]
    if not known:
        ends = '<span class="ends note">no decided results yet</span>'
    elif len(known) == 1:
        ends = f'<span class="ends"><strong>{_percent(known[0])}</strong> <span class="note">(one scan)</span></span>'
    else:
        delta = round((known[-1] - known[0]) * 100)
        trend_word = ("up" if delta > 0 else "down") if delta else "flat"
        sign = f"+{delta}" if delta > 0 else str(delta).replace("-", "\u2212")
        ends = (f'<span class="ends"><span class="first">{_percent(known[0])}</span> \u2192 '
                f'<strong class="last">{_percent(known[-1])}</strong> '
                f'<span class="{trend_word}">({sign} pts)</span></span>')
    return f'<div class="trend">{"".join(parts)}{ends}</div>'


def vendors_section(document: dict[str, Any]) -> str:
    """One row a vendor: its latest scan, its results there, its trend, what is open and how fast
    it fixes."""
    vendors = _vendors(document)
    out = ['<section id="vendors" aria-labelledby="vendors-h"><h2 id="vendors-h">Vendors and their trends</h2>',
           "<p>The trend is each scan's pass share: passed results over passed, failed and undecided ones (an "
           "undecided result lowers it, as it is not known to pass), from 0 to 100%, first and last value "
           "beside it. The mean time to fix counts the findings the vendor has fixed.</p>"]
    if not vendors:
        out.append('<p class="note">No vendors.</p></section>')
        return "\n".join(out)
    out.append('<table class="vendors sortable" id="vendors-table"><thead><tr>'
               '<th scope="col" data-sort="text">Vendor</th><th scope="col">Latest scan</th>'
               '<th scope="col">Results (latest scan)</th><th scope="col" data-sort="num">Trend (pass share)</th>'
               '<th scope="col" class="num" data-sort="num">Open findings</th>'
               '<th scope="col" class="num" data-sort="num">New since previous scan</th>'
               '<th scope="col" class="num" data-sort="num">Mean days to fix</th></tr></thead><tbody>')
    for vendor in vendors:
        latest = _latest(vendor)
        by_status = (latest.get("summary") or {}).get("by_status") or {} if latest else {}
        counts = "".join(f"{badge(s)}&nbsp;{_int(by_status.get(s))} " for s in SUMMARY if _int(by_status.get(s)))
        scan = (f'scan {e(latest.get("id"))}<div class="note">{e(_when(latest.get("started")))} · '
                f'{e(latest.get("source"))}</div>' if latest else '<span class="note">not scanned yet</span>')
        known = [s for s in (_share(t.get("pass_share")) for t in _trend(vendor)) if s is not None]
        mttf = vendor.get("mean_days_to_fix")
        fixed = isinstance(mttf, (int, float)) and not isinstance(mttf, bool)
        new = [r for r in vendor.get("new") or [] if isinstance(r, dict)]
        out.append(
            f'<tr id="{anchor("vendor", vendor.get("name"))}" data-vendor="{e(vendor.get("name"))}">'
            f'<td class="vname">{e(vendor.get("name"))}</td><td>{scan}</td>'
            f'<td class="counts">{counts or NO_RESULTS}</td>'
            f'<td data-key="{known[-1] if known else -1}">{sparkline(vendor)}</td>'
            f'<td class="num">{_int(vendor.get("open_findings"))}</td>'
            f'<td class="num" data-key="{len(new)}">{len(new)}</td>'
            f'<td class="num" data-key="{mttf if fixed else -1}">{f"{mttf:.1f}" if fixed else "—"}</td></tr>')
    out.append("</tbody></table></section>")
    return "\n".join(out)


# -- what changed, what is old -------------------------------------------------------------------


def _resource(item: dict[str, Any]) -> str:
    where = [f"<code>{e(item.get('resource_type'))}</code>"] if item.get("resource_type") else []
    where += [f"account {e(item['account'])}"] if item.get("account") else []
    where += [f"region {e(item['region'])}"] if item.get("region") else []
    return f"<code>{e(item.get('address'))}</code>" + (f'<div class="note">{" · ".join(where)}</div>' if where else "")


def _rule(item: dict[str, Any]) -> str:
    return f'<span class="mono">{e(item.get("rule_id"))}</span><div class="rtitle">{e(item.get("title"))}</div>'


def _severity(severity: Any) -> str:
    return f'<span class="sev sev-{e(severity)}">{e(severity)}</span>'


def new_section(document: dict[str, Any]) -> str:
    """Per vendor, the failures its latest scan has that its previous scan did not."""
    vendors = _vendors(document)
    out = ['<section id="new" aria-labelledby="new-h"><h2 id="new-h">New since the last scan</h2>']
    quiet, first = [], []
    for vendor in vendors:
        trend = _trend(vendor)
        new = sorted((r for r in vendor.get("new") or [] if isinstance(r, dict)),
                     key=lambda r: (_sev_key(r.get("severity")), str(r.get("rule_id")), str(r.get("address"))))
        if not new:
            (first if len(trend) < 2 else quiet).append(vendor)
            continue
        against = (f"scan {e(trend[-1].get('scan'))} ({e(_when(trend[-1].get('started')))}) against scan "
                   f"{e(trend[-2].get('scan'))} ({e(_when(trend[-2].get('started')))})" if len(trend) > 1
                   else "its first scan: every failure is new")
        out.append(f'<h3 id="{anchor("new", vendor.get("name"))}">{e(vendor.get("name"))} '
                   f'<span class="note">— {len(new)} new, {against}</span></h3>')
        out.append(f'<table class="new-findings" data-vendor="{e(vendor.get("name"))}"><thead><tr><th scope="col">Status</th>'
                   '<th scope="col">Severity</th><th scope="col">Rule</th><th scope="col">Resource</th>'
                   '<th scope="col">Reason</th></tr></thead><tbody>')
        for r in new:
            out.append(f'<tr class="new-finding"><td>{badge(str(r.get("status")))}</td><td>{_severity(r.get("severity"))}</td>'
                       f"<td>{_rule(r)}</td><td>{_resource(r)}</td><td>{e(r.get('reason'))}</td></tr>")
        out.append("</tbody></table>")
    if quiet:
        out.append('<p id="new-none">Nothing new since the previous scan: '
                   + ", ".join(f"<strong>{e(v.get('name'))}</strong>" for v in quiet) + ".</p>")
    if first:
        out.append('<p class="note" id="new-first">No previous scan to compare with (scanned once or not yet): '
                   + ", ".join(e(v.get("name")) for v in first) + ".</p>")
    if not vendors:
        out.append('<p class="note">No vendors.</p>')
    out.append("</section>")
    return "\n".join(out)


def oldest_section(document: dict[str, Any]) -> str:
    """The findings open longest, over every vendor: what a review should chase first."""
    items = [o for o in document.get("oldest_open") or [] if isinstance(o, dict)]
    out = ['<section id="oldest" aria-labelledby="oldest-h"><h2 id="oldest-h">Oldest open findings</h2>']
    if not items:
        out.append('<p class="ok" id="oldest-none">No open findings.</p></section>')
        return "\n".join(out)
    out.append(f"<p>{len(items)} finding(s) still failing, longest open first (a finding is one rule on one "
               "resource of one vendor; it is open from the scan that first saw it fail).</p>")
    out.append('<table class="oldest sortable" id="oldest-table"><thead><tr>'
               '<th scope="col" class="num" data-sort="num">Days open</th><th scope="col" data-sort="text">Vendor</th>'
               '<th scope="col" data-sort="num">Severity</th><th scope="col" data-sort="text">Rule</th>'
               '<th scope="col">Resource</th><th scope="col" data-sort="text">First seen</th></tr></thead><tbody>')
    for o in items:
        days = _int(o.get("days_open"))
        out.append(f'<tr class="open-finding"><td class="num" data-key="{days}">{days}</td>'
                   f'<td class="vname">{e(o.get("vendor"))}</td>'
                   f'<td data-key="{_sev_key(o.get("severity"))}">{_severity(o.get("severity"))}</td>'
                   f"<td>{_rule(o)}</td><td>{_resource(o)}</td>"
                   f'<td data-key="{e(o.get("first_seen"))}">{e(_when(o.get("first_seen")))}</td></tr>')
    out.append("</tbody></table></section>")
    return "\n".join(out)


# -- the page -------------------------------------------------------------------------------------


def header(document: dict[str, Any]) -> str:
    vendors = _vendors(document)
    pack = document.get("pack") or {}
    scanned = sum(1 for v in vendors if _latest(v))
    open_total = sum(_int(v.get("open_findings")) for v in vendors)
    new_total = sum(len([r for r in v.get("new") or [] if isinstance(r, dict)]) for v in vendors)
    failing = sum(1 for v in vendors if _int(((_latest(v).get("summary") or {}).get("by_status") or {}).get("FAIL")))
    verdict = (f"{len(vendors)} vendor(s), {_int(document.get('scans'))} scan(s) stored: {open_total} open finding(s), "
               f"{new_total} new since each vendor's previous scan; {failing} vendor(s) fail at least one rule "
               "in their latest scan.") if vendors else "The store holds no vendors and no scans yet."
    pack_text = (f"{e(pack.get('title'))} <span class=\"note\">— <code>{e(pack.get('id'))}</code>"
                 + (f" version {e(pack.get('version'))}" if pack.get("version") else "") + "</span>")
    facts = [("Generated", e(_when(document.get("generated")))),
             ("Store", f"<code>{e(document.get('store'))}</code>"),
             ("Vendors", f"{len(vendors)} ({scanned} scanned)"),
             ("Scans stored", str(_int(document.get("scans")))),
             ("Controls from", pack_text)]
    return f"""<header class="report">
<h1>Vendor portfolio</h1>
<p class="sub">HIPAA-mapped configuration reviews of every vendor in the store, scan after scan</p>
<p class="verdict" id="verdict">{e(verdict)}</p>
<dl class="facts" id="examined">{"".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)}</dl>
<nav class="toc" aria-label="Sections"><a href="#heatmap">Vendors × controls</a><a href="#vendors">Trends</a><a href="#new">New since the last scan</a><a href="#oldest">Oldest open findings</a></nav>
</header>"""


def render(document: dict[str, Any], **_options: Any) -> str:
    """The portfolio page for a portfolio document (see `validator` for its schema)."""
    tool = document.get("tool") if isinstance(document.get("tool"), dict) else {}
    name, version = tool.get("name", "vendorguard"), tool.get("version", __version__)
    body = "\n".join([
        header(document), heatmap_section(document), vendors_section(document), new_section(document),
        oldest_section(document),
        f"<footer><p>Generated by {e(name)} {e(version)} from the store's portfolio document (the same document "
        "<code>vendorguard report --store URL --format json</code> prints). This file is self-contained: it loads "
        "nothing from any network, and its only script sorts tables (with scripts off, everything is shown).</p>"
        "</footer>",
    ])
    title = f"vendorguard portfolio — {document.get('store', '')} — {_when(document.get('generated'))}"
    return page(title, body, generator=f"{name} {version}", style=asset("report.css") + asset("portfolio.css"),
                script=asset("portfolio.js"))
