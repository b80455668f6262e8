# Applies inspector2-forwarding in the security account (111111111111) of the local AWS:
# in us-east-1 targeting two queues (the primary instance), and in us-west-2 forwarding to
# us-east-1's default bus; checks the findings and coverage rules' patterns, the targets' retry policy and
# dead-letter queue, the queue and role policies. Plans check create = false and the
# variable validation. Endpoints and keys come from the local AWS's env file
# (AWS_ENDPOINT_URL etc.); the account is reached by assuming a role in it. Run by
# scripts/test-modules.sh (make test-modules). Events routed end to end:
# functions/core/tests/inspector2.rs.

provider "aws" {
  region                  = "us-east-1"
  max_retries             = 2
  skip_metadata_api_check = true
  assume_role {
    role_arn = "arn:aws:iam::111111111111:role/inspectorlink-test"
  }
}

provider "aws" {
  alias                   = "usw2"
  region                  = "us-west-2"
  max_retries             = 2
  skip_metadata_api_check = true
  assume_role {
    role_arn = "arn:aws:iam::111111111111:role/inspectorlink-test"
  }
}

variables {
  name_prefix = "ilfwtest"
  tags        = { Suite = "inspector2-forwarding" }
}

run "setup" {
  module {
    source = "./tests/setup"
  }

  variables {
    name = "ilfwtest"
  }
}

run "primary_region_targets_the_queues" {
  variables {
    queue_arns                   = run.setup.queue_arns
    coverage_queue_arn           = run.setup.queue_arns[0]
    alarm_topic_arn              = run.setup.topic_arn
    severities                   = ["HIGH", "CRITICAL"]
    finding_account_ids          = ["222222222222"]
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 10
  }

  assert {
    condition     = aws_cloudwatch_event_rule.this[0].name == "ilfwtest-inspector2-findings" && aws_cloudwatch_event_rule.this[0].arn == output.rule_arn && output.rule_arn == "arn:aws:events:us-east-1:111111111111:rule/ilfwtest-inspector2-findings"
    error_message = "the rule is <name_prefix>-inspector2-findings, and rule_arn (built from the name) is its ARN"
  }

  assert {
    condition = jsondecode(aws_cloudwatch_event_rule.this[0].event_pattern) == {
      source        = ["aws.inspector2"]
      "detail-type" = ["Inspector2 Finding"]
      detail        = { severity = ["HIGH", "CRITICAL"], awsAccountId = ["222222222222"] }
    }
    error_message = "the rule matches Inspector2 Finding events of the chosen severities and accounts: ${aws_cloudwatch_event_rule.this[0].event_pattern}"
  }

  assert {
    condition     = aws_cloudwatch_event_rule.this[0].event_bus_name == "default" && aws_cloudwatch_event_rule.this[0].tags["Suite"] == "inspector2-forwarding"
    error_message = "the rule is on the default bus (where Inspector puts its events), tagged"
  }

  assert {
    condition     = sort([for t in aws_cloudwatch_event_target.this : t.arn]) == sort(run.setup.queue_arns) && output.forwards == false
    error_message = "the primary instance targets both queues"
  }

  assert {
    condition = alltrue([for t in aws_cloudwatch_event_target.this :
      t.role_arn == "" && one(t.dead_letter_config).arn == aws_sqs_queue.dlq[0].arn &&
      one(t.retry_policy) == { maximum_event_age_in_seconds = 3600, maximum_retry_attempts = 10 }
    ])
    error_message = "each target: no role (SQS), the retry policy asked for, the module's dead-letter queue"
  }

  assert {
    condition     = aws_sqs_queue.dlq[0].name == "ilfwtest-inspector2-events-dlq" && aws_sqs_queue.dlq[0].sqs_managed_sse_enabled && aws_sqs_queue.dlq[0].message_retention_seconds == 1209600
    error_message = "the dead-letter queue is encrypted (SSE-SQS without a key) and keeps events 14 days"
  }

  assert {
    condition = merge(jsondecode(aws_sqs_queue_policy.dlq[0].policy).Statement[0], { Condition = null }) == {
      Sid       = "OurRuleOnly"
      Effect    = "Allow"
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.dlq[0].arn
      Principal = { Service = "events.amazonaws.com" }
      Condition = null
    } && keys(jsondecode(aws_sqs_queue_policy.dlq[0].policy).Statement[0].Condition) == ["ArnEquals"] && toset(jsondecode(aws_sqs_queue_policy.dlq[0].policy).Statement[0].Condition.ArnEquals["aws:SourceArn"]) == toset(output.rule_arns) && jsondecode(aws_sqs_queue_policy.dlq[0].policy).Statement[1].Effect == "Deny"
    error_message = "only this module's two rules may send to the dead-letter queue, over TLS: ${aws_sqs_queue_policy.dlq[0].policy}"
  }

  # --- coverage ---
  assert {
    condition     = aws_cloudwatch_event_rule.coverage[0].name == "ilfwtest-inspector2-coverage" && aws_cloudwatch_event_rule.coverage[0].arn == output.coverage_rule_arn && output.coverage_rule_arn == "arn:aws:events:us-east-1:111111111111:rule/ilfwtest-inspector2-coverage"
    error_message = "the coverage rule is <name_prefix>-inspector2-coverage, and coverage_rule_arn (built from the name) is its ARN"
  }

  assert {
    condition     = output.rule_arns == tolist([output.rule_arn, output.coverage_rule_arn])
    error_message = "rule_arns lists both rules (security-primary's eventbridge_rule_arns)"
  }

  assert {
    condition = jsondecode(aws_cloudwatch_event_rule.coverage[0].event_pattern) == {
      source = ["aws.inspector2"]
      "$or" = [
        { "detail-type" = ["Inspector2 Coverage"] },
        { "detail-type" = ["Inspector2 Scan"], detail = { "scan-status" = ["INITIAL_SCAN_COMPLETE"], "instance-id" = [{ exists = false }] } },
      ]
    } && aws_cloudwatch_event_rule.coverage[0].event_bus_name == "default" && aws_cloudwatch_event_rule.coverage[0].tags["Suite"] == "inspector2-forwarding"
    error_message = "the coverage rule matches Coverage events, and Scan events of a completed first scan of anything but an EC2 instance, whatever the findings filters: ${aws_cloudwatch_event_rule.coverage[0].event_pattern}"
  }

  assert {
    condition = [for t in aws_cloudwatch_event_target.coverage : [t.target_id, t.arn, t.role_arn, one(t.dead_letter_config).arn, one(t.retry_policy)]] == [
      ["send-queue", run.setup.queue_arns[0], "", aws_sqs_queue.dlq[0].arn, { maximum_event_age_in_seconds = 3600, maximum_retry_attempts = 10 }]
    ]
    error_message = "the coverage rule targets the send queue only, with the same retry policy and dead-letter queue"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.dlq[0].dimensions.QueueName == aws_sqs_queue.dlq[0].name && aws_cloudwatch_metric_alarm.dlq[0].alarm_actions == toset([run.setup.topic_arn])
    error_message = "an alarm on the dead-letter queue notifies alarm_topic_arn"
  }

  assert {
    condition     = length(aws_iam_role.forward) == 0 && output.forward_role_arn == null
    error_message = "the primary instance needs no role"
  }
}

run "other_region_forwards_to_the_primary_bus" {
  providers = {
    aws = aws.usw2
  }

  state_key = "usw2"

  variables {
    event_bus_arn = "arn:aws:events:us-east-1:111111111111:event-bus/default"
  }

  assert {
    condition = jsondecode(aws_cloudwatch_event_rule.this[0].event_pattern) == {
      source = ["aws.inspector2"], "detail-type" = ["Inspector2 Finding"]
    } && output.rule_arn == "arn:aws:events:us-west-2:111111111111:rule/ilfwtest-inspector2-findings"
    error_message = "without filters the rule matches every Inspector2 Finding event of us-west-2"
  }

  assert {
    condition = [for t in aws_cloudwatch_event_target.this : [t.target_id, t.arn, t.role_arn]] == [
      ["primary-bus", "arn:aws:events:us-east-1:111111111111:event-bus/default", aws_iam_role.forward[0].arn]
    ] && one(aws_cloudwatch_event_target.this["primary-bus"].dead_letter_config).arn == aws_sqs_queue.dlq[0].arn
    error_message = "one target: the primary bus, through the forwarding role, with the dead-letter queue of this region"
  }

  assert {
    condition     = one(aws_cloudwatch_event_target.this["primary-bus"].retry_policy) == { maximum_event_age_in_seconds = 86400, maximum_retry_attempts = 185 }
    error_message = "the default retry policy is EventBridge's own (24 h, 185 attempts), written out"
  }

  assert {
    condition = jsondecode(aws_iam_role.forward[0].assume_role_policy).Statement == [{
      Sid       = "OurRuleOnly"
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "events.amazonaws.com" }
      Condition = {
        StringEquals = { "aws:SourceAccount" = "111111111111" }
        ArnEquals = { "aws:SourceArn" = [
          "arn:aws:events:us-west-2:111111111111:rule/ilfwtest-inspector2-findings",
          "arn:aws:events:us-west-2:111111111111:rule/ilfwtest-inspector2-coverage",
        ] }
      }
    }] && aws_iam_role.forward[0].name == "ilfwtest-inspector2-forward-us-west-2"
    error_message = "EventBridge may assume the role only for this account's two rules: ${aws_iam_role.forward[0].assume_role_policy}"
  }

  assert {
    condition = jsondecode(aws_cloudwatch_event_rule.coverage[0].event_pattern) == jsondecode(output.coverage_event_pattern) && [for t in aws_cloudwatch_event_target.coverage : [t.target_id, t.arn, t.role_arn, one(t.dead_letter_config).arn]] == [
      ["primary-bus", "arn:aws:events:us-east-1:111111111111:event-bus/default", aws_iam_role.forward[0].arn, aws_sqs_queue.dlq[0].arn]
    ] && output.rule_arns == tolist(["arn:aws:events:us-west-2:111111111111:rule/ilfwtest-inspector2-findings", "arn:aws:events:us-west-2:111111111111:rule/ilfwtest-inspector2-coverage"])
    error_message = "by default the coverage rule forwards to the primary bus too, through the same role, with the same dead-letter queue"
  }

  assert {
    condition = jsondecode(aws_iam_role_policy.forward[0].policy).Statement == [{
      Sid      = "PrimaryBusOnly"
      Effect   = "Allow"
      Action   = "events:PutEvents"
      Resource = "arn:aws:events:us-east-1:111111111111:event-bus/default"
    }]
    error_message = "the role may put events on the primary bus and nothing else: ${aws_iam_role_policy.forward[0].policy}"
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.dlq) == 0
    error_message = "no alarm without alarm_topic_arn"
  }
}

run "create_false_creates_nothing" {
  command = plan

  variables {
    create             = false
    queue_arns         = ["arn:aws:sqs:us-east-1:111111111111:q"]
    coverage_queue_arn = "arn:aws:sqs:us-east-1:111111111111:q"
  }

  assert {
    condition     = length(aws_cloudwatch_event_rule.this) == 0 && length(aws_cloudwatch_event_rule.coverage) == 0 && length(aws_cloudwatch_event_target.this) == 0 && length(aws_sqs_queue.dlq) == 0 && output.rule_arn == null && length(output.rule_arns) == 0
    error_message = "create = false creates nothing"
  }
}

run "no_coverage_rule_without_a_coverage_queue" {
  command = plan

  variables {
    queue_arns = ["arn:aws:sqs:us-east-1:111111111111:q"]
  }

  assert {
    condition     = length(aws_cloudwatch_event_rule.coverage) == 0 && length(aws_cloudwatch_event_target.coverage) == 0 && output.coverage_rule_arn == null && output.rule_arns == tolist([output.rule_arn])
    error_message = "the primary instance without coverage_queue_arn creates no coverage rule"
  }
}

run "no_coverage_forwarding_when_switched_off" {
  command = plan

  variables {
    event_bus_arn    = "arn:aws:events:us-west-2:111111111111:event-bus/default"
    forward_coverage = false
  }

  assert {
    condition     = length(aws_cloudwatch_event_rule.coverage) == 0 && output.rule_arns == tolist(["arn:aws:events:us-east-1:111111111111:rule/ilfwtest-inspector2-findings"])
    error_message = "forward_coverage = false forwards the findings only"
  }
}

run "a_coverage_queue_in_a_forwarding_instance_is_refused" {
  command = plan

  variables {
    event_bus_arn      = "arn:aws:events:us-west-2:111111111111:event-bus/default"
    coverage_queue_arn = "arn:aws:sqs:us-east-1:111111111111:q"
  }

  expect_failures = [aws_cloudwatch_event_rule.this]
}

run "queues_and_a_bus_together_are_refused" {
  command = plan

  variables {
    queue_arns    = ["arn:aws:sqs:us-east-1:111111111111:q"]
    event_bus_arn = "arn:aws:events:us-west-2:111111111111:event-bus/default"
  }

  expect_failures = [aws_cloudwatch_event_rule.this]
}

run "invalid_inputs_are_refused" {
  command = plan

  variables {
    queue_arns                   = ["arn:aws:sns:us-east-1:111111111111:not-a-queue"]
    coverage_queue_arn           = "arn:aws:sns:us-east-1:111111111111:not-a-queue"
    event_bus_arn                = "arn:aws:events:us-west-2:111111111111:event-bus/custom"
    severities                   = ["SEVERE"]
    finding_account_ids          = ["2222"]
    maximum_retry_attempts       = 186
    maximum_event_age_in_seconds = 30
  }

  expect_failures = [
    var.queue_arns, var.coverage_queue_arn, var.event_bus_arn, var.severities, var.finding_account_ids,
    var.maximum_retry_attempts, var.maximum_event_age_in_seconds,
  ]
}
