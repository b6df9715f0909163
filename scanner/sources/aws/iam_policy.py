"""The scanning role's least-privilege IAM policy, derived from the collectors' own declarations.

IAM action names mostly are ``<prefix>:<Operation>``; the table below holds the prefixes and the
operations whose action is named differently.  A Deny on data reads is included so that a broader
policy attached to the same role (ReadOnlyAccess, say) cannot let a scan read PHI.
"""
from __future__ import annotations

import json
from typing import Iterable

from .session import DATA_READS

IAM_PREFIX = {
    "efs": "elasticfilesystem", "elbv2": "elasticloadbalancing", "opensearch": "es", "s3control": "s3",
    "dynamodbstreams": "dynamodb", "stepfunctions": "states",
}

IRREGULAR = {
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("s3control", "GetPublicAccessBlock"): "s3:GetAccountPublicAccessBlock",
    ("s3", "GetBucketLifecycleConfiguration"): "s3:GetLifecycleConfiguration",
    ("s3", "GetObjectLockConfiguration"): "s3:GetBucketObjectLockConfiguration",
}

#: IAM actions that read data without an API operation of their own (a versioned object is read
#: by GetObject with a VersionId, authorised as s3:GetObjectVersion).
_DATA_ONLY_ACTIONS = ("s3:GetObjectVersion", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging",
                      "dynamodb:PartiQLSelect", "lambda:GetFunctionConfiguration", "ec2:DescribeInstanceAttribute")


def iam_action(service: str, operation: str) -> str:
    return IRREGULAR.get((service, operation)) or f"{IAM_PREFIX.get(service, service)}:{operation}"


#: Never granted: every data read the guard refuses (`session.DATA_READS`), as IAM actions.
DENIED = sorted({iam_action(service, op) for service, ops in DATA_READS.items() for op in ops}
                | set(_DATA_ONLY_ACTIONS))


def scanning_policy(operations: Iterable[tuple[str, str]]) -> dict:
    """The permissions policy for a role that can run exactly these operations."""
    actions = sorted({iam_action(s, o) for s, o in operations
                      if (s, o) not in {("sts", "GetCallerIdentity"), ("sts", "AssumeRole")}
                      and o not in DATA_READS.get(s, ())})
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "VendorguardReadConfiguration", "Effect": "Allow", "Action": actions, "Resource": "*"},
            {"Sid": "VendorguardNeverReadData", "Effect": "Deny", "Action": DENIED, "Resource": "*"},
        ],
    }


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
