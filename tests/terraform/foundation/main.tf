# The smallest multi-account estate: per-region topics in the security account and in
# two member accounts, all subscribed to one queue (with a DLQ) in the security
# account's primary region. The member subscriptions cross accounts and regions.

locals {
  name = "foundation-${var.name_suffix}"
  # Built rather than referenced where a reference would add a dependency level:
  # every SQS create or policy change waits ~25 s in the aws provider.
  central_queue_arn = "arn:aws:sqs:${var.primary_region}:${var.security_account_id}:${local.name}-central"
}

resource "aws_sqs_queue" "dlq" {
  provider = aws.security_primary

  name                      = "${local.name}-dlq"
  message_retention_seconds = 1209600
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [local.central_queue_arn]
  })
}

resource "aws_sqs_queue" "central" {
  provider = aws.security_primary

  name   = "${local.name}-central"
  policy = data.aws_iam_policy_document.central_queue.json
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = 5
  })
}

resource "aws_sns_topic" "security_primary" {
  provider = aws.security_primary
  name     = "${local.name}-findings"
}

resource "aws_sns_topic" "security_secondary" {
  provider = aws.security_secondary
  name     = "${local.name}-findings"
}

resource "aws_sns_topic_subscription" "security_primary" {
  provider = aws.security_primary

  topic_arn = aws_sns_topic.security_primary.arn
  protocol  = "sqs"
  endpoint  = aws_sqs_queue.central.arn
}

resource "aws_sns_topic_subscription" "security_secondary" {
  provider = aws.security_secondary

  topic_arn = aws_sns_topic.security_secondary.arn
  protocol  = "sqs"
  endpoint  = aws_sqs_queue.central.arn
}

module "member_a_primary" {
  source    = "./member-region"
  providers = { aws = aws.member_a_primary }

  name      = local.name
  queue_arn = aws_sqs_queue.central.arn
}

module "member_a_secondary" {
  source    = "./member-region"
  providers = { aws = aws.member_a_secondary }

  name      = local.name
  queue_arn = aws_sqs_queue.central.arn
}

module "member_b_primary" {
  source    = "./member-region"
  providers = { aws = aws.member_b_primary }

  name      = local.name
  queue_arn = aws_sqs_queue.central.arn
}

module "member_b_secondary" {
  source    = "./member-region"
  providers = { aws = aws.member_b_secondary }

  name      = local.name
  queue_arn = aws_sqs_queue.central.arn
}

locals {
  topic_arns = concat(
    [aws_sns_topic.security_primary.arn, aws_sns_topic.security_secondary.arn],
    [for m in [module.member_a_primary, module.member_a_secondary, module.member_b_primary, module.member_b_secondary] : m.topic_arn],
  )
}

data "aws_iam_policy_document" "central_queue" {
  provider = aws.security_primary

  statement {
    sid       = "OurTopicsOnly"
    actions   = ["sqs:SendMessage"]
    resources = [local.central_queue_arn]

    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      # Built, not taken from the modules: their subscriptions depend on this queue.
      values = concat(
        [aws_sns_topic.security_primary.arn, aws_sns_topic.security_secondary.arn],
        [for pair in setproduct(var.member_account_ids, [var.primary_region, var.secondary_region]) :
        "arn:aws:sns:${pair[1]}:${pair[0]}:${local.name}-member-events"],
      )
    }
  }
}
