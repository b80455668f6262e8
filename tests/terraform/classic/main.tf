# An Inspector Classic setup in a member account whose template notifies a topic in the
# security account: resource group (by tag) -> target -> template with the region's rules
# packages, tags, and an event subscription to the topic. Endpoints and keys come from the
# local AWS's env file (AWS_ENDPOINT_URL etc.); accounts are reached by assuming a role.

terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

locals {
  role_name = "inspectorlink-test"
  # moto answers 500 for operations it lacks; the default retries would hang for minutes.
  max_retries = 2
  scan_tag    = { key = "InspectorScan", value = "classic-${var.name_suffix}" }
}

provider "aws" {
  alias                   = "member"
  region                  = var.region
  max_retries             = local.max_retries
  skip_metadata_api_check = true
  assume_role {
    role_arn = "arn:aws:iam::${var.member_account_id}:role/${local.role_name}"
  }
}

provider "aws" {
  alias                   = "security"
  region                  = var.region
  max_retries             = local.max_retries
  skip_metadata_api_check = true
  assume_role {
    role_arn = "arn:aws:iam::${var.security_account_id}:role/${local.role_name}"
  }
}

data "aws_partition" "current" {
  provider = aws.security
}

data "aws_inspector_rules_packages" "available" {
  provider = aws.member
}

locals {
  # The region's rules packages belong to the Inspector account that publishes the region's
  # notifications (User Guide: rules package ARNs and SNS topic set-up list the same accounts).
  inspector_account_id = split(":", data.aws_inspector_rules_packages.available.arns[0])[4]
}

resource "aws_sns_topic" "findings" {
  provider = aws.security
  name     = "inspector-classic-${var.name_suffix}"
}

data "aws_iam_policy_document" "findings" {
  provider = aws.security

  statement {
    sid       = "InspectorClassicPublish"
    actions   = ["SNS:Publish"]
    resources = [aws_sns_topic.findings.arn]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${local.inspector_account_id}:root"]
    }
  }
}

resource "aws_sns_topic_policy" "findings" {
  provider = aws.security
  arn      = aws_sns_topic.findings.arn
  policy   = data.aws_iam_policy_document.findings.json
}

resource "aws_inspector_resource_group" "scan" {
  provider = aws.member
  tags     = { (local.scan_tag.key) = local.scan_tag.value }
}

resource "aws_inspector_assessment_target" "scan" {
  provider           = aws.member
  name               = "inspectorlink-${var.name_suffix}"
  resource_group_arn = aws_inspector_resource_group.scan.arn
}

resource "aws_inspector_assessment_template" "scan" {
  provider           = aws.member
  name               = "inspectorlink-${var.name_suffix}"
  target_arn         = aws_inspector_assessment_target.scan.arn
  duration           = var.duration
  rules_package_arns = data.aws_inspector_rules_packages.available.arns

  dynamic "event_subscription" {
    for_each = var.events
    content {
      event     = event_subscription.value
      topic_arn = aws_sns_topic.findings.arn
    }
  }

  tags = {
    Name  = "inspectorlink-${var.name_suffix}"
    Suite = "inspectorlink-classic"
  }

  # Inspector refuses to subscribe a topic it may not publish to.
  depends_on = [aws_sns_topic_policy.findings]
}
