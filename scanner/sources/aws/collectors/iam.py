"""IAM: users (console password, MFA), roles (trust policies), customer managed and inline
policies, the managed policies attached to users, roles and groups — from one
GetAccountAuthorizationDetails listing — plus users' access keys (age and last use), the password
policy and the account summary (root keys, root MFA)."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from ....model import UNKNOWN
from ..collector import CallFailed, Collector, Ctx, Reads, named

#: aws_iam_policy_attachment (Terraform's shared attachment) has no live counterpart: every
#: attachment is read as the user's, role's or group's own (aws_iam_user_policy_attachment, ...),
#: so it is covered, and empty.
IAM_TYPES = ("aws_iam_user", "aws_iam_role", "aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy",
             "aws_iam_group_policy", "aws_iam_user_policy_attachment", "aws_iam_policy_attachment",
             "aws_iam_role_policy_attachment", "aws_iam_group_policy_attachment")


_DETAILS = ("iam", "GetAccountAuthorizationDetails")


def policy_text(document: Any) -> Any:
    """Policy documents as JSON text, as Terraform holds them (boto3 returns IAM's as objects)."""
    return json.dumps(document, sort_keys=True) if isinstance(document, (dict, list)) else document


def _details(ctx: Ctx) -> dict[str, list[dict[str, Any]]]:
    """Users, roles, groups and customer managed policies, listed once per account however many
    collectors ask (the listing is memoised by its parameters)."""
    pages = ctx.pages("iam", "GetAccountAuthorizationDetails", Filter=["User", "Role", "Group", "LocalManagedPolicy"])
    return {key: [item for page in pages for item in page.get(key, [])]
            for key in ("UserDetailList", "RoleDetailList", "GroupDetailList", "Policies")}


def _document(reads: Reads, item: dict[str, Any], key: str) -> Any:
    """A policy document of the authorization details, as text; UNKNOWN, said, when left out."""
    document = reads.member(item, key, "GetAccountAuthorizationDetails")
    return document if document is UNKNOWN else policy_text(document)


class Authorization(Collector):
    types = IAM_TYPES
    service = "iam"
    global_ = True
    operations = (("iam", "GetAccountAuthorizationDetails"), ("iam", "GetLoginProfile"),
                  ("iam", "ListMFADevices"))

    def collect(self, ctx: Ctx) -> None:
        details = _details(ctx)
        # Every role has a trust policy, every policy a document and a default version: one the
        # listing left out is not known (a rule must not pass a policy it did not see).
        for role in details["RoleDetailList"]:
            arn, name = named(role, "Arn", *_DETAILS), named(role, "RoleName", *_DETAILS)
            reads = ctx.reads("iam")
            ctx.emit("aws_iam_role", arn, {
                "name": name, "arn": arn, "path": role.get("Path"),
                "assume_role_policy": _document(reads, role, "AssumeRolePolicyDocument"),
                "max_session_duration": role.get("MaxSessionDuration"),
                "tags": {t["Key"]: t["Value"] for t in role.get("Tags", [])},
            }, reads)
            self._inline(ctx, "aws_iam_role_policy", arn, {"role": name}, role.get("RolePolicyList", []))
            self._attached(ctx, "aws_iam_role_policy_attachment", arn, {"role": name},
                           role.get("AttachedManagedPolicies", []))
        for group in details["GroupDetailList"]:
            arn, name = named(group, "Arn", *_DETAILS), named(group, "GroupName", *_DETAILS)
            self._inline(ctx, "aws_iam_group_policy", arn, {"group": name}, group.get("GroupPolicyList", []))
            self._attached(ctx, "aws_iam_group_policy_attachment", arn, {"group": name},
                           group.get("AttachedManagedPolicies", []))
        for policy in details["Policies"]:
            arn = named(policy, "Arn", *_DETAILS)
            default = next((v for v in policy.get("PolicyVersionList", []) if v.get("IsDefaultVersion")), {})
            reads = ctx.reads("iam")
            ctx.emit("aws_iam_policy", arn, {
                "name": policy.get("PolicyName") or arn.rsplit("/", 1)[-1], "arn": arn,
                "attachment_count": policy.get("AttachmentCount"),
                "policy": _document(reads, default, "Document")}, reads)
        ctx.each(details["UserDetailList"], lambda user: self._user(ctx, user))

    def _user(self, ctx: Ctx, user: dict[str, Any]) -> None:
        name, arn = named(user, "UserName", *_DETAILS), named(user, "Arn", *_DETAILS)
        reads = ctx.reads("iam")
        ctx.emit("aws_iam_user", arn, {
            "name": name, "arn": arn,
            "password_enabled": reads.get("GetLoginProfile", lambda r: True, UserName=name,
                                          absent=("NoSuchEntity",), default=False),
            "mfa_devices": reads.paginate("ListMFADevices", "MFADevices",
                                          lambda devices: [d["SerialNumber"] for d in devices], UserName=name),
            "tags": {t["Key"]: t["Value"] for t in user.get("Tags", [])},
        }, reads)
        self._attached(ctx, "aws_iam_user_policy_attachment", arn, {"user": name},
                       user.get("AttachedManagedPolicies", []))
        self._inline(ctx, "aws_iam_user_policy", arn, {"user": name}, user.get("UserPolicyList", []))

    @staticmethod
    def _attached(ctx: Ctx, rtype: str, owner: str, of: dict[str, str], attached: list[dict[str, Any]]) -> None:
        """A user's, role's or group's attached managed policies, one attachment resource each."""
        for policy in attached:
            policy_arn = named(policy, "PolicyArn", *_DETAILS)
            policy_name = policy.get("PolicyName") or policy_arn.rsplit("/", 1)[-1]
            ctx.emit(rtype, f"{owner}/attached/{policy_name}", {**of, "policy_arn": policy_arn})

    @staticmethod
    def _inline(ctx: Ctx, rtype: str, owner: str, of: dict[str, str], policies: list[dict[str, Any]]) -> None:
        """A user's, group's or role's inline policies."""
        for inline in policies:
            policy_name = named(inline, "PolicyName", *_DETAILS)
            reads = ctx.reads("iam")
            ctx.emit(rtype, f"{owner}/inline/{policy_name}", {
                "name": policy_name, **of, "policy": _document(reads, inline, "PolicyDocument")}, reads)


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
        summary = ctx.call("iam", "GetAccountSummary").get("SummaryMap") or {}
        # The root user's keys and MFA are always in the map AWS returns: a key it left out is
        # not "none", it is not known.
        reads = ctx.reads("iam")
        ctx.emit("aws_iam_account_summary", f"{ctx.account}/iam-account-summary", {
            "account_access_keys_present": reads.member(summary, "AccountAccessKeysPresent", "GetAccountSummary"),
            "account_mfa_enabled": reads.member(summary, "AccountMFAEnabled", "GetAccountSummary"),
            "users": summary.get("Users"),
        }, reads)


def _days_since(when: datetime, now: datetime) -> int:
    moment = when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    return (now - moment).days


def _last_use(last_used: Any, now: datetime) -> dict[str, Any]:
    """A key's last use, from GetAccessKeyLastUsed's AccessKeyLastUsed: no LastUsedDate is a key
    never used (None); a read that failed leaves it UNKNOWN."""
    if last_used is UNKNOWN:
        return {"last_used_date": UNKNOWN, "days_since_last_used": UNKNOWN, "last_used_service": None}
    used = last_used.get("LastUsedDate")
    return {"last_used_date": used.isoformat() if used else None,
            "days_since_last_used": _days_since(used, now) if used else None,
            "last_used_service": last_used.get("ServiceName")}


class AccessKeys(Collector):
    """Every user's access keys (ListAccessKeys) and when each was last used (GetAccessKeyLastUsed).

    Age and last use are facts of the moment of the scan: `age_days` and `days_since_last_used` are
    counted from the scan's clock (`days_since_last_used` is None for a key never used).  Secrets are
    never read: AWS returns them only when a key is created.
    """

    types = ("aws_iam_access_key",)
    service = "iam"
    global_ = True
    operations = (("iam", "GetAccountAuthorizationDetails"), ("iam", "ListAccessKeys"),
                  ("iam", "GetAccessKeyLastUsed"))

    def collect(self, ctx: Ctx) -> None:
        now = datetime.now(timezone.utc)
        ctx.each(_details(ctx)["UserDetailList"], lambda user: self._user(ctx, user, now))

    def _user(self, ctx: Ctx, user: dict[str, Any], now: datetime) -> None:
        name, arn = named(user, "UserName", *_DETAILS), named(user, "Arn", *_DETAILS)
        reads = ctx.reads("iam")
        keys = reads.paginate("ListAccessKeys", "AccessKeyMetadata", UserName=name)
        if keys is UNKNOWN:
            # Which keys the user has could not be read: one resource standing for them, UNKNOWN.
            ctx.emit("aws_iam_access_key", f"{arn}/access-keys", {
                "user": name, "status": UNKNOWN, "age_days": UNKNOWN, "days_since_last_used": UNKNOWN}, reads)
            return
        for key in keys:
            key_id = named(key, "AccessKeyId", "iam", "ListAccessKeys")
            reads = ctx.reads("iam")
            created = reads.member(key, "CreateDate", "ListAccessKeys")
            last_used = reads.get("GetAccessKeyLastUsed",
                                  lambda r: reads.member(r, "AccessKeyLastUsed", "GetAccessKeyLastUsed"),
                                  AccessKeyId=key_id)
            ctx.emit("aws_iam_access_key", f"{arn}/access-key/{key_id}", {
                "id": key_id, "user": name,
                "status": reads.member(key, "Status", "ListAccessKeys"),
                "create_date": created if created is UNKNOWN else created.isoformat(),
                "age_days": created if created is UNKNOWN else _days_since(created, now),
                **_last_use(last_used, now),
            }, reads)
