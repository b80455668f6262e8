# Inspector v2 in the security account (111111111111), composed as a user would:
# security-primary in us-east-1; inspector2-organization in us-east-1 and us-west-2 (the
# delegated administrator named by the management account 999999999999, members
# 222222222222 and 333333333333, the latter excluded); inspector2-forwarding in us-east-1
# (to the central queues) and us-west-2 (to us-east-1's default bus).
# scripts/test-modules.sh applies it, expects a clean plan (-detailed-exitcode 0) and
# destroys it; functions/core/tests/inspector2.rs applies it, puts Inspector2 Finding
# events on both regions' buses and runs send-findings and notify-findings over what
# reaches the queues.

terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

variable "name_suffix" {
  description = "Appended to the name prefix, so runs sharing one local AWS do not collide."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]{1,8}$", var.name_suffix))
    error_message = "name_suffix must be 1-8 lowercase letters or digits."
  }
}

variable "send_findings_zip" {
  description = "send-findings deployment zip."
  type        = string
}

variable "notify_findings_zip" {
  description = "notify-findings deployment zip."
  type        = string
}

locals {
  name_prefix = "ilv2-${var.name_suffix}"
  security    = "111111111111"
  management  = "999999999999"
  members     = ["222222222222", "333333333333"]
  primary_bus = "arn:aws:events:us-east-1:${local.security}:event-bus/default"
}

provider "aws" {
  alias                   = "use1"
  region                  = "us-east-1"
  max_retries             = 2
  skip_metadata_api_check = true
  assume_role {
    role_arn = "arn:aws:iam::${local.security}:role/inspectorlink-test"
  }
}

provider "aws" {
  alias                   = "usw2"
  region                  = "us-west-2"
  max_retries             = 2
  skip_metadata_api_check = true
  assume_role {
    role_arn = "arn:aws:iam::${local.security}:role/inspectorlink-test"
  }
}

provider "aws" {
  alias                   = "management_use1"
  region                  = "us-east-1"
  max_retries             = 2
  skip_metadata_api_check = true
  assume_role {
    role_arn = "arn:aws:iam::${local.management}:role/inspectorlink-test"
  }
}

provider "aws" {
  alias                   = "management_usw2"
  region                  = "us-west-2"
  max_retries             = 2
  skip_metadata_api_check = true
  assume_role {
    role_arn = "arn:aws:iam::${local.management}:role/inspectorlink-test"
  }
}

module "primary" {
  source    = "../../../modules/security-primary"
  providers = { aws = aws.use1 }

  name_prefix                     = local.name_prefix
  regions                         = ["us-east-1"]
  member_account_ids              = local.members
  eventbridge_rule_arns           = [module.forward_use1.rule_arn]
  kms_key_deletion_window_in_days = 7
  bucket_force_destroy            = true
  send_findings_zip               = var.send_findings_zip
  notify_findings_zip             = var.notify_findings_zip
  notify_min_severity             = "INFORMATIONAL"
  # moto would try to run the functions on every message; the tests read the queues.
  event_source_mappings_enabled = false

  notification_emails = [{ endpoint = "secops-${var.name_suffix}@example.com" }]
}

module "org_use1" {
  source    = "../../../modules/inspector2-organization"
  providers = { aws = aws.use1, aws.management = aws.management_use1 }

  member_account_ids   = local.members
  excluded_account_ids = ["333333333333"]
  auto_enable          = { ec2 = true, ecr = true, lambda = true, lambda_code = true }
  resource_types       = ["EC2", "ECR", "LAMBDA", "LAMBDA_CODE"]
}

module "org_usw2" {
  source    = "../../../modules/inspector2-organization"
  providers = { aws = aws.usw2, aws.management = aws.management_usw2 }

  member_account_ids   = local.members
  excluded_account_ids = ["333333333333"]
}

module "forward_use1" {
  source    = "../../../modules/inspector2-forwarding"
  providers = { aws = aws.use1 }

  name_prefix      = local.name_prefix
  queue_arns       = module.primary.subscription_queue_arns
  alarm_topic_arn  = module.primary.alarm_topic_arn
  create_dlq_alarm = true # that ARN is known only after apply
}

module "forward_usw2" {
  source    = "../../../modules/inspector2-forwarding"
  providers = { aws = aws.usw2 }

  name_prefix   = local.name_prefix
  event_bus_arn = local.primary_bus
}

output "queue_urls" {
  description = "The send and notify queue URLs."
  value       = { send = module.primary.queue_url, notify = module.primary.notify_queue_url }
}

output "bucket_name" {
  description = "The findings bucket."
  value       = module.primary.bucket_name
}

output "kms_key_arn" {
  description = "The pipeline's key."
  value       = module.primary.kms_key_arn
}

output "notifications_topic_arn" {
  description = "notify-findings' topic."
  value       = module.primary.notifications_topic_arn
}

output "dedupe_table_name" {
  description = "notify-findings' dedupe table."
  value       = module.primary.dedupe_table_name
}

output "notification_email" {
  description = "The subscribed address (the local mailbox receives its mail)."
  value       = "secops-${var.name_suffix}@example.com"
}

output "rules" {
  description = "The forwarding rules by region, and their dead-letter queues."
  value = {
    "us-east-1" = { rule = module.forward_use1.rule_arn, dlq_url = module.forward_use1.dlq_url, targets = module.forward_use1.target_arns }
    "us-west-2" = { rule = module.forward_usw2.rule_arn, dlq_url = module.forward_usw2.dlq_url, targets = module.forward_usw2.target_arns }
  }
}

output "associated_account_ids" {
  description = "The members associated in each region."
  value       = { "us-east-1" = module.org_use1.associated_account_ids, "us-west-2" = module.org_usw2.associated_account_ids }
}
