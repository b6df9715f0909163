"""IAM: the account password policy, service roles that can do one job each, the application's
role, and the role a practice's auditor assumes from its own account — only with the ExternalId
both sides agreed on."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import pulumi
import pulumi_aws as aws

from .common import Stack, policy, service_trust


@dataclass(frozen=True)
class ServiceRoles:
    flow_logs: aws.iam.Role
    cloudtrail: aws.iam.Role
    config: aws.iam.Role
    backup: aws.iam.Role


def managed(stack: Stack, name: str) -> str:
    return f"arn:{stack.partition}:iam::aws:policy/{name}"


def flow_log_group_name(stack: Stack) -> str:
    return f"/vendorguard/{stack.settings.prefix}/vpc-flow-logs"


def trail_log_group_name(stack: Stack) -> str:
    return f"/vendorguard/{stack.settings.prefix}/cloudtrail"


def password_policy(stack: Stack) -> aws.iam.AccountPasswordPolicy:
    strong = stack.hardened("password-policy")
    return aws.iam.AccountPasswordPolicy(
        "password-policy",
        minimum_password_length=14 if strong else 8,
        require_symbols=strong,
        require_numbers=strong,
        require_uppercase_characters=strong,
        require_lowercase_characters=True,
        password_reuse_prevention=24 if strong else 1,
        max_password_age=90 if strong else 0,
        allow_users_to_change_password=True,
        hard_expiry=False,
        opts=stack.opts(),
    )


def service_roles(stack: Stack) -> ServiceRoles:
    """Roles AWS services assume on the stack's behalf; each may only do its own job."""
    flow_logs = aws.iam.Role(
        "flow-logs-role",
        name=stack.name("flow-logs"),
        description="VPC flow logs write to their CloudWatch log group",
        assume_role_policy=service_trust("vpc-flow-logs.amazonaws.com", stack),
        opts=stack.opts(),
    )
    flow_group = stack.arn("logs", f"log-group:{flow_log_group_name(stack)}")
    aws.iam.RolePolicy(
        "flow-logs-role-policy",
        role=flow_logs.id,
        policy=policy({
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            "Resource": [flow_group, f"{flow_group}:*"],
        }),
        opts=stack.opts(),
    )

    cloudtrail = aws.iam.Role(
        "cloudtrail-logs-role",
        name=stack.name("cloudtrail-logs"),
        description="CloudTrail delivers events to its CloudWatch log group",
        assume_role_policy=service_trust("cloudtrail.amazonaws.com", stack),
        opts=stack.opts(),
    )
    trail_group = stack.arn("logs", f"log-group:{trail_log_group_name(stack)}")
    aws.iam.RolePolicy(
        "cloudtrail-logs-role-policy",
        role=cloudtrail.id,
        policy=policy({
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"{trail_group}:log-stream:*",
        }),
        opts=stack.opts(),
    )

    config = aws.iam.Role(
        "config-role",
        name=stack.name("config"),
        description="AWS Config records resource configuration",
        assume_role_policy=service_trust("config.amazonaws.com", stack),
        opts=stack.opts(),
    )
    aws.iam.RolePolicyAttachment("config-role-managed", role=config.name,
                                 policy_arn=managed(stack, "service-role/AWS_ConfigRole"),
                                 opts=stack.opts())

    backup = aws.iam.Role(
        "backup-role",
        name=stack.name("backup"),
        description="AWS Backup takes and restores recovery points",
        assume_role_policy=service_trust("backup.amazonaws.com", stack, confine=False),
        opts=stack.opts(),
    )
    for suffix, name in (("backup", "service-role/AWSBackupServiceRolePolicyForBackup"),
                         ("restore", "service-role/AWSBackupServiceRolePolicyForRestores"),
                         ("s3-backup", "AWSBackupServiceRolePolicyForS3Backup"),
                         ("s3-restore", "AWSBackupServiceRolePolicyForS3Restore")):
        aws.iam.RolePolicyAttachment(f"backup-role-{suffix}", role=backup.name,
                                     policy_arn=managed(stack, name), opts=stack.opts())
    return ServiceRoles(flow_logs, cloudtrail, config, backup)


def application_role(stack: Stack, phi_bucket_arns: Sequence[pulumi.Input[str]],
                     s3_key_arn: pulumi.Input[str], db_user: str) -> aws.iam.InstanceProfile:
    """The billing application's instances: read and write PHI objects, connect to the database
    as one user with an IAM token, and be patched by SSM.  Nothing else."""
    role = aws.iam.Role(
        "app-role",
        name=stack.name("app"),
        description="Billing application instances (least privilege)",
        assume_role_policy=service_trust("ec2.amazonaws.com", stack, confine=False),
        opts=stack.opts(),
    )
    objects = [pulumi.Output.concat(arn, "/*") for arn in phi_bucket_arns]
    statements = [
        {"Sid": "PhiObjects", "Effect": "Allow",
         "Action": ["s3:GetObject", "s3:PutObject"], "Resource": objects},
        {"Sid": "PhiBuckets", "Effect": "Allow", "Action": "s3:ListBucket",
         "Resource": list(phi_bucket_arns)},
        {"Sid": "PhiKey", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
         "Resource": s3_key_arn},
        {"Sid": "DatabaseUserByIamToken", "Effect": "Allow", "Action": "rds-db:connect",
         "Resource": f"arn:{stack.partition}:rds-db:{stack.region}:{stack.account}:dbuser:*/{db_user}"},
    ]
    if not stack.hardened("least-privilege"):
        statements.append({"Sid": "Everything", "Effect": "Allow", "Action": "*", "Resource": "*"})
    aws.iam.RolePolicy("app-role-policy", role=role.id, policy=policy(*statements), opts=stack.opts())
    aws.iam.RolePolicyAttachment("app-role-ssm", role=role.name,
                                 policy_arn=managed(stack, "AmazonSSMManagedInstanceCore"),
                                 opts=stack.opts())
    return aws.iam.InstanceProfile("app-instance-profile", name=stack.name("app"), role=role.name,
                                   opts=stack.opts())


def auditor_role(stack: Stack) -> aws.iam.Role | None:
    """Read-only access for the practice's auditor, from the auditor's own account, only with the
    agreed ExternalId (the confused-deputy control)."""
    s = stack.settings
    if not s.auditor_account_id:
        return None
    statement = {
        "Sid": "PracticeAuditor",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{stack.partition}:iam::{s.auditor_account_id}:root"},
        "Action": "sts:AssumeRole",
    }
    if stack.hardened("external-id"):
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": s.auditor_external_id}}
    role = aws.iam.Role(
        "auditor-role",
        name=stack.name("practice-auditor"),
        description=f"Read-only security audit by account {s.auditor_account_id}",
        assume_role_policy=policy(statement),
        max_session_duration=3600,
        opts=stack.opts(),
    )
    aws.iam.RolePolicyAttachment("auditor-role-security-audit", role=role.name,
                                 policy_arn=managed(stack, "SecurityAudit"), opts=stack.opts())
    return role
