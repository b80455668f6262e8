# Applies inspector2-forwarding in the security account (111111111111) of the local AWS:
# in us-east-1 targeting two queues (the primary instance), and in us-west-2 forwarding to
# us-east-1's default bus; checks the rule's pattern, the targets' retry policy and
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
    condition = jsondecode(aws_sqs_queue_policy.dlq[0].policy).Statement[0] == {
      Sid       = "OurRuleOnly"
      Effect    = "Allow"
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.dlq[0].arn
      Principal = { Service = "events.amazonaws.com" }
      Condition = { ArnEquals = { "aws:SourceArn" = output.rule_arn } }
    } && jsondecode(aws_sqs_queue_policy.dlq[0].policy).Statement[1].Effect == "Deny"
    error_message = "only this rule may send to the dead-letter queue, over TLS: ${aws_sqs_queue_policy.dlq[0].policy}"
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
        ArnEquals    = { "aws:SourceArn" = "arn:aws:events:us-west-2:111111111111:rule/ilfwtest-inspector2-findings" }
      }
    }] && aws_iam_role.forward[0].name == "ilfwtest-inspector2-forward-us-west-2"
    error_message = "EventBridge may assume the role only for this account's rule: ${aws_iam_role.forward[0].assume_role_policy}"
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
    create     = false
    queue_arns = ["arn:aws:sqs:us-east-1:111111111111:q"]
  }

  assert {
    condition     = length(aws_cloudwatch_event_rule.this) == 0 && length(aws_cloudwatch_event_target.this) == 0 && length(aws_sqs_queue.dlq) == 0 && output.rule_arn == null
    error_message = "create = false creates nothing"
  }
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
    event_bus_arn                = "arn:aws:events:us-west-2:111111111111:event-bus/custom"
    severities                   = ["SEVERE"]
    finding_account_ids          = ["2222"]
    maximum_retry_attempts       = 186
    maximum_event_age_in_seconds = 30
  }

  expect_failures = [
    var.queue_arns, var.event_bus_arn, var.severities, var.finding_account_ids,
    var.maximum_retry_attempts, var.maximum_event_age_in_seconds,
  ]
}
