"""`vendorguard demo` end to end, as `make demo` runs it: the seeded account scanned twice with
the vendor's fixes in between, the example plan, every scan kept in the embedded store, and the
diff, portfolio page and OSCAL export written from it; progress on stderr, a short summary naming
the files to open on stdout.  The README's waiver example is run as the README writes it — on the
demo's plan (fast) and, with the demo itself, on the live account's scans too (the one slow run)."""
from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT, vendorguard
from vendorguard.scanner.reports import FORMATS

PLAN = "scanner/demo/billing-vendor.tfplan.json"
WAIVERS = ROOT / "scanner/demo/waivers.example.yaml"
#: every format of each of the three scans; the diff (two), the portfolio and its OSCAL export
FILES = 3 * len(FORMATS) + 4


def _readme_waiver_example() -> tuple[str, list[list[str]]]:
    """The README's waivers YAML block and the commands of the shell block that follows it."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("**Waivers and baselines.**"):]
    yaml_block = re.search(r"```yaml\n(waivers:\n.*?)```", section, re.S)
    sh_block = re.search(r"```sh\n(.*?)```", section[yaml_block.end():], re.S) if yaml_block else None
    assert yaml_block and sh_block, "README: the waivers section lost its YAML or its commands"
    commands = [shlex.split(line, comments=True) for line in sh_block.group(1).splitlines() if line.strip()]
    return yaml_block.group(1), commands


def _command(name: str) -> list[str]:
    """The README's `vendorguard <name> …` waiver command, without the program name."""
    _, commands = _readme_waiver_example()
    found = [c[1:] for c in commands if c[:2] == ["vendorguard", name]]
    assert len(found) == 1, f"README: no single `vendorguard {name}` in the waiver example: {commands}"
    return found[0]


def _waived(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(r["rule_id"], r["address"]) for r in document["results"] if r["status"] == "WAIVED"}


def test_the_readme_waiver_example_is_the_shipped_file() -> None:
    text, _ = _readme_waiver_example()
    assert text == WAIVERS.read_text()


def test_the_readme_waiver_example_waives_a_finding_of_the_demo_plan(tmp_path: Path) -> None:
    args = _command("scan")
    assert "--waivers" in args and (ROOT / args[args.index("--waivers") + 1]) == WAIVERS
    literally = vendorguard(*args, cwd=ROOT)
    assert literally.returncode == 1 and "WAIVED 1" in literally.stdout, literally.stdout[-500:]
    run = vendorguard(*args, "--format", "json", "-o", str(tmp_path / "out.json"), cwd=ROOT)
    assert run.returncode == 1, run.stderr  # the plan's other findings still fail
    document = json.loads((tmp_path / "out.json").read_text())
    assert _waived(document) == {("VG-DDB-002", "aws_dynamodb_table.sessions")}
    [waived] = [r for r in document["results"] if r["status"] == "WAIVED"]
    assert waived["waiver"]["justification"].startswith("portal sessions expire after 15 minutes")
    assert document["scan"]["waivers"] == {"file": "scanner/demo/waivers.example.yaml", "expired": [], "stale": []}
    # without the waivers, the same finding fails: the example waives something real
    bare = vendorguard("scan", "plan", PLAN, "--format", "json", cwd=ROOT)
    assert ("VG-DDB-002", "aws_dynamodb_table.sessions", "FAIL") in {
        (r["rule_id"], r["address"], r["status"]) for r in json.loads(bare.stdout)["results"]}


def test_a_missing_waivers_file_stops_the_demo_before_it_starts(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    run = vendorguard("demo", "--waivers", str(tmp_path / "nope.yaml"), "--output-dir", str(out))
    assert run.returncode == 2
    assert run.stderr == f"vendorguard: error: {tmp_path / 'nope.yaml'}: no such file\n"
    assert run.stdout == "" and not out.exists()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    """One run of the README's `vendorguard demo --waivers …`, from the checkout's root as `make
    demo` runs it, writing into a temporary folder."""
    out = tmp_path_factory.mktemp("demo") / "reports"
    run = vendorguard(*_command("demo"), "--output-dir", str(out), cwd=ROOT, timeout=900)
    assert run.returncode == 0, run.stderr[-2000:]
    return run, out


def _document(out: Path, stem: str) -> dict[str, Any]:
    return json.loads((out / f"{stem}.json").read_text())


@pytest.mark.slow
def test_the_demo_keeps_both_visits_and_shows_what_was_fixed(demo: tuple[Any, Path]) -> None:
    _, out = demo
    for label in ("aws", "aws-second-visit", "plans"):
        assert (out / f"{label}.html").is_file() and (out / f"{label}.json").is_file()
    history = json.loads(vendorguard("history", "--store", str(out / "vendorguard.db"), "--format", "json").stdout)
    assert [(s["vendor"], s["source"]) for s in history["scans"]] == [
        ("ClaimBridge", "terraform-plan"), ("ClaimBridge", "aws"), ("ClaimBridge", "aws")]
    diff = json.loads((out / "diff.json").read_text())
    fixed = {(r["rule_id"], r["address"].rsplit(":", 1)[-1]) for r in diff["fixed"]}
    assert ("VG-S3-008", "claimbridge-partner-exports") in fixed and ("VG-CT-002", "trail/org-audit") in fixed
    assert diff["new"] == [] and all(r["status"] == "PASS" for r in diff["fixed"])
    assert "fixed" in (out / "diff.md").read_text() and "ClaimBridge" in (out / "portfolio.html").read_text()
    assert json.loads((out / "portfolio.oscal.json").read_text())["assessment-results"]["results"]


@pytest.mark.slow
def test_the_demo_says_each_step_on_stderr(demo: tuple[Any, Path]) -> None:
    run, out = demo
    took = r" \(\d+\.\d s\)"
    results = {stem: _document(out, stem)["summary"]["total"] for stem in ("aws", "aws-second-visit", "plans")}
    expected = [
        rf"starting a local AWS endpoint \(moto, on 127\.0\.0\.1\)… http://127\.0\.0\.1:\d+{took}",
        rf"seeding ClaimBridge, a billing vendor's account, in us-east-1 and us-west-2… \d+ resources{took}",
        rf"scanning the account \(us-east-1, us-west-2\), read-only… {results['aws']} results from \d+ collectors{took}",
        rf"ClaimBridge fixes a few findings before the auditor's second visit… 4 changes{took}",
        rf"scanning the account again… {results['aws-second-visit']} results{took}",
        rf"scanning the example plan {re.escape(PLAN)}… {results['plans']} results{took}",
        rf"keeping the scans in {re.escape(str(out / 'vendorguard.db'))} and writing the reports… {FILES} files{took}",
    ]
    lines = run.stderr.splitlines()
    assert len(lines) == len(expected), run.stderr  # nothing else: no warnings, no tracebacks, no tables
    for line, pattern in zip(lines, expected):
        assert re.fullmatch(pattern, line), (line, pattern)
    assert len(list(out.iterdir())) == FILES + 1  # the files the last step counts, and the store


@pytest.mark.slow
def test_the_demo_ends_with_a_short_summary_naming_files_that_exist(demo: tuple[Any, Path]) -> None:
    run, out = demo
    lines = run.stdout.splitlines()
    assert len(lines) <= 25, run.stdout
    as_make_demo = [line.replace(str(out), "reports") for line in lines]  # `make demo` writes to reports/
    assert all(len(line) <= 125 for line in as_make_demo), max(as_make_demo, key=len)
    for title, stem in (("first visit", "aws"), ("second visit", "aws-second-visit"), ("example plan", "plans")):
        by_status = _document(out, stem)["summary"]["by_status"]
        [line] = [line for line in lines if line.startswith(f"  {title}")]
        for status, count in by_status.items():
            assert (f"{status} {count}" in line) == bool(count), (status, line)
    assert f"the example plan {PLAN}:" in lines[0]
    diff = json.loads((out / "diff.json").read_text())
    assert f"between the visits: {len(diff['fixed'])} fixed, 0 new, {diff['still_failing']} still failing" in run.stdout
    assert sum(line.startswith("  fixed ") for line in lines) == len(diff["fixed"])
    opened = lines[lines.index("open in a browser:") + 1:]
    assert opened[0].split()[0] == str(out / "aws.html") and opened[1].split()[0] == str(out / "portfolio.html")
    named = set(re.findall(re.escape(str(out)) + r"/[\w.-]+", run.stdout))
    assert {str(out / n) for n in ("aws.html", "portfolio.html", "plans.sarif", "aws.json", "diff.md")} <= named
    assert all(Path(path).exists() for path in named), named
    # the full tables, one command away, as the summary says
    [command] = [line.split(": ", 1)[1].split("   ")[0] for line in lines if line.startswith("the full tables:")]
    assert command == f"vendorguard report {out / 'aws.json'}"
    table = vendorguard(*shlex.split(command)[1:])
    assert table.returncode == 1 and "results over" in table.stdout and "VG-S3-008" in table.stdout


@pytest.mark.slow
def test_the_demo_labels_its_plan_by_its_true_path(demo: tuple[Any, Path]) -> None:
    _, out = demo
    document = _document(out, "plans")
    assert [i["origin"] for i in document["scan"]["inputs"]] == [PLAN] and (ROOT / PLAN).is_file()
    assert {r["file"] for r in document["results"] if r["file"]} == {PLAN}
    sarif = json.loads((out / "plans.sarif").read_text())
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"]
            for result in sarif["runs"][0]["results"] for loc in result["locations"]}
    assert uris == {PLAN}
    assert "examples/" not in (out / "plans.html").read_text()


@pytest.mark.slow
def test_the_demo_applies_the_readme_waivers_to_every_scan(demo: tuple[Any, Path]) -> None:
    run, out = demo
    for stem in ("aws", "aws-second-visit"):
        assert _waived(_document(out, stem)) == {
            ("VG-DDB-002", "arn:aws:dynamodb:us-east-1:123456789012:table/portal-sessions")}
    assert _waived(_document(out, "plans")) == {("VG-DDB-002", "aws_dynamodb_table.sessions")}
    for stem in ("aws", "aws-second-visit", "plans"):
        assert _document(out, stem)["scan"]["waivers"]["stale"] == []
    assert "waivers from scanner/demo/waivers.example.yaml: 3 results WAIVED\n" in run.stdout
