"""Waivers (with expiry and staleness), baselines (only new FAILs fail), and re-rendering saved reports."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from conftest import plan_of, vendorguard, write
from vendorguard.scanner.errors import InputError
from vendorguard.scanner.model import Result, Status
from vendorguard.scanner import waivers
from vendorguard.scanner.baseline import compare


def result(rule: str, address: str, status: Status = Status.FAIL) -> Result:
    return Result(rule, "t", "backup", "high", status, address, "aws_s3_bucket", "reason", "terraform-plan")


def test_active_waivers_waive_expired_ones_do_not_and_unused_ones_are_stale() -> None:
    listed = [
        waivers.Waiver("VG-S3-00?", "arn:aws:s3:::logs-*", "log buckets are internal only", "ciso", date(2027, 1, 1)),
        waivers.Waiver("VG-RDS-004", "*", "old exception", "ciso", date(2026, 1, 1)),
        waivers.Waiver("VG-NOPE-001", "*", "matches nothing at all", "ciso", date(2027, 1, 1)),
    ]
    results = [result("VG-S3-005", "arn:aws:s3:::logs-east"), result("VG-S3-005", "arn:aws:s3:::claims"),
               result("VG-RDS-004", "db"), result("VG-S3-004", "arn:aws:s3:::logs-west", Status.PASS)]
    report = waivers.apply(results, listed, date(2026, 11, 27))
    assert [r.status for r in results] == [Status.WAIVED, Status.FAIL, Status.FAIL, Status.PASS]
    assert results[0].waiver["approved_by"] == "ciso" and "log buckets are internal only" in results[0].reason
    assert [w["rule"] for w in report["expired"]] == ["VG-RDS-004"]
    assert [w["rule"] for w in report["stale"]] == ["VG-NOPE-001"]


@pytest.mark.parametrize("content,problem", [
    ("waivers:\n  - rule: X\n    resource: '*'\n    justification: too short\n    approved_by: me\n    expires: 2027-01-01\n",
     "schema error at waivers/0/justification"),
    ("waivers:\n  - rule: X\n    resource: '*'\n    justification: a long enough reason\n    approved_by: me\n    expires: soon\n",
     "schema error at waivers/0/expires"),
    ("waivers:\n  - rule: X\n    resource: '*'\n    justification: a long enough reason\n    approved_by: me\n", "expires"),
    ("nope: [", "not valid YAML"),
])
def test_bad_waiver_files_are_input_errors(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(content)
    with pytest.raises(InputError, match=problem):
        waivers.load(str(path))


def test_baseline_marks_new_and_existing_and_lists_fixed_but_not_waived() -> None:
    results = [result("A", "x"), result("B", "y"), result("C", "z", Status.WAIVED)]
    outcome = compare(results, {("B", "y"), ("C", "z"), ("D", "gone")})
    assert [r.baseline for r in results] == ["new", "existing", None]
    assert outcome == {"fixed": [{"rule_id": "D", "address": "gone"}], "new": 1}


def test_cli_waivers_baseline_formats_and_report(tmp_path: Path) -> None:
    bad = {"type": "aws_ebs_volume", "name": "old", "values": {"encrypted": False}}
    plan = write(tmp_path / "plan.json", plan_of(bad))
    first = vendorguard("scan", "plan", str(plan), "--format", "json", "-o", str(tmp_path / "base.json"))
    assert first.returncode == 1
    # the same finding against the baseline: not new, the build passes; a new one fails it
    assert vendorguard("scan", "plan", str(plan), "--format", "json", "--baseline", str(tmp_path / "base.json")).returncode == 0
    plan2 = write(tmp_path / "plan2.json", plan_of(bad, {"type": "aws_ebs_volume", "name": "new", "values": {"encrypted": False}}))
    run = vendorguard("scan", "plan", str(plan2), "--format", "json", "--baseline", str(tmp_path / "base.json"))
    assert run.returncode == 1
    assert {r["address"]: r["baseline"] for r in json.loads(run.stdout)["results"] if r["status"] == "FAIL"} == {
        "aws_ebs_volume.old": "existing", "aws_ebs_volume.new": "new"}
    # the default waivers file in the working directory applies
    (tmp_path / ".vendorguard-waivers.yaml").write_text(
        "waivers:\n  - rule: VG-EC2-001\n    resource: aws_ebs_volume.*\n    justification: scratch disks, no PHI\n"
        "    approved_by: ciso@vendor.example\n    expires: 2099-12-31\n")
    waived = vendorguard("scan", "plan", str(plan2), "--format", "json", cwd=tmp_path)
    assert waived.returncode == 0 and json.loads(waived.stdout)["summary"]["by_status"]["WAIVED"] == 2
    # several formats to a directory; then re-render the saved JSON
    out = tmp_path / "out"
    multi = vendorguard("scan", "plan", str(plan2), "--format", "json", "--format", "table", "--output-dir", str(out))
    assert multi.returncode == 1 and sorted(p.name for p in out.iterdir()) == ["vendorguard.json", "vendorguard.txt"]
    again = vendorguard("report", str(out / "vendorguard.json"), "--format", "table")
    assert again.returncode == 1 and "VG-EC2-001" in again.stdout
    assert vendorguard("report", str(plan2)).returncode == 2  # a plan is not a results document
    assert vendorguard("scan", "plan", str(plan2), "--format", "json", "--format", "table").returncode == 2
