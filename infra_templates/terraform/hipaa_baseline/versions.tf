# vendorguard hipaa-baseline, Terraform twin of infra_templates/hipaa_baseline (Pulumi): the same
# controls in HCL.  `checkov -d .` shows 0 failed checks among the ones vendorguard's rules cite;
# each deliberate exception carries an inline `checkov:skip` with its reason.
terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.80, < 7.0"
    }
  }
}

provider "aws" {
  region = var.region
  default_tags {
    tags = merge({
      Project   = "vendorguard-hipaa-baseline"
      ManagedBy = "terraform"
    }, var.tags)
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_availability_zones" "available" {
  state = "available"
}
data "aws_elb_service_account" "current" {}

locals {
  account   = data.aws_caller_identity.current.account_id
  partition = data.aws_partition.current.partition
  root      = "arn:${local.partition}:iam::${local.account}:root"
  zones     = slice(data.aws_availability_zones.available.names, 0, var.az_count)
  suffix    = "${local.account}-${var.region}"

  log_bucket_name  = coalesce(var.log_bucket_name, "${var.name_prefix}-logs-${local.suffix}")
  phi_bucket_names = length(var.phi_bucket_names) > 0 ? var.phi_bucket_names : ["${var.name_prefix}-phi-${local.suffix}"]

  trail_name      = "${var.name_prefix}-trail"
  trail_arn       = "arn:${local.partition}:cloudtrail:${var.region}:${local.account}:trail/${local.trail_name}"
  db_identifier   = "${var.name_prefix}-claims-db"
  db_port         = 5432
  db_log_exports  = ["postgresql", "upgrade"]
  backup_tag      = { key = "Backup", value = "hipaa-daily" }
  flow_log_group  = "/vendorguard/${var.name_prefix}/vpc-flow-logs"
  trail_log_group = "/vendorguard/${var.name_prefix}/cloudtrail"
}
