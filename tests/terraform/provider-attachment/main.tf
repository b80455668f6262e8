# inspectorlink_sns_attachment as users compose it: a template in member account
# 222222222222 (hashicorp/aws builds it), a topic in the security account 111111111111 whose
# policy lets the region's Inspector service account publish, and the attachment made by
# an inspectorlink provider instance that assumes a role in the member account.
# Endpoints and keys come from the local AWS's env file (AWS_ENDPOINT_URL etc.).

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

locals {
  role_name = "inspectorlink-test"
  # moto answers 500 for operations it lacks; the default retries would hang for minutes.
  max_retries = 2
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

provider "inspectorlink" {
  alias       = "member"
  region      = var.region
  max_retries = local.max_retries
  assume_role {
    role_arn     = "arn:aws:iam::${var.member_account_id}:role/${local.role_name}"
    session_name = "inspectorlink-acceptance"
  }
}

data "inspectorlink_service_account" "inspector" {
  provider = inspectorlink.member
}

resource "aws_sns_topic" "findings" {
  provider = aws.security
  name     = "inspectorlink-${var.name_suffix}"
}

data "aws_iam_policy_document" "findings" {
  provider = aws.security

  statement {
    sid       = "InspectorClassicPublish"
    actions   = ["SNS:Publish"]
    resources = [aws_sns_topic.findings.arn]

    principals {
      type        = "AWS"
      identifiers = [data.inspectorlink_service_account.inspector.principal_arn]
    }
  }
}

resource "aws_sns_topic_policy" "findings" {
  provider = aws.security
  arn      = aws_sns_topic.findings.arn
  policy   = data.aws_iam_policy_document.findings.json
}

data "aws_inspector_rules_packages" "available" {
  provider = aws.member
}

resource "aws_inspector_resource_group" "scan" {
  provider = aws.member
  tags     = { InspectorScan = "provider-${var.name_suffix}" }
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
  duration           = 3600
  rules_package_arns = data.aws_inspector_rules_packages.available.arns

  tags = { Suite = "inspectorlink-provider-${var.name_suffix}" }

  # The attachment owns the template's subscriptions; hashicorp/aws must not manage them too.
  lifecycle {
    ignore_changes = [event_subscription]
  }
}

resource "inspectorlink_sns_attachment" "findings" {
  provider                = inspectorlink.member
  assessment_template_arn = aws_inspector_assessment_template.scan.arn
  topic_arn               = aws_sns_topic.findings.arn
  events                  = var.events

  # Inspector refuses to subscribe a topic it may not publish to.
  depends_on = [aws_sns_topic_policy.findings]
}

data "inspectorlink_assessment_templates" "suite" {
  provider = inspectorlink.member
  tags     = { Suite = "inspectorlink-provider-${var.name_suffix}" }

  depends_on = [aws_inspector_assessment_template.scan]
}
