"""SARIF results point at the resource in the scanned file: the line (and column) of its object in a
plan, state or Pulumi JSON; the line of its block in a ``.tf`` file for an HCL scan (checkov's).

Each input is scanned by the real pipeline and rendered the way `vendorguard scan --format sarif`
does, the log is checked against the official SARIF 2.1.0 schema, and every location is checked
by opening the file and reading the line it names.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from conftest import FIXTURES, ROOT, plan_of, scan_source
from planbuilder import build_state
from test_reports import DEMO_PLAN, _assert_valid_sarif
from vendorguard.scanner import locations
from vendorguard.scanner.reports import sarif

#: A resource address: optional module steps, then ``type.name`` and an optional instance key.
_ADDRESS = re.compile(r'^(?:(?P<module>.*)\.)?(?P<type>aws_[a-z0-9_]+)\.(?P<name>[A-Za-z0-9_-]+)(?:\[.*\])?$')


def sarif_of(source: str, path: Path, **options: Any) -> list[dict[str, Any]]:
    """(address, file, region) of each SARIF result of a scan of `path`, scanned and rendered from
    its directory with a relative name, as in a CI checkout."""
    mp = pytest.MonkeyPatch()
    mp.chdir(path.parent)
    try:
        document = json.loads(json.dumps(scan_source(source, [path.name], **options).to_document()))
        log = json.loads(sarif.render(document))
    finally:
        mp.undo()
    _assert_valid_sarif(log)
    return [{"address": r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"],
             "uri": r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
             "region": r["locations"][0]["physicalLocation"]["region"]} for r in log["runs"][0]["results"]]


def at(path: Path, region: dict[str, Any]) -> str:
    """The file's text from the region's start (its line, from its column)."""
    line = path.read_text(encoding="utf-8").split("\n")[region["startLine"] - 1]
    return line[region.get("startColumn", 1) - 1:]


def assert_each_resource_located(path: Path, results: list[dict[str, Any]], key: str) -> int:
    """Every result on a resource of the file is at its ``"address"`` (or ``"urn"``); the others
    (account/region-level verdicts) at line 1.  Returns how many were located."""
    text = path.read_text(encoding="utf-8")
    located = 0
    for result in results:
        assert result["uri"] == path.name
        written = f'"{key}": {json.dumps(result["address"])}'
        if written in text:
            assert at(path, result["region"]).startswith(written), result
            assert result["region"]["endLine"] == result["region"]["startLine"]
            located += 1
        else:
            assert result["region"] == {"startLine": 1, "endLine": 1}, result
    return located


def test_a_pretty_printed_plan_points_at_each_resource_line(tmp_path: Path) -> None:
    plan = tmp_path / "billing.tfplan.json"
    plan.write_text(DEMO_PLAN.read_text())
    results = sarif_of("terraform-plan", plan)
    assert assert_each_resource_located(plan, results, "address") >= 20
    assert len({r["region"]["startLine"] for r in results}) >= 10  # not every finding on one line


def test_a_one_line_plan_points_at_the_column_of_modules_and_instances(tmp_path: Path) -> None:
    """``terraform show -json`` writes the plan on one line: the column is what points."""
    resources = [{"type": "aws_efs_file_system", "name": "fs", "module": "module.files", "index": key,
                  "values": {"encrypted": False}} for key in ("blue", "grün")]
    resources.append({"type": "aws_efs_file_system", "name": "root", "index": 0, "values": {"encrypted": False}})
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(plan_of(*resources)))  # ASCII-escaped, keys escaped: ["gr\u00fcn"]
    assert "\n" not in plan.read_text()
    results = sarif_of("terraform-plan", plan)
    located = {r["address"] for r in results if "startColumn" in r["region"]}
    assert located == {'module.files.aws_efs_file_system.fs["blue"]', 'module.files.aws_efs_file_system.fs["grün"]',
                       "aws_efs_file_system.root[0]"}
    assert assert_each_resource_located(plan, results, "address") == sum("startColumn" in r["region"] for r in results)


STACK = [
    # a data source in a module first: its "module" must not carry over to the next resource
    {"type": "aws_caller_identity", "name": "me", "mode": "data", "module": "module.lookup",
     "values": {"account_id": "111122223333"}},
    {"type": "aws_ebs_volume", "name": "v", "index": 1, "values": {
        "encrypted": False, "availability_zone": "us-east-1a", "arn": "arn:aws:ec2:us-east-1:111122223333:volume/vol-1"}},
    {"type": "aws_db_instance", "name": "claims", "module": "module.db[0]", "values": {
        "identifier": "claims", "engine": "postgres", "storage_encrypted": False, "publicly_accessible": False,
        "arn": "arn:aws:rds:us-east-1:111122223333:db:claims"}},
    {"type": "aws_efs_file_system", "name": "fs", "module": "module.files", "index": "grün", "values": {
        "encrypted": False, "arn": "arn:aws:elasticfilesystem:us-east-1:111122223333:file-system/fs-1"}},
]


def test_a_show_json_state_points_at_each_resource_line(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text(json.dumps(build_state(STACK, "show-json"), indent=2))
    results = sarif_of("terraform-state", state)
    located = assert_each_resource_located(state, results, "address")
    assert located == sum(1 for r in results if _ADDRESS.match(r["address"])) > 0


def test_a_raw_tfstate_points_at_each_resource_object(tmp_path: Path) -> None:
    """A raw ``terraform.tfstate`` has no addresses: the position is the resource's object (its
    ``"module"``, else its ``"mode"``), written once for every instance."""
    state = tmp_path / "terraform.tfstate"
    state.write_text(json.dumps(build_state(STACK, "tfstate"), indent=2, ensure_ascii=False))
    lines = state.read_text(encoding="utf-8").split("\n")
    located = 0
    for result in sarif_of("terraform-state", state):
        parts = _ADDRESS.match(result["address"])
        if parts is None:  # an account/region-level verdict
            assert result["region"] == {"startLine": 1, "endLine": 1}, result
            continue
        start = result["region"]["startLine"] - 1
        module, rtype, name = parts["module"], parts["type"], parts["name"]
        head = [line.strip() for line in lines[start:start + 4]]
        expected = ([f'"module": "{module}",'] if module else []) + [
            '"mode": "managed",', f'"type": "{rtype}",', f'"name": "{name}",']
        assert head[:len(expected)] == expected, (result, head)
        located += 1
    assert located >= 3


def test_a_pulumi_stack_points_at_each_urn(tmp_path: Path) -> None:
    stack = tmp_path / "stack.json"
    stack.write_text(json.dumps(json.loads((FIXTURES / "pulumi" / "stack-export-v7.json").read_text()), indent=2))
    results = sarif_of("pulumi", stack)
    assert assert_each_resource_located(stack, results, "urn") >= 5


def test_positions_are_found_in_one_pass_first_mention_wins() -> None:
    text = '{"a": [\n {"address": "x.y"},\n  {"urn": "urn:pulumi:s::p::aws:s3/bucket:Bucket::b"}, {"address": "x.y"}\n]}'
    assert locations.positions(text) == {"x.y": (2, 3), "urn:pulumi:s::p::aws:s3/bucket:Bucket::b": (3, 4)}
    assert locations.position_of({"module.a[0].t.n": (4, 5)}, 'module.a[0].t.n["k"]') == (4, 5)
    assert locations.file_positions("/nonexistent/plan.json") == {}


def test_a_report_rendered_where_the_plan_is_not_falls_back_to_line_1(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(DEMO_PLAN.read_text())
    mp = pytest.MonkeyPatch()
    mp.chdir(tmp_path)
    try:
        document = json.loads(json.dumps(scan_source("terraform-plan", ["plan.json"]).to_document()))
    finally:
        mp.undo()
    log = json.loads(sarif.render(document))  # from another directory: plan.json is not there
    assert {json.dumps(r["locations"][0]["physicalLocation"]["region"]) for r in log["runs"][0]["results"]} == {
        json.dumps({"startLine": 1, "endLine": 1})}


# -- HCL, through checkov -------------------------------------------------------------------------
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"


def test_hcl_results_point_at_the_resource_block_of_their_tf_file(tmp_path: Path) -> None:
    assert CHECKOV.is_file(), f"{CHECKOV} is missing: run `make install`"
    app = FIXTURES / "hcl" / "app"
    mp = pytest.MonkeyPatch()
    mp.chdir(app.parent)
    try:
        document = json.loads(json.dumps(scan_source("terraform-hcl", ["app"], checkov=str(CHECKOV)).to_document()))
        log = json.loads(sarif.render(document))
    finally:
        mp.undo()
    _assert_valid_sarif(log)
    located = 0
    for result in log["runs"][0]["results"]:
        physical = result["locations"][0]["physicalLocation"]
        parts = _ADDRESS.match(result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"])
        if parts is None:
            continue
        uri = physical["artifactLocation"]["uri"]
        assert uri.startswith("app/") and uri.endswith(".tf"), uri
        line = (app.parent / uri).read_text().split("\n")[physical["region"]["startLine"] - 1]
        assert line.startswith(f'resource "{parts["type"]}" "{parts["name"]}"'), (uri, line)
        located += 1
    assert located >= 5
    assert any("/modules/" in r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
               for r in log["runs"][0]["results"])
