"""KMS: customer managed keys, with their rotation status and key policy.

AWS managed keys (``alias/aws/...``) and keys pending deletion are not Terraform-managed keys and
are left out.  Keys with imported key material (origin ``EXTERNAL``) are Terraform's
``aws_kms_external_key``, emitted under that type (they cannot rotate automatically).

`aws_managed_key_arn` is shared with collectors that must tell an AWS managed key from a customer
managed one (DynamoDB tables, Backup vaults).
"""
from __future__ import annotations

from typing import Any

from ....model import UNKNOWN
from ..collector import Collector, Ctx, Reads, named

_GONE = ("PendingDeletion", "PendingReplicaDeletion")


def aws_managed_key_arn(ctx: Ctx, alias: str, region: str | None = None) -> tuple[Any, list[str]]:
    """(ARN of the AWS managed key behind ``alias/aws/<service>``, reasons) in a region, looked up
    once per account and region however many resources ask.  None when the key does not exist
    (nothing in the region uses it yet); UNKNOWN, with the reason, when the lookup fails."""
    where = region or ctx.region

    def lookup() -> tuple[Any, list[str]]:
        reads = ctx.reads("kms", where)
        arn = reads.get("DescribeKey", lambda r: r.get("KeyMetadata", {}).get("Arn"), KeyId=alias,
                        absent=("NotFoundException",), default=None)
        return arn, list(reads.reasons)

    return ctx.memo.get(("kms", where, "DescribeKey", alias), lookup)


def customer_key(ctx: Ctx, key: Any, alias: str, reasons: list[str]) -> Any:
    """A resource's encryption key as Terraform's ``kms_key_id`` shows a customer managed key:
    the key when it is one; "" when it is the AWS managed key behind `alias` (services name that
    key when none was chosen, so its presence says nothing about who controls decryption);
    UNKNOWN when that cannot be told (the reason goes to `reasons`).  Absent stays absent."""
    if not key:
        return key
    managed, why = aws_managed_key_arn(ctx, alias)
    reasons.extend(why)
    if managed is UNKNOWN:
        return UNKNOWN
    return "" if managed and (key == managed or managed.endswith(f"/{key}")) else key


def _rotation(response: dict[str, Any]) -> tuple[bool, Any]:
    return bool(response.get("KeyRotationEnabled")), response.get("RotationPeriodInDays")


class Keys(Collector):
    types = ("aws_kms_key", "aws_kms_external_key")
    service = "kms"
    operations = (("kms", "ListKeys"), ("kms", "DescribeKey"), ("kms", "GetKeyRotationStatus"),
                  ("kms", "GetKeyPolicy"))

    def collect(self, ctx: Ctx) -> None:
        keys = ctx.paginate("kms", "ListKeys", "Keys")
        ctx.each(keys, lambda key: self._key(ctx, key))

    def _key(self, ctx: Ctx, key: dict[str, Any]) -> None:
        key_id = named(key, "KeyId", "kms", "ListKeys")
        arn = key.get("KeyArn") or ctx.arn("kms", f"key/{key_id}")
        reads = ctx.reads("kms")
        meta = reads.get("DescribeKey", lambda r: r.get("KeyMetadata") or {}, KeyId=key_id)
        if meta is UNKNOWN:
            # Not even whether AWS manages it is known: every rule over it is UNKNOWN.
            ctx.emit("aws_kms_key", arn, {
                "key_id": key_id, "arn": arn, "description": UNKNOWN, "key_usage": UNKNOWN,
                "customer_master_key_spec": UNKNOWN, "is_enabled": UNKNOWN, "enable_key_rotation": UNKNOWN,
                "rotation_period_in_days": UNKNOWN, "policy": UNKNOWN,
            }, reads)
            return
        if meta.get("KeyManager") == "AWS" or meta.get("KeyState") in _GONE:
            return
        spec = meta.get("KeySpec") or meta.get("CustomerMasterKeySpec")
        attributes = {
            "key_id": key_id,
            "arn": meta.get("Arn") or arn,
            "description": meta.get("Description"),
            "key_usage": meta.get("KeyUsage"),
            "customer_master_key_spec": spec,
            "is_enabled": meta.get("Enabled"),
            "multi_region": meta.get("MultiRegion"),
            # Every key has a key policy: a response without it is not "no policy".
            "policy": reads.get("GetKeyPolicy", lambda r: reads.member(r, "Policy", "GetKeyPolicy"),
                                KeyId=key_id, PolicyName="default"),
        }
        if meta.get("Origin") == "EXTERNAL":
            ctx.emit("aws_kms_external_key", arn, {**attributes, "key_spec": spec}, reads)
            return
        rotation = self._rotation(reads, key_id, spec, meta.get("KeyUsage"))
        ctx.emit("aws_kms_key", arn, {
            **attributes,
            "custom_key_store_id": meta.get("CustomKeyStoreId"),
            "enable_key_rotation": rotation if rotation is UNKNOWN else rotation[0],
            "rotation_period_in_days": rotation if rotation is UNKNOWN else rotation[1],
        }, reads)

    @staticmethod
    def _rotation(reads: Reads, key_id: str, spec: Any, usage: Any) -> Any:
        """(enabled, period) for symmetric encryption keys, the only ones AWS rotates; the others
        hold Terraform's default (false) without a call.  A spec or usage AWS did not return is
        read as its default (symmetric, encryption), so the rotation is read rather than assumed.
        Keys in a custom key store cannot rotate (UnsupportedOperationException): not rotating."""
        if (spec or "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT" or (usage or "ENCRYPT_DECRYPT") != "ENCRYPT_DECRYPT":
            return False, None
        return reads.get("GetKeyRotationStatus", _rotation, KeyId=key_id,
                         absent=("UnsupportedOperationException",), default=(False, None))
