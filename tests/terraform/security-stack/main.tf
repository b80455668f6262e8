# The security account's side of the estate, composed as a user would: security-primary in
# us-east-1 and security-region in us-east-1 (sharing the primary key) and us-west-2 (a key
# of its own). tests/e2e/tests/security_stack.rs (run by scripts/test-modules.sh) applies
# it, expects a clean plan (-detailed-exitcode 0), runs Inspector Classic assessments in a
# listed and an unlisted member against the topics, and destroys it.

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
  name_prefix = "ilstack-${var.name_suffix}"
  # 222222222222 is listed; 333333333333 is not (the test expects its findings dropped).
  members = ["222222222222"]
}

provider "aws" {
  alias                   = "primary"
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

module "primary" {
  source    = "../../../modules/security-primary"
  providers = { aws = aws.primary }

  name_prefix                     = local.name_prefix
  regions                         = ["us-east-1", "us-west-2"]
  member_account_ids              = local.members
  member_role_external_id         = "ilstack-external-id"
  kms_key_deletion_window_in_days = 7
  bucket_force_destroy            = true
  send_findings_zip               = var.send_findings_zip
  notify_findings_zip             = var.notify_findings_zip
  # moto would try to run the functions on every message; the test reads the queues.
  event_source_mappings_enabled = false
  enable_security_hub           = true
  # The OCSF copy's settings and its Parquet table plan clean after the apply too.
  ocsf_output = {}

  notification_emails = [{ endpoint = "secops@example.com", min_severity = "HIGH" }]
}

module "region_use1" {
  source    = "../../../modules/security-region"
  providers = { aws = aws.primary }

  name_prefix        = local.name_prefix
  member_account_ids = local.members
  queue_arns         = module.primary.subscription_queue_arns
  kms_key_arn        = module.primary.kms_key_arn
  create_kms_key     = false # the ARN is known only after apply
}

module "region_usw2" {
  source    = "../../../modules/security-region"
  providers = { aws = aws.usw2 }

  name_prefix                     = local.name_prefix
  member_account_ids              = local.members
  queue_arns                      = module.primary.subscription_queue_arns
  kms_key_deletion_window_in_days = 7
}

output "topic_arns" {
  description = "The regional topics, us-east-1 then us-west-2."
  value       = [module.region_use1.topic_arn, module.region_usw2.topic_arn]
}

output "queue_urls" {
  description = "The send and notify queue URLs."
  value       = [module.primary.queue_url, module.primary.notify_queue_url]
}
