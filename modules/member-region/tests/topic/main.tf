# Test helper: the security account's regional topic as security-region makes it, reduced
# to what member-region needs: a policy that lets the region's Inspector account publish.
terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
    inspectorlink = {
      source = "inspectorlink/inspectorlink"
    }
  }
}

variable "name" {
  type = string
}

data "inspectorlink_service_account" "this" {}

resource "aws_sns_topic" "this" {
  #checkov:skip=CKV_AWS_26:Test fixture standing in for security-region's topic, which is KMS-encrypted; this one only needs its publish policy.
  name = var.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "InspectorClassicPublish"
      Effect    = "Allow"
      Principal = { AWS = data.inspectorlink_service_account.this.principal_arn }
      Action    = "sns:Publish"
      Resource  = "*"
    }]
  })
}

output "topic_arn" {
  value = aws_sns_topic.this.arn
}
