# Security groups for the application tier.

resource "aws_security_group" "app_egress" {
  name        = "app-egress"
  description = "Application servers"
  vpc_id      = var.vpc_id

  ingress {
    description = "HTTPS from the load balancer"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/16"]
  }

  # Opened during the incident in March; "temporary".
  egress = []
}

resource "aws_security_group" "db_internal" {
  name        = "db-internal"
  description = "Database clients inside the VPC"
  vpc_id      = var.vpc_id

  egress {
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"] // private ranges only
  }
}

variable "vpc_id" {
  type        = string
  description = "VPC the groups live in"
}
