# An encrypted SNS topic for this account's CloudWatch alarms in one region. An alarm can
# only notify a topic of its own region, so every region with alarms (the forwarding
# rules' dead-letter queues) needs one; security-primary's notifications topic takes the
# primary region's.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  topic_name = "${var.name_prefix}-alarms"
  # Built from the name so the policy does not wait for the topic.
  topic_arn          = "arn:${local.partition}:sns:${local.region}:${local.account_id}:${local.topic_name}"
  alarm_name_pattern = "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${var.name_prefix}-*"

  create_key  = var.create && var.kms_key_arn == null
  kms_key_arn = local.create_key ? try(aws_kms_key.this[0].arn, null) : var.kms_key_arn
}

resource "aws_sns_topic" "this" {
  count = var.create ? 1 : 0

  name              = local.topic_name
  kms_master_key_id = local.kms_key_arn
  policy            = data.aws_iam_policy_document.topic[0].json
  tags              = var.tags
}

data "aws_iam_policy_document" "topic" {
  count = var.create ? 1 : 0

  statement {
    sid       = "OurAlarms"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = [local.topic_arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.alarm_name_pattern]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_sns_topic_subscription" "email" {
  for_each = var.create ? toset(var.emails) : toset([])

  topic_arn = aws_sns_topic.this[0].arn
  protocol  = "email"
  endpoint  = each.value
}

# The topic's key, when none is given: the account administers it; CloudWatch may use it
# to publish this account's alarms to the topic.
data "aws_iam_policy_document" "key" {
  count = local.create_key ? 1 : 0

  #checkov:skip=CKV_AWS_109:A key policy's Resource "*" is the key itself; the admin statement is the account root, as AWS's default key policy.
  #checkov:skip=CKV_AWS_111:A key policy's Resource "*" is the key itself; writes are limited to the account root.
  #checkov:skip=CKV_AWS_356:A key policy's Resource "*" is the key itself, not every resource.
  statement {
    sid       = "AccountAdministers"
    effect    = "Allow"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "OurAlarmsPublish"
    effect    = "Allow"
    actions   = ["kms:GenerateDataKey*", "kms:Decrypt"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.alarm_name_pattern]
    }
  }
}

resource "aws_kms_key" "this" {
  count = local.create_key ? 1 : 0

  description             = "Encrypts the alarms topic ${local.topic_name} in ${local.region}"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_key_deletion_window_in_days
  policy                  = data.aws_iam_policy_document.key[0].json
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  count = local.create_key ? 1 : 0

  name          = "alias/${local.topic_name}"
  target_key_id = aws_kms_key.this[0].key_id
}
