# Optional auto-attach: the attach-template Lambda subscribes assessment templates created
# outside Terraform to the central topic. EventBridge sees Inspector's API calls through
# CloudTrail (management events must be recorded in this account and region).
#
# CloudTrail event -> rule -> Lambda (async). Events EventBridge cannot deliver go to the
# DLQ (target dead_letter_config); invocations that fail after Lambda's retries go to the
# same DLQ (on-failure destination), since function errors never reach the target's DLQ.

locals {
  attach           = local.create && var.auto_attach
  attach_name      = "${var.name_prefix}-attach-template"
  attach_log_group = "/aws/lambda/${local.attach_name}"
  attach_zip       = coalesce(var.attach_template_zip, "${path.module}/../../dist/lambda/attach-template.zip")
}

resource "aws_sqs_queue" "attach_dlq" {
  count = local.attach ? 1 : 0

  name                      = "${local.attach_name}-dlq"
  message_retention_seconds = var.dlq_message_retention_seconds
  kms_master_key_id         = var.kms_key_arn
  sqs_managed_sse_enabled   = var.kms_key_arn == null ? true : null
  tags                      = var.tags
}

data "aws_iam_policy_document" "attach_dlq" {
  count = local.attach ? 1 : 0

  statement {
    sid       = "UndeliverableEventsOfOurRule"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.attach_dlq[0].arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.attach[0].arn]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [aws_sqs_queue.attach_dlq[0].arn]

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

resource "aws_sqs_queue_policy" "attach_dlq" {
  count = local.attach ? 1 : 0

  queue_url = aws_sqs_queue.attach_dlq[0].id
  policy    = data.aws_iam_policy_document.attach_dlq[0].json
}

# A template that auto-attach failed to subscribe sends its findings nowhere: say so.
resource "aws_cloudwatch_metric_alarm" "attach_dlq" {
  count = local.attach && coalesce(var.create_dlq_alarm, var.alarm_topic_arn != null) ? 1 : 0

  alarm_name          = "${local.attach_name}-dlq-not-empty"
  alarm_description   = "attach-template could not subscribe an assessment template created outside Terraform in ${data.aws_region.current.name}: its findings reach no central topic. Each message in ${local.attach_name}-dlq names the template and the error."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.attach_dlq[0].name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]
  ok_actions          = [var.alarm_topic_arn]
  tags                = var.tags

  lifecycle {
    precondition {
      condition     = var.alarm_topic_arn != null
      error_message = "create_dlq_alarm = true needs alarm_topic_arn."
    }
  }
}

resource "aws_cloudwatch_log_group" "attach" {
  count = local.attach ? 1 : 0

  name              = local.attach_log_group
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

################################################################################
# IAM: what the Lambda may do
################################################################################

data "aws_iam_policy_document" "attach_trust" {
  count = local.attach ? 1 : 0

  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "attach" {
  count = local.attach ? 1 : 0

  name                 = "${local.attach_name}-${local.region}"
  description          = "inspectorlink: attach-template Lambda in ${local.region}"
  assume_role_policy   = data.aws_iam_policy_document.attach_trust[0].json
  permissions_boundary = var.permissions_boundary
  tags                 = var.tags
}

data "aws_iam_policy_document" "attach" {
  count = local.attach ? 1 : 0

  # Inspector Classic actions have no resource types: "*" is the only Resource IAM accepts.
  statement {
    sid       = "SubscribeTemplatesToTheCentralTopic"
    actions   = ["inspector:SubscribeToEvent", "inspector:ListEventSubscriptions", "inspector:ListTagsForResource"]
    resources = ["*"]
  }

  statement {
    sid       = "WriteItsLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.attach[0].arn}:*"]
  }

  # Lambda sends failed asynchronous invocations to the on-failure destination with the
  # function's role.
  statement {
    sid       = "OnFailureDestination"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.attach_dlq[0].arn]
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]
    content {
      sid       = "EnvironmentAndDlqEncryption"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_role_policy" "attach" {
  count = local.attach ? 1 : 0

  name   = "attach-template"
  role   = aws_iam_role.attach[0].id
  policy = data.aws_iam_policy_document.attach[0].json
}

################################################################################
# The function
################################################################################

resource "aws_lambda_function" "attach" {
  count = local.attach ? 1 : 0

  #checkov:skip=CKV_AWS_50:X-Ray tracing would need xray:Put* permissions beyond the four this function needs; it makes a few Inspector calls per template creation.
  #checkov:skip=CKV_AWS_115:Reserved concurrency is a variable (reserved_concurrent_executions); the default reserves none because new accounts (limit 10) refuse any reservation.
  #checkov:skip=CKV_AWS_116:Failed asynchronous invocations go to the on-failure destination (aws_lambda_function_event_invoke_config), AWS's successor of the function DLQ.
  #checkov:skip=CKV_AWS_117:The function only calls the Inspector API; a VPC would add NAT or endpoints and no protection.
  #checkov:skip=CKV_AWS_272:Code signing is a landing-zone choice; the zip comes from this repository's build (source_code_hash).
  function_name                  = local.attach_name
  description                    = "inspectorlink: subscribes Inspector Classic templates created outside Terraform to the central topic"
  role                           = aws_iam_role.attach[0].arn
  runtime                        = "provided.al2023"
  handler                        = "bootstrap"
  architectures                  = [var.lambda_architecture]
  filename                       = local.attach_zip
  source_code_hash               = filebase64sha256(local.attach_zip)
  memory_size                    = 128
  timeout                        = 30
  reserved_concurrent_executions = var.reserved_concurrent_executions == null ? -1 : var.reserved_concurrent_executions
  kms_key_arn                    = var.kms_key_arn
  tags                           = var.tags

  environment {
    variables = merge(
      {
        CENTRAL_TOPIC_ACCOUNT_ID = var.security_account_id
        CENTRAL_TOPIC_NAME       = local.central_topic_name
        CENTRAL_TOPIC_REGIONS    = join(",", coalesce(var.central_topic_regions, [local.region]))
        SUBSCRIBE_EVENTS         = join(",", sort(var.events))
      },
      var.attach_template_tag == null ? {} : { TEMPLATE_TAG_KEY = var.attach_template_tag.key },
      try(var.attach_template_tag.value, null) == null ? {} : { TEMPLATE_TAG_VALUE = var.attach_template_tag.value },
    )
  }

  depends_on = [aws_cloudwatch_log_group.attach, aws_iam_role_policy.attach]
}

resource "aws_lambda_function_event_invoke_config" "attach" {
  count = local.attach ? 1 : 0

  function_name                = aws_lambda_function.attach[0].function_name
  maximum_retry_attempts       = 2
  maximum_event_age_in_seconds = 3600

  destination_config {
    on_failure {
      destination = aws_sqs_queue.attach_dlq[0].arn
    }
  }
}

################################################################################
# CloudTrail event -> the function
################################################################################

resource "aws_cloudwatch_event_rule" "attach" {
  count = local.attach ? 1 : 0

  name        = local.attach_name
  description = "inspectorlink: Inspector Classic templates created or tagged, to attach them to the central topic"
  event_pattern = jsonencode({
    source      = ["aws.inspector"]
    detail-type = ["AWS API Call via CloudTrail"]
    detail = {
      eventSource = ["inspector.amazonaws.com"]
      eventName   = ["CreateAssessmentTemplate", "SetTagsForResource"]
    }
  })
  tags = var.tags
}

resource "aws_cloudwatch_event_target" "attach" {
  count = local.attach ? 1 : 0

  rule      = aws_cloudwatch_event_rule.attach[0].name
  target_id = "attach-template"
  arn       = aws_lambda_function.attach[0].arn

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 8
  }

  dead_letter_config {
    arn = aws_sqs_queue.attach_dlq[0].arn
  }

  depends_on = [aws_lambda_permission.attach]
}

resource "aws_lambda_permission" "attach" {
  count = local.attach ? 1 : 0

  statement_id   = "CloudTrailEventsOfInspector"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.attach[0].function_name
  principal      = "events.amazonaws.com"
  source_arn     = aws_cloudwatch_event_rule.attach[0].arn
  source_account = local.account_id
}
