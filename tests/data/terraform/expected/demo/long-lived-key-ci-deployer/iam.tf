# Identities for the deployment pipeline.
# Owned by the platform team; see the runbook before changing trust.

resource "aws_iam_user" "ci" {
  name = "ci-deployer" # used by the legacy Jenkins job
  path = "/"

  tags = {
    team = "platform"
  }
}

// Static key for the legacy pipeline, still exported to Jenkins.

resource "aws_iam_role" "deploy_admin" {
  name = "deploy-admin"

  /* The CI user assumes this role to deploy. */
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { AWS = "arn:aws:iam::123456789012:user/ci-deployer" }
    }]
  })
}

resource "aws_iam_role_policy_attachment" "deploy_admin" {
  role       = aws_iam_role.deploy_admin.name
  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
}

# Read-only auditor; no keys, no admin.
resource "aws_iam_user" "auditor" {
  name = "auditor"
}
