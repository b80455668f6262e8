variable "region" {
  description = "The provider's region."
  type        = string
  default     = "us-east-1"
}

variable "member_account_id" {
  description = "The account the provider assumes a role in."
  type        = string
  default     = "222222222222"
}

variable "assessment_template_arn" {
  description = "Passed to the attachment as is."
  type        = string
}

variable "topic_arn" {
  description = "Passed to the attachment as is."
  type        = string
}

variable "events" {
  description = "Passed to the attachment as is; null means the resource's default."
  type        = set(string)
  default     = null
}
