"""SSM parameters: their type and KMS key — from DescribeParameters alone.

DescribeParameters lists metadata only; values are never read (ssm:GetParameter, GetParameters,
GetParametersByPath and GetParameterHistory are refused by the read-only guard and denied by the
scanning role's policy), so no parameter value can reach a rule, a report or a log.
"""
from __future__ import annotations

from ..collector import Collector, Ctx, named


class SsmParameters(Collector):
    types = ("aws_ssm_parameter",)
    service = "ssm"
    operations = (("ssm", "DescribeParameters"),)

    def collect(self, ctx: Ctx) -> None:
        for parameter in ctx.paginate("ssm", "DescribeParameters", "Parameters"):
            name = named(parameter, "Name", "ssm", "DescribeParameters")
            arn = parameter.get("ARN") or ctx.arn("ssm", f"parameter/{name.lstrip('/')}")
            reads = ctx.reads("ssm")
            ctx.emit("aws_ssm_parameter", arn, {
                "name": name, "arn": arn, "id": name,
                "type": reads.member(parameter, "Type", "DescribeParameters"),
                # SecureString parameters always name their key (alias/aws/ssm for the default one).
                "key_id": parameter.get("KeyId"),
                "tier": parameter.get("Tier"),
                "data_type": parameter.get("DataType"),
            }, reads)
