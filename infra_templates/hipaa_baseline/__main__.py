"""vendorguard hipaa-baseline: a hardened AWS reference stack for a vendor that holds PHI.

Every setting is Pulumi config under ``vendorguard:`` (see vg_baseline/settings.py and
infra_templates/README.md).  Prove it offline before deploying:
``vendorguard provision check --template hipaa-baseline``.
"""
import pulumi
import pulumi_aws as aws

from vg_baseline import access, alerting, backup, database, detection, edge, keys, network, patching, storage
from vg_baseline.common import Stack, provider
from vg_baseline.settings import load

settings = load()
aws_provider = provider(settings, pulumi.get_stack())
identity = aws.get_caller_identity(opts=pulumi.InvokeOptions(provider=aws_provider))
partition = aws.get_partition(opts=pulumi.InvokeOptions(provider=aws_provider)).partition
stack = Stack(settings, identity.account_id, partition, aws_provider)

access.password_policy(stack)
roles = access.service_roles(stack)
kms = keys.build(stack, backup_role_arn=roles.backup.arn)
net = network.build(stack, roles, kms.logs.arn)
store = storage.build(stack, kms.s3.arn)
db = database.build(stack, net, kms.rds.arn, kms.logs.arn)
app_profile = access.application_role(stack, [b.arn for b in store.phi_buckets], kms.s3.arn,
                                      db_user="billing_app")
auditor = access.auditor_role(stack)
alb = edge.build(stack, net, store.log_bucket, store.log_bucket_policy)
watch = detection.build(stack, roles, store, kms.logs.arn)
alerts = alerting.build(stack, watch, kms.logs.arn)
vault = backup.build(stack, roles, kms.backup.arn)
baseline = patching.build(stack)

pulumi.export("account_id", stack.account)
pulumi.export("region", stack.region)
pulumi.export("vpc_id", net.vpc.id)
pulumi.export("app_subnet_ids", [s.id for s in net.app_subnets])
pulumi.export("data_subnet_ids", [s.id for s in net.data_subnets])
pulumi.export("app_security_group_id", net.app_sg.id)
pulumi.export("app_instance_profile", app_profile.name)
pulumi.export("phi_buckets", [b.bucket for b in store.phi_buckets])
pulumi.export("log_bucket", store.log_bucket.bucket)
pulumi.export("database_endpoint", db.endpoint)
pulumi.export("database_master_secret_arn", db.master_user_secrets.apply(
    lambda secrets: secrets[0].secret_arn if secrets else None))
pulumi.export("load_balancer_dns_name", alb.load_balancer.dns_name)
pulumi.export("alert_topic_arn", alerts.arn)
pulumi.export("backup_vault", vault.name)
pulumi.export("patch_baseline_id", baseline.id)
pulumi.export("kms_keys", {"s3": kms.s3.arn, "rds": kms.rds.arn, "logs": kms.logs.arn,
                           "backup": kms.backup.arn})
pulumi.export("auditor_role_arn", auditor.arn if auditor else None)
