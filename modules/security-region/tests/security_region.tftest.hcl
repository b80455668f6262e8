# Applies security-region in the security account (111111111111) of the local AWS: in
# us-west-2 with a key of its own, and in us-east-1 with a given key; checks the topic
# policy, the key policy and the subscriptions' member filter. Endpoints and keys come from
# the local AWS's env file (AWS_ENDPOINT_URL etc.); the account is reached by assuming a
# role in it. Run by scripts/test-modules.sh (make test-modules).

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
  name_prefix                     = "ilsrtest"
  member_account_ids              = ["222222222222", "333333333333"]
  kms_key_deletion_window_in_days = 7
  tags                            = { Suite = "security-region" }
}

run "setup" {
  module {
    source = "./tests/setup"
  }

  variables {
    name = "ilsrtest"
  }
}

run "own_key_in_us_west_2" {
  providers = {
    aws = aws.usw2
  }

  state_key = "usw2"

  variables {
    queue_arns = run.setup.queue_arns
  }

  assert {
    condition     = aws_sns_topic.this[0].name == "ilsrtest-findings" && output.topic_arn == "arn:aws:sns:us-west-2:111111111111:ilsrtest-findings"
    error_message = "the topic is <name_prefix>-findings in the provider's region and account"
  }

  assert {
    condition     = aws_sns_topic.this[0].kms_master_key_id == aws_kms_key.this[0].arn && aws_kms_key.this[0].enable_key_rotation
    error_message = "the topic is encrypted with the module's own key, which rotates"
  }

  assert {
    condition     = aws_sns_topic.this[0].tags["Suite"] == "security-region" && aws_kms_key.this[0].tags["Suite"] == "security-region"
    error_message = "tags reach the topic and the key"
  }

  # The only statement: us-west-2's Inspector service account may publish, nothing else, no
  # condition (its publishes carry no aws:SourceAccount, so one would block them all).
  assert {
    condition = jsondecode(aws_sns_topic.this[0].policy).Statement == [{
      Sid       = "InspectorClassicPublish"
      Effect    = "Allow"
      Action    = "sns:Publish"
      Resource  = "arn:aws:sns:us-west-2:111111111111:ilsrtest-findings"
      Principal = { AWS = "arn:aws:iam::758058086616:root" }
    }]
    error_message = "the topic policy lets exactly us-west-2's Inspector service account publish: ${aws_sns_topic.this[0].policy}"
  }

  assert {
    condition     = output.inspector_service_account_id == "758058086616"
    error_message = "us-west-2's service account comes from the facts file"
  }

  assert {
    condition     = [for s in aws_sns_topic_subscription.queues : [s.protocol, s.endpoint]] == [["sqs", run.setup.queue_arns[0]], ["sqs", run.setup.queue_arns[1]]]
    error_message = "the topic delivers to both central queues"
  }

  assert {
    condition = alltrue([for s in aws_sns_topic_subscription.queues :
      s.filter_policy_scope == "MessageBody" && !s.raw_message_delivery && jsondecode(s.filter_policy) == {
        template = [
          { prefix = "arn:aws:inspector:us-west-2:222222222222:" },
          { prefix = "arn:aws:inspector:us-west-2:333333333333:" },
        ]
    }])
    error_message = "each subscription accepts only the listed members' template ARNs, matched on the message body"
  }

  assert {
    condition     = [for s in jsondecode(aws_kms_key.this[0].policy).Statement : s.Sid] == ["AccountAdministers", "InspectorClassicPublishesThroughSns"]
    error_message = "the key policy has the admin and the Inspector statement only"
  }

  assert {
    condition = one([for s in jsondecode(aws_kms_key.this[0].policy).Statement : s if s.Sid == "InspectorClassicPublishesThroughSns"]) == {
      Sid       = "InspectorClassicPublishesThroughSns"
      Effect    = "Allow"
      Action    = ["kms:GenerateDataKey*", "kms:Decrypt"]
      Resource  = "*"
      Principal = { AWS = "arn:aws:iam::758058086616:root" }
      Condition = {
        StringEquals = {
          "kms:ViaService"                         = "sns.us-west-2.amazonaws.com"
          "kms:EncryptionContext:aws:sns:topicArn" = "arn:aws:sns:us-west-2:111111111111:ilsrtest-findings"
        }
      }
    }
    error_message = "Inspector may use the key only through SNS in us-west-2, for this topic"
  }

  assert {
    condition     = aws_kms_alias.this[0].name == "alias/ilsrtest-findings"
    error_message = "the key has an alias named after the topic"
  }
}

run "given_key_in_us_east_1" {
  state_key = "use1"

  variables {
    queue_arns           = [run.setup.queue_arns[0]]
    member_account_ids   = ["222222222222"]
    kms_key_arn          = run.setup.kms_key_arn
    raw_message_delivery = true
  }

  assert {
    condition     = length(aws_kms_key.this) == 0 && aws_sns_topic.this[0].kms_master_key_id == run.setup.kms_key_arn && output.kms_key_arn == run.setup.kms_key_arn
    error_message = "a given key is used, none created"
  }

  assert {
    condition     = jsondecode(aws_sns_topic.this[0].policy).Statement[0].Principal.AWS == "arn:aws:iam::316112463485:root"
    error_message = "us-east-1's Inspector service account may publish"
  }

  assert {
    condition     = length(aws_sns_topic_subscription.queues) == 1 && aws_sns_topic_subscription.queues[0].raw_message_delivery && jsondecode(aws_sns_topic_subscription.queues[0].filter_policy).template == [{ prefix = "arn:aws:inspector:us-east-1:222222222222:" }]
    error_message = "one raw subscription, filtered to the one listed member in us-east-1"
  }
}

run "create_false_creates_nothing" {
  command   = plan
  state_key = "off"

  variables {
    create     = false
    queue_arns = ["arn:aws:sqs:us-east-1:111111111111:ilsrtest-send"]
  }

  assert {
    condition     = length(aws_sns_topic.this) == 0 && length(aws_kms_key.this) == 0 && length(aws_sns_topic_subscription.queues) == 0 && output.topic_arn == null
    error_message = "create = false plans nothing"
  }
}

run "rejects_bad_inputs" {
  command   = plan
  state_key = "bad"

  variables {
    name_prefix        = "has spaces"
    member_account_ids = ["2222"]
    queue_arns         = ["arn:aws:sns:us-east-1:111111111111:not-a-queue"]
    kms_key_arn        = "my-key"
  }

  expect_failures = [var.name_prefix, var.member_account_ids, var.queue_arns, var.kms_key_arn]
}

run "refuses_a_region_without_inspector_classic" {
  command   = plan
  state_key = "nonclassic"

  providers = {
    aws = aws.cac1
  }

  variables {
    queue_arns = ["arn:aws:sqs:us-east-1:111111111111:ilsrtest-send"]
  }

  expect_failures = [aws_sns_topic.this]
}

provider "aws" {
  alias                   = "cac1"
  region                  = "ca-central-1"
  max_retries             = 2
  skip_metadata_api_check = true
  assume_role {
    role_arn = "arn:aws:iam::111111111111:role/inspectorlink-test"
  }
}
