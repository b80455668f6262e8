# What inspector2-organization's tests need: Security Hub enabled in the administrator
# account (the landing zone's job; the module only subscribes it to Inspector).

terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }
}

resource "aws_securityhub_account" "this" {
  enable_default_standards = false
}
