"""Realistic Terraform plans of any size, for benchmarks (not tests).

Each "service" is a module instance holding what a billing vendor deploys per service: a bucket
with its split encryption/versioning/public-access-block/policy/logging, a security group with
rules, a database, volumes, a role, a key, a function, a log group, a table — with the unknowns a
real plan has (ids, ARNs, computed blocks) and references that make the children fold.

    python bench/generate_plan.py 10000 > plan-10k.json

`--shape` makes the same services in the shapes that once made folding quadratic (each split
child that cannot be tied to a parent walked every candidate parent):

    realistic       the default: every child folds through its ``configuration`` references
    no-config       the same plan without its ``configuration`` section (what some tools keep):
                    every link is unknown, so every child's parent is undetermined
    repeated-names  the services as instances of one counted module (``module.svc[i]``, the same
                    names in each), their security-group rules at the root naming the module's
                    output ``module.svc.sg_id`` — which instance is meant cannot be told
    unresolved      everything at the root, parents counted (``aws_s3_bucket.data[0]``…) and
                    children keyed by ``for_each`` strings, referencing the parent without an
                    index: many children, none resolvable
"""
from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from planbuilder import build_plan  # noqa: E402

PER_SERVICE = 20


def service(i: int) -> list[dict]:
    m = f"module.svc_{i}"
    ref = "${aws_s3_bucket.data.id}"
    sg = "${aws_security_group.app.id}"
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                        "Principal": {"AWS": f"arn:aws:iam::{444455556666 + i % 7}:root"}}]})
    return [
        {"type": "aws_s3_bucket", "name": "data", "module": m, "values": {"bucket": f"svc-{i}-data", "tags": {
            "DataClassification": "PHI" if i % 3 == 0 else "internal", "Service": f"svc-{i}"}},
         "unknown": ["id", "arn", "versioning", "server_side_encryption_configuration", "logging", "acl", "grant", "policy"]},
        {"type": "aws_s3_bucket_server_side_encryption_configuration", "name": "data", "module": m, "values": {
            "bucket": ref, "rule": [{"apply_server_side_encryption_by_default": [
                {"sse_algorithm": "aws:kms" if i % 2 else "AES256", "kms_master_key_id": None}], "bucket_key_enabled": True}]}},
        {"type": "aws_s3_bucket_versioning", "name": "data", "module": m, "values": {
            "bucket": ref, "versioning_configuration": [{"status": "Enabled" if i % 5 else "Suspended"}]}},
        {"type": "aws_s3_bucket_public_access_block", "name": "data", "module": m, "values": {
            "bucket": ref, "block_public_acls": True, "block_public_policy": True, "ignore_public_acls": True,
            "restrict_public_buckets": i % 11 != 0}},
        {"type": "aws_s3_bucket_logging", "name": "data", "module": m, "values": {"bucket": ref, "target_bucket": "logs"}},
        {"type": "aws_s3_bucket_policy", "name": "data", "module": m, "values": {"bucket": ref, "policy": json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                                                     "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})}},
        {"type": "aws_security_group", "name": "app", "module": m, "values": {"name": f"svc-{i}"}, "unknown": ["id", "ingress", "egress"]},
        {"type": "aws_vpc_security_group_ingress_rule", "name": "https", "module": m, "values": {
            "security_group_id": sg, "ip_protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_ipv4": "0.0.0.0/0"}},
        {"type": "aws_security_group_rule", "name": "admin", "module": m, "values": {
            "type": "ingress", "security_group_id": sg, "protocol": "tcp", "from_port": 22, "to_port": 22,
            "cidr_blocks": ["0.0.0.0/0" if i % 13 == 0 else "10.0.0.0/8"]}},
        {"type": "aws_vpc_security_group_egress_rule", "name": "all", "module": m, "values": {
            "security_group_id": sg, "ip_protocol": "-1", "cidr_ipv4": "0.0.0.0/0"}},
        {"type": "aws_db_instance", "name": "db", "module": m, "values": {
            "identifier": f"svc-{i}", "engine": "postgres", "storage_encrypted": i % 17 != 0, "publicly_accessible": False,
            "backup_retention_period": 7 if i % 4 else 1, "multi_az": True, "deletion_protection": True,
            "auto_minor_version_upgrade": True, "iam_database_authentication_enabled": True, "password": f"pw-{i}",
            "enabled_cloudwatch_logs_exports": ["postgresql"]}, "unknown": ["kms_key_id", "arn", "endpoint"], "sensitive": ["password"]},
        {"type": "aws_ebs_volume", "name": "scratch", "module": m, "values": {"size": 100, "encrypted": i % 9 != 0},
         "unknown": ["kms_key_id", "arn"]},
        {"type": "aws_iam_role", "name": "partner", "module": m, "values": {"name": f"svc-{i}-partner", "assume_role_policy": trust}},
        {"type": "aws_kms_key", "name": "data", "module": m, "values": {"enable_key_rotation": i % 6 != 0}, "unknown": ["arn", "policy"]},
        {"type": "aws_lambda_function", "name": "worker", "module": m, "values": {
            "function_name": f"svc-{i}-worker", "runtime": "python3.12" if i % 8 else "python3.8", "package_type": "Zip",
            "environment": [{"variables": {"DB_PASSWORD": f"secret-{i}"}}]}},
        {"type": "aws_cloudwatch_log_group", "name": "app", "module": m, "values": {"name": f"/svc/{i}", "retention_in_days": 400},
         "unknown": ["kms_key_id"]},
        {"type": "aws_dynamodb_table", "name": "state", "module": m, "values": {
            "name": f"svc-{i}-state", "point_in_time_recovery": [{"enabled": True}], "server_side_encryption": []}},
        {"type": "aws_subnet", "name": "private", "module": m, "values": {"cidr_block": f"10.{i % 250}.0.0/24",
                                                                          "map_public_ip_on_launch": False}},
        {"type": "aws_instance", "name": "app", "module": m, "values": {
            "metadata_options": [{"http_tokens": "required", "http_endpoint": "enabled"}], "associate_public_ip_address": False,
            "root_block_device": [{"encrypted": True}], "ebs_block_device": []}, "unknown": ["iam_instance_profile", "arn"]},
        {"type": "aws_sqs_queue", "name": "jobs", "module": m, "values": {"name": f"svc-{i}-jobs", "sqs_managed_sse_enabled": True}},
    ]


def plan(resources: int) -> dict:
    services = max(1, resources // PER_SERVICE)
    items = [r for i in range(services) for r in service(i)]
    return build_plan(items, account_id="111122223333",
                      modules={f"module.svc_{i}": {} for i in range(services)})


def _is_child(item: dict) -> bool:
    return any(isinstance(v, str) and v.startswith("${") for v in item["values"].values())


def no_config(resources: int) -> dict:
    """The realistic plan without ``configuration``: no link can be followed."""
    document = plan(resources)
    del document["configuration"]
    return document


_SG_CHILDREN = ("aws_vpc_security_group_ingress_rule", "aws_security_group_rule", "aws_vpc_security_group_egress_rule")


def repeated_names(resources: int) -> dict:
    """One counted module, the same names in every instance; its security-group rules at the root,
    each naming the module's output (not an instance of it)."""
    services = max(1, resources // PER_SERVICE)
    items = []
    for i in range(services):
        for item in service(i):
            item = dict(item)
            if item["type"] in _SG_CHILDREN:
                item.pop("module")
                item["index"] = i
                item["values"] = {**item["values"], "security_group_id": "${module.svc.sg_id}"}
            else:
                item["module"] = "module.svc"
            items.append(item)
    document = build_plan(items, account_id="111122223333",
                          modules={"module.svc": {"outputs": {"sg_id": "${aws_security_group.app.id}"}}})
    # Each service's module resources as an instance of module.svc: module.svc[i].
    instance = 0
    for change in document["resource_changes"]:
        if change.get("module_address") == "module.svc":
            if change["type"] == "aws_s3_bucket":  # the first resource of each service
                instance += 1
            change["module_address"] = f"module.svc[{instance - 1}]"
            change["address"] = change["address"].replace("module.svc.", f"module.svc[{instance - 1}].", 1)
    return document


def unresolved(resources: int) -> dict:
    """Everything at the root: parents counted, children keyed by strings, references without an
    index — no child's parent can be told, and every one of them could belong to any parent."""
    services = max(1, resources // PER_SERVICE)
    items = []
    for i in range(services):
        for item in service(i):
            item = copy.deepcopy(item)
            item.pop("module")
            item["index"] = f"k{i}" if _is_child(item) else i
            items.append(item)
    return build_plan(items, account_id="111122223333")


SHAPES = {"realistic": plan, "no-config": no_config, "repeated-names": repeated_names, "unresolved": unresolved}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("resources", type=int)
    parser.add_argument("--shape", choices=sorted(SHAPES), default="realistic")
    args = parser.parse_args()
    json.dump(SHAPES[args.shape](args.resources), sys.stdout)
