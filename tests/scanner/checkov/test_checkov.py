"""checkov, run for real from `.venv-checkov` (``make install``), on HCL with modules and variables,
and merged with our engine on plans.  checkov missing is a failure here, never a skip."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import FIXTURES, ROOT, scan_source
from planbuilder import build_plan
from vendorguard.scanner.checkov import mapping, merge, runner
from vendorguard.scanner.catalog import select
from vendorguard.scanner.engine import Engine
from vendorguard.scanner.errors import InputError
from vendorguard.scanner.model import DOMAINS, Status
from vendorguard.scanner.sources.tfplan import read_plan

CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
HCL = FIXTURES / "hcl"


def _rel(path: Path) -> str:
    """How a user standing in the current directory names `path`."""
    return os.path.relpath(path)


@pytest.fixture(scope="session")
def checkov_path() -> str:
    assert CHECKOV.is_file(), f"{CHECKOV} is missing: run `make install` (or `make -f checkov.mk checkov`)"
    return str(CHECKOV)


@pytest.fixture(scope="module")
def hcl(checkov_path: str) -> Any:
    app, network = _rel(HCL / "app"), _rel(HCL / "network")
    report = scan_source("terraform-hcl", [app, network], [], checkov=checkov_path)
    return report, app, network


def one(results: list[Any], rule_id: str, address: str) -> Any:
    found = [r for r in results if r.rule_id == rule_id and r.address == address]
    assert len(found) == 1, [(r.rule_id, r.address, r.status) for r in results]
    return found[0]


# -- HCL directories ------------------------------------------------------------------------------
def test_tfvars_override_variable_defaults(hcl: Any) -> None:
    report, app, _ = hcl
    # encrypt_data_volume defaults to false; terraform.tfvars sets it true.
    data = one(report.results, "VG-EC2-001", "aws_ebs_volume.data")
    assert data.status is Status.PASS
    # encrypt_scratch_volume keeps its default (false).
    scratch = one(report.results, "VG-EC2-001", "aws_ebs_volume.scratch")
    assert scratch.status is Status.FAIL
    assert scratch.file == os.path.normpath(os.path.join(app, "main.tf")) and scratch.line == 28
    assert scratch.evidence["checkov"]["checks"][0]["lines"] == [28, 32]
    # admin_cidrs is a list variable replaced by tfvars (0.0.0.0/0).  CKV_AWS_24 (port 22) and
    # CKV_AWS_25 (port 3389) are related to VG-EC2-004 (SSH, RDP and WinRM), not equivalent: their
    # verdicts are shown beside the rule's UNKNOWN, never as its verdict.
    bastion = one(report.results, "VG-EC2-004", "aws_security_group.bastion")
    assert bastion.status is Status.UNKNOWN and bastion.reason.startswith(mapping.NO_EQUIVALENT)
    checks = {c["check_id"]: c["status"] for c in bastion.evidence["checkov_related"]}
    assert checks == {"CKV_AWS_24": "FAIL", "CKV_AWS_25": "PASS"}
    # One rule, several equivalent checks (the public access block flags): FAIL wins.
    block = one(report.results, "VG-S3-006", "module.storage.aws_s3_bucket_public_access_block.documents")
    assert block.status is Status.FAIL and block.evidence["checkov"]["check_id"] == "CKV_AWS_56"


def test_module_resources_keep_their_module_address_file_and_line(hcl: Any) -> None:
    report, app, _ = hcl
    module_file = os.path.normpath(os.path.join(app, "modules", "storage", "main.tf"))
    records = one(report.results, "VG-DDB-002", "module.storage.aws_dynamodb_table.records")
    # point_in_time: root tfvars → root variable → module input → module variable.
    assert records.status is Status.PASS
    assert (records.file, records.line) == (module_file, 1)
    assert records.resource_type == "aws_dynamodb_table"
    cache = one(report.results, "VG-DDB-002", "module.storage.aws_dynamodb_table.cache")
    assert cache.status is Status.FAIL and cache.line == 21
    assert one(report.results, "VG-DDB-001", "module.storage.aws_dynamodb_table.records").status is Status.PASS


def test_what_checkov_cannot_decide_is_unknown_not_absent(hcl: Any) -> None:
    report, app, _ = hcl
    # encrypted = var.archive_encrypted, a variable with no default and no value in tfvars:
    # checkov leaves CKV_AWS_3 out of its report; silence must not look like a pass.
    archive = one(report.results, "VG-EC2-001", "aws_ebs_volume.archive")
    assert archive.status is Status.UNKNOWN and "no verdict (CKV_AWS_3)" in archive.reason
    assert archive.file == os.path.normpath(os.path.join(app, "main.tf"))
    notes = " ".join(report.inventories[0].notes)
    assert "VG-S3-003" in notes  # a rule no checkov check maps to is named, not silently skipped


def test_var_files_are_passed_to_checkov(checkov_path: str) -> None:
    app = _rel(HCL / "app")
    report = scan_source("terraform-hcl", [app], [], checkov=checkov_path, var_files=[os.path.join(app, "archive.tfvars")])
    assert one(report.results, "VG-EC2-001", "aws_ebs_volume.archive").status is Status.PASS


def test_a_skip_comment_is_a_waiver_with_its_reason(hcl: Any) -> None:
    report, _, _ = hcl
    kept = one(report.results, "VG-S3-004", "module.storage.aws_s3_bucket.documents")
    assert kept.status is Status.WAIVED
    assert "object versions are kept by the central backup vault" in kept.reason
    assert kept.waiver["justification"] == "object versions are kept by the central backup vault"


def test_every_directory_is_scanned(hcl: Any) -> None:
    # checkov given several -d repeats the first directory: each directory gets its own run.
    report, _, network = hcl
    vpc = one(report.results, "VG-VPC-001", "aws_vpc.main")
    assert vpc.status is Status.FAIL
    assert (vpc.file, vpc.line) == (os.path.normpath(os.path.join(network, "main.tf")), 1)
    assert [inv.origin for inv in report.inventories] == [_rel(HCL / "app"), network]


def test_results_are_ours_without_all_checkov(hcl: Any) -> None:
    report, _, _ = hcl
    assert report.results
    for result in report.results:
        assert result.source == "terraform-hcl"
        assert result.rule_id.startswith("VG-") and result.domain in DOMAINS
        assert result.controls, result.rule_id
    assert len({(r.rule_id, r.address) for r in report.results}) == len(report.results)


def test_the_report_matches_the_published_schema(hcl: Any) -> None:
    import jsonschema

    report, _, _ = hcl
    schema = json.loads((ROOT / "policies" / "schemas" / "results.schema.json").read_text())
    document = json.loads(json.dumps(report.to_document()))
    jsonschema.validate(document, schema)
    assert document["scan"]["checkov"]["version"]


def test_unmapped_checks_appear_only_with_all_checkov(checkov_path: str) -> None:
    _, selection = select([])
    cited = set(mapping.rules_by_check(selection.rules))
    run = runner.run_checkov(HCL / "app", "terraform", checkov=checkov_path)  # every check
    mapped = mapping.map_checks(run.checks, selection, source="terraform-hcl")
    everything = mapping.map_checks(run.checks, selection, all_checkov=True, source="terraform-hcl")
    assert all(r.domain != "unmapped" for r in mapped)
    unmapped = [r for r in everything if r.domain == "unmapped"]
    assert unmapped and len(everything) == len(mapped) + len(unmapped)
    for result in unmapped:
        assert result.rule_id not in cited and result.rule_id.startswith("CKV")
        assert result.severity == "low" and result.controls == []
        assert result.evidence["checkov"]["check_id"] == result.rule_id
    assert {c.check_id for c in run.checks} - cited == {r.rule_id for r in unmapped}


def test_scan_terraform_passes_all_checkov_through(checkov_path: str) -> None:
    network = _rel(HCL / "network")
    report = scan_source("terraform-hcl", [network], [], checkov=checkov_path, all_checkov=True)
    assert one(report.results, "CKV2_AWS_1", "aws_network_acl.spare").domain == "unmapped"
    assert one(report.results, "VG-EC2-009", "aws_subnet.public").status is Status.FAIL


# -- plans: our engine and checkov, merged -----------------------------------------------------------
@pytest.fixture(scope="module")
def merged(checkov_path: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    plan = build_plan([
        {"type": "aws_s3_bucket", "name": "open", "values": {"bucket": "open", "server_side_encryption_configuration": []}},
        {"type": "aws_ebs_volume", "name": "unknown", "values": {"size": 1}, "unknown": ["encrypted"]},
        {"type": "aws_ebs_volume", "name": "good", "values": {"size": 1, "encrypted": True}},
        {"type": "aws_s3_bucket", "name": "claims", "values": {"bucket": "claims"}},
        {"type": "aws_s3_bucket_public_access_block", "name": "claims",
         "values": {"bucket": "${aws_s3_bucket.claims.id}", "block_public_acls": True, "block_public_policy": True,
                    "ignore_public_acls": True, "restrict_public_buckets": True}},
        {"type": "aws_guardduty_detector", "name": "main", "values": {"enable": True}},
    ], account_id="111122223333")
    path = tmp_path_factory.mktemp("plan") / "plan.json"
    path.write_text(json.dumps(plan, indent=1))
    return scan_source("terraform-plan", [str(path)], [], with_checkov=True, checkov=checkov_path), str(path)


def test_a_disagreement_keeps_both_verdicts(merged: Any) -> None:
    report, _ = merged
    # A plan-time unknown: we say UNKNOWN, checkov's equivalent check fails it.
    unknown = one(report.results, "VG-EC2-001", "aws_ebs_volume.unknown")
    assert unknown.status is Status.UNKNOWN
    verdict = unknown.evidence["checkov"]
    assert (verdict["check_id"], verdict["status"], verdict["agrees"]) == ("CKV_AWS_3", "FAIL", False)
    assert "checkov disagrees" in unknown.reason and "vendorguard says UNKNOWN, checkov says FAIL" in unknown.reason
    assert "encrypted" in unknown.evidence  # our own evidence is kept


def test_a_related_check_is_evidence_not_a_disagreement(merged: Any) -> None:
    report, _ = merged
    # CKV_AWS_19 passes a bucket with no encryption configuration (SSE-S3 by default): related to
    # VG-S3-001 (default encryption declared), so beside our FAIL, marked as related.
    result = one(report.results, "VG-S3-001", "aws_s3_bucket.open")
    assert result.status is Status.FAIL and "checkov" not in result.evidence
    assert [(c["check_id"], c["status"]) for c in result.evidence["checkov_related"]] == [("CKV_AWS_19", "PASS")]
    assert all(c["relation"].startswith("related") for c in result.evidence["checkov_related"])
    assert "disagrees" not in result.reason
    assert "server_side_encryption_configuration" in result.evidence  # our own evidence is kept


def test_agreement_collapses_into_one_result(merged: Any) -> None:
    report, path = merged
    good = one(report.results, "VG-EC2-001", "aws_ebs_volume.good")
    assert good.status is Status.PASS and good.evidence["checkov"]["agrees"] is True
    assert "disagrees" not in good.reason and good.file == path
    assert len({(r.rule_id, r.address) for r in report.results}) == len(report.results)


def test_split_children_join_their_parent_and_scopes_join_the_scope_result(merged: Any) -> None:
    report, _ = merged
    bucket = one(report.results, "VG-S3-006", "aws_s3_bucket.claims")
    assert bucket.status is Status.PASS
    seen = {(c["check_id"], c["address"]) for c in bucket.evidence["checkov"]["checks"]}
    assert ("CKV_AWS_53", "aws_s3_bucket_public_access_block.claims") in seen
    assert ("CKV2_AWS_6", "aws_s3_bucket.claims") in seen
    assert not [r for r in report.results if r.address == "aws_s3_bucket_public_access_block.claims"]
    detector = one(report.results, "VG-GD-001", "111122223333/us-east-1/aws_guardduty_detector")
    assert {c["check_id"] for c in detector.evidence["checkov"]["checks"]} == {"CKV_AWS_238"}
    assert detector.status is Status.PASS and detector.evidence["checkov"]["agrees"] is True
    # CKV2_AWS_3 (an organization configuration) is related: beside the result, not a disagreement.
    assert [(c["check_id"], c["status"]) for c in detector.evidence["checkov_related"]] == [("CKV2_AWS_3", "FAIL")]
    assert "disagrees" not in detector.reason


def _check(check_id: str, status: Status, address: str) -> runner.CheckovCheck:
    return runner.CheckovCheck(check_id, f"check {check_id}", status, address, "/tmp/plan-0.json", (1, 2))


def test_merge_never_drops_a_checkov_result() -> None:
    plan = build_plan([{"type": "aws_ebs_volume", "name": "v", "values": {"size": 1, "encrypted": True}}])
    inventory = read_plan("plan.json", json.loads(json.dumps(plan)))
    _, selection = select([])
    ours = Engine(selection).run(inventory)
    checks = [
        _check("CKV_AWS_3", Status.PASS, "aws_ebs_volume.v"),          # joins ours
        _check("CKV_AWS_16", Status.FAIL, "aws_db_instance.x"),        # no result of ours to join
        _check("CKV_AWS_24", Status.FAIL, "aws_security_group_rule.x"),  # related only: not a verdict
        _check("CKV_AWS_189", Status.FAIL, "aws_ebs_volume.v"),        # cited by no rule
    ]
    merged = merge.merge_plan(ours, inventory, checks, selection)
    assert len(merged) == len(ours) + 1
    alone = one(merged, "VG-RDS-001", "aws_db_instance.x")
    assert alone.status is Status.FAIL and "no result of this rule" in alone.reason
    assert not [r for r in merged if r.address == "aws_security_group_rule.x"]
    assert one(merged, "VG-EC2-001", "aws_ebs_volume.v").evidence["checkov"]["agrees"] is True
    everything = merge.merge_plan(ours, inventory, checks, selection, all_checkov=True)
    unmapped = one(everything, "CKV_AWS_189", "aws_ebs_volume.v")
    assert unmapped.domain == "unmapped" and unmapped.status is Status.FAIL
    assert one(everything, "CKV_AWS_24", "aws_security_group_rule.x").domain == "unmapped"


# -- finding checkov, and failing loudly ------------------------------------------------------------
def _script(tmp_path: Path, body: str) -> str:
    path = tmp_path / "fake-checkov"
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_a_missing_checkov_path_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no checkov there") as exc:
        scan_source("terraform-hcl", [_rel(HCL / "app")], [], checkov=str(tmp_path / "nowhere" / "checkov"))
    assert "\n" not in str(exc.value)


def test_the_environment_variable_names_checkov(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(runner.ENV_CHECKOV, str(tmp_path / "missing"))
    with pytest.raises(InputError, match="VENDORGUARD_CHECKOV"):
        runner.find_checkov()
    fake = _script(tmp_path, "exit 0")
    monkeypatch.setenv(runner.ENV_CHECKOV, fake)
    assert runner.find_checkov() == fake
    assert runner.find_checkov(str(CHECKOV)) == str(CHECKOV)  # the argument wins


def test_no_checkov_anywhere_says_how_to_get_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(runner.ENV_CHECKOV, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(runner, "_project_root", lambda: tmp_path)
    with pytest.raises(InputError, match="make install"):
        runner.find_checkov()


def test_the_project_checkov_is_found_by_default(monkeypatch: pytest.MonkeyPatch, checkov_path: str) -> None:
    monkeypatch.delenv(runner.ENV_CHECKOV, raising=False)
    assert Path(runner.find_checkov()).resolve() == Path(checkov_path).resolve()


def test_checkov_failing_is_an_input_error(tmp_path: Path) -> None:
    fake = _script(tmp_path, "echo 'Traceback: something broke' >&2\nexit 3")
    with pytest.raises(InputError, match=r"checkov failed \(exit 3\): Traceback: something broke"):
        scan_source("terraform-hcl", [_rel(HCL / "app")], [], checkov=fake)


@pytest.mark.parametrize("output,message", [
    ("echo 'this is not json'", "not its JSON report"),
    ("true", "printed nothing"),
    ("echo '[1, 2]'", "not its report"),
])
def test_unreadable_checkov_output_is_an_input_error(tmp_path: Path, output: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        scan_source("terraform-hcl", [_rel(HCL / "app")], [], checkov=_script(tmp_path, output))


def test_checkov_runs_offline_without_an_api_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "seen"
    fake = _script(tmp_path, f'env > "{log}.env"\necho "$@" > "{log}.args"\n'
                             "echo '{\"passed\": 0, \"failed\": 0, \"skipped\": 0, \"parsing_errors\": 0, "
                             "\"resource_count\": 0, \"checkov_version\": \"fake\"}'")
    monkeypatch.setenv("BC_API_KEY", "secret-key")
    report = scan_source("terraform-hcl", [_rel(HCL / "network")], [], checkov=fake)
    assert report.results == []
    env = dict(line.split("=", 1) for line in (tmp_path / "seen.env").read_text().splitlines() if "=" in line)
    assert env["BC_SKIP_MAPPING"] == "TRUE" and env["CKV_SKIP_PACKAGE_UPDATE_CHECK"] == "true"
    assert "BC_API_KEY" not in env
    args = (tmp_path / "seen.args").read_text().split()
    for flag in ("--skip-download", "--soft-fail", "--compact"):
        assert flag in args
    assert args[args.index("-o") + 1] == "json" and args[args.index("--framework") + 1] == "terraform"
    assert "--check" not in args  # every check: silence on a resource must be visible


def test_hcl_checkov_cannot_parse_is_an_input_error(checkov_path: str) -> None:
    with pytest.raises(InputError, match="checkov could not parse this file") as exc:
        scan_source("terraform-hcl", [_rel(HCL / "broken")], [], checkov=checkov_path)
    assert exc.value.where == os.path.join(_rel(HCL / "broken"), "main.tf")


def test_a_checkov_run_that_times_out_is_an_input_error(checkov_path: str) -> None:
    with pytest.raises(InputError, match="did not finish within"):
        runner.run_checkov(HCL / "network", "terraform", checkov=checkov_path, timeout=0.05)


@pytest.mark.parametrize("kind,message", [
    ("absent", "no such directory"), ("empty", "no Terraform files"), ("file", "not a directory")])
def test_directories_are_checked_before_checkov_runs(tmp_path: Path, kind: str, message: str) -> None:
    # checkov itself reports a missing directory as an empty, clean scan (exit 0).
    target = tmp_path / kind
    if kind == "empty":
        target.mkdir()
        (target / "README.md").write_text("no Terraform here")
    elif kind == "file":
        target.write_text('resource "aws_vpc" "x" {}')
    with pytest.raises(InputError, match=message):
        scan_source("terraform-hcl", [str(target)], [], checkov=str(CHECKOV))


def test_checkov_is_never_imported_into_our_process() -> None:
    code = "import sys, vendorguard.scanner.checkov; assert 'checkov' not in sys.modules, sorted(sys.modules)"
    subprocess.run([sys.executable, "-c", code], check=True)
