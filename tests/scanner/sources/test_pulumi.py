"""The Pulumi source: previews, stack exports and save-plan files; the mapping table; unknowns,
secrets, regions, folding, bad input."""
from __future__ import annotations

import copy
import inspect
import json
import re
import sys
from typing import Any

import pytest
import yaml

from conftest import FIXTURES, PUBLIC, ROOT, run_engine
from pulumibuilder import properties, resource_class, shape
from vendorguard.scanner.catalog import load_catalog
from vendorguard.scanner.errors import InputError
from vendorguard.scanner.folding import fold_table
from vendorguard.scanner.model import REDACTED, UNKNOWN, Status
from vendorguard.scanner.sources.pulumi import (
    SECRET_SIG,
    SIG_KEY,
    read_pulumi,
    read_states,
    snake,
    terraform_type,
    type_table,
)
from vendorguard.scanner.inputs import parse_json
from vendorguard.scanner.types import type_info

PULUMI = FIXTURES / "pulumi"
CATALOG, _ = load_catalog()
SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def load(name: str) -> dict[str, Any]:
    return json.loads((PULUMI / name).read_text())


def read(name: str, document: Any = None, **kwargs: Any):
    return read_pulumi(name, copy.deepcopy(document) if document is not None else load(name), **kwargs)


def by_name(inventory) -> dict[tuple[str, str], Any]:
    return {(r.type, r.address.rsplit("::", 1)[-1]): r for r in inventory.resources}


def verdicts(results) -> dict[tuple[str, str], Status]:
    return {(r.rule_id, r.address.rsplit("::", 1)[-1]): r.status for r in results}


def everything_printed(inventory, results) -> str:
    """All a report could show: every result and every attribute, as JSON."""
    return json.dumps([r.to_dict() for r in results] +
                      [{"a": r.attributes, "u": sorted(r.unknown), "s": sorted(r.sensitive)} for r in inventory.resources],
                      default=str)


# -- the mapping table ------------------------------------------------------------------------------------
def _types_the_rules_read() -> set[str]:
    # Rules whose `sources` leave Pulumi out read types pulumi-aws no longer has (EC2-Classic's).
    types = {t for rule in CATALOG.rules.values() if rule.sources is None or "pulumi" in rule.sources
             for t in rule.resource_types}
    return types | set(fold_table())


def test_every_type_the_rules_and_the_fold_table_read_is_mapped() -> None:
    table = type_table()
    wanted = _types_the_rules_read()
    missing = wanted - set(table.by_terraform) - set(table.not_resources)
    assert not missing, f"Terraform types with no Pulumi token: {sorted(missing)}"
    # a type without a token is no provider's resource: only a live collector fills it
    for terraform in table.not_resources:
        assert terraform not in table.by_terraform and type_info(terraform).collector, terraform


def _alias_owner(token: str, mapping) -> type | None:
    """The pulumi_aws class that declares `token` as an alias (an older name of the same resource)."""
    for other in mapping.tokens:
        try:
            cls = resource_class(other)
        except (LookupError, AttributeError, ImportError):
            continue
        if f'pulumi.Alias(type_="{token}")' in inspect.getsource(sys.modules[cls.__module__]):
            return cls
    return None


def test_every_token_is_a_pulumi_aws_resource_or_a_declared_alias_of_one() -> None:
    for mapping in type_table().by_terraform.values():
        for token in mapping.tokens:
            try:
                resource_class(token)
            except (LookupError, AttributeError, ImportError):
                assert _alias_owner(token, mapping) is not None, f"{token} is not in pulumi_aws"


def _classes(mapping) -> list[type]:
    out = []
    for token in mapping.tokens:
        try:
            out.append(resource_class(token))
        except (LookupError, AttributeError, ImportError):
            pass
    return out


def _walk(cls: type, prefix: tuple[str, ...] = (), seen: tuple[type, ...] = ()):
    for name, (annotation, module) in properties(cls).items():
        path = prefix + (name,)
        kind = shape(annotation, module)
        yield path, kind
        inner = kind[1] if kind[0] == "list" else kind
        if inner[0] == "object" and inner[1] not in seen:
            yield from _walk(inner[1], path, seen + (inner[1],))


def _paths(mapping) -> dict[str, str]:
    out = {}
    for cls in _classes(mapping):
        for path, kind in _walk(cls):
            out[".".join(path)] = kind[0] if kind[0] != "list" else f"list-{kind[1][0]}"
    return out


@pytest.mark.parametrize("terraform", sorted(type_table().by_terraform))
def test_renames_and_maps_name_real_pulumi_properties(terraform: str) -> None:
    mapping = type_table().by_terraform[terraform]
    paths = _paths(mapping)
    for path, target in mapping.renames.items():
        assert path in paths, f"{terraform}: rename of {path!r}, which pulumi_aws does not have"
        assert target != snake(path.rsplit(".", 1)[-1]), f"{terraform}: {path} → {target} is what snake_case gives"
    for path in mapping.maps:
        assert paths.get(path) == "map", f"{terraform}: {path!r} is not a map in pulumi_aws"
    # every map attribute is listed, so no map of user keys is ever taken for a block
    everywhere = type_table().maps_everywhere
    unlisted = [p for p, kind in paths.items() if kind == "map" and p not in mapping.maps
                and p.rsplit(".", 1)[-1] not in everywhere]
    assert not unlisted, f"{terraform}: map attributes missing from `maps`: {unlisted}"


def test_pluralised_block_names_go_back_to_terraform_block_names() -> None:
    assert terraform_type("aws:rds/instance:Instance") == "aws_db_instance"
    assert terraform_type("aws:ebs/volume:Volume") == "aws_ebs_volume"
    assert terraform_type("aws:s3/bucketV2:BucketV2") == "aws_s3_bucket"
    assert terraform_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") == \
        "aws_vpc_security_group_ingress_rule"
    assert terraform_type("aws:ec2/routeTable:RouteTable") is None
    renames = {t: m.renames for t, m in type_table().by_terraform.items()}
    assert renames["aws_backup_plan"]["rules"] == "rule"
    assert renames["aws_lb_listener"]["defaultActions"] == "default_action"
    assert "ingress" not in renames["aws_security_group"]


# -- hand-written fixtures are written the way pulumi_aws names things ----------------------------------------
def _states(document: dict[str, Any]) -> list[dict[str, Any]]:
    if "deployment" in document:
        return document["deployment"]["resources"]
    if "steps" in document:
        return [s.get("newState") or s.get("oldState") for s in document["steps"]]
    return [dict(p["goal"], inputs=p["goal"].get("inputDiff", {}).get("adds", {}), outputs=p.get("state"))
            for p in document["resourcePlans"].values() if p.get("goal")]


def _unknown_property_paths(cls: type, value: Any, prefix: str = "") -> list[str]:
    bad = []
    props = properties(cls)
    for key, sub in value.items():
        if key.startswith("__") or (not prefix and key == "id"):
            continue
        if key not in props:
            bad.append(prefix + key)
            continue
        kind = shape(*props[key])
        inner = kind[1] if kind[0] == "list" else kind
        items = sub if isinstance(sub, list) else [sub]
        if inner[0] == "object":
            for item in items:
                if isinstance(item, dict) and SIG_KEY not in item:
                    bad += _unknown_property_paths(inner[1], item, f"{prefix}{key}.")
    return bad


@pytest.mark.parametrize("fixture", ["stack-export-v7.json", "stack-export-v6.json", "preview.json", "save-plan.json"])
def test_hand_written_fixtures_use_real_pulumi_aws_names(fixture: str) -> None:
    checked = set()
    for state in _states(load(fixture)):
        token = state["type"]
        mapping = type_table().by_token.get(token)
        if not token.startswith("aws:"):
            continue
        try:
            cls = resource_class(token)
        except (LookupError, AttributeError, ImportError):
            cls = _alias_owner(token, mapping)
        for part in ("inputs", "outputs"):
            bad = _unknown_property_paths(cls, state.get(part) or {})
            assert not bad, f"{fixture}: {token} {part} has properties pulumi_aws does not: {bad}"
        checked.add(token)
    assert checked


def test_the_hand_written_fixtures_cover_at_least_fifteen_resource_types() -> None:
    types = {s["type"] for f in ("stack-export-v7.json", "stack-export-v6.json", "preview.json", "save-plan.json")
             for s in _states(load(f)) if terraform_type(s["type"])}
    assert len(types) >= 15, sorted(types)


# -- stack export (v3) -------------------------------------------------------------------------------------------
def test_stack_export_gives_the_expected_findings() -> None:
    inventory = read("stack-export-v7.json")
    results = run_engine(inventory)
    failing = {k for k, v in verdicts(results).items() if v is Status.FAIL}
    assert failing == {
        ("VG-S3-005", "claims-bucket"),          # no access logging
        ("VG-LOG-001", "claims-flow-logs"),      # log group without a KMS key
        ("VG-LOG-002", "claims-flow-logs"),      # 30-day retention
        ("VG-EC2-004", "bastion"),               # SSH from 0.0.0.0/0
        ("VG-RDS-006", "claims-db"),             # single-AZ
        ("VG-RDS-010", "claims-db"),             # no IAM database authentication
        ("VG-EC2-001", "export-scratch"),        # unencrypted volume
        ("VG-CT-004", "org-audit"),              # trail not sent to CloudWatch Logs
        ("VG-TPA-001", "clearinghouse-access"),  # another account, no sts:ExternalId
        ("VG-LMB-001", "claims-ingest"),         # python3.8
        ("VG-DDB-002", "eligibility-cache"),     # no point-in-time recovery
    }
    passing = {k for k, v in verdicts(results).items() if v is Status.PASS}
    for expected in [("VG-S3-001", "claims-bucket"), ("VG-S3-002", "claims-bucket"), ("VG-S3-003", "claims-bucket"),
                     ("VG-S3-004", "claims-bucket"), ("VG-S3-006", "claims-bucket"), ("VG-VPC-001", "claims-vpc"),
                     ("VG-EC2-005", "claims-db"), ("VG-ELB-001", "portal-http"), ("VG-IR-002", "111122223333/us-east-1/aws_sns_topic"),
                     ("VG-BAK-001", "111122223333/us-east-1/aws_backup_plan"),
                     ("VG-GD-001", "111122223333/us-east-1/aws_guardduty_detector"),
                     ("VG-CT-001", "111122223333/(global)/aws_cloudtrail"),
                     ("VG-KMS-001", "claims-key"), ("VG-DDB-001", "eligibility-cache")]:
        assert expected in passing, expected


def test_stack_export_resources_are_in_terraform_shape_with_urn_addresses() -> None:
    inventory = read("stack-export-v7.json")
    resources = by_name(inventory)
    bucket = resources[("aws_s3_bucket", "claims-bucket")]
    assert bucket.address == "urn:pulumi:prod::claims-platform::vendorguard:storage:PhiBucket$aws:s3/bucket:Bucket::claims-bucket"
    assert bucket.source == "pulumi" and bucket.region == "us-east-1" and bucket.account == "111122223333"
    # folded from the split resources (linked through propertyDependencies)
    sse = bucket.attributes["server_side_encryption_configuration"]
    assert sse[0]["rule"][0]["apply_server_side_encryption_by_default"][0]["sse_algorithm"] == "aws:kms"
    assert bucket.attributes["versioning"] == [{"enabled": True, "mfa_delete": False}]
    assert bucket.attributes["public_access_block"][0]["restrict_public_buckets"] is True
    assert "DenyInsecureTransport" in bucket.attributes["policy"]
    assert bucket.attributes["tags"] == {"DataClassification": "PHI", "Owner": "claims-platform"}, "map keys kept"
    listener = resources[("aws_lb_listener", "portal-http")].attributes
    assert listener["default_action"][0]["redirect"][0]["protocol"] == "HTTPS"
    plan = resources[("aws_backup_plan", "phi-daily")].attributes
    assert plan["rule"][0]["lifecycle"][0]["delete_after"] == 35
    assert plan["selection"][0]["selection_tag"][0]["key"] == "DataClassification"
    trail = resources[("aws_cloudtrail", "org-audit")].attributes
    assert trail["event_selector"][0]["data_resource"][0]["type"] == "AWS::S3::Object"
    assert resources[("aws_lambda_function", "claims-ingest")].attributes["filename"] == "./ingest.zip"
    assert resources[("aws_sns_topic", "security-alerts")].attributes["subscription"][0]["protocol"] == "email"
    children = {"aws_s3_bucket_server_side_encryption_configuration", "aws_s3_bucket_versioning",
                "aws_vpc_security_group_ingress_rule", "aws_flow_log", "aws_sns_topic_subscription",
                "aws_backup_selection"}
    assert not children & {r.type for r in inventory.resources}, "children are consumed by folding"


def test_deleted_read_and_non_aws_resources_are_not_checked_and_unmapped_aws_ones_are_reported() -> None:
    inventory = read("stack-export-v7.json")
    names = {name for _, name in by_name(inventory)}
    assert "retired-data" not in names, "pending deletion"
    assert "shared-audit" not in names, "read, not managed"
    assert "claims-db-password" not in names, "not an AWS resource"
    assert inventory.notes == ["not assessed: 1 resource of Pulumi type aws:ec2/routeTable:RouteTable "
                               "(no mapping to a Terraform AWS type in policies/types.yaml)"]
    assert inventory.metadata["format"] == "stack-export" and inventory.metadata["stack"] == "prod"
    assert not inventory.complete


def test_secrets_from_a_stack_export_never_appear_in_any_output() -> None:
    inventory = read("stack-export-v7.json")
    results = run_engine(inventory)
    printed = everything_printed(inventory, results)
    for secret in ("Hunter2-claims-db-P@ss", "ch_live_9f8e7d6c5b4a3928"):
        assert secret in (PULUMI / "stack-export-v7.json").read_text()
        assert secret not in printed
    db = by_name(inventory)[("aws_db_instance", "claims-db")]
    assert db.attributes["password"] == REDACTED and "password" in db.sensitive
    function = by_name(inventory)[("aws_lambda_function", "claims-ingest")]
    assert "environment.0.variables.CLEARINGHOUSE_API_KEY" in function.sensitive


def test_v6_shapes_bucketv2_lists_and_legacy_tokens() -> None:
    inventory = read("stack-export-v6.json")
    resources = by_name(inventory)
    bucket = resources[("aws_s3_bucket", "remits")]
    assert bucket.account == "444455556666", "from the provider's allowedAccountIds"
    assert bucket.region == "us-east-2"
    assert bucket.attributes["versioning"] == [{"enabled": True, "mfa_delete": False}]
    assert bucket.attributes["lifecycle_rule"][0]["expiration"][0]["days"] == 2555
    assert bucket.attributes["lifecycle_rule"][0]["transition"][0]["storage_class"] == "GLACIER"
    assert bucket.attributes["logging"] == [{"target_bucket": "acme-access-logs", "target_prefix": "s3/acme-remits-prod/"}]
    assert bucket.attributes["server_side_encryption_configuration"][0]["rule"][0][
        "apply_server_side_encryption_by_default"][0]["sse_algorithm"] == "aws:kms"
    listener = resources[("aws_lb_listener", "legacy-https")]
    assert listener.attributes["default_action"][0]["forward"][0]["target_group"][0]["weight"] == 1
    assert resources[("aws_alb", "portal")].attributes["subnet_mapping"][0]["subnet_id"] == "subnet-0aa11bb22cc33dd44"
    assert resources[("aws_iam_role", "clearinghouse")].attributes["inline_policy"][0]["name"] == "read-remits"
    found = verdicts(run_engine(inventory))
    assert found[("VG-S3-005", "remits")] is Status.PASS
    assert found[("VG-S3-006", "remits")] is Status.FAIL
    assert found[("VG-ELB-002", "legacy-https")] is Status.FAIL
    assert found[("VG-TPA-001", "clearinghouse")] is Status.PASS, "cross-account, with sts:ExternalId"


# -- preview --------------------------------------------------------------------------------------------------
def test_preview_checks_what_will_exist_and_not_what_is_deleted() -> None:
    inventory = read("preview.json")
    names = {name for _, name in by_name(inventory)}
    assert "legacy-unencrypted" not in names, "the preview deletes it"
    assert "shared-audit" not in names, "a read, not a managed resource"
    assert {"exports", "claims-db", "scratch", "rdp", "app", "sessions"} <= names
    found = verdicts(run_engine(inventory))
    assert found[("VG-EC2-004", "rdp")] is Status.FAIL, "the replacement is checked"
    assert found[("VG-RDS-003", "claims-db")] is Status.FAIL, "the update's new state is checked"
    assert found[("VG-S3-004", "exports")] is Status.PASS, "folded through propertyDependencies, bucket id unknown"
    assert found[("VG-S3-006", "exports")] is Status.FAIL
    assert inventory.notes == ["not assessed: 1 resource of Pulumi type aws-native:s3:Bucket "
                               "(no mapping to a Terraform AWS type in policies/types.yaml)"]


def test_preview_unknown_outputs_are_unknown() -> None:
    inventory = read("preview.json")
    resources = by_name(inventory)
    volume = resources[("aws_ebs_volume", "scratch")]
    assert volume.attributes["encrypted"] is UNKNOWN and {"encrypted", "kms_key_id"} <= volume.unknown
    log_group = resources[("aws_cloudwatch_log_group", "app")]
    assert log_group.attributes["kms_key_id"] is UNKNOWN, "an output<string> placeholder"
    bucket = resources[("aws_s3_bucket", "exports")]
    assert bucket.attributes["server_side_encryption_configuration"] is UNKNOWN
    assert bucket.region == "us-west-2", "its own region is unknown: the provider's"
    found = verdicts(run_engine(inventory))
    assert found[("VG-EC2-001", "scratch")] is Status.UNKNOWN
    assert found[("VG-LOG-001", "app")] is Status.UNKNOWN
    assert found[("VG-S3-001", "exports")] is Status.UNKNOWN
    assert found[("VG-LOG-002", "app")] is Status.PASS


def test_preview_secrets_and_unmarked_provider_secrets_are_never_printed() -> None:
    inventory = read("preview.json")
    results = run_engine(inventory)
    resources = by_name(inventory)
    assert resources[("aws_db_instance", "claims-db")].attributes["password"] == REDACTED
    sessions = resources[("aws_elasticache_replication_group", "sessions")]
    assert sessions.attributes["auth_token"] == REDACTED and "auth_token" in sessions.sensitive
    printed = everything_printed(inventory, results)
    assert "tok-PlainTextTokenNotMarkedSecret-42" not in printed
    assert "[secret]" not in printed


def test_save_plan_files_are_read() -> None:
    inventory = read("save-plan.json")
    resources = by_name(inventory)
    assert set(resources) == {("aws_kms_key", "statements"), ("aws_sqs_queue", "claim-events")}, \
        "the queue the plan deletes is not checked"
    assert {r.region for r in inventory.resources} == {"eu-west-1"}
    found = verdicts(run_engine(inventory))
    assert found[("VG-KMS-001", "statements")] is Status.FAIL
    assert found[("VG-SQS-001", "claim-events")] is Status.PASS
    assert found[("VG-TPA-003", "statements")] is Status.UNKNOWN, "the key policy is computed"


def test_region_falls_back_to_the_stack_config() -> None:
    document = load("preview.json")
    for step in document["steps"]:
        if step["urn"].endswith("default_7_51_1"):
            step["newState"]["inputs"].pop("region")
            step["newState"]["outputs"].pop("region")
    document["config"]["aws:region"] = "ca-central-1"
    regions = {r.address.rsplit("::", 1)[-1]: r.region for r in read("preview.json", document).resources}
    assert regions["scratch"] == "ca-central-1"
    assert regions["claims-db"] == "us-west-2", "the resource's own region (pulumi-aws v7) comes first"


# -- public stack exports (../shared/fixtures/public, when the checkout sits beside it) ---------------------------
needs_public = pytest.mark.skipif(not PUBLIC.exists(), reason="../shared/fixtures/public is not beside this checkout")


@needs_public
@pytest.mark.parametrize("path", sorted(PUBLIC.glob("pulumi-aws__*.json")), ids=lambda p: p.name)
def test_public_stack_exports_are_read_without_error(path) -> None:
    inventory = read_pulumi(path.name, json.loads(path.read_text()))
    assert inventory.resources
    run_engine(inventory)


@needs_public
def test_public_pulumi_aws_v5_bucket_export_reads_the_legacy_inline_shape() -> None:
    path = PUBLIC / "pulumi-aws__bucket__stack.json"
    inventory = read_pulumi(path.name, json.loads(path.read_text()))
    (bucket,) = inventory.resources
    assert bucket.type == "aws_s3_bucket" and bucket.region == "us-west-2"
    assert bucket.attributes["server_side_encryption_configuration"][0]["rule"][0][
        "apply_server_side_encryption_by_default"][0]["sse_algorithm"] == "AES256"
    found = verdicts(run_engine(inventory))
    assert found[("VG-S3-001", "tested-resource")] is Status.PASS
    assert found[("VG-S3-004", "tested-resource")] is Status.FAIL
    assert found[("VG-S3-005", "tested-resource")] is Status.FAIL, "loggings: []"


@needs_public
def test_public_kms_key_export_takes_region_and_account_from_the_arn() -> None:
    path = PUBLIC / "pulumi-aws__kms-key__stack.json"
    (key,) = read_pulumi(path.name, json.loads(path.read_text())).resources
    assert (key.region, key.account) == ("us-west-2", "616138583583")


# -- folding --------------------------------------------------------------------------------------------------
BUCKET_URN = "urn:pulumi:s::p::aws:s3/bucket:Bucket::{}"
VERSIONING_URN = "urn:pulumi:s::p::aws:s3/bucketVersioning:BucketVersioning::v"


def _bucket(name: str, **extra: Any) -> dict[str, Any]:
    return {"urn": BUCKET_URN.format(name), "custom": True, "type": "aws:s3/bucket:Bucket",
            "outputs": {"bucket": name, "id": name, "versioning": {"enabled": False, "mfaDelete": False}}, **extra}


def _versioning(bucket: str, **extra: Any) -> dict[str, Any]:
    return {"urn": VERSIONING_URN, "custom": True, "type": "aws:s3/bucketVersioning:BucketVersioning",
            "inputs": {"bucket": bucket, "versioningConfiguration": {"status": "Enabled"}}, **extra}


def _versioning_of(inventory) -> dict[str, Any]:
    return {r.address.rsplit("::", 1)[-1]: r.attributes["versioning"] for r in inventory.resources}


def test_folding_follows_the_link_property_dependency() -> None:
    inventory = read_states("s", [_bucket("a"), _bucket("b"),
                                  _versioning(SENTINEL, propertyDependencies={"bucket": [BUCKET_URN.format("b")]})])
    assert _versioning_of(inventory) == {"a": [{"enabled": False, "mfa_delete": False}],
                                         "b": [{"enabled": True, "mfa_delete": False}]}


def test_folding_expands_a_component_dependency_to_its_resources() -> None:
    component = {"urn": "urn:pulumi:s::p::acme:x:Store::store", "custom": False, "type": "acme:x:Store"}
    inner = dict(_bucket("b"), parent=component["urn"])
    inventory = read_states("s", [component, _bucket("a"), inner,
                                  _versioning(SENTINEL, propertyDependencies={"bucket": [component["urn"]]})])
    assert _versioning_of(inventory)["b"][0]["enabled"] is True


def test_folding_uses_dependencies_when_a_state_has_no_property_dependencies() -> None:
    inventory = read_states("s", [_bucket("a"), _bucket("b"),
                                  _versioning(SENTINEL, dependencies=[BUCKET_URN.format("a")])])
    assert _versioning_of(inventory)["a"][0]["enabled"] is True


def test_folding_falls_back_to_equal_known_values() -> None:
    inventory = read_states("s", [_bucket("a"), _bucket("b"), _versioning("b", propertyDependencies={"bucket": []})])
    assert _versioning_of(inventory)["b"][0]["enabled"] is True
    assert _versioning_of(inventory)["a"][0]["enabled"] is False


def test_a_child_of_undecidable_parent_makes_every_candidate_unknown() -> None:
    ambiguous = _versioning(SENTINEL, propertyDependencies={"bucket": [BUCKET_URN.format("a"), BUCKET_URN.format("b")]})
    inventory = read_states("s", [_bucket("a"), _bucket("b"), ambiguous])
    assert _versioning_of(inventory) == {"a": UNKNOWN, "b": UNKNOWN}
    unlinked = _versioning(SENTINEL, propertyDependencies={"bucket": []})
    assert _versioning_of(read_states("s", [_bucket("a"), unlinked])) == {"a": UNKNOWN}


def test_renamed_link_properties_are_followed() -> None:
    topic = {"urn": "urn:pulumi:s::p::aws:sns/topic:Topic::t", "custom": True, "type": "aws:sns/topic:Topic",
             "outputs": {"name": "alerts", "arn": SENTINEL}}
    subscription = {"urn": "urn:pulumi:s::p::aws:sns/topicSubscription:TopicSubscription::s", "custom": True,
                    "type": "aws:sns/topicSubscription:TopicSubscription",
                    "inputs": {"topic": SENTINEL, "protocol": "email", "endpoint": "a@b.c"},
                    "propertyDependencies": {"topic": [topic["urn"]]}}
    (folded,) = read_states("s", [topic, subscription]).resources
    assert folded.attributes["subscription"] == [{"protocol": "email", "endpoint": "a@b.c"}]


# -- values -----------------------------------------------------------------------------------------------------
def test_secret_objects_keep_their_shape_and_lose_their_values() -> None:
    secret_block = {SIG_KEY: SECRET_SIG, "plaintext": json.dumps({"enabled": True, "kmsKeyArn": "arn:k"})}
    table = {"urn": "urn:pulumi:s::p::aws:dynamodb/table:Table::t", "custom": True, "type": "aws:dynamodb/table:Table",
             "outputs": {"name": "t", "serverSideEncryption": secret_block,
                         "tags": {"Name": "t", "ApiToken": "not-for-printing"}}}
    (resource,) = read_states("s", [table]).resources
    assert resource.attributes["server_side_encryption"] == [{"enabled": REDACTED, "kms_key_arn": REDACTED}]
    assert resource.attributes["tags"] == {"Name": "t", "ApiToken": REDACTED}, "secret-looking tag keys"
    assert {"server_side_encryption", "tags.ApiToken"} <= resource.sensitive


def test_unknown_sentinels_of_every_kind_and_inside_lists() -> None:
    group = {"urn": "urn:pulumi:s::p::aws:ec2/securityGroup:SecurityGroup::g", "custom": True,
             "type": "aws:ec2/securityGroup:SecurityGroup",
             "outputs": {"ingress": [{"fromPort": 22, "toPort": 22, "protocol": "tcp",
                                      "cidrBlocks": ["6a19a0b0-7e62-4c92-b797-7f8e31da9cc2"]}],
                         "egress": "output<array>"}}
    (resource,) = read_states("s", [group]).resources
    assert resource.attributes["ingress"][0]["cidr_blocks"] == [UNKNOWN]
    assert resource.attributes["egress"] is UNKNOWN
    assert resource.unknown == {"ingress.0.cidr_blocks.0", "egress"}
    assert verdicts(run_engine(read_states("s", [group]), ["VG-EC2-004"]))[("VG-EC2-004", "g")] is Status.UNKNOWN


def test_a_checkpoint_file_reads_like_a_stack_export() -> None:
    export = load("stack-export-v6.json")
    checkpoint = {"version": 3, "checkpoint": {"stack": "prod", "latest": export["deployment"]}}
    assert len(read("checkpoint.json", checkpoint).resources) == len(read("stack-export-v6.json").resources)


# -- bad input ---------------------------------------------------------------------------------------------------
BAD = [
    ([1, 2], "not a Pulumi preview or stack"),
    ({}, "not a Pulumi preview or stack"),
    ({"format_version": "1.2", "resource_changes": []}, "use `vendorguard scan plan`"),
    ({"version": 1, "deployment": {"resources": []}}, "unsupported stack export version 1"),
    ({"version": 3, "deployment": {"resources": {"a": 1}}}, "deployment.resources is not a list"),
    ({"version": 3, "deployment": {"resources": ["urn:x"]}}, "deployment.resources[0] is not an object"),
    ({"version": 3, "deployment": {"resources": [{"urn": "urn:x"}]}}, "deployment.resources[0]: no resource type"),
    ({"version": 3, "deployment": {"resources": [{"urn": "u", "type": "aws:kms/key:Key", "outputs": [1]}]}},
     "deployment.resources[0].outputs is not an object"),
    ({"steps": {"op": "create"}}, "steps is not a list"),
    ({"steps": ["create"]}, "steps[0] is not an object"),
    ({"steps": [{"op": "create", "newState": {"type": "aws:kms/key:Key"}}]}, "steps[0].newState: no URN"),
    ({"resourcePlans": []}, "resourcePlans is not an object"),
    ({"resourcePlans": {"urn:a": {"goal": "x", "steps": ["create"]}}}, "goal is not an object"),
]


@pytest.mark.parametrize("document,problem", BAD, ids=[p for _, p in BAD])
def test_malformed_input_is_a_one_line_error_naming_the_file(document: Any, problem: str) -> None:
    with pytest.raises(InputError) as info:
        read_pulumi("stack.json", document)
    message = str(info.value)
    assert message.startswith("stack.json: ") and "\n" not in message
    assert problem in message


def test_a_file_that_is_not_json_is_a_one_line_error() -> None:
    with pytest.raises(InputError) as info:
        read_pulumi("preview.json", parse_json("preview.json", b'{"steps": [}'))
    assert "\n" not in str(info.value) and str(info.value).startswith("preview.json: not valid JSON")


def test_the_error_for_an_unknown_document_says_what_was_expected() -> None:
    with pytest.raises(InputError) as info:
        read_pulumi("x.json", {"resources": []})
    assert re.search(r"pulumi preview --json.*pulumi stack export.*--save-plan", str(info.value))


def test_the_table_file_is_data_the_schema_of_which_the_reader_relies_on() -> None:
    raw = yaml.safe_load((ROOT / "policies" / "types.yaml").read_text())
    assert set(raw) == {"maps_everywhere", "not_resources", "types"}
    with_tokens = 0
    for terraform, record in raw["types"].items():
        if "pulumi" not in record:
            continue
        spec = record["pulumi"]
        assert set(spec) <= {"tokens", "renames", "maps"} and spec["tokens"], terraform
        with_tokens += 1
    assert with_tokens == len(type_table().by_terraform)
    assert set(raw["not_resources"]) <= {t for t, r in raw["types"].items() if "pulumi" not in r}
