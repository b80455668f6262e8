# One region of the security account: the topic that member accounts' Inspector Classic
# templates notify, subscribed to the central queues in the primary region.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  # The per-region Inspector Classic facts the Rust crate embeds and the local AWS loads:
  # one data file, so the topic policy names the same service account everywhere.
  classic_regions = jsondecode(file("${path.module}/../../functions/inspector-facts/classic-regions.json")).regions

  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id
  facts      = lookup(local.classic_regions, local.region, null)
  partition  = try(local.facts.partition, "aws")
  # The principal Inspector Classic publishes as: arn:<partition>:iam::<service account>:root.
  inspector_principal = "arn:${local.partition}:iam::${try(local.facts.service_account_id, "000000000000")}:root"

  topic_name = "${var.name_prefix}-findings"
  # Built from the name so the policies do not wait for the topic.
  topic_arn = "arn:${local.partition}:sns:${local.region}:${local.account_id}:${local.topic_name}"

  create_key  = var.create && (var.create_kms_key != null ? var.create_kms_key : var.kms_key_arn == null)
  kms_key_arn = local.create_key ? try(aws_kms_key.this[0].arn, null) : var.kms_key_arn

  # Inspector's publishes carry no aws:SourceAccount, so the listed members are selected
  # here: the notification body's "template" is the member's template ARN.
  member_filter_policy = jsonencode({
    template = [for id in var.member_account_ids : { prefix = "arn:${local.partition}:inspector:${local.region}:${id}:" }]
  })
}

data "aws_iam_policy_document" "topic" {
  count = var.create ? 1 : 0

  statement {
    sid       = "InspectorClassicPublish"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = [local.topic_arn]

    principals {
      type        = "AWS"
      identifiers = [local.inspector_principal]
    }
  }
}

resource "aws_sns_topic" "this" {
  count = var.create ? 1 : 0

  name              = local.topic_name
  kms_master_key_id = local.kms_key_arn
  policy            = data.aws_iam_policy_document.topic[0].json
  tags              = var.tags

  lifecycle {
    precondition {
      condition     = local.facts != null
      error_message = "Region ${local.region} is not an Inspector Classic region (see functions/inspector-facts/classic-regions.json)."
    }
    precondition {
      condition     = local.kms_key_arn != null
      error_message = "create_kms_key = false needs kms_key_arn."
    }
  }
}

resource "aws_sns_topic_subscription" "queues" {
  count = var.create ? length(var.queue_arns) : 0

  topic_arn            = aws_sns_topic.this[0].arn
  protocol             = "sqs"
  endpoint             = var.queue_arns[count.index]
  raw_message_delivery = var.raw_message_delivery
  filter_policy_scope  = "MessageBody"
  filter_policy        = local.member_filter_policy
}

# The topic's key, when none is given: the account administers it, and the region's
# Inspector service account may use it only through SNS for this topic (a publisher to an
# encrypted topic needs kms:GenerateDataKey* and kms:Decrypt on its key).
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
    sid       = "InspectorClassicPublishesThroughSns"
    effect    = "Allow"
    actions   = ["kms:GenerateDataKey*", "kms:Decrypt"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [local.inspector_principal]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["sns.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:aws:sns:topicArn"
      values   = [local.topic_arn]
    }
  }
}

resource "aws_kms_key" "this" {
  count = local.create_key ? 1 : 0

  description             = "Encrypts the Inspector findings topic ${local.topic_name} in ${local.region}"
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
