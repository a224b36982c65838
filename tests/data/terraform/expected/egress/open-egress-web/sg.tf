/*
 * Web tier. Braces in comments must not confuse the scanner: { } "
 */
resource "aws_security_group" "web" {
  name = "web"
  description = "web tier } not a brace"

  egress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["10.0.0.0/8"] # mixed: only the open one goes
  }
}

resource "aws_security_group" "batch" {
  name = "batch"
}

# Standalone rules for the batch group.
resource "aws_security_group_rule" "batch_all" {
  type              = "egress"
  security_group_id = aws_security_group.batch.id
  from_port         = 0
  to_port           = 0
  protocol          = "-1"
  cidr_blocks       = ["0.0.0.0/0"]
}

resource "aws_security_group_rule" "batch_ingress" {
  type              = "ingress"
  security_group_id = aws_security_group.batch.id
  from_port         = 22
  to_port           = 22
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
}

resource "aws_vpc_security_group_egress_rule" "batch_v4" {
  security_group_id = aws_security_group.batch.id
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "-1"
}

resource "aws_vpc_security_group_egress_rule" "batch_vpc" {
  security_group_id = aws_security_group.batch.id
  cidr_ipv4         = "10.0.0.0/8"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}
