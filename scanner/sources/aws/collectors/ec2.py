"""EC2 and VPC: security groups, network ACLs, subnets, VPCs with their flow logs, instances
(with Systems Manager management and patch compliance), volumes, snapshots, EBS encryption by
default."""
from __future__ import annotations

from typing import Any

from ....model import UNKNOWN
from ..collector import Collector, Ctx, Reads, named, tags


_SG = ("ec2", "DescribeSecurityGroups")
#: Protocols whose rules are port ranges (by name, as security groups give them, or by number).
_PORTED = ("tcp", "udp", "6", "17")


def _ports(reads: Reads, protocol: Any, source: dict[str, Any], keys: tuple[str, str],
           operation: str) -> tuple[Any, Any]:
    """A rule's (from, to) ports as Terraform holds them.  AWS states no ports for all traffic
    ("-1") and for ICMP (Terraform: 0, or the ICMP type and code); for TCP and UDP it always
    does, so ports left out there are not known — not the 0–0 that would open nothing."""
    if str(protocol).lower() not in _PORTED:
        return source.get(keys[0], 0), source.get(keys[1], 0)
    return reads.member(source, keys[0], operation), reads.member(source, keys[1], operation)


def _permission(reads: Reads, p: dict[str, Any]) -> Any:
    """One IpPermission as Terraform's inline ingress/egress block; UNKNOWN without its protocol.
    A source without its address (or group, or prefix list) cannot be judged open or closed: the
    listing fails as a whole."""
    protocol = reads.member(p, "IpProtocol", _SG[1])
    if protocol is UNKNOWN:
        return UNKNOWN
    low, high = _ports(reads, protocol, p, ("FromPort", "ToPort"), _SG[1])
    return {
        "from_port": low,
        "to_port": high,
        "protocol": protocol,
        "cidr_blocks": [named(r, "CidrIp", *_SG) for r in p.get("IpRanges", [])],
        "ipv6_cidr_blocks": [named(r, "CidrIpv6", *_SG) for r in p.get("Ipv6Ranges", [])],
        "prefix_list_ids": [named(r, "PrefixListId", *_SG) for r in p.get("PrefixListIds", [])],
        "security_groups": [named(g, "GroupId", *_SG) for g in p.get("UserIdGroupPairs", [])],
        "self": False,
    }


class SecurityGroups(Collector):
    types = ("aws_security_group", "aws_default_security_group")
    service = "ec2"
    operations = (("ec2", "DescribeSecurityGroups"),)

    def collect(self, ctx: Ctx) -> None:
        for group in ctx.paginate("ec2", "DescribeSecurityGroups", "SecurityGroups"):
            rtype = "aws_default_security_group" if group.get("GroupName") == "default" else "aws_security_group"
            group_id = named(group, "GroupId", *_SG)
            reads = ctx.reads("ec2")
            ctx.emit(rtype, ctx.arn("ec2", f"security-group/{group_id}"), {
                "id": group_id, "name": group.get("GroupName"), "vpc_id": group.get("VpcId"),
                "description": group.get("Description"),
                "ingress": [_permission(reads, p) for p in group.get("IpPermissions", [])],
                "egress": [_permission(reads, p) for p in group.get("IpPermissionsEgress", [])],
                "tags": tags(group.get("Tags")),
            }, reads)


class NetworkAcls(Collector):
    types = ("aws_network_acl", "aws_default_network_acl")
    service = "ec2"
    operations = (("ec2", "DescribeNetworkAcls"),)

    def collect(self, ctx: Ctx) -> None:
        for acl in ctx.paginate("ec2", "DescribeNetworkAcls", "NetworkAcls"):
            reads = ctx.reads("ec2")
            entries: dict[str, list[Any]] = {"ingress": [], "egress": []}
            for e in acl.get("Entries", []):
                if e.get("RuleNumber") == 32767:
                    continue  # the implicit final deny every NACL has
                entry, egress = _entry(reads, e), e.get("Egress")
                # An entry of no known direction is an unknown entry of both.
                for direction in ("ingress", "egress") if egress is None else ("egress" if egress else "ingress",):
                    entries[direction].append(entry)
            rtype = "aws_default_network_acl" if acl.get("IsDefault") else "aws_network_acl"
            acl_id = named(acl, "NetworkAclId", "ec2", "DescribeNetworkAcls")
            ctx.emit(rtype, ctx.arn("ec2", f"network-acl/{acl_id}"), {
                "id": acl_id, "vpc_id": acl.get("VpcId"), **entries,
                "subnet_ids": [a["SubnetId"] for a in acl.get("Associations", []) if a.get("SubnetId")],
                "tags": tags(acl.get("Tags")),
            }, reads)


def _entry(reads: Reads, e: dict[str, Any]) -> Any:
    """One network ACL entry as Terraform's ingress/egress block.  Its number, direction, protocol,
    action and CIDR are always stated: an entry without one of them is UNKNOWN (a deny read as
    numbered 0, or an allow with no source, would decide what it does not say)."""
    operation = "DescribeNetworkAcls"
    stated = [reads.member(e, key, operation) for key in ("RuleNumber", "Egress", "Protocol", "RuleAction")]
    if not (e.get("CidrBlock") or e.get("Ipv6CidrBlock")):
        stated.append(reads.member(e, "CidrBlock", operation))
    if any(value is UNKNOWN for value in stated):
        return UNKNOWN
    low, high = _ports(reads, e["Protocol"], e.get("PortRange") or {}, ("From", "To"), operation)
    return {"rule_no": e["RuleNumber"], "action": e["RuleAction"], "protocol": e["Protocol"],
            "cidr_block": e.get("CidrBlock"), "ipv6_cidr_block": e.get("Ipv6CidrBlock"),
            "from_port": low, "to_port": high}


class Subnets(Collector):
    types = ("aws_subnet",)
    service = "ec2"
    operations = (("ec2", "DescribeSubnets"),)

    def collect(self, ctx: Ctx) -> None:
        for subnet in ctx.paginate("ec2", "DescribeSubnets", "Subnets"):
            subnet_id = named(subnet, "SubnetId", "ec2", "DescribeSubnets")
            reads = ctx.reads("ec2")  # MapPublicIpOnLaunch is always stated: left out, it is not known
            ctx.emit("aws_subnet", subnet.get("SubnetArn") or ctx.arn("ec2", f"subnet/{subnet_id}"), {
                "id": subnet_id, "vpc_id": subnet.get("VpcId"), "cidr_block": subnet.get("CidrBlock"),
                "map_public_ip_on_launch": reads.member(subnet, "MapPublicIpOnLaunch", "DescribeSubnets"),
                "availability_zone": subnet.get("AvailabilityZone"), "tags": tags(subnet.get("Tags")),
            }, reads)


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
            vpc_id = named(vpc, "VpcId", "ec2", "DescribeVpcs")
            rtype = "aws_default_vpc" if vpc.get("IsDefault") else "aws_vpc"
            ctx.emit(rtype, ctx.arn("ec2", f"vpc/{vpc_id}"), {
                "id": vpc_id, "cidr_block": vpc.get("CidrBlock"),
                "flow_log": [f for f in flow_logs.get(vpc_id, []) if f.get("status") in (None, "ACTIVE")],
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
        ids = [named(i, "InstanceId", "ec2", "DescribeInstances") for i in instances]
        encrypted = {v["VolumeId"]: bool(v.get("Encrypted"))
                     for v in ctx.paginate("ec2", "DescribeVolumes", "Volumes") if v.get("VolumeId")}
        ssm = ctx.reads("ssm")
        managed, patches = _ssm_state(ssm, ids)
        for iid, inst in zip(ids, instances):
            reads = ctx.reads("ec2")
            reads.reasons.extend(ssm.reasons)
            metadata = inst.get("MetadataOptions") or {}
            # DescribeInstances lists the EBS volumes attached (instance store volumes are not in
            # it): a mapping without its Ebs member is a volume whose encryption is not known.
            disks = [{"device_name": d.get("DeviceName"), "volume_id": (d.get("Ebs") or {}).get("VolumeId"),
                      "encrypted": _volume_encrypted(reads, encrypted, (d.get("Ebs") or {}).get("VolumeId"))}
                     for d in inst.get("BlockDeviceMappings", [])]
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


def _volume_encrypted(reads: Reads, encrypted: dict[str, bool], volume_id: Any) -> Any:
    """Whether an attached volume is encrypted, from DescribeVolumes; UNKNOWN, said, if not listed."""
    if volume_id in encrypted:
        return encrypted[volume_id]
    reads.reasons.append(f"ec2:DescribeVolumes did not list attached volume {volume_id}" if volume_id else
                         "ec2:DescribeInstances returned a block device mapping without its EBS volume")
    return UNKNOWN


def _ssm_state(reads: Reads, ids: list[str]) -> tuple[Any, Any]:
    """Managed instance ids, and patch compliance by instance (UNKNOWN where unreadable)."""
    managed = reads.paginate("DescribeInstanceInformation", "InstanceInformationList",
                             lambda found: {i["InstanceId"] for i in found})
    patches: Any = {}
    for start in range(0, len(ids), 50):
        got = reads.paginate("DescribeInstancePatchStates", "InstancePatchStates",
                             lambda found: {s["InstanceId"]: ("NON_COMPLIANT" if s.get("MissingCount", 0) or
                                                               s.get("FailedCount", 0) else "COMPLIANT")
                                            for s in found},
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
            volume_id = named(vol, "VolumeId", "ec2", "DescribeVolumes")
            ctx.emit("aws_ebs_volume", ctx.arn("ec2", f"volume/{volume_id}"), {
                "id": volume_id, "encrypted": bool(vol.get("Encrypted")), "kms_key_id": vol.get("KmsKeyId"),
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


def _public(reads: Reads, response: dict[str, Any]) -> Any:
    """Whether a snapshot's createVolumePermission shares it with everyone (group ``all``).  Each
    entry names a group or an account: one naming neither is not known to be private."""
    permissions = response.get("CreateVolumePermissions") or []
    if any(p.get("Group") == "all" for p in permissions):
        return True
    if all(p.get("Group") or p.get("UserId") for p in permissions):
        return False
    reads.reasons.append("ec2:DescribeSnapshotAttribute returned a permission naming neither group nor account")
    return UNKNOWN


class Snapshots(Collector):
    types = ("aws_ebs_snapshot",)
    service = "ec2"
    operations = (("ec2", "DescribeSnapshots"), ("ec2", "DescribeSnapshotAttribute"))

    def collect(self, ctx: Ctx) -> None:
        snapshots = ctx.paginate("ec2", "DescribeSnapshots", "Snapshots", OwnerIds=["self"])
        ctx.each(snapshots, lambda snap: self._snapshot(ctx, snap))

    def _snapshot(self, ctx: Ctx, snap: dict[str, Any]) -> None:
        snapshot_id = named(snap, "SnapshotId", "ec2", "DescribeSnapshots")
        reads = ctx.reads("ec2")
        public = reads.get("DescribeSnapshotAttribute", lambda r: _public(reads, r),
                           SnapshotId=snapshot_id, Attribute="createVolumePermission")
        ctx.emit("aws_ebs_snapshot", ctx.arn("ec2", f"snapshot/{snapshot_id}"), {
            "id": snapshot_id, "volume_id": snap.get("VolumeId"), "encrypted": bool(snap.get("Encrypted")),
            "public": public, "tags": tags(snap.get("Tags")),
        }, reads)
