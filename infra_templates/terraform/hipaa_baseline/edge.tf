# The internet-facing Application Load Balancer: HTTPS with a TLS 1.2+ policy, HTTP redirected to
# HTTPS, invalid headers dropped, access logs to the log bucket, deletion protection.  The
# certificate is given (certificate_arn) or requested from ACM and validated in Route 53
# (domain_name + hosted_zone_id).

resource "aws_acm_certificate" "this" {
  count             = var.certificate_arn == null ? 1 : 0
  domain_name       = var.domain_name
  validation_method = "DNS"
  options {
    certificate_transparency_logging_preference = "ENABLED"
  }
  lifecycle {
    precondition {
      condition     = var.domain_name != null && var.hosted_zone_id != null
      error_message = "Set certificate_arn, or domain_name and hosted_zone_id."
    }
  }
}

resource "aws_route53_record" "validation" {
  for_each = {
    for o in try(aws_acm_certificate.this[0].domain_validation_options, []) : o.domain_name => o
  }
  zone_id         = var.hosted_zone_id
  name            = each.value.resource_record_name
  type            = each.value.resource_record_type
  records         = [each.value.resource_record_value]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "this" {
  count                   = length(aws_acm_certificate.this)
  certificate_arn         = aws_acm_certificate.this[0].arn
  validation_record_fqdns = [for r in aws_route53_record.validation : r.fqdn]
}

locals {
  certificate_arn = var.certificate_arn != null ? var.certificate_arn : one(aws_acm_certificate_validation.this[*].certificate_arn)
}

resource "aws_lb" "this" {
  name                       = "${var.name_prefix}-alb"
  load_balancer_type         = "application"
  internal                   = false
  subnets                    = [for k, s in aws_subnet.this : s.id if local.subnets[k].tier == "public"]
  security_groups            = [aws_security_group.alb.id]
  drop_invalid_header_fields = true
  desync_mitigation_mode     = "strictest"
  enable_deletion_protection = true
  access_logs {
    bucket  = aws_s3_bucket.logs.id
    prefix  = "alb"
    enabled = true
  }
  depends_on = [aws_s3_bucket_policy.logs]
}

resource "aws_lb_target_group" "app" {
  name        = "${var.name_prefix}-app"
  vpc_id      = aws_vpc.this.id
  target_type = "ip"
  protocol    = "HTTPS"
  port        = var.app_port
  health_check {
    protocol = "HTTPS"
    path     = "/health"
    matcher  = "200"
  }
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = local.certificate_arn
  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.app.arn
  }
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"
  default_action {
    type = "redirect"
    redirect {
      protocol    = "HTTPS"
      port        = "443"
      status_code = "HTTP_301"
    }
  }
}
