variable "admin_account_id" {
  description = "The delegated administrator the provider's role belongs to."
  type        = string
}

variable "region" {
  description = "The provider's region (known at plan time; only the role is not)."
  type        = string
  default     = "us-east-1"
}

variable "role_revision" {
  description = "Changing it changes terraform_data.admin_role, so the role ARN is unknown again in the next plan."
  type        = number
  default     = 1
}

variable "scan_name" {
  description = "The CIS scan configuration's name."
  type        = string
}

variable "read_coverage" {
  description = "Also read the coverage data source, which cannot be read before the provider is known."
  type        = bool
  default     = false
}
