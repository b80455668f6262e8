# Test helper: a customer-managed key in the member account, as a landing zone provides it.
terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }
}

resource "aws_kms_key" "this" {
  #checkov:skip=CKV2_AWS_64:Test fixture on the local AWS; the default key policy (account root) is what the test needs.
  description             = "member-region test key"
  deletion_window_in_days = 7
  enable_key_rotation     = true
}

output "key_arn" {
  value = aws_kms_key.this.arn
}
