variable "create" {
  description = "Whether to create anything. Set to false to switch the module off without removing its block."
  type        = bool
  default     = true
}

variable "name_prefix" {
  description = "Prefix of every name: the rules are \"<name_prefix>-inspector2-findings\" and \"<name_prefix>-inspector2-coverage\" (security-primary's eventbridge_rule_arns must name the primary region's: output rule_arns), the dead-letter queue \"<name_prefix>-inspector2-events-dlq\"."
  type        = string
  default     = "inspectorlink"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,40}$", var.name_prefix))
    error_message = "name_prefix must be 1-40 letters, digits, hyphens or underscores."
  }
}

variable "queue_arns" {
  description = "Primary region only: the central queues the rule targets, security-primary's subscription_queue_arns (send and notify: notify-findings announces v2 findings too). Exclusive with event_bus_arn."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.queue_arns) <= 5 && alltrue([for arn in var.queue_arns : can(regex("^arn:aws[a-z-]*:sqs:[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]:[0-9]{12}:[a-zA-Z0-9_-]{1,80}$", arn))])
    error_message = "queue_arns must list at most 5 SQS queue ARNs (arn:<partition>:sqs:<region>:<account>:<name>); EventBridge allows 5 targets per rule."
  }
}

variable "coverage_queue_arn" {
  description = "Primary region only: the queue the coverage rule (\"<name_prefix>-inspector2-coverage\": Inspector2 Coverage events, and Inspector2 Scan events of a completed first scan) targets, security-primary's coverage_queue_arn (the send queue). Must be known at plan (security-primary builds it from names). Null: no coverage rule in the primary region."
  type        = string
  default     = null

  validation {
    condition     = var.coverage_queue_arn == null || can(regex("^arn:aws[a-z-]*:sqs:[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]:[0-9]{12}:[a-zA-Z0-9_-]{1,80}$", var.coverage_queue_arn))
    error_message = "coverage_queue_arn must be an SQS queue ARN (arn:<partition>:sqs:<region>:<account>:<name>)."
  }
}

variable "forward_coverage" {
  description = "Other regions only: also forward Inspector v2 coverage events (rule \"<name_prefix>-inspector2-coverage\") to event_bus_arn, where the primary instance's coverage rule takes them to the send queue."
  type        = bool
  default     = true
}

variable "event_bus_arn" {
  description = "Other regions only: the primary region's default event bus of the security account (arn:<partition>:events:<primary region>:<account>:event-bus/default), where the primary instance's rule picks the forwarded events up. Exclusive with queue_arns."
  type        = string
  default     = null

  validation {
    condition     = var.event_bus_arn == null || can(regex("^arn:aws[a-z-]*:events:[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]:[0-9]{12}:event-bus/default$", var.event_bus_arn))
    error_message = "event_bus_arn must be a default event bus ARN (arn:<partition>:events:<region>:<account>:event-bus/default)."
  }
}

variable "severities" {
  description = "Forward only findings of these severities (the event's detail.severity). Empty: every severity. Filter in the primary region too: forwarded events pass its rule again."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.severities : contains(["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL", "UNTRIAGED"], s)])
    error_message = "severities must be among INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL, UNTRIAGED."
  }
}

variable "finding_account_ids" {
  description = "Forward only findings of these accounts (the event's detail.awsAccountId: the member whose resource it is). Empty: every account the delegated administrator sees."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.finding_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "finding_account_ids must be 12-digit AWS account ids."
  }
}

variable "maximum_event_age_in_seconds" {
  description = "How long EventBridge keeps retrying a delivery before it gives the event to the dead-letter queue (60-86400 s)."
  type        = number
  default     = 86400

  validation {
    condition     = var.maximum_event_age_in_seconds >= 60 && var.maximum_event_age_in_seconds <= 86400
    error_message = "maximum_event_age_in_seconds must be from 60 to 86400."
  }
}

variable "maximum_retry_attempts" {
  description = "Delivery retries before an event goes to the dead-letter queue (0-185)."
  type        = number
  default     = 185

  validation {
    condition     = var.maximum_retry_attempts >= 0 && var.maximum_retry_attempts <= 185
    error_message = "maximum_retry_attempts must be from 0 to 185."
  }
}

variable "dlq_kms_key_arn" {
  description = "A KMS key (in this region) for the dead-letter queue; its policy must let events.amazonaws.com use kms:GenerateDataKey* and kms:Decrypt for this rule (aws:SourceArn). Null: SQS-managed encryption (SSE-SQS), which EventBridge can write without a key policy."
  type        = string
  default     = null

  validation {
    condition     = var.dlq_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.dlq_kms_key_arn))
    error_message = "dlq_kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)."
  }
}

variable "alarm_topic_arn" {
  description = "SNS topic for an alarm on the dead-letter queue (e.g. security-primary's alarm_topic_arn). Null: no alarm."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[a-zA-Z0-9_-]{1,256}$", var.alarm_topic_arn))
    error_message = "alarm_topic_arn must be an SNS topic ARN."
  }
}

variable "create_dlq_alarm" {
  description = "Whether to create the dead-letter queue alarm. Null: when alarm_topic_arn is given. Set true when alarm_topic_arn comes from a resource of the same configuration (known only after apply)."
  type        = bool
  default     = null
}

variable "permissions_boundary" {
  description = "ARN of a permissions boundary policy for the forwarding role (other regions), when the landing zone requires one."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", var.permissions_boundary))
    error_message = "permissions_boundary must be an IAM policy ARN."
  }
}

variable "tags" {
  description = "Tags for every resource that takes tags."
  type        = map(string)
  default     = {}
}
