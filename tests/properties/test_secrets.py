"""Planted secrets appear in no output format, no stderr and no log line — with VENDORGUARD_DEBUG=1
and with logging at DEBUG — and a live scan's credentials never appear in a log.

Every kind the issue names is planted, each with its own value, in a Terraform plan, a Pulumi
stack export and a seeded live (moto) account where the source can carry it:

- values Terraform marks in ``after_sensitive`` (a password; a bucket policy a rule reads; one
  element of an ingress list a rule reads), and a sensitive variable;
- Pulumi secret objects (the ``4dabf18193072939515e22adb298388d`` signature, plaintext and
  output-value forms), one on an attribute a rule reads;
- unmarked passwords (``aws_db_instance.password``, ``master_password``, ``auth_token``, an SSM
  parameter's value, a login profile's password, …);
- Lambda environment variables, ``user_data`` (plain and base64), tag values whose keys look like
  passwords, and what a plan carries besides: ``before`` values, ``prior_state``, ``output_changes``;
- live: the same in moto (Lambda environment, instance user data, secret-looking tags, an RDS master
  password, a SecureString parameter, a Secrets Manager secret, an object in a bucket), and the
  scan's own credentials: the secret access key and session token in the environment, the
  ExternalId of an assumed role, and the keys AssumeRole hands back.

Each value is searched for whole, base64-encoded, and by a 12-character slice of its middle (a
value cut short by a renderer still leaks).  botocore logs every request's headers and every
response's body at DEBUG: vendorguard never turns that on, and when a user does, the filter in
`scanner/sources/aws/session.py` takes credentials and response bodies out of botocore's records.
"""
from __future__ import annotations

import base64
import copy
import hashlib
import io
import json
import logging
import re
from pathlib import Path
from typing import Any, Iterator

import pytest

from conftest import lambda_zip, plan_of, policy, scan_moto, show_figures, trust, vendorguard
from vendorguard.scanner.catalog import select
from vendorguard.scanner.model import Status
from vendorguard.scanner.reports import FORMATS, render
from vendorguard.scanner.pipeline import evaluate, now
from vendorguard.scanner.sources.pulumi import SECRET_SIG, SIG_KEY, read_pulumi
from vendorguard.scanner.inputs import parse_json
from vendorguard.scanner.sources.tfplan import read_plan

OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
PLANTED: dict[str, str] = {}  # "source: kind" → value
LEAKS: list[str] = []


def secret(kind: str) -> str:
    """A value of its own for each planted secret (letters, digits and dashes: no escaping in any
    format changes it, so a plain search finds it)."""
    value = f"vgS3cr3t-{hashlib.sha256(kind.encode()).hexdigest()[:16]}-{len(PLANTED):02d}"
    PLANTED[kind] = value
    return value


def forms(value: str) -> list[str]:
    middle = len(value) // 2
    return [value, base64.b64encode(value.encode()).decode().rstrip("="), value[middle - 6: middle + 6]]


def leaks(text: str, kinds: list[str]) -> list[str]:
    return [kind for kind in kinds if any(form in text for form in forms(PLANTED[kind]))]


@pytest.fixture(scope="module", autouse=True)
def print_figures(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    sources = sorted({k.split(":")[0] for k in PLANTED})
    per_source = ", ".join(f"{sum(k.startswith(src + ':') for k in PLANTED)} in {src}" for src in sources)
    show_figures(request, [f"secrets: {len(PLANTED)} planted ({per_source}), {len(set(LEAKS))} leaked"]
                 + [f"  leaked: {kind}" for kind in sorted(set(LEAKS))])


@pytest.fixture
def debug_logs() -> Iterator[io.StringIO]:
    """Everything logged, by anyone, at DEBUG and above, while the test runs."""
    sink = io.StringIO()
    handler = logging.StreamHandler(sink)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield sink
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def check(where: str, text: str, kinds: list[str]) -> None:
    found = leaks(text, kinds)
    LEAKS.extend(f"{kind} (in {where})" for kind in found)
    assert not found, f"{where} shows {found}"


def every_format(document: dict[str, Any]) -> dict[str, str]:
    document = json.loads(json.dumps(document))  # as `vendorguard report` reads a saved scan
    return {fmt: render(document, fmt) for fmt in FORMATS}


#: the CLI runs with debugging on: no secret may reach even its debug output
DEBUG = {"VENDORGUARD_DEBUG": "1"}


def check_cli(label: str, args: list[str], out: Path, kinds: list[str], env: dict[str, str] | None = None,
              allowed: tuple[int, ...] = (0, 1), table_on_stdout: bool = True) -> None:
    """Every format written by the CLI (VENDORGUARD_DEBUG=1), its stderr, and the table on stdout."""
    out.mkdir(exist_ok=True)
    env = {**DEBUG, **(env or {})}
    formats = [a for fmt in FORMATS for a in ("--format", fmt)]
    written = vendorguard(*args, *formats, "--output-dir", str(out), env=env, timeout=300)
    assert written.returncode in allowed, written.stderr[-3000:]
    for path in sorted(out.iterdir()):
        check(f"{label} {path.name}", path.read_text(encoding="utf-8"), kinds)
    check(f"{label} stderr", written.stderr, kinds)
    if not table_on_stdout:
        return
    shown = vendorguard(*args, env=env, timeout=300)
    assert shown.returncode in allowed, shown.stderr[-3000:]
    check(f"{label} table on stdout", shown.stdout, kinds)
    check(f"{label} stderr", shown.stderr, kinds)


# A user's pack whose rules read every attribute a secret was planted in, and show them as
# evidence: a secret that reaches no rule cannot leak through a report, so without these the test
# would prove little about redaction itself.
NOSY_EVIDENCE = {
    "aws_db_instance": ["password", "tags", "tags_all"],
    "aws_rds_cluster": ["master_password"],
    "aws_elasticache_replication_group": ["auth_token"],
    "aws_ssm_parameter": ["value"],
    "aws_iam_user_login_profile": ["password"],
    "aws_secretsmanager_secret_version": ["secret_string"],
    "aws_lambda_function": ["environment", "tags"],
    "aws_instance": ["user_data", "user_data_base64", "tags"],
    "aws_launch_template": ["user_data"],
    "aws_s3_bucket": ["policy", "tags"],
    "aws_security_group": ["ingress", "tags"],
    "aws_lb_listener": ["ssl_policy"],
    "aws_ebs_volume": ["kms_key_id", "encrypted", "tags"],
}


@pytest.fixture(scope="module")
def nosy_pack(tmp_path_factory: pytest.TempPathFactory) -> str:
    rules = [{"id": f"NOSY-{i:03d}", "title": f"shows {rtype} secrets", "severity": "low", "domain": "data-exposure",
              "resource_types": [rtype], "condition": "`false`", "evidence": paths, "rationale": "a curious user",
              "remediation": {"text": "none"}, "references": {"hipaa": ["164.312(a)(1)"]}}
             for i, (rtype, paths) in enumerate(sorted(NOSY_EVIDENCE.items()))]
    path = tmp_path_factory.mktemp("nosy") / "nosy.yaml"
    path.write_text(json.dumps({"rules": rules, "pack": {"id": "nosy", "title": "nosy", "version": "1", "controls": [
        {"id": "all", "title": "all", "rules": [r["id"] for r in rules]}]}}))
    return str(path)


def packs_with(nosy_pack: str) -> list[str]:
    return ["hipaa", "vendor-article", nosy_pack]


def pack_args(nosy_pack: str) -> list[str]:
    return [a for p in packs_with(nosy_pack) for a in ("--pack", p)]


def assert_nosy_saw(report: Any, types: set[str]) -> None:
    """The nosy rules ran on the resources that hold the secrets (as FAILs: evidence is shown)."""
    hit = {r.resource_type for r in report.results if r.rule_id.startswith("NOSY-") and r.status is Status.FAIL}
    assert types <= hit, types - hit


# -- a Terraform plan -------------------------------------------------------------------------------------
def secret_plan() -> tuple[dict[str, Any], list[str]]:
    s = secret
    policy_secret = s("plan: sensitive bucket policy a rule reads")
    bucket_policy = policy(
        {"Sid": "OnlyFromOurEndpoint", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:SourceVpce": policy_secret}}})
    user_data = s("plan: user_data")
    plan = plan_of(
        {"type": "aws_db_instance", "name": "marked", "values": {
            "engine": "postgres", "storage_encrypted": False, "password": s("plan: after_sensitive password"),
            "tags": {"Owner": "billing"}}, "sensitive": ["password"]},
        {"type": "aws_db_instance", "name": "unmarked", "values": {
            "engine": "postgres", "storage_encrypted": True, "password": s("plan: unmarked db password"),
            "tags": {"db_password": s("plan: tag db_password"), "ApiKey": s("plan: tag ApiKey")},
            "tags_all": {"auth_token": s("plan: tags_all auth_token")}}},
        {"type": "aws_rds_cluster", "name": "c", "values": {
            "storage_encrypted": True, "master_password": s("plan: unmarked master_password")}},
        {"type": "aws_elasticache_replication_group", "name": "r", "values": {
            "transit_encryption_enabled": True, "at_rest_encryption_enabled": True,
            "auth_token": s("plan: unmarked auth_token")}},
        {"type": "aws_ssm_parameter", "name": "p", "values": {"name": "/db/pw", "type": "SecureString",
                                                              "value": s("plan: ssm parameter value")}},
        {"type": "aws_iam_user_login_profile", "name": "u", "values": {"user": "biller",
                                                                       "password": s("plan: login profile")}},
        {"type": "aws_secretsmanager_secret_version", "name": "v", "values": {
            "secret_string": s("plan: secret_string")}},
        {"type": "aws_lambda_function", "name": "claims", "values": {
            "function_name": "claims", "runtime": "python3.12", "kms_key_arn": None,
            "environment": [{"variables": {"DB_PASSWORD": s("plan: lambda env DB_PASSWORD"),
                                           "GREETING": s("plan: lambda env innocuous name")}}],
            "tracing_config": [{"mode": "PassThrough"}]}},
        {"type": "aws_instance", "name": "web", "values": {
            "ami": "ami-1", "user_data": user_data,
            "metadata_options": [{"http_tokens": "optional"}], "tags": {"Secret": s("plan: tag Secret")}}},
        {"type": "aws_instance", "name": "b64", "values": {
            "ami": "ami-1", "user_data_base64": base64.b64encode(s("plan: user_data_base64").encode()).decode()}},
        {"type": "aws_launch_template", "name": "lt", "values": {
            "user_data": base64.b64encode(s("plan: launch template user_data").encode()).decode()}},
        {"type": "aws_s3_bucket", "name": "claims", "values": {"bucket": "claims", "tags": {"phi": "true"}}},
        {"type": "aws_s3_bucket_policy", "name": "claims", "values": {"bucket": "${aws_s3_bucket.claims.id}",
                                                                      "policy": bucket_policy}, "sensitive": ["policy"]},
        {"type": "aws_security_group", "name": "web", "values": {"ingress": [
            {"from_port": 443, "to_port": 443, "protocol": "tcp", "cidr_blocks": ["10.0.0.0/8"],
             "description": s("plan: sensitive ingress description")},
            {"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"],
             "description": "ssh"}]}, "sensitive": ["ingress.0.description"]},
        {"type": "aws_lb_listener", "name": "l", "values": {
            "protocol": "HTTPS", "port": 443, "ssl_policy": s("plan: sensitive ssl_policy a rule reads"),
            "default_action": [{"type": "forward"}]}, "sensitive": ["ssl_policy"]},
        account_id="111122223333",
        variables={"db_password": s("plan: sensitive variable")},
    )
    # Terraform writes the literal into the configuration too (for a non-sensitive literal):
    # the reader reads configuration for references, never for values it reports.
    # An update: the old password in `before`, the state before the plan, the outputs.
    changes = plan["resource_changes"]
    marked = next(c for c in changes if c["address"] == "aws_db_instance.marked")
    marked["change"]["actions"] = ["update"]
    marked["change"]["before"] = dict(marked["change"]["after"], password=s("plan: before value"))
    marked["change"]["before_sensitive"] = {"password": True}
    plan["prior_state"] = {"format_version": "1.0", "values": {"root_module": {"resources": [
        {"address": "aws_db_instance.marked", "mode": "managed", "type": "aws_db_instance", "name": "marked",
         "values": {"password": s("plan: prior_state value")}, "sensitive_values": {"password": True}}]}}}
    plan["output_changes"] = {"db_url": {"actions": ["create"], "before": None,
                                         "after": f"postgres://u:{s('plan: sensitive output')}@db",
                                         "after_unknown": False, "before_sensitive": False, "after_sensitive": True}}
    plan["resource_drift"] = [copy.deepcopy(marked)]
    plan["resource_drift"][0]["change"]["after"] = {"password": s("plan: resource_drift value")}
    return plan, [k for k in PLANTED if k.startswith("plan:")]


def test_no_plan_secret_appears_in_any_output_or_log(tmp_path: Path, debug_logs: io.StringIO, nosy_pack: str) -> None:
    plan, kinds = secret_plan()
    data = json.dumps(plan).encode()
    assert all(PLANTED[k] in data.decode() or base64.b64encode(PLANTED[k].encode()).decode() in data.decode()
               for k in kinds), "every secret is in the input"
    inventory = read_plan("secrets.tfplan.json", parse_json("secrets.tfplan.json", data))
    _, selection = select(packs_with(nosy_pack))
    report = evaluate([inventory], selection, now())
    assert_nosy_saw(report, set(NOSY_EVIDENCE) - {"aws_ebs_volume"})
    # the test tests something: rules read the resources that hold the secrets
    seen = {(r.address, r.rule_id): r for r in report.results}
    assert seen[("aws_s3_bucket.claims", "VG-S3-003")].status is Status.UNKNOWN  # its policy is withheld
    assert "sensitive" in seen[("aws_s3_bucket.claims", "VG-S3-003")].reason
    assert seen[("aws_security_group.web", "VG-EC2-004")].status is Status.FAIL  # ssh open, description hidden
    assert any(address == "aws_lambda_function.claims" for address, _ in seen)
    document = report.to_document()
    check("plan: results document", json.dumps(document, ensure_ascii=False), kinds)
    for fmt, text in every_format(document).items():
        check(f"plan: {fmt}", text, kinds)
    check("plan: log records at DEBUG", debug_logs.getvalue(), kinds)
    # ...and as a user runs it, with VENDORGUARD_DEBUG=1
    path = tmp_path / "secrets.tfplan.json"
    path.write_bytes(data)
    check_cli("plan CLI", ["scan", "plan", str(path), *pack_args(nosy_pack)], tmp_path / "out", kinds)


def test_a_malformed_plan_does_not_quote_its_secrets(tmp_path: Path) -> None:
    """Error lines quote the input (an address, a key, a type): never a value it carries."""
    value = secret("plan: value in a malformed plan")
    broken = []
    plan = plan_of({"type": "aws_db_instance", "name": "d", "values": {"password": value}}, account_id="111122223333")
    for mutate in (lambda p: p["resource_changes"][0]["change"].__setitem__("after", value),
                   lambda p: p["resource_changes"][0]["change"].__setitem__("after_sensitive", value),
                   lambda p: p["resource_changes"][0]["change"].__setitem__("after_unknown", {value: [value]}),
                   lambda p: p["resource_changes"][0].__setitem__("index", {"x": value}),
                   lambda p: p.__setitem__("resource_changes", value),
                   lambda p: p["configuration"].__setitem__("provider_config", {"aws": {"expressions": value}})):
        document = copy.deepcopy(plan)
        mutate(document)
        path = tmp_path / f"broken-{len(broken)}.json"
        path.write_text(json.dumps(document))
        run_ = vendorguard("scan", "plan", str(path), "--format", "json", env=DEBUG, timeout=300)
        assert run_.returncode in (0, 1, 2) and "Traceback" not in run_.stderr, run_.stderr[-2000:]
        broken.append(run_.stdout + run_.stderr)
    check("plan: malformed-plan runs", "\n".join(broken), ["plan: value in a malformed plan"])


@pytest.mark.parametrize("rtype,attribute,value,rule_id", [
    ("aws_subnet", "map_public_ip_on_launch", True, "VG-EC2-009"),
    ("aws_instance", "associate_public_ip_address", True, "VG-EC2-010"),
    ("aws_guardduty_detector", "enable", False, "VG-GD-001"),
])
def test_a_withheld_value_is_never_a_pass(rtype: str, attribute: str, value: Any, rule_id: str) -> None:
    """Fail closed: a value the plan marks sensitive cannot be judged, so the rule that reads it
    is UNKNOWN ("withheld"), never PASS — here the hidden value is the one that fails."""
    plan = plan_of({"type": rtype, "name": "x", "values": {attribute: value}, "sensitive": [attribute]},
                   account_id="111122223333")
    _, selection = select([])
    report = evaluate([read_plan("p.json", json.loads(json.dumps(plan)))], selection, now())
    verdict = next(r for r in report.results if r.rule_id == rule_id)
    assert verdict.status is not Status.PASS, (verdict.status, verdict.reason)


# -- a Pulumi stack export --------------------------------------------------------------------------------
STACK_URN = "urn:pulumi:prod::billing::pulumi:pulumi:Stack::billing-prod"
PROVIDER_URN = "urn:pulumi:prod::billing::pulumi:providers:aws::default"
PROVIDER_ID = "0b7c5d6e-provider"


def _secret_value(value: Any) -> dict[str, Any]:
    """A secret as `pulumi stack export --show-secrets` writes it (the plaintext form)."""
    return {SIG_KEY: SECRET_SIG, "plaintext": json.dumps(value)}


def _secret_output(value: Any) -> dict[str, Any]:
    """A secret output value, as the engine serialises ``Output`` objects (the output-value form)."""
    return {SIG_KEY: OUTPUT_SIG, "value": value, "secret": True}


def _urn(token: str, name: str) -> str:
    return f"urn:pulumi:prod::billing::{token}::{name}"


def _resource(token: str, name: str, props: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A custom resource as the stack export records it: inputs and outputs, the stack as parent,
    the default provider by reference."""
    return {"urn": _urn(token, name), "custom": True, "id": f"{name}-id", "type": token,
            "inputs": props, "outputs": props, "parent": STACK_URN,
            "provider": f"{PROVIDER_URN}::{PROVIDER_ID}", **extra}


def secret_stack() -> tuple[dict[str, Any], list[str]]:
    s = secret
    bucket_policy = policy(
        {"Sid": "OnlyFromOurEndpoint", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:SourceVpce": s("pulumi: secret bucket policy a rule reads")}}})
    bucket_urn = _urn("aws:s3/bucket:Bucket", "claims")
    resources = [
        _resource("aws:rds/instance:Instance", "marked", {
            "engine": "postgres", "storageEncrypted": False,
            "password": _secret_value(s("pulumi: secret password (plaintext form)")),
            "tags": {"Owner": "billing"}}),
        _resource("aws:rds/instance:Instance", "unmarked", {
            "engine": "postgres", "storageEncrypted": True, "password": s("pulumi: unmarked db password"),
            "tags": {"db_password": s("pulumi: tag db_password"), "ApiKey": s("pulumi: tag ApiKey")},
            "tagsAll": {"auth_token": s("pulumi: tagsAll auth_token")}}),
        _resource("aws:rds/cluster:Cluster", "c", {
            "storageEncrypted": True, "masterPassword": s("pulumi: unmarked masterPassword")}),
        _resource("aws:elasticache/replicationGroup:ReplicationGroup", "r", {
            "transitEncryptionEnabled": True, "atRestEncryptionEnabled": True,
            "authToken": s("pulumi: unmarked authToken")}),
        # types the mapping table does not know: reported as not assessed, by token alone
        _resource("aws:ssm/parameter:Parameter", "p", {"name": "/db/pw", "type": "SecureString",
                                                       "value": s("pulumi: ssm parameter value")}),
        _resource("aws:iam/userLoginProfile:UserLoginProfile", "u", {
            "user": "biller", "password": s("pulumi: login profile")}),
        _resource("aws:secretsmanager/secretVersion:SecretVersion", "v", {
            "secretString": _secret_output(s("pulumi: secretString (output-value form)"))}),
        _resource("aws:ec2/launchTemplate:LaunchTemplate", "lt", {
            "userData": base64.b64encode(s("pulumi: launch template userData").encode()).decode()}),
        _resource("aws:lambda/function:Function", "claims", {
            "name": "claims", "runtime": "python3.12",
            "environment": {"variables": {
                "DB_PASSWORD": s("pulumi: lambda env DB_PASSWORD"),
                "GREETING": s("pulumi: lambda env innocuous name"),
                "API_TOKEN": _secret_value(s("pulumi: lambda env secret (plaintext form)"))}},
            "tracingConfig": {"mode": "PassThrough"}}),
        _resource("aws:ec2/instance:Instance", "web", {
            "ami": "ami-1", "userData": s("pulumi: userData"), "metadataOptions": {"httpTokens": "optional"},
            "tags": {"Secret": s("pulumi: tag Secret")}}),
        _resource("aws:ec2/instance:Instance", "b64", {
            "ami": "ami-1", "userDataBase64": base64.b64encode(s("pulumi: userDataBase64").encode()).decode()}),
        _resource("aws:s3/bucket:Bucket", "claims", {"bucket": "claims", "tags": {"phi": "true"}}),
        _resource("aws:s3/bucketPolicy:BucketPolicy", "claims", {"bucket": "claims", "policy": _secret_output(bucket_policy)},
                  propertyDependencies={"bucket": [bucket_urn]}, dependencies=[bucket_urn]),
        _resource("aws:ec2/securityGroup:SecurityGroup", "web", {"ingress": [
            {"fromPort": 443, "toPort": 443, "protocol": "tcp", "cidrBlocks": ["10.0.0.0/8"],
             "description": _secret_value(s("pulumi: secret ingress description (plaintext form)"))},
            {"fromPort": 22, "toPort": 22, "protocol": "tcp", "cidrBlocks": ["0.0.0.0/0"], "description": "ssh"}]}),
        _resource("aws:lb/listener:Listener", "l", {
            "protocol": "HTTPS", "port": 443,
            "sslPolicy": _secret_output(s("pulumi: secret sslPolicy a rule reads (output-value form)")),
            "defaultActions": [{"type": "forward"}]}),
        _resource("aws:ebs/volume:Volume", "scratch", {
            "availabilityZone": "us-east-1a", "encrypted": True,
            "kmsKeyId": {SIG_KEY: SECRET_SIG, "value": s("pulumi: secret kmsKeyId (value form)")},
            "tags": _secret_value({"Owner": s("pulumi: secret tags map (a whole object)")})}),
    ]
    provider_inputs = {"region": "us-east-1", "allowedAccountIds": json.dumps(["111122223333"]),
                       "secretKey": _secret_value(s("pulumi: provider secretKey")), "version": "7.0.0"}
    export = {
        "version": 3,
        "deployment": {
            "manifest": {"time": "2025-01-01T00:00:00Z", "magic": "0" * 64, "version": "v3.272.0"},
            "secrets_providers": {"type": "passphrase", "state": {"salt": "v1:test"}},
            "resources": [
                {"urn": STACK_URN, "custom": False, "type": "pulumi:pulumi:Stack",
                 "outputs": {"dbUrl": _secret_value(f"postgres://u:{s('pulumi: secret stack output')}@db")}},
                {"urn": PROVIDER_URN, "custom": True, "id": PROVIDER_ID, "type": "pulumi:providers:aws",
                 "inputs": provider_inputs, "outputs": provider_inputs, "parent": STACK_URN},
                *resources,
            ],
        },
    }
    return export, [k for k in PLANTED if k.startswith("pulumi:")]


def test_no_pulumi_secret_appears_in_any_output_or_log(tmp_path: Path, debug_logs: io.StringIO, nosy_pack: str) -> None:
    export, kinds = secret_stack()
    data = json.dumps(export).encode()
    assert all(PLANTED[k] in data.decode() or base64.b64encode(PLANTED[k].encode()).decode() in data.decode()
               for k in kinds), "every secret is in the input"
    inventory = read_pulumi("secrets.stack.json", parse_json("secrets.stack.json", data))
    _, selection = select(packs_with(nosy_pack))
    report = evaluate([inventory], selection, now())
    unmapped = {"aws_iam_user_login_profile", "aws_secretsmanager_secret_version", "aws_launch_template"}
    assert_nosy_saw(report, set(NOSY_EVIDENCE) - unmapped)
    assert len(inventory.notes) == len(unmapped), inventory.notes  # read, and reported as not assessed
    # the test tests something: rules read the resources that hold the secrets
    seen = {(r.address, r.rule_id): r for r in report.results}
    bucket = _urn("aws:s3/bucket:Bucket", "claims")
    assert seen[(bucket, "VG-S3-003")].status is Status.UNKNOWN  # its policy is a secret
    assert "sensitive" in seen[(bucket, "VG-S3-003")].reason
    assert seen[(_urn("aws:ec2/securityGroup:SecurityGroup", "web"), "VG-EC2-004")].status is Status.FAIL
    assert any(address == _urn("aws:lambda/function:Function", "claims") for address, _ in seen)
    document = report.to_document()
    check("pulumi: results document", json.dumps(document, ensure_ascii=False), kinds)
    for fmt, text in every_format(document).items():
        check(f"pulumi: {fmt}", text, kinds)
    check("pulumi: log records at DEBUG", debug_logs.getvalue(), kinds)
    # ...and as a user runs it, with VENDORGUARD_DEBUG=1
    path = tmp_path / "secrets.stack.json"
    path.write_bytes(data)
    check_cli("pulumi CLI", ["scan", "pulumi", str(path), *pack_args(nosy_pack)], tmp_path / "out", kinds)


# -- a live account ---------------------------------------------------------------------------------------
def seed_live_secrets(aws: Any) -> None:
    """Every live kind the module docstring names, in moto, each with its own value."""
    s = secret
    iam = aws("iam")
    role = iam.create_role(RoleName="claims-fn", AssumeRolePolicyDocument=trust(
        {"Service": "lambda.amazonaws.com"}))["Role"]["Arn"]
    aws("lambda").create_function(
        FunctionName="claims", Runtime="python3.12", Role=role, Handler="index.handler",
        Code={"ZipFile": lambda_zip()},
        Environment={"Variables": {"DB_PASSWORD": s("live: lambda env DB_PASSWORD"),
                                   "GREETING": s("live: lambda env innocuous name")}})
    aws("ec2").run_instances(
        ImageId="ami-12345678", MinCount=1, MaxCount=1, InstanceType="t3.micro", UserData=s("live: user_data"),
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Secret", "Value": s("live: tag Secret")}]}])
    aws("rds").create_db_instance(
        DBInstanceIdentifier="claims", Engine="postgres", DBInstanceClass="db.t3.micro", AllocatedStorage=20,
        MasterUsername="admin", MasterUserPassword=s("live: rds master password"),
        Tags=[{"Key": "db_password", "Value": s("live: tag db_password")}])
    aws("ssm").put_parameter(Name="/claims/db-password", Type="SecureString",
                             Value=s("live: SecureString parameter"))
    aws("secretsmanager").create_secret(Name="claims/db", SecretString=s("live: Secrets Manager secret"))
    s3 = aws("s3")
    s3.create_bucket(Bucket="claims-phi")
    s3.put_bucket_tagging(Bucket="claims-phi", Tagging={"TagSet": [
        {"Key": "ApiKey", "Value": s("live: tag ApiKey")}, {"Key": "DataClassification", "Value": "PHI"}]})
    s3.put_object(Bucket="claims-phi", Key="claims/2024.csv", Body=s("live: object in a bucket").encode())


def test_no_live_secret_or_credential_appears_in_any_output_or_log(
        aws: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, debug_logs: io.StringIO, nosy_pack: str) -> None:
    """The live secrets are in the account, and the scan's own credentials are the ones it runs
    with: neither may reach a report, stderr or a log record (botocore's own, at DEBUG, included)."""
    from vendorguard.scanner.sources.aws.session import AwsAccess

    seed_live_secrets(aws)
    # The audit role the scan assumes: its trust policy requires the ExternalId.
    external_id = secret("live: --external-id")
    aws("iam").create_role(RoleName="auditor", AssumeRolePolicyDocument=trust(
        {"AWS": "arn:aws:iam::123456789012:root"}, {"StringEquals": {"sts:ExternalId": external_id}}))
    debug_logs.seek(0)
    debug_logs.truncate()  # what seeding logged is the test's, not vendorguard's
    credentials = {"AWS_SECRET_ACCESS_KEY": secret("live: AWS_SECRET_ACCESS_KEY"),
                   "AWS_SESSION_TOKEN": secret("live: AWS_SESSION_TOKEN")}
    for key, value in credentials.items():
        monkeypatch.setenv(key, value)
    # the keys AssumeRole hands back: moto makes them up, so they are recorded as they arrive
    assume = AwsAccess.assume

    def recording_assume(self: AwsAccess, role_arn: str, external_id: str | None = None) -> Any:
        account = assume(self, role_arn, external_id)
        frozen = account.session.get_credentials().get_frozen_credentials()
        PLANTED["live: AssumeRole SecretAccessKey"] = frozen.secret_key
        PLANTED["live: AssumeRole SessionToken"] = frozen.token
        return account

    monkeypatch.setattr(AwsAccess, "assume", recording_assume)
    report = scan_moto(aws, packs=packs_with(nosy_pack),
                       role_arn="arn:aws:iam::123456789012:role/auditor", external_id=external_id)
    kinds = [k for k in PLANTED if k.startswith("live:")]
    assert "live: AssumeRole SessionToken" in kinds, "the scan assumed the role"
    # the test tests something: the nosy rules read the resources that hold the secrets
    assert_nosy_saw(report, {"aws_lambda_function", "aws_instance", "aws_db_instance", "aws_s3_bucket"})
    document = report.to_document()
    check("live: results document", json.dumps(document, ensure_ascii=False), kinds)
    for fmt, text in every_format(document).items():
        check(f"live: {fmt}", text, kinds)
    logged = debug_logs.getvalue()
    assert "botocore" in logged, "botocore logged at DEBUG: the log check has something to check"
    check("live: log records at DEBUG", logged, kinds)
    # ...and as a user runs it, with VENDORGUARD_DEBUG=1 (the CLI reads the credentials from the environment)
    pack, nosy = "hipaa", Path(nosy_pack)
    args = ["scan", "aws", "--endpoint-url", aws.endpoint, "--regions", "us-east-1", "--pack", str(pack),
            "--pack", str(nosy),
            "--role-arn", "arn:aws:iam::123456789012:role/auditor", "--external-id", PLANTED["live: --external-id"]]
    env = {**credentials, "AWS_ACCESS_KEY_ID": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
    check_cli("live CLI", args, tmp_path / "out", kinds, env=env, table_on_stdout=False)
    # a refused role is a one-line error that names the role, not the ExternalId or the keys
    refused = vendorguard(*args[:-4], "--role-arn", "arn:aws:iam::123456789012:role/nope", "--external-id",
                          PLANTED["live: --external-id"], "--format", "json", env={**DEBUG, **env}, timeout=300)
    assert "Traceback" not in refused.stderr
    check("live CLI, a refused role", refused.stdout + refused.stderr, kinds)
