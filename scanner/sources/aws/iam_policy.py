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
}

IRREGULAR = {
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("s3control", "GetPublicAccessBlock"): "s3:GetAccountPublicAccessBlock",
    ("s3", "GetBucketLifecycleConfiguration"): "s3:GetLifecycleConfiguration",
    ("s3", "GetObjectLockConfiguration"): "s3:GetBucketObjectLockConfiguration",
}

#: Never granted: reads of data rather than configuration (see session.DATA_READS).
DENIED = sorted({
    "s3:GetObject", "s3:GetObjectVersion", "secretsmanager:GetSecretValue", "ssm:GetParameter",
    "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:GetParameterHistory", "kms:Decrypt",
    "logs:GetLogEvents", "logs:FilterLogEvents", "logs:StartQuery", "dynamodb:GetItem",
    "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan", "lambda:GetFunction",
    "sqs:ReceiveMessage", "ec2:GetPasswordData", "ec2:GetConsoleOutput", "rds:DownloadDBLogFilePortion",
})


def iam_action(service: str, operation: str) -> str:
    return IRREGULAR.get((service, operation)) or f"{IAM_PREFIX.get(service, service)}:{operation}"


def scanning_policy(operations: Iterable[tuple[str, str]]) -> dict:
    """The permissions policy for a role that can run exactly these operations."""
    actions = sorted({iam_action(s, o) for s, o in operations
                      if (s, o) not in {("sts", "GetCallerIdentity"), ("sts", "AssumeRole")}
                      and o not in DATA_READS})
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
