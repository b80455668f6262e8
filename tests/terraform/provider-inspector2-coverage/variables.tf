variable "region" {
  description = "The region whose coverage is read."
  type        = string
  default     = "us-east-1"
}

variable "admin_account_id" {
  description = "The delegated administrator."
  type        = string
}

variable "member_account_id" {
  description = "A member of the administrator's organisation."
  type        = string
}

variable "account_ids" {
  description = "The accounts the administrator's narrowed read counts (the member's, unless a test says otherwise)."
  type        = set(string)
}
