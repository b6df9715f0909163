"""Untrusted text through every format: one table-driven test over formats × payloads.

Resource names, tag values, policy text, a waiver's justification and a user pack's own titles
carry HTML (``<script>``, ``<img onerror>``, an attribute break-out), Markdown (a ``javascript:``
link, an image, an autolink, a reference definition, a mention), terminal escapes (CSI colour and
clear-screen, an OSC title and an OSC 8 hyperlink, the 8-bit CSI, a bidi override) and CSV formula
payloads (``=cmd|…``, ``=HYPERLINK(…)``, ``@SUM``).  Each payload gets a document of its own (so
whatever turns up active in a format is that payload's doing), from a Terraform plan and a
Pulumi stack scanned by the real pipeline, and each format is checked the way its reader would
take it:

- html: parsed — the report's own one script and one style only, no ``on*`` attribute, no
  ``javascript:`` anywhere in an attribute, only same-page links, no tag the report does not
  write itself (no img, iframe, object, embed, base, a second meta refresh…), no raw control;
- markdown: rendered by markdown-it-py (raw HTML allowed, GFM tables, linkify as GitHub does) —
  only structural tags, no link, no image, no script, no ``javascript:``, every table row the
  width of its header;
- table: the terminal output (colour on, as on a terminal) holds no escape sequence but rich's own
  SGR colours, no 8-bit CSI, no bidi override;
- json / sarif / asff: parse, hold no raw C0/C1 control or bidi override (a report ``cat`` to a
  terminal acts on none), and — json — give the payload back exactly as it came;
  sarif: no ``[text](target)`` left to become an embedded link;
- junit: parses as XML, no raw control, the payload is text, not markup.
- oscal: parses, no raw control even decoded, and its markup fields (Markdown in OSCAL JSON)
  render as inert as the Markdown comment.

A CSV formula is active only in a spreadsheet, and none of the formats is CSV: the check is that
the formula payloads, with their ``|`` and quotes, break no structure (tables, XML, JSON).
"""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from conftest import plan_of, policy, show_figures
from planbuilder import build_state
from vendorguard.scanner import sources
from vendorguard.scanner.catalog import select
from vendorguard.scanner.reports import FORMATS, render
from vendorguard.scanner.reports import html as html_report
from vendorguard.scanner.decisions import Decisions
from vendorguard.scanner.pipeline import evaluate, now
from vendorguard.scanner.inputs import parse_json

PAYLOADS = {
    "html-script": "<script>alert(1)</script>",
    "html-img-onerror": "<img src=x onerror=alert(1)>",
    "html-attribute-breakout": "\"'><svg/onload=alert(1)>",
    "html-style-breakout": "</style></title><script>alert(1)</script>",
    "html-js-anchor": '<a href="javascript:alert(1)">click</a>',
    "html-iframe": "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
    "html-meta-refresh": '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    "md-js-link": "[click](javascript:alert(1))",
    "md-image": "![x](https://evil.example/p.png)",
    "md-autolink": "<https://evil.example/x> https://evil.example/y www.evil.example",
    "md-reference": "\n[x]: javascript:alert(1)\n[click][x]",
    "md-html-entity-js": "[c](&#106;avascript:alert(1))",
    "md-mention-and-issue": "@everyone #1 a@b.example",
    "md-table-breaker": "a | b | c\n| --- |",
    "md-fence": "```\n<script>alert(1)</script>\n```",
    "ansi-csi-colour": "\x1b[31mRED\x1b[0m",
    "ansi-clear-screen": "\x1b[2J\x1b[H",
    "ansi-osc-title": "\x1b]0;pwned\x07",
    "ansi-osc8-link": "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\",
    "ansi-8bit-csi": "\x9b31mRED",
    "bidi-override": "\u202eexe.txt",
    "csv-cmd": "=cmd|' /C calc'!A0",
    "csv-hyperlink": '=HYPERLINK("https://evil.example","x")',
    "csv-at-sum": "@SUM(1+1)*cmd|' /C calc'!A0",
    "csv-plus-minus": "+1+1 -1+1",
}
TALLY: dict[str, int] = {"tried": 0, "active": 0}
ACTIVE: list[str] = []


@pytest.fixture(scope="module", autouse=True)
def print_figures(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    lines = [f"untrusted text: {len(PAYLOADS)} payloads x {len(FORMATS)} formats x {len(HOSTILE)} sources = "
             f"{TALLY['tried']} renderings tried, {TALLY['active']} rendered active"] + [f"  {a}" for a in ACTIVE]
    show_figures(request, lines)


# -- documents carrying one payload everywhere untrusted text goes -----------------------------------------
def hostile_resources(payload: str) -> list[dict[str, Any]]:
    bucket_policy = policy(
        {"Sid": payload, "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"})
    return [
        # a resource name: the address, in every format; an ingress description: evidence of a FAIL
        {"type": "aws_security_group", "name": f"sg{payload}", "values": {
            "name": payload, "description": payload, "tags": {"Owner": payload, "Name": payload},
            "ingress": [{"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"],
                         "description": payload}], "egress": []}},
        # a value that is the whole FAIL reason: ssl_policy = "<payload>"
        {"type": "aws_lb_listener", "name": "l", "values": {
            "protocol": "HTTPS", "port": 443, "ssl_policy": payload,
            "default_action": [{"type": "forward", "target_group_arn": payload}]}},
        # policy text a rule reads and shows decoded; tags; an unknown (UNKNOWN reasons)
        {"type": "aws_s3_bucket", "name": "b", "values": {"bucket": payload, "tags": {"phi": "true", "note": payload}},
         "unknown": ["logging"]},
        {"type": "aws_s3_bucket_policy", "name": "b", "values": {"bucket": "${aws_s3_bucket.b.id}", "policy": bucket_policy}},
        {"type": "aws_db_instance", "name": "d", "values": {
            "storage_encrypted": False, "engine": payload, "tags": {"Owner": payload}}},
        # a type no rule reads: its address in the not_evaluated list of every format
        {"type": "aws_route53_record", "name": f"r{payload}", "values": {"name": payload, "type": "A"}},
    ]


def hostile_plan(payload: str) -> dict[str, Any]:
    return plan_of(*hostile_resources(payload), account_id="111122223333")


def hostile_state(payload: str) -> dict[str, Any]:
    """The same resources as applied: a state has no references, so the policy names its bucket by id."""
    resources = hostile_resources(payload)
    for res in resources:
        if res["type"] == "aws_s3_bucket":
            res["values"]["id"] = payload
        elif res["type"] == "aws_s3_bucket_policy":
            res["values"]["bucket"] = payload
    return build_state(resources)


def hostile_stack(payload: str) -> dict[str, Any]:
    stack = "urn:pulumi:prod::billing::pulumi:pulumi:Stack::billing-prod"
    return {"version": 3, "deployment": {"resources": [
        {"urn": stack, "custom": False, "type": "pulumi:pulumi:Stack"},
        {"urn": f"urn:pulumi:prod::billing::aws:ec2/securityGroup:SecurityGroup::{payload}", "custom": True,
         "id": "sg-1", "type": "aws:ec2/securityGroup:SecurityGroup", "parent": stack, "inputs": {},
         "outputs": {"name": payload, "description": payload, "tags": {"Owner": payload},
                     "ingress": [{"fromPort": 22, "toPort": 22, "protocol": "tcp", "cidrBlocks": ["0.0.0.0/0"],
                                  "description": payload}]}},
        {"urn": f"urn:pulumi:prod::billing::aws:ebs/volume:Volume::{payload}", "custom": True, "id": "vol-1",
         "type": "aws:ebs/volume:Volume", "parent": stack, "inputs": {},
         "outputs": {"encrypted": False, "availabilityZone": "us-east-1a", "tags": {"Name": payload}}},
        {"urn": f"urn:pulumi:prod::billing::aws:route53/record:Record::{payload}", "custom": True, "id": "r-1",
         "type": "aws:route53/record:Record", "parent": stack, "inputs": {}, "outputs": {"name": payload}},
    ]}}


def hostile_pack(folder: Path, payload: str) -> str:
    """A user's pack (untrusted too): its titles, rationale and remediation carry the payload."""
    rule = {"id": "EVIL-001", "title": f"evil {payload}", "severity": "high", "domain": "network",
            "resource_types": ["aws_security_group", "aws_ebs_volume"], "condition": "`false`",
            "evidence": ["description", "tags"], "rationale": payload,
            "remediation": {"text": payload, "terraform": payload}, "references": {"hipaa": ["164.312(e)(1)"]}}
    path = folder / "evil.yaml"
    path.write_text(json.dumps({"rules": [rule], "pack": {"id": "evil", "title": payload, "version": "1",
                                                          "controls": [{"id": "c", "title": payload,
                                                                        "rules": ["EVIL-001", "VG-EC2-004"]}]}}))
    return str(path)


def hostile_waivers(folder: Path, payload: str) -> str:
    path = folder / "waivers.yaml"
    path.write_text(json.dumps({"waivers": [
        {"rule": "VG-RDS-001", "resource": "aws_db_instance.*", "justification": f"reviewed: {payload} (accepted)",
         "approved_by": payload, "expires": "2099-01-01"},
        {"rule": "VG-S3-*", "resource": "*nothing*", "justification": f"stale: {payload} (never matches)",
         "approved_by": payload, "expires": "2099-01-01"}]}))
    return str(path)


#: every source that reads files (by its `scan` command) → a document of it carrying the payload
HOSTILE: dict[str, Callable[[str], dict[str, Any]]] = {
    "plan": hostile_plan, "state": hostile_state, "pulumi": hostile_stack,
}
FILE_SOURCES = {s.command: s for s in sources.document_sources()}


def test_every_file_source_has_a_hostile_document() -> None:
    assert set(HOSTILE) == set(FILE_SOURCES)


def document_for(source: str, payload: str, folder: Path) -> dict[str, Any]:
    name = f"inputs/{source}.json"
    inventory = FILE_SOURCES[source].parse(name, parse_json(name, json.dumps(HOSTILE[source](payload)).encode()))
    _, selection = select(["hipaa", "vendor-article", hostile_pack(folder, payload)])
    report = evaluate([inventory], selection, now(), Decisions.load(waivers=hostile_waivers(folder, payload)))
    return json.loads(json.dumps(report.to_document()))  # as `vendorguard report` reads it back


# -- what "active" means, per format ---------------------------------------------------------------------------
class Page(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.raw: dict[str, list[str]] = {"script": [], "style": []}
        self._in: str | None = None
        self.data: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in self.raw:
            self._in = tag
            self.raw[tag].append("")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self.raw[self._in][-1] += data
        else:
            self.data.append(data)


#: Every tag the report's modules write themselves (its layout, the SVG chart, the filter form, the
#: findings and their evidence).
HTML_TAGS = {tag for module in ("html.py", "html_kit.py", "findings_view.py", "evidence_view.py")
             for tag in re.findall(r"<([a-z][a-z0-9]*)", (Path(html_report.__file__).parent / module).read_text())}
RAW_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _js(value: str | None) -> bool:
    """``javascript:`` as a browser reads a URL: entities decoded, whitespace and controls ignored."""
    import html as html_lib

    text = re.sub(r"[\x00-\x20]", "", html_lib.unescape(value or "")).lower()
    return "javascript:" in text or "vbscript:" in text or text.startswith("data:")


def active_html(text: str, payload: str) -> list[str]:
    page = Page(text)
    problems = []
    if page.raw["script"] != [html_report.asset("report.js")]:
        problems.append(f"scripts: {len(page.raw['script'])}, not the report's one")
    if page.raw["style"] != [html_report.asset("report.css")]:
        problems.append("a style that is not the report's")
    for tag, attrs in page.tags:
        if tag not in HTML_TAGS:
            problems.append(f"tag <{tag}>")
        for name, value in attrs.items():
            if name.startswith("on"):
                problems.append(f"<{tag} {name}=…>")
            if _js(value):
                problems.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action", "formaction", "xlink:href") and not str(value or "").startswith("#"):
                problems.append(f"<{tag} {name}={value!r}> leaves the page")
        if tag == "meta" and attrs.get("http-equiv") not in (None, "Content-Security-Policy"):
            problems.append(f"<meta http-equiv={attrs.get('http-equiv')!r}>")
    if RAW_CONTROLS.search(text):
        problems.append("a raw control character")
    return problems


SAFE_MD_TAGS = {"h3", "h4", "p", "table", "thead", "tbody", "tr", "th", "td", "code", "pre", "strong", "em",
                "details", "summary", "sub", "br", "ul", "li"}


def active_markdown(text: str, payload: str) -> list[str]:
    import markdown_it

    problems = []
    for preset in ("commonmark", "gfm-like"):
        md = markdown_it.MarkdownIt(preset, {"html": True}).enable(["table", "strikethrough"])
        page = Page(md.render(text))
        for tag, attrs in page.tags:
            if tag not in SAFE_MD_TAGS:
                problems.append(f"{preset}: <{tag}>")
            for name, value in attrs.items():
                if name.startswith("on") or _js(value):
                    problems.append(f"{preset}: <{tag} {name}={value!r}>")
        if page.raw["script"]:
            problems.append(f"{preset}: a script")
    widths: list[int] = []
    for line in text.splitlines():
        if line.startswith("| "):  # a row: as many cells as its table's header
            cells = len(re.findall(r"(?<!\\)\|", line)) - 1
            if line.startswith(("| Domain", "| Severity", "| Rule", "| Resource")):
                widths.append(cells)
            elif widths and cells != widths[-1] and not set(line) <= set("|-: "):
                problems.append(f"a table row of {cells} cells under a header of {widths[-1]}")
    if RAW_CONTROLS.search(text):
        problems.append("a raw control character")
    return problems


#: rich's own colours: SGR sequences (ESC [ digits ; … m) and nothing else.
_SGR = re.compile(r"\x1b\[[0-9;]*m")


def active_table(text: str, payload: str) -> list[str]:
    problems = []
    rest = _SGR.sub("", text)
    if "\x1b" in rest:
        problems.append(f"an escape sequence that is not rich's colour: {rest[rest.index(chr(27)):][:20]!r}")
    if RAW_CONTROLS.search(rest):
        problems.append("a raw control character")
    for sequence in ("\x1b[31mRED", "\x1b[2J", "\x1b]"):
        if sequence in text:
            problems.append(f"the payload's {sequence!r}")
    return problems


def active_json(text: str, payload: str) -> list[str]:
    document = json.loads(text)
    problems = []
    if RAW_CONTROLS.search(text):
        problems.append("a raw control character (a terminal that shows the file would act on it)")
    addresses = {r["address"] for r in document["results"]}
    if not any(payload in a for a in addresses):
        problems.append("the payload did not come back as it went in")
    return problems


def active_sarif(text: str, payload: str) -> list[str]:
    log = json.loads(text)
    problems = ["a raw control character"] if RAW_CONTROLS.search(text) else []
    for result in log["runs"][0]["results"]:
        message = result["message"]["text"]
        if re.search(r"(?<!\\)\[[^\]]*(?<!\\)\]\(", message):
            problems.append(f"an embedded link in a message: {message[:80]!r}")
    return problems


def active_junit(text: str, payload: str) -> list[str]:
    root = ET.fromstring(text.split("\n", 1)[1])
    problems = ["a raw control character"] if RAW_CONTROLS.search(text) else []
    tags = {element.tag for element in root.iter()}
    if not tags <= {"testsuites", "testsuite", "testcase", "failure", "skipped", "properties", "property",
                    "system-out", "system-err"}:
        problems.append(f"markup from the payload: {tags}")
    return problems


def active_asff(text: str, payload: str) -> list[str]:
    findings = json.loads(text)
    assert isinstance(findings, list)
    return ["a raw control character"] if RAW_CONTROLS.search(text) else []


def active_oscal(text: str, payload: str) -> list[str]:
    """OSCAL JSON: no raw control, even decoded; its markup fields (titles, descriptions, remarks,
    statements: Markdown in OSCAL JSON) rendered together as inert as a PR comment."""
    strings: list[tuple[str, str]] = []

    def walk(value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str):
            strings.append((key, value))

    walk(json.loads(text))
    problems = ["a raw control character"] if any(RAW_CONTROLS.search(v) for _, v in strings) else []
    markup = "\n\n".join(v for k, v in strings if k in ("title", "description", "remarks", "statement"))
    return problems + active_markdown(markup, payload)


CHECKS: dict[str, Callable[[str, str], list[str]]] = {
    "html": active_html, "markdown": active_markdown, "table": active_table, "json": active_json,
    "sarif": active_sarif, "junit": active_junit, "asff": active_asff, "oscal": active_oscal,
}


def test_every_format_has_a_check() -> None:
    assert set(CHECKS) == set(FORMATS)


@pytest.mark.parametrize("source", list(FILE_SOURCES))
@pytest.mark.parametrize("label", list(PAYLOADS))
def test_untrusted_text_is_inert_in_every_format(source: str, label: str, tmp_path: Path) -> None:
    payload = PAYLOADS[label]
    document = document_for(source, payload, tmp_path)
    text = json.dumps(document, ensure_ascii=False)
    assert payload in text or json.dumps(payload, ensure_ascii=False)[1:-1] in text  # it got in
    assert any(payload in m["address"] for m in document["not_evaluated"])  # listed as not evaluated
    active = []
    for fmt in FORMATS:
        rendered = render(document, fmt, **({"color": True} if fmt == "table" else {}))
        TALLY["tried"] += 1
        problems = CHECKS[fmt](rendered, payload)
        if problems:
            TALLY["active"] += 1
            ACTIVE.append(f"{source} {label} in {fmt}: {problems[:3]}")
            active.append((fmt, problems[:3]))
    assert not active, active


@pytest.mark.parametrize("label", list(PAYLOADS))
def test_untrusted_text_is_inert_in_what_the_store_answers(label: str, tmp_path: Path) -> None:
    """The same payloads, kept under a hostile vendor name in a real store, then through every
    view of it: history / diff / trend as tables, the diff as Markdown, the portfolio page."""
    from htmlpage import assert_inert

    from vendorguard.scanner.reports import portfolio
    from vendorguard.scanner.reports.store_views import render as view
    from vendorguard.scanner.store.db import Store

    payload = PAYLOADS[label]
    before = document_for("plan", payload, tmp_path)
    after = json.loads(json.dumps(before))
    for result in after["results"]:  # everything that passed now fails: new in the diff, each with the payload
        if result["status"] == "PASS":
            result["status"] = "FAIL"
    vendor = f"vendor {payload}"
    with Store.open(str(tmp_path / "store.db")) as store:
        store.record(before, vendor)
        store.record(after, vendor)
        answers = {"history": store.history(), "diff": store.diff(vendor, None, None), "trend": store.trend()}
        page = portfolio.render(store.portfolio())
    assert answers["diff"]["new"] and any(payload in r["address"] for r in answers["diff"]["new"])
    assert_inert(page)  # the portfolio page's own check: only its script and style, nothing planted
    active = []
    for name, answer in answers.items():
        active += [(f"{name} table", p) for p in [active_table(view(name, answer, "table"), payload)] if p]
    active += [("diff markdown", p) for p in [active_markdown(view("diff", answers["diff"], "markdown"), payload)] if p]
    assert not active, active


def test_packs_show_prints_a_users_pack_inert(tmp_path: Path) -> None:
    """`packs show FILE` prints a user's pack — untrusted text — on the terminal: no escape sequence
    (click strips CSI colours only when stdout is not a terminal, and never OSC titles or links)."""
    import subprocess
    import sys

    payload = "".join(PAYLOADS[k] for k in ("ansi-csi-colour", "ansi-clear-screen", "ansi-osc-title",
                                            "ansi-osc8-link", "ansi-8bit-csi", "bidi-override"))
    pack = Path(hostile_pack(tmp_path, payload))
    document = json.loads(pack.read_text())
    document["pack"]["version"] = payload
    pack.write_text(json.dumps(document))
    run = subprocess.run([sys.executable, "-m", "vendorguard.cli.main", "packs", "show", str(pack)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "evil" in run.stdout and "\\x1b" in run.stdout  # shown, visibly
    assert not RAW_CONTROLS.search(run.stdout), repr(run.stdout)
