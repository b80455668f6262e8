variable "create" {
  description = "Whether to create anything. Set to false to switch the module off without removing its block."
  type        = bool
  default     = true
}

variable "name_prefix" {
  description = "Prefix of every name: the topic is \"<name_prefix>-alarms\", the key's alias \"alias/<name_prefix>-alarms\". Alarms may publish when their name starts with \"<name_prefix>-\" (as the other modules name theirs)."
  type        = string
  default     = "inspectorlink"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,40}$", var.name_prefix))
    error_message = "name_prefix must be 1-40 letters, digits, hyphens or underscores."
  }
}

variable "emails" {
  description = "Email addresses subscribed to the topic (each confirms its subscription from the email AWS sends)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for email in var.emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", email))])
    error_message = "emails must be email addresses (name@example.com)."
  }
}

variable "kms_key_arn" {
  description = "KMS key that encrypts the topic; its policy must let cloudwatch.amazonaws.com use kms:GenerateDataKey* and kms:Decrypt. Null: the module creates a key that allows exactly that."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>); an alias ARN does not work in a topic policy's key."
  }
}

variable "kms_key_deletion_window_in_days" {
  description = "Waiting period before the created KMS key is deleted (7-30 days)."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_key_deletion_window_in_days >= 7 && var.kms_key_deletion_window_in_days <= 30
    error_message = "kms_key_deletion_window_in_days must be from 7 to 30."
  }
}

variable "tags" {
  description = "Tags for the topic and the key."
  type        = map(string)
  default     = {}
}
