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
