"""The pieces every vendorguard HTML page is built from: escaping, ids, status badges, the counts
a report states, and the self-contained page shell.

Kept apart from the evidence report's sections (`html`, `findings_view`, `evidence_view`) so each
of them, and the portfolio page, builds on one definition of each — one escape, one badge, one
set of counts — rather than on each other.
"""
from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Iterable

from ..model import SEVERITIES, Status
from .escape import html_text

#: Worst first: the order of rows, legends and filters.
STATUSES = tuple(s.value for s in (Status.FAIL, Status.UNKNOWN, Status.WAIVED, Status.PASS, Status.NOT_APPLICABLE))
#: The statuses that make a finding: a result that did not pass (waived ones are accepted failures).
FINDING_STATUSES = STATUSES[:3]
#: Passed or not applicable: counted per rule, never listed one by one.
QUIET_STATUSES = STATUSES[3:]
LABEL = {s: s for s in STATUSES} | {Status.NOT_APPLICABLE.value: "N/A"}
#: A symbol as well as a word and a colour: status is never told by colour alone.
SYMBOL = {Status.FAIL.value: "\u2717", Status.UNKNOWN.value: "?", Status.WAIVED.value: "\u2298",
          Status.PASS.value: "\u2713", Status.NOT_APPLICABLE.value: "\u2013"}
BULLET = "\u2022"


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


@cache
def asset(name: str) -> str:
    """The text of ``assets/<name>`` (``report.css``, ``report.js``): the page's one style sheet and
    one script, inlined whole.  Read as package data, so an installed copy finds them as well as a
    checkout does, and once per process: every report inlines the same text."""
    return resources.files("vendorguard.scanner.reports").joinpath(f"assets/{name}").read_text(encoding="utf-8")


@cache
def csp(script: str, style: str) -> str:
    """Nothing external, nothing inline but the page's own style and script (by the hash of the
    very text `page` inlines)."""
    return ("default-src 'none'; script-src '{script}'; style-src '{style}'; img-src 'none'; font-src 'none'; "
            "connect-src 'none'; media-src 'none'; object-src 'none'; frame-src 'none'; worker-src 'none'; "
            "manifest-src 'none'; base-uri 'none'; form-action 'none'").format(
        script=_sha256(script), style=_sha256(style))


def e(value: Any) -> str:
    """Escape anything for element text or a double-quoted attribute; None is empty."""
    return "" if value is None else html_text(value)


def anchor(prefix: str, text: Any) -> str:
    """An id safe in any attribute and URL fragment, unique per text."""
    raw = str(text)
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", raw).strip("-")[:40]
    return f"{prefix}-{slug}-{hashlib.sha1(raw.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"


def status_class(status: str) -> str:
    return f"s-{status}" if status in LABEL else "s-other"


def badge(status: str) -> str:
    label = LABEL.get(status, status)
    return (f'<span class="badge {status_class(status)}">'
            f'<span aria-hidden="true">{SYMBOL.get(status, BULLET)}</span> {e(label)}</span>')


def sev_rank(severity: Any) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def num(n: int) -> str:
    return f'<td class="num{" zero" if not n else ""}">{n}</td>'


def join(values: Iterable[Any]) -> str:
    return ", ".join(e(v) for v in values)


def ordered(values: Iterable[Any], order: tuple[str, ...]) -> list[str]:
    present = {str(v) for v in values if v is not None}
    return [v for v in order if v in present] + sorted(present - set(order))


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 resource``, ``2,400 resources``: counts printed the one way everywhere."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


# -- the document, read defensively (a saved report may be older, or hand-edited) -----------------


def scan_of(document: dict[str, Any]) -> dict[str, Any]:
    return document.get("scan") or {}


def results_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    return list(document.get("results") or [])


@dataclass(frozen=True)
class Counts:
    """Every number the report states about its size, from one place (the document's summary, its
    inputs' resource counts), so the header, the cards and the findings cannot disagree.

    - *resources*: what the inputs held (each input's ``resources``);
    - *results*: one per rule per resource it applies to (plus account/region controls);
    - *findings*: the results that did not pass — FAIL, UNKNOWN and WAIVED.
    """

    resources: int
    results: int
    by_status: dict[str, int]

    @property
    def findings(self) -> int:
        return sum(self.by_status.get(s, 0) for s in FINDING_STATUSES)

    @property
    def quiet(self) -> int:
        return sum(self.by_status.get(s, 0) for s in QUIET_STATUSES)


def counts(document: dict[str, Any]) -> Counts:
    summary = document.get("summary") or {}
    results = results_of(document)
    by_status = summary.get("by_status")
    if not isinstance(by_status, dict):
        by_status = dict(Counter(str(r.get("status")) for r in results))
    by_status = {str(k): int(v or 0) for k, v in by_status.items() if isinstance(v, (int, float))}
    total = summary.get("total")
    return Counts(
        resources=sum(int(i.get("resources") or 0) for i in scan_of(document).get("inputs") or []),
        results=int(total) if isinstance(total, int) else len(results),
        by_status=by_status)


def page(title: str, body: str, *, generator: str, style: str, script: str) -> str:
    """A whole self-contained page around `body` (already escaped HTML): one style sheet and one
    script, inlined, and a Content-Security-Policy that allows those two texts (by hash) and
    nothing else — no network, no other inline code.  Every vendorguard HTML page is this shell."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp(script, style)}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="{e(generator.strip())}">
<title>{e(title)}</title>
<style>{style}</style>
</head>
<body>
{body}
<script>{script}</script>
</body>
</html>
"""
