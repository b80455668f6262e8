# Amazon Security Lake as the OCSF copy's destination (optional; docs/ocsf.md): a custom
# source for Vulnerability Findings whose provider is this account. Security Lake creates
# the source's S3 location, its provider role (which send-findings assumes, with the
# external id, to write) and a Glue crawler, database and table; the crawler runs as the
# role below unless one is given. Security Lake itself (aws_securitylake_data_lake) must
# already be enabled in this region: it is the lake owner's, not this module's.

locals {
  create_security_lake_crawler_role = local.create_security_lake_source && try(var.security_lake_custom_source.crawler_role_arn == null, false)
}

resource "aws_securitylake_custom_log_source" "this" {
  count = local.create_security_lake_source ? 1 : 0

  source_name    = var.security_lake_custom_source.source_name
  source_version = var.security_lake_custom_source.source_version
  event_classes  = ["VULNERABILITY_FINDING"]

  configuration {
    crawler_configuration {
      role_arn = local.create_security_lake_crawler_role ? aws_iam_role.security_lake_crawler[0].arn : var.security_lake_custom_source.crawler_role_arn
    }

    provider_identity {
      external_id = var.security_lake_custom_source.external_id
      principal   = local.account_id
    }
  }
}

data "aws_iam_policy_document" "security_lake_crawler_trust" {
  count = local.create_security_lake_crawler_role ? 1 : 0

  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["glue.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "security_lake_crawler" {
  count = local.create_security_lake_crawler_role ? 1 : 0

  name                 = "${var.name_prefix}-security-lake-crawler"
  description          = "The Glue crawler of the Security Lake custom source ${var.security_lake_custom_source.source_name}: reads its objects, updates its table."
  assume_role_policy   = data.aws_iam_policy_document.security_lake_crawler_trust[0].json
  permissions_boundary = var.permissions_boundary
  tags                 = var.tags
}

# The AWS managed policy Security Lake's documentation names for a custom source's crawler
# (Glue's catalog and logs), plus reading the source's own objects in the lake's buckets.
resource "aws_iam_role_policy_attachment" "security_lake_crawler_glue" {
  count = local.create_security_lake_crawler_role ? 1 : 0

  role       = aws_iam_role.security_lake_crawler[0].name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AWSGlueServiceRole"
}

data "aws_iam_policy_document" "security_lake_crawler" {
  count = local.create_security_lake_crawler_role ? 1 : 0

  statement {
    sid       = "CustomSourceObjects"
    effect    = "Allow"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["arn:${local.partition}:s3:::aws-security-data-lake-${local.region}-*/ext/${var.security_lake_custom_source.source_name}/*"]
  }
}

resource "aws_iam_role_policy" "security_lake_crawler" {
  count = local.create_security_lake_crawler_role ? 1 : 0

  name   = "custom-source-objects"
  role   = aws_iam_role.security_lake_crawler[0].id
  policy = data.aws_iam_policy_document.security_lake_crawler[0].json
}
