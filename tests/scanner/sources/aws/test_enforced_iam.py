"""The README's auditor flow against a moto server that enforces IAM.

moto checks no permission by default, so every other live test would pass with a policy a real
account refuses.  Here a moto server of its own runs with ``INITIAL_NO_AUTH_ACTION_COUNT``: after
the first requests (which create an administrator), every request is authenticated and authorised
against IAM policies.  The vendor's audit role holds exactly what ``vendorguard iam-policy``
prints, trusts the auditor with an ExternalId; the auditor's user holds exactly what
``vendorguard iam-policy --auditor`` prints; the scan runs with ``--regions all``.  It must see
what an administrator sees — and, with one permission removed, finish with only the rules that
needed it UNKNOWN, naming the IAM action.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import boto3
import pytest

from conftest import MOTO_ENV, show_figures, trust, vendorguard
from vendorguard.scanner.catalog import load_catalog
from vendorguard.scanner.demo import seed

pytestmark = pytest.mark.slow
ROLE = "vendorguard-scanner"
#: A role allowed everything, assumed the same way: what moto shows an unrestricted scan.
CONTROL = "vendorguard-control"
#: Where moto's authorisation is wrong, not the policy, so only a role allowed ``*`` reads these
#: there; left out of the comparison, and said so.  moto authorises CloudWatch calls as
#: ``monitoring:*`` (the endpoint prefix; IAM and AWS's authorization data say ``cloudwatch:*``),
#: and s3control's GetPublicAccessBlock under its operation name, where IAM's action is
#: ``s3:GetAccountPublicAccessBlock`` (tests/…/test_iam_oracle.py checks that one against AWS's data).
MOTO_MISAUTHORISES = {"aws_cloudwatch_metric_alarm", "aws_s3_account_public_access_block"}
#: What a scan changes by being made: each scan signs with an access key and so moves that key's
#: last use (GetAccessKeyLastUsed), which the next scan reads.  Left out of the verdict comparisons.
SCANS_CHANGE = {"aws_iam_access_key"}
EXTERNAL_ID = "practice-2026-audit"


@pytest.fixture(scope="module")
def enforcing() -> Iterator[str]:
    """A moto server (its own process) that authorises every request after the first three."""
    from servers import moto

    with moto(**MOTO_ENV, INITIAL_NO_AUTH_ACTION_COUNT="3") as url:
        yield url


def _client(url: str, service: str, keys: dict[str, str]) -> Any:
    return boto3.client(service, region_name="us-east-1", endpoint_url=url, **keys)


def _keys(created: dict[str, Any]) -> dict[str, str]:
    key = created["AccessKey"]
    return {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}


def _env(keys: dict[str, str]) -> dict[str, str]:
    return {"AWS_ACCESS_KEY_ID": keys["aws_access_key_id"], "AWS_SECRET_ACCESS_KEY": keys["aws_secret_access_key"],
            "AWS_SESSION_TOKEN": "", "AWS_DEFAULT_REGION": "us-east-1", "AWS_MAX_ATTEMPTS": MOTO_ENV["AWS_MAX_ATTEMPTS"]}


def _printed(*args: str) -> str:
    run = vendorguard("iam-policy", *args)
    assert run.returncode == 0, run.stderr
    return run.stdout


def _scan(url: str, keys: dict[str, str], out: Path, *args: str, regions: str = "all") -> tuple[dict[str, Any], str]:
    run = vendorguard("scan", "aws", "--endpoint-url", url, "--regions", regions, "--format", "json",
                      "-o", str(out), "-q", *args, env=_env(keys), timeout=900)
    assert run.returncode in (0, 1), run.stderr
    return json.loads(out.read_text()), run.stderr


def _verdicts(document: dict[str, Any]) -> dict[tuple[str, str], tuple[str, str]]:
    return {(r["rule_id"], r["address"]): (r["status"], r["reason"]) for r in document["results"]
            if r["resource_type"] not in MOTO_MISAUTHORISES | SCANS_CHANGE}


def _gaps(document: dict[str, Any]) -> set[tuple[str, str | None]]:
    return {(g["resource_type"], g["region"]) for i in document["scan"]["inputs"] for g in i["unreadable"]
            if g["resource_type"] not in MOTO_MISAUTHORISES}


@pytest.fixture(scope="module")
def account(enforcing: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """An administrator (made in the unauthenticated first requests), the seeded vendor account,
    the audit role with the printed policy, and the auditor's user with the printed one."""
    anonymous = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    iam = _client(enforcing, "iam", anonymous)
    iam.create_user(UserName="admin")
    iam.put_user_policy(UserName="admin", PolicyName="admin", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    admin = _keys(iam.create_access_key(UserName="admin"))
    with pytest.MonkeyPatch.context() as mp:
        for key, value in _env(admin).items():
            mp.setenv(key, value)
        # boto3's default session keeps the credentials it first found (an earlier test's): a new
        # one for the seeding reads the administrator's from the environment.
        mp.setattr(boto3, "DEFAULT_SESSION", None)
        seed(enforcing)
    iam = _client(enforcing, "iam", admin)
    account_id = _client(enforcing, "sts", admin).get_caller_identity()["Account"]
    # The trust names the auditor's user: moto matches a trust policy's principal exactly, so a
    # trust to the account root (which real IAM honours with the user's own policy) lets no one in.
    auditor_arn = iam.create_user(UserName="auditor")["User"]["Arn"]
    role_arn = iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=trust(
        {"AWS": auditor_arn}, {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}))["Role"]["Arn"]
    assert account_id in role_arn
    control_arn = iam.create_role(RoleName=CONTROL, AssumeRolePolicyDocument=trust(
        {"AWS": f"arn:aws:iam::{account_id}:user/admin"}, {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}))["Role"]["Arn"]
    iam.put_role_policy(RoleName=CONTROL, PolicyName="everything", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    scanning = _printed()
    iam.put_role_policy(RoleName=ROLE, PolicyName="vendorguard", PolicyDocument=scanning)
    iam.put_user_policy(UserName="auditor", PolicyName="vendorguard-auditor",
                        PolicyDocument=_printed("--auditor", "--role-arn", role_arn))
    auditor = _keys(iam.create_access_key(UserName="auditor"))
    return {"url": enforcing, "admin": admin, "auditor": auditor, "role_arn": role_arn, "iam": iam,
            "control_arn": control_arn,
            "policy": json.loads(scanning), "out": tmp_path_factory.mktemp("scans")}


def test_the_printed_policies_are_enough_for_a_scan_of_every_region(
        account: dict[str, Any], request: pytest.FixtureRequest) -> None:
    """The auditor's scan through the printed policies sees exactly what a scan through a role
    allowed everything sees.  moto answers the REST protocols' calls of an assumed role with a
    SignatureDoesNotMatch 403 whatever its policy (backup, lambda, guardduty, efs, …): those types
    are unreadable in both scans alike, so the comparison covers them as gaps and the decided part
    covers the query and JSON services (EC2, RDS, IAM, S3, KMS, CloudTrail, Config, …)."""
    control, _ = _scan(account["url"], account["admin"], account["out"] / "control.json",
                       "--role-arn", account["control_arn"], "--external-id", EXTERNAL_ID)
    audited, stderr = _scan(account["url"], account["auditor"], account["out"] / "auditor.json",
                            "--role-arn", account["role_arn"], "--external-id", EXTERNAL_ID)
    denied = [r for r in audited["results"] if "AccessDenied" in r["reason"] or "not authorized" in r["reason"]]
    gaps, control_gaps = _gaps(audited), _gaps(control)
    regions = audited["scan"]["inputs"][0]["metadata"]["regions"]
    decided = [r for r in audited["results"] if r["status"] in ("PASS", "FAIL")]
    unreadable_types = sorted({t for t, _ in gaps})
    show_figures(request, [f"enforced IAM: {len(regions)} regions, {len(audited['results'])} results "
                           f"({len(decided)} decided), {len(denied)} denied; unreadable under moto's enforcement "
                           f"for any role: {len(unreadable_types)} types ({', '.join(unreadable_types)}); "
                           f"left out as moto misauthorises them: {', '.join(sorted(MOTO_MISAUTHORISES))}; "
                           f"equal to the unrestricted role's: {_verdicts(audited) == _verdicts(control)}"])
    assert denied == [], (denied[:3], stderr)
    assert gaps == control_gaps
    assert _verdicts(audited) == _verdicts(control)
    assert len(regions) > 10 and len(decided) > 200
    assert {"aws_s3_bucket", "aws_db_instance", "aws_iam_role", "aws_ebs_volume"}.isdisjoint(unreadable_types)


def test_without_one_permission_the_scan_finishes_and_only_its_rules_are_unknown(
        account: dict[str, Any], request: pytest.FixtureRequest) -> None:
    """S3 is global: one region shows what one missing permission does (every region is the
    previous test's)."""
    full, _ = _scan(account["url"], account["auditor"], account["out"] / "full.json",
                    "--role-arn", account["role_arn"], "--external-id", EXTERNAL_ID, regions="us-east-1")
    policy = json.loads(json.dumps(account["policy"]))
    allow = next(s for s in policy["Statement"] if s["Effect"] == "Allow")
    allow["Action"] = [a for a in allow["Action"] if a != "s3:GetBucketPolicy"]
    account["iam"].put_role_policy(RoleName=ROLE, PolicyName="vendorguard", PolicyDocument=json.dumps(policy))
    try:
        less, _ = _scan(account["url"], account["auditor"], account["out"] / "less.json",
                        "--role-arn", account["role_arn"], "--external-id", EXTERNAL_ID, regions="us-east-1")
    finally:
        account["iam"].put_role_policy(RoleName=ROLE, PolicyName="vendorguard",
                                       PolicyDocument=json.dumps(account["policy"]))
    before, after = _verdicts(full), _verdicts(less)
    changed = {k: after[k] for k in after if after[k][0] != before.get(k, ("",))[0]}
    named = all(status == "UNKNOWN" and "s3:GetBucketPolicy" in reason for status, reason in changed.values())
    show_figures(request, [f"enforced IAM without s3:GetBucketPolicy: {len(changed)} of {len(after)} verdicts "
                           f"changed, all to UNKNOWN naming the action: {named}; the rest decided as before"])
    assert set(after) == set(before)
    assert changed and named, changed
    catalog, _ = load_catalog()
    reads_policy = {r.id for r in catalog.rules.values()
                    if "aws_s3_bucket" in r.resource_types and "policy" in r.condition_text}
    assert {rule for rule, _ in changed} <= reads_policy
