# Demo infrastructure for account 123456789012.
# The group platform-admins was created in the console and is not managed here.

terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

provider "aws" {
  region = "us-east-1"
}
