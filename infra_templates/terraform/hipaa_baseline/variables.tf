variable "region" {
  description = "AWS region to deploy to."
  type        = string
  default     = "us-east-1"
}

variable "name_prefix" {
  description = "Prefix of every name (3-20 characters: lower-case letters, digits, hyphens)."
  type        = string
  default     = "vg-hipaa"
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,18}[a-z0-9]$", var.name_prefix))
    error_message = "3-20 characters: lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "vpc_cidr" {
  description = "VPC CIDR block (/16 to /24); split into 16 slices, 4 per tier."
  type        = string
  default     = "10.40.0.0/16"
}

variable "az_count" {
  description = "Availability zones to span (2-4)."
  type        = number
  default     = 2
  validation {
    condition     = var.az_count >= 2 && var.az_count <= 4
    error_message = "az_count must be 2, 3 or 4."
  }
}

variable "nat_gateway" {
  description = "Give the application tier outbound internet access through one NAT gateway."
  type        = bool
  default     = true
}

variable "alert_email" {
  description = "Where security alerts (GuardDuty, Security Hub, CloudTrail alarms) are e-mailed."
  type        = string
}

variable "log_retention_days" {
  description = "CloudWatch Logs retention (at least 365 for vendorguard's rules)."
  type        = number
  default     = 365
}

variable "log_archive_days" {
  description = "Days the log bucket keeps logs (default six years, HIPAA's documentation period)."
  type        = number
  default     = 2192
}

variable "backup_retention_days" {
  description = "Days AWS Backup keeps recovery points (at least 35); RDS keeps min(this, 35)."
  type        = number
  default     = 35
}

variable "db_engine_version" {
  description = "PostgreSQL major (or major.minor) version."
  type        = string
  default     = "16"
}

variable "db_instance_class" {
  type    = string
  default = "db.t4g.medium"
}

variable "db_allocated_storage" {
  type    = number
  default = 50
}

variable "db_max_allocated_storage" {
  type    = number
  default = 200
}

variable "db_name" {
  type    = string
  default = "billing"
}

variable "db_username" {
  description = "Master user; its password is generated and kept by Secrets Manager."
  type        = string
  default     = "vgadmin"
}

variable "app_port" {
  description = "Port the application listens on behind the load balancer."
  type        = number
  default     = 8443
}

variable "phi_bucket_names" {
  description = "Names of the PHI buckets (default: one, <prefix>-phi-<account>-<region>)."
  type        = list(string)
  default     = []
}

variable "log_bucket_name" {
  description = "Name of the log bucket (default: <prefix>-logs-<account>-<region>)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource (merged into the provider's default tags)."
  type        = map(string)
  default     = {}
}

variable "auditor_account_id" {
  description = "The practice's AWS account that may assume the read-only auditor role (none: no role)."
  type        = string
  default     = null
}

variable "auditor_external_id" {
  description = "The ExternalId agreed with the auditor; required with auditor_account_id."
  type        = string
  default     = null
}

variable "certificate_arn" {
  description = "An issued ACM certificate for the HTTPS listener; or give domain_name and hosted_zone_id."
  type        = string
  default     = null
}

variable "domain_name" {
  type    = string
  default = null
}

variable "hosted_zone_id" {
  type    = string
  default = null
}

variable "maintenance_window" {
  description = "When SSM installs patches (cron expression)."
  type        = string
  default     = "cron(0 4 ? * SUN *)"
}
