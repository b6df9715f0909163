"""S3 buckets (with their encryption, public access block, versioning, logging, policy, ACL and
tags, read per bucket, concurrently) and the account-level public access block."""
from __future__ import annotations

from typing import Any

from ....model import UNKNOWN
from ..collector import Collector, Ctx, Reads, named

_ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
_AUTH_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"


def _region(response: dict[str, Any]) -> str:
    """A bucket's region from GetBucketLocation: no LocationConstraint is us-east-1 ("Buckets in
    Region us-east-1 have a LocationConstraint of null"), and "EU" is eu-west-1's legacy name."""
    constraint = response.get("LocationConstraint") or "us-east-1"
    return "eu-west-1" if constraint == "EU" else constraint


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


def _grants(reads: Reads, response: dict[str, Any]) -> Any:
    """The ACL's grants; UNKNOWN if one does not say to whom (grantee type) or what (permission)."""
    grants = response.get("Grants") or []
    if not all((g.get("Grantee") or {}).get("Type") and g.get("Permission") for g in grants):
        reads.reasons.append("s3:GetBucketAcl returned a grant without its grantee or permission")
        return UNKNOWN
    return [{"type": g["Grantee"]["Type"], "uri": g["Grantee"].get("URI"), "id": g["Grantee"].get("ID"),
             "permissions": [g["Permission"]]} for g in grants]


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
        names = [named(b, "Name", "s3", "ListBuckets") for b in buckets]
        ctx.each(names, lambda name: self._bucket(ctx, name))

    def _bucket(self, ctx: Ctx, name: str) -> None:
        located = ctx.reads("s3")
        # Unread, the bucket is read from here (the client follows S3's redirects), and its region
        # is UNKNOWN, with the reason.
        home = located.get("GetBucketLocation", _region, Bucket=name)
        region = home if isinstance(home, str) else ctx.region
        reads = ctx.reads("s3", region)
        reads.reasons.extend(located.reasons)
        grants = reads.get("GetBucketAcl", lambda r: _grants(reads, r), Bucket=name)
        versioning = reads.get("GetBucketVersioning", lambda r: r.get("Status"), Bucket=name)
        logging = reads.get("GetBucketLogging", lambda r: r.get("LoggingEnabled"), Bucket=name)
        attributes = {
            "bucket": name,
            "id": name,
            "region": home,
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
            # No policy is NoSuchBucketPolicy (None: nothing granted); an answer without one is not known.
            "policy": reads.get("GetBucketPolicy", lambda r: reads.member(r, "Policy", "GetBucketPolicy"),
                                Bucket=name, absent=("NoSuchBucketPolicy",)),
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
