# The plan benchmark: N assessment templates (hashicorp/aws) each attached to one
# security-account topic by an inspectorlink_sns_attachment, so one `terraform plan`
# refreshes N resources of each provider side by side (scripts/bench-plan.py).

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

variable "member_account_id" {
  description = "Account of the templates (a fresh one per run: an account holds at most 500 templates)."
  type        = string
}

variable "resources_per_provider" {
  description = "How many templates and how many attachments."
  type        = number
  default     = 100
}

locals {
  role = "arn:aws:iam::${var.member_account_id}:role/inspectorlink-test"
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

data "aws_inspector_rules_packages" "available" {
  provider = aws.member
}

resource "aws_inspector_assessment_target" "all" {
  provider = aws.member
  name     = "bench-${var.name_suffix}"
}

resource "aws_inspector_assessment_template" "bench" {
  count    = var.resources_per_provider
  provider = aws.member

  name               = "bench-${var.name_suffix}-${count.index}"
  target_arn         = aws_inspector_assessment_target.all.arn
  duration           = 3600
  rules_package_arns = data.aws_inspector_rules_packages.available.arns
}

resource "inspectorlink_sns_attachment" "bench" {
  count    = var.resources_per_provider
  provider = inspectorlink.member

  assessment_template_arn = aws_inspector_assessment_template.bench[count.index].arn
  topic_arn               = aws_sns_topic.findings.arn

  depends_on = [aws_sns_topic_policy.findings]
}
