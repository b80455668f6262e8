# Athena over the store (optional, on by default): a Glue database with a table over the
# finding documents and one over the history entries, both with partition projection on the
# S3 key's engine, account_id, region and day (no crawler, no MSCK REPAIR), and one over
# the coverage documents (account_id and region); a workgroup
# whose results are encrypted with the module's key in the module's bucket; and the named
# queries in queries/*.sql. The columns are in athena/findings-columns.json, which the
# query tests read too.
#
# With the OCSF copy in the module's own bucket (ocsf_output, docs/ocsf.md), a fourth
# table reads its Parquet objects: columns from athena/ocsf-columns.json (the file
# send-findings' Parquet writer is built from), projection on the Security Lake layout's
# region, accountId and eventDay. Security Lake makes its own tables for a custom source.

locals {
  create_athena = var.create && var.create_athena

  athena_columns          = jsondecode(file("${path.module}/athena/findings-columns.json"))
  athena_coverage_columns = jsondecode(file("${path.module}/athena/coverage-columns.json"))
  athena_ocsf_columns     = jsondecode(file("${path.module}/athena/ocsf-columns.json"))
  athena_database_name    = coalesce(var.athena_database_name, replace(lower("${var.name_prefix}_findings"), "-", "_"))
  athena_workgroup        = "${var.name_prefix}-findings"
  athena_account_ids      = var.athena_account_ids != null ? var.athena_account_ids : var.member_account_ids
  athena_regions          = var.athena_regions != null ? var.athena_regions : var.regions
  athena_results          = "s3://${local.bucket_name}/${var.athena_results_prefix}/"

  # Partition projection: Athena computes the partitions from these instead of reading
  # them from the catalog, so a new account, region or day needs no crawler and no MSCK.
  # account_id is an enum (not injected): an injected key would force every query to name
  # its accounts, and the organisation-wide queries name none.
  athena_projection = {
    "projection.enabled"           = "true"
    "projection.engine.type"       = "enum"
    "projection.engine.values"     = "inspector_classic,inspector_v2"
    "projection.account_id.type"   = "enum"
    "projection.account_id.values" = join(",", local.athena_account_ids)
    "projection.region.type"       = "enum"
    "projection.region.values"     = join(",", local.athena_regions)
    "projection.day.type"          = "date"
    "projection.day.format"        = "yyyy-MM-dd"
    "projection.day.range"         = "${var.athena_first_day},NOW"
    "projection.day.interval"      = "1"
    "projection.day.interval.unit" = "DAYS"
  }

  # The tables: the store's prefixes, each with its columns, projection and key layout.
  # The history's entries sit one folder further down (<id>/<version>.json); Athena reads
  # everything under a partition's location. Coverage is the current coverage (the sweep
  # deletes what Inspector no longer lists): no engine, no day.
  athena_findings_layout = "engine=$${engine}/account_id=$${account_id}/region=$${region}/day=$${day}/"
  athena_tables = merge(local.create_athena ? {
    findings = {
      prefix      = var.findings_prefix
      description = "The current state of every finding (docs/finding-schema.md)"
      columns     = local.athena_columns
      projection  = local.athena_projection
      layout      = local.athena_findings_layout
    }
    history = {
      prefix      = var.history_prefix
      description = "Inspector v2 findings' history: the document of each state that changed a finding's status (one folder per finding under each day)"
      columns     = local.athena_columns
      projection  = local.athena_projection
      layout      = local.athena_findings_layout
    }
    coverage = {
      prefix      = var.coverage_prefix
      description = "Inspector v2 coverage (docs/finding-schema.md, Coverage documents): one row per resource and scan type, scanned or not and why"
      columns     = local.athena_coverage_columns
      projection = { for k, v in local.athena_projection : k => v if
      startswith(k, "projection.account_id.") || startswith(k, "projection.region.") || k == "projection.enabled" }
      layout = "account_id=$${account_id}/region=$${region}/"
    }
    } : {}, local.create_athena && local.ocsf_in_findings_bucket ? {
    ocsf = {
      prefix      = var.ocsf_output.prefix
      description = "The OCSF copy (docs/ocsf.md): every stored state of a finding as an OCSF 1.1.0 Vulnerability Finding (class 2002), Parquet"
      columns     = local.athena_ocsf_columns
      format      = "parquet"
      projection = {
        "projection.enabled"          = "true"
        "projection.region.type"      = "enum"
        "projection.region.values"    = join(",", local.athena_regions)
        "projection.accountId.type"   = "enum"
        "projection.accountId.values" = join(",", local.athena_account_ids)
        # Athena's date projection wants the format's own writing of the first day.
        "projection.eventDay.type"          = "date"
        "projection.eventDay.format"        = "yyyyMMdd"
        "projection.eventDay.range"         = "${replace(var.athena_first_day, "-", "")},NOW"
        "projection.eventDay.interval"      = "1"
        "projection.eventDay.interval.unit" = "DAYS"
      }
      layout = "region=$${region}/accountId=$${accountId}/eventDay=$${eventDay}/"
    }
  } : {})

  # How Athena reads each format: JSON documents, or Parquet files.
  athena_formats = {
    json = {
      classification        = "json"
      input_format          = "org.apache.hadoop.mapred.TextInputFormat"
      output_format         = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
      serde_name            = "json"
      serialization_library = "org.openx.data.jsonserde.JsonSerDe"
      # A document that is not JSON is an error, not a row of nulls.
      serde_parameters = { "ignore.malformed.json" = "FALSE" }
    }
    parquet = {
      classification        = "parquet"
      input_format          = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
      output_format         = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"
      serde_name            = "parquet"
      serialization_library = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
      serde_parameters      = { "serialization.format" = "1" }
    }
  }

  # The named queries: queries/<key>.sql; the first line ("-- ...") is the description.
  athena_queries = local.create_athena ? {
    for f in fileset("${path.module}/queries", "*.sql") : trimsuffix(f, ".sql") => file("${path.module}/queries/${f}")
  } : {}
}

resource "aws_glue_catalog_database" "findings" {
  count = local.create_athena ? 1 : 0

  name        = local.athena_database_name
  description = "Inspector findings (${var.name_prefix}) in s3://${local.bucket_name}: tables findings (one document per finding, its current state), history (one entry per status change) and coverage (one per resource and scan type)."
}

resource "aws_glue_catalog_table" "this" {
  for_each = local.athena_tables

  name          = each.key
  database_name = aws_glue_catalog_database.findings[0].name
  description   = "${each.value.description}, s3://${local.bucket_name}/${each.value.prefix}/."
  table_type    = "EXTERNAL_TABLE"

  parameters = merge(each.value.projection, {
    EXTERNAL                    = "TRUE"
    classification              = local.athena_formats[try(each.value.format, "json")].classification
    "storage.location.template" = "s3://${local.bucket_name}/${each.value.prefix}/${each.value.layout}"
  })

  dynamic "partition_keys" {
    for_each = each.value.columns.partition_keys
    content {
      name    = partition_keys.value.name
      type    = partition_keys.value.type
      comment = partition_keys.value.comment
    }
  }

  storage_descriptor {
    location      = "s3://${local.bucket_name}/${each.value.prefix}/"
    input_format  = local.athena_formats[try(each.value.format, "json")].input_format
    output_format = local.athena_formats[try(each.value.format, "json")].output_format

    ser_de_info {
      name                  = local.athena_formats[try(each.value.format, "json")].serde_name
      serialization_library = local.athena_formats[try(each.value.format, "json")].serialization_library
      parameters            = local.athena_formats[try(each.value.format, "json")].serde_parameters
    }

    dynamic "columns" {
      for_each = each.value.columns.columns
      content {
        name    = columns.value.name
        type    = columns.value.type
        comment = columns.value.comment
      }
    }
  }
}

resource "aws_athena_workgroup" "findings" {
  count = local.create_athena ? 1 : 0

  name          = local.athena_workgroup
  description   = "Queries over the Inspector findings (${var.name_prefix}); results encrypted with the findings key in s3://${local.bucket_name}/${var.athena_results_prefix}/."
  state         = "ENABLED"
  force_destroy = var.athena_workgroup_force_destroy

  configuration {
    # Users cannot send results elsewhere or unencrypted: they are copies of findings.
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.athena_bytes_scanned_cutoff_per_query

    engine_version {
      selected_engine_version = "Athena engine version 3"
    }

    result_configuration {
      output_location       = local.athena_results
      expected_bucket_owner = local.account_id

      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = local.kms_key_arn
      }
    }
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition = alltrue([for p in [var.findings_prefix, var.history_prefix, var.coverage_prefix] :
        !(var.athena_results_prefix == p || startswith(var.athena_results_prefix, "${p}/") || startswith(p, "${var.athena_results_prefix}/"))
      ])
      error_message = "athena_results_prefix (${var.athena_results_prefix}) overlaps findings_prefix, history_prefix or coverage_prefix: the tables would read query results as documents. Give it a prefix of its own, e.g. athena-results."
    }
  }
}

resource "aws_athena_named_query" "this" {
  for_each = local.athena_queries

  name        = "${var.name_prefix}-${each.key}"
  description = trimspace(trimprefix(split("\n", each.value)[0], "--"))
  workgroup   = aws_athena_workgroup.findings[0].id
  database    = aws_glue_catalog_database.findings[0].name
  query       = each.value
}

# What a person (or tool) that runs the queries needs; the module attaches it to nobody:
# attach output athena_query_policy_json to the roles of your analysts. The Lambdas need
# nothing here: Athena reads what they write.
data "aws_iam_policy_document" "athena_query" {
  count = local.create_athena ? 1 : 0

  statement {
    sid    = "Workgroup"
    effect = "Allow"
    actions = [
      "athena:StartQueryExecution", "athena:StopQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults",
      "athena:ListQueryExecutions", "athena:GetWorkGroup", "athena:ListNamedQueries", "athena:GetNamedQuery", "athena:BatchGetNamedQuery",
    ]
    resources = [aws_athena_workgroup.findings[0].arn]
  }

  statement {
    sid     = "Catalog"
    effect  = "Allow"
    actions = ["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartition", "glue:GetPartitions"]
    resources = [
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:catalog",
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:database/${local.athena_database_name}",
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:table/${local.athena_database_name}/*",
    ]
  }

  statement {
    sid       = "ListTheStore"
    effect    = "Allow"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [local.bucket_arn]
  }

  statement {
    sid     = "ReadTheStore"
    effect  = "Allow"
    actions = ["s3:GetObject"]
    resources = concat(
      ["${local.bucket_arn}/${var.findings_prefix}/*", "${local.bucket_arn}/${var.history_prefix}/*", "${local.bucket_arn}/${var.coverage_prefix}/*"],
      local.ocsf_in_findings_bucket ? ["${local.bucket_arn}/${var.ocsf_output.prefix}/*"] : [],
    )
  }

  statement {
    sid       = "QueryResults"
    effect    = "Allow"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
    resources = ["${local.bucket_arn}/${var.athena_results_prefix}/*"]
  }

  # Objects and results are encrypted with the key; Athena reaches it through S3.
  statement {
    sid       = "KeyThroughS3"
    effect    = "Allow"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [local.kms_key_arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
    }
  }
}
