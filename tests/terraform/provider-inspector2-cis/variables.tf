variable "region" {
  description = "The region of the scan configuration."
  type        = string
  default     = "us-east-1"
}

variable "admin_account_id" {
  description = "The delegated administrator, which owns the scan configuration."
  type        = string
}

variable "member_account_id" {
  description = "A member of the administrator's organisation; null declares no member configuration."
  type        = string
  default     = null
}

variable "scan_name" {
  description = "Passed to the resource as is."
  type        = string
}

variable "security_level" {
  description = "Passed to the resource as is."
  type        = string
  default     = "LEVEL_1"
}

variable "schedule" {
  description = "The schedule: `kinds` names the blocks to write (one_time, daily, weekly, monthly; more than one to test the check), the rest fills them."
  type = object({
    kinds       = list(string)
    time_of_day = optional(string, "02:00")
    timezone    = optional(string, "UTC")
    days        = optional(set(string), ["MON"])
    day         = optional(string, "SUN")
  })
  default = { kinds = ["daily"] }
}

variable "account_ids" {
  description = "Passed to targets as is."
  type        = set(string)
  default     = ["SELF"]
}

variable "target_resource_tags" {
  description = "Passed to targets as is."
  type        = map(list(string))
  default     = { InspectorCis = ["enabled"] }
}

variable "tags" {
  description = "Passed to the resource as is; null sets none."
  type        = map(string)
  default     = null
}
