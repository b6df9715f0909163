"""The Terraform state source: ``terraform show -json`` of a state and raw terraform.tfstate v4,
through the CLI and the reader — instances, modules, secrets, folding, accounts from ARNs."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from conftest import PUBLIC, plan_of, run_engine, trust, vendorguard, write
from planbuilder import build_state
from vendorguard.scanner.errors import InputError
from vendorguard.scanner.inputs import parse_json
from vendorguard.scanner.model import REDACTED, UNKNOWN, Status
from vendorguard.scanner.sources.tfstate import read_state

ACCOUNT = "111122223333"
PARTNER = "444455556666"
SECRET = "hunter2-db-password-do-not-print"
SSE = [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms", "kms_master_key_id": "k"}],
        "bucket_key_enabled": True}]
TRUST = trust({"AWS": f"arn:aws:iam::{PARTNER}:root"})


def bucket(name: str) -> dict[str, Any]:
    return {"bucket": name, "id": name, "arn": f"arn:aws:s3:::{name}", "region": "us-east-1",
            "server_side_encryption_configuration": [], "versioning": [{"enabled": False, "mfa_delete": False}]}


#: A deployed stack: a counted module's unencrypted database, for_each buckets in a module with a
#: split encryption configuration, a role trusting a partner, counted volumes, a data source.
STACK: list[dict[str, Any]] = [
    {"type": "aws_db_instance", "name": "claims", "module": "module.db[0]", "sensitive": ["password"],
     "values": {"identifier": "claims", "engine": "postgres", "storage_encrypted": False, "password": SECRET,
                "arn": f"arn:aws:rds:us-east-1:{ACCOUNT}:db:claims", "publicly_accessible": False}},
    {"type": "aws_s3_bucket", "name": "b", "module": "module.store", "index": "claims", "values": bucket("acme-claims")},
    {"type": "aws_s3_bucket", "name": "b", "module": "module.store", "index": "logs", "values": bucket("acme-logs")},
    {"type": "aws_s3_bucket_server_side_encryption_configuration", "name": "e", "module": "module.store",
     "index": "claims", "values": {"id": "acme-claims", "bucket": "acme-claims", "expected_bucket_owner": "",
                                   "rule": SSE},
     "depends_on": ["module.store.aws_s3_bucket.b"]},
    {"type": "aws_iam_role", "name": "partner", "values": {
        "name": "partner", "arn": f"arn:aws:iam::{ACCOUNT}:role/partner", "assume_role_policy": TRUST}},
    {"type": "aws_ebs_volume", "name": "v", "index": 0, "values": {
        "encrypted": True, "availability_zone": "eu-west-1a", "arn": f"arn:aws:ec2:eu-west-1:{ACCOUNT}:volume/vol-0"}},
    {"type": "aws_ebs_volume", "name": "v", "index": 1, "values": {
        "encrypted": False, "availability_zone": "eu-west-1a", "arn": f"arn:aws:ec2:eu-west-1:{ACCOUNT}:volume/vol-1"}},
    {"type": "aws_caller_identity", "name": "me", "mode": "data", "values": {"account_id": "999999999999"}},
]
FORMS = ["show-json", "tfstate"]


def state(resources: list[dict[str, Any]], form: str = "show-json", account: str | None = None):
    return read_state("state.json", json.loads(json.dumps(build_state(resources, form))), account)


def by_address(inventory) -> dict:
    return {r.address: r for r in inventory.resources}


def verdicts(results) -> dict[tuple[str, str], str]:
    return {(r["rule_id"], r["address"]): r["status"] for r in results}


# -- through the CLI -----------------------------------------------------------------------------------
@pytest.mark.parametrize("form", FORMS)
def test_a_state_scans_through_the_cli(tmp_path: Path, form: str) -> None:
    path = str(write(tmp_path / f"{form}.json", build_state(STACK, form)))
    run = vendorguard("scan", "state", path, "--format", "json")
    assert run.returncode == 1, run.stderr  # findings
    assert SECRET not in run.stdout + run.stderr
    report = json.loads(run.stdout)
    [source] = report["scan"]["inputs"]
    assert source["source"] == "terraform-state" and source["origin"] == path
    assert source["metadata"]["format"] == {"show-json": "show-json", "tfstate": "tfstate-v4"}[form]
    if form == "tfstate":
        assert (source["metadata"]["serial"], source["metadata"]["lineage"]) == (7, "2c4e8f3a-0d1b-4c5e-9f6a-7b8c9d0e1f2a")
    results = verdicts(report["results"])
    db = "module.db[0].aws_db_instance.claims"
    assert results[("VG-RDS-001", db)] == "FAIL"
    # the split encryption configuration folded into its bucket (for_each keys in the address)
    assert results[("VG-S3-001", 'module.store.aws_s3_bucket.b["claims"]')] == "PASS"
    assert results[("VG-S3-001", 'module.store.aws_s3_bucket.b["logs"]')] == "FAIL"
    assert not any(r["resource_type"] == "aws_s3_bucket_server_side_encryption_configuration"
                   for r in report["results"])
    # the account comes from the role's own ARN: a trust to another account, without --account-id
    assert results[("VG-TPA-001", "aws_iam_role.partner")] == "FAIL"
    assert results[("VG-EC2-001", "aws_ebs_volume.v[0]")] == "PASS"
    assert results[("VG-EC2-001", "aws_ebs_volume.v[1]")] == "FAIL"
    assert all(r["file"] == path for r in report["results"])
    places = {r["address"]: (r["account"], r["region"]) for r in report["results"]}
    assert places[db] == (ACCOUNT, "us-east-1")
    assert places['module.store.aws_s3_bucket.b["logs"]'] == (ACCOUNT, "us-east-1")  # the state's one account
    assert places["aws_iam_role.partner"] == (ACCOUNT, None)
    assert places["aws_ebs_volume.v[1]"] == (ACCOUNT, "eu-west-1")
    assert not any("aws_caller_identity" in r["address"] for r in report["results"])
    table = vendorguard("scan", "state", path)
    assert table.returncode == 1 and "module.db[0].aws_db_instance.claims" in table.stdout
    assert SECRET not in table.stdout + table.stderr


def test_account_id_overrides_the_arns(tmp_path: Path) -> None:
    path = str(write(tmp_path / "state.json", build_state(STACK, "tfstate")))
    run = vendorguard("scan", "state", path, "--format", "json", "--account-id", PARTNER)
    assert verdicts(json.loads(run.stdout)["results"])[("VG-TPA-001", "aws_iam_role.partner")] == "PASS"


def test_a_state_given_to_scan_plan_is_refused_with_the_command_to_use(tmp_path: Path) -> None:
    for form in FORMS:
        path = str(write(tmp_path / f"{form}.json", build_state(STACK, form)))
        run = vendorguard("scan", "plan", path)
        assert run.returncode == 2 and not run.stdout
        [line] = run.stderr.strip().splitlines()
        assert path in line and "a Terraform state" in line and "`vendorguard scan state`" in line


def test_a_plan_given_to_scan_state_is_refused_with_the_command_to_use(tmp_path: Path) -> None:
    volume = {"type": "aws_ebs_volume", "name": "v", "values": {"encrypted": True}}
    path = str(write(tmp_path / "plan.json", plan_of(volume)))
    run = vendorguard("scan", "state", path)
    assert run.returncode == 2 and not run.stdout
    [line] = run.stderr.strip().splitlines()
    assert path in line and "this is a Terraform plan, not a Terraform state: use `vendorguard scan plan`" in line


def test_a_binary_plan_is_refused_with_how_to_make_json(tmp_path: Path) -> None:
    path = tmp_path / "plan.out"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("tfplan", b"\x00binary plan")
        archive.writestr("tfstate", "{}")
    run = vendorguard("scan", "plan", str(path))
    assert run.returncode == 2 and not run.stdout
    [line] = run.stderr.strip().splitlines()
    assert str(path) in line and "terraform show -json" in line


def test_an_old_state_version_is_refused(tmp_path: Path) -> None:
    old = {"version": 3, "terraform_version": "0.11.14", "serial": 4, "lineage": "x",
           "modules": [{"path": ["root"], "outputs": {}, "resources": {}}]}
    path = str(write(tmp_path / "old.tfstate", old))
    run = vendorguard("scan", "state", path)
    assert run.returncode == 2 and not run.stdout
    [line] = run.stderr.strip().splitlines()
    assert path in line and "unsupported state version 3; expected 4" in line


def test_an_unknown_sensitive_path_form_is_refused_and_prints_no_secret(tmp_path: Path) -> None:
    """Terraform (0.14 to today) and OpenTofu write only lists of path steps, and refuse a state
    holding anything else; guessing what another form hides could print a secret."""
    document = build_state([{"type": "aws_db_instance", "name": "db", "values": {"username": SECRET}}], "tfstate")
    document["resources"][0]["instances"][0]["sensitive_attributes"] = ["username"]
    path = str(write(tmp_path / "odd.tfstate", document))
    run = vendorguard("scan", "state", path)
    assert run.returncode == 2 and not run.stdout and SECRET not in run.stderr
    [line] = run.stderr.strip().splitlines()
    assert path in line and "aws_db_instance.db" in line and "refusing to guess" in line


# -- the reader ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("form", FORMS)
def test_both_forms_read_alike(form: str) -> None:
    inventory = state(STACK, form)
    assert sorted(by_address(inventory)) == sorted([
        "module.db[0].aws_db_instance.claims", 'module.store.aws_s3_bucket.b["claims"]',
        'module.store.aws_s3_bucket.b["logs"]', "aws_iam_role.partner", "aws_ebs_volume.v[0]",
        "aws_ebs_volume.v[1]"])
    assert inventory.folded == {'module.store.aws_s3_bucket_server_side_encryption_configuration.e["claims"]':
                                'module.store.aws_s3_bucket.b["claims"]'}
    assert inventory.scopes == {(ACCOUNT, "us-east-1"), (ACCOUNT, "eu-west-1")}
    assert inventory.complete is False
    db = by_address(inventory)["module.db[0].aws_db_instance.claims"]
    assert db.attributes["password"] == REDACTED and db.sensitive == {"password"} and not db.unknown
    assert db.file == "state.json" and db.source == "terraform-state"


def test_sensitive_paths_of_every_documented_step_are_withheld() -> None:
    """The steps of ``internal/states/statefile/version4.go``: attribute names, string keys of
    maps, number indices of lists; a set element's key withholds the whole set."""
    values = {"username": "admin-" + SECRET, "tags": {"owner": "o-" + SECRET, "team": "claims"},
              "ingress": [{"description": "d-" + SECRET, "from_port": 5432}], "ids": ["s-" + SECRET],
              "rules": [{"cidr": "c-" + SECRET}], "engine": "postgres"}

    def attr(name: str) -> dict[str, Any]:
        return {"type": "get_attr", "value": name}

    paths = [[attr("username")],
             [attr("tags"), {"type": "index", "value": {"value": "owner", "type": "string"}}],
             [attr("ingress"), {"type": "index", "value": {"value": 0, "type": "number"}}, attr("description")],
             # a set element is named by its value (cty's JSON of the key), not its position
             [attr("ids"), {"type": "index", "value": {"value": "s-" + SECRET, "type": "string"}}],
             [attr("rules"), {"type": "index", "value": {"value": {"cidr": "c-" + SECRET},
                                                         "type": ["object", {"cidr": "string"}]}}, attr("cidr")],
             [attr("absent")], [attr("ingress"), {"type": "index", "value": {"value": 3, "type": "number"}}]]
    inventory = state([{"type": "aws_db_instance", "name": "db", "values": values, "sensitive": paths}], "tfstate")
    attributes = inventory.resources[0].attributes
    assert SECRET not in json.dumps(attributes)
    assert attributes["tags"] == {"owner": REDACTED, "team": "claims"}
    assert attributes["ingress"] == [{"description": REDACTED, "from_port": 5432}]
    assert attributes["ids"] == [REDACTED] and attributes["rules"] == [{"cidr": REDACTED}]
    assert attributes["engine"] == "postgres", "a path to an absent value withholds nothing else"


@pytest.mark.parametrize("entry", [["username"], [{"path": "username"}], [[{"type": "bogus", "value": 1}]],
                                   [[{"type": "get_attr", "value": 5}]], {"username": True}])
def test_sensitive_paths_of_another_form_are_input_errors(entry: Any) -> None:
    document = build_state([{"type": "aws_db_instance", "name": "db", "values": {"username": SECRET}}], "tfstate")
    document["resources"][0]["instances"][0]["sensitive_attributes"] = entry
    with pytest.raises(InputError, match="aws_db_instance.db: sensitive_attributes") as error:
        read_state("s.tfstate", document)
    assert SECRET not in str(error.value)


def test_region_and_account_come_from_each_resources_own_attributes() -> None:
    inventory = by_address(state([
        {"type": "aws_ebs_volume", "name": "a", "values": {"encrypted": True, "region": "ap-south-1",
                                                           "arn": f"arn:aws:ec2:eu-west-1:{ACCOUNT}:volume/a"}},
        {"type": "aws_ebs_volume", "name": "b", "values": {"encrypted": True,
                                                           "arn": f"arn:aws:ec2:eu-west-1:{PARTNER}:volume/b"}},
        {"type": "aws_s3_bucket", "name": "c", "values": bucket("c")},
    ], "tfstate"))
    assert (inventory["aws_ebs_volume.a"].region, inventory["aws_ebs_volume.a"].account) == ("ap-south-1", ACCOUNT)
    assert (inventory["aws_ebs_volume.b"].region, inventory["aws_ebs_volume.b"].account) == ("eu-west-1", PARTNER)
    # two accounts in the ARNs: a bucket (no account in its ARN) is not given either
    assert inventory["aws_s3_bucket.c"].account is None


def test_an_account_given_is_every_resources_account() -> None:
    resources = by_address(state(STACK, "tfstate", account=PARTNER)).values()
    assert {r.account for r in resources} == {PARTNER}


def test_data_sources_are_ignored_and_deposed_objects_noted() -> None:
    for form in FORMS:
        inventory = state([
            {"type": "aws_ebs_volume", "name": "v", "values": {"encrypted": True}},
            {"type": "aws_ebs_volume", "name": "v", "values": {"encrypted": False}, "deposed": "00000001"},
            {"type": "aws_ebs_volume", "name": "d", "mode": "data", "values": {"encrypted": False}},
        ], form)
        assert [r.address for r in inventory.resources] == ["aws_ebs_volume.v"]
        assert inventory.notes == ["not checked: 1 deposed object (replaced, to be destroyed by the next apply)"]


def test_nested_modules_and_instance_keys_make_terraform_addresses() -> None:
    for form in FORMS:
        inventory = state([{"type": "aws_ebs_volume", "name": "v", "module": 'module.a[0].module.b["x.y"]',
                            "index": "k", "values": {"encrypted": True}}], form)
        assert [r.address for r in inventory.resources] == ['module.a[0].module.b["x.y"].aws_ebs_volume.v["k"]']


def domain(region: str) -> dict[str, Any]:
    return {"domain_name": "search", "arn": f"arn:aws:es:{region}:{ACCOUNT}:domain/search", "region": region,
            "access_policies": ""}


def test_dependencies_decide_between_parents_holding_the_same_value() -> None:
    policy = {"domain_name": "search", "access_policies": '{"Statement": []}'}
    resources = [
        {"type": "aws_opensearch_domain", "name": "east", "values": domain("us-east-1")},
        {"type": "aws_opensearch_domain", "name": "west", "values": domain("eu-west-1")},
        {"type": "aws_opensearch_domain_policy", "name": "p", "values": policy,
         "depends_on": ["aws_opensearch_domain.east", "data.aws_iam_policy_document.p"]},
    ]
    for form in FORMS:
        inventory = by_address(state(resources, form))
        assert inventory["aws_opensearch_domain.east"].attributes["access_policies"] == '{"Statement": []}'
        assert inventory["aws_opensearch_domain.west"].attributes["access_policies"] == ""
    # without the dependency, either could be the parent: both become unknown, neither clean
    inventory = by_address(state([*resources[:2], {**resources[2], "depends_on": []}], "tfstate"))
    assert inventory["aws_opensearch_domain.east"].attributes["access_policies"] is UNKNOWN
    assert inventory["aws_opensearch_domain.west"].attributes["access_policies"] is UNKNOWN


def test_dependencies_alone_do_not_fold() -> None:
    """A subnet's flow log depends on the subnet's VPC too: it is not the VPC's flow log."""
    inventory = by_address(state([
        {"type": "aws_vpc", "name": "main", "values": {"id": "vpc-1", "cidr_block": "10.0.0.0/16"}},
        {"type": "aws_flow_log", "name": "subnet", "depends_on": ["aws_subnet.a", "aws_vpc.main"],
         "values": {"vpc_id": None, "subnet_id": "subnet-1", "traffic_type": "ALL"}},
    ], "tfstate"))
    assert "flow_log" not in inventory["aws_vpc.main"].attributes


def test_an_unencrypted_database_fails_and_its_password_is_in_no_result() -> None:
    results = run_engine(state(STACK, "tfstate"), ["VG-RDS-001"])
    [result] = results
    assert result.status is Status.FAIL and result.address == "module.db[0].aws_db_instance.claims"
    assert SECRET not in json.dumps([r.to_dict() for r in results])


def test_an_empty_state_reads_as_no_resources() -> None:
    for document in ({"format_version": "1.0"}, build_state([], "tfstate")):
        assert read_state("empty.json", document).resources == []


@pytest.mark.parametrize("document,problem", [
    ({"version": 4, "serial": 1, "lineage": "x", "resources": "nope"}, "resources is not a list"),
    ({"version": 4, "serial": 1, "lineage": "x", "resources": [
        {"mode": "managed", "type": "aws_ebs_volume", "name": "v", "instances": [{"attributes": [1]}]}]},
     "aws_ebs_volume.v: values are not an object"),
    ({"version": 4, "serial": 1, "lineage": "x", "resources": [
        {"mode": "managed", "type": "aws_ebs_volume", "name": "v", "instances": [{"attributes_flat": {"id": "x"}}]}]},
     "flat form of Terraform 0.11"),
    ({"version": 4, "serial": 1, "lineage": "x", "resources": [{"mode": "managed"}]}, "malformed state"),
    ({"version": "4", "serial": 1, "lineage": "x"}, 'unsupported state version "4"; expected 4'),
    ({"version": 3, "deployment": {}}, "use `vendorguard scan pulumi`"),
    ([1, 2], "not a Terraform state"),
])
def test_malformed_states_are_input_errors(document: Any, problem: str) -> None:
    with pytest.raises(InputError, match=problem.replace("(", r"\(").replace("[", r"\[")):
        read_state("bad.json", document)


# -- real states ----------------------------------------------------------------------------------------
def _prior_states() -> list[str]:
    if not PUBLIC.exists():
        return []
    return sorted(p.name for p in PUBLIC.glob("*.json") if "prior_state" in parse_json(p.name, p.read_bytes()))


@pytest.mark.skipif(not PUBLIC.exists(), reason="../shared/fixtures/public is not present in this checkout")
@pytest.mark.parametrize("name", _prior_states())
def test_the_states_inside_public_plans_read_as_states(name: str) -> None:
    """A plan's ``prior_state`` is ``terraform show -json`` of the state it was planned against:
    real states, written by Terraform.  Every managed resource in it is read, at its address."""
    document = parse_json(name, (PUBLIC / name).read_bytes())
    prior = document["prior_state"]

    def managed(module: dict[str, Any]) -> list[str]:
        return [r["address"] for r in module.get("resources", []) if r["mode"] == "managed"] + [
            a for child in module.get("child_modules", []) for a in managed(child)]

    expected = managed(prior["values"]["root_module"])
    inventory = read_state(name, prior)
    folded = set(inventory.folded)
    assert sorted([r.address for r in inventory.resources] + sorted(folded)) == sorted(expected)
    assert all(r.source == "terraform-state" and r.file == name for r in inventory.resources)
    # the same objects the plan's resource_changes start from
    before = {rc["address"] for rc in document["resource_changes"] if rc["change"].get("before") is not None}
    assert set(expected) <= before
    assert all(r.reason for r in run_engine(inventory))
