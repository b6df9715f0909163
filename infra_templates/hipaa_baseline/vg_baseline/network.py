"""The VPC: a public tier that holds only the load balancer (and a NAT gateway), a private
application tier, and an isolated data tier with no route out.  Flow logs go to a KMS-encrypted
log group; the default security group, default network ACL and main route table are emptied so
that nothing placed by accident is reachable; every tier has its own network ACL."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from .access import ServiceRoles, flow_log_group_name
from .common import Stack, log_group

WORLD = "0.0.0.0/0"
EPHEMERAL = (1024, 65535)


@dataclass(frozen=True)
class Network:
    vpc: aws.ec2.Vpc
    public_subnets: list[aws.ec2.Subnet]
    app_subnets: list[aws.ec2.Subnet]
    data_subnets: list[aws.ec2.Subnet]
    alb_sg: aws.ec2.SecurityGroup
    app_sg: aws.ec2.SecurityGroup
    db_sg: aws.ec2.SecurityGroup


def _acl_rule(number: int, port: int | tuple[int, int], cidr: str, *, action: str = "allow",
              protocol: str = "tcp") -> dict[str, Any]:
    low, high = port if isinstance(port, tuple) else (port, port)
    return {"rule_no": number, "action": action, "protocol": protocol, "cidr_block": cidr,
            "from_port": low, "to_port": high}


def _subnet_blocks(cidr: str, az_count: int) -> dict[str, list[str]]:
    """Sixteen equal slices of the VPC: public, app and data tiers take four each."""
    network = ipaddress.ip_network(cidr)
    slices = [str(s) for s in network.subnets(new_prefix=network.prefixlen + 4)]
    return {tier: slices[4 * i: 4 * i + az_count] for i, tier in enumerate(("public", "app", "data"))}


def build(stack: Stack, roles: ServiceRoles, logs_key_arn: pulumi.Input[str]) -> Network:
    s = stack.settings
    zones = aws.get_availability_zones(state="available", opts=stack.invoke()).names
    if len(zones) < s.az_count:
        raise pulumi.RunError(f"config vendorguard:azCount: {s.region} has only {len(zones)} "
                              f"available zones")
    zones = zones[: s.az_count]
    blocks = _subnet_blocks(s.vpc_cidr, s.az_count)

    vpc = aws.ec2.Vpc("vpc", cidr_block=s.vpc_cidr, enable_dns_support=True,
                      enable_dns_hostnames=True, tags={"Name": stack.name("vpc")}, opts=stack.opts())

    # -- closed defaults: nothing placed in them by accident can talk to anything -------------------
    aws.ec2.DefaultSecurityGroup(
        "default-sg", vpc_id=vpc.id,
        ingress=[] if stack.hardened("default-sg") else
        [{"protocol": "-1", "from_port": 0, "to_port": 0, "self": True}],
        egress=[] if stack.hardened("default-sg") else
        [{"protocol": "-1", "from_port": 0, "to_port": 0, "cidr_blocks": [WORLD]}],
        tags={"Name": stack.name("default-closed")}, opts=stack.opts())
    aws.ec2.DefaultNetworkAcl("default-nacl", default_network_acl_id=vpc.default_network_acl_id,
                              ingress=[], egress=[], tags={"Name": stack.name("default-deny")},
                              opts=stack.opts(ignore_changes=["subnetIds"]))
    aws.ec2.DefaultRouteTable("default-rt", default_route_table_id=vpc.default_route_table_id,
                              routes=[], tags={"Name": stack.name("default-no-routes")},
                              opts=stack.opts())

    # -- subnets -----------------------------------------------------------------------------------
    def subnets(tier: str) -> list[aws.ec2.Subnet]:
        return [aws.ec2.Subnet(f"{tier}-{i}", vpc_id=vpc.id, cidr_block=block, availability_zone=zone,
                               map_public_ip_on_launch=False,
                               tags={"Name": stack.name(f"{tier}-{zone}"), "Tier": tier},
                               opts=stack.opts())
                for i, (zone, block) in enumerate(zip(zones, blocks[tier]))]

    public, app, data = subnets("public"), subnets("app"), subnets("data")

    # -- routing: public → internet gateway; app → NAT; data → nowhere ------------------------------
    igw = aws.ec2.InternetGateway("igw", vpc_id=vpc.id, tags={"Name": stack.name("igw")},
                                  opts=stack.opts())
    public_rt = aws.ec2.RouteTable("public-rt", vpc_id=vpc.id,
                                   routes=[{"cidr_block": WORLD, "gateway_id": igw.id}],
                                   tags={"Name": stack.name("public")}, opts=stack.opts())
    app_routes = []
    if s.nat_gateway:
        eip = aws.ec2.Eip("nat-eip", domain="vpc", tags={"Name": stack.name("nat")}, opts=stack.opts())
        nat = aws.ec2.NatGateway("nat", allocation_id=eip.id, subnet_id=public[0].id,
                                 tags={"Name": stack.name("nat")},
                                 opts=stack.opts(depends_on=[igw]))
        app_routes = [{"cidr_block": WORLD, "nat_gateway_id": nat.id}]
    app_rt = aws.ec2.RouteTable("app-rt", vpc_id=vpc.id, routes=app_routes,
                                tags={"Name": stack.name("app")}, opts=stack.opts())
    data_rt = aws.ec2.RouteTable("data-rt", vpc_id=vpc.id, routes=[],
                                 tags={"Name": stack.name("data-isolated")}, opts=stack.opts())
    for tier, table, members in (("public", public_rt, public), ("app", app_rt, app),
                                 ("data", data_rt, data)):
        for i, subnet in enumerate(members):
            aws.ec2.RouteTableAssociation(f"{tier}-rta-{i}", subnet_id=subnet.id,
                                          route_table_id=table.id, opts=stack.opts())

    # -- network ACLs, one per tier (stateless: return traffic needs the ephemeral ports) ------------
    vpc_cidr = s.vpc_cidr
    db_port = s.db_port
    acls = {
        "public": (
            [_acl_rule(100, 443, WORLD), _acl_rule(110, 80, WORLD), _acl_rule(120, EPHEMERAL, WORLD)],
            [_acl_rule(100, 443, WORLD), _acl_rule(110, 80, WORLD), _acl_rule(120, EPHEMERAL, WORLD),
             _acl_rule(130, s.app_port, vpc_cidr)],
        ),
        "app": (
            [_acl_rule(100, s.app_port, vpc_cidr), _acl_rule(110, EPHEMERAL, WORLD)],
            [_acl_rule(100, 443, WORLD), _acl_rule(110, db_port, vpc_cidr),
             _acl_rule(120, EPHEMERAL, vpc_cidr)],
        ),
        # Only the application tier reaches the database; the data subnets talk among themselves
        # (Multi-AZ standby).  No route leaves the tier, and the ACL says so again.
        "data": (
            [_acl_rule(100 + i, db_port, cidr) for i, cidr in enumerate(blocks["app"])]
            + [_acl_rule(200 + i, (0, 65535), cidr) for i, cidr in enumerate(blocks["data"])]
            if stack.hardened("nacl") else [_acl_rule(90, 0, WORLD, protocol="-1")],
            [_acl_rule(100 + i, EPHEMERAL, cidr) for i, cidr in enumerate(blocks["app"])]
            + [_acl_rule(200 + i, (0, 65535), cidr) for i, cidr in enumerate(blocks["data"])],
        ),
    }
    members = {"public": public, "app": app, "data": data}
    for tier, (ingress, egress) in acls.items():
        aws.ec2.NetworkAcl(f"{tier}-nacl", vpc_id=vpc.id, subnet_ids=[m.id for m in members[tier]],
                           ingress=ingress, egress=egress, tags={"Name": stack.name(tier)},
                           opts=stack.opts())

    # -- security groups: the load balancer faces the world on 443/80 only, the rest chain --------------
    def group(name: str, description: str) -> aws.ec2.SecurityGroup:
        return aws.ec2.SecurityGroup(f"{name}-sg", name=stack.name(name), description=description,
                                     vpc_id=vpc.id, tags={"Name": stack.name(name)},
                                     opts=stack.opts())

    alb_sg = group("alb", "Internet-facing load balancer: HTTPS in (and HTTP to redirect)")
    app_sg = group("app", "Billing application: from the load balancer only")
    db_sg = group("db", "Claims database: from the application only")
    for port, description in ((443, "HTTPS from anywhere"), (80, "HTTP, redirected to HTTPS")):
        aws.vpc.SecurityGroupIngressRule(f"alb-in-{port}", security_group_id=alb_sg.id,
                                         ip_protocol="tcp", from_port=port, to_port=port,
                                         cidr_ipv4=WORLD, description=description, opts=stack.opts())
    aws.vpc.SecurityGroupEgressRule("alb-out-app", security_group_id=alb_sg.id, ip_protocol="tcp",
                                    from_port=s.app_port, to_port=s.app_port,
                                    referenced_security_group_id=app_sg.id,
                                    description="To the application", opts=stack.opts())
    aws.vpc.SecurityGroupIngressRule("app-in-alb", security_group_id=app_sg.id, ip_protocol="tcp",
                                     from_port=s.app_port, to_port=s.app_port,
                                     referenced_security_group_id=alb_sg.id,
                                     description="From the load balancer", opts=stack.opts())
    aws.vpc.SecurityGroupEgressRule("app-out-https", security_group_id=app_sg.id, ip_protocol="tcp",
                                    from_port=443, to_port=443, cidr_ipv4=WORLD,
                                    description="AWS APIs and patch repositories", opts=stack.opts())
    aws.vpc.SecurityGroupEgressRule("app-out-db", security_group_id=app_sg.id, ip_protocol="tcp",
                                    from_port=db_port, to_port=db_port,
                                    referenced_security_group_id=db_sg.id,
                                    description="To the database", opts=stack.opts())
    aws.vpc.SecurityGroupIngressRule("db-in-app", security_group_id=db_sg.id, ip_protocol="tcp",
                                     from_port=db_port, to_port=db_port,
                                     referenced_security_group_id=app_sg.id,
                                     description="From the application", opts=stack.opts())

    # -- flow logs: every accepted and rejected flow, to an encrypted group kept a year --------------
    if stack.hardened("flow-logs"):
        flow_group = log_group(stack, "flow-logs", flow_log_group_name(stack), logs_key_arn)
        aws.ec2.FlowLog("vpc-flow-log", vpc_id=vpc.id, traffic_type="ALL",
                        log_destination_type="cloud-watch-logs", log_destination=flow_group.arn,
                        iam_role_arn=roles.flow_logs.arn, max_aggregation_interval=60,
                        tags={"Name": stack.name("vpc")}, opts=stack.opts())

    return Network(vpc, public, app, data, alb_sg, app_sg, db_sg)
