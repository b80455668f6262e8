# The plan benchmark: N assessment templates (hashicorp/aws) each attached to one
# security-account topic by an inspectorlink_sns_attachment, so one `terraform plan`
# refreshes N resources of each provider side by side (scripts/bench-plan.py). An account
# holds at most 500 templates: the first member account is here, and for N > 500 the script
# adds the others (members.tf, each another module "member" with its own providers).

terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
    inspectorlink = {
      source = "inspectorlink/inspectorlink"
    }
  }
}

variable "name_suffix" {
  description = "Appended to names so runs sharing one local AWS do not collide."
  type        = string
}

variable "member_account_ids" {
  description = "Accounts of the templates, fresh ones per run; this file uses the first."
  type        = list(string)
}

variable "resources_per_member" {
  description = "How many templates, and as many attachments, in each of member_account_ids (at most 500)."
  type        = list(number)
}

locals {
  role = "arn:aws:iam::${var.member_account_ids[0]}:role/inspectorlink-test"
}

provider "aws" {
  alias                   = "member"
  region                  = "us-east-1"
  max_retries             = 2
  skip_metadata_api_check = true
  assume_role {
    role_arn = local.role
  }
}

provider "aws" {
  alias                   = "security"
  region                  = "us-east-1"
  max_retries             = 2
  skip_metadata_api_check = true
  assume_role {
    role_arn = "arn:aws:iam::111111111111:role/inspectorlink-test"
  }
}

provider "inspectorlink" {
  alias       = "member"
  region      = "us-east-1"
  max_retries = 2
  assume_role {
    role_arn = local.role
  }
}

data "inspectorlink_service_account" "inspector" {
  provider = inspectorlink.member
}

resource "aws_sns_topic" "findings" {
  provider = aws.security
  name     = "bench-${var.name_suffix}"
}

resource "aws_sns_topic_policy" "findings" {
  provider = aws.security
  arn      = aws_sns_topic.findings.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = data.inspectorlink_service_account.inspector.principal_arn }
      Action    = "SNS:Publish"
      Resource  = aws_sns_topic.findings.arn
    }]
  })
}

module "member" {
  source = "./member"
  providers = {
    aws           = aws.member
    inspectorlink = inspectorlink.member
  }

  name      = "bench-${var.name_suffix}"
  templates = var.resources_per_member[0]
  topic_arn = aws_sns_topic.findings.arn

  # Attachments only once the topic's policy lets Inspector publish.
  depends_on = [aws_sns_topic_policy.findings]
}
