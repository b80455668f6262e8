# Stack: the security account's primary region (queues, Lambdas, bucket, notifications).
# Apply first: the member read roles trust this stack's Lambda roles.

provider "aws" {
  region                      = local.primary_region
  max_retries                 = local.max_retries
  s3_use_path_style           = var.local_aws
  skip_metadata_api_check     = var.local_aws
  skip_credentials_validation = var.local_aws
  assume_role {
    role_arn     = local.security_role_arn
    session_name = "inspectorlink-terraform"
  }
}

variable "notification_emails" {
  description = "Email subscribers of the notifications topic."
  type        = list(string)
  default     = []
}

variable "bucket_force_destroy" {
  description = "Let terraform destroy the findings bucket with its objects (sandboxes and tests only)."
  type        = bool
  default     = false
}

variable "send_findings_zip" {
  description = "Path of the send-findings zip; null: dist/lambda/send-findings.zip (`make zips`)."
  type        = string
  default     = null
}

variable "notify_findings_zip" {
  description = "Path of the notify-findings zip; null: dist/lambda/notify-findings.zip (`make zips`)."
  type        = string
  default     = null
}

module "security_primary" {
  source = "../../../../modules/security-primary"

  name_prefix             = var.name_prefix
  regions                 = var.regions
  member_account_ids      = var.member_account_ids
  member_role_external_id = var.external_id
  notification_emails     = [for email in var.notification_emails : { endpoint = email }]
  bucket_force_destroy    = var.bucket_force_destroy
  send_findings_zip       = var.send_findings_zip
  notify_findings_zip     = var.notify_findings_zip
  tags                    = var.tags
}

check "names_other_stacks_rely_on" {
  assert {
    condition     = module.security_primary.send_findings_role_arn == local.send_findings_role_arn && module.security_primary.notify_findings_role_arn == local.notify_role_arn
    error_message = "The Lambda role ARNs differ from the names the member-account stacks trust (estate.tf)."
  }

  assert {
    condition     = toset(module.security_primary.subscription_queue_arns) == toset(local.central_queue_arns)
    error_message = "The central queue ARNs differ from the names the security-region stacks subscribe (estate.tf)."
  }
}

output "queue_arns" {
  value = module.security_primary.subscription_queue_arns
}

output "findings_bucket" {
  value = module.security_primary.bucket_name
}

output "notifications_topic_arn" {
  value = module.security_primary.notifications_topic_arn
}
