"""DynamoDB tables, with their encryption and point-in-time recovery.

``server_side_encryption`` follows the Terraform provider: absent ([]) for the AWS owned key,
``enabled`` when SSE-KMS is on, and ``kms_key_arn`` empty when that key is the AWS managed
``alias/aws/dynamodb`` (the provider clears it the same way), so that only a customer managed key
fills it.
"""
from __future__ import annotations

from typing import Any

from ....model import UNKNOWN
from ..collector import Collector, Ctx
from .kms import aws_managed_key_arn


def _pitr(response: dict[str, Any]) -> list[dict[str, Any]]:
    pitr = response.get("ContinuousBackupsDescription", {}).get("PointInTimeRecoveryDescription") or {}
    return [{"enabled": pitr.get("PointInTimeRecoveryStatus") == "ENABLED",
             "recovery_period_in_days": pitr.get("RecoveryPeriodInDays")}]


class Tables(Collector):
    types = ("aws_dynamodb_table",)
    service = "dynamodb"
    operations = (("dynamodb", "ListTables"), ("dynamodb", "DescribeTable"),
                  ("dynamodb", "DescribeContinuousBackups"), ("kms", "DescribeKey"))

    def collect(self, ctx: Ctx) -> None:
        names = ctx.paginate("dynamodb", "ListTables", "TableNames")
        ctx.each(names, lambda name: self._table(ctx, name))

    def _table(self, ctx: Ctx, name: str) -> None:
        reads = ctx.reads("dynamodb")
        table = reads.get("DescribeTable", lambda r: r.get("Table") or {}, TableName=name)
        pitr = reads.get("DescribeContinuousBackups", _pitr, TableName=name)
        if table is UNKNOWN:
            arn = ctx.arn("dynamodb", f"table/{name}")
            ctx.emit("aws_dynamodb_table", arn, {
                "name": name, "arn": arn, "server_side_encryption": UNKNOWN, "point_in_time_recovery": pitr,
            }, reads)
            return
        arn = table.get("TableArn") or ctx.arn("dynamodb", f"table/{name}")
        billing = (table.get("BillingModeSummary") or {}).get("BillingMode") or "PROVISIONED"
        keys = {k.get("KeyType"): k.get("AttributeName") for k in table.get("KeySchema") or []}
        ctx.emit("aws_dynamodb_table", arn, {
            "name": name,
            "arn": arn,
            "billing_mode": billing,
            "hash_key": keys.get("HASH"),
            "range_key": keys.get("RANGE"),
            "table_class": (table.get("TableClassSummary") or {}).get("TableClass") or "STANDARD",
            "deletion_protection_enabled": bool(table.get("DeletionProtectionEnabled")),
            "stream_enabled": bool((table.get("StreamSpecification") or {}).get("StreamEnabled")),
            "server_side_encryption": self._sse(ctx, table.get("SSEDescription"), reads.reasons),
            "point_in_time_recovery": pitr,
            "replica": [{"region_name": r.get("RegionName")} for r in table.get("Replicas") or []],
        }, reads)

    @staticmethod
    def _sse(ctx: Ctx, sse: dict[str, Any] | None, reasons: list[str]) -> Any:
        if not sse:
            return []  # the AWS owned key
        key = sse.get("KMSMasterKeyArn") or ""
        if key:
            managed, why = aws_managed_key_arn(ctx, "alias/aws/dynamodb")
            reasons.extend(why)
            if managed is UNKNOWN:
                key = UNKNOWN
            elif key == managed:
                key = ""
        return [{"enabled": sse.get("Status") == "ENABLED", "kms_key_arn": key}]
