output "queue_arn" {
  description = "ARN of the send queue (send-findings); security-region subscribes its topic to it."
  value       = try(aws_sqs_queue.this["send"].arn, null)
}

output "queue_url" {
  description = "URL of the send queue."
  value       = try(aws_sqs_queue.this["send"].url, null)
}

output "dlq_arn" {
  description = "ARN of the send queue's dead-letter queue."
  value       = try(aws_sqs_queue.dlq["send"].arn, null)
}

output "notify_queue_arn" {
  description = "ARN of the notify queue (notify-findings); security-region subscribes its topic to it."
  value       = try(aws_sqs_queue.this["notify"].arn, null)
}

output "notify_queue_url" {
  description = "URL of the notify queue."
  value       = try(aws_sqs_queue.this["notify"].url, null)
}

output "notify_dlq_arn" {
  description = "ARN of the notify queue's dead-letter queue."
  value       = try(aws_sqs_queue.dlq["notify"].arn, null)
}

output "subscription_queue_arns" {
  description = "The send and notify queue ARNs: security-region's queue_arns. Always two elements when create is true, so a count over it is known at plan."
  # Not try(): with unknown ARNs try() would make the list itself unknown.
  value = var.create ? [aws_sqs_queue.this["send"].arn, aws_sqs_queue.this["notify"].arn] : []
}

output "coverage_queue_arn" {
  description = "ARN of the queue for Inspector v2 coverage events (the send queue): inspector2-forwarding's coverage_queue_arn in this region. Built from the name, so it is known at plan and makes no cycle with eventbridge_rule_arns."
  value       = var.create ? try(local.send_queue_arn, null) : null
}

output "coverage_sweep_rule_arn" {
  description = "ARN of the coverage sweep's scheduled rule (\"<name_prefix>-coverage-sweep\"), or null without coverage_sweep_schedule."
  value       = try(aws_cloudwatch_event_rule.coverage_sweep[0].arn, null)
}

output "kms_key_arn" {
  description = "ARN of the key (created or given)."
  value       = try(local.kms_key_arn, null)
}

output "bucket_name" {
  description = "Name of the findings bucket (created or given)."
  value       = var.create ? local.bucket_name : null
}

output "bucket_arn" {
  description = "ARN of the findings bucket."
  value       = var.create ? local.bucket_arn : null
}

output "notifications_topic_arn" {
  description = "ARN of the notifications topic (created or given)."
  value       = try(local.notifications_topic_arn, null)
}

output "alarm_topic_arn" {
  description = "ARN of the topic the alarms notify."
  value       = var.create ? try(local.alarm_topic_arn, null) : null
}

output "send_findings_role_arn" {
  description = "ARN of the send-findings role: member-account's central_role_arns."
  value       = try(aws_iam_role.send[0].arn, null)
}

output "notify_findings_role_arn" {
  description = "ARN of the notify-findings role: member-account's central_role_arns."
  value       = try(aws_iam_role.notify[0].arn, null)
}

output "send_findings_function_name" {
  description = "Name of the send-findings function."
  value       = try(aws_lambda_function.send[0].function_name, null)
}

output "notify_findings_function_name" {
  description = "Name of the notify-findings function."
  value       = try(aws_lambda_function.notify[0].function_name, null)
}

output "dedupe_table_name" {
  description = "Name of notify-findings' dedupe table."
  value       = try(aws_dynamodb_table.dedupe[0].name, null)
}

output "member_role_name" {
  description = "The member read role name the Lambdas assume (MEMBER_ROLE_NAME); null with member_roles = false."
  value       = var.create && var.member_roles ? local.member_role_name : null
}

output "opensearch_endpoint" {
  description = "The OpenSearch endpoint send-findings indexes into (created or given), or null."
  value       = var.create ? try(local.opensearch_endpoint, null) : null
}

output "opensearch_arn" {
  description = "ARN of the OpenSearch domain or collection (created or given), or null."
  value       = var.create ? try(local.opensearch_arn, null) : null
}

output "athena_database_name" {
  description = "Name of the Glue database of the findings tables, or null (create_athena = false)."
  value       = try(aws_glue_catalog_database.findings[0].name, null)
}

output "athena_findings_table_name" {
  description = "Name of the table over the finding documents (their current state)."
  value       = try(aws_glue_catalog_table.this["findings"].name, null)
}

output "athena_history_table_name" {
  description = "Name of the table over the history entries (one per status change of an Inspector v2 finding)."
  value       = try(aws_glue_catalog_table.this["history"].name, null)
}

output "athena_coverage_table_name" {
  description = "Name of the table over the coverage documents (one per resource and scan type: scanned or not, and why)."
  value       = try(aws_glue_catalog_table.this["coverage"].name, null)
}

output "athena_ocsf_table_name" {
  description = "Name of the table over the OCSF copy's Parquet objects, or null (no OCSF copy in the module's bucket, or create_athena = false)."
  value       = try(aws_glue_catalog_table.this["ocsf"].name, null)
}

output "ocsf_location" {
  description = "Where send-findings writes the OCSF copy (s3://bucket/prefix/, objects under region=/accountId=/eventDay=/), or null when it is off."
  value       = local.ocsf == null ? null : "s3://${local.ocsf.bucket}/${local.ocsf.prefix}/"
}

output "security_lake_custom_source" {
  description = "The Security Lake custom source (security_lake_custom_source): its name, location, provider role and Glue crawler, database and table ARNs; null when not created."
  value = local.create_security_lake_source ? {
    source_name       = aws_securitylake_custom_log_source.this[0].source_name
    location          = aws_securitylake_custom_log_source.this[0].provider_details[0].location
    provider_role_arn = aws_securitylake_custom_log_source.this[0].provider_details[0].role_arn
    crawler_arn       = try(aws_securitylake_custom_log_source.this[0].attributes[0].crawler_arn, null)
    database_arn      = try(aws_securitylake_custom_log_source.this[0].attributes[0].database_arn, null)
    table_arn         = try(aws_securitylake_custom_log_source.this[0].attributes[0].table_arn, null)
  } : null
}

output "athena_workgroup_name" {
  description = "Name of the Athena workgroup to query in (results encrypted with the key in the bucket)."
  value       = try(aws_athena_workgroup.findings[0].name, null)
}

output "athena_named_query_ids" {
  description = "Ids of the named queries, by file name under queries/ (without .sql)."
  value       = { for k, q in aws_athena_named_query.this : k => q.id }
}

output "athena_query_policy_json" {
  description = "An IAM policy (JSON) that lets its holder run queries in the workgroup: the workgroup, the Glue database and tables, the findings and history objects, the query results and the key through S3. Attach it to your analysts' roles; the module attaches it to nobody."
  value       = try(data.aws_iam_policy_document.athena_query[0].json, null)
}

output "notification_secret_arns" {
  description = "Per chat or Jira destination: the secret that holds its webhook URL or API token. Put the value into the ones the module created: aws secretsmanager put-secret-value --secret-id <arn> --secret-string <value>."
  value       = local.destination_secret_arns
}
