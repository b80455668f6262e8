# What inspector2-forwarding's tests need from the primary region: two queues to target
# (stand-ins for security-primary's send and notify queues) and a topic for the alarm.

terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }
}

variable "name" {
  description = "Prefix of the queue and topic names."
  type        = string
}

resource "aws_sqs_queue" "this" {
  for_each = toset(["send", "notify"])

  name                    = "${var.name}-${each.key}"
  sqs_managed_sse_enabled = true
}

resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = "alias/aws/sns"
}

output "queue_arns" {
  description = "The send and notify queue ARNs, in that order."
  value       = [aws_sqs_queue.this["send"].arn, aws_sqs_queue.this["notify"].arn]
}

output "topic_arn" {
  description = "ARN of the alarm topic."
  value       = aws_sns_topic.alarms.arn
}
