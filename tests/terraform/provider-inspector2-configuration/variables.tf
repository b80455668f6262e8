variable "region" {
  description = "The region of the configuration."
  type        = string
  default     = "us-east-1"
}

variable "admin_account_id" {
  description = "The delegated administrator: its configuration applies to its members."
  type        = string
}

variable "member_account_id" {
  description = "A member of the administrator's organisation."
  type        = string
}

variable "ecr_rescan_duration" {
  description = "Passed to the resource as is."
  type        = string
  default     = "DAYS_30"
}

variable "ecr_pull_date_rescan_duration" {
  description = "Passed to the resource as is; null leaves Inspector's value."
  type        = string
  default     = null
}

variable "ecr_pull_date_rescan_mode" {
  description = "Passed to the resource as is; null leaves Inspector's value."
  type        = string
  default     = null
}

variable "ec2_scan_mode" {
  description = "Passed to the resource as is."
  type        = string
  default     = "EC2_SSM_AGENT_BASED"
}

variable "configure_from_member" {
  description = "Also declare the member's own configuration, which Inspector refuses."
  type        = bool
  default     = false
}
