variable "security_account_id" {
  description = "The security account: Inspector v2's delegated administrator, and where findings, queues and Lambdas live."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.security_account_id))
    error_message = "security_account_id must be a 12-digit AWS account id."
  }
}

variable "management_account_id" {
  description = "The organisation's management account: it names the delegated administrator, nothing else."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.management_account_id))
    error_message = "management_account_id must be a 12-digit AWS account id."
  }
}

variable "member_account_ids" {
  description = "The member accounts to scan now (any number); accounts that join the organisation later are enabled by auto_enable."
  type        = list(string)

  validation {
    condition     = alltrue([for id in var.member_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "member_account_ids must be 12-digit AWS account ids."
  }
}

variable "excluded_account_ids" {
  description = "Accounts of member_account_ids to leave alone (e.g. a sandbox, or an account another team runs Inspector in)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.excluded_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "excluded_account_ids must be 12-digit AWS account ids."
  }
}

variable "primary_region" {
  description = "The security account's primary region: queues, Lambdas, bucket, and where the other region's findings are forwarded."
  type        = string
  default     = "us-east-1"
}

variable "secondary_region" {
  description = "The second scanned region: Inspector is enabled there and its findings are forwarded to the primary region."
  type        = string
  default     = "us-west-2"
}

variable "account_role_name" {
  description = "The role Terraform assumes in the security and management accounts: OrganizationAccountAccessRole in an AWS Organization, or your landing zone's deployment role."
  type        = string
  default     = "OrganizationAccountAccessRole"
}

variable "partition" {
  description = "The AWS partition of every account: aws, aws-us-gov or aws-cn."
  type        = string
  default     = "aws"
}

variable "name_prefix" {
  description = "Prefix of every name."
  type        = string
  default     = "inspectorlink"
}

variable "auto_enable" {
  description = "Scan types Inspector enables for accounts that join the organisation later (lambda_code needs lambda)."
  type = object({
    ec2         = bool
    ecr         = bool
    lambda      = optional(bool, false)
    lambda_code = optional(bool, false)
  })
  default = { ec2 = true, ecr = true, lambda = true, lambda_code = false }
}

variable "resource_types" {
  description = "Scan types enabled now in the security account and the members: EC2, ECR, LAMBDA, LAMBDA_CODE."
  type        = list(string)
  default     = ["EC2", "ECR", "LAMBDA"]
}

variable "severities" {
  description = "Forward only findings of these severities (INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL, UNTRIAGED); empty: all. notify_min_severity still decides which are announced."
  type        = list(string)
  default     = []
}

variable "notify_min_severity" {
  description = "Findings at or above this severity are announced by notify-findings."
  type        = string
  default     = "MEDIUM"
}

variable "notify_min_priority" {
  description = "When set (P1 highest to P5), only findings of this priority or higher are announced, as well as at or above notify_min_severity; the priority weighs severity, exploitation, exposure and fix. null: severity alone."
  type        = string
  default     = null
}

variable "notification_destinations" {
  description = "Where notification_rules send findings, as modules/security-primary takes them: SNS topics, Slack and Teams webhooks, Jira Cloud projects (webhook URLs and API tokens go into the secrets the module creates, never into Terraform)."
  type = map(object({
    type       = string
    topic_arn  = optional(string)
    secret_arn = optional(string)
    jira = optional(object({
      url               = string
      email             = string
      project_key       = string
      issue_type        = optional(string, "Bug")
      done_transition   = optional(string, "Done")
      reopen_transition = optional(string, "To Do")
    }))
  }))
  default = {}
}

variable "notification_rules" {
  description = "Who hears about which findings, as modules/security-primary takes them (its README: \"Routing rules\"). Empty: notify_min_severity and notify_min_priority to the notifications topic."
  type = list(object({
    name              = string
    destinations      = list(string)
    min_severity      = optional(string)
    severities        = optional(list(string))
    min_priority      = optional(string)
    priorities        = optional(list(string))
    min_epss          = optional(number)
    kev               = optional(bool)
    exploit_available = optional(bool)
    fix_available     = optional(bool)
    accounts          = optional(list(string))
    resource_types    = optional(list(string))
    resource_tags     = optional(map(list(string)))
    otherwise         = optional(bool, false)
    digest_schedule   = optional(string)
    jira_ticket_per   = optional(string)
  }))
  default = []
}

variable "notification_secret_recovery_window_in_days" {
  description = "Days Secrets Manager keeps a deleted destination secret recoverable (0: at once; the sandbox, which is destroyed and rebuilt)."
  type        = number
  default     = 30
}

variable "ocsf_output" {
  description = "The OCSF copy of the findings (docs/ocsf.md), as modules/security-primary takes it: e.g. { prefix = \"ocsf\" } writes OCSF 1.1.0 Parquet under ocsf/ in the findings bucket, with an Athena table over it. null (the default): off."
  type = object({
    bucket      = optional(string)
    prefix      = optional(string, "ocsf")
    kms_key_arn = optional(string)
    role_arn    = optional(string)
    external_id = optional(string)
  })
  default = null
}

variable "notification_emails" {
  description = "Email addresses that receive a readable notification per finding and state change."
  type        = list(string)
  default     = []
}

variable "notification_http_endpoints" {
  description = "HTTP(S) endpoints (ticketing, SIEM) that get every notification as JSON; min_severity optional, as in modules/security-primary."
  type = list(object({
    endpoint     = string
    min_severity = optional(string)
  }))
  default = []
}

variable "allow_plain_http_notification_endpoints" {
  description = "Accept http:// notification_http_endpoints (unencrypted; for a trusted network only, such as the sandbox's local mailbox)."
  type        = bool
  default     = false
}

variable "opensearch_endpoint" {
  description = "An existing OpenSearch domain endpoint (https://...) that send-findings indexes into; null: no indexing."
  type        = string
  default     = null
}

variable "opensearch_arn" {
  description = "ARN of that domain (arn:aws:es:<region>:<account>:domain/<name>); required with opensearch_endpoint."
  type        = string
  default     = null
}

variable "enable_security_hub" {
  description = "Enable Security Hub in the security account's primary region and subscribe it to Inspector's findings (one product for Classic and v2). Leave false when the landing zone manages Security Hub."
  type        = bool
  default     = false
}

variable "local_aws" {
  description = "true when the providers talk to the local AWS (AWS_ENDPOINT_URL set, see tests/localaws): fewer retries, path-style S3, no EC2 metadata or credential checks."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every resource that takes tags."
  type        = map(string)
  default     = {}
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
