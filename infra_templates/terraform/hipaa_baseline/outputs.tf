output "vpc_id" { value = aws_vpc.this.id }
output "app_subnet_ids" { value = [for k, s in aws_subnet.this : s.id if local.subnets[k].tier == "app"] }
output "data_subnet_ids" { value = [for k, s in aws_subnet.this : s.id if local.subnets[k].tier == "data"] }
output "app_security_group_id" { value = aws_security_group.app.id }
output "app_instance_profile" { value = aws_iam_instance_profile.app.name }
output "phi_buckets" { value = [for b in aws_s3_bucket.phi : b.bucket] }
output "log_bucket" { value = aws_s3_bucket.logs.bucket }
output "database_endpoint" { value = aws_db_instance.claims.endpoint }
output "load_balancer_dns_name" { value = aws_lb.this.dns_name }
output "alert_topic_arn" { value = aws_sns_topic.alerts.arn }
output "backup_vault" { value = aws_backup_vault.this.name }
output "kms_keys" { value = { for k, key in aws_kms_key.this : k => key.arn } }
output "auditor_role_arn" { value = one(aws_iam_role.auditor[*].arn) }
