"""IAM: users (console password, MFA), roles (trust policies), customer managed and inline
policies, user-attached policies — from one GetAccountAuthorizationDetails listing — plus the
password policy and the account summary (root keys, root MFA)."""
from __future__ import annotations

import json
from typing import Any

from ..collector import CallFailed, Collector, Ctx

#: aws_iam_policy_attachment (Terraform's shared attachment) has no live counterpart: every
#: user attachment is read as an aws_iam_user_policy_attachment, so it is covered, and empty.
IAM_TYPES = ("aws_iam_user", "aws_iam_role", "aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy",
             "aws_iam_group_policy", "aws_iam_user_policy_attachment", "aws_iam_policy_attachment")


def policy_text(document: Any) -> Any:
    """Policy documents as JSON text, as Terraform holds them (boto3 returns IAM's as objects)."""
    return json.dumps(document, sort_keys=True) if isinstance(document, (dict, list)) else document


class Authorization(Collector):
    types = IAM_TYPES
    service = "iam"
    global_ = True
    operations = (("iam", "GetAccountAuthorizationDetails"), ("iam", "GetLoginProfile"),
                  ("iam", "ListMFADevices"))

    def collect(self, ctx: Ctx) -> None:
        pages = ctx.pages("iam", "GetAccountAuthorizationDetails",
                          Filter=["User", "Role", "Group", "LocalManagedPolicy"])
        details = {key: [item for page in pages for item in page.get(key, [])]
                   for key in ("UserDetailList", "RoleDetailList", "GroupDetailList", "Policies")}
        for role in details["RoleDetailList"]:
            ctx.emit("aws_iam_role", role["Arn"], {
                "name": role["RoleName"], "arn": role["Arn"], "path": role.get("Path"),
                "assume_role_policy": policy_text(role.get("AssumeRolePolicyDocument")),
                "max_session_duration": role.get("MaxSessionDuration"),
                "tags": {t["Key"]: t["Value"] for t in role.get("Tags", [])},
            })
            for inline in role.get("RolePolicyList", []):
                ctx.emit("aws_iam_role_policy", f"{role['Arn']}/inline/{inline['PolicyName']}", {
                    "name": inline["PolicyName"], "role": role["RoleName"],
                    "policy": policy_text(inline.get("PolicyDocument"))})
        for group in details["GroupDetailList"]:
            for inline in group.get("GroupPolicyList", []):
                ctx.emit("aws_iam_group_policy", f"{group['Arn']}/inline/{inline['PolicyName']}", {
                    "name": inline["PolicyName"], "group": group["GroupName"],
                    "policy": policy_text(inline.get("PolicyDocument"))})
        for policy in details["Policies"]:
            default = next((v for v in policy.get("PolicyVersionList", []) if v.get("IsDefaultVersion")), {})
            ctx.emit("aws_iam_policy", policy["Arn"], {
                "name": policy.get("PolicyName") or policy["Arn"].rsplit("/", 1)[-1], "arn": policy["Arn"],
                "attachment_count": policy.get("AttachmentCount"),
                "policy": policy_text(default.get("Document"))})
        ctx.each(details["UserDetailList"], lambda user: self._user(ctx, user))

    def _user(self, ctx: Ctx, user: dict[str, Any]) -> None:
        name = user["UserName"]
        reads = ctx.reads("iam")
        ctx.emit("aws_iam_user", user["Arn"], {
            "name": name, "arn": user["Arn"],
            "password_enabled": reads.get("GetLoginProfile", lambda r: True, UserName=name,
                                          absent=("NoSuchEntity",), default=False),
            "mfa_devices": reads.get("ListMFADevices", lambda r: [d["SerialNumber"] for d in r.get("MFADevices", [])],
                                     UserName=name),
            "tags": {t["Key"]: t["Value"] for t in user.get("Tags", [])},
        }, reads)
        for attached in user.get("AttachedManagedPolicies", []):
            ctx.emit("aws_iam_user_policy_attachment", f"{user['Arn']}/attached/{attached['PolicyName']}",
                     {"user": name, "policy_arn": attached["PolicyArn"]})
        for inline in user.get("UserPolicyList", []):
            ctx.emit("aws_iam_user_policy", f"{user['Arn']}/inline/{inline['PolicyName']}", {
                "name": inline["PolicyName"], "user": name, "policy": policy_text(inline.get("PolicyDocument"))})


class PasswordPolicy(Collector):
    types = ("aws_iam_account_password_policy",)
    service = "iam"
    global_ = True
    operations = (("iam", "GetAccountPasswordPolicy"),)

    def collect(self, ctx: Ctx) -> None:
        try:
            policy = ctx.call("iam", "GetAccountPasswordPolicy")["PasswordPolicy"]
        except CallFailed as exc:
            if exc.response["Error"]["Code"] == "NoSuchEntity":
                return  # no policy: the account-level rule finds none and FAILs
            raise
        ctx.emit("aws_iam_account_password_policy", f"{ctx.account}/iam-password-policy", {
            "minimum_password_length": policy.get("MinimumPasswordLength"),
            "require_symbols": policy.get("RequireSymbols"),
            "require_numbers": policy.get("RequireNumbers"),
            "require_uppercase_characters": policy.get("RequireUppercaseCharacters"),
            "require_lowercase_characters": policy.get("RequireLowercaseCharacters"),
            "allow_users_to_change_password": policy.get("AllowUsersToChangePassword"),
            "max_password_age": policy.get("MaxPasswordAge", 0),
            "password_reuse_prevention": policy.get("PasswordReusePrevention", 0),
            "hard_expiry": policy.get("HardExpiry"),
        })


class AccountSummary(Collector):
    types = ("aws_iam_account_summary",)
    service = "iam"
    global_ = True
    operations = (("iam", "GetAccountSummary"),)

    def collect(self, ctx: Ctx) -> None:
        summary = ctx.call("iam", "GetAccountSummary")["SummaryMap"]
        ctx.emit("aws_iam_account_summary", f"{ctx.account}/iam-account-summary", {
            "account_access_keys_present": summary.get("AccountAccessKeysPresent"),
            "account_mfa_enabled": summary.get("AccountMFAEnabled"),
            "users": summary.get("Users"),
        })
