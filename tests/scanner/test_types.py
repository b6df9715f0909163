"""One record per resource type (`policies/types.yaml`, `scanner/types.py`): complete, consistent with
the rules, the collectors and the fold table, valid against its schema, and its ASFF and AWS Config
types checked against botocore's Security Hub and Config models (oracles no one here wrote)."""
from __future__ import annotations

import copy
import json
import subprocess
import sys
from collections import Counter
from typing import Any

import botocore.session
import jsonschema
import pytest
import yaml

from conftest import ROOT
from vendorguard.scanner import types as types_module
from vendorguard.scanner.sources.aws import collectors  # noqa: F401 - registers every collector
from vendorguard.scanner.sources.aws.collector import Collector
from vendorguard.scanner.types import (
    KINDS,
    TypeInfo,
    asff_type,
    config_types,
    fold_specs,
    of_kind,
    parse,
    singletons,
    type_info,
    type_table,
    types_file,
)

TYPES_YAML = ROOT / "policies" / "types.yaml"
SCHEMA = ROOT / "policies" / "schemas" / "types.schema.json"


def raw_file() -> dict[str, Any]:
    return yaml.safe_load(TYPES_YAML.read_text())


def rule_types() -> set[str]:
    found = set()
    for path in sorted((ROOT / "policies" / "rules").glob("*.yaml")):
        for rule in yaml.safe_load(path.read_text())["rules"]:
            found.update(rule.get("resource_types") or ())
    return found


# -- complete --------------------------------------------------------------------------------------------
def test_every_type_a_rule_names_has_a_record() -> None:
    wanted = rule_types()
    assert wanted, "the rules name types"
    missing = wanted - set(type_table())
    assert not missing, f"rule types without a record: {sorted(missing)}"


def test_every_collector_type_has_a_record_naming_that_collector() -> None:
    names = Counter(cls.__name__ for cls in Collector.registry)
    assert names and all(n == 1 for n in names.values()), f"collector names must be unique: {names}"
    for cls in Collector.registry:
        for terraform in cls.types:
            info = type_info(terraform)
            assert info is not None, f"{cls.__name__} declares {terraform}, which has no record"
            assert info.collector == cls.__name__, \
                f"{terraform}: record names collector {info.collector!r}, but {cls.__name__} declares it"


def test_every_named_collector_is_a_real_collector_that_declares_the_type() -> None:
    by_name = {cls.__name__: cls for cls in Collector.registry}
    named = {t: info.collector for t, info in type_table().items() if info.collector}
    assert named
    for terraform, name in named.items():
        assert name in by_name, f"{terraform}: collector {name!r} is not a registered collector"
        assert terraform in by_name[name].types, f"{terraform}: {name} does not declare it"


def test_every_fold_parent_has_a_record_and_the_fold_table_is_built_from_the_records() -> None:
    from vendorguard.scanner.folding import fold_table

    specs = fold_specs()
    assert specs
    for child, spec in specs.items():
        for parent in spec["parents"]:
            assert parent in type_table(), f"{child}: fold parent {parent} has no record"
            assert type_table()[parent].fold is None, f"{child}: parent {parent} is itself a child"
    table = fold_table()
    assert set(table) == set(specs)
    for child, rule in table.items():
        assert rule.parents == tuple(specs[child]["parents"]) and rule.mode == specs[child]["mode"]


def test_every_pulumi_token_is_listed_once() -> None:
    tokens = Counter(token for record in raw_file()["types"].values()
                     for token in (record.get("pulumi") or {}).get("tokens") or ())
    assert tokens
    twice = sorted(t for t, n in tokens.items() if n > 1)
    assert not twice, f"tokens listed more than once: {twice}"
    from vendorguard.scanner.sources.pulumi import type_table as pulumi_table

    table = pulumi_table()
    assert set(table.by_token) == set(tokens)
    assert set(table.by_terraform) == {t for t, info in type_table().items() if info.tokens}
    assert set(table.not_resources) == set(types_file().not_resources) == {"aws_iam_account_summary"}
    assert table.maps_everywhere == frozenset({"tags", "tagsAll"})


def test_every_record_has_a_valid_kind() -> None:
    for terraform, info in type_table().items():
        assert info.kind and set(info.kind) <= set(KINDS), f"{terraform}: kind {info.kind}"
        assert len(set(info.kind)) == len(info.kind), terraform
    # every kind is in use, and a few plain cases are what they obviously are
    assert all(of_kind(k) for k in KINDS)
    assert {"aws_s3_bucket", "aws_db_instance", "aws_ebs_volume", "aws_sqs_queue"} <= of_kind("stores-data")
    assert {"aws_security_group", "aws_lb_listener", "aws_cloudfront_distribution"} <= of_kind("network-path")
    assert {"aws_iam_role", "aws_s3_bucket_policy", "aws_lambda_permission"} <= of_kind("grants-access")
    assert {"aws_guardduty_detector", "aws_cloudtrail", "aws_flow_log"} <= of_kind("security-control")
    with pytest.raises(ValueError, match="unknown kind"):
        of_kind("holds-secrets")


def test_singleton_scopes() -> None:
    assert singletons("region") == {"aws_guardduty_detector", "aws_securityhub_account", "aws_macie2_account",
                                    "aws_inspector2_enabler", "aws_ebs_encryption_by_default",
                                    "aws_config_configuration_recorder", "aws_glue_data_catalog_encryption_settings",
                                    "aws_emr_block_public_access_configuration",
                                    "aws_ecr_registry_scanning_configuration", "aws_ecr_registry_policy"}
    assert singletons("account") == {"aws_iam_account_password_policy", "aws_s3_account_public_access_block",
                                     "aws_iam_account_summary"}
    assert singletons() == singletons("region") | singletons("account")
    from vendorguard.scanner.engine import singleton_types

    assert singleton_types() == singletons()


# -- ASFF types, against botocore's Security Hub model ----------------------------------------------------
#: ASFF types a record may name that botocore has no ``Aws<X>Details`` shape for, with the reason.
#: (None today: every one the records name has its details shape.)
ASFF_WITHOUT_DETAILS: dict[str, str] = {}


def test_asff_types_are_security_hub_resource_types() -> None:
    model = botocore.session.get_session().get_service_model("securityhub")
    shapes = set(model.shape_names)
    details = {name: shape.name for name, shape in model.shape_for("ResourceDetails").members.items()}
    named = {t: info.asff for t, info in type_table().items() if info.asff}
    assert len(named) >= 40
    for terraform, asff in sorted(named.items()):
        if asff in ASFF_WITHOUT_DETAILS:
            continue
        assert f"{asff}Details" in shapes, f"{terraform}: {asff} has no {asff}Details shape in botocore"
        assert details.get(asff) == f"{asff}Details", f"{terraform}: ResourceDetails has no {asff} member"
    assert not set(ASFF_WITHOUT_DETAILS) - set(named.values()), "an exception no record needs"


def test_config_types_are_aws_config_resource_types() -> None:
    """Every `config` value is a member of the ``ResourceType`` enum of botocore's own Config model:
    a misspelt type would never match what GetDiscoveredResourceCounts answers, and the type it
    stands for would be named as "not read" in every live scan."""
    enum = set(botocore.session.get_session().get_service_model("config").shape_for("ResourceType").enum)
    named = {t: info.config for t, info in type_table().items() if info.config}
    assert len(named) >= 50
    wrong = {t: [c for c in config if c not in enum] for t, config in named.items()}
    assert {t: c for t, c in wrong.items() if c} == {}
    assert config_types()["AWS::EC2::SecurityGroup"] == ("aws_security_group", "aws_default_security_group")
    assert config_types()["AWS::S3::Bucket"] == ("aws_s3_bucket",)


def test_the_asff_report_reads_the_records() -> None:
    from vendorguard.scanner.reports import asff

    assert not hasattr(asff, "RESOURCE_TYPES")
    assert asff_type("aws_s3_bucket") == "AwsS3Bucket"
    assert asff_type("aws_lb_listener") is None and asff_type("aws_no_such_thing") is None
    resource = asff._resource({"resource_type": "aws_rds_cluster", "source": "aws"}, {"scope": "resource"},
                              "111122223333", "us-east-1", "aws", "arn:aws:rds:us-east-1:111122223333:cluster:claims")
    assert resource["Type"] == "AwsRdsDbCluster"
    plan = asff._resource({"resource_type": "aws_rds_cluster", "source": "terraform-plan"}, {"scope": "resource"},
                          "111122223333", "us-east-1", "aws", "aws_rds_cluster.claims")
    assert plan["Type"] == "Other", "an ASFF type promises an ARN"


# -- the file's format --------------------------------------------------------------------------------------
def test_the_file_is_valid_against_its_schema() -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(raw_file())


def _mutated(change) -> dict[str, Any]:
    raw = copy.deepcopy(raw_file())
    change(raw)
    return raw


BAD = [
    ("unknown record key", lambda r: r["types"]["aws_s3_bucket"].update(servce="s3"),
     "aws_s3_bucket: unknown record key 'servce'"),
    ("unknown pulumi key", lambda r: r["types"]["aws_sqs_queue"]["pulumi"].update(token=["x"]),
     "aws_sqs_queue: unknown pulumi key 'token'"),
    ("unknown fold key", lambda r: r["types"]["aws_s3_bucket_policy"]["fold"].update(parent="aws_s3_bucket"),
     "aws_s3_bucket_policy: unknown fold key 'parent'"),
    ("token listed twice", lambda r: r["types"]["aws_sqs_queue"]["pulumi"]["tokens"].append("aws:sns/topic:Topic"),
     "aws_sqs_queue: aws:sns/topic:Topic is listed twice (also under aws_sns_topic)"),
    ("kind outside the set", lambda r: r["types"]["aws_ebs_volume"].update(kind=["stores-data", "holds-phi"]),
     "aws_ebs_volume: kind 'holds-phi' is not one of"),
    ("no kind", lambda r: r["types"]["aws_ebs_volume"].pop("kind"), "aws_ebs_volume: `kind` must be"),
    ("bad singleton", lambda r: r["types"]["aws_guardduty_detector"].update(singleton="organization"),
     "aws_guardduty_detector: `singleton` is 'organization'"),
    ("fold parent without a record", lambda r: r["types"]["aws_flow_log"]["fold"]["parents"].append("aws_nat_gateway"),
     "aws_flow_log: fold parent aws_nat_gateway has no record"),
    ("bad fold mode", lambda r: r["types"]["aws_flow_log"]["fold"].update(mode="prepend"),
     "aws_flow_log: `fold.mode` is 'prepend'"),
    ("bad asff", lambda r: r["types"]["aws_s3_bucket"].update(asff="S3Bucket"),
     "aws_s3_bucket: `asff` 'S3Bucket' is not an ASFF resource type"),
    ("bad config", lambda r: r["types"]["aws_s3_bucket"].update(config=["AWS::S3:Bucket"]),
     "aws_s3_bucket: `config` 'AWS::S3:Bucket' is not an AWS Config resource type"),
    ("config listed twice", lambda r: r["types"]["aws_s3_bucket"].update(config=["AWS::S3::Bucket"] * 2),
     "aws_s3_bucket: `config` lists ['AWS::S3::Bucket'] twice"),
    ("not_resources with tokens", lambda r: r["not_resources"].update(aws_sqs_queue="no"),
     "aws_sqs_queue: named in not_resources but has Pulumi tokens"),
]


@pytest.mark.parametrize("label,change,problem", BAD, ids=[b[0] for b in BAD])
def test_a_bad_record_is_a_value_error_naming_the_type(label: str, change, problem: str) -> None:
    raw = _mutated(change)
    with pytest.raises(ValueError) as info:
        parse(raw)
    assert problem in str(info.value), str(info.value)
    assert str(info.value).startswith("policies/types.yaml: ")


@pytest.mark.parametrize("label,change", [(b[0], b[1]) for b in BAD
                                          if b[0] not in ("token listed twice", "fold parent without a record",
                                                          "not_resources with tokens")],
                         ids=[b[0] for b in BAD if b[0] not in ("token listed twice", "fold parent without a record",
                                                                  "not_resources with tokens")])
def test_the_schema_refuses_what_the_loader_refuses(label: str, change) -> None:
    """(Cross-record checks — a token under two types, a parent's record — are the loader's alone.)"""
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
    assert list(validator.iter_errors(_mutated(change))), label


def test_records_are_frozen_and_the_table_is_read_once() -> None:
    info = type_table()["aws_s3_bucket"]
    assert isinstance(info, TypeInfo)
    with pytest.raises(AttributeError):
        info.asff = "AwsEc2Volume"  # type: ignore[misc]
    with pytest.raises(TypeError):
        info.renames["x"] = "y"  # type: ignore[index]
    with pytest.raises(TypeError):
        type_table()["aws_x"] = info  # type: ignore[index]
    assert type_table() is type_table()


def test_the_old_tables_are_gone() -> None:
    for name in ("pulumi_types.yaml", "folding.yaml", "singletons.yaml"):
        assert not (ROOT / "policies" / name).exists(), name


def test_the_module_is_light() -> None:
    code = ("import sys; import vendorguard.scanner.types as t; t.type_table(); "
            "print(sorted(m for m in ('boto3', 'botocore', 'jsonschema', 'jmespath') if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"
    assert types_module.__doc__ and "policies/types.yaml" in types_module.__doc__
