variable "name_suffix" {
  description = "Appended to every name and to the scan tag value, so runs sharing one local AWS do not collide."
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
  description = "The account whose EC2 instances Inspector Classic assesses."
  type        = string
  default     = "222222222222"

  validation {
    condition     = can(regex("^[0-9]{12}$", var.member_account_id))
    error_message = "member_account_id must be a 12-digit AWS account id."
  }
}

variable "security_account_id" {
  description = "The account whose SNS topic receives the notifications."
  type        = string
  default     = "111111111111"

  validation {
    condition     = can(regex("^[0-9]{12}$", var.security_account_id))
    error_message = "security_account_id must be a 12-digit AWS account id."
  }
}

variable "duration" {
  description = "Assessment run duration in seconds (180 to 86400)."
  type        = number
  default     = 3600

  validation {
    condition     = var.duration >= 180 && var.duration <= 86400
    error_message = "duration must be from 180 to 86400 seconds."
  }
}

variable "events" {
  description = "Inspector Classic events the template notifies the topic about."
  type        = set(string)
  default     = ["FINDING_REPORTED"]

  validation {
    condition     = alltrue([for e in var.events : contains(["ASSESSMENT_RUN_STARTED", "ASSESSMENT_RUN_COMPLETED", "ASSESSMENT_RUN_STATE_CHANGED", "FINDING_REPORTED", "OTHER"], e)])
    error_message = "events must be Inspector Classic events: ASSESSMENT_RUN_STARTED, ASSESSMENT_RUN_COMPLETED, ASSESSMENT_RUN_STATE_CHANGED, FINDING_REPORTED, OTHER."
  }
}
