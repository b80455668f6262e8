variable "name_suffix" {
  description = "Appended to every name, so runs sharing one local AWS do not collide."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9-]{1,16}$", var.name_suffix))
    error_message = "name_suffix must be 1-16 lowercase letters, digits or hyphens."
  }
}

variable "region" {
  description = "Inspector Classic region of the template and of the topic it notifies."
  type        = string
  default     = "us-east-1"
}

variable "member_account_id" {
  description = "The account that owns the assessment template."
  type        = string
  default     = "222222222222"
}

variable "security_account_id" {
  description = "The account that owns the topic."
  type        = string
  default     = "111111111111"
}

variable "events" {
  description = "The events the attachment subscribes; null leaves them to the resource's default (FINDING_REPORTED)."
  type        = set(string)
  default     = null
}
