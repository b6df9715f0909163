"""Transfer Family servers: the SFTP/FTPS/AS2 endpoints clearinghouses and practices send claim
and remittance files to — which protocols they offer, with which algorithms, reached how."""
from __future__ import annotations

from typing import Any

from ..collector import Collector, Ctx, named


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
