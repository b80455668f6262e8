# Applies alarm-topic in the security account (111111111111) of the local AWS, us-west-2:
# with its own key and two email subscribers, then with a given key. Plans check
# create = false and the variable validation. Endpoints and keys come from the local AWS's
# env file (AWS_ENDPOINT_URL etc.); the account is reached by assuming a role in it. Run
# by scripts/test-modules.sh (make test-modules). An alarm's notification through this
# topic to the mailbox: functions/core/tests/inspector2.rs (examples/inspector2).

provider "aws" {
  region                  = "us-west-2"
  max_retries             = 2
  skip_metadata_api_check = true
  assume_role {
    role_arn = "arn:aws:iam::111111111111:role/inspectorlink-test"
  }
}

variables {
  name_prefix                     = "ilalarmtest"
  kms_key_deletion_window_in_days = 7
  tags                            = { Suite = "alarm-topic" }
}

run "an_encrypted_topic_our_alarms_may_publish_to" {
  variables {
    emails = ["oncall@example.com", "security@example.com"]
  }

  assert {
    condition     = aws_sns_topic.this[0].name == "ilalarmtest-alarms" && output.topic_arn == "arn:aws:sns:us-west-2:111111111111:ilalarmtest-alarms" && aws_sns_topic.this[0].tags["Suite"] == "alarm-topic"
    error_message = "the topic is <name_prefix>-alarms in the provider's region, tagged"
  }

  assert {
    condition     = aws_sns_topic.this[0].kms_master_key_id == aws_kms_key.this[0].arn && output.kms_key_arn == aws_kms_key.this[0].arn && aws_kms_key.this[0].enable_key_rotation && aws_kms_key.this[0].deletion_window_in_days == 7 && aws_kms_alias.this[0].name == "alias/ilalarmtest-alarms"
    error_message = "the topic is encrypted with a key of its own: rotated, with the given deletion window and an alias"
  }

  assert {
    condition = jsondecode(aws_sns_topic.this[0].policy).Statement == [{
      Sid       = "OurAlarms"
      Effect    = "Allow"
      Action    = "sns:Publish"
      Resource  = "arn:aws:sns:us-west-2:111111111111:ilalarmtest-alarms"
      Principal = { Service = "cloudwatch.amazonaws.com" }
      Condition = {
        ArnLike      = { "aws:SourceArn" = "arn:aws:cloudwatch:us-west-2:111111111111:alarm:ilalarmtest-*" }
        StringEquals = { "aws:SourceAccount" = "111111111111" }
      }
    }]
    error_message = "only this account's alarms named <name_prefix>-* may publish: ${aws_sns_topic.this[0].policy}"
  }

  assert {
    condition = [for s in jsondecode(aws_kms_key.this[0].policy).Statement : [s.Sid, s.Principal, try(s.Condition, null)]] == [
      ["AccountAdministers", { AWS = "arn:aws:iam::111111111111:root" }, null],
      ["OurAlarmsPublish", { Service = "cloudwatch.amazonaws.com" }, { ArnLike = { "aws:SourceArn" = "arn:aws:cloudwatch:us-west-2:111111111111:alarm:ilalarmtest-*" } }],
    ]
    error_message = "the key: the account administers it, CloudWatch uses it for our alarms only: ${aws_kms_key.this[0].policy}"
  }

  assert {
    condition     = toset(keys(output.email_subscription_arns)) == toset(["oncall@example.com", "security@example.com"]) && alltrue([for s in aws_sns_topic_subscription.email : s.protocol == "email" && s.topic_arn == aws_sns_topic.this[0].arn])
    error_message = "each address is an email subscription of the topic"
  }
}

run "a_given_key_is_used_and_none_created" {
  variables {
    kms_key_arn = run.an_encrypted_topic_our_alarms_may_publish_to.kms_key_arn
  }

  assert {
    condition     = length(aws_kms_key.this) == 0 && length(aws_kms_alias.this) == 0 && aws_sns_topic.this[0].kms_master_key_id == var.kms_key_arn && output.kms_key_arn == var.kms_key_arn
    error_message = "with kms_key_arn the topic uses it and the module creates no key"
  }

  assert {
    condition     = length(aws_sns_topic_subscription.email) == 0 && output.email_subscription_arns == {}
    error_message = "no emails, no subscriptions"
  }
}

run "create_false_creates_nothing" {
  command = plan

  variables {
    create = false
    emails = ["oncall@example.com"]
  }

  assert {
    condition     = length(aws_sns_topic.this) == 0 && length(aws_kms_key.this) == 0 && length(aws_sns_topic_subscription.email) == 0 && output.topic_arn == null && output.kms_key_arn == null
    error_message = "create = false creates nothing"
  }
}

run "invalid_inputs_are_refused" {
  command = plan

  variables {
    name_prefix                     = "not a prefix"
    emails                          = ["oncall"]
    kms_key_arn                     = "arn:aws:kms:us-west-2:111111111111:alias/ours"
    kms_key_deletion_window_in_days = 3
  }

  expect_failures = [var.name_prefix, var.emails, var.kms_key_arn, var.kms_key_deletion_window_in_days]
}
