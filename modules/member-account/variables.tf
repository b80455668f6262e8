variable "create" {
  description = "Whether to create anything. Set to false to switch the module off without removing its block."
  type        = bool
  default     = true
}

variable "name_prefix" {
  description = "Prefix of every name this module creates; use the same prefix as the security account's modules."
  type        = string
  default     = "inspectorlink"

  validation {
    condition     = can(regex("^[a-zA-Z0-9+=,.@_-]{1,40}$", var.name_prefix))
    error_message = "name_prefix must be 1-40 characters allowed in IAM role names (letters, digits and +=,.@_-)."
  }
}

variable "read_role_name" {
  description = "Name of the read-only role the central Lambdas assume. Defaults to \"<name_prefix>-read\"; the security account's send-findings and notify-findings configuration must name the same role."
  type        = string
  default     = null

  validation {
    condition     = var.read_role_name == null || can(regex("^[a-zA-Z0-9+=,.@_-]{1,64}$", var.read_role_name))
    error_message = "read_role_name must be 1-64 characters: letters, digits and +=,.@_-."
  }
}

variable "scheduler_role_name" {
  description = "Name of the role EventBridge assumes to start Inspector Classic assessment runs. Defaults to \"<name_prefix>-scheduler\"."
  type        = string
  default     = null

  validation {
    condition     = var.scheduler_role_name == null || can(regex("^[a-zA-Z0-9+=,.@_-]{1,64}$", var.scheduler_role_name))
    error_message = "scheduler_role_name must be 1-64 characters: letters, digits and +=,.@_-."
  }
}

variable "central_role_arns" {
  description = "ARNs of the security account's Lambda roles that may assume the read role: the send-findings and notify-findings roles (security-primary outputs send_findings_role_arn and notify_findings_role_arn). Nothing else is trusted."
  type        = list(string)

  validation {
    condition     = length(var.central_role_arns) > 0 && alltrue([for arn in var.central_role_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[a-zA-Z0-9+=,.@_/-]+$", arn))])
    error_message = "central_role_arns must list at least one IAM role ARN (arn:<partition>:iam::<12 digits>:role/<name>); account roots and users are not accepted."
  }
}

variable "external_id" {
  description = "The sts:ExternalId the central Lambdas must present to assume the read role (the same value is configured in the security account)."
  type        = string
  sensitive   = true

  validation {
    condition     = length(var.external_id) >= 2 && length(var.external_id) <= 1224 && can(regex("^[a-zA-Z0-9+=,.@:/_-]+$", var.external_id))
    error_message = "external_id must be 2-1224 characters: letters, digits and +=,.@:/_-."
  }
}

variable "organization_id" {
  description = "If set, the read role also requires the caller to be in this AWS Organization (aws:PrincipalOrgID), e.g. \"o-a1b2c3d4e5\"."
  type        = string
  default     = null

  validation {
    condition     = var.organization_id == null || can(regex("^o-[a-z0-9]{10,32}$", var.organization_id))
    error_message = "organization_id must look like o-a1b2c3d4e5 (\"o-\" and 10-32 lowercase letters or digits)."
  }
}

variable "permissions_boundary" {
  description = "ARN of the permissions boundary policy to set on both roles, when the landing zone requires one."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", var.permissions_boundary))
    error_message = "permissions_boundary must be an IAM policy ARN."
  }
}

variable "max_session_duration" {
  description = "Maximum session duration of the read role in seconds (3600-43200)."
  type        = number
  default     = 3600

  validation {
    condition     = var.max_session_duration >= 3600 && var.max_session_duration <= 43200
    error_message = "max_session_duration must be from 3600 to 43200 seconds."
  }
}

variable "tags" {
  description = "Tags for every resource that takes tags."
  type        = map(string)
  default     = {}
}
