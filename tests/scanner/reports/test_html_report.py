"""The HTML evidence report: its structure and numbers, that nothing from a scanned environment
becomes active in it, and — in a real headless Chromium — that it shows the right numbers, its
filters work, and a planted script does not run."""
from __future__ import annotations

import copy
import html as html_lib
import json
import os
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from chromium import Browser, browser  # noqa: F401 (a fixture)
from conftest import plan_of, policy
from htmlpage import Tree, assert_inert

from vendorguard.scanner.catalog import select as select_packs
from vendorguard.scanner.model import Gap, Inventory, Resource
from vendorguard.scanner.reports import FORMATS, render
from vendorguard.scanner.reports.escape import html_text
from vendorguard.scanner.decisions import Decisions
from vendorguard.scanner.pipeline import evaluate as run_scan
from vendorguard.scanner.waivers import Waiver
from vendorguard.scanner.sources.tfplan import read_plan

# -- payloads: each would change document.title (or load something) if it ever became active --------
P_SCRIPT = "<script>document.title='PWNED-script'</script>"
P_IMG = "<img src=x onerror=\"document.title='PWNED-img'\">"
P_SVG = "<svg onload=\"document.title='PWNED-svg'\"><a href=\"javascript:document.title='PWNED-svg-a'\">x</a></svg>"
P_JS = "javascript:document.title='PWNED-js'"
P_MD = "[click](javascript:document.title='PWNED-md')"
P_STYLE = "</style><script>document.title='PWNED-style'</script><style>"
P_SCRIPT_END = "</script><script>document.title='PWNED-end'</script>"
P_ATTR = "x\" onmouseover=\"document.title='PWNED-attr'\" autofocus onfocus=\"document.title='PWNED-focus'\" data-x=\""
P_ATTR1 = "x' onfocus='document.title=`PWNED-attr1`' autofocus data-y='"
P_TERM = "\x1b[31mred\x1b]0;PWNED-term\x07\x1b[2J\u202eevil\u2066\uffff"
#: Not encodable as UTF-8: only in the poisoned-document test (the JSON format cannot write it yet).
P_SURROGATE = "lone \ud800 surrogate"
P_META = "<meta http-equiv=\"refresh\" content=\"0;url=javascript:document.title='PWNED-meta'\"><base href=\"http://203.0.113.9/\"><link rel=stylesheet href=\"http://203.0.113.9/x.css\">"
P_COMMENT = "<!-- hide the rest"
P_ENTITY = "&lt;script&gt;document.title='PWNED-entity'&lt;/script&gt;"
PAYLOADS = [P_SCRIPT, P_IMG, P_SVG, P_JS, P_MD, P_STYLE, P_SCRIPT_END, P_ATTR, P_ATTR1, P_TERM, P_META,
            P_COMMENT, P_ENTITY]
ALL = " ".join(PAYLOADS)

SECRET_PASSWORD = "Pl4nted-DB-Passw0rd-never-shown"
SECRET_POLICY = "Pl4nted-sensitive-policy-marker"
SECRET_ENV = "Pl4nted-lambda-env-secret"
SECRETS = (SECRET_PASSWORD, SECRET_POLICY, SECRET_ENV)
ACCOUNT = "123456789012"
IDENTITY = "arn:aws:sts::123456789012:assumed-role/VendorAudit/practice-review"


def _plan() -> dict[str, Any]:
    """A plan whose names, keys, descriptions and policy texts are payloads."""
    bucket_policy = policy(
        {"Sid": P_SCRIPT_END, "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{P_ATTR}/*"})
    return plan_of(
        {"type": "aws_security_group", "name": "bastion", "index": P_SCRIPT, "values": {
            "name": P_IMG, "description": P_ATTR1, "tags": {"Name": P_STYLE, "Owner": P_TERM},
            "ingress": [{"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"],
                         "ipv6_cidr_blocks": [], "prefix_list_ids": [], "security_groups": [], "self": False,
                         "description": ALL}],
            "egress": []}},
        {"type": "aws_s3_bucket", "name": "exports", "index": P_ATTR, "values": {
            "bucket": P_META, "tags": {"phi": "true", "Team": P_SVG, "Link": P_JS},
            "policy": bucket_policy,
            "versioning": [{"enabled": False, "mfa_delete": False}],
            "server_side_encryption_configuration": []}},
        {"type": "aws_s3_bucket", "name": "secretive", "values": {
            "bucket": "claims-archive", "tags": {"Name": P_MD},
            "policy": json.dumps({"Statement": [{"Sid": SECRET_POLICY, "Effect": "Deny"}]})},
         "sensitive": ["policy"]},
        {"type": "aws_db_instance", "name": "claims", "values": {
            "identifier": P_COMMENT, "storage_encrypted": False, "password": SECRET_PASSWORD,
            "engine": "postgres", "tags": {"Name": P_ENTITY}}},
        {"type": "aws_lambda_function", "name": "ingest", "values": {
            "function_name": P_SCRIPT, "runtime": "python3.8",
            "environment": [{"variables": {"API_TOKEN": SECRET_ENV}}]}},
        {"type": "aws_cloudwatch_log_group", "name": "app", "values": {"name": P_TERM},
         "unknown": ["kms_key_id"]},
        account_id="111122223333",
    )


def _live() -> Inventory:
    """A live-style inventory: an identity, a log group named with a payload, and a listing that was
    denied (so every S3 rule there is UNKNOWN)."""
    group = Resource(
        address=f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/claims/{P_IMG}", type="aws_cloudwatch_log_group",
        attributes={"name": f"/claims/{P_IMG}", "kms_key_id": None, "retention_in_days": 30,
                    "tags": {"Owner": P_SCRIPT}},
        source="aws", account=ACCOUNT, region="us-east-1")
    return Inventory(
        source="aws", origin=ACCOUNT, resources=[group],
        gaps=[Gap("aws_s3_bucket", f"AccessDenied: s3:ListAllMyBuckets {P_SCRIPT}", ACCOUNT, None)],
        complete=True, scopes={(ACCOUNT, "us-east-1")},
        notes=[f"aws_wafv2_web_acl: not assessed {P_IMG}"],
        metadata={"identity": IDENTITY, "regions": ["us-east-1"]})


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    """A real scan's document (plan + live) with payloads planted where an environment controls text,
    with waivers (one in force, one expired, one stale) and a baseline (one fixed finding)."""
    _, selection = select_packs([])
    plan = json.loads(json.dumps(_plan()))
    today = date(2026, 1, 5)
    decisions = Decisions(
        waivers=[Waiver("VG-S3-004", "aws_s3_bucket.*", f"compensating control {P_IMG}", P_ATTR, date(2027, 1, 1)),
                 Waiver("VG-RDS-001", "*", "old exception", "ciso@example.org", date(2025, 1, 1)),
                 Waiver("VG-NOPE-*", f"*{P_SCRIPT}", "matches nothing", "ciso@example.org", date(2027, 1, 1))],
        waivers_file="waivers.yaml", baseline={("VG-EC2-004", "gone"), ("VG-LMB-001", "aws_lambda_function.ingest")},
        baseline_file="previous.json", today=today)
    report = run_scan([read_plan("payload-plan.json", plan, None), _live()], selection,
                      "2026-01-05T10:00:00+00:00", decisions, api_calls={"s3": 3, "sts": 1})
    return report.to_document()


@pytest.fixture(scope="module")
def page(document: dict[str, Any]) -> str:
    return render(document, "html")


# -- unit: structure and numbers ------------------------------------------------------------------


def test_registered_as_a_format() -> None:
    assert FORMATS["html"] == ("html", "html")


def test_sections_and_scan_metadata(document: dict[str, Any], page: str) -> None:
    tree = Tree(page)
    for ident in ("examined", "glance", "scan", "controls", "unreadable", "not-evaluated", "decisions", "findings",
                  "rules", "domain-chart", "filters", "filter-count"):
        tree.root.by_id(ident)
    assert [h.text() for h in tree.root.find_all("h1")] == ["Vendor environment evidence report"]
    assert len(tree.root.find_all("h2")) == 10  # the eight sections, and the header's two indexes
    examined = tree.root.by_id("examined").text()
    assert IDENTITY in examined and ACCOUNT in examined and "111122223333" in examined
    assert "us-east-1" in examined and "payload-plan.json" in examined
    for pack in document["scan"]["packs"]:
        assert pack["digest"] in examined and pack["title"] in examined and pack["version"] in examined
    assert document["tool"]["version"] in examined
    assert "2026-01-05T10:00:00+00:00" in examined
    # The filter form is for scripts only: without them it stays hidden and everything shows.
    assert "hidden" in tree.root.by_id("filters").attrs
    assert not [n for n in tree.root.find_all("tr") if "hidden" in n.attrs]
    # Every table header cell has a scope (screen readers pair cells with their headers).
    for th in tree.root.find_all("th"):
        assert th.attrs.get("scope") in ("col", "row"), th.text()[:60]
    scan_text = tree.root.by_id("scan").text()
    assert "4 read-only API calls" in scan_text


FINDING_STATUSES = ("FAIL", "UNKNOWN", "WAIVED")


def test_every_finding_is_listed_once_under_its_rule_and_the_rest_counted(document: dict[str, Any], page: str) -> None:
    tree = Tree(page)
    listed = tree.root.find_all("li", class_="result")
    findings = [(i, r) for i, r in enumerate(document["results"]) if r["status"] in FINDING_STATUSES]
    assert len(listed) == len(findings) > 10
    assert {li.attrs["id"] for li in listed} == {f"result-{i}" for i, _ in findings}
    for i, result in findings:
        li = tree.root.by_id(f"result-{i}")
        row, block = li.ancestor("tr"), li.ancestor("section")
        assert row.attrs["data-status"] == block.attrs["data-status"] == result["status"]
        assert row.attrs["data-rule"] == block.attrs["data-rule"] == result["rule_id"]
        assert (row.attrs["data-severity"], row.attrs["data-domain"]) == (result["severity"], result["domain"])
        if "\x1b" not in result["address"]:  # control characters are shown visibly escaped
            assert li.find_all("code", class_="addr")[0].text() == result["address"]
        assert result["title"] in block.find_all("h4")[0].text()
        for ref in result["controls"]:
            assert ref.partition(":")[2] in block.text()
        text = row.text()
        if result["status"] == "UNKNOWN":
            why = row.find_all("div", class_="why")
            assert why and "Could not be decided" in why[0].text()
        if result["status"] == "FAIL":
            fix = block.find_all("details", class_="fix")
            assert fix and "open" in fix[0].attrs, "a failure says how to fix it, unfolded"
        for key in result["evidence"]:
            assert key in text
    # Worst first: every FAIL block before every UNKNOWN one, every UNKNOWN before every WAIVED.
    order = [a.attrs["data-status"] for a in tree.root.find_all("section", class_="rule-group")]
    assert order == sorted(order, key=FINDING_STATUSES.index) and order[0] == "FAIL"
    # PASS and N/A are counted per rule and status, not listed as results.
    quiet = Counter((r["rule_id"], r["status"]) for r in document["results"] if r["status"] not in FINDING_STATUSES)
    rows = tree.root.find_all("tr", class_="quiet")
    assert {(row.attrs["data-rule"], row.attrs["data-status"]): int(row.attrs["data-count"]) for row in rows} == quiet
    assert len(rows) == len(quiet)


def test_evidence_is_shown_escaped_and_pretty(document: dict[str, Any], page: str) -> None:
    tree = Tree(page)
    sg = next(i for i, r in enumerate(document["results"])
              if r["rule_id"] == "VG-EC2-004" and r["status"] == "FAIL")
    row = tree.root.by_id(f"result-{sg}").ancestor("tr")
    evidence = row.find_all("dl", class_="kv")[0]
    assert evidence.find_all("dt")[0].text() == "ingress"
    # A list of rules is a list, each rule its names and values; every payload is there, as text.
    ingress = evidence.find_all("ul", class_="vlist")[0]
    names = [dt.text() for dt in ingress.find_all("dt", class_="attr")]
    assert names[:3] == ["from_port", "to_port", "protocol"] and "description" in names
    values = [c.text() for c in ingress.find_all("code", class_="val")]
    assert "0.0.0.0/0" in values
    # every payload is there as text: control characters and bidi overrides shown visibly escaped
    assert html_lib.unescape(html_text(ALL)) in values
    waived = tree.root.find_all("tr", data_status="WAIVED")
    assert waived and all("compensating control" in w.text() and "expires 2027-01-01" in w.text() for w in waived)
    assert sum(int(w.attrs["data-count"]) for w in waived) == document["summary"]["by_status"]["WAIVED"]
    assert len(tree.root.find_all("span", class_="new")) == sum(r["baseline"] == "new" for r in document["results"])


def test_waivers_and_baseline_are_reported(document: dict[str, Any], page: str) -> None:
    section = Tree(page).root.by_id("decisions")
    text = section.text()
    assert "waivers.yaml" in text and "previous.json" in text
    expired = section.find_all("table", class_="expired")[0].text()
    stale = section.find_all("table", class_="stale")[0].text()
    assert "VG-RDS-001" in expired and "old exception" in expired
    assert "VG-NOPE-*" in stale and P_SCRIPT in stale
    fixed = section.find_all("table", class_="fixed")[0].text()
    assert "VG-EC2-004" in fixed and "gone" in fixed
    assert f"{document['scan']['baseline']['new']} failure(s) are new" in text


def test_chart_numbers_equal_the_summary_and_the_results(document: dict[str, Any], page: str) -> None:
    tree = Tree(page)
    svg = tree.root.by_id("domain-chart")
    drawn: dict[str, dict[str, int]] = {}
    for rect in svg.find_all("rect", class_="seg"):
        drawn.setdefault(rect.attrs["data-domain"], {})[rect.attrs["data-status"]] = int(rect.attrs["data-count"])
    summary = {d: {s: n for s, n in c.items() if n and s in ("FAIL", "UNKNOWN", "WAIVED", "PASS")}
               for d, c in document["summary"]["by_domain"].items()}
    assert drawn == {d: c for d, c in summary.items() if c}
    counted: dict[str, Counter] = {}
    for r in document["results"]:
        if r["status"] != "NOT_APPLICABLE":
            counted.setdefault(r["domain"], Counter())[r["status"]] += 1
    assert drawn == {d: dict(c) for d, c in counted.items()}
    # Each drawn segment shows its count as text, and the legend names every status.
    labels = [t.text() for t in svg.find_all("text") if "seg" in (t.attrs.get("class") or "").split()]
    assert sorted(map(int, labels)) == sorted(n for c in drawn.values() for n in c.values())
    legend = svg.text()
    for word in ("FAIL", "UNKNOWN", "WAIVED", "PASS"):
        assert word in legend
    for status, n in document["summary"]["by_status"].items():
        assert tree.root.by_id(f"total-{status}").text() == str(n)


def test_chart_counts_results_the_summary_leaves_out(document: dict[str, Any]) -> None:
    """The summary counts only the catalogue's domains; a checkov check no rule maps is in domain
    "unmapped" — it is still drawn, counted from the results."""
    extended = copy.deepcopy(document)
    extra = dict(extended["results"][0], rule_id="CKV_AWS_999", domain="unmapped", status="FAIL", severity="low")
    extended["results"].append(extra)
    assert "unmapped" not in extended["summary"]["by_domain"]
    svg = Tree(render(extended, "html")).root.by_id("domain-chart")
    drawn = [(r.attrs["data-status"], r.attrs["data-count"]) for r in svg.find_all("rect", class_="seg")
             if r.attrs["data-domain"] == "unmapped"]
    assert drawn == [("FAIL", "1")]


def test_cli_writes_and_rerenders_the_html_report(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(_plan()))
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "report.html"
    run = subprocess.run([sys.executable, "-m", "vendorguard.cli.main", "scan", "plan", str(plan), "--format", "html",
                          "-o", str(out)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stderr
    assert_inert(out.read_text(encoding="utf-8"))
    saved = tmp_path / "saved.json"
    run = subprocess.run([sys.executable, "-m", "vendorguard.cli.main", "scan", "plan", str(plan), "--format", "json",
                          "-o", str(saved)], capture_output=True, text=True, timeout=120)
    again = subprocess.run([sys.executable, "-m", "vendorguard.cli.main", "report", str(saved), "--format", "html"],
                           capture_output=True, text=True, timeout=120)
    assert again.returncode in (0, 1), again.stderr
    tree = assert_inert(again.stdout)
    saved_results = json.loads(saved.read_text())["results"]
    assert len(tree.root.find_all("li", class_="result")) == sum(r["status"] in FINDING_STATUSES for r in saved_results)
    for secret in SECRETS:
        assert secret not in out.read_text(encoding="utf-8") + again.stdout


def _rollup(results: list[dict[str, Any]]) -> str:
    statuses = {r["status"] for r in results}
    for status in ("FAIL", "UNKNOWN", "WAIVED", "PASS"):
        if status in statuses:
            return status
    return "NOT_APPLICABLE"


def test_controls_roll_up_their_results(document: dict[str, Any], page: str) -> None:
    tree = Tree(page)
    rows = {r.attrs["data-control"]: r for r in tree.root.find_all("tr", class_="control")}
    hipaa = next(p for p in document["scan"]["packs"] if p["id"] == "hipaa")
    assert {c["id"] for c in hipaa["controls"]} <= {k.partition(":")[2] for k in rows if k.startswith("hipaa:")}
    assert any(k.startswith("vendor-article:") for k in rows)
    seen_statuses = set()
    for pack in document["scan"]["packs"]:
        for control in pack["controls"]:
            key = f"{pack['id']}:{control['id']}"
            results = [r for r in document["results"] if key in r["controls"]]
            row = rows[key]
            assert row.attrs["data-rollup"] == _rollup(results), key
            seen_statuses.add(row.attrs["data-rollup"])
            cells = [int(td.text()) for td in row.find_all("td") if "num" in (td.attrs.get("class") or "")]
            counts = Counter(r["status"] for r in results)
            assert cells == [counts[s] for s in ("FAIL", "UNKNOWN", "WAIVED", "PASS", "NOT_APPLICABLE")], key
            assert control["title"] in row.text()
    assert "FAIL" in seen_statuses and len(seen_statuses) >= 2
    assert "hipaa:164.312(a)(2)(iv)" in rows and "Encryption and decryption" in rows["hipaa:164.312(a)(2)(iv)"].text()


def test_what_could_not_be_read_has_its_own_section(document: dict[str, Any], page: str) -> None:
    tree = Tree(page)
    section = tree.root.by_id("unreadable")
    gaps = section.find_all("tr", class_="gap")
    assert len(gaps) == 1
    assert "aws_s3_bucket" in gaps[0].text() and f"AccessDenied: s3:ListAllMyBuckets {P_SCRIPT}" in gaps[0].text()
    assert "not assessed" in section.text()
    unknown = sum(r["status"] == "UNKNOWN" for r in document["results"])
    assert f"{unknown} result(s) are UNKNOWN" in section.text()


def test_plan_only_report_says_there_was_no_identity() -> None:
    _, selection = select_packs([])
    plan = plan_of({"type": "aws_ebs_volume", "name": "v", "values": {"encrypted": True}})
    document = run_scan([read_plan("ok.json", plan, None)], selection, "2026-01-05T10:00:00+00:00").to_document()
    tree = assert_inert(render(document, "html"))
    assert "no AWS identity" in tree.root.by_id("examined").text()
    assert tree.root.by_id("no-gaps")


# -- unit: safety ---------------------------------------------------------------------------------


def test_planted_payloads_stay_text(document: dict[str, Any], page: str) -> None:
    tree = assert_inert(page)
    text = tree.root.text()
    # The payloads are all there — as text a reader can see, not as markup.
    assert P_SCRIPT in text and P_IMG in text and P_STYLE in text and P_ATTR in text and P_ENTITY in text
    assert "\\x1b[31mred" in text and "\\u202e" in text  # visible, not acting
    assert "PWNED" not in tree.root.find_all("title")[0].text()


def test_sensitive_values_never_appear(document: dict[str, Any], page: str) -> None:
    for secret in SECRETS:
        assert secret not in json.dumps(document), "the document itself already withholds it"
        assert secret not in page
    assert "(sensitive: withheld, never shown)" in page, "the withheld policy is shown as withheld"


#: Maps whose keys are data (attribute paths, metadata names, domains), not the document's shape.
DATA_KEYS = {"evidence", "metadata", "by_domain", "api_calls", "references", "waiver", "failed_by_severity"}


def _poison(value: Any, salt: list[int], keys: bool = False) -> Any:
    if isinstance(value, str):
        salt[0] += 1
        return value + (PAYLOADS + [P_SURROGATE])[salt[0] % (len(PAYLOADS) + 1)]
    if isinstance(value, dict):
        return {(_poison(k, salt) if keys else k): _poison(v, salt, k in DATA_KEYS) for k, v in value.items()}
    if isinstance(value, list):
        return [_poison(v, salt) for v in value]
    return value


def test_a_document_poisoned_everywhere_renders_inert(document: dict[str, Any]) -> None:
    """A saved results file re-rendered with `vendorguard report` is untrusted too: every string and
    key in it, statuses and severities included, carries a payload."""
    poisoned = _poison(copy.deepcopy(document), [0])
    tree = assert_inert(render(poisoned, "html"))
    # A status no report knows is listed with the findings (after them), never folded into the counts.
    assert len(tree.root.find_all("li", class_="result")) == sum(
        r["status"] not in ("PASS", "NOT_APPLICABLE") for r in poisoned["results"])
    # Statuses kept valid but everything else poisoned, too.
    partly = _poison(copy.deepcopy(document), [3])
    for original, result in zip(document["results"], partly["results"]):
        result["status"] = original["status"]
    partly["summary"] = document["summary"]
    assert_inert(render(partly, "html"))


# -- in a real browser ----------------------------------------------------------------------------

#: How many results the visible rows stand for (a row lists every resource with the same evidence).
VISIBLE_FINDINGS = ("Array.from(document.querySelectorAll('tr.finding')).filter(r => r.offsetParent !== null)"
                    ".reduce((n, r) => n + Number(r.dataset.count), 0)")
VISIBLE_QUIET = VISIBLE_FINDINGS.replace("tr.finding", "tr.quiet")


def test_in_chromium_numbers_filters_and_no_planted_script(
        browser: Browser, document: dict[str, Any], page: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    out = Path(os.environ.get("VENDORGUARD_SCREENSHOT_DIR") or tmp_path_factory.mktemp("report"))
    out.mkdir(parents=True, exist_ok=True)
    report = out / "evidence-report.html"
    report.write_text(page, encoding="utf-8")
    title = Tree(page).root.find_all("title")[0].text()
    results = document["results"]
    by_status = document["summary"]["by_status"]

    browser.open(report.as_uri())
    # The report's own script ran (its CSP hash is right) and no planted one did.
    assert browser.js("document.documentElement.getAttribute('data-filters')") == "ready"
    assert browser.js("document.title") == title
    assert "PWNED" not in browser.js("document.title")
    assert browser.js("document.querySelectorAll('script').length") == 1
    assert browser.js("document.querySelectorAll('img,iframe,object,embed,base,link').length") == 0
    assert browser.js("Array.from(document.querySelectorAll('*')).filter(e => Array.from(e.attributes)"
                      ".some(a => a.name.startsWith('on'))).length") == 0
    # The rendered page shows the summary numbers.
    for status, n in by_status.items():
        assert browser.js(f"document.getElementById('total-{status}').innerText") == str(n)
    visible_text = browser.js("document.body.innerText")
    assert f"{by_status['FAIL']} failed, {by_status['UNKNOWN']} could not be decided" in visible_text
    drawn = browser.js("Array.from(document.querySelectorAll('#domain-chart rect.seg')).map("
                       "r => [r.dataset.domain, r.dataset.status, Number(r.dataset.count),"
                       " r.getBBox().width])")
    assert sorted((d, s, n) for d, s, n, _ in drawn) == sorted(
        (d, s, n) for d, c in document["summary"]["by_domain"].items() for s, n in c.items()
        if n and s != "NOT_APPLICABLE")
    assert all(width >= 20 for *_, width in drawn), "every segment is wide enough for its count"
    assert browser.js("document.getElementById('filters').offsetParent !== null"), "filters shown with scripts"
    findings = [r for r in results if r["status"] in FINDING_STATUSES]
    # By default the findings show and PASS/N/A are behind the filter (their counts are in the summary).
    assert browser.js(VISIBLE_FINDINGS) == len(findings)
    assert browser.js(VISIBLE_QUIET) == 0
    assert browser.js("document.getElementById('passed').offsetParent") is None
    shot = browser.screenshot(out / "evidence-report.png", height=2200)
    assert shot.stat().st_size > 20_000

    # Click: show PASS — counted per rule, not one row per result.
    browser.js("document.querySelector('input[name=status][value=PASS]').click()")
    assert browser.js(VISIBLE_FINDINGS) == len(findings)
    assert browser.js(VISIBLE_QUIET) == by_status["PASS"]
    assert browser.js("document.querySelectorAll('tr.quiet[data-status=PASS]').length") == len(
        {r["rule_id"] for r in results if r["status"] == "PASS"}) < by_status["PASS"]
    assert browser.js("document.getElementById('filter-count').innerText") == (
        f"Showing all {len(findings)} findings, and {by_status['PASS']} passed or not applicable results "
        "counted per rule.")
    # Hide FAIL: a rule block with no visible row disappears with it.
    browser.js("document.querySelector('input[name=status][value=FAIL]').click()")
    assert browser.js(VISIBLE_FINDINGS) == len(findings) - by_status["FAIL"]
    assert browser.js("Array.from(document.querySelectorAll('section.rule-group')).filter(s => !s.hidden)"
                      ".every(s => s.querySelector('tr.finding:not([hidden])'))")
    assert browser.js("document.getElementById('findings-FAIL').hidden") is True
    assert browser.js("document.getElementById('filter-count').innerText").startswith(
        f"Showing {len(findings) - by_status['FAIL']} of {len(findings)} findings")
    # Only findings, then show all.
    browser.js("document.getElementById('filters-problems').click()")
    assert (browser.js(VISIBLE_FINDINGS), browser.js(VISIBLE_QUIET)) == (len(findings), 0)
    browser.js("document.getElementById('filters-all').click()")
    assert (browser.js(VISIBLE_FINDINGS), browser.js(VISIBLE_QUIET)) == (len(findings), len(results) - len(findings))
    # Uncheck a domain.
    domain = results[0]["domain"]
    browser.js(f"Array.from(document.querySelectorAll('input[name=domain]')).find(b => b.value === {json.dumps(domain)}).click()")
    assert browser.js(VISIBLE_FINDINGS) == sum(r["domain"] != domain for r in findings)
    assert browser.js(VISIBLE_QUIET) == sum(r["domain"] != domain for r in results if r not in findings)

    # A query string pre-selects filters.
    browser.open(report.as_uri() + "?status=FAIL&severity=critical,high")
    expected = sum(r["status"] == "FAIL" and r["severity"] in ("critical", "high") for r in results)
    assert 0 < expected < len(results)
    assert browser.js(VISIBLE_FINDINGS) == expected
    assert browser.js("document.querySelector('input[name=status][value=PASS]').checked") is False
    assert "PWNED" not in browser.js("document.title")
    problems_log = [line for line in browser.console() if "Content Security Policy" in line or "exception" in line]
    assert not problems_log, problems_log


def test_in_chromium_with_scripts_off_everything_is_shown(
        browser: Browser, document: dict[str, Any], page: str, tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    report.write_text(page, encoding="utf-8")
    browser.send("Emulation.setScriptExecutionDisabled", {"value": True}, session=browser.session)
    try:
        browser.open(report.as_uri() + "?status=FAIL")
        assert browser.js("document.documentElement.getAttribute('data-filters')") is None
        assert browser.js("document.getElementById('filters').offsetParent") is None
        assert browser.js(VISIBLE_FINDINGS) == sum(r["status"] in FINDING_STATUSES for r in document["results"])
        assert browser.js(VISIBLE_QUIET) == sum(r["status"] not in FINDING_STATUSES for r in document["results"])
        assert browser.js("document.getElementById('total-FAIL').innerText") == str(
            document["summary"]["by_status"]["FAIL"])
    finally:
        browser.send("Emulation.setScriptExecutionDisabled", {"value": False}, session=browser.session)
