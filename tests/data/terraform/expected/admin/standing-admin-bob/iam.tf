# Admin grants in every shape Terraform allows.

data "aws_iam_policy" "admin" {
  arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}

resource "aws_iam_role" "builder" {
  name = "builder"
  managed_policy_arns = [
    "arn:aws:iam::aws:policy/ReadOnlyAccess",
    data.aws_iam_policy.admin.arn, # granted for the migration
  ]
  assume_role_policy = <<-EOT
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
     "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    EOT
}

resource "aws_iam_policy_attachment" "admins" {
  name       = "admins"
  users      = ["ops"]
  policy_arn = data.aws_iam_policy.admin.arn
}

resource "aws_iam_group" "ops_admins" {
  name = "ops-admins"
}

resource "aws_iam_group_policy" "everything" {
  name  = "everything"
  group = aws_iam_group.ops_admins.name
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }]
  })
}
