"""The GitHub Action and the pre-commit hooks name commands and formats that exist; a CI run says
why it exits as it does, marks what is new and lists the waivers to review."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from conftest import ROOT, plan_of, vendorguard, write
from vendorguard.scanner.reports import FORMATS


def test_action_uses_real_formats_and_uploads_sarif() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    script = "\n".join(step.get("run", "") for step in action["runs"]["steps"])
    formats = re.findall(r"--format (\w+)", script)
    assert formats and set(formats) <= set(FORMATS)
    assert any(step.get("uses", "").startswith("github/codeql-action/upload-sarif") for step in action["runs"]["steps"])
    assert set(action["inputs"]) >= {"source", "files", "packs", "fail-on", "baseline"}


def test_pre_commit_hooks_call_vendorguard_commands() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    entries = {h["id"]: h["entry"] for h in hooks}
    assert entries["vendorguard-plan"].startswith("vendorguard scan plan")
    assert entries["vendorguard-packs"] == "vendorguard packs validate"
    for hook in hooks:
        re.compile(hook["files"])


# -- what a CI log shows --------------------------------------------------------------------------
def _efs(name: str) -> dict[str, Any]:
    """An unencrypted EFS file system: VG-EFS-001 (high) FAILs it."""
    return {"type": "aws_efs_file_system", "name": name, "values": {"creation_token": name, "encrypted": False}}


def test_a_ci_run_ends_with_why_it_exits_and_lists_new_findings_and_waivers_to_review(tmp_path: Path) -> None:
    """A plan scanned against a baseline that lacks one of its FAILs, with a waiver that expired
    (its FAIL fails again) and one that matches nothing: the table tags the new FAIL and lists both
    waivers; the last line on stderr says why the exit code is 1, and stays with --quiet."""
    before = write(tmp_path / "before.tfplan.json", plan_of(_efs("a"), _efs("b")))
    baseline = tmp_path / "baseline.json"
    first = vendorguard("scan", "plan", str(before), "--format", "json", "-o", str(baseline), cwd=tmp_path)
    assert first.returncode == 1 and first.stderr.splitlines()[-1].startswith("exit 1: 2 FAIL at or above low;")
    write(tmp_path / "plan.json", plan_of(_efs("a"), _efs("b"), _efs("c")))
    (tmp_path / "waivers.yaml").write_text(yaml.safe_dump({"waivers": [
        {"rule": "VG-EFS-001", "resource": "aws_efs_file_system.a", "justification": "encrypting in Q1",
         "approved_by": "ciso@example.com", "expires": "2024-12-31"},
        {"rule": "VG-RDS-004", "resource": "aws_db_instance.gone", "justification": "database removed",
         "approved_by": "ciso@example.com", "expires": "2099-01-01"},
    ]}))
    args = ("scan", "plan", "plan.json", "--baseline", "baseline.json", "--waivers", "waivers.yaml", "--fail-on", "high")
    run = vendorguard(*args, cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    reason = run.stderr.splitlines()[-1]
    assert reason.startswith("exit 1: 3 FAIL at or above high, 1 of them new since the baseline; "), reason
    assert reason.endswith("; waivers to review: 1 expired, 1 stale"), reason

    findings, tail = run.stdout.split("\nbaseline baseline.json")
    rows = {line.split("│")[4].strip(): line.split("│")[1].strip() for line in findings.splitlines()
            if "VG-EFS-001" in line}
    assert rows == {"aws_efs_file_system.a": "FAIL", "aws_efs_file_system.b": "FAIL",
                    "aws_efs_file_system.c": "FAIL NEW"}
    tail = "baseline baseline.json" + tail
    assert tail.startswith("baseline baseline.json: 1 new FAIL, 0 fixed since then\nwaivers to review (waivers.yaml)")
    waivers = [line.split("│")[1:4] for line in tail.splitlines() if line.startswith("│")]
    assert [[cell.strip() for cell in row] for row in waivers] == [
        ["EXPIRED", "VG-EFS-001", "aws_efs_file_system.a"], ["STALE", "VG-RDS-004", "aws_db_instance.gone"]]

    quiet = vendorguard(*args, "-q", "--format", "json", "-o", "out.json", cwd=tmp_path)
    assert quiet.returncode == 1 and quiet.stderr == reason + "\n"
    again = vendorguard("report", "out.json", "--fail-on", "critical", cwd=tmp_path)
    assert again.returncode == 0 and again.stderr.splitlines()[-1].startswith("exit 0: no FAIL at or above critical (3 below: 3 high)")
