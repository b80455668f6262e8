# Shared by every stack root (each links this file as estate.tf): the estate-wide variables
# (set once in stacks/estate.tfvars), the provider settings, and the names every stack
# derives from name_prefix. Stacks pass values to each other by these names, not by remote
# state, so each stack plans on its own; the modules check what they rely on (e.g.
# member-region looks the scheduler role up).

terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40, < 6.0"
    }
    inspectorlink = {
      source = "inspectorlink/inspectorlink"
    }
  }
}

variable "security_account_id" {
  description = "The security account."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.security_account_id))
    error_message = "security_account_id must be a 12-digit AWS account id."
  }
}

variable "member_account_ids" {
  description = "Every member account (the central Lambdas may read these, the topics accept their templates)."
  type        = list(string)

  validation {
    condition     = length(var.member_account_ids) >= 1 && alltrue([for id in var.member_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "member_account_ids must list 12-digit AWS account ids."
  }
}

variable "regions" {
  description = "Every scanned region; the security account has a findings topic in each. The first is the primary region (queues, Lambdas, bucket)."
  type        = list(string)

  validation {
    condition     = length(var.regions) >= 1
    error_message = "regions must list at least the primary region."
  }
}

variable "account_role_name" {
  description = "The role Terraform assumes in every account (OrganizationAccountAccessRole, or the landing zone's deployment role). With Atlantis, the workflow may assume it instead (see examples/atlantis.yaml)."
  type        = string
  default     = "OrganizationAccountAccessRole"
}

variable "partition" {
  description = "AWS partition of every account."
  type        = string
  default     = "aws"
}

variable "name_prefix" {
  description = "Prefix of every name in every account."
  type        = string
  default     = "inspectorlink"
}

variable "external_id" {
  description = "The sts:ExternalId of the member read roles; set TF_VAR_external_id, never commit it."
  type        = string
  sensitive   = true
}

variable "organization_id" {
  description = "AWS Organization id (o-...) the member read roles also require; null to skip."
  type        = string
  default     = null
}

variable "scan_tag" {
  description = "EC2 tag of the instances to assess."
  type = object({
    key   = string
    value = optional(string)
  })
  default = { key = "InspectorScan", value = "true" }
}

variable "schedule_expression" {
  description = "When assessment runs start."
  type        = string
  default     = "rate(1 day)"
}

variable "local_aws" {
  description = "true against the local AWS (AWS_ENDPOINT_URL): fewer retries, path-style S3, no metadata or credential checks."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}

locals {
  primary_region = var.regions[0]
  max_retries    = var.local_aws ? 2 : null

  # Names the modules give things, derived from name_prefix (module defaults).
  security_role_arn      = "arn:${var.partition}:iam::${var.security_account_id}:role/${var.account_role_name}"
  send_findings_role_arn = "arn:${var.partition}:iam::${var.security_account_id}:role/${var.name_prefix}-send-findings"
  notify_role_arn        = "arn:${var.partition}:iam::${var.security_account_id}:role/${var.name_prefix}-notify-findings"
  central_queue_arns = [
    "arn:${var.partition}:sqs:${local.primary_region}:${var.security_account_id}:${var.name_prefix}-send-findings",
    "arn:${var.partition}:sqs:${local.primary_region}:${var.security_account_id}:${var.name_prefix}-notify-findings",
  ]
}
