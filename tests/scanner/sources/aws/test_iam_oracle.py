"""The scanning policy against AWS's own service authorization data (policy-sentry ships it).

No one here wrote that data: for every operation the scanner may send — declared by a collector,
or made around them (identity, region discovery, botocore's own calls) — and for every operation a
full live scan of a seeded account actually sent, the IAM action we name must exist, be of access
level List or Read, be documented for that very API operation, and be allowed by the printed
policy.  The Deny statement must cover the IAM action of every data read the guard refuses, and the
data reads that AWS's managed ReadOnlyAccess policy grants.
"""
from __future__ import annotations

import fnmatch
import re
from functools import cache
from typing import Any

import pytest

from conftest import show_figures
from vendorguard.scanner.catalog import select
from vendorguard.scanner.demo import PRIMARY, SECONDARY, seed
from vendorguard.scanner.sources.aws import LiveAws
from vendorguard.scanner.sources.aws.iam_policy import DENIED, HTTP_VERB_SERVICES, iam_action, scanning_policy
from vendorguard.scanner.sources.aws.live import Target, declared_operations, scan_live
from vendorguard.scanner.sources.aws.session import DATA_READS, IDENTITY_CALLS

policy_sentry = pytest.importorskip("policy_sentry.querying.actions", reason="policy-sentry is a dev dependency")

#: Data reads AWS's managed ReadOnlyAccess grants (issue 13 lists them): the Deny must name each.
READ_ONLY_ACCESS_DATA_READS = (
    "dynamodb:PartiQLSelect", "dynamodb:GetRecords", "kinesis:GetRecords", "logs:StartLiveTail",
    "logs:GetLogRecord", "logs:GetQueryResults", "athena:GetQueryResults", "glacier:GetJobOutput",
    "states:GetExecutionHistory", "codecommit:GetBlob", "lambda:GetLayerVersion",
    "lambda:GetFunctionConfiguration", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
    "ec2:GetConsoleScreenshot", "ec2:GetLaunchTemplateData", "ec2:DescribeInstanceAttribute",
    "s3express:CreateSession",
)
#: Calls that need no IAM permission at all (AWS: "No permissions are required to perform this
#: operation"), or that the auditor's own identity makes, not the scanning role.
NOT_THE_SCANNING_ROLE = {("sts", "GetCallerIdentity"), ("sts", "AssumeRole"), ("organizations", "ListAccounts"),
                         ("organizations", "DescribeOrganization")}
_API_LINK = re.compile(r"/API_(?:[A-Za-z0-9]+_)?([A-Za-z0-9]+)\.html$")


@cache
def action_data(action: str) -> dict[str, Any] | None:
    prefix, name = action.split(":", 1)
    try:
        found = policy_sentry.get_action_data(prefix, name)
    except Exception:  # noqa: BLE001 - policy-sentry raises bare exceptions for unknown services
        return None
    rows = (found or {}).get(prefix) or []
    return next((r for r in rows if r["action"].lower() == action.lower()), None)


def allowed(policy: dict[str, Any], action: str) -> bool:
    allow, deny = (next(s for s in policy["Statement"] if s["Effect"] == effect) for effect in ("Allow", "Deny"))
    matches = [fnmatch.fnmatchcase(action.lower(), a.lower()) for a in allow["Action"]]
    return any(matches) and action not in deny["Action"]


def verdicts(operations: set[tuple[str, str]], policy: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(service, operation) → what is wrong with its IAM action ("" when nothing)."""
    out = {}
    for service, operation in sorted(operations):
        action = iam_action(service, operation)
        data = action_data(action)
        if data is None:
            out[(service, operation)] = f"{action}: not in AWS's authorization data"
        elif (service, operation) in NOT_THE_SCANNING_ROLE:
            out[(service, operation)] = ""  # exists; the auditor's identity, not the role, makes it
        elif data["access_level"] not in ("List", "Read"):
            out[(service, operation)] = f"{action}: access level {data['access_level']}"
        elif not allowed(policy, action):
            out[(service, operation)] = f"{action}: not allowed by the printed policy"
        else:
            out[(service, operation)] = ""
    return out


def documented_operation(action: str) -> str | None:
    data = action_data(action)
    match = _API_LINK.search((data or {}).get("api_documentation_link") or "")
    return match.group(1) if match else None


def test_every_declared_operation_is_a_list_or_read_action_the_policy_allows() -> None:
    everything = declared_operations() | set(IDENTITY_CALLS)
    policy = scanning_policy(declared_operations())
    wrong = {k: v for k, v in verdicts(everything, policy).items() if v}
    assert wrong == {}


def test_each_irregular_action_is_documented_for_the_operation_it_stands_for() -> None:
    """Where the IAM action is not named after the operation (s3:ListAllMyBuckets for ListBuckets),
    AWS's own documentation link for the action must name that operation."""
    checked = 0
    for service, operation in sorted(declared_operations()):
        action = iam_action(service, operation)
        # API Gateway's actions are HTTP verbs (apigateway:GET), documented per resource path, not
        # per operation: the test above holds them to real Read actions the policy allows.
        if action.split(":", 1)[1] != operation and service not in HTTP_VERB_SERVICES:
            assert documented_operation(action) == operation, (service, operation, action)
            checked += 1
    assert checked >= 4  # ListBuckets, GetBucketEncryption, both public access blocks, …


def test_the_deny_covers_every_data_read_the_guard_refuses_and_read_only_access_data_reads() -> None:
    guard_actions = {iam_action(service, op) for service, ops in DATA_READS.items() for op in ops}
    assert guard_actions <= set(DENIED)
    assert set(READ_ONLY_ACCESS_DATA_READS) <= set(DENIED)
    unknown = sorted(a for a in DENIED if action_data(a) is None)
    assert unknown == [], "Deny names actions AWS does not have"
    policy = scanning_policy(declared_operations())
    assert not [a for a in DENIED if allowed(policy, a)]


def test_a_full_live_scan_sends_only_list_and_read_calls_the_policy_allows(
        aws: Any, request: pytest.FixtureRequest) -> None:
    seed(aws.endpoint)
    _, selection = select([])
    types = {t for rule in selection.rules for t in rule.resource_types}
    _, guard = scan_live(Target(endpoint_url=aws.endpoint, regions=[PRIMARY, SECONDARY]), types,
                         source=LiveAws.name)
    sent = set(guard.calls)
    policy = scanning_policy(declared_operations())
    wrong = {k: v for k, v in verdicts(sent, policy).items() if v}
    levels = {action_data(iam_action(*op))["access_level"] for op in sent if action_data(iam_action(*op))}
    show_figures(request, [f"IAM oracle: {len(sent)} operations sent by a full scan "
                           f"({sum(guard.calls.values())} requests), access levels {sorted(levels)}, "
                           f"{len(policy['Statement'][0]['Action'])} actions allowed, "
                           f"{len(DENIED)} denied; missing or wrong: {len(wrong)}"])
    assert wrong == {}
    assert len(sent) >= 40
