"""The claims database: RDS (PostgreSQL by default) in the isolated data tier — encrypted with the
RDS key, Multi-AZ, never public, IAM authentication, TLS forced by its parameter group, automated
backups, deletion protection, automatic minor upgrades, logs exported to encrypted log groups
that exist before the database does (so RDS does not create them unencrypted and kept forever),
and a master password that only Secrets Manager ever sees."""
from __future__ import annotations

import pulumi
import pulumi_aws as aws

from .common import Stack, log_group
from .network import Network


def build(stack: Stack, network: Network, rds_key_arn: pulumi.Input[str],
          logs_key_arn: pulumi.Input[str]) -> aws.rds.Instance:
    s = stack.settings
    identifier = stack.name("claims-db")
    tls_name, tls_value = s.db_tls_parameter
    parameters = aws.rds.ParameterGroup(
        "db-parameters", name=stack.name(f"{s.db_family.replace('.', '-')}-tls"), family=s.db_family,
        description="TLS required for every connection",
        parameters=[{"name": tls_name, "value": tls_value, "apply_method": "pending-reboot"}],
        opts=stack.opts())
    subnets = aws.rds.SubnetGroup("db-subnets", name=stack.name("data"),
                                  description="Isolated data tier",
                                  subnet_ids=[subnet.id for subnet in network.data_subnets],
                                  opts=stack.opts())
    log_groups = [log_group(stack, f"db-log-{kind}", f"/aws/rds/instance/{identifier}/{kind}",
                            logs_key_arn) for kind in s.db_log_exports]

    encrypted = stack.hardened("encryption")
    return aws.rds.Instance(
        "claims-db",
        identifier=identifier,
        engine=s.db_engine,
        engine_version=s.db_engine_version,
        instance_class=s.db_instance_class,
        allocated_storage=s.db_allocated_storage,
        max_allocated_storage=s.db_max_allocated_storage,
        storage_type="gp3",
        storage_encrypted=encrypted,
        kms_key_id=rds_key_arn if encrypted else None,
        db_name=s.db_name,
        username=s.db_username,
        manage_master_user_password=True,
        master_user_secret_kms_key_id=rds_key_arn,
        iam_database_authentication_enabled=stack.hardened("iam-auth"),
        parameter_group_name=parameters.name,
        db_subnet_group_name=subnets.name,
        vpc_security_group_ids=[network.db_sg.id],
        publicly_accessible=not stack.hardened("private-db"),
        multi_az=stack.hardened("multi-az"),
        backup_retention_period=s.rds_backup_days,
        backup_window="03:00-04:00",
        maintenance_window="sun:04:30-sun:05:30",
        copy_tags_to_snapshot=True,
        delete_automated_backups=False,
        deletion_protection=stack.hardened("deletion-protection"),
        skip_final_snapshot=False,
        final_snapshot_identifier=f"{identifier}-final",
        auto_minor_version_upgrade=stack.hardened("minor-upgrades"),
        allow_major_version_upgrade=False,
        enabled_cloudwatch_logs_exports=s.db_log_exports,
        performance_insights_enabled=True,
        performance_insights_kms_key_id=rds_key_arn,
        performance_insights_retention_period=7,
        ca_cert_identifier="rds-ca-rsa2048-g1",
        tags={"Backup": "hipaa-daily", "DataClassification": "PHI"},
        opts=stack.opts(depends_on=log_groups),
    )
