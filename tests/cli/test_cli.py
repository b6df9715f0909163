"""The command line, run as a user runs it: exit codes, one-line errors, files written whole."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import plan_of, vendorguard, write
from vendorguard.scanner.reports import FORMATS

SECRET = "s3cr3t-Passw0rd-that-must-never-print"


@pytest.fixture
def risky_plan(tmp_path: Path) -> Path:
    return write(tmp_path / "plan.json", plan_of(
        {"type": "aws_db_instance", "name": "claims", "values": {
            "storage_encrypted": False, "publicly_accessible": False, "password": SECRET, "engine": "postgres",
            "backup_retention_period": 7, "multi_az": True, "deletion_protection": True,
            "iam_database_authentication_enabled": True, "auto_minor_version_upgrade": True,
            "enabled_cloudwatch_logs_exports": ["postgresql"]},
         "sensitive": ["password"]},
    ))


def test_json_report_has_the_documented_shape_and_exit_code_1_on_findings(risky_plan: Path) -> None:
    run = vendorguard("scan", "plan", str(risky_plan), "--format", "json")
    assert run.returncode == 1, run.stderr
    document = json.loads(run.stdout)
    assert set(document) >= {"results", "summary"}
    failed = [r for r in document["results"] if r["status"] == "FAIL"]
    assert [r["rule_id"] for r in failed] == ["VG-RDS-001"]
    for key in ("rule_id", "domain", "severity", "status", "address", "resource_type", "reason", "account", "region"):
        assert key in failed[0]
    assert failed[0]["reason"] == "storage_encrypted = false"
    assert failed[0]["region"] == "us-east-1"


def test_fail_on_threshold_decides_the_exit_code(risky_plan: Path) -> None:
    assert vendorguard("scan", "plan", str(risky_plan), "--format", "json", "--fail-on", "critical").returncode == 1
    ok_plan = write(risky_plan.parent / "ok.json", plan_of({"type": "aws_ebs_volume", "name": "v",
                                                            "values": {"encrypted": True}}))
    assert vendorguard("scan", "plan", str(ok_plan), "--format", "json").returncode == 0


def test_stdin_and_output_file(risky_plan: Path, tmp_path: Path) -> None:
    out = tmp_path / "scan.json"
    run = vendorguard("scan", "plan", "-", "--format", "json", "-o", str(out), stdin=risky_plan.read_text())
    assert run.returncode == 1
    assert json.loads(out.read_text())["summary"]["by_status"]["FAIL"] == 1
    assert run.stdout == ""


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_sensitive_values_appear_in_no_output(risky_plan: Path, fmt: str) -> None:
    run = vendorguard("scan", "plan", str(risky_plan), "--format", fmt)
    assert SECRET not in run.stdout + run.stderr


@pytest.mark.parametrize("content,problem", [
    ('{"format_version": "1.2", "resource_ch', "not valid JSON"),
    ('{"hello": "world"}', "not a Terraform plan"),
    ('{"format_version": "1.2", "resource_changes": [{"type": 1, "change": 5}]}', "malformed plan"),
    ("", "empty, not JSON"),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path: Path, content: str, problem: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    out = tmp_path / "out.json"
    run = vendorguard("scan", "plan", str(bad), "--format", "json", "-o", str(out))
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr
    assert str(bad) in run.stderr and problem in run.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == [bad]


def test_missing_file_and_directory(tmp_path: Path) -> None:
    for target, problem in ((tmp_path / "nope.json", "no such file"), (tmp_path, "is a directory")):
        run = vendorguard("scan", "plan", str(target))
        assert run.returncode == 2 and problem in run.stderr and "Traceback" not in run.stderr


def test_a_bad_file_among_good_ones_fails_the_whole_scan(risky_plan: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    out = tmp_path / "out.json"
    run = vendorguard("scan", "plan", str(risky_plan), str(bad), "--format", "json", "-o", str(out))
    assert run.returncode == 2 and not out.exists()


def test_packs_list_show_validate() -> None:
    listed = vendorguard("packs", "list")
    assert listed.returncode == 0 and "hipaa" in listed.stdout and "vendor-article" in listed.stdout
    shown = vendorguard("packs", "show", "hipaa")
    assert "164.312(a)(2)(iv)" in shown.stdout and "VG-RDS-001" in shown.stdout


CUSTOM = """
rules:
  - id: ACME-TAG-001
    title: Volumes carry an owner tag
    severity: low
    domain: access-control
    resource_types: [aws_ebs_volume]
    condition: "tags.Owner != null"
    rationale: Someone must answer for every disk.
    remediation: {text: Tag it.}
    references: {hipaa: ["164.308(a)(3)(ii)(A)"]}
pack:
  id: acme
  title: ACME house rules
  version: "1"
  controls:
    - id: owners
      title: Owned resources
      rules: [ACME-TAG-001, VG-EC2-001]
"""


def test_custom_pack_file_runs_its_own_and_shipped_rules(tmp_path: Path) -> None:
    pack = tmp_path / "acme.yaml"
    pack.write_text(CUSTOM)
    assert "valid" in vendorguard("packs", "validate", str(pack)).stdout
    plan = write(tmp_path / "p.json", plan_of({"type": "aws_ebs_volume", "name": "v", "values": {"encrypted": True}}))
    run = vendorguard("scan", "plan", str(plan), "--pack", str(pack), "--format", "json")
    results = {r["rule_id"]: r["status"] for r in json.loads(run.stdout)["results"]}
    assert results == {"ACME-TAG-001": "FAIL", "VG-EC2-001": "PASS"}
    assert json.loads(run.stdout)["results"][0]["controls"] == ["acme:owners"]


@pytest.mark.parametrize("mutation,problem", [
    (lambda t: t.replace("severity: low", "severity: catastrophic"), "schema error at rules/0/severity"),
    (lambda t: t.replace('"tags.Owner != null"', '"tags.Owner !="'), "rule ACME-TAG-001: condition is not a valid"),
    (lambda t: t.replace("[ACME-TAG-001, VG-EC2-001]", "[ACME-TAG-001, VG-NOPE-001]"), "unknown rule(s) VG-NOPE-001"),
    (lambda t: t.replace("id: ACME-TAG-001", "id: VG-EC2-001"), "already defined"),
    (lambda t: t + "\n  - [", "not valid YAML"),
    (lambda t: "!!python/object/apply:os.system ['echo pwned']", "not valid YAML"),
])
def test_invalid_packs_are_exit_2_naming_the_file_and_the_problem(tmp_path: Path, mutation, problem: str) -> None:
    pack = tmp_path / "acme.yaml"
    pack.write_text(mutation(CUSTOM))
    run = vendorguard("packs", "validate", str(pack))
    assert run.returncode == 2, run.stdout
    assert str(pack) in run.stderr and problem in run.stderr and "Traceback" not in run.stderr
    assert "pwned" not in run.stdout


def test_unknown_pack_name() -> None:
    run = vendorguard("scan", "plan", "x.json", "--pack", "sox")
    assert run.returncode == 2 and "no such pack" in run.stderr


def test_plan_scan_does_not_import_heavy_modules(risky_plan: Path) -> None:
    code = ("import os, sys, runpy\n"
            "real_exit = os._exit\n"
            "def report(code):\n"
            "    heavy = [m for m in ('boto3', 'botocore', 'pulumi', 'checkov', 'rich', 'jsonschema', 'sqlalchemy', 'alembic', 'psycopg', 'celery', 'redis') if m in sys.modules]\n"
            "    sys.stderr.write('HEAVY=' + repr(heavy)); sys.stderr.flush(); real_exit(code)\n"
            "os._exit = report\n"
            "sys.argv = ['vendorguard', 'scan', 'plan', PLAN, '--format', 'json']\n"
            "runpy.run_module('vendorguard.cli.main', run_name='__main__')\n").replace("PLAN", repr(str(risky_plan)))
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "HEAVY=[]" in run.stderr, run.stderr[-500:]


def test_provision_check_passes_and_deploying_without_the_pulumi_cli_is_one_line(tmp_path: Path) -> None:
    checked = vendorguard("provision", "check", "--template", "hipaa-baseline", "--format", "json")
    assert checked.returncode == 0, checked.stderr
    assert json.loads(checked.stdout)["summary"]["by_status"]["FAIL"] == 0
    weakened = vendorguard("provision", "check", "--config", "vendorguard:disable=versioning", "--format", "json")
    assert weakened.returncode == 1
    assert {r["rule_id"] for r in json.loads(weakened.stdout)["results"] if r["status"] == "FAIL"} == {"VG-S3-004"}
    import os
    env = {**os.environ, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    run = subprocess.run([sys.executable, "-m", "vendorguard.cli.main", "provision", "up", "--stack", "dev"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 2 and run.stderr.count("\n") == 1 and "Pulumi CLI is not installed" in run.stderr


def test_a_report_to_a_pipe_or_device_is_written_into_it_not_renamed_over_it(risky_plan: Path, tmp_path: Path) -> None:
    """`-o /dev/null` or `-o some.fifo`: the report goes through the special file; the write-then-
    rename that keeps regular files whole would replace the device (as root, /dev/null itself)."""
    import os
    import stat
    import threading

    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    done = vendorguard("scan", "plan", str(risky_plan), "--format", "json", "-o", str(fifo), "-q")
    reader.join(timeout=30)
    assert done.returncode == 1, done.stderr
    assert stat.S_ISFIFO(fifo.stat().st_mode), "the pipe was replaced by a regular file"
    assert json.loads(received[0])["summary"]["by_status"]["FAIL"] > 0
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".report")] == []
