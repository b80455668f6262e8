# Alarms of the secondary region. A CloudWatch alarm can only notify a topic in its own
# region, so the primary region's notifications topic (where security-primary's alarms go)
# cannot take the secondary forwarding rule's dead-letter queue alarm: that alarm gets a
# topic here, encrypted like the primary's, with the same email subscribers. (HTTP
# endpoints get the primary region's alarms only: they are machines that want findings.)

locals {
  secondary_alarms_topic_name  = "${var.name_prefix}-alarms"
  secondary_alarm_name_pattern = "arn:${var.partition}:cloudwatch:${var.secondary_region}:${var.security_account_id}:alarm:${var.name_prefix}-*"
}

resource "aws_kms_key" "secondary_alarms" {
  provider = aws.security_secondary

  description         = "${var.name_prefix}: the secondary region's alarms topic"
  enable_key_rotation = true
  policy              = data.aws_iam_policy_document.secondary_alarms_key.json
  tags                = var.tags
}

resource "aws_kms_alias" "secondary_alarms" {
  provider = aws.security_secondary

  name          = "alias/${var.name_prefix}-alarms"
  target_key_id = aws_kms_key.secondary_alarms.key_id
}

data "aws_iam_policy_document" "secondary_alarms_key" {
  statement {
    sid       = "AccountAdministers"
    effect    = "Allow"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${var.partition}:iam::${var.security_account_id}:root"]
    }
  }

  # CloudWatch publishes the alarms to the encrypted topic.
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
      values   = [local.secondary_alarm_name_pattern]
    }
  }
}

resource "aws_sns_topic" "secondary_alarms" {
  provider = aws.security_secondary

  name              = local.secondary_alarms_topic_name
  kms_master_key_id = aws_kms_key.secondary_alarms.arn
  policy            = data.aws_iam_policy_document.secondary_alarms_topic.json
  tags              = var.tags
}

data "aws_iam_policy_document" "secondary_alarms_topic" {
  statement {
    sid       = "OurAlarms"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = ["arn:${var.partition}:sns:${var.secondary_region}:${var.security_account_id}:${local.secondary_alarms_topic_name}"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.secondary_alarm_name_pattern]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.security_account_id]
    }
  }
}

resource "aws_sns_topic_subscription" "secondary_alarms_email" {
  provider = aws.security_secondary
  for_each = toset(var.notification_emails)

  topic_arn = aws_sns_topic.secondary_alarms.arn
  protocol  = "email"
  endpoint  = each.value
}
