# Who may do what: the two Lambda roles (each scoped to exactly the resources it touches)
# and the policy of the module's KMS key.

locals {
  lambda_roles = var.create ? { send = local.send_name, notify = local.notify_name } : {}
  # ARNs built from names: the key policy names the roles, the role policies name the key.
  send_role_arn   = "arn:${local.partition}:iam::${local.account_id}:role/${local.send_name}"
  notify_role_arn = "arn:${local.partition}:iam::${local.account_id}:role/${local.notify_name}"
  table_arn       = "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/${local.dedupe_table_name}"
  # The AWS services through which the Lambda roles use the key.
  key_via_services = [for s in ["lambda", "sqs", "s3", "sns", "dynamodb"] : "${s}.${local.region}.amazonaws.com"]
}

data "aws_iam_policy_document" "lambda_trust" {
  statement {
    sid     = "LambdaOfThisAccount"
    effect  = "Allow"
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

resource "aws_iam_role" "send" {
  count = var.create ? 1 : 0

  name                 = local.send_name
  description          = "send-findings: reads the send queue, describes findings in member accounts, writes S3 and OpenSearch."
  assume_role_policy   = data.aws_iam_policy_document.lambda_trust.json
  permissions_boundary = var.permissions_boundary
  tags                 = var.tags
}

resource "aws_iam_role" "notify" {
  count = var.create ? 1 : 0

  name                 = local.notify_name
  description          = "notify-findings: reads the notify queue, describes findings in member accounts, publishes notifications."
  assume_role_policy   = data.aws_iam_policy_document.lambda_trust.json
  permissions_boundary = var.permissions_boundary
  tags                 = var.tags
}

# What both Lambdas need: their log group, their queue, the key, the member read roles,
# Inspector v2's finding details.
data "aws_iam_policy_document" "lambda_common" {
  for_each = local.lambda_roles

  statement {
    sid       = "OwnLogGroup"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/aws/lambda/${each.value}:*"]
  }

  statement {
    sid       = "OwnQueue"
    effect    = "Allow"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
    resources = [each.key == "send" ? local.send_queue_arn : local.notify_queue_arn]
  }

  # A record failing its last receive: to the queue's dead-letter queue, with the reason.
  statement {
    sid       = "DeadLetterQueue"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = ["${each.key == "send" ? local.send_queue_arn : local.notify_queue_arn}-dlq"]
  }

  # Through the same services as the key policy allows: the key policy also delegates to
  # IAM (the account root), so an unconditioned grant here would bypass its kms:ViaService.
  statement {
    sid       = "Key"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [local.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = local.key_via_services
    }
  }

  dynamic "statement" {
    for_each = var.member_roles ? [local.member_role_arns] : []
    content {
      sid       = "MemberReadRoles"
      effect    = "Allow"
      actions   = ["sts:AssumeRole"]
      resources = statement.value
    }
  }

  # Inspector v2 details (CISA KEV, exploitation observed) of the members' package findings,
  # read as the delegated administrator. The action has no resource-level permissions.
  statement {
    sid       = "InspectorFindingDetails"
    effect    = "Allow"
    actions   = ["inspector2:BatchGetFindingDetails"]
    resources = ["*"]
  }
}

data "aws_iam_policy_document" "send" {
  count = var.create ? 1 : 0

  source_policy_documents = [data.aws_iam_policy_document.lambda_common["send"].json]

  statement {
    sid    = "FindingObjects"
    effect = "Allow"
    # GetObject: a write reads the stored state first, so that an older state never
    # replaces a newer one and a v2 finding's lifecycle follows from it. The history
    # prefix takes one object per status change.
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["${local.bucket_arn}/${var.findings_prefix}/*", "${local.bucket_arn}/${var.history_prefix}/*"]
  }

  # The OCSF copy (docs/ocsf.md): Parquet objects under its prefix only, written with its
  # key; as the given role (Security Lake's provider role) when there is one.
  dynamic "statement" {
    for_each = local.ocsf != null && !local.ocsf_assumes_role ? [local.ocsf] : []
    content {
      sid       = "OcsfObjects"
      effect    = "Allow"
      actions   = ["s3:PutObject"]
      resources = ["arn:${local.partition}:s3:::${statement.value.bucket}/${statement.value.prefix}/*"]
    }
  }

  dynamic "statement" {
    for_each = local.ocsf_assumes_role ? [local.ocsf] : []
    content {
      sid       = "OcsfWriterRole"
      effect    = "Allow"
      actions   = ["sts:AssumeRole"]
      resources = [statement.value.role_arn]
    }
  }

  dynamic "statement" {
    for_each = var.create && try(var.ocsf_output.kms_key_arn != null, false) ? [local.ocsf] : []
    content {
      sid       = "OcsfKey"
      effect    = "Allow"
      actions   = ["kms:GenerateDataKey"]
      resources = [statement.value.kms_key_arn]
    }
  }

  # Coverage documents: read before a write (newest wins, as for findings), and deleted by
  # the sweep when Inspector no longer lists the resource.
  statement {
    sid       = "CoverageObjects"
    effect    = "Allow"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${local.bucket_arn}/${var.coverage_prefix}/*"]
  }

  # The sweep lists what is stored to find what Inspector no longer lists: under the
  # coverage prefix only.
  statement {
    sid       = "CoverageListing"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [local.bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${var.coverage_prefix}/*", "${var.coverage_prefix}/"]
    }
  }

  # The sweep, as the delegated administrator. The action has no resource-level permissions.
  statement {
    sid       = "InspectorCoverage"
    effect    = "Allow"
    actions   = ["inspector2:ListCoverage"]
    resources = ["*"]
  }

  # The sweep sends each ListCoverage page back to its own queue, one message a page.
  statement {
    sid       = "CoverageSweepPages"
    effect    = "Allow"
    actions   = ["sqs:GetQueueUrl", "sqs:SendMessage"]
    resources = [local.send_queue_arn]
  }

  dynamic "statement" {
    for_each = local.opensearch_arn != null && local.opensearch_service == "es" ? [local.opensearch_arn] : []
    content {
      sid       = "OpenSearchDomainWrites"
      effect    = "Allow"
      actions   = ["es:ESHttpPost", "es:ESHttpPut"]
      resources = ["${statement.value}/*"]
    }
  }

  dynamic "statement" {
    for_each = local.opensearch_arn != null && local.opensearch_service == "aoss" ? [local.opensearch_arn] : []
    content {
      sid       = "OpenSearchCollectionAccess"
      effect    = "Allow"
      actions   = ["aoss:APIAccessAll"]
      resources = [statement.value]
    }
  }
}

data "aws_iam_policy_document" "notify" {
  count = var.create ? 1 : 0

  source_policy_documents = [data.aws_iam_policy_document.lambda_common["notify"].json]

  statement {
    sid       = "PublishNotifications"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = concat([local.notifications_topic_arn], [for d in var.notification_destinations : d.topic_arn if d.type == "topic"])
  }

  # Chat and Jira destinations: their webhook URLs and API tokens (Secrets Manager decrypts with the module's key
  # through the service, on the role's behalf).
  dynamic "statement" {
    for_each = length(local.destination_secret_arns) > 0 ? [values(local.destination_secret_arns)] : []
    content {
      sid       = "DestinationSecrets"
      effect    = "Allow"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = statement.value
    }
  }

  dynamic "statement" {
    for_each = length(local.created_secrets) > 0 ? [local.kms_key_arn] : []
    content {
      sid       = "DestinationSecretsKey"
      effect    = "Allow"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["secretsmanager.${local.region}.amazonaws.com"]
      }
    }
  }

  statement {
    sid       = "DedupeTable"
    effect    = "Allow"
    actions   = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
    resources = [local.table_arn]
  }

  dynamic "statement" {
    for_each = length(local.digest_rules) > 0 ? [1] : []
    content {
      sid       = "DigestTable"
      effect    = "Allow"
      actions   = ["dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
      resources = ["arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/${local.digest_table_name}"]
    }
  }
}

resource "aws_iam_role_policy" "send" {
  count = var.create ? 1 : 0

  name   = "send-findings"
  role   = aws_iam_role.send[0].id
  policy = data.aws_iam_policy_document.send[0].json
}

resource "aws_iam_role_policy" "notify" {
  count = var.create ? 1 : 0

  name   = "notify-findings"
  role   = aws_iam_role.notify[0].id
  policy = data.aws_iam_policy_document.notify[0].json
}

# ---------------------------------------------------------------------------------------
# The KMS key, when none is given. Resource "*" in a key policy means this key.
# ---------------------------------------------------------------------------------------

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

  # SNS encrypts what the regional topics deliver into the (encrypted) queues.
  statement {
    sid       = "RegionalTopicsDeliverToQueues"
    effect    = "Allow"
    actions   = ["kms:GenerateDataKey*", "kms:Decrypt"]
    resources = ["*"]

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

  # So that security-region in this region can encrypt its topic with this key: the
  # Inspector service account publishes to it (see security-region's README).
  dynamic "statement" {
    for_each = local.service_account_id == null ? [] : [local.service_account_id]
    content {
      sid       = "InspectorClassicPublishesThroughSns"
      effect    = "Allow"
      actions   = ["kms:GenerateDataKey*", "kms:Decrypt"]
      resources = ["*"]

      principals {
        type        = "AWS"
        identifiers = ["arn:${local.partition}:iam::${statement.value}:root"]
      }

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["sns.${local.region}.amazonaws.com"]
      }

      condition {
        test     = "StringEquals"
        variable = "kms:EncryptionContext:aws:sns:topicArn"
        values   = [local.primary_topic_arn]
      }
    }
  }

  dynamic "statement" {
    for_each = length(var.eventbridge_rule_arns) > 0 ? [1] : []
    content {
      sid       = "EventBridgeRulesSendToQueues"
      effect    = "Allow"
      actions   = ["kms:GenerateDataKey*", "kms:Decrypt"]
      resources = ["*"]

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

  # The module's own schedules put their messages on its (encrypted) queues: the coverage
  # sweep's on the send queue, the digest rules' on the notify queue.
  dynamic "statement" {
    for_each = [for queue in ["send", "notify"] : local.own_schedules[queue] if length(local.own_schedules[queue].rule_arns) > 0]
    content {
      sid       = statement.value.key_sid
      effect    = "Allow"
      actions   = ["kms:GenerateDataKey*", "kms:Decrypt"]
      resources = ["*"]

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

  # The dead-letter queue alarms publish to the (encrypted) notifications topic.
  statement {
    sid       = "AlarmsPublishToNotifications"
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
      values   = [local.alarm_arn_pattern]
    }
  }

  statement {
    sid       = "LambdaLogGroups"
    effect    = "Allow"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = [local.log_group_pattern]
    }
  }

  # The Lambda roles get the key from their own policies (statement Key, with
  # kms:ViaService) through AccountAdministers' delegation to IAM: naming them here too
  # would be a second grant (the sandbox's least-privilege test removes one at a time).
}

resource "aws_kms_key" "this" {
  count = local.create_key ? 1 : 0

  description             = "Inspector findings pipeline (${var.name_prefix}): queues, bucket, table, topics, logs, Lambda environments"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_key_deletion_window_in_days
  policy                  = data.aws_iam_policy_document.key[0].json
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  count = local.create_key ? 1 : 0

  name          = "alias/${var.name_prefix}-findings-pipeline"
  target_key_id = aws_kms_key.this[0].key_id
}
