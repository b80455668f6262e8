# Applies the module in member account 666666666666 (used by no other test) in us-east-1,
# with the security account's topic in 111111111111 and the scheduler role from the
# member-account module, and checks what was built: resource group, target, template with
# the region's rules packages, schedule target and role, the subscription to the central
# topic, and the auto-attach Lambda. Endpoints and keys come from the local AWS's env file
# (AWS_ENDPOINT_URL etc.); accounts are reached by assuming a role in them.

provider "aws" {
  region                  = "us-east-1"
  max_retries             = 2
  skip_metadata_api_check = true
  assume_role {
    role_arn = "arn:aws:iam::666666666666:role/inspectorlink-test"
  }
}

provider "aws" {
  alias                   = "security"
  region                  = "us-east-1"
  max_retries             = 2
  skip_metadata_api_check = true
  assume_role {
    role_arn = "arn:aws:iam::111111111111:role/inspectorlink-test"
  }
}

provider "inspectorlink" {
  region      = "us-east-1"
  max_retries = 2
  assume_role {
    role_arn = "arn:aws:iam::666666666666:role/inspectorlink-test"
  }
}

variables {
  name_prefix         = "ilmrtest"
  security_account_id = "111111111111"
  scan_tag            = { key = "InspectorScan", value = "ilmrtest" }
  tags                = { Suite = "member-region" }
}

run "central_topic" {
  providers = {
    aws           = aws.security
    inspectorlink = inspectorlink
  }

  module {
    source = "./tests/topic"
  }

  variables {
    name = "ilmrtest-findings"
  }
}

run "member_account" {
  module {
    source = "../member-account"
  }

  variables {
    central_role_arns = ["arn:aws:iam::111111111111:role/ilmrtest-send-findings"]
    external_id       = "ilmrtest-external-id"
  }
}

run "scan_schedule_and_subscription" {
  variables {
    scheduler_role_arn = run.member_account.scheduler_role_arn
  }

  assert {
    condition     = aws_inspector_resource_group.this[0].tags == tomap({ InspectorScan = "ilmrtest" })
    error_message = "the resource group selects the instances tagged scan_tag"
  }

  assert {
    condition     = aws_inspector_assessment_target.this[0].resource_group_arn == aws_inspector_resource_group.this[0].arn && aws_inspector_assessment_target.this[0].name == "ilmrtest"
    error_message = "the target assesses the resource group"
  }

  assert {
    condition     = length(aws_inspector_assessment_template.this[0].rules_package_arns) == 4 && alltrue([for arn in aws_inspector_assessment_template.this[0].rules_package_arns : startswith(arn, "arn:aws:inspector:us-east-1:316112463485:rulespackage/0-")])
    error_message = "the template has the four rules packages of us-east-1 (owned by its Inspector account 316112463485)"
  }

  assert {
    condition = toset(aws_inspector_assessment_template.this[0].rules_package_arns) == toset([
      for p in jsondecode(file("../../functions/inspector-facts/classic-regions.json")).regions["us-east-1"].rules_packages : p.arn
    ])
    error_message = "the template's rules packages are those of the facts file (classic-regions.json) for us-east-1"
  }

  assert {
    condition     = aws_inspector_assessment_template.this[0].duration == 3600 && aws_inspector_assessment_template.this[0].target_arn == aws_inspector_assessment_target.this[0].arn
    error_message = "the template runs 3600 s (the default) over the target"
  }

  assert {
    condition     = aws_cloudwatch_event_rule.schedule[0].schedule_expression == "rate(1 day)" && aws_cloudwatch_event_rule.schedule[0].state == "ENABLED"
    error_message = "the schedule is rate(1 day) and enabled"
  }

  assert {
    condition     = aws_cloudwatch_event_target.schedule[0].arn == aws_inspector_assessment_template.this[0].arn
    error_message = "the schedule's target is the template"
  }

  assert {
    condition     = aws_cloudwatch_event_target.schedule[0].role_arn == run.member_account.scheduler_role_arn && aws_cloudwatch_event_target.schedule[0].role_arn == "arn:aws:iam::666666666666:role/ilmrtest-scheduler"
    error_message = "the schedule starts runs with the member-account module's scheduler role (the original's role ARN typo stopped every scan)"
  }

  assert {
    condition     = inspectorlink_sns_attachment.this[0].topic_arn == run.central_topic.topic_arn && inspectorlink_sns_attachment.this[0].topic_arn == "arn:aws:sns:us-east-1:111111111111:ilmrtest-findings"
    error_message = "the template notifies the security account's topic <name_prefix>-findings of its region"
  }

  assert {
    condition     = inspectorlink_sns_attachment.this[0].events == toset(["FINDING_REPORTED"]) && toset(keys(inspectorlink_sns_attachment.this[0].subscribed_at)) == toset(["FINDING_REPORTED"])
    error_message = "FINDING_REPORTED is subscribed (read back from ListEventSubscriptions)"
  }

  assert {
    condition     = inspectorlink_sns_attachment.this[0].assessment_template_arn == aws_inspector_assessment_template.this[0].arn
    error_message = "the subscription is the template's"
  }

  assert {
    condition     = length(aws_lambda_function.attach) == 0 && length(aws_sqs_queue.attach_dlq) == 0 && output.attach_template_function_arn == null
    error_message = "no auto-attach unless asked"
  }
}

# Regression: hashicorp/aws reads the attachment's subscription into the template's
# event_subscription; without ignore_changes the next plan would unsubscribe it (the
# multi-account example's second plan showed that drift).
run "the_next_plan_keeps_the_attachments_subscription" {
  command = plan

  variables {
    scheduler_role_arn = run.member_account.scheduler_role_arn
  }

  assert {
    condition     = [for s in aws_inspector_assessment_template.this[0].event_subscription : s.topic_arn] == ["arn:aws:sns:us-east-1:111111111111:ilmrtest-findings"]
    error_message = "the planned template keeps the subscription the attachment made"
  }
}

run "update_in_place" {
  variables {
    scheduler_role_arn  = run.member_account.scheduler_role_arn
    duration            = 180
    schedule_expression = "cron(0 3 ? * MON *)"
    events              = ["FINDING_REPORTED", "ASSESSMENT_RUN_COMPLETED"]
  }

  assert {
    condition     = aws_inspector_assessment_template.this[0].duration == 180 && aws_cloudwatch_event_rule.schedule[0].schedule_expression == "cron(0 3 ? * MON *)"
    error_message = "duration and schedule follow the variables"
  }

  assert {
    condition     = toset(keys(inspectorlink_sns_attachment.this[0].subscribed_at)) == toset(["FINDING_REPORTED", "ASSESSMENT_RUN_COMPLETED"])
    error_message = "a second event is subscribed in place"
  }

  assert {
    condition     = aws_cloudwatch_event_target.schedule[0].role_arn == run.member_account.scheduler_role_arn
    error_message = "the schedule keeps the scheduler role"
  }
}

run "a_mistyped_scheduler_role_arn_fails_the_plan" {
  command = plan

  variables {
    scheduler_role_arn = "arn:aws:iam::666666666666:role/ilmrtest-schedular"
  }

  expect_failures = [data.aws_iam_roles.scheduler]
}

run "a_role_that_does_not_trust_eventbridge_fails_the_plan" {
  command = plan

  variables {
    scheduler_role_arn = run.member_account.read_role_arn
  }

  expect_failures = [data.aws_iam_role.scheduler]
}

run "auto_attach" {
  variables {
    scheduler_role_arn    = run.member_account.scheduler_role_arn
    auto_attach           = true
    attach_template_zip   = "./tests/fixtures/stub-bootstrap.zip"
    attach_template_tag   = { key = "Findings", value = "central" }
    central_topic_regions = ["us-east-1", "us-west-2"]
  }

  assert {
    condition     = aws_lambda_function.attach[0].runtime == "provided.al2023" && aws_lambda_function.attach[0].handler == "bootstrap" && aws_lambda_function.attach[0].function_name == "ilmrtest-attach-template"
    error_message = "the Lambda is a provided.al2023 bootstrap"
  }

  assert {
    condition = aws_lambda_function.attach[0].environment[0].variables == tomap({
      CENTRAL_TOPIC_ACCOUNT_ID = "111111111111"
      CENTRAL_TOPIC_NAME       = "ilmrtest-findings"
      CENTRAL_TOPIC_REGIONS    = "us-east-1,us-west-2"
      SUBSCRIBE_EVENTS         = "FINDING_REPORTED"
      TEMPLATE_TAG_KEY         = "Findings"
      TEMPLATE_TAG_VALUE       = "central"
    })
    error_message = "the Lambda's environment is the attach-template interface"
  }

  assert {
    condition = jsondecode(aws_cloudwatch_event_rule.attach[0].event_pattern) == {
      source      = ["aws.inspector"]
      detail-type = ["AWS API Call via CloudTrail"]
      detail      = { eventSource = ["inspector.amazonaws.com"], eventName = ["CreateAssessmentTemplate", "SetTagsForResource"] }
    }
    error_message = "the rule matches CloudTrail's CreateAssessmentTemplate and SetTagsForResource of Inspector"
  }

  assert {
    condition     = aws_cloudwatch_event_target.attach[0].arn == aws_lambda_function.attach[0].arn && aws_cloudwatch_event_target.attach[0].dead_letter_config[0].arn == aws_sqs_queue.attach_dlq[0].arn && aws_cloudwatch_event_target.attach[0].retry_policy[0].maximum_retry_attempts == 8
    error_message = "the rule targets the Lambda with a retry policy and the DLQ"
  }

  assert {
    condition     = aws_lambda_function_event_invoke_config.attach[0].destination_config[0].on_failure[0].destination == aws_sqs_queue.attach_dlq[0].arn
    error_message = "failed invocations go to the DLQ (on-failure destination)"
  }

  assert {
    condition     = aws_lambda_permission.attach[0].principal == "events.amazonaws.com" && aws_lambda_permission.attach[0].source_arn == aws_cloudwatch_event_rule.attach[0].arn
    error_message = "only the rule may invoke the Lambda"
  }

  assert {
    condition = toset(flatten([for s in jsondecode(aws_iam_role_policy.attach[0].policy).Statement : s.Action])) == toset([
      "inspector:SubscribeToEvent", "inspector:ListEventSubscriptions", "inspector:ListTagsForResource",
      "logs:CreateLogStream", "logs:PutLogEvents", "sqs:SendMessage",
    ])
    error_message = "the Lambda role may subscribe, list subscriptions and tags, write its logs and use its DLQ, nothing else"
  }

  assert {
    condition     = aws_cloudwatch_log_group.attach[0].retention_in_days == 90 && aws_cloudwatch_log_group.attach[0].name == "/aws/lambda/ilmrtest-attach-template"
    error_message = "the Lambda's log group has a retention"
  }

  assert {
    condition     = jsondecode(aws_sqs_queue_policy.attach_dlq[0].policy).Statement[0].Condition.ArnEquals["aws:SourceArn"] == aws_cloudwatch_event_rule.attach[0].arn
    error_message = "only the rule may send to the DLQ"
  }

  assert {
    condition = jsondecode(aws_sqs_queue_policy.attach_dlq[0].policy).Statement[1] == {
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Action    = "sqs:*"
      Resource  = aws_sqs_queue.attach_dlq[0].arn
      Principal = "*"
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }
    error_message = "the DLQ refuses requests without TLS"
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.attach_dlq) == 0
    error_message = "no alarm without an alarm topic"
  }
}

run "auto_attach_alarm" {
  command = plan

  variables {
    scheduler_role_arn  = run.member_account.scheduler_role_arn
    auto_attach         = true
    attach_template_zip = "./tests/fixtures/stub-bootstrap.zip"
    alarm_topic_arn     = "arn:aws:sns:us-east-1:666666666666:landing-zone-alarms"
  }

  assert {
    condition = (aws_cloudwatch_metric_alarm.attach_dlq[0].dimensions.QueueName == "ilmrtest-attach-template-dlq"
      && aws_cloudwatch_metric_alarm.attach_dlq[0].alarm_actions == toset([var.alarm_topic_arn])
    && aws_cloudwatch_metric_alarm.attach_dlq[0].threshold == 0)
    error_message = "a message in the auto-attach DLQ alarms to the given topic"
  }
}

run "customer_managed_key" {
  module {
    source = "./tests/key"
  }
}

# A second instance (own state, own prefix): the local AWS has no logs:AssociateKmsKey, so
# the key is given at creation rather than added to the first instance's log group.
run "auto_attach_with_a_customer_managed_key" {
  state_key = "kms"

  variables {
    name_prefix         = "ilmrkms"
    central_topic_arn   = run.central_topic.topic_arn
    scheduler_role_arn  = run.member_account.scheduler_role_arn
    auto_attach         = true
    attach_template_zip = "./tests/fixtures/stub-bootstrap.zip"
    kms_key_arn         = run.customer_managed_key.key_arn
  }

  assert {
    condition     = aws_lambda_function.attach[0].kms_key_arn == run.customer_managed_key.key_arn && aws_sqs_queue.attach_dlq[0].kms_master_key_id == run.customer_managed_key.key_arn && aws_cloudwatch_log_group.attach[0].kms_key_id == run.customer_managed_key.key_arn
    error_message = "the Lambda's environment, its DLQ and its log group use the given key"
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.attach[0].policy).Statement : s.Resource if s.Sid == "EnvironmentAndDlqEncryption"] == [run.customer_managed_key.key_arn]
    error_message = "the Lambda role may use the given key, and no other"
  }

  assert {
    condition     = aws_lambda_function.attach[0].environment[0].variables["CENTRAL_TOPIC_REGIONS"] == "us-east-1" && !contains(keys(aws_lambda_function.attach[0].environment[0].variables), "TEMPLATE_TAG_KEY")
    error_message = "without attach_template_tag or central_topic_regions: every template, this region's topic"
  }
}

run "rejects_a_duration_outside_the_api_range" {
  command = plan

  variables {
    scheduler_role_arn = run.member_account.scheduler_role_arn
    duration           = 90000
  }

  expect_failures = [var.duration]
}

run "rejects_a_malformed_schedule" {
  command = plan

  variables {
    scheduler_role_arn  = run.member_account.scheduler_role_arn
    schedule_expression = "every day"
  }

  expect_failures = [var.schedule_expression]
}

run "rejects_a_short_account_id" {
  command = plan

  variables {
    scheduler_role_arn  = run.member_account.scheduler_role_arn
    security_account_id = "11111111111"
  }

  expect_failures = [var.security_account_id]
}

run "a_schedule_without_scheduler_role_fails_the_plan" {
  command = plan

  expect_failures = [aws_cloudwatch_event_rule.schedule, data.aws_iam_roles.scheduler]
}
