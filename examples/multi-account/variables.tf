variable "security_account_id" {
  description = "The security account: findings, queues, Lambdas and the per-region topics live here."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.security_account_id))
    error_message = "security_account_id must be a 12-digit AWS account id."
  }
}

variable "member_account_ids" {
  description = "The two member accounts whose EC2 instances Inspector Classic assesses (this root wires two; stacks/ takes any number)."
  type        = list(string)

  validation {
    condition     = length(var.member_account_ids) == 2 && alltrue([for id in var.member_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "member_account_ids must be two 12-digit AWS account ids (add provider aliases and module blocks for more, or use stacks/)."
  }
}

variable "primary_region" {
  description = "The security account's primary region (queues, Lambdas, bucket) and the first scanned region."
  type        = string
  default     = "us-east-1"
}

variable "secondary_region" {
  description = "The second scanned region; the security account has a topic there too."
  type        = string
  default     = "us-west-2"
}

variable "account_role_name" {
  description = "The role Terraform assumes in every account: OrganizationAccountAccessRole in an AWS Organization, or your landing zone's deployment role (e.g. AWSControlTowerExecution)."
  type        = string
  default     = "OrganizationAccountAccessRole"
}

variable "partition" {
  description = "The AWS partition of every account: aws, aws-us-gov or aws-cn."
  type        = string
  default     = "aws"
}

variable "name_prefix" {
  description = "Prefix of every name in every account."
  type        = string
  default     = "inspectorlink"
}

variable "external_id" {
  description = "The sts:ExternalId the security account's Lambdas present to the member accounts' read role. Generate one (e.g. `openssl rand -hex 16`) and keep it out of version control (TF_VAR_external_id)."
  type        = string
  sensitive   = true
}

variable "organization_id" {
  description = "Your AWS Organization's id (o-...): the member read roles then also require aws:PrincipalOrgID. null to skip."
  type        = string
  default     = null
}

variable "scan_tag" {
  description = "EC2 instances with this tag are assessed in every member account and region."
  type = object({
    key   = string
    value = optional(string)
  })
  default = {
    key   = "InspectorScan"
    value = "true"
  }
}

variable "schedule_expression" {
  description = "When assessment runs start in every member region."
  type        = string
  default     = "rate(1 day)"
}

variable "notification_emails" {
  description = "Email addresses that receive a readable notification per finding."
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

variable "local_aws" {
  description = "true when the providers talk to the local AWS (AWS_ENDPOINT_URL set, see tests/localaws): fewer retries, path-style S3, no EC2 metadata or credential checks."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every resource in every account."
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
