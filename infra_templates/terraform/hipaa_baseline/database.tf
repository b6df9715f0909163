# The claims database: PostgreSQL in the isolated data tier — encrypted with the RDS key, Multi-AZ,
# never public, IAM authentication, TLS forced by its parameter group, automated backups, deletion
# protection, automatic minor upgrades, logs exported to encrypted log groups that exist before the
# database does, and a master password only Secrets Manager ever sees.

locals {
  db_family = "postgres${split(".", var.db_engine_version)[0]}"
}

resource "aws_db_parameter_group" "tls" {
  name        = "${var.name_prefix}-${local.db_family}-tls"
  family      = local.db_family
  description = "TLS required for every connection"
  parameter {
    name         = "rds.force_ssl"
    value        = "1"
    apply_method = "pending-reboot"
  }
}

resource "aws_db_subnet_group" "data" {
  name        = "${var.name_prefix}-data"
  description = "Isolated data tier"
  subnet_ids  = [for k, s in aws_subnet.this : s.id if local.subnets[k].tier == "data"]
}

resource "aws_cloudwatch_log_group" "db" {
  for_each          = toset(local.db_log_exports)
  name              = "/aws/rds/instance/${local.db_identifier}/${each.value}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this["logs"].arn
}

resource "aws_db_instance" "claims" {
  identifier                            = local.db_identifier
  engine                                = "postgres"
  engine_version                        = var.db_engine_version
  instance_class                        = var.db_instance_class
  allocated_storage                     = var.db_allocated_storage
  max_allocated_storage                 = var.db_max_allocated_storage
  storage_type                          = "gp3"
  storage_encrypted                     = true
  kms_key_id                            = aws_kms_key.this["rds"].arn
  db_name                               = var.db_name
  username                              = var.db_username
  manage_master_user_password           = true
  master_user_secret_kms_key_id         = aws_kms_key.this["rds"].arn
  iam_database_authentication_enabled   = true
  parameter_group_name                  = aws_db_parameter_group.tls.name
  db_subnet_group_name                  = aws_db_subnet_group.data.name
  vpc_security_group_ids                = [aws_security_group.db.id]
  publicly_accessible                   = false
  multi_az                              = true
  backup_retention_period               = min(var.backup_retention_days, 35)
  backup_window                         = "03:00-04:00"
  maintenance_window                    = "sun:04:30-sun:05:30"
  copy_tags_to_snapshot                 = true
  delete_automated_backups              = false
  deletion_protection                   = true
  skip_final_snapshot                   = false
  final_snapshot_identifier             = "${local.db_identifier}-final"
  auto_minor_version_upgrade            = true
  allow_major_version_upgrade           = false
  enabled_cloudwatch_logs_exports       = local.db_log_exports
  performance_insights_enabled          = true
  performance_insights_kms_key_id       = aws_kms_key.this["rds"].arn
  performance_insights_retention_period = 7
  ca_cert_identifier                    = "rds-ca-rsa2048-g1"
  tags                                  = { Backup = local.backup_tag.value, DataClassification = "PHI" }
  depends_on                            = [aws_cloudwatch_log_group.db]
}
