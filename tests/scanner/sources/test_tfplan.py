"""The Terraform plan source: resource changes, unknowns, secrets, regions, folding through modules."""
from __future__ import annotations

import json

import pytest

from conftest import PUBLIC, plan_of, scan_plan_document, trust
from planbuilder import build_plan
from vendorguard.scanner.errors import InputError
from vendorguard.scanner.model import REDACTED, UNKNOWN, Status
from vendorguard.scanner.inputs import parse_json
from vendorguard.scanner.sources.tfplan import read_plan

SSE = [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms", "kms_master_key_id": "k"}],
        "bucket_key_enabled": True}]


def inventory(plan: dict, account: str | None = None):
    return read_plan("plan.json", json.loads(json.dumps(plan)), account)


def by_address(inv) -> dict:
    return {r.address: r for r in inv.resources}


def verdict(results, rule_id: str, address: str) -> Status:
    found = [r.status for r in results if r.rule_id == rule_id and r.address == address]
    assert len(found) == 1, [(r.rule_id, r.address) for r in results]
    return found[0]


def test_split_bucket_resources_fold_into_the_bucket_through_references() -> None:
    plan = plan_of(
        {"type": "aws_s3_bucket", "name": "claims", "values": {"bucket": "claims"},
         "unknown": ["versioning", "server_side_encryption_configuration"]},
        {"type": "aws_s3_bucket_versioning", "name": "claims",
         "values": {"bucket": "${aws_s3_bucket.claims.id}", "versioning_configuration": [{"status": "Enabled"}]}},
        {"type": "aws_s3_bucket_server_side_encryption_configuration", "name": "claims",
         "values": {"bucket": "${aws_s3_bucket.claims.id}", "rule": SSE}},
        {"type": "aws_s3_bucket_public_access_block", "name": "claims",
         "values": {"bucket": "${aws_s3_bucket.claims.id}", "block_public_acls": True, "block_public_policy": True,
                    "ignore_public_acls": True, "restrict_public_buckets": True}},
    )
    inv = inventory(plan)
    assert list(by_address(inv)) == ["aws_s3_bucket.claims"], "children are consumed by folding"
    bucket = by_address(inv)["aws_s3_bucket.claims"].attributes
    assert bucket["versioning"] == [{"enabled": True, "mfa_delete": False}]
    assert bucket["server_side_encryption_configuration"] == [{"rule": SSE}]
    assert bucket["public_access_block"][0]["restrict_public_buckets"] is True


def test_folding_follows_module_variables_and_outputs() -> None:
    plan = build_plan(
        [
            # a bucket made in one module...
            {"type": "aws_s3_bucket", "name": "this", "module": "module.storage", "values": {"bucket": "claims"},
             "unknown": ["versioning"]},
            # ...whose versioning is set in another module, from the first module's output,
            {"type": "aws_s3_bucket_versioning", "name": "this", "module": "module.hardening",
             "values": {"bucket": "${var.bucket_id}", "versioning_configuration": [{"status": "Enabled"}]}},
            # ...and a root-level policy that reads the output directly.
            {"type": "aws_s3_bucket_policy", "name": "tls", "values": {"bucket": "${module.storage.bucket_id}",
                                                                       "policy": "{}"}},
        ],
        modules={"module.storage": {"outputs": {"bucket_id": "${aws_s3_bucket.this.id}"}},
                 "module.hardening": {"inputs": {"bucket_id": "${module.storage.bucket_id}"}}},
    )
    bucket = by_address(inventory(plan))["module.storage.aws_s3_bucket.this"].attributes
    assert bucket["versioning"] == [{"enabled": True, "mfa_delete": False}]
    assert bucket["policy"] == "{}"


def test_counted_children_fold_into_the_parent_with_the_same_index() -> None:
    resources = []
    for i in range(2):
        resources.append({"type": "aws_s3_bucket", "name": "b", "index": i, "values": {"bucket": f"b{i}"},
                          "unknown": ["versioning"]})
        resources.append({"type": "aws_s3_bucket_versioning", "name": "v", "index": i,
                          "values": {"bucket": "${aws_s3_bucket.b.id}",
                                     "versioning_configuration": [{"status": "Enabled" if i else "Suspended"}]}})
    inv = by_address(inventory(plan_of(*resources)))
    assert inv["aws_s3_bucket.b[0]"].attributes["versioning"][0]["enabled"] is False
    assert inv["aws_s3_bucket.b[1]"].attributes["versioning"][0]["enabled"] is True


def test_children_fall_back_to_equal_known_values() -> None:
    plan = plan_of(
        {"type": "aws_s3_bucket", "name": "b", "values": {"bucket": "literal-name"}, "unknown": ["versioning"]},
        {"type": "aws_s3_bucket_versioning", "name": "v",
         "values": {"bucket": "literal-name", "versioning_configuration": [{"status": "Enabled"}]}},
    )
    assert by_address(inventory(plan))["aws_s3_bucket.b"].attributes["versioning"][0]["enabled"] is True


def test_a_child_of_unknown_destination_makes_candidate_parents_unknown_not_clean() -> None:
    plan = plan_of(
        {"type": "aws_s3_bucket", "name": "this", "values": {"bucket": "a", "versioning": [{"enabled": False}]}},
        {"type": "aws_s3_bucket_versioning", "name": "v",
         "values": {"bucket": "${local.somewhere}", "versioning_configuration": [{"status": "Enabled"}]}},
    )
    results = scan_plan_document(plan, ["VG-S3-004"])
    assert verdict(results, "VG-S3-004", "aws_s3_bucket.this") is Status.UNKNOWN


def test_security_group_rules_of_every_shape_fold_into_ingress() -> None:
    plan = plan_of(
        {"type": "aws_security_group", "name": "this", "values": {"name": "app"}, "unknown": ["ingress", "egress"]},
        {"type": "aws_security_group_rule", "name": "ssh", "values": {
            "type": "ingress", "security_group_id": "${aws_security_group.this.id}", "from_port": 22, "to_port": 22,
            "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]}},
        {"type": "aws_vpc_security_group_ingress_rule", "name": "pg", "values": {
            "security_group_id": "${aws_security_group.this.id}", "from_port": 5432, "to_port": 5432,
            "ip_protocol": "tcp", "cidr_ipv6": "::/0"}},
        {"type": "aws_vpc_security_group_egress_rule", "name": "all", "values": {
            "security_group_id": "${aws_security_group.this.id}", "ip_protocol": "-1", "cidr_ipv4": "0.0.0.0/0"}},
    )
    results = scan_plan_document(plan, ["VG-EC2-004", "VG-EC2-005", "VG-EC2-006"])
    sg = by_address(inventory(plan))["aws_security_group.this"].attributes
    assert len(sg["ingress"]) == 2 and len(sg["egress"]) == 1
    assert verdict(results, "VG-EC2-004", "aws_security_group.this") is Status.FAIL
    assert verdict(results, "VG-EC2-005", "aws_security_group.this") is Status.FAIL
    assert verdict(results, "VG-EC2-006", "aws_security_group.this") is Status.PASS   # egress does not count


def test_deleted_resources_are_not_checked_and_no_op_ones_are() -> None:
    plan = plan_of(
        {"type": "aws_ebs_volume", "name": "gone", "values": {"encrypted": False}, "actions": ["delete"]},
        {"type": "aws_ebs_volume", "name": "kept", "values": {"encrypted": False}, "actions": ["no-op"]},
        {"type": "aws_ebs_volume", "name": "replaced", "values": {"encrypted": True}, "actions": ["delete", "create"]},
    )
    results = scan_plan_document(plan, ["VG-EC2-001"])
    assert {r.address: r.status for r in results} == {"aws_ebs_volume.kept": Status.FAIL,
                                                       "aws_ebs_volume.replaced": Status.PASS}


def test_data_sources_are_ignored() -> None:
    plan = plan_of({"type": "aws_ebs_volume", "name": "v", "values": {"encrypted": False}})
    plan["resource_changes"][0]["mode"] = "data"
    assert inventory(plan).resources == []


def test_unknown_values_are_unknown_and_sensitive_ones_redacted() -> None:
    plan = plan_of({"type": "aws_db_instance", "name": "db", "values": {
        "storage_encrypted": True, "password": "hunter2-very-secret", "engine": "postgres",
        "tags": {"Name": "claims", "api_token": "tok-123"}}, "unknown": ["kms_key_id"], "sensitive": ["password"]})
    attrs = by_address(inventory(plan))["aws_db_instance.db"].attributes
    assert attrs["kms_key_id"] is UNKNOWN
    assert attrs["password"] == REDACTED
    assert attrs["tags"] == {"Name": "claims", "api_token": REDACTED}


def test_provider_declared_secrets_are_redacted_even_when_not_marked() -> None:
    plan = plan_of({"type": "aws_lambda_function", "name": "f", "values": {
        "runtime": "python3.12", "environment": [{"variables": {"DB_URL": "postgres://u:pw@h/db"}}]}})
    attrs = by_address(inventory(plan))["aws_lambda_function.f"].attributes
    assert attrs["environment"][0]["variables"]["DB_URL"] == REDACTED


def test_region_comes_from_provider_variables_and_account_from_allowed_ids() -> None:
    plan = build_plan([{"type": "aws_ebs_volume", "name": "v", "values": {"encrypted": True}}],
                      provider={"region": {"references": ["var.region"]},
                                "allowed_account_ids": {"constant_value": ["111122223333"]}},
                      variables={"region": "eu-west-1"})
    volume = inventory(plan).resources[0]
    assert (volume.region, volume.account) == ("eu-west-1", "111122223333")


@pytest.mark.parametrize("text,problem", [
    ('{"format_version": "1.2", "resource_changes": [', "not valid JSON"),
    ('[1, 2, 3]', "not a Terraform plan"),
    ('{"version": 3, "deployment": {}}', "use `vendorguard scan pulumi`"),
    ('{"format_version": "1.2", "resource_changes": "nope"}', "resource_changes is not a list"),
    ('{"format_version": "1.2", "resource_changes": [{"type": "aws_s3_bucket", "name": "b", '
     '"change": {"actions": ["create"], "after": [1]}}]}', "planned values are not an object"),
    ('{"format_version": "1.2", "resource_changes": [{"change": {"actions": ["create"], "after": {}}}]}',
     "malformed plan"),
])
def test_malformed_plans_are_input_errors(text: str, problem: str) -> None:
    with pytest.raises(InputError, match=problem.replace("(", r"\(")):
        read_plan("bad.json", parse_json("bad.json", text))


@pytest.mark.skipif(not PUBLIC.exists(), reason="../shared/fixtures/public is not present in this checkout")
@pytest.mark.parametrize("name", sorted(p.name for p in PUBLIC.glob("*.json")) if PUBLIC.exists() else [])
def test_public_plans_scan_without_error(name: str) -> None:
    document = parse_json(name, (PUBLIC / name).read_bytes())
    if "deployment" in document:
        pytest.skip("a Pulumi stack export: read by the Pulumi source")
    results = scan_plan_document(document)
    assert results, "every public plan holds resources some rule covers"
    assert all(r.reason for r in results)


@pytest.mark.skipif(not PUBLIC.exists(), reason="../shared/fixtures/public is not present")
def test_public_plan_with_deleted_resources_and_nested_modules() -> None:
    deleted = read_plan("p", parse_json("p", (PUBLIC / "checkov__plan_with_deleted_resources.json").read_bytes()))
    assert [r.address for r in deleted.resources] == ["aws_secretsmanager_secret.default"]
    nested = read_plan("p", parse_json("p", (PUBLIC / "checkov__nested_child_modules_with_connections.json").read_bytes()))
    addresses = {r.address: r for r in nested.resources}
    # the module's public access block folded into the module's bucket, through `var.bucket`
    pab = addresses["module.s3_module.aws_s3_bucket.module_bucket"].attributes.get("public_access_block")
    assert pab and pab[0]["block_public_acls"] is True


def test_lone_surrogates_become_replacement_characters() -> None:
    text = ('{"format_version": "1.2", "resource_changes": [{"type": "aws_ebs_volume", "name": "v", "change": '
            '{"actions": ["create"], "after": {"encrypted": false, "tags": {"Name": "\\ud800x"}}}}]}')
    volume = read_plan("p.json", parse_json("p.json", text.encode())).resources[0]
    assert volume.attributes["tags"]["Name"] == "\ufffdx"
    volume.attributes["tags"]["Name"].encode("utf-8")


def test_a_trust_to_an_account_is_unknown_until_the_plans_own_account_is_known() -> None:
    """Whether 444455556666 is another account depends on which account the plan deploys to: the
    reason says so (and how to settle it) rather than blaming a value known only after apply."""
    role = {"type": "aws_iam_role", "name": "partner",
            "values": {"assume_role_policy": trust({"AWS": "arn:aws:iam::444455556666:root"})}}
    [undecided] = scan_plan_document(plan_of(role), ["VG-TPA-001"])
    assert undecided.status is Status.UNKNOWN
    assert "account this resource belongs to is not known" in undecided.reason and "--account-id" in undecided.reason
    [failed] = scan_plan_document(plan_of(role), ["VG-TPA-001"], account="111122223333")
    assert failed.status is Status.FAIL
    [passed] = scan_plan_document(plan_of(role), ["VG-TPA-001"], account="444455556666")
    assert passed.status is Status.PASS


# -- orphan children: a split resource whose parent is not in the plan is judged on its own ------------
def _sg_rule(name: str, from_port: int, to_port: int, cidrs: list[str] | None, **extra) -> dict:
    values = {"type": "ingress", "security_group_id": "sg-0badc0ffee0000001", "protocol": "tcp",
              "from_port": from_port, "to_port": to_port, **extra}
    if cidrs is not None:
        values["cidr_blocks"] = cidrs
    return {"type": "aws_security_group_rule", "name": name, "values": values,
            "unknown": [] if cidrs is not None else ["cidr_blocks"]}


def test_ingress_rules_on_a_group_not_in_the_plan_fail_on_their_own() -> None:
    plan = plan_of(_sg_rule("everything", 0, 65535, ["0.0.0.0/0"]), _sg_rule("ssh", 22, 22, ["0.0.0.0/0"]))
    results = scan_plan_document(plan, ["VG-EC2-004", "VG-EC2-005", "VG-EC2-006"])
    assert verdict(results, "VG-EC2-004", "aws_security_group_rule.everything") is Status.FAIL
    assert verdict(results, "VG-EC2-005", "aws_security_group_rule.everything") is Status.FAIL
    assert verdict(results, "VG-EC2-006", "aws_security_group_rule.everything") is Status.FAIL
    assert verdict(results, "VG-EC2-004", "aws_security_group_rule.ssh") is Status.FAIL
    assert verdict(results, "VG-EC2-005", "aws_security_group_rule.ssh") is Status.PASS
    assert verdict(results, "VG-EC2-006", "aws_security_group_rule.ssh") is Status.PASS
    ssh = next(r for r in results if r.rule_id == "VG-EC2-004" and r.address.endswith(".ssh"))
    assert ssh.resource_type == "aws_security_group_rule" and "0.0.0.0/0" in ssh.reason


def test_an_orphan_ingress_rule_opening_only_https_passes_the_admin_and_database_rules() -> None:
    plan = plan_of(_sg_rule("https", 443, 443, ["0.0.0.0/0"]),
                   {"type": "aws_vpc_security_group_ingress_rule", "name": "https6", "values": {
                       "security_group_id": "sg-0badc0ffee0000001", "ip_protocol": "tcp", "from_port": 443,
                       "to_port": 443, "cidr_ipv6": "::/0"}})
    results = scan_plan_document(plan, ["VG-EC2-004", "VG-EC2-005", "VG-EC2-006"])
    for address in ("aws_security_group_rule.https", "aws_vpc_security_group_ingress_rule.https6"):
        for rule_id in ("VG-EC2-004", "VG-EC2-005", "VG-EC2-006"):
            assert verdict(results, rule_id, address) is Status.PASS, (rule_id, address)


def test_an_orphan_ingress_rule_whose_cidr_is_unknown_is_unknown() -> None:
    results = scan_plan_document(plan_of(_sg_rule("ssh", 22, 22, None)), ["VG-EC2-004"])
    assert verdict(results, "VG-EC2-004", "aws_security_group_rule.ssh") is Status.UNKNOWN


def test_an_orphan_egress_rule_opens_no_ingress_and_an_orphan_vpc_rule_to_the_world_fails() -> None:
    plan = plan_of(_sg_rule("out", 0, 65535, ["0.0.0.0/0"], type="egress"),
                   {"type": "aws_vpc_security_group_ingress_rule", "name": "rdp", "values": {
                       "security_group_id": "sg-0badc0ffee0000001", "ip_protocol": "tcp", "from_port": 3389,
                       "to_port": 3389, "cidr_ipv4": "0.0.0.0/0"}})
    results = scan_plan_document(plan, ["VG-EC2-004"])
    assert verdict(results, "VG-EC2-004", "aws_security_group_rule.out") is Status.PASS
    assert verdict(results, "VG-EC2-004", "aws_vpc_security_group_ingress_rule.rdp") is Status.FAIL


def test_a_child_whose_parent_is_in_the_plan_is_judged_only_through_it() -> None:
    plan = plan_of({"type": "aws_security_group", "name": "app", "values": {"name": "app"},
                    "unknown": ["id", "ingress", "egress"]},
                   {**_sg_rule("ssh", 22, 22, ["0.0.0.0/0"]),
                    "values": {**_sg_rule("ssh", 22, 22, ["0.0.0.0/0"])["values"],
                               "security_group_id": "${aws_security_group.app.id}"}})
    results = scan_plan_document(plan, ["VG-EC2-004"])
    assert [(r.address, r.status) for r in results] == [("aws_security_group.app", Status.FAIL)]


def test_an_orphan_bucket_policy_is_judged_on_its_own_and_other_orphans_are_kept_unjudged() -> None:
    allow = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::elsewhere/*"}]})
    plan = plan_of({"type": "aws_s3_bucket_policy", "name": "p", "values": {"bucket": "elsewhere", "policy": allow}},
                   {"type": "aws_s3_bucket_versioning", "name": "v", "values": {
                       "bucket": "elsewhere", "versioning_configuration": [{"status": "Enabled"}]}})
    inv = inventory(plan)
    assert set(by_address(inv)) == {"aws_s3_bucket_policy.p", "aws_s3_bucket_versioning.v"}
    assert inv.folded == {}
    results = scan_plan_document(plan, ["VG-S3-003", "VG-S3-004"])
    assert [(r.rule_id, r.address, r.status) for r in results] == [
        ("VG-S3-003", "aws_s3_bucket_policy.p", Status.FAIL)]


def test_orphan_security_group_rules_fail_the_scan_through_the_cli(tmp_path) -> None:
    from conftest import vendorguard, write

    plan = write(tmp_path / "plan.json", plan_of(_sg_rule("everything", 0, 65535, ["0.0.0.0/0"]),
                                                 _sg_rule("ssh", 22, 22, ["0.0.0.0/0"])))
    done = vendorguard("scan", "plan", str(plan), "--format", "json", "-q")
    assert done.returncode == 1, done.stderr
    failed = {(r["rule_id"], r["address"]) for r in json.loads(done.stdout)["results"] if r["status"] == "FAIL"}
    assert {("VG-EC2-004", "aws_security_group_rule.ssh"), ("VG-EC2-006", "aws_security_group_rule.everything")} <= failed
