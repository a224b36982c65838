resource "aws_iam_user" "svc" {
  name = "svc-reporting"
}

# Two keys during a rotation that never finished.
resource "aws_iam_access_key" "svc_old" {
  user = aws_iam_user.svc.name
}

resource "aws_iam_access_key" "svc_new" {
  user = "svc-reporting"
}
