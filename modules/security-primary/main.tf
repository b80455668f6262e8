# The security account's primary region: the central queues and the Lambdas behind them,
# where findings are kept (S3, optionally OpenSearch, Security Hub) and who is told
# (notifications topic). IAM and the key policy are in iam.tf.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  classic_regions    = jsondecode(file("${path.module}/../../functions/inspector-facts/classic-regions.json")).regions
  service_account_id = try(local.classic_regions[local.region].service_account_id, null)

  # Names, and ARNs built from them where a reference would add a dependency level (each
  # SQS create or policy change waits ~25 s in the aws provider).
  send_name         = "${var.name_prefix}-send-findings"
  dedupe_table_name = "${var.name_prefix}-notify-dedupe"
  digest_table_name = "${var.name_prefix}-notify-digests"
  notify_name       = "${var.name_prefix}-notify-findings"
  send_queue_arn    = "arn:${local.partition}:sqs:${local.region}:${local.account_id}:${local.send_name}"
  notify_queue_arn  = "arn:${local.partition}:sqs:${local.region}:${local.account_id}:${local.notify_name}"
  regional_topic_arns = [for r in var.regions :
    "arn:${local.partition}:sns:${r}:${local.account_id}:${var.name_prefix}-findings"
  ]
  primary_topic_arn = "arn:${local.partition}:sns:${local.region}:${local.account_id}:${var.name_prefix}-findings"
  # The accounts the rules belong to: EventBridge's deliveries carry aws:SourceAccount too.
  eventbridge_rule_accounts = distinct([for arn in var.eventbridge_rule_arns : split(":", arn)[4]])
  alarm_arn_pattern         = "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${var.name_prefix}-*"
  log_group_pattern         = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/${var.name_prefix}-*"

  # The coverage sweep: a scheduled rule on this region's default bus whose constant input
  # asks send-findings (through its own queue) to list Inspector v2's coverage.
  create_coverage_sweep   = var.create && var.coverage_sweep_schedule != null
  coverage_sweep_name     = "${var.name_prefix}-coverage-sweep"
  coverage_sweep_rule_arn = "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/${local.coverage_sweep_name}"
  coverage_sweep_regions  = length(var.coverage_sweep_regions) > 0 ? var.coverage_sweep_regions : [local.region]

  create_key  = var.create && (var.create_kms_key != null ? var.create_kms_key : var.kms_key_arn == null)
  kms_key_arn = local.create_key ? try(aws_kms_key.this[0].arn, null) : var.kms_key_arn

  create_bucket = var.create && (var.create_bucket != null ? var.create_bucket : var.bucket_name == null)
  bucket_name   = coalesce(var.bucket_name, replace(lower("${var.name_prefix}-findings-${local.account_id}"), "_", "-"))
  bucket_arn    = "arn:${local.partition}:s3:::${local.bucket_name}"

  create_notifications_topic = var.create && (var.create_notifications_topic != null ? var.create_notifications_topic : var.notifications_topic_arn == null)
  notifications_topic_arn    = local.create_notifications_topic ? try(aws_sns_topic.notifications[0].arn, null) : var.notifications_topic_arn
  alarm_topic_arn            = var.alarm_topic_arn != null ? var.alarm_topic_arn : local.notifications_topic_arn

  member_role_name = coalesce(var.member_role_name, "${var.name_prefix}-read")
  member_role_arns = [for id in var.member_account_ids : "arn:${local.partition}:iam::${id}:role/${local.member_role_name}"]

  send_zip   = coalesce(var.send_findings_zip, "${path.module}/../../dist/lambda/send-findings.zip")
  notify_zip = coalesce(var.notify_findings_zip, "${path.module}/../../dist/lambda/notify-findings.zip")

  create_opensearch      = var.create && var.create_opensearch_domain
  opensearch_domain_name = coalesce(var.opensearch_domain_name, trimsuffix(substr(replace(lower("${var.name_prefix}-findings"), "_", "-"), 0, 28), "-"))
  opensearch_endpoint    = local.create_opensearch ? "https://${try(aws_opensearch_domain.this[0].endpoint, "")}" : var.opensearch_endpoint
  opensearch_arn = (local.create_opensearch
    ? "arn:${local.partition}:es:${local.region}:${local.account_id}:domain/${local.opensearch_domain_name}"
  : var.opensearch_arn)
  opensearch_service = local.opensearch_arn == null ? null : (startswith(split(":", local.opensearch_arn)[2], "aoss") ? "aoss" : "es")

  # The OCSF copy (docs/ocsf.md, ocsf.tf): into ocsf_output's bucket (the findings bucket
  # by default, with the module's key), or into the Security Lake custom source's location
  # as the source's provider role.
  create_security_lake_source = var.create && var.security_lake_custom_source != null
  security_lake_location      = local.create_security_lake_source ? aws_securitylake_custom_log_source.this[0].provider_details[0].location : null
  ocsf_assumes_role           = var.create && (try(var.ocsf_output.role_arn != null, false) || local.create_security_lake_source)
  ocsf_in_findings_bucket     = var.create && var.ocsf_output != null && try(var.ocsf_output.bucket == null || var.ocsf_output.bucket == local.bucket_name, false)
  ocsf = !var.create ? null : var.ocsf_output != null ? {
    bucket      = coalesce(var.ocsf_output.bucket, local.bucket_name)
    prefix      = var.ocsf_output.prefix
    kms_key_arn = var.ocsf_output.kms_key_arn != null ? var.ocsf_output.kms_key_arn : (local.ocsf_in_findings_bucket ? local.kms_key_arn : null)
    role_arn    = var.ocsf_output.role_arn
    external_id = var.ocsf_output.external_id
    } : local.create_security_lake_source ? {
    bucket      = regex("^s3://([^/]+)/", local.security_lake_location)[0]
    prefix      = trim(regex("^s3://[^/]+/(.*)$", local.security_lake_location)[0], "/")
    kms_key_arn = null
    role_arn    = aws_securitylake_custom_log_source.this[0].provider_details[0].role_arn
    external_id = var.security_lake_custom_source.external_id
  } : null

  # A record failing its last receive goes to its queue's DLQ with the reason (the
  # Lambdas' dead_letter.rs); the URLs as SQS forms them from the names, known at plan.
  dlq_urls = { for k, name in { send = local.send_name, notify = local.notify_name } :
    k => "https://sqs.${local.region}.${data.aws_partition.current.dns_suffix}/${local.account_id}/${name}-dlq"
  }

  # Unset variables are left out: the Lambdas apply their own defaults.
  send_env = { for k, v in {
    FINDINGS_BUCKET           = local.bucket_name
    FINDINGS_PREFIX           = var.findings_prefix
    HISTORY_PREFIX            = var.history_prefix
    COVERAGE_PREFIX           = var.coverage_prefix
    FINDINGS_KMS_KEY_ARN      = local.kms_key_arn
    MEMBER_ROLE_NAME          = var.member_roles ? local.member_role_name : null
    MEMBER_ROLE_EXTERNAL_ID   = var.member_roles ? var.member_role_external_id : null
    OPENSEARCH_ENDPOINT       = local.opensearch_endpoint
    OPENSEARCH_INDEX          = local.opensearch_endpoint == null ? null : var.opensearch_index
    OPENSEARCH_COVERAGE_INDEX = local.opensearch_endpoint == null ? null : var.opensearch_coverage_index
    OPENSEARCH_SERVICE        = local.opensearch_endpoint == null ? null : local.opensearch_service
    OPENSEARCH_REGION         = local.opensearch_endpoint == null ? null : var.opensearch_region
    OCSF_BUCKET               = try(local.ocsf.bucket, null)
    OCSF_PREFIX               = try(local.ocsf.prefix, null)
    OCSF_KMS_KEY_ARN          = try(local.ocsf.kms_key_arn, null)
    OCSF_ROLE_ARN             = try(local.ocsf.role_arn, null)
    OCSF_EXTERNAL_ID          = try(local.ocsf.external_id, null)
    DEAD_LETTER_QUEUE_URL     = local.dlq_urls.send
    MAX_RECEIVE_COUNT         = tostring(var.max_receive_count)
  } : k => v if v != null }

  # Routing rules (notify-findings' rules.rs). Webhook URLs are secrets of their own: the
  # module creates a secret per chat destination unless given one, and never its value.
  secret_destinations = { for name, d in var.notification_destinations : name => d if d.type != "topic" }
  created_secrets     = var.create ? { for name, d in local.secret_destinations : name => d if d.secret_arn == null } : {}
  destination_secret_arns = { for name, d in local.secret_destinations : name =>
    d.secret_arn != null ? d.secret_arn : try(aws_secretsmanager_secret.destination[name].arn, null)
  }
  # Digest rules: a schedule each, whose message on the notify queue makes notify-findings
  # send the rule's digest.
  digest_rules     = var.create ? { for r in var.notification_rules : r.name => r if r.digest_schedule != null } : {}
  digest_rule_arns = [for name, r in local.digest_rules : "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/${var.name_prefix}-digest-${name}"]
  # The module's schedules that put a message on one of its queues: the queue policy's and
  # the key policy's statement for each, and its rules.
  own_schedules = {
    send   = { queue_sid = "CoverageSweepRule", key_sid = "CoverageSweepSendsToQueue", rule_arns = local.create_coverage_sweep ? [local.coverage_sweep_rule_arn] : [] }
    notify = { queue_sid = "DigestSchedules", key_sid = "DigestSchedulesSendToQueue", rule_arns = local.digest_rule_arns }
  }
  unknown_rule_destinations = distinct(flatten([for r in var.notification_rules : [
    for d in r.destinations : "${r.name} -> ${d}" if d != "notifications" && !contains(keys(var.notification_destinations), d)
  ]]))
  jira_digests = distinct(flatten([for r in var.notification_rules : [
    for d in r.destinations : "${r.name} -> ${d}" if r.digest_schedule != null && try(var.notification_destinations[d].type, "") == "jira"
  ]]))
  plain_http_jira = [for name, d in var.notification_destinations : name if d.jira != null && !startswith(try(d.jira.url, ""), "https://")]
  notify_rules_bytes = length(jsonencode([for r in var.notification_rules : { for k, v in r : k => v if v != null && v != false }])) + sum(concat([0], [
    for name, d in var.notification_destinations : length(name) + 140
  ]))
  # Nulls and false flags left out: Lambda allows 4 KB of environment in all.
  notify_rules = length(var.notification_rules) == 0 ? null : jsonencode({
    rules = [for r in var.notification_rules : { for k, v in r : k => v if v != null && v != false }]
    destinations = { for name, d in var.notification_destinations : name => { for k, v in merge({
      type       = d.type
      topic_arn  = d.topic_arn
      secret_arn = try(local.destination_secret_arns[name], null)
    }, d.jira) : k => v if v != null } }
  })

  notify_env = { for k, v in {
    NOTIFICATIONS_TOPIC_ARN = local.notifications_topic_arn
    NOTIFY_RULES            = local.notify_rules
    NOTIFY_MIN_SEVERITY     = local.notify_rules == null ? var.notify_min_severity : null
    NOTIFY_MIN_PRIORITY     = local.notify_rules == null ? var.notify_min_priority : null
    NOTIFY_REPORT_URL       = var.notification_report_url
    # The same trust as plain-HTTP topic subscribers: a network of your own (the sandbox).
    NOTIFY_ALLOW_PLAIN_HTTP_WEBHOOKS = var.allow_plain_http_notification_endpoints && length(local.secret_destinations) > 0 ? "true" : null
    DEDUPE_TABLE                     = local.dedupe_table_name
    DEAD_LETTER_QUEUE_URL            = local.dlq_urls.notify
    MAX_RECEIVE_COUNT                = tostring(var.max_receive_count)
    DIGEST_TABLE                     = length(local.digest_rules) > 0 ? local.digest_table_name : null
    DEDUPE_TTL_DAYS                  = tostring(var.dedupe_ttl_days)
    MEMBER_ROLE_NAME                 = var.member_roles ? local.member_role_name : null
    MEMBER_ROLE_EXTERNAL_ID          = var.member_roles ? var.member_role_external_id : null
  } : k => v if v != null }

  severity_rank = { INFORMATIONAL = 0, LOW = 1, MEDIUM = 2, HIGH = 3, CRITICAL = 4 }
  subscribers = merge(
    { for s in var.notification_emails : "email ${s.endpoint}" => merge(s, { protocol = "email" }) },
    { for s in var.notification_http_endpoints : "http ${s.endpoint}" => merge(s, { protocol = startswith(s.endpoint, "https://") ? "https" : "http" }) },
  )
  # min_severity becomes a numeric filter on the severity_rank attribute notify-findings
  # sets; "exists: false" lets messages without it (CloudWatch alarms) through.
  subscriber_filter_policies = { for k, s in local.subscribers : k =>
    s.min_severity == null && s.filter_policy == null ? null : jsonencode(merge(
      s.filter_policy == null ? {} : jsondecode(s.filter_policy),
      s.min_severity == null ? {} : { severity_rank = [{ numeric = [">=", local.severity_rank[s.min_severity]] }, { exists = false }] },
    ))
  }
}

# ---------------------------------------------------------------------------------------
# Queues: send (send-findings) and notify (notify-findings), each with a dead-letter queue.
# SQS cannot hand one message to two consumers, so every regional topic delivers to both.
# ---------------------------------------------------------------------------------------

resource "aws_sqs_queue" "dlq" {
  for_each = var.create ? { send = local.send_name, notify = local.notify_name } : {}

  name                      = "${each.value}-dlq"
  message_retention_seconds = 1209600
  kms_master_key_id         = local.kms_key_arn
  policy                    = data.aws_iam_policy_document.tls_only["${each.key}-dlq"].json
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [each.key == "send" ? local.send_queue_arn : local.notify_queue_arn]
  })
  tags = var.tags
}

resource "aws_sqs_queue" "this" {
  for_each = var.create ? { send = local.send_name, notify = local.notify_name } : {}

  name                       = each.value
  message_retention_seconds  = var.message_retention_seconds
  visibility_timeout_seconds = 6 * var.lambda_timeout
  kms_master_key_id          = local.kms_key_arn
  policy                     = data.aws_iam_policy_document.queue[each.key].json
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq[each.key].arn
    maxReceiveCount     = var.max_receive_count
  })
  tags = var.tags
}

data "aws_iam_policy_document" "queue" {
  for_each = var.create ? { send = local.send_queue_arn, notify = local.notify_queue_arn } : {}

  # The TLS-only statement comes last.
  override_policy_documents = [data.aws_iam_policy_document.tls_only[each.key].json]

  statement {
    sid       = "OurRegionalTopicsOnly"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [each.value]

    principals {
      type        = "Service"
      identifiers = ["sns.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = local.regional_topic_arns
    }
  }

  dynamic "statement" {
    for_each = length(var.eventbridge_rule_arns) > 0 ? [1] : []
    content {
      sid       = "OurEventBridgeRulesOnly"
      effect    = "Allow"
      actions   = ["sqs:SendMessage"]
      resources = [each.value]

      principals {
        type        = "Service"
        identifiers = ["events.amazonaws.com"]
      }

      condition {
        test     = "ArnLike"
        variable = "aws:SourceArn"
        values   = var.eventbridge_rule_arns
      }

      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = local.eventbridge_rule_accounts
      }
    }
  }

  # The module's own schedules on this queue: the coverage sweep's (send: send-findings lists
  # the coverage) or the digest rules' (notify: notify-findings sends the digests).
  dynamic "statement" {
    for_each = length(local.own_schedules[each.key].rule_arns) > 0 ? [local.own_schedules[each.key]] : []
    content {
      sid       = statement.value.queue_sid
      effect    = "Allow"
      actions   = ["sqs:SendMessage"]
      resources = [each.value]

      principals {
        type        = "Service"
        identifiers = ["events.amazonaws.com"]
      }

      condition {
        test     = "ArnEquals"
        variable = "aws:SourceArn"
        values   = statement.value.rule_arns
      }

      condition {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [local.account_id]
      }
    }
  }
}

# Every queue, the dead-letter queues too (SQS moves messages there; people read and
# redrive them): TLS only.
data "aws_iam_policy_document" "tls_only" {
  for_each = var.create ? {
    send       = local.send_queue_arn
    notify     = local.notify_queue_arn
    send-dlq   = "${local.send_queue_arn}-dlq"
    notify-dlq = "${local.notify_queue_arn}-dlq"
  } : {}

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [each.value]

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

resource "aws_cloudwatch_metric_alarm" "dlq" {
  for_each = aws_sqs_queue.dlq

  alarm_name          = "${each.value.name}-not-empty"
  alarm_description   = "Messages in ${each.value.name}: ${each.key}-findings failed them ${var.max_receive_count} times. Inspect, fix, then redrive them to ${aws_sqs_queue.this[each.key].name}."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = each.value.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.alarm_topic_arn]
  ok_actions          = [local.alarm_topic_arn]
  tags                = var.tags
}

# A consumer that stopped (disabled mapping, broken deployment, throttled to nothing) leaves
# messages ageing in its queue long before any of them reaches the DLQ.
resource "aws_cloudwatch_metric_alarm" "queue_age" {
  for_each = aws_sqs_queue.this

  alarm_name          = "${each.value.name}-oldest-message-age"
  alarm_description   = "The oldest message in ${each.value.name} is older than ${var.queue_age_alarm_seconds} s: ${each.key}-findings is not keeping up or not running. Check its errors, throttles and event source mapping."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateAgeOfOldestMessage"
  dimensions          = { QueueName = each.value.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.queue_age_alarm_seconds
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.alarm_topic_arn]
  ok_actions          = [local.alarm_topic_arn]
  tags                = var.tags
}

# Errors are crashes and timeouts (failed records are reported, not raised); throttles mean
# the mapping's maximum concurrency and the reserved concurrency disagree. Either puts
# healthy messages on their way to the DLQ.
resource "aws_cloudwatch_metric_alarm" "lambda" {
  for_each = var.create ? {
    for pair in setproduct(["send", "notify"], ["Errors", "Throttles"]) :
    "${pair[0]}-${lower(pair[1])}" => { function = pair[0] == "send" ? local.send_name : local.notify_name, metric = pair[1] }
  } : {}

  alarm_name          = "${each.value.function}-${lower(each.value.metric)}"
  alarm_description   = "${each.value.function} reported ${lower(each.value.metric)}: its batches return to the queue and count towards the DLQ. See its logs (errors) or its concurrency settings (throttles)."
  namespace           = "AWS/Lambda"
  metric_name         = each.value.metric
  dimensions          = { FunctionName = each.value.function }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.alarm_topic_arn]
  ok_actions          = [local.alarm_topic_arn]
  tags                = var.tags
}

# Findings stored without their Inspector v2 details (CISA KEV, exploitation observed) in
# three periods running: BatchGetFindingDetails keeps failing. A finding asks again only at
# its next event, so its priority may ignore KEV for days; a passing throttle does not alarm.
resource "aws_cloudwatch_metric_alarm" "details_unavailable" {
  count = var.create ? 1 : 0

  alarm_name          = "${var.name_prefix}-finding-details-unavailable"
  alarm_description   = "send-findings stored findings without Inspector v2 details (CISA KEV, exploitation observed) in each of the last 15 minutes' periods: BatchGetFindingDetails keeps failing. Its logs' warnings say why (throttled, denied: the role needs inspector2:BatchGetFindingDetails); those findings get their details at their next event."
  namespace           = "inspectorlink"
  metric_name         = "DetailsUnavailable"
  dimensions          = { Function = "send-findings" }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 3
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [local.alarm_topic_arn]
  ok_actions          = [local.alarm_topic_arn]
  tags                = var.tags
}

# ---------------------------------------------------------------------------------------
# S3: one object per finding
# ---------------------------------------------------------------------------------------

resource "aws_s3_bucket" "findings" {
  count = local.create_bucket ? 1 : 0

  #checkov:skip=CKV_AWS_144:Cross-region replication is the landing zone's backup decision; the objects are re-creatable from Inspector.
  #checkov:skip=CKV2_AWS_62:Nothing consumes bucket events; Athena and other tools read the objects directly.
  #checkov:skip=CKV_AWS_18:Access logging is optional (bucket_access_log_bucket): it needs a log bucket the landing zone owns.
  bucket        = local.bucket_name
  force_destroy = var.bucket_force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_public_access_block" "findings" {
  count = local.create_bucket ? 1 : 0

  bucket                  = aws_s3_bucket.findings[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "findings" {
  count = local.create_bucket ? 1 : 0

  bucket = aws_s3_bucket.findings[0].id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_versioning" "findings" {
  count = local.create_bucket ? 1 : 0

  bucket = aws_s3_bucket.findings[0].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "findings" {
  count = local.create_bucket ? 1 : 0

  bucket = aws_s3_bucket.findings[0].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = local.kms_key_arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "findings" {
  count = local.create_bucket ? 1 : 0

  bucket = aws_s3_bucket.findings[0].id

  rule {
    id     = "findings"
    status = "Enabled"
    filter {
      prefix = "${var.findings_prefix}/"
    }

    dynamic "expiration" {
      for_each = var.bucket_expiration_days == null ? [] : [var.bucket_expiration_days]
      content {
        days = expiration.value
      }
    }

    noncurrent_version_expiration {
      noncurrent_days = var.bucket_noncurrent_version_expiration_days
    }
  }

  # Coverage documents are rewritten at every scan and deleted by the sweep: their old
  # versions go like the findings'.
  rule {
    id     = "coverage"
    status = "Enabled"
    filter {
      prefix = "${var.coverage_prefix}/"
    }

    noncurrent_version_expiration {
      noncurrent_days = var.bucket_noncurrent_version_expiration_days
    }
  }

  # Query results are copies of findings (athena.tf): they go after a while.
  dynamic "rule" {
    for_each = local.create_athena && var.athena_results_expiration_days != null ? [var.athena_results_expiration_days] : []
    content {
      id     = "athena-results"
      status = "Enabled"
      filter {
        prefix = "${var.athena_results_prefix}/"
      }
      expiration {
        days = rule.value
      }
      noncurrent_version_expiration {
        noncurrent_days = 1
      }
      abort_incomplete_multipart_upload {
        days_after_initiation = 1
      }
    }
  }

  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"
    filter {}
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

resource "aws_s3_bucket_logging" "findings" {
  count = local.create_bucket && var.bucket_access_log_bucket != null ? 1 : 0

  bucket        = aws_s3_bucket.findings[0].id
  target_bucket = var.bucket_access_log_bucket
  target_prefix = "s3/${local.bucket_name}/"
}

data "aws_iam_policy_document" "bucket" {
  count = local.create_bucket ? 1 : 0

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [local.bucket_arn, "${local.bucket_arn}/*"]

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

resource "aws_s3_bucket_policy" "findings" {
  count = local.create_bucket ? 1 : 0

  bucket = aws_s3_bucket.findings[0].id
  policy = data.aws_iam_policy_document.bucket[0].json

  depends_on = [aws_s3_bucket_public_access_block.findings]
}

# ---------------------------------------------------------------------------------------
# DynamoDB: notify-findings remembers what it has notified
# ---------------------------------------------------------------------------------------

resource "aws_dynamodb_table" "dedupe" {
  count = var.create ? 1 : 0

  name         = local.dedupe_table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "pk"

  attribute {
    name = "pk"
    type = "S"
  }

  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = local.kms_key_arn
  }

  point_in_time_recovery {
    enabled = true
  }

  tags = var.tags
}

# Digest rules keep the findings they collect here, one item per rule and finding
# (notify-findings' digest.rs); sent and resolved entries are deleted, the rest expire.
resource "aws_dynamodb_table" "digests" {
  count = length(local.digest_rules) > 0 ? 1 : 0

  name         = local.digest_table_name
  billing_mode = "PAY_PER_REQUEST"
  hash_key     = "rule"
  range_key    = "entry"

  attribute {
    name = "rule"
    type = "S"
  }

  attribute {
    name = "entry"
    type = "S"
  }

  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = local.kms_key_arn
  }

  point_in_time_recovery {
    enabled = true
  }

  tags = var.tags
}

# Each digest rule's schedule puts {"inspectorlink": "digest", ...} on the notify queue, with
# the schedule's time: every retry of that message (and a second delivery of the event)
# names the same digest, which notify-findings sends once.
resource "aws_cloudwatch_event_rule" "digest" {
  for_each = local.digest_rules

  name                = "${var.name_prefix}-digest-${each.key}"
  description         = "inspectorlink notification rule ${each.key}: its digest, sent by notify-findings."
  event_bus_name      = "default"
  schedule_expression = each.value.digest_schedule
  tags                = var.tags

  lifecycle {
    precondition {
      condition     = length("${var.name_prefix}-digest-${each.key}") <= 64
      error_message = "The schedule of digest rule ${each.key} would be named ${var.name_prefix}-digest-${each.key}, over EventBridge's 64 characters: shorten the rule's name or name_prefix."
    }
  }
}

resource "aws_cloudwatch_event_target" "digest" {
  for_each = local.digest_rules

  rule           = aws_cloudwatch_event_rule.digest[each.key].name
  event_bus_name = "default"
  target_id      = "notify-queue"
  arn            = aws_sqs_queue.this["notify"].arn

  input_transformer {
    input_paths = { time = "$.time" }
    # By hand: jsonencode would escape the placeholder's angle brackets. Rule names are
    # letters, digits, - and _ (validated).
    input_template = "{\"inspectorlink\": \"digest\", \"rule\": \"${each.key}\", \"scheduled_at\": \"<time>\"}"
  }
}

# ---------------------------------------------------------------------------------------
# Notifications topic and its subscribers
# ---------------------------------------------------------------------------------------

# A chat destination's webhook URL, or a Jira destination's API token: the secret without a
# value (put out of band, so that it is never in state); notify-findings reads it.
resource "aws_secretsmanager_secret" "destination" {
  for_each = local.created_secrets

  #checkov:skip=CKV2_AWS_57:A webhook URL is rotated by issuing a new one in Slack or Teams, not by a rotation Lambda.
  name                    = "${var.name_prefix}/notify/${each.key}"
  description             = each.value.type == "jira" ? "The Jira API token of notification destination ${each.key} (inspectorlink notify-findings). Put the token as the secret string." : "The ${each.value.type} webhook URL of notification destination ${each.key} (inspectorlink notify-findings). Put the URL as the secret string."
  kms_key_id              = local.kms_key_arn
  recovery_window_in_days = var.notification_secret_recovery_window_in_days
  tags                    = var.tags
}

resource "aws_sns_topic" "notifications" {
  count = local.create_notifications_topic ? 1 : 0

  name              = "${var.name_prefix}-notifications"
  kms_master_key_id = local.kms_key_arn
  policy            = data.aws_iam_policy_document.notifications[0].json
  tags              = var.tags
}

# notify-findings publishes with its role's identity policy; the topic policy only adds
# this account's CloudWatch alarms (the dead-letter queue alarms).
data "aws_iam_policy_document" "notifications" {
  count = local.create_notifications_topic ? 1 : 0

  statement {
    sid       = "OurAlarms"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = ["arn:${local.partition}:sns:${local.region}:${local.account_id}:${var.name_prefix}-notifications"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.alarm_arn_pattern]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_sns_topic_subscription" "notifications" {
  for_each = var.create ? local.subscribers : {}

  topic_arn           = local.notifications_topic_arn
  protocol            = each.value.protocol
  endpoint            = each.value.endpoint
  filter_policy       = local.subscriber_filter_policies[each.key]
  filter_policy_scope = local.subscriber_filter_policies[each.key] == null ? null : "MessageAttributes"

  lifecycle {
    precondition {
      condition     = each.value.protocol != "http" || var.allow_plain_http_notification_endpoints
      error_message = "${each.value.endpoint} is plain HTTP: every notification (the whole finding) would cross the network unencrypted. Use https://, or set allow_plain_http_notification_endpoints = true for a trusted network."
    }
  }
}

# ---------------------------------------------------------------------------------------
# Lambdas
# ---------------------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "lambda" {
  for_each = var.create ? { send = local.send_name, notify = local.notify_name } : {}

  name              = "/aws/lambda/${each.value}"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = local.kms_key_arn
  tags              = var.tags
}

resource "aws_lambda_function" "send" {
  count = var.create ? 1 : 0

  #checkov:skip=CKV_AWS_116:Failed records go back to the SQS queue (partial batch response) and on to its DLQ; a function DLQ applies to async invocations only.
  #checkov:skip=CKV_AWS_117:Runs outside a VPC: it reaches STS, Inspector, EC2, S3 and OpenSearch in other accounts through public AWS endpoints.
  #checkov:skip=CKV_AWS_272:Code signing needs a signing profile and signed zips the landing zone owns; not required by this module.
  #checkov:skip=CKV_AWS_50:X-Ray tracing is left to the account's defaults (PassThrough); the function logs structured JSON and EMF metrics.
  function_name                  = local.send_name
  description                    = "Inspector findings from the send queue to S3 and OpenSearch."
  role                           = aws_iam_role.send[0].arn
  filename                       = local.send_zip
  source_code_hash               = filebase64sha256(local.send_zip)
  runtime                        = "provided.al2023"
  handler                        = "bootstrap"
  architectures                  = ["x86_64"]
  memory_size                    = var.lambda_memory_size
  timeout                        = var.lambda_timeout
  reserved_concurrent_executions = var.send_findings_reserved_concurrency
  kms_key_arn                    = local.kms_key_arn

  environment {
    variables = local.send_env
  }

  tags       = var.tags
  depends_on = [aws_cloudwatch_log_group.lambda, aws_iam_role_policy.send]

  lifecycle {
    precondition {
      condition     = local.kms_key_arn != null
      error_message = "create_kms_key = false needs kms_key_arn."
    }
    precondition {
      condition     = var.ocsf_output == null || var.security_lake_custom_source == null
      error_message = "ocsf_output and security_lake_custom_source are both set: the OCSF copy goes to one place. Set security_lake_custom_source to write into Security Lake, or ocsf_output for a bucket of your choice."
    }
    precondition {
      # try: ocsf_output is null when the copy is off (|| does not short-circuit).
      condition = try(!local.ocsf_in_findings_bucket || alltrue([for other in [var.findings_prefix, var.history_prefix, var.coverage_prefix, var.athena_results_prefix] :
        !(var.ocsf_output.prefix == other || startswith(var.ocsf_output.prefix, "${other}/") || startswith(other, "${var.ocsf_output.prefix}/"))
      ]), true)
      error_message = "ocsf_output.prefix overlaps findings_prefix, history_prefix, coverage_prefix or athena_results_prefix in the findings bucket: readers of the store would take Parquet objects for documents. Give it a prefix of its own, e.g. ocsf."
    }
    precondition {
      condition     = local.create_bucket || var.bucket_name != null
      error_message = "create_bucket = false needs bucket_name."
    }
    precondition {
      condition     = local.notifications_topic_arn != null
      error_message = "create_notifications_topic = false needs notifications_topic_arn."
    }
    precondition {
      condition     = (var.opensearch_endpoint == null) == (var.opensearch_arn == null)
      error_message = "opensearch_endpoint and opensearch_arn go together: send-findings needs the ARN for its permissions."
    }
    precondition {
      condition     = !var.create_opensearch_domain || (var.opensearch_endpoint == null && var.opensearch_master_user_arn != null)
      error_message = "create_opensearch_domain needs opensearch_master_user_arn, and excludes opensearch_endpoint/opensearch_arn."
    }
    precondition {
      condition = !(var.history_prefix == var.findings_prefix || startswith(var.history_prefix, "${var.findings_prefix}/") ||
      startswith(var.findings_prefix, "${var.history_prefix}/"))
      error_message = "history_prefix (${var.history_prefix}) overlaps findings_prefix (${var.findings_prefix}): readers of the findings (the report, Athena) would take history entries for findings. Give it a prefix beside findings_prefix, e.g. history."
    }
    precondition {
      condition = alltrue([for other in [var.findings_prefix, var.history_prefix] :
      !(var.coverage_prefix == other || startswith(var.coverage_prefix, "${other}/") || startswith(other, "${var.coverage_prefix}/"))])
      error_message = "coverage_prefix (${var.coverage_prefix}) overlaps findings_prefix (${var.findings_prefix}) or history_prefix (${var.history_prefix}): the coverage sweep deletes the objects under coverage_prefix that Inspector no longer lists, and readers of findings and history would take coverage documents for theirs. Give it a prefix beside them, e.g. coverage."
    }
    precondition {
      condition     = coalesce(var.opensearch_coverage_index, "inspector-coverage") != coalesce(var.opensearch_index, "inspector-findings")
      error_message = "opensearch_coverage_index and opensearch_index name the same index: coverage documents and findings need their own (each has its own mapping)."
    }
  }
}

resource "aws_lambda_function" "notify" {
  count = var.create ? 1 : 0

  #checkov:skip=CKV_AWS_116:Failed records go back to the SQS queue (partial batch response) and on to its DLQ; a function DLQ applies to async invocations only.
  #checkov:skip=CKV_AWS_117:Runs outside a VPC: it reaches STS and Inspector in other accounts, SNS and DynamoDB through public AWS endpoints.
  #checkov:skip=CKV_AWS_272:Code signing needs a signing profile and signed zips the landing zone owns; not required by this module.
  #checkov:skip=CKV_AWS_50:X-Ray tracing is left to the account's defaults (PassThrough); the function logs structured JSON.
  function_name                  = local.notify_name
  description                    = "Inspector findings from the notify queue to their destinations by the routing rules, once per finding, state and destination."
  role                           = aws_iam_role.notify[0].arn
  filename                       = local.notify_zip
  source_code_hash               = filebase64sha256(local.notify_zip)
  runtime                        = "provided.al2023"
  handler                        = "bootstrap"
  architectures                  = ["x86_64"]
  memory_size                    = var.lambda_memory_size
  timeout                        = var.lambda_timeout
  reserved_concurrent_executions = var.notify_findings_reserved_concurrency
  kms_key_arn                    = local.kms_key_arn

  environment {
    variables = local.notify_env
  }

  lifecycle {
    precondition {
      condition     = length(local.jira_digests) == 0
      error_message = "Digest rules send to Jira destinations: ${join(", ", local.jira_digests)}. Tickets follow findings one by one; send digests to topics, Slack or Teams."
    }

    precondition {
      condition     = length(local.plain_http_jira) == 0 || var.allow_plain_http_notification_endpoints
      error_message = "Jira destinations ${join(", ", local.plain_http_jira)} are plain HTTP: the API token would cross the network unencrypted. Use the site's https:// URL, or set allow_plain_http_notification_endpoints = true for a trusted network."
    }

    precondition {
      condition     = length(local.unknown_rule_destinations) == 0
      error_message = "notification_rules send to destinations that notification_destinations does not define: ${join(", ", local.unknown_rule_destinations)}. Define them, or use \"notifications\" (the notifications topic)."
    }

    precondition {
      # Lambda refuses more than 4 KB of environment variables (names and values). Checked
      # at plan, when created topics' and secrets' ARNs are not known yet: the rules as
      # given, 140 bytes per destination for its ARN, and 800 for the other variables.
      condition     = local.notify_rules_bytes <= 4096 - 800
      error_message = "notification_rules and notification_destinations take about ${local.notify_rules_bytes} bytes of notify-findings' environment; with its other variables that is over the 4096 bytes Lambda allows. Merge rules, drop conditions that hold anyway, or shorten names."
    }
  }

  tags       = var.tags
  depends_on = [aws_cloudwatch_log_group.lambda, aws_iam_role_policy.notify]
}

resource "aws_lambda_event_source_mapping" "this" {
  for_each = var.create ? { send = aws_lambda_function.send[0].arn, notify = aws_lambda_function.notify[0].arn } : {}

  event_source_arn                   = aws_sqs_queue.this[each.key].arn
  function_name                      = each.value
  enabled                            = var.event_source_mappings_enabled
  batch_size                         = var.batch_size
  maximum_batching_window_in_seconds = var.maximum_batching_window_in_seconds
  function_response_types            = ["ReportBatchItemFailures"]

  # Never more concurrent batches than the function may run: a throttled batch goes back to
  # the queue and counts as a receive, so throttling alone would fill the DLQ.
  scaling_config {
    maximum_concurrency = each.key == "send" ? var.send_findings_reserved_concurrency : var.notify_findings_reserved_concurrency
  }
}

# ---------------------------------------------------------------------------------------
# Coverage sweep: on schedule, a constant message on the send queue makes send-findings list
# Inspector v2's coverage (ListCoverage as the delegated administrator) in each region, send
# the pages back to its own queue, and delete the coverage documents of resources no longer
# listed. Events keep coverage current between sweeps (inspector2-forwarding).
# ---------------------------------------------------------------------------------------

resource "aws_cloudwatch_event_rule" "coverage_sweep" {
  count = local.create_coverage_sweep ? 1 : 0

  name                = local.coverage_sweep_name
  description         = "Inspector v2 coverage sweep: asks send-findings to list the coverage of ${join(", ", local.coverage_sweep_regions)}."
  event_bus_name      = "default"
  schedule_expression = var.coverage_sweep_schedule
  tags                = var.tags
}

resource "aws_cloudwatch_event_target" "coverage_sweep" {
  count = local.create_coverage_sweep ? 1 : 0

  rule           = aws_cloudwatch_event_rule.coverage_sweep[0].name
  event_bus_name = "default"
  target_id      = "send-queue"
  arn            = aws_sqs_queue.this["send"].arn
  input          = jsonencode({ inspectorlink = "coverage-sweep", regions = local.coverage_sweep_regions })
}

# ---------------------------------------------------------------------------------------
# OpenSearch domain (optional; usually the landing zone has one)
# ---------------------------------------------------------------------------------------

data "aws_iam_policy_document" "opensearch" {
  count = local.create_opensearch ? 1 : 0

  statement {
    sid       = "SendFindingsWrites"
    effect    = "Allow"
    actions   = ["es:ESHttpPost", "es:ESHttpPut"]
    resources = ["${local.opensearch_arn}/*"]

    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.send[0].arn]
    }
  }

  statement {
    sid       = "MasterUser"
    effect    = "Allow"
    actions   = ["es:ESHttp*"]
    resources = ["${local.opensearch_arn}/*"]

    principals {
      type        = "AWS"
      identifiers = [var.opensearch_master_user_arn]
    }
  }
}

resource "aws_opensearch_domain" "this" {
  count = local.create_opensearch ? 1 : 0

  #checkov:skip=CKV_AWS_84:Slow/application log publishing needs log groups and a resource policy the landing zone usually centralises; enable it on the domain if wanted.
  #checkov:skip=CKV_AWS_317:Audit logging likewise (it also needs fine-grained access control, which is on).
  #checkov:skip=CKV_AWS_318:Three dedicated masters triple the cost of a findings index; size the domain with the opensearch_* variables or bring your own.
  #checkov:skip=CKV2_AWS_59:Dedicated masters: as CKV_AWS_318.
  #checkov:skip=CKV_AWS_137:A public endpoint with fine-grained access control and an IAM access policy: send-findings runs outside a VPC.
  #checkov:skip=CKV_AWS_248:No VPC, hence no security group (default or other): see CKV_AWS_137.
  domain_name     = local.opensearch_domain_name
  engine_version  = var.opensearch_engine_version
  access_policies = data.aws_iam_policy_document.opensearch[0].json

  cluster_config {
    instance_type          = var.opensearch_instance_type
    instance_count         = var.opensearch_instance_count
    zone_awareness_enabled = var.opensearch_instance_count > 1
    dynamic "zone_awareness_config" {
      for_each = var.opensearch_instance_count > 1 ? [2] : []
      content {
        availability_zone_count = zone_awareness_config.value
      }
    }
  }

  ebs_options {
    ebs_enabled = true
    volume_size = var.opensearch_volume_size
    volume_type = "gp3"
  }

  encrypt_at_rest {
    enabled    = true
    kms_key_id = local.kms_key_arn
  }

  node_to_node_encryption {
    enabled = true
  }

  domain_endpoint_options {
    enforce_https       = true
    tls_security_policy = "Policy-Min-TLS-1-2-2019-07"
  }

  advanced_security_options {
    enabled                        = true
    anonymous_auth_enabled         = false
    internal_user_database_enabled = false
    master_user_options {
      master_user_arn = var.opensearch_master_user_arn
    }
  }

  tags = var.tags
}

# ---------------------------------------------------------------------------------------
# Security Hub (optional)
# ---------------------------------------------------------------------------------------

resource "aws_securityhub_account" "this" {
  count = var.create && var.enable_security_hub ? 1 : 0

  enable_default_standards = false
}

resource "aws_securityhub_product_subscription" "inspector" {
  count = var.create && var.enable_security_hub ? 1 : 0

  product_arn = "arn:${local.partition}:securityhub:${local.region}::product/aws/inspector"
  depends_on  = [aws_securityhub_account.this]
}
