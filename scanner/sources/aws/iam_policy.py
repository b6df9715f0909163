"""The least-privilege IAM policies: the scanning role's, derived from the collectors' own
declarations and the calls made around them (`session.SESSION_CALLS`), and the auditor's, which
assumes it.

IAM action names mostly are ``<prefix>:<Operation>``; the table below holds the prefixes and the
operations whose action is named differently.  A Deny on data reads is included so that a broader
policy attached to the same role (ReadOnlyAccess, say) cannot let a scan read PHI.
"""
from __future__ import annotations

import json
from typing import Iterable

from .session import DATA_READS, SESSION_CALLS, Identity

IAM_PREFIX = {
    "efs": "elasticfilesystem", "elbv2": "elasticloadbalancing", "opensearch": "es", "s3control": "s3",
    "dynamodbstreams": "dynamodb", "stepfunctions": "states", "emr": "elasticmapreduce",
    "elb": "elasticloadbalancing", "kinesis-video-media": "kinesisvideo", "kinesis-video-archived-media": "kinesisvideo",
}

#: Services whose IAM actions are HTTP verbs on resource paths: every read is `apigateway:GET`
#: (AWS's service authorization reference for Amazon API Gateway management, v1 and v2 alike).
HTTP_VERB_SERVICES = frozenset({"apigateway", "apigatewayv2"})

IRREGULAR = {
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("s3control", "GetPublicAccessBlock"): "s3:GetAccountPublicAccessBlock",
    ("s3", "GetBucketLifecycleConfiguration"): "s3:GetLifecycleConfiguration",
    ("s3", "GetObjectLockConfiguration"): "s3:GetBucketObjectLockConfiguration",
    ("s3", "HeadBucket"): "s3:ListBucket",
    ("dynamodb", "ExecuteStatement"): "dynamodb:PartiQLSelect",  # a PartiQL SELECT is a read of items
    ("dynamodb", "BatchExecuteStatement"): "dynamodb:PartiQLSelect",
}

#: IAM actions that read data without an API operation of their own (a versioned object is read
#: by GetObject with a VersionId, authorised as s3:GetObjectVersion).
_DATA_ONLY_ACTIONS = ("s3:GetObjectVersion", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging",
                      "lambda:GetFunctionConfiguration", "ec2:DescribeInstanceAttribute")


#: Calls no IAM policy governs.  AWS: "No permissions are required to perform this operation. If an
#: administrator attaches a policy to your identity that explicitly denies access to the
#: sts:GetCallerIdentity action, you can still perform this operation." (STS API reference)
NEEDS_NO_PERMISSION = frozenset({("sts", "GetCallerIdentity")})


def iam_action(service: str, operation: str) -> str:
    if service in HTTP_VERB_SERVICES and operation.startswith("Get"):
        return "apigateway:GET"
    return IRREGULAR.get((service, operation)) or f"{IAM_PREFIX.get(service, service)}:{operation}"


def _session_actions(identity: Identity, services: set[str], org: bool = True) -> dict[str, str]:
    """IAM action → the call of `SESSION_CALLS` that `identity` makes and needs it for.  A call
    botocore makes only through one service's client is counted only where that service is used."""
    return {iam_action(c.service, c.operation): c.operation for c in SESSION_CALLS
            if identity in c.by and (c.service, c.operation) not in NEEDS_NO_PERMISSION
            and (c.only_with is None or c.only_with in services) and (org or c.option != "--org")}


#: Never granted: every data read the guard refuses (`session.DATA_READS`), as IAM actions.
DENIED = sorted({iam_action(service, op) for service, ops in DATA_READS.items() for op in ops}
                | set(_DATA_ONLY_ACTIONS))


def scanning_policy(operations: Iterable[tuple[str, str]]) -> dict:
    """The permissions policy for a role that can run exactly these collector operations, and the
    calls the scanning role makes around them (region discovery, botocore's S3 HeadBucket)."""
    operations = set(operations)
    around = _session_actions(Identity.SCANNING_ROLE, {s for s, _ in operations})
    actions = sorted({iam_action(s, o) for s, o in operations if o not in DATA_READS.get(s, ())} | set(around))
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "VendorguardReadConfiguration", "Effect": "Allow", "Action": actions, "Resource": "*"},
            {"Sid": "VendorguardNeverReadData", "Effect": "Deny", "Action": DENIED, "Resource": "*"},
        ],
    }


def auditor_policy(role_arns: list[str], org: bool) -> dict:
    """The permissions policy of the auditor's own identity: assume the scanning role(s) — and, for
    ``--org``, list the organization's accounts.  Its calls are `SESSION_CALLS` made by the auditor."""
    actions = _session_actions(Identity.AUDITOR, set(), org=org)
    assume = [a for a, operation in actions.items() if operation == "AssumeRole"]
    statements = [{"Sid": "VendorguardAssumeScanningRole", "Effect": "Allow", "Action": assume, "Resource": role_arns}]
    if rest := sorted(set(actions) - set(assume)):
        statements.append({"Sid": "VendorguardListOrganization", "Effect": "Allow", "Action": rest, "Resource": "*"})
    return {"Version": "2012-10-17", "Statement": statements}


def audit_trust_policy(auditor_account: str, external_id: str) -> dict:
    """The trust policy a vendor puts on the audit role: one auditor account, one ExternalId."""
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{auditor_account}:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": external_id}},
        }],
    }


def render(document: dict) -> str:
    return json.dumps(document, indent=2) + "\n"
