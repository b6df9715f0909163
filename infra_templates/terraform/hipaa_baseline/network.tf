# The VPC: a public tier holding only the load balancer (and a NAT gateway), a private application
# tier, and an isolated data tier with no route out.  Flow logs go to a KMS-encrypted log group;
# the default security group, default network ACL and main route table are emptied; every tier has
# its own network ACL.

locals {
  slices = [for i in range(16) : cidrsubnet(var.vpc_cidr, 4, i)]
  tiers = {
    public = slice(local.slices, 0, var.az_count)
    app    = slice(local.slices, 4, 4 + var.az_count)
    data   = slice(local.slices, 8, 8 + var.az_count)
  }
  subnets = merge([
    for tier, blocks in local.tiers : {
      for i, block in blocks : "${tier}-${i}" => { tier = tier, cidr = block, zone = local.zones[i] }
    }
  ]...)
  world     = "0.0.0.0/0"
  ephemeral = { from = 1024, to = 65535 }
}

resource "aws_vpc" "this" {
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags                 = { Name = "${var.name_prefix}-vpc" }
}

# -- closed defaults ------------------------------------------------------------------------------------
resource "aws_default_security_group" "closed" {
  vpc_id = aws_vpc.this.id
  tags   = { Name = "${var.name_prefix}-default-closed" }
}

resource "aws_default_network_acl" "deny" {
  default_network_acl_id = aws_vpc.this.default_network_acl_id
  tags                   = { Name = "${var.name_prefix}-default-deny" }
  lifecycle {
    ignore_changes = [subnet_ids]
  }
}

resource "aws_default_route_table" "no_routes" {
  default_route_table_id = aws_vpc.this.default_route_table_id
  route                  = []
  tags                   = { Name = "${var.name_prefix}-default-no-routes" }
}

# -- subnets and routing: public → internet gateway; app → NAT; data → nowhere ---------------------------
resource "aws_subnet" "this" {
  for_each                = local.subnets
  vpc_id                  = aws_vpc.this.id
  cidr_block              = each.value.cidr
  availability_zone       = each.value.zone
  map_public_ip_on_launch = false
  tags                    = { Name = "${var.name_prefix}-${each.value.tier}-${each.value.zone}", Tier = each.value.tier }
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id
  tags   = { Name = "${var.name_prefix}-igw" }
}

resource "aws_eip" "nat" {
  count  = var.nat_gateway ? 1 : 0
  domain = "vpc"
  tags   = { Name = "${var.name_prefix}-nat" }
}

resource "aws_nat_gateway" "this" {
  count         = var.nat_gateway ? 1 : 0
  allocation_id = aws_eip.nat[0].id
  subnet_id     = aws_subnet.this["public-0"].id
  tags          = { Name = "${var.name_prefix}-nat" }
  depends_on    = [aws_internet_gateway.this]
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id
  route {
    cidr_block = local.world
    gateway_id = aws_internet_gateway.this.id
  }
  tags = { Name = "${var.name_prefix}-public" }
}

resource "aws_route_table" "app" {
  vpc_id = aws_vpc.this.id
  dynamic "route" {
    for_each = aws_nat_gateway.this
    content {
      cidr_block     = local.world
      nat_gateway_id = route.value.id
    }
  }
  tags = { Name = "${var.name_prefix}-app" }
}

resource "aws_route_table" "data" {
  vpc_id = aws_vpc.this.id
  tags   = { Name = "${var.name_prefix}-data-isolated" }
}

resource "aws_route_table_association" "this" {
  for_each       = local.subnets
  subnet_id      = aws_subnet.this[each.key].id
  route_table_id = { public = aws_route_table.public.id, app = aws_route_table.app.id, data = aws_route_table.data.id }[each.value.tier]
}

# -- network ACLs, one per tier (stateless: return traffic needs the ephemeral ports) ------------------------
resource "aws_network_acl" "public" {
  vpc_id     = aws_vpc.this.id
  subnet_ids = [for k, s in aws_subnet.this : s.id if local.subnets[k].tier == "public"]
  ingress {
    rule_no    = 100
    action     = "allow"
    protocol   = "tcp"
    cidr_block = local.world
    from_port  = 443
    to_port    = 443
  }
  ingress {
    rule_no    = 110
    action     = "allow"
    protocol   = "tcp"
    cidr_block = local.world
    from_port  = 80
    to_port    = 80
  }
  ingress {
    rule_no    = 120
    action     = "allow"
    protocol   = "tcp"
    cidr_block = local.world
    from_port  = local.ephemeral.from
    to_port    = local.ephemeral.to
  }
  egress {
    rule_no    = 100
    action     = "allow"
    protocol   = "tcp"
    cidr_block = local.world
    from_port  = 443
    to_port    = 443
  }
  egress {
    rule_no    = 110
    action     = "allow"
    protocol   = "tcp"
    cidr_block = local.world
    from_port  = 80
    to_port    = 80
  }
  egress {
    rule_no    = 120
    action     = "allow"
    protocol   = "tcp"
    cidr_block = local.world
    from_port  = local.ephemeral.from
    to_port    = local.ephemeral.to
  }
  egress {
    rule_no    = 130
    action     = "allow"
    protocol   = "tcp"
    cidr_block = var.vpc_cidr
    from_port  = var.app_port
    to_port    = var.app_port
  }
  tags = { Name = "${var.name_prefix}-public" }
}

resource "aws_network_acl" "app" {
  vpc_id     = aws_vpc.this.id
  subnet_ids = [for k, s in aws_subnet.this : s.id if local.subnets[k].tier == "app"]
  ingress {
    rule_no    = 100
    action     = "allow"
    protocol   = "tcp"
    cidr_block = var.vpc_cidr
    from_port  = var.app_port
    to_port    = var.app_port
  }
  ingress {
    rule_no    = 110
    action     = "allow"
    protocol   = "tcp"
    cidr_block = local.world
    from_port  = local.ephemeral.from
    to_port    = local.ephemeral.to
  }
  egress {
    rule_no    = 100
    action     = "allow"
    protocol   = "tcp"
    cidr_block = local.world
    from_port  = 443
    to_port    = 443
  }
  egress {
    rule_no    = 110
    action     = "allow"
    protocol   = "tcp"
    cidr_block = var.vpc_cidr
    from_port  = local.db_port
    to_port    = local.db_port
  }
  egress {
    rule_no    = 120
    action     = "allow"
    protocol   = "tcp"
    cidr_block = var.vpc_cidr
    from_port  = local.ephemeral.from
    to_port    = local.ephemeral.to
  }
  tags = { Name = "${var.name_prefix}-app" }
}

# Only the application tier reaches the database; the data subnets talk among themselves
# (Multi-AZ standby).  No route leaves the tier, and the ACL says so again.
resource "aws_network_acl" "data" {
  vpc_id     = aws_vpc.this.id
  subnet_ids = [for k, s in aws_subnet.this : s.id if local.subnets[k].tier == "data"]
  dynamic "ingress" {
    for_each = local.tiers.app
    content {
      rule_no    = 100 + ingress.key
      action     = "allow"
      protocol   = "tcp"
      cidr_block = ingress.value
      from_port  = local.db_port
      to_port    = local.db_port
    }
  }
  dynamic "ingress" {
    for_each = local.tiers.data
    content {
      rule_no    = 200 + ingress.key
      action     = "allow"
      protocol   = "tcp"
      cidr_block = ingress.value
      from_port  = 0
      to_port    = 65535
    }
  }
  dynamic "egress" {
    for_each = local.tiers.app
    content {
      rule_no    = 100 + egress.key
      action     = "allow"
      protocol   = "tcp"
      cidr_block = egress.value
      from_port  = local.ephemeral.from
      to_port    = local.ephemeral.to
    }
  }
  dynamic "egress" {
    for_each = local.tiers.data
    content {
      rule_no    = 200 + egress.key
      action     = "allow"
      protocol   = "tcp"
      cidr_block = egress.value
      from_port  = 0
      to_port    = 65535
    }
  }
  tags = { Name = "${var.name_prefix}-data" }
}

# -- security groups: the load balancer faces the world on 443/80 only, the rest chain -------------------------
resource "aws_security_group" "alb" {
  name        = "${var.name_prefix}-alb"
  description = "Internet-facing load balancer: HTTPS in (and HTTP to redirect)"
  vpc_id      = aws_vpc.this.id
  tags        = { Name = "${var.name_prefix}-alb" }
}

resource "aws_security_group" "app" {
  name        = "${var.name_prefix}-app"
  description = "Billing application: from the load balancer only"
  vpc_id      = aws_vpc.this.id
  tags        = { Name = "${var.name_prefix}-app" }
}

resource "aws_security_group" "db" {
  name        = "${var.name_prefix}-db"
  description = "Claims database: from the application only"
  vpc_id      = aws_vpc.this.id
  tags        = { Name = "${var.name_prefix}-db" }
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from anywhere"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = local.world
}

resource "aws_vpc_security_group_ingress_rule" "alb_http" {
  security_group_id = aws_security_group.alb.id
  description       = "HTTP, redirected to HTTPS"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = local.world
}

resource "aws_vpc_security_group_egress_rule" "alb_to_app" {
  security_group_id            = aws_security_group.alb.id
  description                  = "To the application"
  ip_protocol                  = "tcp"
  from_port                    = var.app_port
  to_port                      = var.app_port
  referenced_security_group_id = aws_security_group.app.id
}

resource "aws_vpc_security_group_ingress_rule" "app_from_alb" {
  security_group_id            = aws_security_group.app.id
  description                  = "From the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = var.app_port
  to_port                      = var.app_port
  referenced_security_group_id = aws_security_group.alb.id
}

resource "aws_vpc_security_group_egress_rule" "app_https" {
  security_group_id = aws_security_group.app.id
  description       = "AWS APIs and patch repositories"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = local.world
}

resource "aws_vpc_security_group_egress_rule" "app_to_db" {
  security_group_id            = aws_security_group.app.id
  description                  = "To the database"
  ip_protocol                  = "tcp"
  from_port                    = local.db_port
  to_port                      = local.db_port
  referenced_security_group_id = aws_security_group.db.id
}

resource "aws_vpc_security_group_ingress_rule" "db_from_app" {
  security_group_id            = aws_security_group.db.id
  description                  = "From the application"
  ip_protocol                  = "tcp"
  from_port                    = local.db_port
  to_port                      = local.db_port
  referenced_security_group_id = aws_security_group.app.id
}

# -- flow logs: every accepted and rejected flow, to an encrypted group kept a year -------------------------
resource "aws_cloudwatch_log_group" "flow_logs" {
  name              = local.flow_log_group
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.this["logs"].arn
}

resource "aws_flow_log" "vpc" {
  vpc_id                   = aws_vpc.this.id
  traffic_type             = "ALL"
  log_destination_type     = "cloud-watch-logs"
  log_destination          = aws_cloudwatch_log_group.flow_logs.arn
  iam_role_arn             = aws_iam_role.flow_logs.arn
  max_aggregation_interval = 60
  tags                     = { Name = "${var.name_prefix}-vpc" }
}
