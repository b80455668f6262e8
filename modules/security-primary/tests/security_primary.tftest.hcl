# Applies security-primary in the security account (111111111111, us-east-1) of the local
# AWS with every option on, and checks what was built: queue, key and bucket policies,
# encryption, the Lambdas' environment and IAM, the subscribers' filter policies, the
# coverage sweep's schedule, message and permissions. Plans
# check the given-resources and create = false cases and the variable validation.
# Endpoints and keys come from the local AWS's env file (AWS_ENDPOINT_URL etc.); the account
# is reached by assuming a role in it. The Lambda zips come from the runner
# (scripts/test-modules.sh passes -var send_findings_zip=... -var notify_findings_zip=...).

provider "aws" {
  region                  = "us-east-1"
  max_retries             = 2
  skip_metadata_api_check = true
  assume_role {
    role_arn = "arn:aws:iam::111111111111:role/inspectorlink-test"
  }
}

variables {
  name_prefix                     = "ilsptest"
  regions                         = ["us-east-1", "us-west-2"]
  member_account_ids              = ["222222222222", "333333333333"]
  member_role_external_id         = "ilsptest-external-id"
  kms_key_deletion_window_in_days = 7
  bucket_force_destroy            = true
  opensearch_endpoint             = "https://search-findings.us-east-1.es.amazonaws.com"
  opensearch_arn                  = "arn:aws:es:us-east-1:111111111111:domain/findings"
  enable_security_hub             = true
  eventbridge_rule_arns           = ["arn:aws:events:us-east-1:111111111111:rule/ilsptest-inspector2-findings"]
  tags                            = { Suite = "security-primary" }

  notification_emails = [
    { endpoint = "secops@example.com" },
    { endpoint = "oncall@example.com", min_severity = "HIGH" },
  ]
  notification_http_endpoints = [
    {
      endpoint      = "https://tickets.example.com/inspector"
      min_severity  = "CRITICAL"
      filter_policy = "{\"account_id\": [\"222222222222\"]}"
    },
  ]
}

run "complete" {
  variables {
    opensearch_coverage_index = "ilsptest-coverage"
    coverage_sweep_regions    = ["us-east-1", "us-west-2"]
    ocsf_output               = {}
  }

  # --- queues ---
  assert {
    condition     = output.queue_arn == "arn:aws:sqs:us-east-1:111111111111:ilsptest-send-findings" && output.notify_queue_arn == "arn:aws:sqs:us-east-1:111111111111:ilsptest-notify-findings"
    error_message = "the send and notify queues are named after the prefix"
  }

  assert {
    condition = alltrue([for k, q in aws_sqs_queue.this :
      q.kms_master_key_id == aws_kms_key.this[0].arn && q.visibility_timeout_seconds == 360 &&
      jsondecode(q.redrive_policy) == { deadLetterTargetArn = aws_sqs_queue.dlq[k].arn, maxReceiveCount = 5 }
    ])
    error_message = "both queues: KMS, visibility six times the Lambda timeout, redrive to their own DLQ after 5 receives"
  }

  assert {
    condition = alltrue([for k, q in aws_sqs_queue.dlq :
      q.kms_master_key_id == aws_kms_key.this[0].arn && q.message_retention_seconds == 1209600 &&
      jsondecode(q.redrive_allow_policy) == { redrivePermission = "byQueue", sourceQueueArns = [aws_sqs_queue.this[k].arn] }
    ])
    error_message = "each DLQ: KMS, 14 days, accepts only its own queue's redrive"
  }

  assert {
    condition = alltrue([for k, q in aws_sqs_queue.this :
      one([for s in jsondecode(q.policy).Statement : s.Condition if s.Sid == "OurEventBridgeRulesOnly"]) == {
        ArnLike      = { "aws:SourceArn" = "arn:aws:events:us-east-1:111111111111:rule/ilsptest-inspector2-findings" }
        StringEquals = { "aws:SourceAccount" = "111111111111" }
      }
      ]) && one([for s in jsondecode(aws_kms_key.this[0].policy).Statement : s.Condition if s.Sid == "EventBridgeRulesSendToQueues"]) == {
      ArnLike      = { "aws:SourceArn" = "arn:aws:events:us-east-1:111111111111:rule/ilsptest-inspector2-findings" }
      StringEquals = { "aws:SourceAccount" = "111111111111" }
    }
    error_message = "EventBridge may send (and use the key) for the given rules of their own account only"
  }

  assert {
    condition = alltrue([for k, q in aws_sqs_queue.dlq :
      jsondecode(q.policy).Statement == [{
        Sid       = "DenyInsecureTransport"
        Effect    = "Deny"
        Action    = "sqs:*"
        Resource  = q.arn
        Principal = "*"
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      }]
    ])
    error_message = "each DLQ refuses requests without TLS"
  }

  assert {
    condition = (aws_lambda_event_source_mapping.this["send"].scaling_config[0].maximum_concurrency == aws_lambda_function.send[0].reserved_concurrent_executions
    && aws_lambda_event_source_mapping.this["notify"].scaling_config[0].maximum_concurrency == aws_lambda_function.notify[0].reserved_concurrent_executions)
    error_message = "each event source mapping runs at most as many batches as its function's reserved concurrency"
  }

  assert {
    condition = (
      toset([for a in aws_cloudwatch_metric_alarm.queue_age : "${a.dimensions.QueueName} ${a.metric_name} ${a.threshold}"]) == toset([
        "ilsptest-send-findings ApproximateAgeOfOldestMessage 1800",
        "ilsptest-notify-findings ApproximateAgeOfOldestMessage 1800",
      ])
      && toset([for a in aws_cloudwatch_metric_alarm.lambda : "${a.dimensions.FunctionName} ${a.metric_name}"]) == toset([
        "ilsptest-send-findings Errors", "ilsptest-send-findings Throttles",
        "ilsptest-notify-findings Errors", "ilsptest-notify-findings Throttles",
      ])
      && [for a in aws_cloudwatch_metric_alarm.details_unavailable : "${a.namespace} ${a.metric_name} ${a.dimensions.Function} ${a.evaluation_periods}x${a.period}"] == ["inspectorlink DetailsUnavailable send-findings 3x300"]
      && alltrue([for a in concat(values(aws_cloudwatch_metric_alarm.dlq), values(aws_cloudwatch_metric_alarm.queue_age), values(aws_cloudwatch_metric_alarm.lambda), aws_cloudwatch_metric_alarm.details_unavailable) :
      a.alarm_actions == toset([aws_sns_topic.notifications[0].arn]) && startswith(a.alarm_name, "ilsptest-")])
    )
    error_message = "alarms on both DLQs, the age of each queue's oldest message, each function's errors and throttles, and findings stored without details for 15 minutes, all to the alarm topic (whose policy admits ilsptest-* alarms)"
  }

  assert {
    condition = alltrue([for k, q in aws_sqs_queue.this :
      jsondecode(q.policy).Statement[0] == {
        Sid       = "OurRegionalTopicsOnly"
        Effect    = "Allow"
        Action    = "sqs:SendMessage"
        Resource  = q.arn
        Principal = { Service = "sns.amazonaws.com" }
        Condition = { ArnEquals = { "aws:SourceArn" = [
          "arn:aws:sns:us-east-1:111111111111:ilsptest-findings",
          "arn:aws:sns:us-west-2:111111111111:ilsptest-findings",
        ] } }
      }
    ])
    error_message = "the queues accept SNS messages from the regional topics only"
  }

  assert {
    condition = alltrue([for k, q in aws_sqs_queue.this :
      join(" ", [for s in jsondecode(q.policy).Statement : s.Sid]) == (k == "send"
        ? "OurRegionalTopicsOnly OurEventBridgeRulesOnly CoverageSweepRule DenyInsecureTransport"
      : "OurRegionalTopicsOnly OurEventBridgeRulesOnly DenyInsecureTransport") &&
      jsondecode(q.policy).Statement[length(jsondecode(q.policy).Statement) - 1].Effect == "Deny" &&
      jsondecode(q.policy).Statement[length(jsondecode(q.policy).Statement) - 1].Condition == { Bool = { "aws:SecureTransport" = "false" } }
    ])
    error_message = "the queues refuse requests without TLS, and allow nothing but the topics, the rules and (the send queue) the coverage sweep"
  }

  # --- coverage sweep ---
  assert {
    condition = (aws_cloudwatch_event_rule.coverage_sweep[0].name == "ilsptest-coverage-sweep" && aws_cloudwatch_event_rule.coverage_sweep[0].schedule_expression == "rate(1 day)"
      && aws_cloudwatch_event_rule.coverage_sweep[0].event_bus_name == "default" && aws_cloudwatch_event_rule.coverage_sweep[0].tags["Suite"] == "security-primary"
    && output.coverage_sweep_rule_arn == "arn:aws:events:us-east-1:111111111111:rule/ilsptest-coverage-sweep" && output.coverage_sweep_rule_arn == aws_cloudwatch_event_rule.coverage_sweep[0].arn)
    error_message = "the sweep is <name_prefix>-coverage-sweep on the default bus, daily by default"
  }

  assert {
    condition = (aws_cloudwatch_event_target.coverage_sweep[0].arn == aws_sqs_queue.this["send"].arn && aws_cloudwatch_event_target.coverage_sweep[0].target_id == "send-queue"
    && jsondecode(aws_cloudwatch_event_target.coverage_sweep[0].input) == { inspectorlink = "coverage-sweep", regions = ["us-east-1", "us-west-2"] })
    error_message = "the sweep puts its constant message, naming the regions to list, on the send queue: ${aws_cloudwatch_event_target.coverage_sweep[0].input}"
  }

  assert {
    condition = one([for s in jsondecode(aws_sqs_queue.this["send"].policy).Statement : s if s.Sid == "CoverageSweepRule"]) == {
      Sid       = "CoverageSweepRule"
      Effect    = "Allow"
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.this["send"].arn
      Principal = { Service = "events.amazonaws.com" }
      Condition = {
        ArnEquals    = { "aws:SourceArn" = "arn:aws:events:us-east-1:111111111111:rule/ilsptest-coverage-sweep" }
        StringEquals = { "aws:SourceAccount" = "111111111111" }
      }
    }
    error_message = "the send queue (only) accepts the sweep rule's message: ${aws_sqs_queue.this["send"].policy}"
  }

  assert {
    condition = one([for s in jsondecode(aws_kms_key.this[0].policy).Statement : s if s.Sid == "CoverageSweepSendsToQueue"]) == {
      Sid       = "CoverageSweepSendsToQueue"
      Effect    = "Allow"
      Action    = ["kms:GenerateDataKey*", "kms:Decrypt"]
      Resource  = "*"
      Principal = { Service = "events.amazonaws.com" }
      Condition = {
        ArnEquals    = { "aws:SourceArn" = "arn:aws:events:us-east-1:111111111111:rule/ilsptest-coverage-sweep" }
        StringEquals = { "aws:SourceAccount" = "111111111111" }
      }
    }
    error_message = "EventBridge may use the key for the sweep rule of this account only (the send queue is encrypted): ${aws_kms_key.this[0].policy}"
  }

  assert {
    condition     = output.coverage_queue_arn == output.queue_arn
    error_message = "coverage_queue_arn (inspector2-forwarding's) is the send queue"
  }

  assert {
    condition = alltrue([for k, a in aws_cloudwatch_metric_alarm.dlq :
      a.dimensions.QueueName == aws_sqs_queue.dlq[k].name && a.threshold == 0 && a.comparison_operator == "GreaterThanThreshold" &&
      a.alarm_actions == toset([aws_sns_topic.notifications[0].arn])
    ]) && length(aws_cloudwatch_metric_alarm.dlq) == 2
    error_message = "an alarm per DLQ notifies the notifications topic as soon as a message is there"
  }

  # --- key ---
  assert {
    condition     = aws_kms_key.this[0].enable_key_rotation && output.kms_key_arn == aws_kms_key.this[0].arn
    error_message = "the created key rotates and is the module's key"
  }

  assert {
    condition = [for s in jsondecode(aws_kms_key.this[0].policy).Statement : s.Sid] == [
      "AccountAdministers", "RegionalTopicsDeliverToQueues", "InspectorClassicPublishesThroughSns",
      "EventBridgeRulesSendToQueues", "CoverageSweepSendsToQueue", "AlarmsPublishToNotifications", "LambdaLogGroups",
    ]
    error_message = "the key policy has exactly the expected statements: ${aws_kms_key.this[0].policy}"
  }

  assert {
    condition     = !strcontains(aws_kms_key.this[0].policy, ":role/ilsptest-")
    error_message = "the key policy names no Lambda role: the account root delegates to IAM, and the roles' Key statement (with kms:ViaService) is their one grant"
  }

  assert {
    condition = one([for s in jsondecode(aws_kms_key.this[0].policy).Statement : s if s.Sid == "InspectorClassicPublishesThroughSns"]).Condition == {
      StringEquals = {
        "kms:ViaService"                         = "sns.us-east-1.amazonaws.com"
        "kms:EncryptionContext:aws:sns:topicArn" = "arn:aws:sns:us-east-1:111111111111:ilsptest-findings"
      }
    } && one([for s in jsondecode(aws_kms_key.this[0].policy).Statement : s if s.Sid == "InspectorClassicPublishesThroughSns"]).Principal == { AWS = "arn:aws:iam::316112463485:root" }
    error_message = "us-east-1's Inspector service account may use the key through SNS for the regional topic only"
  }

  # --- bucket ---
  assert {
    condition     = aws_s3_bucket.findings[0].bucket == "ilsptest-findings-111111111111" && output.bucket_arn == "arn:aws:s3:::ilsptest-findings-111111111111"
    error_message = "the bucket is <prefix>-findings-<account>"
  }

  assert {
    condition = one(aws_s3_bucket_server_side_encryption_configuration.findings[0].rule).bucket_key_enabled && one(one(aws_s3_bucket_server_side_encryption_configuration.findings[0].rule).apply_server_side_encryption_by_default) == {
      sse_algorithm = "aws:kms", kms_master_key_id = aws_kms_key.this[0].arn
    }
    error_message = "SSE-KMS with the key and a bucket key"
  }

  assert {
    condition     = aws_s3_bucket_public_access_block.findings[0].block_public_acls && aws_s3_bucket_public_access_block.findings[0].block_public_policy && aws_s3_bucket_public_access_block.findings[0].ignore_public_acls && aws_s3_bucket_public_access_block.findings[0].restrict_public_buckets && one(aws_s3_bucket_versioning.findings[0].versioning_configuration).status == "Enabled"
    error_message = "public access blocked, versioning on"
  }

  assert {
    condition = jsondecode(aws_s3_bucket_policy.findings[0].policy).Statement == [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Action    = "s3:*"
      Resource  = ["arn:aws:s3:::ilsptest-findings-111111111111/*", "arn:aws:s3:::ilsptest-findings-111111111111"]
      Principal = "*"
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
    error_message = "the bucket policy refuses requests without TLS: ${aws_s3_bucket_policy.findings[0].policy}"
  }

  assert {
    condition     = [for r in aws_s3_bucket_lifecycle_configuration.findings[0].rule : r.id] == ["findings", "coverage", "athena-results", "abort-incomplete-uploads"] && one(aws_s3_bucket_lifecycle_configuration.findings[0].rule[0].noncurrent_version_expiration).noncurrent_days == 90 && one(aws_s3_bucket_lifecycle_configuration.findings[0].rule[1].noncurrent_version_expiration).noncurrent_days == 90 && one(aws_s3_bucket_lifecycle_configuration.findings[0].rule[1].filter).prefix == "coverage/"
    error_message = "lifecycle: noncurrent versions of findings and coverage documents expire after 90 days, Athena's results after 30, incomplete uploads are aborted"
  }

  assert {
    condition     = one(aws_s3_bucket_lifecycle_configuration.findings[0].rule[2].filter).prefix == "athena-results/" && one(aws_s3_bucket_lifecycle_configuration.findings[0].rule[2].expiration).days == 30
    error_message = "query results (copies of findings) expire after athena_results_expiration_days"
  }

  # --- Athena ---
  assert {
    condition     = output.athena_database_name == "ilsptest_findings" && aws_glue_catalog_database.findings[0].name == "ilsptest_findings" && output.athena_findings_table_name == "findings" && output.athena_history_table_name == "history"
    error_message = "the Glue database is <name_prefix>_findings, with the tables findings and history"
  }

  assert {
    condition = keys(aws_glue_catalog_table.this) == ["coverage", "findings", "history", "ocsf"] && alltrue([for k, t in aws_glue_catalog_table.this :
      t.table_type == "EXTERNAL_TABLE" && t.parameters["projection.enabled"] == "true" &&
      t.parameters["projection.engine.type"] == "enum" && t.parameters["projection.engine.values"] == "inspector_classic,inspector_v2" &&
      t.parameters["projection.account_id.type"] == "enum" && t.parameters["projection.account_id.values"] == "222222222222,333333333333" &&
      t.parameters["projection.region.type"] == "enum" && t.parameters["projection.region.values"] == "us-east-1,us-west-2" &&
      t.parameters["projection.day.type"] == "date" && t.parameters["projection.day.format"] == "yyyy-MM-dd" &&
      t.parameters["projection.day.range"] == "2020-01-01,NOW" && t.parameters["projection.day.interval"] == "1" && t.parameters["projection.day.interval.unit"] == "DAYS" &&
      t.parameters["storage.location.template"] == "s3://ilsptest-findings-111111111111/${k}/engine=$${engine}/account_id=$${account_id}/region=$${region}/day=$${day}/" &&
      t.storage_descriptor[0].location == "s3://ilsptest-findings-111111111111/${k}/"
      if !contains(["coverage", "ocsf"], k)
    ])
    error_message = "findings and history: partition projection on engine, account_id (the members), region (the regions) and day, over the S3 key layout under their prefix"
  }

  assert {
    condition = alltrue([for k, t in aws_glue_catalog_table.this :
      t.storage_descriptor[0].ser_de_info[0].serialization_library == "org.openx.data.jsonserde.JsonSerDe" &&
      t.storage_descriptor[0].input_format == "org.apache.hadoop.mapred.TextInputFormat" && (k == "coverage" || (
        [for c in t.storage_descriptor[0].columns : [c.name, c.type]] == [for c in jsondecode(file("athena/findings-columns.json")).columns : [c.name, c.type]] &&
      [for c in t.partition_keys : [c.name, c.type]] == [["engine", "string"], ["account_id", "string"], ["region", "string"], ["day", "string"]]))
      if k != "ocsf"
    ])
    error_message = "the document tables read JSON (OpenX SerDe); findings and history with the columns of athena/findings-columns.json, as the Glue catalog returns them, and the S3 key's partition keys"
  }

  assert {
    condition = (output.athena_ocsf_table_name == "ocsf" && output.ocsf_location == "s3://ilsptest-findings-111111111111/ocsf/"
      && aws_glue_catalog_table.this["ocsf"].storage_descriptor[0].ser_de_info[0].serialization_library == "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
      && aws_glue_catalog_table.this["ocsf"].storage_descriptor[0].input_format == "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
      && aws_glue_catalog_table.this["ocsf"].parameters["classification"] == "parquet"
      && aws_glue_catalog_table.this["ocsf"].parameters["projection.eventDay.format"] == "yyyyMMdd"
      && [for c in aws_glue_catalog_table.this["ocsf"].storage_descriptor[0].columns : [c.name, c.type]] == [for c in jsondecode(file("athena/ocsf-columns.json")).columns : [c.name, c.type]]
    && [for c in aws_glue_catalog_table.this["ocsf"].partition_keys : [c.name, c.type]] == [["region", "string"], ["accountId", "string"], ["eventDay", "string"]])
    error_message = "the ocsf table reads Parquet with the columns of athena/ocsf-columns.json (what send-findings writes), as the Glue catalog returns them, over the Security Lake layout"
  }

  assert {
    condition = (output.athena_coverage_table_name == "coverage"
      && aws_glue_catalog_table.this["coverage"].storage_descriptor[0].location == "s3://ilsptest-findings-111111111111/coverage/"
      && aws_glue_catalog_table.this["coverage"].parameters["storage.location.template"] == "s3://ilsptest-findings-111111111111/coverage/account_id=$${account_id}/region=$${region}/"
      && aws_glue_catalog_table.this["coverage"].parameters["projection.enabled"] == "true"
      && aws_glue_catalog_table.this["coverage"].parameters["projection.account_id.values"] == "222222222222,333333333333"
      && aws_glue_catalog_table.this["coverage"].parameters["projection.region.values"] == "us-east-1,us-west-2"
      && !contains(keys(aws_glue_catalog_table.this["coverage"].parameters), "projection.day.type")
      && [for c in aws_glue_catalog_table.this["coverage"].storage_descriptor[0].columns : [c.name, c.type]] == [for c in jsondecode(file("athena/coverage-columns.json")).columns : [c.name, c.type]]
    && [for c in aws_glue_catalog_table.this["coverage"].partition_keys : [c.name, c.type]] == [["account_id", "string"], ["region", "string"]])
    error_message = "the coverage table: columns of athena/coverage-columns.json, projection on account_id and region over coverage_prefix's key layout"
  }

  assert {
    condition = (aws_athena_workgroup.findings[0].name == "ilsptest-findings" && output.athena_workgroup_name == "ilsptest-findings"
      && aws_athena_workgroup.findings[0].state == "ENABLED"
      && aws_athena_workgroup.findings[0].configuration[0].enforce_workgroup_configuration
      && aws_athena_workgroup.findings[0].configuration[0].bytes_scanned_cutoff_per_query == 10737418240
      && aws_athena_workgroup.findings[0].configuration[0].engine_version[0].selected_engine_version == "Athena engine version 3"
      && aws_athena_workgroup.findings[0].configuration[0].result_configuration[0].output_location == "s3://ilsptest-findings-111111111111/athena-results/"
      && aws_athena_workgroup.findings[0].configuration[0].result_configuration[0].expected_bucket_owner == "111111111111"
      && one(aws_athena_workgroup.findings[0].configuration[0].result_configuration[0].encryption_configuration) == {
        encryption_option = "SSE_KMS", kms_key_arn = aws_kms_key.this[0].arn
    })
    error_message = "the workgroup enforces its configuration: engine 3, a scan cutoff, results in the bucket encrypted with the module's key"
  }

  assert {
    condition = (toset(keys(aws_athena_named_query.this)) == toset(["open_findings_by_account_and_priority", "top_cves", "kev_findings_past_due", "mean_time_to_remediate_by_severity", "coverage_gaps"])
      && alltrue([for k, q in aws_athena_named_query.this :
        q.name == "ilsptest-${k}" && q.workgroup == "ilsptest-findings" && q.database == "ilsptest_findings" && q.query == file("queries/${k}.sql") && length(q.description) > 20
      ])
    && keys(output.athena_named_query_ids) == keys(aws_athena_named_query.this) && alltrue([for k, id in output.athena_named_query_ids : id == aws_athena_named_query.this[k].id]))
    error_message = "one named query per queries/*.sql, in the workgroup and database, its first line as description"
  }

  assert {
    condition = { for s in jsondecode(output.athena_query_policy_json).Statement : s.Sid => s.Resource } == {
      Workgroup = "arn:aws:athena:us-east-1:111111111111:workgroup/ilsptest-findings"
      Catalog = [
        "arn:aws:glue:us-east-1:111111111111:table/ilsptest_findings/*",
        "arn:aws:glue:us-east-1:111111111111:database/ilsptest_findings",
        "arn:aws:glue:us-east-1:111111111111:catalog",
      ]
      ListTheStore = "arn:aws:s3:::ilsptest-findings-111111111111"
      ReadTheStore = ["arn:aws:s3:::ilsptest-findings-111111111111/ocsf/*", "arn:aws:s3:::ilsptest-findings-111111111111/history/*", "arn:aws:s3:::ilsptest-findings-111111111111/findings/*", "arn:aws:s3:::ilsptest-findings-111111111111/coverage/*"]
      QueryResults = "arn:aws:s3:::ilsptest-findings-111111111111/athena-results/*"
      KeyThroughS3 = aws_kms_key.this[0].arn
    } && one([for s in jsondecode(output.athena_query_policy_json).Statement : s.Condition if s.Sid == "KeyThroughS3"]) == { StringEquals = { "kms:ViaService" = "s3.us-east-1.amazonaws.com" } }
    error_message = "the queriers' policy names exactly the workgroup, the catalog entries, the store's prefixes, the results and the key through S3: ${output.athena_query_policy_json}"
  }

  # --- dedupe table ---
  assert {
    condition     = aws_dynamodb_table.dedupe[0].hash_key == "pk" && aws_dynamodb_table.dedupe[0].billing_mode == "PAY_PER_REQUEST" && one(aws_dynamodb_table.dedupe[0].ttl) == { attribute_name = "expires_at", enabled = true } && one(aws_dynamodb_table.dedupe[0].point_in_time_recovery).enabled && one(aws_dynamodb_table.dedupe[0].server_side_encryption) == { enabled = true, kms_key_arn = aws_kms_key.this[0].arn }
    error_message = "dedupe table: pk, TTL on expires_at, on demand, PITR, SSE with the key"
  }

  # --- notifications ---
  assert {
    condition     = aws_sns_topic.notifications[0].kms_master_key_id == aws_kms_key.this[0].arn && output.notifications_topic_arn == "arn:aws:sns:us-east-1:111111111111:ilsptest-notifications"
    error_message = "the notifications topic is created and encrypted with the key"
  }

  assert {
    condition = {
      for k, s in aws_sns_topic_subscription.notifications : k => [s.protocol, s.endpoint, s.filter_policy == "" ? null : jsondecode(s.filter_policy)]
      } == {
      "email secops@example.com"                   = ["email", "secops@example.com", null]
      "email oncall@example.com"                   = ["email", "oncall@example.com", { severity_rank = [{ numeric = [">=", 3] }, { exists = false }] }]
      "http https://tickets.example.com/inspector" = ["https", "https://tickets.example.com/inspector", { account_id = ["222222222222"], severity_rank = [{ numeric = [">=", 4] }, { exists = false }] }]
    }
    error_message = "subscribers: protocol from the list, min_severity as a severity_rank filter merged with the custom filter"
  }

  # --- Lambdas ---
  assert {
    condition = alltrue([for f in [aws_lambda_function.send[0], aws_lambda_function.notify[0]] :
      f.runtime == "provided.al2023" && f.handler == "bootstrap" && f.architectures == tolist(["x86_64"]) && f.kms_key_arn == aws_kms_key.this[0].arn && f.timeout == 60 && f.memory_size == 256
    ])
    error_message = "both functions: provided.al2023, bootstrap, x86_64, environment encrypted with the key: ${jsonencode([for f in [aws_lambda_function.send[0], aws_lambda_function.notify[0]] : [f.runtime, f.handler, f.architectures, f.kms_key_arn, f.timeout, f.memory_size]])}"
  }

  assert {
    condition = aws_lambda_function.send[0].environment[0].variables == tomap({
      FINDINGS_BUCKET           = "ilsptest-findings-111111111111"
      FINDINGS_PREFIX           = "findings"
      HISTORY_PREFIX            = "history"
      COVERAGE_PREFIX           = "coverage"
      FINDINGS_KMS_KEY_ARN      = aws_kms_key.this[0].arn
      MEMBER_ROLE_NAME          = "ilsptest-read"
      MEMBER_ROLE_EXTERNAL_ID   = "ilsptest-external-id"
      OPENSEARCH_ENDPOINT       = "https://search-findings.us-east-1.es.amazonaws.com"
      OPENSEARCH_SERVICE        = "es"
      OPENSEARCH_COVERAGE_INDEX = "ilsptest-coverage"
      OCSF_BUCKET               = "ilsptest-findings-111111111111"
      OCSF_PREFIX               = "ocsf"
      OCSF_KMS_KEY_ARN          = aws_kms_key.this[0].arn
      DEAD_LETTER_QUEUE_URL     = "https://sqs.us-east-1.amazonaws.com/111111111111/ilsptest-send-findings-dlq"
      MAX_RECEIVE_COUNT         = "5"
    })
    error_message = "send-findings' environment follows functions/send-findings/README.md"
  }

  assert {
    condition = aws_lambda_function.notify[0].environment[0].variables == tomap({
      NOTIFICATIONS_TOPIC_ARN = "arn:aws:sns:us-east-1:111111111111:ilsptest-notifications"
      NOTIFY_MIN_SEVERITY     = "MEDIUM"
      DEDUPE_TABLE            = "ilsptest-notify-dedupe"
      DEAD_LETTER_QUEUE_URL   = "https://sqs.us-east-1.amazonaws.com/111111111111/ilsptest-notify-findings-dlq"
      MAX_RECEIVE_COUNT       = "5"
      DEDUPE_TTL_DAYS         = "30"
      MEMBER_ROLE_NAME        = "ilsptest-read"
      MEMBER_ROLE_EXTERNAL_ID = "ilsptest-external-id"
    })
    error_message = "notify-findings' environment follows the interface"
  }

  assert {
    condition     = aws_lambda_function.send[0].reserved_concurrent_executions == 10 && aws_lambda_function.notify[0].reserved_concurrent_executions == 5
    error_message = "reserved concurrency defaults"
  }

  assert {
    condition = alltrue([for k, m in aws_lambda_event_source_mapping.this :
      m.event_source_arn == aws_sqs_queue.this[k].arn && m.batch_size == 10 && m.maximum_batching_window_in_seconds == 5 && m.function_response_types == toset(["ReportBatchItemFailures"])
    ]) && aws_lambda_event_source_mapping.this["send"].function_name == aws_lambda_function.send[0].arn
    error_message = "each queue triggers its function with partial batch responses"
  }

  assert {
    condition     = alltrue([for g in aws_cloudwatch_log_group.lambda : g.retention_in_days == 365 && g.kms_key_id == aws_kms_key.this[0].arn]) && aws_cloudwatch_log_group.lambda["send"].name == "/aws/lambda/ilsptest-send-findings"
    error_message = "log groups: retention and KMS"
  }

  # --- IAM ---
  assert {
    condition = alltrue([for r in [aws_iam_role.send[0], aws_iam_role.notify[0]] : jsondecode(r.assume_role_policy).Statement == [{
      Sid       = "LambdaOfThisAccount"
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "lambda.amazonaws.com" }
      Condition = { StringEquals = { "aws:SourceAccount" = "111111111111" } }
    }]])
    error_message = "the roles trust Lambda of this account only"
  }

  assert {
    condition = { for s in jsondecode(aws_iam_role_policy.send[0].policy).Statement : s.Sid => [s.Action, s.Resource] if !contains(["CoverageObjects", "CoverageListing", "InspectorCoverage", "CoverageSweepPages"], s.Sid) } == {
      OwnLogGroup             = [["logs:PutLogEvents", "logs:CreateLogStream"], "arn:aws:logs:us-east-1:111111111111:log-group:/aws/lambda/ilsptest-send-findings:*"]
      OwnQueue                = [["sqs:ReceiveMessage", "sqs:GetQueueAttributes", "sqs:DeleteMessage"], "arn:aws:sqs:us-east-1:111111111111:ilsptest-send-findings"]
      Key                     = [["kms:GenerateDataKey", "kms:Decrypt"], aws_kms_key.this[0].arn]
      MemberReadRoles         = ["sts:AssumeRole", ["arn:aws:iam::333333333333:role/ilsptest-read", "arn:aws:iam::222222222222:role/ilsptest-read"]]
      InspectorFindingDetails = ["inspector2:BatchGetFindingDetails", "*"]
      FindingObjects          = [["s3:PutObject", "s3:GetObject"], ["arn:aws:s3:::ilsptest-findings-111111111111/history/*", "arn:aws:s3:::ilsptest-findings-111111111111/findings/*"]]
      OpenSearchDomainWrites  = [["es:ESHttpPut", "es:ESHttpPost"], "arn:aws:es:us-east-1:111111111111:domain/findings/*"]
      OcsfObjects             = ["s3:PutObject", "arn:aws:s3:::ilsptest-findings-111111111111/ocsf/*"]
      DeadLetterQueue         = ["sqs:SendMessage", "arn:aws:sqs:us-east-1:111111111111:ilsptest-send-findings-dlq"]
    }
    error_message = "send-findings' role: exactly its log group, queue, dead-letter queue, key, member roles, finding details, bucket prefixes (findings, history, OCSF) and domain: ${aws_iam_role_policy.send[0].policy}"
  }

  assert {
    condition = { for s in jsondecode(aws_iam_role_policy.send[0].policy).Statement : s.Sid => [toset(flatten([s.Action])), s.Resource, try(s.Condition, null)]
      if contains(["CoverageObjects", "CoverageListing", "InspectorCoverage", "CoverageSweepPages"], s.Sid) } == {
      CoverageObjects    = [toset(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]), "arn:aws:s3:::ilsptest-findings-111111111111/coverage/*", null]
      CoverageListing    = [toset(["s3:ListBucket"]), "arn:aws:s3:::ilsptest-findings-111111111111", { StringLike = { "s3:prefix" = ["coverage/*", "coverage/"] } }]
      InspectorCoverage  = [toset(["inspector2:ListCoverage"]), "*", null]
      CoverageSweepPages = [toset(["sqs:GetQueueUrl", "sqs:SendMessage"]), "arn:aws:sqs:us-east-1:111111111111:ilsptest-send-findings", null]
    }
    error_message = "send-findings' role for coverage: the documents under coverage_prefix (read, write, delete), listing that prefix only, ListCoverage, and its own queue for the sweep's pages: ${aws_iam_role_policy.send[0].policy}"
  }

  assert {
    condition = { for s in jsondecode(aws_iam_role_policy.notify[0].policy).Statement : s.Sid => [s.Action, s.Resource] } == {
      OwnLogGroup             = [["logs:PutLogEvents", "logs:CreateLogStream"], "arn:aws:logs:us-east-1:111111111111:log-group:/aws/lambda/ilsptest-notify-findings:*"]
      OwnQueue                = [["sqs:ReceiveMessage", "sqs:GetQueueAttributes", "sqs:DeleteMessage"], "arn:aws:sqs:us-east-1:111111111111:ilsptest-notify-findings"]
      Key                     = [["kms:GenerateDataKey", "kms:Decrypt"], aws_kms_key.this[0].arn]
      MemberReadRoles         = ["sts:AssumeRole", ["arn:aws:iam::333333333333:role/ilsptest-read", "arn:aws:iam::222222222222:role/ilsptest-read"]]
      InspectorFindingDetails = ["inspector2:BatchGetFindingDetails", "*"]
      PublishNotifications    = ["sns:Publish", "arn:aws:sns:us-east-1:111111111111:ilsptest-notifications"]
      DeadLetterQueue         = ["sqs:SendMessage", "arn:aws:sqs:us-east-1:111111111111:ilsptest-notify-findings-dlq"]
      DedupeTable             = [["dynamodb:UpdateItem", "dynamodb:PutItem", "dynamodb:DeleteItem"], "arn:aws:dynamodb:us-east-1:111111111111:table/ilsptest-notify-dedupe"]
    }
    error_message = "notify-findings' role: exactly its log group, queue, key, member roles, finding details, topic, table and dead-letter queue: ${aws_iam_role_policy.notify[0].policy}"
  }

  assert {
    condition = alltrue([for p in [aws_iam_role_policy.send[0], aws_iam_role_policy.notify[0]] :
      toset(one([for s in jsondecode(p.policy).Statement : s.Condition.StringEquals["kms:ViaService"] if s.Sid == "Key"])) == toset([
        "lambda.us-east-1.amazonaws.com", "sqs.us-east-1.amazonaws.com", "s3.us-east-1.amazonaws.com",
        "sns.us-east-1.amazonaws.com", "dynamodb.us-east-1.amazonaws.com",
    ])])
    error_message = "the roles use the key only through the services, as the key policy says (its account-root statement would otherwise let an unconditioned grant bypass that)"
  }

  assert {
    condition     = output.send_findings_role_arn == "arn:aws:iam::111111111111:role/ilsptest-send-findings" && output.notify_findings_role_arn == "arn:aws:iam::111111111111:role/ilsptest-notify-findings"
    error_message = "role ARN outputs (member-account's central_role_arns)"
  }

  # --- Security Hub ---
  assert {
    condition     = aws_securityhub_product_subscription.inspector[0].product_arn == "arn:aws:securityhub:us-east-1::product/aws/inspector"
    error_message = "Security Hub subscribes to Inspector's findings"
  }
}

# Planned over what "complete" applied, so the policies and environments are known.
# Two teams' routing: team A's HIGH and above to its Slack, KEV to everyone's Teams (a secret
# of the landing zone's own), everything else to a digest topic every morning.
run "routing_rules_and_chat_destinations" {
  variables {
    opensearch_coverage_index = "ilsptest-coverage"
    coverage_sweep_regions    = ["us-east-1", "us-west-2"]
    ocsf_output               = {}
    notification_report_url   = "https://reports.example.com/inspector"

    notification_destinations = {
      team-a-slack = { type = "slack" }
      all-teams    = { type = "teams", secret_arn = "arn:aws:secretsmanager:us-east-1:111111111111:secret:landing-zone/teams-AbCdEf" }
      digest       = { type = "topic", topic_arn = "arn:aws:sns:us-east-1:111111111111:ilsptest-digest" }
      jira         = { type = "jira", jira = { url = "https://acme.atlassian.net", email = "bot@example.com", project_key = "SEC" } }
    }
    notification_rules = [
      { name = "team-a-high", min_severity = "HIGH", resource_tags = { team = ["a"] }, destinations = ["team-a-slack", "jira"], jira_ticket_per = "vulnerability" },
      { name = "kev", kev = true, destinations = ["all-teams", "notifications"] },
      { name = "everything-else", otherwise = true, destinations = ["digest"], digest_schedule = "cron(0 8 * * ? *)" },
    ]
    notification_secret_recovery_window_in_days = 0
  }

  assert {
    condition = (aws_secretsmanager_secret.destination["team-a-slack"].name == "ilsptest/notify/team-a-slack"
      && aws_secretsmanager_secret.destination["team-a-slack"].kms_key_id == aws_kms_key.this[0].arn
    && keys(aws_secretsmanager_secret.destination) == ["jira", "team-a-slack"])
    error_message = "a secret (without a value, encrypted with the module's key) for the Slack and Jira destinations: the Teams one is given"
  }

  assert {
    condition = output.notification_secret_arns == {
      jira         = aws_secretsmanager_secret.destination["jira"].arn
      team-a-slack = aws_secretsmanager_secret.destination["team-a-slack"].arn
      all-teams    = "arn:aws:secretsmanager:us-east-1:111111111111:secret:landing-zone/teams-AbCdEf"
    }
    error_message = "the output names each chat destination's secret"
  }

  assert {
    condition = jsondecode(aws_lambda_function.notify[0].environment[0].variables.NOTIFY_RULES) == {
      rules = [
        { name = "team-a-high", min_severity = "HIGH", resource_tags = { team = ["a"] }, destinations = ["team-a-slack", "jira"], jira_ticket_per = "vulnerability" },
        { name = "kev", kev = true, destinations = ["all-teams", "notifications"] },
        { name = "everything-else", otherwise = true, destinations = ["digest"], digest_schedule = "cron(0 8 * * ? *)" },
      ]
      destinations = {
        team-a-slack = { type = "slack", secret_arn = aws_secretsmanager_secret.destination["team-a-slack"].arn }
        all-teams    = { type = "teams", secret_arn = "arn:aws:secretsmanager:us-east-1:111111111111:secret:landing-zone/teams-AbCdEf" }
        digest       = { type = "topic", topic_arn = "arn:aws:sns:us-east-1:111111111111:ilsptest-digest" }
        jira = {
          type        = "jira", secret_arn = aws_secretsmanager_secret.destination["jira"].arn, url = "https://acme.atlassian.net", email = "bot@example.com",
          project_key = "SEC", issue_type = "Bug", done_transition = "Done", reopen_transition = "To Do"
        }
      }
    }
    error_message = "NOTIFY_RULES carries the rules in order, without the conditions left out, and each destination's topic or secret"
  }

  assert {
    condition = alltrue([for k, f in { send = aws_lambda_function.send[0], notify = aws_lambda_function.notify[0] } :
      endswith(f.environment[0].variables.DEAD_LETTER_QUEUE_URL, "/111111111111/${aws_sqs_queue.dlq[k].name}")
      && f.environment[0].variables.MAX_RECEIVE_COUNT == "5"
      && one([for s in jsondecode(data.aws_iam_policy_document.lambda_common[k].json).Statement : s.Resource if s.Sid == "DeadLetterQueue"]) == aws_sqs_queue.dlq[k].arn
    ])
    error_message = "each function moves a record failing its last receive to its own DLQ itself, with the reason"
  }

  assert {
    condition = (!contains(keys(aws_lambda_function.notify[0].environment[0].variables), "NOTIFY_MIN_SEVERITY")
    && aws_lambda_function.notify[0].environment[0].variables.NOTIFY_REPORT_URL == "https://reports.example.com/inspector")
    error_message = "with rules, no threshold of its own (notify-findings refuses both); the report link is passed on"
  }

  assert {
    condition = (one([for s in jsondecode(data.aws_iam_policy_document.notify[0].json).Statement : toset(s.Resource) if s.Sid == "DestinationSecrets"]) == toset([
      aws_secretsmanager_secret.destination["team-a-slack"].arn,
      aws_secretsmanager_secret.destination["jira"].arn,
      "arn:aws:secretsmanager:us-east-1:111111111111:secret:landing-zone/teams-AbCdEf",
      ])
      && one([for s in jsondecode(data.aws_iam_policy_document.notify[0].json).Statement : s.Condition if s.Sid == "DestinationSecretsKey"]) == { StringEquals = { "kms:ViaService" = "secretsmanager.us-east-1.amazonaws.com" } }
      && contains(one([for s in jsondecode(data.aws_iam_policy_document.notify[0].json).Statement : s.Resource if s.Sid == "PublishNotifications"]), "arn:aws:sns:us-east-1:111111111111:ilsptest-digest")
    )
    error_message = "notify-findings reads exactly the destinations' secrets, decrypts through Secrets Manager only, and publishes to the topic destinations"
  }

  # --- the digest of "everything-else" ---
  assert {
    condition = (aws_dynamodb_table.digests[0].name == "ilsptest-notify-digests" && aws_dynamodb_table.digests[0].hash_key == "rule" && aws_dynamodb_table.digests[0].range_key == "entry"
      && aws_dynamodb_table.digests[0].server_side_encryption[0].kms_key_arn == aws_kms_key.this[0].arn
    && aws_lambda_function.notify[0].environment[0].variables.DIGEST_TABLE == "ilsptest-notify-digests")
    error_message = "a digest table (rule, entry; the module's key) that notify-findings is told of"
  }

  assert {
    condition = (aws_cloudwatch_event_rule.digest["everything-else"].schedule_expression == "cron(0 8 * * ? *)"
      && aws_cloudwatch_event_target.digest["everything-else"].arn == aws_sqs_queue.this["notify"].arn
      && aws_cloudwatch_event_target.digest["everything-else"].input_transformer[0].input_paths == tomap({ time = "$.time" })
      && jsondecode(replace(aws_cloudwatch_event_target.digest["everything-else"].input_transformer[0].input_template, "<time>", "2026-12-04T08:00:00Z")) == {
        inspectorlink = "digest", rule = "everything-else", scheduled_at = "2026-12-04T08:00:00Z"
    } && keys(aws_cloudwatch_event_rule.digest) == ["everything-else"])
    error_message = "the digest rule's schedule puts a digest request with the schedule's time on the notify queue"
  }

  assert {
    condition = (one([for s in jsondecode(aws_sqs_queue.this["notify"].policy).Statement : s.Condition if s.Sid == "DigestSchedules"]) == {
      ArnEquals    = { "aws:SourceArn" = aws_cloudwatch_event_rule.digest["everything-else"].arn }
      StringEquals = { "aws:SourceAccount" = "111111111111" }
      } && one([for s in jsondecode(aws_kms_key.this[0].policy).Statement : s.Condition if s.Sid == "DigestSchedulesSendToQueue"]) == {
      ArnEquals    = { "aws:SourceArn" = aws_cloudwatch_event_rule.digest["everything-else"].arn }
      StringEquals = { "aws:SourceAccount" = "111111111111" }
      } && one([for s in jsondecode(data.aws_iam_policy_document.notify[0].json).Statement : s if s.Sid == "DigestTable"]).Resource == aws_dynamodb_table.digests[0].arn
    && !contains([for s in jsondecode(aws_sqs_queue.this["send"].policy).Statement : s.Sid], "DigestSchedules"))
    error_message = "the schedule may send (and use the key) to the notify queue only; notify-findings may use the digest table"
  }
}

# A rule naming a destination nobody defined: refused before anything is built.
run "rejects_a_rule_sending_nowhere" {
  command   = plan
  state_key = "bad"

  variables {
    notification_rules = [{ name = "kev", kev = true, destinations = ["pager"] }]
  }

  expect_failures = [aws_lambda_function.notify]
}

# Tickets follow findings one by one: a digest cannot go to Jira; nor an API token over plain HTTP.
run "rejects_a_digest_to_jira_and_plain_http_jira" {
  command   = plan
  state_key = "bad"

  variables {
    notification_destinations = {
      jira = { type = "jira", jira = { url = "http://jira.internal", email = "bot@example.com", project_key = "SEC" } }
    }
    notification_rules = [{ name = "daily", destinations = ["jira"], digest_schedule = "rate(1 day)" }]
  }

  expect_failures = [aws_lambda_function.notify]
}

# Lambda's 4 KB of environment: too many rules are refused at plan, not by the Lambda API.
run "rejects_rules_over_lambdas_environment_limit" {
  command   = plan
  state_key = "bad"

  variables {
    notification_rules = [for i in range(40) : {
      name = "team-${i}", resource_tags = { team = ["team-${i}"] }, min_severity = "HIGH", destinations = ["notifications"]
    }]
  }

  expect_failures = [aws_lambda_function.notify]
}

run "rejects_bad_routing_rules" {
  command   = plan
  state_key = "bad"

  variables {
    notification_rules = [
      { name = "dup", destinations = ["nowhere"], min_severity = "SEVERE", priorities = ["P0"], min_epss = 7,
      accounts = ["12345"], resource_types = ["EC2"], resource_tags = { team = [] }, digest_schedule = "daily", jira_ticket_per = "cve" },
      { name = "dup", destinations = [] },
    ]
    notification_report_url                     = "http://reports.example.com"
    notification_secret_recovery_window_in_days = 3
  }

  expect_failures = [var.notification_rules, var.notification_report_url, var.notification_secret_recovery_window_in_days]
}

# Checked apart from the rules: a rule's destinations are checked against these.
run "rejects_bad_notification_destinations" {
  command   = plan
  state_key = "bad"

  variables {
    notification_destinations = {
      notifications = { type = "topic", topic_arn = "arn:aws:sns:us-east-1:111111111111:x" }
      pager         = { type = "pagerduty" }
      slack         = { type = "slack", topic_arn = "arn:aws:sns:us-east-1:111111111111:x" }
      teams         = { type = "teams", secret_arn = "my-secret" }
      jira          = { type = "jira", jira = { url = "acme.atlassian.net", email = "bot", project_key = "sec" } }
      slack-jira    = { type = "slack", jira = { url = "https://acme.atlassian.net", email = "bot@example.com", project_key = "SEC" } }
    }
  }

  expect_failures = [var.notification_destinations]
}

run "inspector2_estate_without_member_roles" {
  command = plan

  variables {
    opensearch_coverage_index = "ilsptest-coverage"
    coverage_sweep_regions    = ["us-east-1", "us-west-2"]
    ocsf_output               = {}
    member_roles              = false
  }

  assert {
    condition = alltrue([for document in [data.aws_iam_policy_document.send[0], data.aws_iam_policy_document.notify[0]] :
      length([for s in jsondecode(document.json).Statement : s if s.Action == "sts:AssumeRole" || contains(try(tolist(s.Action), []), "sts:AssumeRole")]) == 0
    ])
    error_message = "without member roles, neither Lambda may assume a role"
  }

  assert {
    condition = alltrue([for f in [aws_lambda_function.send[0], aws_lambda_function.notify[0]] :
      length([for k in keys(f.environment[0].variables) : k if startswith(k, "MEMBER_ROLE_")]) == 0
    ]) && output.member_role_name == null
    error_message = "without member roles, the Lambdas are told of none"
  }
}

# A landing zone's own key, bucket and topics: nothing of those is created, and everything
# that used the module's own now uses the given ones.
run "given_resources" {
  command   = plan
  state_key = "given"

  variables {
    kms_key_arn             = "arn:aws:kms:us-east-1:111111111111:key/00000000-0000-0000-0000-000000000001"
    bucket_name             = "landing-zone-logs"
    findings_prefix         = "inspector/findings"
    notifications_topic_arn = "arn:aws:sns:us-east-1:111111111111:landing-zone-notifications"
    alarm_topic_arn         = "arn:aws:sns:us-east-1:111111111111:landing-zone-alarms"
    permissions_boundary    = "arn:aws:iam::111111111111:policy/landing-zone-boundary"
    opensearch_endpoint     = null
    opensearch_arn          = null
    enable_security_hub     = false
    notify_min_priority     = "P2"
  }

  assert {
    condition     = aws_lambda_function.notify[0].environment[0].variables.NOTIFY_MIN_PRIORITY == "P2"
    error_message = "notify_min_priority reaches notify-findings as NOTIFY_MIN_PRIORITY"
  }

  assert {
    condition     = length(aws_kms_key.this) == 0 && length(aws_s3_bucket.findings) == 0 && length(aws_sns_topic.notifications) == 0 && length(aws_securityhub_account.this) == 0
    error_message = "no key, bucket, notifications topic or Security Hub when given or not asked for"
  }

  assert {
    condition     = alltrue([for q in aws_sqs_queue.this : q.kms_master_key_id == "arn:aws:kms:us-east-1:111111111111:key/00000000-0000-0000-0000-000000000001"]) && aws_lambda_function.send[0].kms_key_arn == var.kms_key_arn
    error_message = "the given key encrypts the queues and the environment"
  }

  assert {
    condition     = aws_lambda_function.send[0].environment[0].variables.FINDINGS_BUCKET == "landing-zone-logs" && aws_lambda_function.send[0].environment[0].variables.FINDINGS_PREFIX == "inspector/findings" && !contains(keys(aws_lambda_function.send[0].environment[0].variables), "OPENSEARCH_ENDPOINT")
    error_message = "send-findings writes to the given bucket and prefix, and indexes nothing without an endpoint"
  }

  assert {
    condition     = toset(one([for s in jsondecode(data.aws_iam_policy_document.send[0].json).Statement : s.Resource if s.Sid == "FindingObjects"])) == toset(["arn:aws:s3:::landing-zone-logs/inspector/findings/*", "arn:aws:s3:::landing-zone-logs/history/*"])
    error_message = "send-findings may write under the findings and history prefixes of the given bucket only"
  }

  assert {
    condition     = jsondecode(aws_cloudwatch_event_target.coverage_sweep[0].input) == { inspectorlink = "coverage-sweep", regions = ["us-east-1"] } && aws_lambda_function.send[0].environment[0].variables.COVERAGE_PREFIX == "coverage" && !contains(keys(aws_lambda_function.send[0].environment[0].variables), "OPENSEARCH_COVERAGE_INDEX")
    error_message = "without coverage_sweep_regions the sweep lists this region; no coverage index without an endpoint"
  }

  assert {
    condition     = one([for s in jsondecode(data.aws_iam_policy_document.send[0].json).Statement : s.Resource if s.Sid == "CoverageObjects"]) == "arn:aws:s3:::landing-zone-logs/coverage/*"
    error_message = "send-findings keeps coverage documents under the coverage prefix of the given bucket"
  }

  assert {
    condition     = aws_lambda_function.notify[0].environment[0].variables.NOTIFICATIONS_TOPIC_ARN == var.notifications_topic_arn && alltrue([for a in aws_cloudwatch_metric_alarm.dlq : a.alarm_actions == toset([var.alarm_topic_arn])])
    error_message = "notify-findings publishes to the given topic; alarms go to the given alarm topic"
  }

  assert {
    condition     = aws_iam_role.send[0].permissions_boundary == var.permissions_boundary && aws_iam_role.notify[0].permissions_boundary == var.permissions_boundary
    error_message = "the permissions boundary is set on both roles"
  }

  assert {
    condition     = alltrue([for k, s in aws_sns_topic_subscription.notifications : s.topic_arn == var.notifications_topic_arn])
    error_message = "the subscribers are added to the given topic"
  }
}

# Planned only: the local AWS's OpenSearch domains keep the aws provider waiting for its
# full create and delete timeouts.
run "opensearch_domain_created" {
  command   = plan
  state_key = "opensearch"

  variables {
    kms_key_arn                = "arn:aws:kms:us-east-1:111111111111:key/00000000-0000-0000-0000-000000000001"
    opensearch_endpoint        = null
    opensearch_arn             = null
    create_opensearch_domain   = true
    opensearch_master_user_arn = "arn:aws:iam::111111111111:role/search-admin"
  }

  assert {
    condition     = aws_opensearch_domain.this[0].domain_name == "ilsptest-findings" && output.opensearch_arn == "arn:aws:es:us-east-1:111111111111:domain/ilsptest-findings"
    error_message = "the domain is <name_prefix>-findings"
  }

  assert {
    condition = (aws_opensearch_domain.this[0].encrypt_at_rest[0].enabled && aws_opensearch_domain.this[0].encrypt_at_rest[0].kms_key_id == var.kms_key_arn
      && aws_opensearch_domain.this[0].node_to_node_encryption[0].enabled && aws_opensearch_domain.this[0].domain_endpoint_options[0].enforce_https
    && aws_opensearch_domain.this[0].domain_endpoint_options[0].tls_security_policy == "Policy-Min-TLS-1-2-2019-07")
    error_message = "encrypted at rest with the key, node-to-node TLS, HTTPS only with TLS 1.2"
  }

  assert {
    condition = (aws_opensearch_domain.this[0].advanced_security_options[0].enabled && !aws_opensearch_domain.this[0].advanced_security_options[0].internal_user_database_enabled
    && aws_opensearch_domain.this[0].advanced_security_options[0].master_user_options[0].master_user_arn == "arn:aws:iam::111111111111:role/search-admin")
    error_message = "fine-grained access control with the IAM master user"
  }
}

run "athena_off_and_given_partitions" {
  command   = plan
  state_key = "given"

  variables {
    kms_key_arn                           = "arn:aws:kms:us-east-1:111111111111:key/00000000-0000-0000-0000-000000000001"
    athena_account_ids                    = ["222222222222", "333333333333", "444444444444"]
    athena_regions                        = ["eu-west-1"]
    athena_first_day                      = "2016-05-01"
    athena_bytes_scanned_cutoff_per_query = null
    athena_results_expiration_days        = null
  }

  assert {
    condition = (aws_glue_catalog_table.this["findings"].parameters["projection.account_id.values"] == "222222222222,333333333333,444444444444"
      && aws_glue_catalog_table.this["history"].parameters["projection.region.values"] == "eu-west-1"
      && aws_glue_catalog_table.this["findings"].parameters["projection.day.range"] == "2016-05-01,NOW"
    && aws_athena_workgroup.findings[0].configuration[0].bytes_scanned_cutoff_per_query == null)
    error_message = "athena_account_ids, athena_regions and athena_first_day set the projection; no cutoff when null"
  }

  assert {
    condition     = [for r in aws_s3_bucket_lifecycle_configuration.findings[0].rule : r.id] == ["findings", "coverage", "abort-incomplete-uploads"]
    error_message = "athena_results_expiration_days = null keeps the results"
  }
}

run "athena_off" {
  command   = plan
  state_key = "off"

  variables {
    create_athena = false
  }

  assert {
    condition = (length(aws_glue_catalog_database.findings) == 0 && length(aws_glue_catalog_table.this) == 0 && length(aws_athena_workgroup.findings) == 0
      && length(aws_athena_named_query.this) == 0 && output.athena_database_name == null && output.athena_named_query_ids == {}
    && length(aws_lambda_function.send) == 1)
    error_message = "create_athena = false: no database, tables, workgroup or named queries; the rest as before"
  }
}

run "rejects_bad_athena_inputs" {
  command   = plan
  state_key = "bad"

  variables {
    athena_database_name                  = "Findings-DB"
    athena_account_ids                    = ["2222"]
    athena_regions                        = []
    athena_first_day                      = "2020-13-01"
    athena_results_prefix                 = "/results/"
    athena_results_expiration_days        = 0
    athena_bytes_scanned_cutoff_per_query = 1000
  }

  expect_failures = [
    var.athena_database_name, var.athena_account_ids, var.athena_regions, var.athena_first_day,
    var.athena_results_prefix, var.athena_results_expiration_days, var.athena_bytes_scanned_cutoff_per_query,
  ]
}

run "rejects_athena_results_inside_the_findings" {
  command   = plan
  state_key = "bad"

  variables {
    athena_results_prefix = "findings/athena"
  }

  expect_failures = [aws_athena_workgroup.findings]
}

run "create_false_creates_nothing" {
  command   = plan
  state_key = "off"

  variables {
    create = false
  }

  assert {
    condition     = length(aws_sqs_queue.this) == 0 && length(aws_kms_key.this) == 0 && length(aws_lambda_function.send) == 0 && length(aws_sns_topic_subscription.notifications) == 0 && length(aws_athena_workgroup.findings) == 0 && length(aws_glue_catalog_table.this) == 0 && output.queue_arn == null && output.send_findings_role_arn == null
    error_message = "create = false plans nothing"
  }
}

run "rejects_bad_inputs" {
  command   = plan
  state_key = "bad"

  variables {
    regions               = ["useast1"]
    member_account_ids    = []
    notify_min_severity   = "SEVERE"
    notify_min_priority   = "HIGH"
    notification_emails   = [{ endpoint = "not-an-address", min_severity = "URGENT", filter_policy = "[1]" }]
    opensearch_endpoint   = "http://plain.example.com/path"
    log_retention_in_days = 42
    eventbridge_rule_arns = ["arn:aws:events:*:*:rule/ilsptest-inspector2-findings"]

    coverage_prefix           = "/coverage/"
    coverage_sweep_schedule   = "every day"
    coverage_sweep_regions    = ["us-east-1", "us-east-1"]
    opensearch_coverage_index = "Inspector-Coverage"
  }

  expect_failures = [
    var.regions, var.member_account_ids, var.notify_min_severity, var.notify_min_priority, var.notification_emails,
    var.opensearch_endpoint, var.log_retention_in_days, var.eventbridge_rule_arns,
    var.coverage_prefix, var.coverage_sweep_schedule, var.coverage_sweep_regions, var.opensearch_coverage_index,
  ]
}

# Failed messages keep their first enqueue time in the DLQ: retention as long as the DLQ's
# would let them expire on arrival. Reserved concurrency 1 cannot cap the mapping (2-1000).
run "rejects_a_queue_retention_the_dlq_cannot_outlast" {
  command   = plan
  state_key = "bad"

  variables {
    message_retention_seconds          = 1209600
    send_findings_reserved_concurrency = 1
  }

  expect_failures = [var.message_retention_seconds, var.send_findings_reserved_concurrency]
}

run "no_coverage_sweep_without_a_schedule" {
  command   = plan
  state_key = "nosweep"

  variables {
    coverage_sweep_schedule = null
  }

  assert {
    condition = (length(aws_cloudwatch_event_rule.coverage_sweep) == 0 && length(aws_cloudwatch_event_target.coverage_sweep) == 0 && output.coverage_sweep_rule_arn == null
    && !contains([for s in jsondecode(data.aws_iam_policy_document.queue["send"].json).Statement : s.Sid], "CoverageSweepRule"))
    error_message = "coverage_sweep_schedule = null: no sweep rule, and the send queue's policy does not name it"
  }
}

run "rejects_a_coverage_prefix_inside_the_history" {
  command   = plan
  state_key = "bad"

  variables {
    coverage_prefix = "history/coverage"
  }

  expect_failures = [aws_lambda_function.send]
}

run "rejects_the_findings_index_for_coverage" {
  command   = plan
  state_key = "bad"

  variables {
    opensearch_index          = "inspector"
    opensearch_coverage_index = "inspector"
  }

  expect_failures = [aws_lambda_function.send]
}

run "rejects_a_history_prefix_inside_the_findings" {
  command   = plan
  state_key = "bad"

  variables {
    findings_prefix = "inspector"
    history_prefix  = "inspector/history"
  }

  expect_failures = [aws_lambda_function.send]
}

run "plain_http_subscribers_need_the_opt_in" {
  command   = plan
  state_key = "bad"

  variables {
    notification_http_endpoints = [{ endpoint = "http://tickets.internal/inspector" }]
  }

  expect_failures = [aws_sns_topic_subscription.notifications]
}

run "plain_http_subscribers_with_the_opt_in" {
  command   = plan
  state_key = "http"

  variables {
    notification_http_endpoints             = [{ endpoint = "http://tickets.internal/inspector" }]
    allow_plain_http_notification_endpoints = true
  }

  assert {
    condition     = aws_sns_topic_subscription.notifications["http http://tickets.internal/inspector"].protocol == "http"
    error_message = "with the opt-in, a plain HTTP endpoint is subscribed"
  }
}

run "ocsf_copy_into_the_findings_bucket" {
  command   = plan
  state_key = "ocsf"

  variables {
    kms_key_arn = "arn:aws:kms:us-east-1:111111111111:key/00000000-0000-0000-0000-000000000001"
    ocsf_output = {}
  }

  assert {
    condition = (aws_lambda_function.send[0].environment[0].variables.OCSF_BUCKET == "ilsptest-findings-111111111111"
      && aws_lambda_function.send[0].environment[0].variables.OCSF_PREFIX == "ocsf"
      && aws_lambda_function.send[0].environment[0].variables.OCSF_KMS_KEY_ARN == var.kms_key_arn
    && !contains(keys(aws_lambda_function.send[0].environment[0].variables), "OCSF_ROLE_ARN"))
    error_message = "ocsf_output = {}: send-findings writes under ocsf/ in the findings bucket with the module's key, as itself"
  }

  assert {
    condition     = one([for s in jsondecode(data.aws_iam_policy_document.send[0].json).Statement : s if s.Sid == "OcsfObjects"]) == { Sid = "OcsfObjects", Effect = "Allow", Action = "s3:PutObject", Resource = "arn:aws:s3:::ilsptest-findings-111111111111/ocsf/*" }
    error_message = "send-findings may put objects under the OCSF prefix and nowhere else for it"
  }

  assert {
    condition = (aws_glue_catalog_table.this["ocsf"].storage_descriptor[0].ser_de_info[0].serialization_library == "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
      && aws_glue_catalog_table.this["ocsf"].storage_descriptor[0].input_format == "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
      && aws_glue_catalog_table.this["ocsf"].parameters["storage.location.template"] == "s3://ilsptest-findings-111111111111/ocsf/region=$${region}/accountId=$${accountId}/eventDay=$${eventDay}/"
      && aws_glue_catalog_table.this["ocsf"].parameters["projection.eventDay.range"] == "20200101,NOW"
      && aws_glue_catalog_table.this["ocsf"].parameters["projection.accountId.values"] == "222222222222,333333333333"
      && [for k in aws_glue_catalog_table.this["ocsf"].partition_keys : k.name] == ["region", "accountId", "eventDay"]
      && length(aws_glue_catalog_table.this["ocsf"].storage_descriptor[0].columns) == length(jsondecode(file("athena/ocsf-columns.json")).columns)
    && aws_glue_catalog_table.this["findings"].storage_descriptor[0].ser_de_info[0].serialization_library == "org.openx.data.jsonserde.JsonSerDe")
    error_message = "the ocsf table reads the Parquet objects with the columns send-findings writes, projected on the Security Lake layout; the JSON tables are as they were"
  }

  assert {
    condition     = output.ocsf_location == "s3://ilsptest-findings-111111111111/ocsf/" && output.athena_ocsf_table_name == "ocsf" && output.security_lake_custom_source == null
    error_message = "the outputs say where the OCSF copy is"
  }

}

run "no_ocsf_copy_by_default" {
  command   = plan
  state_key = "ocsf"

  variables {
    kms_key_arn = "arn:aws:kms:us-east-1:111111111111:key/00000000-0000-0000-0000-000000000001"
  }

  assert {
    condition = (length([for k in keys(aws_lambda_function.send[0].environment[0].variables) : k if startswith(k, "OCSF_")]) == 0
      && length([for s in jsondecode(data.aws_iam_policy_document.send[0].json).Statement : s if startswith(s.Sid, "Ocsf")]) == 0
    && !contains(keys(aws_glue_catalog_table.this), "ocsf") && output.ocsf_location == null && length(aws_securitylake_custom_log_source.this) == 0)
    error_message = "without ocsf_output or security_lake_custom_source: no OCSF setting, permission, table or custom source"
  }
}

run "ocsf_copy_elsewhere_as_a_role" {
  command   = plan
  state_key = "ocsf"

  variables {
    kms_key_arn = "arn:aws:kms:us-east-1:111111111111:key/00000000-0000-0000-0000-000000000001"
    ocsf_output = {
      bucket      = "siem-intake"
      prefix      = "inspector/ocsf"
      role_arn    = "arn:aws:iam::444444444444:role/siem-writer"
      external_id = "ilsptest"
    }
  }

  assert {
    condition = (aws_lambda_function.send[0].environment[0].variables.OCSF_BUCKET == "siem-intake"
      && aws_lambda_function.send[0].environment[0].variables.OCSF_ROLE_ARN == "arn:aws:iam::444444444444:role/siem-writer"
      && aws_lambda_function.send[0].environment[0].variables.OCSF_EXTERNAL_ID == "ilsptest"
    && !contains(keys(aws_lambda_function.send[0].environment[0].variables), "OCSF_KMS_KEY_ARN"))
    error_message = "another bucket: no module key; the role and external id reach send-findings"
  }

  assert {
    condition = (one([for s in jsondecode(data.aws_iam_policy_document.send[0].json).Statement : s.Resource if s.Sid == "OcsfWriterRole"]) == "arn:aws:iam::444444444444:role/siem-writer"
      && !contains([for s in jsondecode(data.aws_iam_policy_document.send[0].json).Statement : s.Sid], "OcsfObjects")
    && !contains(keys(aws_glue_catalog_table.this), "ocsf"))
    error_message = "writing as a role: send-findings may assume it, and the role holds the bucket permissions; no table over another bucket"
  }
}

run "security_lake_custom_source" {
  command   = plan
  state_key = "ocsf"

  variables {
    kms_key_arn = "arn:aws:kms:us-east-1:111111111111:key/00000000-0000-0000-0000-000000000001"
    security_lake_custom_source = {
      source_name    = "inspectorlink"
      source_version = "1.0"
      external_id    = "ilsptest-lake"
    }
  }

  # The local AWS has no Security Lake: the custom source's attributes are what AWS returns.
  override_resource {
    target          = aws_securitylake_custom_log_source.this
    override_during = plan
    values = {
      provider_details = [{
        location = "s3://aws-security-data-lake-us-east-1-abcdef0123/ext/inspectorlink/1.0/"
        role_arn = "arn:aws:iam::111111111111:role/AmazonSecurityLake-Provider-inspectorlink-us-east-1"
      }]
    }
  }

  assert {
    condition = (aws_securitylake_custom_log_source.this[0].event_classes == toset(["VULNERABILITY_FINDING"])
      && aws_securitylake_custom_log_source.this[0].configuration[0].provider_identity[0].principal == "111111111111"
    && aws_securitylake_custom_log_source.this[0].configuration[0].provider_identity[0].external_id == "ilsptest-lake")
    error_message = "the custom source takes Vulnerability Findings from this account, with the external id"
  }

  assert {
    condition = (aws_lambda_function.send[0].environment[0].variables.OCSF_BUCKET == "aws-security-data-lake-us-east-1-abcdef0123"
      && aws_lambda_function.send[0].environment[0].variables.OCSF_PREFIX == "ext/inspectorlink/1.0"
      && aws_lambda_function.send[0].environment[0].variables.OCSF_ROLE_ARN == "arn:aws:iam::111111111111:role/AmazonSecurityLake-Provider-inspectorlink-us-east-1"
    && aws_lambda_function.send[0].environment[0].variables.OCSF_EXTERNAL_ID == "ilsptest-lake")
    error_message = "send-findings writes into the custom source's location as its provider role"
  }

  assert {
    condition = (length(aws_iam_role.security_lake_crawler) == 1
      && jsondecode(aws_iam_role.security_lake_crawler[0].assume_role_policy).Statement[0].Principal == { Service = "glue.amazonaws.com" }
      && aws_iam_role_policy_attachment.security_lake_crawler_glue[0].policy_arn == "arn:aws:iam::aws:policy/service-role/AWSGlueServiceRole"
    && !contains(keys(aws_glue_catalog_table.this), "ocsf"))
    error_message = "the crawler's role is made for Glue; Security Lake makes the table, so the module does not"
  }
}

run "rejects_an_ocsf_prefix_inside_the_store" {
  command   = plan
  state_key = "bad"

  variables {
    ocsf_output = { prefix = "coverage/ocsf" }
  }

  expect_failures = [aws_lambda_function.send]
}

run "rejects_two_ocsf_destinations" {
  command   = plan
  state_key = "bad"

  variables {
    ocsf_output                 = {}
    security_lake_custom_source = { source_name = "inspectorlink", external_id = "ilsptest-lake" }
  }

  override_resource {
    target          = aws_securitylake_custom_log_source.this
    override_during = plan
    values = {
      provider_details = [{ location = "s3://aws-security-data-lake-us-east-1-abcdef0123/ext/inspectorlink/", role_arn = "arn:aws:iam::111111111111:role/lake" }]
    }
  }

  expect_failures = [aws_lambda_function.send]
}

run "rejects_bad_ocsf_inputs" {
  command   = plan
  state_key = "bad"

  variables {
    ocsf_output = {
      bucket      = "Not_A_Bucket"
      prefix      = "/ocsf/"
      kms_key_arn = "alias/findings"
      external_id = "no-role"
    }
    security_lake_custom_source = { source_name = "inspectorlink-vulnerability-findings", external_id = "x" }
  }

  expect_failures = [var.ocsf_output, var.security_lake_custom_source]
}
