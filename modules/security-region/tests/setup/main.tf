# What security-region's tests need from the primary region: two queues to subscribe the
# topic to (stand-ins for security-primary's send and notify queues) and a key to pass in.

terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }
}

variable "name" {
  description = "Prefix of the queue and key names."
  type        = string
}

resource "aws_sqs_queue" "this" {
  for_each = toset(["send", "notify"])

  name                    = "${var.name}-${each.key}"
  sqs_managed_sse_enabled = true
}

resource "aws_kms_key" "given" {
  #checkov:skip=CKV2_AWS_64:Test stand-in for a landing zone's key; the default key policy (account root) is what such keys often have.
  description             = "${var.name}: a key the landing zone already has"
  deletion_window_in_days = 7
  enable_key_rotation     = true
}

output "queue_arns" {
  description = "The send and notify queue ARNs, in that order."
  value       = [aws_sqs_queue.this["send"].arn, aws_sqs_queue.this["notify"].arn]
}

output "kms_key_arn" {
  description = "ARN of the given key."
  value       = aws_kms_key.given.arn
}
