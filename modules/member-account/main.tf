# A member account's side of inspectorlink, once per account: the read-only role the
# security account's Lambdas assume to describe findings and instances, and the role
# EventBridge assumes to start the scheduled Inspector Classic assessment runs.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  create              = var.create
  account_id          = data.aws_caller_identity.current.account_id
  read_role_name      = coalesce(var.read_role_name, "${var.name_prefix}-read")
  scheduler_role_name = coalesce(var.scheduler_role_name, "${var.name_prefix}-scheduler")
}

################################################################################
# Read role: assumed by the central send-findings and notify-findings Lambdas
################################################################################

data "aws_iam_policy_document" "read_trust" {
  count = local.create ? 1 : 0

  statement {
    sid     = "CentralLambdasWithExternalId"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "AWS"
      identifiers = var.central_role_arns
    }

    condition {
      test     = "StringEquals"
      variable = "sts:ExternalId"
      values   = [var.external_id]
    }

    dynamic "condition" {
      for_each = var.organization_id == null ? [] : [var.organization_id]
      content {
        test     = "StringEquals"
        variable = "aws:PrincipalOrgID"
        values   = [condition.value]
      }
    }
  }
}

resource "aws_iam_role" "read" {
  count = local.create ? 1 : 0

  name                 = local.read_role_name
  description          = "inspectorlink: the security account's Lambdas read Inspector findings, EC2 instances and the account alias"
  assume_role_policy   = data.aws_iam_policy_document.read_trust[0].json
  max_session_duration = var.max_session_duration
  permissions_boundary = var.permissions_boundary
  tags                 = var.tags
}

data "aws_iam_policy_document" "read" {
  count = local.create ? 1 : 0

  # None of these actions supports resource-level permissions (Service Authorization
  # Reference: no resource types for inspector:DescribeFindings, ec2:DescribeInstances,
  # iam:ListAccountAliases), so "*" is the only Resource IAM accepts for them.
  statement {
    sid       = "DescribeInspectorClassicFindings"
    actions   = ["inspector:DescribeFindings"]
    resources = ["*"]
  }

  statement {
    sid       = "DescribeAssessedInstances"
    actions   = ["ec2:DescribeInstances"]
    resources = ["*"]
  }

  statement {
    sid       = "NameTheAccount"
    actions   = ["iam:ListAccountAliases"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "read" {
  count = local.create ? 1 : 0

  name   = "read-findings"
  role   = aws_iam_role.read[0].id
  policy = data.aws_iam_policy_document.read[0].json
}

################################################################################
# Scheduler role: EventBridge starts the Classic assessment runs with it
################################################################################

data "aws_iam_policy_document" "scheduler_trust" {
  count = local.create ? 1 : 0

  statement {
    sid     = "EventBridgeOfThisAccount"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    # Only rules of this account may use the role (confused-deputy protection).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  count = local.create ? 1 : 0

  name                 = local.scheduler_role_name
  description          = "inspectorlink: EventBridge starts the scheduled Inspector Classic assessment runs"
  assume_role_policy   = data.aws_iam_policy_document.scheduler_trust[0].json
  permissions_boundary = var.permissions_boundary
  tags                 = var.tags
}

data "aws_iam_policy_document" "scheduler" {
  count = local.create ? 1 : 0

  # inspector:StartAssessmentRun has no resource types either: "*" is required.
  statement {
    sid       = "StartAssessmentRuns"
    actions   = ["inspector:StartAssessmentRun"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "scheduler" {
  count = local.create ? 1 : 0

  name   = "start-assessment-runs"
  role   = aws_iam_role.scheduler[0].id
  policy = data.aws_iam_policy_document.scheduler[0].json
}
