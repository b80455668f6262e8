variable "member_account_id" {
  description = "The account the provider assumes a role in."
  type        = string
  default     = "222222222222"
}

variable "attachment_id" {
  description = "The import id: <assessment_template_arn>,<topic_arn>."
  type        = string
}
