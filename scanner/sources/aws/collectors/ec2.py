"""EC2 and VPC: security groups, network ACLs, subnets, VPCs with their flow logs, instances
(with Systems Manager management and patch compliance), volumes, snapshots, EBS encryption by
default."""
from __future__ import annotations

from typing import Any

from ....model import UNKNOWN
from ..collector import Collector, Ctx, Reads, tags


def _permission(p: dict[str, Any]) -> dict[str, Any]:
    """One IpPermission as Terraform's inline ingress/egress block."""
    return {
        "from_port": p.get("FromPort", 0),
        "to_port": p.get("ToPort", 0),
        "protocol": p.get("IpProtocol"),
        "cidr_blocks": [r["CidrIp"] for r in p.get("IpRanges", [])],
        "ipv6_cidr_blocks": [r["CidrIpv6"] for r in p.get("Ipv6Ranges", [])],
        "prefix_list_ids": [r["PrefixListId"] for r in p.get("PrefixListIds", [])],
        "security_groups": [g["GroupId"] for g in p.get("UserIdGroupPairs", [])],
        "self": False,
    }


class SecurityGroups(Collector):
    types = ("aws_security_group", "aws_default_security_group")
    service = "ec2"
    operations = (("ec2", "DescribeSecurityGroups"),)

    def collect(self, ctx: Ctx) -> None:
        for group in ctx.paginate("ec2", "DescribeSecurityGroups", "SecurityGroups"):
            rtype = "aws_default_security_group" if group.get("GroupName") == "default" else "aws_security_group"
            ctx.emit(rtype, ctx.arn("ec2", f"security-group/{group['GroupId']}"), {
                "id": group["GroupId"], "name": group.get("GroupName"), "vpc_id": group.get("VpcId"),
                "description": group.get("Description"),
                "ingress": [_permission(p) for p in group.get("IpPermissions", [])],
                "egress": [_permission(p) for p in group.get("IpPermissionsEgress", [])],
                "tags": tags(group.get("Tags")),
            })


class NetworkAcls(Collector):
    types = ("aws_network_acl", "aws_default_network_acl")
    service = "ec2"
    operations = (("ec2", "DescribeNetworkAcls"),)

    def collect(self, ctx: Ctx) -> None:
        for acl in ctx.paginate("ec2", "DescribeNetworkAcls", "NetworkAcls"):
            entries = {"ingress": [], "egress": []}
            for e in acl.get("Entries", []):
                if e.get("RuleNumber") == 32767:
                    continue  # the implicit final deny every NACL has
                ports = e.get("PortRange") or {}
                entries["egress" if e.get("Egress") else "ingress"].append({
                    "rule_no": e.get("RuleNumber"), "action": e.get("RuleAction"), "protocol": e.get("Protocol"),
                    "cidr_block": e.get("CidrBlock"), "ipv6_cidr_block": e.get("Ipv6CidrBlock"),
                    "from_port": ports.get("From", 0), "to_port": ports.get("To", 0),
                })
            rtype = "aws_default_network_acl" if acl.get("IsDefault") else "aws_network_acl"
            ctx.emit(rtype, ctx.arn("ec2", f"network-acl/{acl['NetworkAclId']}"), {
                "id": acl["NetworkAclId"], "vpc_id": acl.get("VpcId"), **entries,
                "subnet_ids": [a["SubnetId"] for a in acl.get("Associations", []) if a.get("SubnetId")],
                "tags": tags(acl.get("Tags")),
            })


class Subnets(Collector):
    types = ("aws_subnet",)
    service = "ec2"
    operations = (("ec2", "DescribeSubnets"),)

    def collect(self, ctx: Ctx) -> None:
        for subnet in ctx.paginate("ec2", "DescribeSubnets", "Subnets"):
            ctx.emit("aws_subnet", subnet.get("SubnetArn") or ctx.arn("ec2", f"subnet/{subnet['SubnetId']}"), {
                "id": subnet["SubnetId"], "vpc_id": subnet.get("VpcId"), "cidr_block": subnet.get("CidrBlock"),
                "map_public_ip_on_launch": bool(subnet.get("MapPublicIpOnLaunch")),
                "availability_zone": subnet.get("AvailabilityZone"), "tags": tags(subnet.get("Tags")),
            })


class Vpcs(Collector):
    types = ("aws_vpc", "aws_default_vpc")
    service = "ec2"
    operations = (("ec2", "DescribeVpcs"), ("ec2", "DescribeFlowLogs"))

    def collect(self, ctx: Ctx) -> None:
        vpcs = ctx.paginate("ec2", "DescribeVpcs", "Vpcs")
        flow_logs: dict[str, list[dict[str, Any]]] = {}
        for log in ctx.paginate("ec2", "DescribeFlowLogs", "FlowLogs"):
            flow_logs.setdefault(log.get("ResourceId"), []).append({
                "traffic_type": log.get("TrafficType"), "log_destination_type": log.get("LogDestinationType"),
                "log_destination": log.get("LogDestination"), "log_group_name": log.get("LogGroupName"),
                "status": log.get("FlowLogStatus"),
            })
        for vpc in vpcs:
            rtype = "aws_default_vpc" if vpc.get("IsDefault") else "aws_vpc"
            ctx.emit(rtype, ctx.arn("ec2", f"vpc/{vpc['VpcId']}"), {
                "id": vpc["VpcId"], "cidr_block": vpc.get("CidrBlock"),
                "flow_log": [f for f in flow_logs.get(vpc["VpcId"], []) if f.get("status") in (None, "ACTIVE")],
                "tags": tags(vpc.get("Tags")),
            })


class Instances(Collector):
    types = ("aws_instance",)
    service = "ec2"
    operations = (("ec2", "DescribeInstances"), ("ec2", "DescribeVolumes"),
                  ("ssm", "DescribeInstanceInformation"), ("ssm", "DescribeInstancePatchStates"))

    def collect(self, ctx: Ctx) -> None:
        instances = [i for r in ctx.paginate("ec2", "DescribeInstances", "Reservations") for i in r.get("Instances", [])
                     if i.get("State", {}).get("Name") not in ("terminated", "shutting-down")]
        if not instances:
            return
        encrypted = {v["VolumeId"]: bool(v.get("Encrypted")) for v in ctx.paginate("ec2", "DescribeVolumes", "Volumes")}
        reads = ctx.reads("ssm")
        managed, patches = _ssm_state(reads, [i["InstanceId"] for i in instances])
        for inst in instances:
            iid = inst["InstanceId"]
            metadata = inst.get("MetadataOptions") or {}
            disks = [{"device_name": d.get("DeviceName"), "volume_id": d["Ebs"].get("VolumeId"),
                      "encrypted": encrypted.get(d["Ebs"].get("VolumeId"), UNKNOWN)}
                     for d in inst.get("BlockDeviceMappings", []) if d.get("Ebs")]
            root = inst.get("RootDeviceName")
            ctx.emit("aws_instance", ctx.arn("ec2", f"instance/{iid}"), {
                "id": iid, "instance_type": inst.get("InstanceType"), "subnet_id": inst.get("SubnetId"),
                "instance_state": inst.get("State", {}).get("Name"),
                "associate_public_ip_address": bool(inst.get("PublicIpAddress")),
                "public_ip": inst.get("PublicIpAddress"),
                "iam_instance_profile": (inst.get("IamInstanceProfile") or {}).get("Arn"),
                "metadata_options": [{"http_tokens": metadata.get("HttpTokens"),
                                      "http_endpoint": metadata.get("HttpEndpoint")}],
                "root_block_device": [d for d in disks if d["device_name"] == root],
                "ebs_block_device": [d for d in disks if d["device_name"] != root],
                "ssm_managed": managed if managed is UNKNOWN else iid in managed,
                "patch_compliance": patches if patches is UNKNOWN else patches.get(iid),
                "tags": tags(inst.get("Tags")),
            }, reads)


def _ssm_state(reads: Reads, ids: list[str]) -> tuple[Any, Any]:
    """Managed instance ids, and patch compliance by instance (UNKNOWN where unreadable)."""
    managed = reads.get("DescribeInstanceInformation",
                        lambda r: {i["InstanceId"] for i in r.get("InstanceInformationList", [])})
    patches: Any = {}
    for start in range(0, len(ids), 50):
        got = reads.get("DescribeInstancePatchStates",
                        lambda r: {s["InstanceId"]: ("NON_COMPLIANT" if s.get("MissingCount", 0) or
                                                      s.get("FailedCount", 0) else "COMPLIANT")
                                   for s in r.get("InstancePatchStates", [])},
                        InstanceIds=ids[start:start + 50])
        if got is UNKNOWN:
            return managed, UNKNOWN
        patches.update(got)
    return managed, patches


class Volumes(Collector):
    types = ("aws_ebs_volume",)
    service = "ec2"
    operations = (("ec2", "DescribeVolumes"),)

    def collect(self, ctx: Ctx) -> None:
        for vol in ctx.paginate("ec2", "DescribeVolumes", "Volumes"):
            ctx.emit("aws_ebs_volume", ctx.arn("ec2", f"volume/{vol['VolumeId']}"), {
                "id": vol["VolumeId"], "encrypted": bool(vol.get("Encrypted")), "kms_key_id": vol.get("KmsKeyId"),
                "size": vol.get("Size"), "availability_zone": vol.get("AvailabilityZone"),
                "tags": tags(vol.get("Tags")),
            })


class EbsEncryptionByDefault(Collector):
    types = ("aws_ebs_encryption_by_default",)
    service = "ec2"
    operations = (("ec2", "GetEbsEncryptionByDefault"),)

    def collect(self, ctx: Ctx) -> None:
        enabled = ctx.call("ec2", "GetEbsEncryptionByDefault").get("EbsEncryptionByDefault")
        ctx.emit("aws_ebs_encryption_by_default", f"{ctx.account}/{ctx.region}/ebs-encryption-by-default",
                 {"enabled": bool(enabled)})


class Snapshots(Collector):
    types = ("aws_ebs_snapshot",)
    service = "ec2"
    operations = (("ec2", "DescribeSnapshots"), ("ec2", "DescribeSnapshotAttribute"))

    def collect(self, ctx: Ctx) -> None:
        snapshots = ctx.paginate("ec2", "DescribeSnapshots", "Snapshots", OwnerIds=["self"])
        ctx.each(snapshots, lambda snap: self._snapshot(ctx, snap))

    def _snapshot(self, ctx: Ctx, snap: dict[str, Any]) -> None:
        reads = ctx.reads("ec2")
        public = reads.get("DescribeSnapshotAttribute",
                           lambda r: any(p.get("Group") == "all" for p in r.get("CreateVolumePermissions", [])),
                           SnapshotId=snap["SnapshotId"], Attribute="createVolumePermission")
        ctx.emit("aws_ebs_snapshot", ctx.arn("ec2", f"snapshot/{snap['SnapshotId']}"), {
            "id": snap["SnapshotId"], "volume_id": snap.get("VolumeId"), "encrypted": bool(snap.get("Encrypted")),
            "public": public, "tags": tags(snap.get("Tags")),
        }, reads)
