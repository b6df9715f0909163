"""Transfer Family servers and their users: the SFTP/FTPS/AS2 endpoints clearinghouses and practices
send claim and remittance files to — which protocols they offer, with which algorithms, reached
how — and where each user's session is confined."""
from __future__ import annotations

from typing import Any

from ..collector import Collector, Ctx, Reads, named


def _server_ids(ctx: Ctx) -> list[str]:
    """Every server in the region (`Ctx.paginate` answers this listing, which TransferServers also
    reads, from memory: it is sent once)."""
    return [named(item, "ServerId", "transfer", "ListServers")
            for item in ctx.paginate("transfer", "ListServers", "Servers")]


class TransferServers(Collector):
    types = ("aws_transfer_server",)
    service = "transfer"
    operations = (("transfer", "ListServers"), ("transfer", "DescribeServer"))

    def collect(self, ctx: Ctx) -> None:
        ctx.each(ctx.paginate("transfer", "ListServers", "Servers"), lambda item: self._server(ctx, item))

    def _server(self, ctx: Ctx, item: dict[str, Any]) -> None:
        server_id = named(item, "ServerId", "transfer", "ListServers")
        arn = item.get("Arn") or ctx.arn("transfer", f"server/{server_id}")
        reads = ctx.reads("transfer")
        server = reads.get("DescribeServer", lambda r: r["Server"], ServerId=server_id)
        op = "DescribeServer"

        def field(key: str) -> Any:
            """A member a rule reads: UNKNOWN (with the reason) when the call failed or AWS left it out."""
            return reads.member(server, key, op) if isinstance(server, dict) else server

        details = server.get("EndpointDetails") if isinstance(server, dict) else None
        ctx.emit("aws_transfer_server", arn, {
            "id": server_id, "arn": arn,
            "protocols": field("Protocols"),
            "security_policy_name": field("SecurityPolicyName"),
            "endpoint_type": field("EndpointType"),
            "identity_provider_type": server.get("IdentityProviderType") if isinstance(server, dict) else server,
            "endpoint_details": [{
                "vpc_id": details.get("VpcId"), "subnet_ids": details.get("SubnetIds") or [],
                "address_allocation_ids": details.get("AddressAllocationIds") or [],
                "security_group_ids": details.get("SecurityGroupIds") or [],
            }] if isinstance(details, dict) else [],
            "logging_role": server.get("LoggingRole") if isinstance(server, dict) else server,
        }, reads)


class TransferUsers(Collector):
    types = ("aws_transfer_user",)
    service = "transfer"
    operations = (("transfer", "ListServers"), ("transfer", "ListUsers"))

    def collect(self, ctx: Ctx) -> None:
        ctx.each(_server_ids(ctx), lambda server_id: self._users(ctx, server_id))

    def _users(self, ctx: Ctx, server_id: str) -> None:
        # ListUsers carries what the rules read (DescribeUser would add the mappings and the
        # session policy, one call per user); a failed listing is a gap, never "no users".
        for user in ctx.paginate("transfer", "ListUsers", "Users", ServerId=server_id):
            name = named(user, "UserName", "transfer", "ListUsers")
            arn = user.get("Arn") or ctx.arn("transfer", f"user/{server_id}/{name}")
            reads = Reads(None, "transfer")
            ctx.emit("aws_transfer_user", arn, {
                "id": f"{server_id}/{name}", "arn": arn, "server_id": server_id, "user_name": name,
                "home_directory_type": reads.member(user, "HomeDirectoryType", "ListUsers"),
                "home_directory": user.get("HomeDirectory"), "role": user.get("Role"),
            }, reads)
