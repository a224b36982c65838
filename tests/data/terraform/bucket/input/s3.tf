resource "aws_s3_bucket" "media" {
  bucket = "acme-media" # served by CloudFront
}

resource "aws_s3_bucket" "other" {
  bucket = "acme-other"
}

resource "aws_s3_bucket_public_access_block" "other" {
  bucket = aws_s3_bucket.other.id

  block_public_acls = false
  ignore_public_acls = true
}