variable "create" {
  description = "Whether to create anything. Set to false to switch the module off without removing its block."
  type        = bool
  default     = true
}

variable "create_delegated_admin" {
  description = "Whether the module makes the security account (the aws provider's account) Inspector's delegated administrator, through the aws.management provider (the organisation's management account). Set false when the landing zone has done it already (then pass providers = { aws = ..., aws.management = <the same> })."
  type        = bool
  default     = true
}

variable "auto_enable" {
  description = "Scan types Inspector enables automatically for accounts that join the organisation (aws_inspector2_organization_configuration's auto_enable). lambda_code needs lambda."
  type = object({
    ec2         = optional(bool, true)
    ecr         = optional(bool, true)
    lambda      = optional(bool, true)
    lambda_code = optional(bool, false)
  })
  default = {}

  validation {
    condition     = !var.auto_enable.lambda_code || var.auto_enable.lambda
    error_message = "auto_enable.lambda_code needs auto_enable.lambda: Lambda code scanning builds on Lambda standard scanning."
  }
}

variable "resource_types" {
  description = "Scan types enabled now for the administrator (enable_admin_account) and the associated members: EC2, ECR, LAMBDA, LAMBDA_CODE (LAMBDA_CODE needs LAMBDA)."
  type        = list(string)
  default     = ["EC2", "ECR", "LAMBDA"]

  validation {
    condition     = length(var.resource_types) >= 1 && alltrue([for t in var.resource_types : contains(["EC2", "ECR", "LAMBDA", "LAMBDA_CODE"], t)])
    error_message = "resource_types must list one or more of EC2, ECR, LAMBDA, LAMBDA_CODE."
  }

  validation {
    condition     = !contains(var.resource_types, "LAMBDA_CODE") || contains(var.resource_types, "LAMBDA")
    error_message = "resource_types with LAMBDA_CODE must also list LAMBDA."
  }
}

variable "enable_admin_account" {
  description = "Whether to enable resource_types in the security account itself (its own EC2, ECR and Lambda)."
  type        = bool
  default     = true
}

variable "member_account_ids" {
  description = "Existing member accounts to associate with the administrator and enable for resource_types now (auto_enable covers accounts that join later). The security account itself is skipped."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.member_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "member_account_ids must be 12-digit AWS account ids."
  }
}

variable "excluded_account_ids" {
  description = "Accounts of member_account_ids to leave alone: not associated, not enabled (e.g. a sandbox or an account another team runs Inspector in)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.excluded_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "excluded_account_ids must be 12-digit AWS account ids."
  }
}

variable "enable_security_hub_integration" {
  description = "Subscribe Security Hub (already enabled in the security account and region) to Inspector's findings. Inspector v2 and Classic are one Security Hub product: leave false in the region where security-primary has enable_security_hub = true."
  type        = bool
  default     = false
}
