"""EC2-Classic era security groups of RDS (DescribeDBSecurityGroups) and Redshift
(DescribeClusterSecurityGroups), which botocore still models.  Accounts created after EC2-Classic
was retired have none; older accounts may keep leftover groups whose CIDR ranges still open a
database to the internet.

Their ``ingress`` follows the provider's ``aws_db_security_group`` / ``aws_redshift_security_group``:
one entry per CIDR range (``cidr``) and one per EC2 security group (``security_group_name`` ...).
ElastiCache's cache security groups name EC2 security groups only, never a CIDR, so no rule reads
them live and no collector lists them.
"""
from __future__ import annotations

from typing import Any

from ..collector import Collector, Ctx, Reads, named


def _ingress(reads: Reads, group: dict[str, Any], operation: str) -> list[dict[str, Any]]:
    # A range without its CIDR is not a closed range: the CIDR is not known.
    ranges = [{"cidr": reads.member(r, "CIDRIP", operation)} for r in group.get("IPRanges") or []]
    groups = [{"security_group_name": g.get("EC2SecurityGroupName"), "security_group_id": g.get("EC2SecurityGroupId"),
               "security_group_owner_id": g.get("EC2SecurityGroupOwnerId")} for g in group.get("EC2SecurityGroups") or []]
    return ranges + groups


class DbSecurityGroups(Collector):
    types = ("aws_db_security_group",)
    service = "rds"
    operations = (("rds", "DescribeDBSecurityGroups"),)

    def collect(self, ctx: Ctx) -> None:
        for group in ctx.paginate("rds", "DescribeDBSecurityGroups", "DBSecurityGroups"):
            name = named(group, "DBSecurityGroupName", "rds", "DescribeDBSecurityGroups")
            arn = group.get("DBSecurityGroupArn") or ctx.arn("rds", f"secgrp:{name}")
            reads = ctx.reads("rds")
            ctx.emit("aws_db_security_group", arn, {
                "name": name, "arn": arn, "id": name, "description": group.get("DBSecurityGroupDescription"),
                "ingress": _ingress(reads, group, "DescribeDBSecurityGroups"),
            }, reads)


class RedshiftSecurityGroups(Collector):
    types = ("aws_redshift_security_group",)
    service = "redshift"
    operations = (("redshift", "DescribeClusterSecurityGroups"),)

    def collect(self, ctx: Ctx) -> None:
        for group in ctx.paginate("redshift", "DescribeClusterSecurityGroups", "ClusterSecurityGroups"):
            name = named(group, "ClusterSecurityGroupName", "redshift", "DescribeClusterSecurityGroups")
            arn = ctx.arn("redshift", f"securitygroup:{name}")
            reads = ctx.reads("redshift")
            ctx.emit("aws_redshift_security_group", arn, {
                "name": name, "arn": arn, "id": name, "description": group.get("Description"),
                "ingress": _ingress(reads, group, "DescribeClusterSecurityGroups"),
            }, reads)
