"""S3 buckets (with their encryption, public access block, versioning, logging, policy, ACL and
tags, read per bucket, concurrently) and the account-level public access block."""
from __future__ import annotations

from typing import Any

from ....model import UNKNOWN
from ..collector import Collector, Ctx

_ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
_AUTH_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"


def _sse(response: dict[str, Any]) -> list[dict[str, Any]]:
    rules = response.get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
    return [{"rule": [{
        "apply_server_side_encryption_by_default": [{
            "sse_algorithm": r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm"),
            "kms_master_key_id": r.get("ApplyServerSideEncryptionByDefault", {}).get("KMSMasterKeyID"),
        }],
        "bucket_key_enabled": bool(r.get("BucketKeyEnabled")),
    } for r in rules]}] if rules else []


def _pab(response: dict[str, Any]) -> list[dict[str, Any]]:
    c = response.get("PublicAccessBlockConfiguration", {})
    return [{"block_public_acls": bool(c.get("BlockPublicAcls")), "block_public_policy": bool(c.get("BlockPublicPolicy")),
             "ignore_public_acls": bool(c.get("IgnorePublicAcls")),
             "restrict_public_buckets": bool(c.get("RestrictPublicBuckets"))}]


def _grants(response: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": g.get("Grantee", {}).get("Type"), "uri": g.get("Grantee", {}).get("URI"),
             "id": g.get("Grantee", {}).get("ID"), "permissions": [g.get("Permission")]}
            for g in response.get("Grants", [])]


def _canned_acl(grants: Any) -> Any:
    """The canned ACL the grants amount to, as the rules compare it (Terraform's ``acl``)."""
    if grants is UNKNOWN:
        return UNKNOWN
    public = {g["uri"]: set(g["permissions"]) for g in grants if g["uri"] in (_ALL_USERS, _AUTH_USERS)}
    if "WRITE" in public.get(_ALL_USERS, set()):
        return "public-read-write"
    if public.get(_ALL_USERS):
        return "public-read"
    if public.get(_AUTH_USERS):
        return "authenticated-read"
    return "private"


class S3Buckets(Collector):
    types = ("aws_s3_bucket",)
    service = "s3"
    global_ = True
    operations = (
        ("s3", "ListBuckets"), ("s3", "GetBucketLocation"), ("s3", "GetBucketEncryption"),
        ("s3", "GetPublicAccessBlock"), ("s3", "GetBucketVersioning"), ("s3", "GetBucketLogging"),
        ("s3", "GetBucketPolicy"), ("s3", "GetBucketAcl"), ("s3", "GetBucketTagging"),
    )

    def collect(self, ctx: Ctx) -> None:
        buckets = ctx.paginate("s3", "ListBuckets", "Buckets")
        ctx.each(buckets, lambda b: self._bucket(ctx, b["Name"]))

    def _bucket(self, ctx: Ctx, name: str) -> None:
        home = ctx.reads("s3").get("GetBucketLocation", lambda r: r.get("LocationConstraint") or "us-east-1",
                                   Bucket=name)
        region = home if isinstance(home, str) else ctx.region
        reads = ctx.reads("s3", region)
        grants = reads.get("GetBucketAcl", _grants, Bucket=name)
        versioning = reads.get("GetBucketVersioning", lambda r: r.get("Status"), Bucket=name)
        logging = reads.get("GetBucketLogging", lambda r: r.get("LoggingEnabled"), Bucket=name)
        attributes = {
            "bucket": name,
            "id": name,
            "arn": f"arn:{ctx.partition}:s3:::{name}",
            "server_side_encryption_configuration": reads.get(
                "GetBucketEncryption", _sse, Bucket=name,
                absent=("ServerSideEncryptionConfigurationNotFoundError",), default=[]),
            "public_access_block": reads.get("GetPublicAccessBlock", _pab, Bucket=name,
                                             absent=("NoSuchPublicAccessBlockConfiguration",), default=[]),
            "versioning": versioning if versioning is UNKNOWN else [
                {"enabled": versioning == "Enabled", "mfa_delete": False}],
            "logging": logging if logging is UNKNOWN else (
                [{"target_bucket": logging["TargetBucket"], "target_prefix": logging.get("TargetPrefix")}]
                if logging else []),
            "policy": reads.get("GetBucketPolicy", lambda r: r.get("Policy"), Bucket=name,
                                absent=("NoSuchBucketPolicy",)),
            "grant": grants,
            "acl": _canned_acl(grants),
            "tags": reads.get("GetBucketTagging", lambda r: {t["Key"]: t["Value"] for t in r.get("TagSet", [])},
                              Bucket=name, absent=("NoSuchTagSet",), default={}),
        }
        ctx.emit("aws_s3_bucket", attributes["arn"], attributes, reads, region=region)


class S3AccountPublicAccessBlock(Collector):
    types = ("aws_s3_account_public_access_block",)
    service = "s3control"
    global_ = True
    operations = (("s3control", "GetPublicAccessBlock"),)

    def collect(self, ctx: Ctx) -> None:
        reads = ctx.reads("s3control")
        block = reads.get("GetPublicAccessBlock", _pab, AccountId=ctx.account,
                          absent=("NoSuchPublicAccessBlockConfiguration",), default=None)
        if block is None:
            return  # not configured: the account-level rule finds nothing and FAILs
        attributes = block[0] if block is not UNKNOWN else {k: UNKNOWN for k in (
            "block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")}
        ctx.emit("aws_s3_account_public_access_block", f"{ctx.account}/s3-account-public-access-block",
                 {"account_id": ctx.account, **attributes}, reads)
