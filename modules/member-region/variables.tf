variable "create" {
  description = "Whether to create anything. Set to false to switch the module off without removing its block."
  type        = bool
  default     = true
}

variable "name_prefix" {
  description = "Prefix of every name this module creates, and of the security account's topic name (\"<name_prefix>-findings\"): use the security account modules' prefix."
  type        = string
  default     = "inspectorlink"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,40}$", var.name_prefix))
    error_message = "name_prefix must be 1-40 letters, digits, hyphens or underscores (it is part of SNS topic, SQS queue, Lambda and IAM role names)."
  }
}

variable "security_account_id" {
  description = "The security account whose regional topic arn:<partition>:sns:<region>:<security_account_id>:<central_topic_name> receives this region's notifications."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.security_account_id))
    error_message = "security_account_id must be a 12-digit AWS account id."
  }
}

variable "central_topic_name" {
  description = "Name of the security account's regional topic. Defaults to \"<name_prefix>-findings\", the name the security-region module gives it."
  type        = string
  default     = null

  validation {
    condition     = var.central_topic_name == null || can(regex("^[a-zA-Z0-9_-]{1,256}$", var.central_topic_name))
    error_message = "central_topic_name must be 1-256 letters, digits, hyphens or underscores (a standard SNS topic name)."
  }
}

variable "central_topic_arn" {
  description = "The security account's regional topic, e.g. security-region's topic_arn output when both are in one root (which also orders the apply). Defaults to the ARN built from security_account_id and central_topic_name."
  type        = string
  default     = null

  validation {
    condition     = var.central_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[a-zA-Z0-9_-]{1,256}$", coalesce(var.central_topic_arn, "x")))
    error_message = "central_topic_arn must be a standard SNS topic ARN (arn:<partition>:sns:<region>:<account>:<name>)."
  }
}

variable "scan_tag" {
  description = "The EC2 tag that selects the instances to assess (Inspector Classic resource group). Without a value, any value of the key matches."
  type = object({
    key   = string
    value = optional(string)
  })
  default = {
    key   = "InspectorScan"
    value = "true"
  }

  validation {
    condition     = length(var.scan_tag.key) >= 1 && length(var.scan_tag.key) <= 128 && (var.scan_tag.value == null ? true : length(var.scan_tag.value) <= 256)
    error_message = "scan_tag.key must be 1-128 characters and scan_tag.value at most 256 (EC2 tag limits)."
  }
}

variable "assessment_target_name" {
  description = "Name of the assessment target (unique per account and region). Defaults to \"<name_prefix>\"."
  type        = string
  default     = null

  validation {
    condition     = var.assessment_target_name == null || (length(coalesce(var.assessment_target_name, "x")) >= 1 && length(coalesce(var.assessment_target_name, "x")) <= 140)
    error_message = "assessment_target_name must be 1-140 characters."
  }
}

variable "assessment_template_name" {
  description = "Name of the assessment template. Defaults to \"<name_prefix>\"."
  type        = string
  default     = null

  validation {
    condition     = var.assessment_template_name == null || (length(coalesce(var.assessment_template_name, "x")) >= 1 && length(coalesce(var.assessment_template_name, "x")) <= 140)
    error_message = "assessment_template_name must be 1-140 characters."
  }
}

variable "duration" {
  description = "Duration of each assessment run in seconds. The Inspector API accepts 180 to 86400; AWS recommends 3600."
  type        = number
  default     = 3600

  validation {
    condition     = var.duration >= 180 && var.duration <= 86400 && floor(var.duration) == var.duration
    error_message = "duration must be a whole number of seconds from 180 to 86400 (the Inspector API's limits)."
  }
}

variable "rules_package_arns" {
  description = "Rules packages of the template. Defaults to every rules package Inspector Classic offers in the region (data source aws_inspector_rules_packages)."
  type        = list(string)
  default     = null

  validation {
    condition     = var.rules_package_arns == null || alltrue([for arn in coalesce(var.rules_package_arns, []) : can(regex("^arn:aws[a-z-]*:inspector:[a-z0-9-]+:[0-9]{12}:rulespackage/0-[a-zA-Z0-9]+$", arn))])
    error_message = "rules_package_arns must be Inspector Classic rules package ARNs (arn:aws:inspector:<region>:<account>:rulespackage/0-XXXXXXXX)."
  }
}

variable "schedule_expression" {
  description = "When EventBridge starts an assessment run: \"rate(<n> <unit>)\" or \"cron(...)\". null disables the schedule (runs are then started by hand)."
  type        = string
  default     = "rate(1 day)"

  validation {
    condition = var.schedule_expression == null || can(regex(
      "^(rate\\((1 (minute|hour|day)|([2-9]|[1-9][0-9]+) (minutes|hours|days))\\)|cron\\(\\S+ \\S+ \\S+ \\S+ \\S+ \\S+\\))$",
    coalesce(var.schedule_expression, "rate(1 day)")))
    error_message = "schedule_expression must be \"rate(1 minute|hour|day)\", \"rate(<n> minutes|hours|days)\" with n >= 2, or \"cron(<6 fields>)\" as EventBridge documents them."
  }
}

variable "scheduler_role_arn" {
  description = "ARN of the role EventBridge assumes to start runs: the member-account module's scheduler_role_arn output. Checked at plan/apply: the role must exist in this account and trust events.amazonaws.com. Required when schedule_expression is set."
  type        = string
  default     = null

  validation {
    condition     = var.scheduler_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[a-zA-Z0-9+=,.@_/-]+$", coalesce(var.scheduler_role_arn, "x")))
    error_message = "scheduler_role_arn must be an IAM role ARN (arn:<partition>:iam::<12 digits>:role/<name>)."
  }
}

variable "events" {
  description = "Inspector Classic events the template notifies the central topic of."
  type        = set(string)
  default     = ["FINDING_REPORTED"]

  validation {
    condition     = length(var.events) > 0 && alltrue([for e in var.events : contains(["ASSESSMENT_RUN_STARTED", "ASSESSMENT_RUN_COMPLETED", "ASSESSMENT_RUN_STATE_CHANGED", "FINDING_REPORTED", "OTHER"], e)])
    error_message = "events must be a non-empty set of ASSESSMENT_RUN_STARTED, ASSESSMENT_RUN_COMPLETED, ASSESSMENT_RUN_STATE_CHANGED, FINDING_REPORTED, OTHER."
  }
}

variable "template_tags" {
  description = "Tags of the assessment template (Inspector Classic tags only templates), merged over tags. Inspector copies them onto every finding as attributes."
  type        = map(string)
  default     = {}
}

################################################################################
# Auto-attach: templates created outside Terraform
################################################################################

variable "auto_attach" {
  description = "Create the attach-template Lambda, which subscribes templates created outside Terraform (CreateAssessmentTemplate / SetTagsForResource seen through CloudTrail) to the central topic. Needs CloudTrail management events recorded in this account and region."
  type        = bool
  default     = false
}

variable "attach_template_zip" {
  description = "Path of the attach-template Lambda zip (a provided.al2023 bootstrap). Null: dist/lambda/attach-template.zip of this repository (`make zips`)."
  type        = string
  default     = null
}

variable "attach_template_tag" {
  description = "Only templates carrying this tag are attached by the Lambda (TEMPLATE_TAG_KEY / TEMPLATE_TAG_VALUE); null attaches every new template. Without a value, any value of the key matches."
  type = object({
    key   = string
    value = optional(string)
  })
  default = null
}

variable "central_topic_regions" {
  description = "Regions that have a central topic (CENTRAL_TOPIC_REGIONS of the Lambda). Defaults to this region."
  type        = list(string)
  default     = null

  validation {
    condition     = var.central_topic_regions == null || alltrue([for r in coalesce(var.central_topic_regions, []) : can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", r))])
    error_message = "central_topic_regions must be region names such as us-east-1."
  }
}

variable "lambda_architecture" {
  description = "Instruction set of the attach-template zip: x86_64 or arm64 (as it was built)."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.lambda_architecture)
    error_message = "lambda_architecture must be x86_64 or arm64."
  }
}

variable "reserved_concurrent_executions" {
  description = "Reserved concurrency of the attach-template Lambda; null (the default) reserves none, which works in new accounts whose concurrency limit is 10."
  type        = number
  default     = null

  validation {
    condition     = var.reserved_concurrent_executions == null || coalesce(var.reserved_concurrent_executions, 0) >= 0
    error_message = "reserved_concurrent_executions must be 0 or more, or null."
  }
}

variable "log_retention_in_days" {
  description = "Retention of the Lambda's CloudWatch log group."
  type        = number
  default     = 90

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."
  }
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key (in this account and region) for the Lambda's environment, its log group and the DLQ. null uses AWS-managed encryption. The key policy must let the Lambda role, CloudWatch Logs and events.amazonaws.com use it."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", coalesce(var.kms_key_arn, "x")))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)."
  }
}

variable "dlq_message_retention_seconds" {
  description = "How long the attach-template DLQ keeps events that could not be delivered or processed (60-1209600)."
  type        = number
  default     = 1209600

  validation {
    condition     = var.dlq_message_retention_seconds >= 60 && var.dlq_message_retention_seconds <= 1209600
    error_message = "dlq_message_retention_seconds must be from 60 to 1209600."
  }
}

variable "alarm_topic_arn" {
  description = "SNS topic of this account and region for an alarm on auto-attach's dead-letter queue. Null: no alarm."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[a-zA-Z0-9_-]{1,256}$", var.alarm_topic_arn))
    error_message = "alarm_topic_arn must be an SNS topic ARN."
  }
}

variable "create_dlq_alarm" {
  description = "Whether to create the auto-attach dead-letter queue alarm. Null: when auto_attach is on and alarm_topic_arn is given. Set true when alarm_topic_arn comes from a resource of the same configuration (known only after apply)."
  type        = bool
  default     = null
}

variable "permissions_boundary" {
  description = "ARN of the permissions boundary policy for the attach-template Lambda role."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", coalesce(var.permissions_boundary, "x")))
    error_message = "permissions_boundary must be an IAM policy ARN."
  }
}

variable "tags" {
  description = "Tags for every resource that takes tags."
  type        = map(string)
  default     = {}
}
