variable "create" {
  description = "Whether to create anything. Set to false to switch the module off without removing its block."
  type        = bool
  default     = true
}

variable "name_prefix" {
  description = "Prefix of every name; the topic is \"<name_prefix>-findings\". Use the same prefix as security-primary (whose queue policies name this topic) and the member modules (which subscribe templates to it)."
  type        = string
  default     = "inspectorlink"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,40}$", var.name_prefix))
    error_message = "name_prefix must be 1-40 letters, digits, hyphens or underscores."
  }
}

variable "member_account_ids" {
  description = "The member accounts whose Inspector Classic templates may deliver findings through this topic. Notifications about other accounts' templates are dropped by the subscriptions' filter policy (see README: the topic policy cannot tell accounts apart). At most 150 (SNS filter policy limit)."
  type        = list(string)

  validation {
    condition     = length(var.member_account_ids) >= 1 && length(var.member_account_ids) <= 150 && alltrue([for id in var.member_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "member_account_ids must list 1-150 twelve-digit AWS account ids."
  }
}

variable "queue_arns" {
  description = "The central queues (in the security account's primary region) to subscribe the topic to: security-primary's send queue and notify queue, e.g. module.security_primary.subscription_queue_arns."
  type        = list(string)

  validation {
    condition     = length(var.queue_arns) >= 1 && alltrue([for arn in var.queue_arns : can(regex("^arn:aws[a-z-]*:sqs:[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]:[0-9]{12}:[a-zA-Z0-9_-]{1,80}$", arn))])
    error_message = "queue_arns must list at least one SQS queue ARN (arn:<partition>:sqs:<region>:<account>:<name>)."
  }
}

variable "kms_key_arn" {
  description = "KMS key (ARN, in this region) that encrypts the topic. Its policy must let the region's Inspector service account use it through SNS (see README). When null, the module creates a key with that policy."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:(key|alias)/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key or alias ARN (arn:<partition>:kms:<region>:<account>:key/<id>)."
  }
}

variable "create_kms_key" {
  description = "Whether to create the topic's key. Null: create one when kms_key_arn is null. Set false when kms_key_arn comes from a resource of the same configuration (e.g. security-primary's kms_key_arn), whose value Terraform knows only after apply."
  type        = bool
  default     = null
}

variable "kms_key_deletion_window_in_days" {
  description = "Waiting period before the created KMS key is deleted (7-30 days). Unused when kms_key_arn is given."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_key_deletion_window_in_days >= 7 && var.kms_key_deletion_window_in_days <= 30
    error_message = "kms_key_deletion_window_in_days must be from 7 to 30."
  }
}

variable "raw_message_delivery" {
  description = "Deliver Inspector's message body without the SNS envelope. send-findings and notify-findings read either; the envelope (false) keeps the topic ARN for tracing."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every resource that takes tags."
  type        = map(string)
  default     = {}
}
