"""The evidence report as an auditor prints and signs it: findings first, severity only where
something failed, the same counts everywhere, readable evidence (policies decoded, the deciding
statement marked), remediation for live findings as console steps and CLI commands, a 26,000-result
scan under 5 MB — and, in headless Chromium, a print-to-PDF whose pages are read back with pypdf."""
from __future__ import annotations

import base64
import copy
import json
import os
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from chromium import Browser, browser  # noqa: F401 (a fixture)
from conftest import plan_of, policy, trust
from htmlpage import Node, Tree, assert_inert

from vendorguard.scanner.catalog import load_catalog, select as select_packs
from vendorguard.scanner.model import Inventory, Resource
from vendorguard.scanner.pipeline import evaluate as run_scan
from vendorguard.scanner.reports import render
from vendorguard.scanner.sources.tfplan import read_plan

ACCOUNT = "123456789012"
FINDING_STATUSES = ("FAIL", "UNKNOWN", "WAIVED")
ADMIN = {"Sid": "BreakGlass", "Effect": "Allow", "Action": "*", "Resource": "*"}
READ = {"Sid": "ReadClaims", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::claims/*"}
#: A bucket policy with a grant but no statement denying plain HTTP.
NO_TLS = policy({"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                 "Action": "s3:GetObject", "Resource": "arn:aws:s3:::claims-exports/*"})


def _plan() -> dict[str, Any]:
    return plan_of(
        {"type": "aws_iam_policy", "name": "break_glass", "values": {"name": "break-glass", "policy": policy(READ, ADMIN)}},
        {"type": "aws_iam_role", "name": "partner", "values": {
            "name": "partner-sync", "assume_role_policy": trust({"AWS": "arn:aws:iam::444455556666:root"})}},
        {"type": "aws_s3_bucket", "name": "exports", "values": {"bucket": "claims-exports", "policy": NO_TLS}},
        {"type": "aws_security_group", "name": "bastion", "values": {"name": "bastion", "ingress": [
            {"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": [],
             "prefix_list_ids": [], "security_groups": [], "self": False, "description": "ssh"}], "egress": []}},
        *({"type": "aws_ebs_volume", "name": f"data_{i}", "values": {"encrypted": True}} for i in range(30)),
        account_id=ACCOUNT)


def _live() -> Inventory:
    """A live account's unencrypted bucket and an over-broad customer managed policy."""
    bucket = Resource(address="arn:aws:s3:::claims-archive", type="aws_s3_bucket",
                      attributes={"bucket": "claims-archive", "server_side_encryption_configuration": [],
                                  "versioning": [{"enabled": False, "mfa_delete": False}], "logging": [],
                                  "policy": None, "tags": {"phi": "true"}},
                      source="aws", account=ACCOUNT, region="us-east-1")
    admin = Resource(address=f"arn:aws:iam::{ACCOUNT}:policy/ops-admin", type="aws_iam_policy",
                     attributes={"name": "ops-admin", "policy": policy(ADMIN, READ)},
                     source="aws", account=ACCOUNT, region=None)
    return Inventory(source="aws", origin=ACCOUNT, resources=[bucket, admin], gaps=[], complete=True,
                     scopes={(ACCOUNT, "us-east-1")}, notes=[],
                     metadata={"identity": f"arn:aws:sts::{ACCOUNT}:assumed-role/Audit/x", "regions": ["us-east-1"]})


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    _, selection = select_packs([])
    report = run_scan([read_plan("vendor-plan.json", json.loads(json.dumps(_plan())), None), _live()], selection,
                      "2026-01-05T10:00:00+00:00")
    return report.to_document()


@pytest.fixture(scope="module")
def page(document: dict[str, Any]) -> str:
    return render(document, "html")


def _result(document: dict[str, Any], rule_id: str, address: str) -> int:
    return next(i for i, r in enumerate(document["results"]) if r["rule_id"] == rule_id and r["address"] == address)


def _block(tree: Tree, index: int) -> Node:
    """The rule's block under Findings that lists result `index`."""
    return tree.root.by_id(f"result-{index}").ancestor("section")


def _row(tree: Tree, index: int) -> Node:
    """The row (its evidence) that lists result `index`."""
    return tree.root.by_id(f"result-{index}").ancestor("tr")


# -- counts, order, severity ----------------------------------------------------------------------------------


def test_every_count_is_the_summary_s_and_says_what_it_counts(document: dict[str, Any], page: str) -> None:
    """The header once said 67 resources where Findings said 81: now both, and the cards, read the
    summary and the inputs, and name what they count (resources, results, findings)."""
    tree = Tree(page)
    summary = document["summary"]
    resources = sum(i["resources"] for i in document["scan"]["inputs"])
    findings = sum(summary["by_status"][s] for s in FINDING_STATUSES)
    verdict = tree.root.by_id("verdict").text()
    assert f"of {summary['total']} results over {resources} resources read from the inputs" in verdict
    assert f"— {findings} findings" in verdict
    stated = tree.root.by_id("findings-summary")
    assert (stated.attrs["data-findings"], stated.attrs["data-results"]) == (str(findings), str(summary["total"]))
    assert f"of {summary['total']} results over {resources} resources" in stated.text()
    for status, n in summary["by_status"].items():
        assert tree.root.by_id(f"total-{status}").text() == str(n)
    # What the findings list adds up to the same numbers.
    assert len(tree.root.find_all("li", class_="result")) == findings
    quiet = sum(int(r.attrs["data-count"]) for r in tree.root.find_all("tr", class_="quiet"))
    assert quiet + findings == summary["total"] == len(document["results"])


def test_failures_come_first_and_severity_only_where_something_failed(document: dict[str, Any], page: str) -> None:
    tree = Tree(page)
    body = tree.root.find_all("body")[0]
    sections = [n.attrs.get("id") for n in body.iter() if n.tag in ("section", "div") and n.attrs.get("id")]
    assert sections.index("failed-first") < sections.index("findings") < sections.index("glance")
    index = tree.root.by_id("failed-first")
    failed_rules = sorted({r["rule_id"] for r in document["results"] if r["status"] == "FAIL"})
    assert sorted(a.text() for a in index.find_all("a")) == failed_rules
    # Severity, as a coloured label, only on failures (the index, FAIL blocks, the failed-by-severity line).
    for span in tree.root.find_all("span"):
        classes = (span.attrs.get("class") or "").split()
        if any(c.startswith("sev-") and c != "sev-if" for c in classes):
            ancestors = [span.ancestor("section"), span.ancestor("div")]
            assert any(a is not None and (a.attrs.get("data-status") == "FAIL" or a.attrs.get("id") in
                                          ("failed-first", "glance")) for a in ancestors), span.text()
    assert not any("sev" in (s.attrs.get("class") or "") for row in tree.root.find_all("tr", class_="quiet")
                   for s in row.find_all("span"))
    unknown = [b for b in tree.root.find_all("section", class_="rule-group") if b.attrs["data-status"] == "UNKNOWN"]
    assert unknown and all(" if it fails" in b.find_all("span", class_="sev-if")[0].text() for b in unknown)


# -- evidence ----------------------------------------------------------------------------------------------


def _statements(block: Node) -> list[tuple[str, bool]]:
    return [(json.loads(s.find_all("pre")[0].text()).get("Sid"), "decides" in s.attrs["class"].split())
            for s in block.find_all("div") if "stmt" in (s.attrs.get("class") or "").split()]


def test_policies_are_decoded_with_the_deciding_statement_marked(document: dict[str, Any], page: str) -> None:
    tree = Tree(page)
    plan_admin = _row(tree, _result(document, "VG-IAM-001", "aws_iam_policy.break_glass"))
    assert _statements(plan_admin) == [("ReadClaims", False), ("BreakGlass", True)]
    assert "decides this result" in plan_admin.text()
    live_admin = _row(tree, _result(document, "VG-IAM-001", f"arn:aws:iam::{ACCOUNT}:policy/ops-admin"))
    assert _statements(live_admin) == [("BreakGlass", True), ("ReadClaims", False)]
    # A foreign account without an ExternalId: the one trust statement is what fails the role.
    role = _row(tree, _result(document, "VG-TPA-001", "aws_iam_role.partner"))
    assert _statements(role) == [(None, True)]
    # No statement denies plain HTTP: the failure is what the policy lacks, so none is marked.
    tls = _row(tree, _result(document, "VG-S3-003", "aws_s3_bucket.exports"))
    assert _statements(tls) == [("Partner", False)]
    assert "No single statement decides this result" in tls.text()


def test_evidence_is_whole_and_names_do_not_break(document: dict[str, Any], page: str) -> None:
    tree = Tree(page)
    findings = tree.root.by_id("findings")
    assert "\u2026" not in findings.text(), "nothing is cut short"
    assert '{"Statement"' not in findings.text() and '\\"Statement' not in findings.text(), "no raw policy JSON"
    names = {dt.text() for dt in findings.find_all("dt", class_="attr")}
    assert {"policy", "assume_role_policy", "ingress", "from_port"} <= names
    css = re.sub(r"\s+", "", render({"results": []}, "html").split("<style>")[1].split("</style>")[0])
    attr = re.search(r"\.attr\{([^}]*)\}", css).group(1)  # type: ignore[union-attr]
    assert "word-break:keep-all" in attr and "hyphens:none" in attr and "overflow-wrap:normal" in attr
    assert "overflow-wrap:anywhere" in re.search(r"\.val\{([^}]*)\}", css).group(1)  # type: ignore[union-attr]


# -- remediation -----------------------------------------------------------------------------------------------


def test_live_findings_are_fixed_in_the_console_and_the_cli_as_well(document: dict[str, Any], page: str) -> None:
    tree = Tree(page)
    rules = {r["id"]: r for r in document["rules"]}
    live = _block(tree, _result(document, "VG-S3-001", "arn:aws:s3:::claims-archive"))
    fix = live.find_all("details", class_="fix")[0]
    assert "open" in fix.attrs
    ways = [d.attrs["class"].split()[1] for d in fix.find_all("div") if "way" in (d.attrs.get("class") or "").split()]
    assert ways == ["way-console", "way-cli", "way-terraform", "way-pulumi"], "console and CLI first when live"
    steps = [li.text() for li in fix.find_all("ol", class_="steps")[0].find_all("li")]
    assert steps == rules["VG-S3-001"]["remediation"]["console"]
    assert "aws s3api put-bucket-encryption" in fix.text()
    # A plan's finding: the code first.
    plan = _block(tree, _result(document, "VG-EC2-004", "aws_security_group.bastion"))
    ways = [d.attrs["class"].split()[1] for d in plan.find_all("div") if "way" in (d.attrs.get("class") or "").split()]
    assert ways == ["way-terraform", "way-pulumi", "way-console", "way-cli"]


def test_every_rule_the_live_demo_fails_has_console_cli_and_pulumi_fixes() -> None:
    """Console steps, CLI commands and Pulumi are data (policies/rules/*.yaml, optional in the
    schema): at least every rule the demo account fails has all three, beside its Terraform."""
    catalog, _ = load_catalog(validate_shipped=True)
    both = {rid for rid, r in catalog.rules.items()
            if all(r.remediation.get(way) for way in ("console", "cli", "pulumi", "terraform"))}
    demo_fails = {"VG-S3-001", "VG-S3-003", "VG-S3-004", "VG-S3-005", "VG-S3-006", "VG-S3-007", "VG-S3-008",
                  "VG-IAM-001", "VG-IAM-002", "VG-IAM-003", "VG-IAM-005", "VG-IAM-006", "VG-TPA-001",
                  "VG-RDS-001", "VG-RDS-003", "VG-RDS-004", "VG-RDS-006", "VG-RDS-007", "VG-RDS-010",
                  "VG-RDS-011", "VG-RDS-012", "VG-RDS-014", "VG-CT-002", "VG-CT-003", "VG-CT-004", "VG-EC2-001",
                  "VG-EC2-002", "VG-EC2-004", "VG-EC2-007", "VG-EC2-008", "VG-EC2-009", "VG-KMS-001",
                  "VG-LOG-001", "VG-LOG-002", "VG-VPC-001", "VG-GD-001", "VG-SH-001", "VG-INS-001", "VG-CFG-001",
                  "VG-BAK-001", "VG-IR-002", "VG-IR-003", "VG-IR-004", "VG-DDB-001", "VG-DDB-002",
                  "VG-GLUE-001", "VG-GLUE-002", "VG-ATH-001", "VG-ATH-002", "VG-RS-005"}
    assert demo_fails <= both


# -- a large scan ------------------------------------------------------------------------------------------------


def large_document(document: dict[str, Any], total: int = 26_000) -> dict[str, Any]:
    """A real scan's document with its resources repeated until it holds `total` results, its
    summary and inputs counted again to match."""
    big = copy.deepcopy(document)
    base = document["results"]
    big["results"] = [dict(r, address=f"{r['address']}#{i}") for i in range(total // len(base) + 1)
                      for r in base][:total]
    by_status = Counter(r["status"] for r in big["results"])
    big["summary"]["total"] = total
    big["summary"]["by_status"] = {s: by_status.get(s, 0) for s in document["summary"]["by_status"]}
    for inp in big["scan"]["inputs"]:
        inp["resources"] *= total // len(base) + 1
    return big


def test_26000_results_make_a_page_under_5_mb_with_passes_counted_per_rule(document: dict[str, Any]) -> None:
    big = large_document(document)
    text = render(big, "html")
    size = len(text.encode("utf-8"))
    assert size < 5_000_000, f"{size:,} bytes"
    tree = assert_inert(text)
    by_status = Counter(r["status"] for r in big["results"])
    assert by_status["PASS"] > 10_000, "mostly passes, as a large real scan is"
    quiet = tree.root.find_all("tr", class_="quiet")
    assert len(quiet) == len({(r["rule_id"], r["status"]) for r in big["results"] if r["status"] in ("PASS", "NOT_APPLICABLE")})
    assert sum(int(r.attrs["data-count"]) for r in quiet) == by_status["PASS"] + by_status["NOT_APPLICABLE"]
    assert len(tree.root.find_all("li", class_="result")) == sum(by_status[s] for s in FINDING_STATUSES)
    print(f"26,000 results: {size:,} bytes")


# -- in Chromium: on screen and printed -------------------------------------------------------------------------


def _pdf_pages(browser: Browser, report: Path, pdf: Path) -> list[str]:
    pypdf = pytest.importorskip("pypdf", reason="pypdf (the dev extra) reads the printed pages back")
    browser.open(report.as_uri())
    printed = browser.send("Page.printToPDF", {"printBackground": True, "preferCSSPageSize": True,
                                               "displayHeaderFooter": False}, session=browser.session, timeout=120)
    pdf.write_bytes(base64.b64decode(printed["data"]))
    # NFKC: the PDF's text uses ligatures ("ﬁ") where the page had two letters.
    return [unicodedata.normalize("NFKC", p.extract_text()) for p in pypdf.PdfReader(pdf).pages]


def test_printed_pdf_pages(browser: Browser, document: dict[str, Any], page: str,
                           tmp_path_factory: pytest.TempPathFactory) -> None:
    out = Path(os.environ.get("VENDORGUARD_SCREENSHOT_DIR") or tmp_path_factory.mktemp("print"))
    out.mkdir(parents=True, exist_ok=True)
    report = out / "evidence-report-print.html"
    report.write_text(page, encoding="utf-8")
    pages = _pdf_pages(browser, report, out / "evidence-report.pdf")
    text = "\n".join(pages)
    assert len(pages) > 3
    # The first page: the verdict, then what failed, before what was examined.
    first = pages[0]
    failed = [r for r in document["results"] if r["status"] == "FAIL"]
    worst = min(failed, key=lambda r: (("critical", "high", "medium", "low").index(r["severity"]), r["rule_id"]))
    assert "What failed" in first and worst["rule_id"] in first
    assert first.index("What failed") < first.index(worst["rule_id"]) < first.index("What was examined")
    # Each rule block starts a page: nothing of another block is above its heading on its page.
    rules = {r["id"]: r for r in document["rules"]}
    blocks = Tree(page).root.find_all("section", class_="rule-group")
    for block in blocks:
        heading = re.compile(rf"{block.attrs['data-status']}\s+{re.escape(block.attrs['data-rule'])} ")
        found = [p for p in pages if heading.search(p) and "What was examined" not in p]
        assert len(found) == 1, f"{heading.pattern}: on {len(found)} pages"
        above = found[0][:heading.search(found[0]).start()]
        assert "What the rule saw" not in above and "Remediation" not in above, f"{heading.pattern} shares a page"
    # Remediation is printed (open), console steps included.
    squash = re.sub(r"\s+", " ", text)
    for rid in {r["rule_id"] for r in failed}:
        fix = rules[rid]["remediation"]
        assert re.sub(r"\s+", " ", fix["text"]).strip()[:60] in squash, rid
    assert rules["VG-S3-001"]["remediation"]["console"][0][:40] in squash
    # Nothing in the evidence is cut short, and passed resources are counted, not printed one by one.
    assert not [p for p in pages if "\u2026" in p]
    # (on paper the per-rule counts are there, whatever the screen's filter shows)
    assert "Passed and not applicable, per rule" in text and "aws_ebs_volume.data_7" not in text
    ebs = next(p for p in pages if "Passed and not applicable, per rule" in p)
    assert re.search(r"VG-EC2-001\s.*PASS\s+30\s+30 resources", ebs.replace("\n", " ")), "30 volumes, one row"
    # No interactive controls on paper.
    assert "Only findings" not in text and "Show all, PASS and N/A too" not in text
    print(f"printed {len(pages)} pages")


def test_screenshots_on_screen_and_as_printed(browser: Browser, page: str,
                                              tmp_path_factory: pytest.TempPathFactory) -> None:
    out = Path(os.environ.get("VENDORGUARD_SCREENSHOT_DIR") or tmp_path_factory.mktemp("shots"))
    out.mkdir(parents=True, exist_ok=True)
    report = out / "evidence-report-screen.html"
    report.write_text(page, encoding="utf-8")
    browser.open(report.as_uri())
    assert browser.js("document.documentElement.getAttribute('data-filters')") == "ready"
    # On screen: attribute names keep whole words (one line box each), values wrap where they must.
    assert browser.js("Array.from(document.querySelectorAll('#findings dt.attr')).every(d => "
                      "getComputedStyle(d).wordBreak === 'keep-all' && getComputedStyle(d).hyphens === 'none')")
    assert browser.js("Array.from(document.querySelectorAll('#findings dt.attr')).filter(d => d.offsetParent)"
                      ".every(d => d.getClientRects().length === 1 && d.scrollWidth <= d.clientWidth + 1)")
    assert browser.screenshot(out / "report-screen-top.png", height=2000).stat().st_size > 20_000
    browser.js("document.getElementById('findings').scrollIntoView()")
    y = browser.js("document.getElementById('findings').getBoundingClientRect().top + window.scrollY")
    shot = browser.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": {
        "x": 0, "y": y, "width": 1280, "height": 2000, "scale": 1}}, session=browser.session, timeout=60)
    (out / "report-screen-findings.png").write_bytes(base64.b64decode(shot["data"]))
    # As printed: the print styles (no filters, remediation open), at a Letter page's width.
    browser.send("Emulation.setEmulatedMedia", {"media": "print"}, session=browser.session)
    try:
        assert browser.js("getComputedStyle(document.getElementById('filters')).display") == "none"
        assert browser.js("Array.from(document.querySelectorAll('#findings details.fix')).every(d => d.open)")
        assert browser.screenshot(out / "report-print-media.png", height=2400).stat().st_size > 20_000
    finally:
        browser.send("Emulation.setEmulatedMedia", {"media": ""}, session=browser.session)
