"""Regional security-posture services: Security Hub, Macie, Inspector.

Each is a per-region singleton that exists only when the service is on.  These services say "off"
with errors, so each collector tells "not enabled" (the resource is absent: the region rule FAILs)
apart from every other failure, which raises (a gap: the region rule is UNKNOWN).
"""
from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ....model import UNKNOWN
from ..collector import CallFailed, Collector, Ctx

#: Inspector's resource types as the provider names them, and as BatchGetAccountStatus keys them.
INSPECTOR_TYPES = {"EC2": "ec2", "ECR": "ecr", "LAMBDA": "lambda"}


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _message(exc: ClientError) -> str:
    error = exc.response.get("Error", {})
    return str(error.get("Message") or error.get("message") or "")


def macie_not_enabled(exc: ClientError) -> bool:
    """Macie answers GetMacieSession with AccessDeniedException "Macie is not enabled" when it is
    off; only that message means absence — an AccessDenied for want of permission stays a failure.
    (ResourceNotFoundException, a session that does not exist, is absence too.)"""
    code = _code(exc)
    if code == "ResourceNotFoundException":
        return True
    return code in ("AccessDeniedException", "AccessDenied") and "macie is not enabled" in _message(exc).lower()


class SecurityHub(Collector):
    types = ("aws_securityhub_account",)
    service = "securityhub"
    operations = (("securityhub", "DescribeHub"), ("securityhub", "GetEnabledStandards"))

    def collect(self, ctx: Ctx) -> None:
        try:
            hub = ctx.call("securityhub", "DescribeHub")
        except ClientError as exc:
            if _code(exc) == "InvalidAccessException":
                return  # "Account ... is not subscribed to AWS Security Hub": absent in this region
            raise
        arn = hub.get("HubArn") or ctx.arn("securityhub", "hub/default")
        reads = ctx.reads("securityhub")
        # The provider's enable_default_standards is a create-time switch with no read-back;
        # whether any standard is enabled now is the nearest live fact.
        standards = reads.paginate("GetEnabledStandards", "StandardsSubscriptions",
                                   lambda found: [s.get("StandardsArn") for s in found
                                                  if s.get("StandardsStatus") in ("READY", "PENDING", "INCOMPLETE")])
        ctx.emit("aws_securityhub_account", arn, {
            "id": ctx.account, "arn": arn,
            "auto_enable_controls": hub.get("AutoEnableControls"),
            "control_finding_generator": hub.get("ControlFindingGenerator"),
            "enable_default_standards": standards if standards is UNKNOWN else bool(standards),
            "enabled_standards": standards,
        }, reads)


class Macie(Collector):
    types = ("aws_macie2_account",)
    service = "macie2"
    operations = (("macie2", "GetMacieSession"),)

    def collect(self, ctx: Ctx) -> None:
        try:
            session = ctx.call("macie2", "GetMacieSession")
        except ClientError as exc:
            if macie_not_enabled(exc):
                return
            raise
        # A session always states its status (a Terraform configuration may leave it out — the
        # rule reads null as ENABLED there — but AWS never does): left out, it is not known.
        reads = ctx.reads("macie2")
        ctx.emit("aws_macie2_account", f"{ctx.account}/{ctx.region}/macie2-account", {
            "id": ctx.account, "status": reads.member(session, "status", "GetMacieSession"),
            "finding_publishing_frequency": session.get("findingPublishingFrequency"),
            "service_role": session.get("serviceRole"),
        }, reads)


def _enabled_types(account: dict[str, Any]) -> list[str]:
    states = account.get("resourceState") or {}
    return [name for name, key in INSPECTOR_TYPES.items()
            if (states.get(key) or {}).get("status") == "ENABLED"]


class Inspector(Collector):
    types = ("aws_inspector2_enabler",)
    service = "inspector2"
    operations = (("inspector2", "BatchGetAccountStatus"),)

    def collect(self, ctx: Ctx) -> None:
        response = ctx.call("inspector2", "BatchGetAccountStatus", accountIds=[ctx.account])
        for failed in response.get("failedAccounts") or []:
            if failed.get("accountId") == ctx.account:
                # Not "nothing enabled": the status could not be read.  Raised as a failed call,
                # so the scan records a gap (the region rule is UNKNOWN) like any other.
                error = ClientError({"Error": {"Code": failed.get("errorCode") or "FailedAccount",
                                               "Message": failed.get("errorMessage") or ""}},
                                    "BatchGetAccountStatus")
                raise CallFailed(error, "inspector2", "BatchGetAccountStatus")
        mine = [a for a in response.get("accounts") or [] if a.get("accountId") == ctx.account]
        # An account Inspector has never been enabled in may be left out of `accounts`: off.
        enabled = _enabled_types(mine[0]) if mine else []
        if not enabled:
            return  # no resource type is scanned: nothing is enabled in this region
        state = (mine[0].get("state") or {}).get("status")
        ctx.emit("aws_inspector2_enabler", f"{ctx.account}/{ctx.region}/inspector2-enabler", {
            "id": f"{ctx.account}-{ctx.region}", "account_ids": [ctx.account],
            "resource_types": enabled, "status": state,
        })
