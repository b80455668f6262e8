# Inspector v2 findings of one region of the security account, on their way to the
# central queues. Inspector (as delegated administrator) puts an `Inspector2 Finding`
# event on the default bus of every region it scans; a rule here matches them:
#   - primary region (queue_arns given): targets the send and notify queues;
#   - other regions (event_bus_arn given): targets the primary region's default bus,
#     where the primary instance's rule matches the forwarded events as well (an event
#     keeps its `region` and `detail` when it crosses regions).
# A second rule does the same for the coverage events (`Inspector2 Coverage`, and the
# `Inspector2 Scan` event of a completed first scan), which only send-findings reads.
# Each target has a retry policy and a dead-letter queue in this region.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  forwards  = var.event_bus_arn != null
  rule_name = "${var.name_prefix}-inspector2-findings"
  # Built from names, so that security-primary's queue policy can name the rule without
  # waiting for it (and without a cycle: the rule targets its queues).
  rule_arn  = "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/${local.rule_name}"
  dlq_name  = "${var.name_prefix}-inspector2-events-dlq"
  dlq_arn   = "arn:${local.partition}:sqs:${local.region}:${local.account_id}:${local.dlq_name}"
  role_name = substr("${var.name_prefix}-inspector2-forward-${local.region}", 0, 64)

  coverage_rule_name = "${var.name_prefix}-inspector2-coverage"
  coverage_rule_arn  = "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/${local.coverage_rule_name}"

  event_pattern = jsonencode(merge(
    { source = ["aws.inspector2"], detail-type = ["Inspector2 Finding"] },
    length(var.severities) == 0 && length(var.finding_account_ids) == 0 ? {} : {
      detail = merge(
        length(var.severities) == 0 ? {} : { severity = var.severities },
        length(var.finding_account_ids) == 0 ? {} : { awsAccountId = var.finding_account_ids },
      )
    },
  ))

  # Coverage: Inspector2 Coverage events (every resource type), and the Scan event of a
  # completed first scan of anything but an EC2 instance. An EC2 Scan event names no member
  # account, only the bus's (in the delegated administrator, the administrator's); the
  # Coverage events and send-findings' sweep cover EC2 instead.
  coverage_event_pattern = jsonencode({
    source = ["aws.inspector2"]
    "$or" = [
      { detail-type = ["Inspector2 Coverage"] },
      { detail-type = ["Inspector2 Scan"], detail = { scan-status = ["INITIAL_SCAN_COMPLETE"], instance-id = [{ exists = false }] } },
    ]
  })
  # Primary region: only when coverage_queue_arn is given (the send queue: notify-findings
  # has nothing to say about coverage). Other regions: forward_coverage.
  create_coverage = var.create && (local.forwards ? var.forward_coverage : var.coverage_queue_arn != null)
  rule_arns       = var.create ? concat([local.rule_arn], local.create_coverage ? [local.coverage_rule_arn] : []) : []

  # Keys known at plan time even when the ARNs are not (security-primary's outputs).
  targets = var.create ? (local.forwards ? { primary-bus = var.event_bus_arn } : {
    for i, arn in var.queue_arns : "central-queue-${i}" => arn
  }) : {}
  coverage_targets = local.create_coverage ? (local.forwards ? { primary-bus = var.event_bus_arn } : { send-queue = var.coverage_queue_arn }) : {}
}

resource "aws_cloudwatch_event_rule" "this" {
  count = var.create ? 1 : 0

  name           = local.rule_name
  description    = local.forwards ? "Inspector v2 findings in ${local.region}, forwarded to ${var.event_bus_arn}." : "Inspector v2 findings (this region's and those forwarded from others) to the central queues."
  event_bus_name = "default"
  event_pattern  = local.event_pattern
  tags           = var.tags

  lifecycle {
    precondition {
      condition     = local.forwards != (length(var.queue_arns) > 0)
      error_message = "Give either queue_arns (the primary region: target the central queues) or event_bus_arn (another region: forward to the primary region's default bus), not both, not neither."
    }
    precondition {
      condition     = !local.forwards || try(split(":", var.event_bus_arn)[3], "") != local.region
      error_message = "event_bus_arn is in this region: forwarding is for the other regions; give the primary instance queue_arns."
    }
    precondition {
      condition     = !local.forwards || var.coverage_queue_arn == null
      error_message = "coverage_queue_arn is for the primary region (with queue_arns); a forwarding instance forwards coverage events to event_bus_arn (see forward_coverage)."
    }
  }
}

resource "aws_cloudwatch_event_target" "this" {
  for_each = local.targets

  rule           = aws_cloudwatch_event_rule.this[0].name
  event_bus_name = "default"
  target_id      = each.key
  arn            = each.value
  role_arn       = local.forwards ? aws_iam_role.forward[0].arn : null

  retry_policy {
    maximum_event_age_in_seconds = var.maximum_event_age_in_seconds
    maximum_retry_attempts       = var.maximum_retry_attempts
  }

  dead_letter_config {
    arn = aws_sqs_queue.dlq[0].arn
  }
}

resource "aws_cloudwatch_event_rule" "coverage" {
  count = local.create_coverage ? 1 : 0

  name           = local.coverage_rule_name
  description    = local.forwards ? "Inspector v2 coverage events in ${local.region}, forwarded to ${var.event_bus_arn}." : "Inspector v2 coverage events (this region's and those forwarded from others) to the send queue."
  event_bus_name = "default"
  event_pattern  = local.coverage_event_pattern
  tags           = var.tags
}

resource "aws_cloudwatch_event_target" "coverage" {
  for_each = local.coverage_targets

  rule           = aws_cloudwatch_event_rule.coverage[0].name
  event_bus_name = "default"
  target_id      = each.key
  arn            = each.value
  role_arn       = local.forwards ? aws_iam_role.forward[0].arn : null

  retry_policy {
    maximum_event_age_in_seconds = var.maximum_event_age_in_seconds
    maximum_retry_attempts       = var.maximum_retry_attempts
  }

  dead_letter_config {
    arn = aws_sqs_queue.dlq[0].arn
  }
}

# ---------------------------------------------------------------------------------------
# Dead-letter queue for the events EventBridge could not deliver (same region as the rule,
# as EventBridge requires), and its alarm.
# ---------------------------------------------------------------------------------------

resource "aws_sqs_queue" "dlq" {
  count = var.create ? 1 : 0

  name                      = local.dlq_name
  message_retention_seconds = 1209600
  kms_master_key_id         = var.dlq_kms_key_arn
  sqs_managed_sse_enabled   = var.dlq_kms_key_arn == null ? true : null
  tags                      = var.tags
}

data "aws_iam_policy_document" "dlq" {
  count = var.create ? 1 : 0

  statement {
    sid       = "OurRuleOnly"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [local.dlq_arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = local.rule_arns
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [local.dlq_arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sqs_queue_policy" "dlq" {
  count = var.create ? 1 : 0

  queue_url = aws_sqs_queue.dlq[0].id
  policy    = data.aws_iam_policy_document.dlq[0].json
}

resource "aws_cloudwatch_metric_alarm" "dlq" {
  count = var.create && coalesce(var.create_dlq_alarm, var.alarm_topic_arn != null) ? 1 : 0

  alarm_name          = "${local.dlq_name}-not-empty"
  alarm_description   = "Inspector v2 events EventBridge could not deliver from ${join(" or ", concat([local.rule_name], local.create_coverage ? [local.coverage_rule_name] : []))} in ${local.region}: inspect ${local.dlq_name} (each message's attributes say why)."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = local.dlq_name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]
  ok_actions          = [var.alarm_topic_arn]
  tags                = var.tags

  depends_on = [aws_sqs_queue.dlq]

  lifecycle {
    precondition {
      condition     = var.alarm_topic_arn != null
      error_message = "create_dlq_alarm = true needs alarm_topic_arn."
    }
  }
}

# ---------------------------------------------------------------------------------------
# The role EventBridge assumes to put events on the primary region's bus (other regions),
# for both rules.
# ---------------------------------------------------------------------------------------

data "aws_iam_policy_document" "forward_trust" {
  count = var.create && local.forwards ? 1 : 0

  statement {
    sid     = "OurRuleOnly"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = local.rule_arns
    }
  }
}

data "aws_iam_policy_document" "forward" {
  count = var.create && local.forwards ? 1 : 0

  statement {
    sid       = "PrimaryBusOnly"
    effect    = "Allow"
    actions   = ["events:PutEvents"]
    resources = [var.event_bus_arn]
  }
}

resource "aws_iam_role" "forward" {
  count = var.create && local.forwards ? 1 : 0

  name                 = local.role_name
  description          = "EventBridge: forwards Inspector v2 ${local.create_coverage ? "finding and coverage" : "finding"} events from ${local.region} to ${var.event_bus_arn}."
  assume_role_policy   = data.aws_iam_policy_document.forward_trust[0].json
  permissions_boundary = var.permissions_boundary
  tags                 = var.tags
}

resource "aws_iam_role_policy" "forward" {
  count = var.create && local.forwards ? 1 : 0

  name   = "put-events-on-the-primary-bus"
  role   = aws_iam_role.forward[0].id
  policy = data.aws_iam_policy_document.forward[0].json
}
