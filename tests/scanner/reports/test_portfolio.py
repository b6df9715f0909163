"""The portfolio page: a store's vendors × HIPAA controls, their trends, what is new and what is
old — its document schema, its numbers, that a vendor's hostile name or a planted address stays
text, an empty store, and (in a real headless Chromium) that it renders cleanly."""
from __future__ import annotations

import copy
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from chromium import Browser, browser  # noqa: F401 (a fixture)
from conftest import ROOT
from htmlpage import Tree, assert_inert

from vendorguard.scanner.reports import portfolio

HOSTILE = "<img src=x onerror=alert(1)>"
SCRIPT_END = "</script><script>document.title='PWNED-end'</script>"
ATTR = "x\" onmouseover=\"document.title='PWNED-attr'\" data-x=\""


def _controls() -> list[dict[str, str]]:
    """The HIPAA pack's controls, read as data (the columns of a real portfolio)."""
    pack = yaml.safe_load((ROOT / "policies" / "packs" / "hipaa.yaml").read_text())["pack"]
    return [{"id": c["id"], "title": c["title"]} for c in pack["controls"]]


def _result(rule: str, address: str, reason: str, severity: str = "high") -> dict[str, Any]:
    return {"rule_id": rule, "title": f"{rule} title", "domain": "encryption", "severity": severity,
            "status": "FAIL", "address": address, "resource_type": "aws_s3_bucket", "source": "aws",
            "account": "111122223333", "region": "us-east-1", "reason": reason,
            "controls": ["hipaa:164.312(a)(2)(iv)"]}


def _scan(ident: int, started: str, **by_status: int) -> dict[str, Any]:
    return {"id": ident, "started": started, "source": "aws",
            "summary": {"by_status": {s: by_status.get(s, 0) for s in ("PASS", "FAIL", "UNKNOWN", "NOT_APPLICABLE", "WAIVED")}}}


def document() -> dict[str, Any]:
    """Three vendors over seven scans: one with four scans (one of them deciding nothing), one with
    a hostile name and a planted address, one scanned once."""
    acme = {
        "name": "acme-billing",
        "latest_scan": _scan(23, "2026-12-01T10:00:00+00:00", PASS=40, FAIL=5, UNKNOWN=3, NOT_APPLICABLE=1),
        "controls": {
            "164.312(a)(2)(iv)": {"PASS": 3, "FAIL": 1, "UNKNOWN": 0, "WAIVED": 0},
            "164.312(b)": {"PASS": 5, "FAIL": 0, "UNKNOWN": 0, "WAIVED": 0},
            "164.312(e)(1)": {"PASS": 2, "FAIL": 0, "UNKNOWN": 1, "WAIVED": 0},
            "164.308(a)(1)(ii)(D)": {"PASS": 0, "FAIL": 0, "UNKNOWN": 2, "WAIVED": 0},
            "164.312(a)(1)": {"PASS": 0, "FAIL": 2, "UNKNOWN": 1, "WAIVED": 1},
            "164.308(a)(7)(ii)(A)": {"PASS": 0, "FAIL": 0, "UNKNOWN": 0, "WAIVED": 1},
            "164.312(c)(1)": {"PASS": 0, "FAIL": 0, "UNKNOWN": 0, "WAIVED": 0, "NOT_APPLICABLE": 4},
        },
        "trend": [{"scan": 10, "started": "2026-09-01T10:00:00+00:00", "pass_share": 0.55},
                  {"scan": 14, "started": "2026-10-01T10:00:00+00:00", "pass_share": 0.62},
                  {"scan": 19, "started": "2026-11-01T10:00:00+00:00", "pass_share": None},
                  {"scan": 23, "started": "2026-12-01T10:00:00+00:00", "pass_share": 0.80}],
        "new": [_result("VG-S3-001", "aws_s3_bucket.exports", "no default encryption", "critical"),
                _result("VG-RDS-001", "aws_db_instance.claims", "storage_encrypted is false", "medium")],
        "open_findings": 5, "mean_days_to_fix": 3.5}
    hostile = {
        "name": HOSTILE,
        "latest_scan": _scan(24, "2026-12-02T09:30:00+00:00", PASS=17, FAIL=3),
        "controls": {"164.312(a)(2)(iv)": {"PASS": 1, "FAIL": 1, "UNKNOWN": 0, "WAIVED": 0},
                     "<script>alert(3)</script>": {"PASS": 0, "FAIL": 9, "UNKNOWN": 0, "WAIVED": 0}},
        "trend": [{"scan": 11, "started": "2026-09-02T09:30:00+00:00", "pass_share": 0.9},
                  {"scan": 24, "started": "2026-12-02T09:30:00+00:00", "pass_share": 0.85}],
        "new": [_result("VG-S3-004", f"arn:aws:s3:::x{SCRIPT_END}", f"tag Owner={ATTR} <b>bold</b>")],
        "open_findings": 1, "mean_days_to_fix": None}
    once = {
        "name": "claims-co",
        "latest_scan": _scan(25, "2026-12-03T08:00:00+00:00", PASS=4, FAIL=6),
        "controls": {"164.312(a)(2)(iv)": {"PASS": 1, "FAIL": 3, "UNKNOWN": 0, "WAIVED": 0}},
        "trend": [{"scan": 25, "started": "2026-12-03T08:00:00+00:00", "pass_share": 0.4}],
        "new": [], "open_findings": 6, "mean_days_to_fix": None}
    oldest = [
        {"vendor": "acme-billing", "rule_id": "VG-EC2-004", "title": "SSH open to the world", "severity": "critical",
         "resource_type": "aws_security_group", "address": "sg-0123", "account": "111122223333",
         "region": "us-east-1", "first_seen": "2026-09-01T10:00:00+00:00", "days_open": 93},
        {"vendor": HOSTILE, "rule_id": "VG-S3-004", "title": f"versioning {HOSTILE}", "severity": "low",
         "address": f"arn:aws:s3:::x{SCRIPT_END}", "account": None, "region": None,
         "first_seen": "2026-09-02T09:30:00+00:00", "days_open": 92},
        {"vendor": "claims-co", "rule_id": "VG-RDS-001", "title": "RDS storage encrypted", "severity": "high",
         "address": "aws_db_instance.claims", "account": "444455556666", "region": "eu-west-1",
         "first_seen": "2026-12-03T08:00:00+00:00", "days_open": 0},
    ]
    return {"schema_version": 1, "generated": "2026-12-03T10:00:00+00:00",
            "store": "sqlite:///reports/vendorguard.db", "scans": 7,
            "tool": {"name": "vendorguard", "version": "0.1.0"},
            "pack": {"id": "hipaa", "title": "HIPAA Security Rule", "version": "2025.1", "controls": _controls()},
            "vendors": [acme, hostile, once], "oldest_open": oldest}


def empty() -> dict[str, Any]:
    doc = document()
    return {**doc, "scans": 0, "vendors": [], "oldest_open": []}


def errors(doc: dict[str, Any]) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in portfolio.validator().iter_errors(doc)]


@pytest.fixture(scope="module")
def page() -> str:
    return portfolio.render(document())


# -- the document's schema ------------------------------------------------------------------------


def test_the_documents_here_are_valid() -> None:
    assert errors(document()) == []
    assert errors(empty()) == []


@pytest.mark.parametrize("break_it, where", [
    (lambda d: d["vendors"][0]["trend"][0].update(pass_share=1.5), "vendors/0/trend/0/pass_share"),
    (lambda d: d["vendors"][0]["new"][0].update(status="BROKEN"), "vendors/0/new/0/status"),
    (lambda d: d["vendors"][0]["new"][0].pop("address"), "vendors/0/new/0"),
    (lambda d: d["vendors"][1]["controls"]["164.312(a)(2)(iv)"].update(MAYBE=1), "vendors/1/controls/164.312(a)(2)(iv)"),
    (lambda d: d["oldest_open"][0].update(severity="urgent"), "oldest_open/0/severity"),
    (lambda d: d.pop("store"), ""),
])
def test_the_schema_rejects_what_the_page_could_not_trust(break_it: Any, where: str) -> None:
    """Each `new` result is checked against the results schema's own result (a reference the
    validator resolves from package data, not the network)."""
    doc = document()
    break_it(doc)
    assert [m for m in errors(doc) if m.split(":")[0] == where], errors(doc)


def test_a_vendor_not_scanned_yet_is_a_valid_row() -> None:
    doc = document()
    doc["vendors"].append({"name": "new-vendor", "latest_scan": None, "controls": {}, "trend": [], "new": [],
                           "open_findings": 0, "mean_days_to_fix": None})
    assert errors(doc) == []
    row = Tree(portfolio.render(doc)).root.find_all("tr", data_vendor="new-vendor")[0]
    assert {c.attrs["data-state"] for c in row.find_all("td", class_="cell")} == {"unscanned"}
    assert "not scanned yet" in row.text()


# -- the page -------------------------------------------------------------------------------------


def test_hostile_names_and_addresses_stay_text(page: str) -> None:
    tree = assert_inert(page)
    text = tree.root.text()
    assert HOSTILE in text and SCRIPT_END in text and ATTR in text
    assert "<img" not in page and "</script><script>document" not in page and "<b>bold" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert page.count("<script>") == 1 and page.count("</script>") == 1
    assert "PWNED" not in tree.root.find_all("title")[0].text()
    # A control key the pack does not have is not a column.
    assert "alert(3)" not in page


def test_every_string_poisoned_renders_inert() -> None:
    """Statuses, severities, dates, control ids, the store URL: every string in the document is
    untrusted, and the page stays inert whatever they hold."""
    def poison(value: Any) -> Any:
        if isinstance(value, str):
            return value + SCRIPT_END + ATTR
        if isinstance(value, dict):
            return {poison(k) if k.startswith("164.") else k: poison(v) for k, v in value.items()}
        if isinstance(value, list):
            return [poison(v) for v in value]
        return value

    doc = poison(copy.deepcopy(document()))
    tree = assert_inert(portfolio.render(doc))
    assert len(tree.root.by_id("heatmap-table").find_all("td", class_="cell")) == 3 * len(_controls())


def test_header_says_what_when_which_store_and_how_many(page: str) -> None:
    tree = Tree(page)
    assert [h.text() for h in tree.root.find_all("h1")] == ["Vendor portfolio"]
    examined = tree.root.by_id("examined").text()
    assert "sqlite:///reports/vendorguard.db" in examined and "2026-12-03 10:00 UTC" in examined
    assert "3 (3 scanned)" in examined and "HIPAA Security Rule" in examined and "2025.1" in examined
    verdict = tree.root.by_id("verdict").text()
    assert verdict.startswith("3 vendor(s), 7 scan(s) stored: 12 open finding(s), 3 new since")
    for ident in ("heatmap", "vendors", "new", "oldest"):
        tree.root.by_id(ident)
    for th in tree.root.find_all("th"):
        assert th.attrs.get("scope") in ("col", "row"), th.text()[:60]


def _cells(tree: Tree) -> dict[tuple[str, str], Any]:
    out = {}
    for row in tree.root.by_id("heatmap-table").find_all("tbody")[0].find_all("tr"):
        for td in row.find_all("td", class_="cell"):
            out[(row.attrs["data-vendor"], td.attrs["data-control"])] = td
    return out


def test_heat_map_rows_columns_and_cells(page: str) -> None:
    tree = Tree(page)
    table = tree.root.by_id("heatmap-table")
    controls = _controls()
    heads = table.find_all("th", class_="ctl")
    assert [h.attrs["data-control"] for h in heads] == [c["id"] for c in controls]
    rows = table.find_all("tbody")[0].find_all("tr")
    assert [r.attrs["data-vendor"] for r in rows] == ["acme-billing", HOSTILE, "claims-co"]
    assert all(len(r.find_all("td")) == len(controls) for r in rows)
    cells = _cells(tree)

    def seen(vendor: str, control: str) -> tuple[str, str, str]:
        td = cells[(vendor, control)]
        return td.attrs["data-state"], td.attrs["class"].split()[1], td.text()

    # Colour and what the cell shows: a share with a failure, a symbol otherwise — never colour alone.
    assert seen("acme-billing", "164.312(a)(2)(iv)") == ("fail", "hm-f3", "\u271775")
    assert seen(HOSTILE, "164.312(a)(2)(iv)") == ("fail", "hm-f2", "\u271750")
    assert seen("claims-co", "164.312(a)(2)(iv)") == ("fail", "hm-f1", "\u271725")
    assert seen("acme-billing", "164.312(a)(1)") == ("fail", "hm-f0", "\u27170?\u2298")
    assert seen("acme-billing", "164.312(b)") == ("pass", "hm-p", "\u2713")
    assert seen("acme-billing", "164.312(e)(1)") == ("pass-undecided", "hm-pu", "\u2713?")
    assert seen("acme-billing", "164.308(a)(1)(ii)(D)") == ("undecided", "hm-u", "?")
    assert seen("acme-billing", "164.308(a)(7)(ii)(A)") == ("waived", "hm-w", "\u2298")
    assert seen("acme-billing", "164.312(c)(1)") == ("unassessed", "hm-na", "\u2013")
    assert seen("claims-co", "164.312(b)") == ("unassessed", "hm-na", "\u2013")
    # The counts, in the title and for screen readers.
    td = cells[("acme-billing", "164.312(a)(2)(iv)")]
    assert td.attrs["title"] == td.attrs["aria-label"] == (
        "acme-billing — 164.312(a)(2)(iv) Encryption and decryption: 75% of decided results passed: "
        "3 passed, 1 failed, 0 not decided, 0 waived")
    assert (td.attrs["data-pass"], td.attrs["data-fail"], td.attrs["data-unknown"]) == ("3", "1", "0")
    assert "4 not applicable" in cells[("acme-billing", "164.312(c)(1)")].attrs["title"]
    assert cells[(HOSTILE, "164.312(a)(2)(iv)")].attrs["title"].startswith(HOSTILE + " — ")
    # Every column is named in full below the map.
    key = tree.root.by_id("controls-key").text()
    assert all(c["title"] in key for c in controls)


def test_a_share_just_under_one_is_never_shown_as_a_pass() -> None:
    state, css, shown, words = portfolio.cell({"PASS": 999, "FAIL": 1})
    assert (state, css, shown) == ("fail", "hm-f3", "\u271799")
    assert words.startswith("99% of decided results passed")


def test_trend_sparklines(page: str) -> None:
    tree = Tree(page)
    svgs = {tr.attrs["data-vendor"]: tr.find_all("svg")[0] for tr in tree.root.by_id("vendors-table").find_all("tr")
            if "data-vendor" in tr.attrs}
    assert list(svgs) == ["acme-billing", HOSTILE, "claims-co"]
    acme = svgs["acme-billing"]
    # Scans 10 and 14 are joined; 19 decided nothing (a hollow mark, the line breaks); 23 stands alone.
    assert len(acme.find_all("polyline")) == 1
    assert len(acme.find_all("circle", class_="pt")) == 3 and len(acme.find_all("circle", class_="gap")) == 1
    points = [tuple(map(float, p.split(","))) for p in acme.find_all("polyline")[0].attrs["points"].split()]
    assert points[0][1] > points[1][1], "a higher share is drawn higher"
    desc = acme.find_all("desc")[0].text()
    assert "scan 10 (2026-09-01 10:00 UTC): 55%" in desc and "scan 19 (2026-11-01 10:00 UTC): nothing decided" in desc
    # The first and last values, as text beside the chart.
    row = svgs["acme-billing"].ancestor("td")
    assert re.sub(r"\s+", " ", row.text().split("nothing decided")[-1]).strip().endswith("55% → 80% (+25 pts)")
    assert "90% → 85% (−5 pts)" in svgs[HOSTILE].ancestor("td").text()
    assert "40% (one scan)" in svgs["claims-co"].ancestor("td").text()
    assert len(svgs["claims-co"].find_all("polyline")) == 0 and len(svgs["claims-co"].find_all("circle")) == 1
    assert HOSTILE in svgs[HOSTILE].find_all("title")[0].text()


def test_vendors_table(page: str) -> None:
    rows = [r for r in Tree(page).root.by_id("vendors-table").find_all("tr") if "data-vendor" in r.attrs]
    acme = rows[0]
    cells = acme.find_all("td")
    assert "scan 23" in cells[1].text() and "aws" in cells[1].text()
    assert re.sub(r"\s+", " ", cells[2].text()).strip() == "\u2717 FAIL 5 ? UNKNOWN 3 \u2713 PASS 40 \u2013 N/A 1"
    assert [c.text() for c in cells[4:]] == ["5", "2", "3.5"]
    assert [c.text() for c in rows[1].find_all("td")[4:]] == ["1", "1", "—"]


def test_new_since_the_last_scan(page: str) -> None:
    tree = Tree(page)
    section = tree.root.by_id("new")
    tables = section.find_all("table", class_="new-findings")
    assert [t.attrs["data-vendor"] for t in tables] == ["acme-billing", HOSTILE]
    acme = tables[0].find_all("tr", class_="new-finding")
    assert [r.find_all("span", class_="mono")[0].text() for r in acme] == ["VG-S3-001", "VG-RDS-001"], "worst first"
    first = acme[0].find_all("td")
    assert first[1].text() == "critical" and "aws_s3_bucket.exports" in first[3].text()
    assert "account 111122223333" in first[3].text() and first[4].text() == "no default encryption"
    heading = section.find_all("h3")[0].text()
    assert "2 new, scan 23 (2026-12-01 10:00 UTC) against scan 19 (2026-11-01 10:00 UTC)" in heading
    hostile = tables[1].find_all("tr", class_="new-finding")[0].find_all("td")
    assert hostile[3].text().startswith(f"arn:aws:s3:::x{SCRIPT_END}") and ATTR in hostile[4].text()
    assert "claims-co" in tree.root.by_id("new-first").text()


def test_oldest_open_findings(page: str) -> None:
    rows = Tree(page).root.by_id("oldest-table").find_all("tr", class_="open-finding")
    assert [[c.text() for c in r.find_all("td")][:3] for r in rows] == [
        ["93", "acme-billing", "critical"], ["92", HOSTILE, "low"], ["0", "claims-co", "high"]]
    assert "SSH open to the world" in rows[0].text() and "region us-east-1" in rows[0].text()
    assert f"arn:aws:s3:::x{SCRIPT_END}" in rows[1].text()
    assert rows[0].find_all("td")[5].text() == "2026-09-01 10:00 UTC"


def test_an_empty_store_renders_a_sensible_page() -> None:
    text = portfolio.render(empty())
    tree = assert_inert(text)
    assert tree.root.by_id("verdict").text() == "The store holds no vendors and no scans yet."
    assert "0 (0 scanned)" in tree.root.by_id("examined").text()
    assert "no vendor yet" in tree.root.by_id("heatmap-empty").text()
    assert tree.root.by_id("oldest-none").text() == "No open findings."
    assert not [t for t in tree.root.find_all("table") if "heat" in (t.attrs.get("class") or "")]
    # Even a document with nothing but its required keys missing renders.
    assert "Vendor portfolio" in portfolio.render({})


# -- in a real browser ----------------------------------------------------------------------------


def test_in_chromium(browser: Browser, page: str, tmp_path: Path) -> None:  # noqa: F811 (the fixture)
    out = Path(os.environ.get("VENDORGUARD_SCREENSHOT_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "portfolio.html"
    path.write_text(page, encoding="utf-8")
    browser.events.clear()
    browser.open(path.as_uri())
    title = Tree(page).root.find_all("title")[0].text()
    assert browser.js("document.title") == title
    # Its own script ran (the CSP allows it by hash), and nothing planted did.
    assert browser.js("document.documentElement.getAttribute('data-sort')") == "ready"
    assert browser.js("document.querySelectorAll('script').length") == 1
    assert browser.js("document.querySelectorAll('img,iframe,object,embed,base,link').length") == 0
    assert browser.js("Array.from(document.querySelectorAll('*')).filter(e => Array.from(e.attributes)"
                      ".some(a => a.name.startsWith('on'))).length") == 0
    # The heat map: 3 rows × 33 columns, every cell drawn with room for its text.
    columns = len(_controls())
    assert browser.js("document.querySelectorAll('#heatmap-table tbody tr').length") == 3
    assert browser.js("document.querySelectorAll('#heatmap-table thead th.ctl').length") == columns
    assert browser.js("Array.from(document.querySelectorAll('#heatmap-table tbody tr')).map("
                      "r => r.querySelectorAll('td.cell').length)") == [columns] * 3
    sizes = browser.js("Array.from(document.querySelectorAll('#heatmap-table td.cell')).map("
                       "c => [c.getBoundingClientRect().width, c.getBoundingClientRect().height, "
                       "c.scrollWidth <= c.clientWidth])")
    assert all(w >= 28 and h >= 24 and fits for w, h, fits in sizes), sizes[:5]
    colours = browser.js("Object.fromEntries(['hm-f1','hm-p','hm-u','hm-na'].map(c => "
                         "[c, getComputedStyle(document.querySelector('td.' + c)).backgroundColor]))")
    assert colours["hm-f1"] == "rgb(164, 22, 26)" and colours["hm-p"] == "rgb(47, 122, 64)", colours
    assert colours["hm-na"] == "rgb(239, 239, 239)"
    assert browser.js("getComputedStyle(document.querySelector('td.hm-u')).backgroundImage").startswith(
        "repeating-linear-gradient")
    # The vendor's trend line is drawn.
    assert browser.js("document.querySelector('#vendors-table polyline').getBBox().width") > 30
    shot = browser.screenshot(out / "portfolio.png")
    assert shot.stat().st_size > 20_000
    if os.environ.get("VENDORGUARD_SCREENSHOT_COPY"):
        shutil.copy(shot, os.environ["VENDORGUARD_SCREENSHOT_COPY"])
    # Sorting: by days open (ascending), then by vendor.
    days = "Array.from(document.querySelectorAll('#oldest-table tbody tr')).map(r => r.cells[0].innerText)"
    assert browser.js(days) == ["93", "92", "0"]
    browser.js("document.querySelector('#oldest-table thead th button.sort').click()")
    assert browser.js(days) == ["0", "92", "93"]
    assert browser.js("document.querySelector('#oldest-table thead th').getAttribute('aria-sort')") == "ascending"
    browser.js("document.querySelector('#oldest-table thead th button.sort').click()")
    assert browser.js(days) == ["93", "92", "0"]
    browser.js("document.querySelectorAll('#vendors-table thead th button.sort')[0].click()")
    assert browser.js("Array.from(document.querySelectorAll('#vendors-table tbody tr')).map("
                      "r => r.dataset.vendor)") == [HOSTILE, "acme-billing", "claims-co"]
    assert "PWNED" not in browser.js("document.title")
    problems = [line for line in browser.console() if "error" in line.lower() or "exception" in line
                or "Content Security Policy" in line]
    assert not problems, problems


def test_in_chromium_an_empty_store_and_no_scripts(browser: Browser, tmp_path: Path) -> None:  # noqa: F811
    path = tmp_path / "empty.html"
    path.write_text(portfolio.render(empty()), encoding="utf-8")
    browser.send("Emulation.setScriptExecutionDisabled", {"value": True}, session=browser.session)
    try:
        browser.events.clear()
        browser.open(path.as_uri())
        assert browser.js("document.documentElement.getAttribute('data-sort')") is None
        assert "The store holds no vendors" in browser.js("document.body.innerText")
    finally:
        browser.send("Emulation.setScriptExecutionDisabled", {"value": False}, session=browser.session)
    path.write_text(portfolio.render(document()), encoding="utf-8")
    browser.send("Emulation.setScriptExecutionDisabled", {"value": True}, session=browser.session)
    try:
        browser.open(path.as_uri())
        # Without scripts: everything shown, in the order written, and no sort buttons.
        assert browser.js("document.querySelectorAll('#heatmap-table td.cell').length") == 3 * len(_controls())
        assert browser.js("document.querySelectorAll('button.sort').length") == 0
    finally:
        browser.send("Emulation.setScriptExecutionDisabled", {"value": False}, session=browser.session)
