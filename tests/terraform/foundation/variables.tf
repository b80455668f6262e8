variable "name_suffix" {
  description = "Appended to every name, so runs sharing one local AWS do not collide."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9-]{1,16}$", var.name_suffix))
    error_message = "name_suffix must be 1-16 lowercase letters, digits or hyphens."
  }
}

variable "security_account_id" {
  description = "The account that receives every finding."
  type        = string
  default     = "111111111111"

  validation {
    condition     = can(regex("^[0-9]{12}$", var.security_account_id))
    error_message = "security_account_id must be a 12-digit AWS account id."
  }
}

variable "member_account_ids" {
  description = "Exactly two member accounts whose topics feed the central queue."
  type        = list(string)
  default     = ["222222222222", "333333333333"]

  validation {
    condition     = length(var.member_account_ids) == 2 && alltrue([for id in var.member_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "member_account_ids must be two 12-digit AWS account ids."
  }
}

variable "primary_region" {
  description = "Region of the central queue."
  type        = string
  default     = "us-east-1"
}

variable "secondary_region" {
  description = "The second region each account has a topic in."
  type        = string
  default     = "us-west-2"
}
