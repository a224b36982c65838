resource "aws_s3_bucket" "media" {
  bucket = "acme-media" # served by CloudFront
}

resource "aws_s3_bucket" "other" {
  bucket = "acme-other"
}

resource "aws_s3_bucket_public_access_block" "other" {
  bucket = aws_s3_bucket.other.id

  block_public_acls = true
  ignore_public_acls = true
  block_public_policy = true
  restrict_public_buckets = true
}