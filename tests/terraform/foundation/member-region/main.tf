# One member account in one region: a topic subscribed to the central queue in the
# security account (a cross-account, possibly cross-region subscription).

terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }
}

variable "name" {
  description = "Name prefix shared by the estate."
  type        = string
}

variable "queue_arn" {
  description = "ARN of the central queue in the security account."
  type        = string
}

resource "aws_sns_topic" "this" {
  name = "${var.name}-member-events"
}

resource "aws_sns_topic_subscription" "central" {
  topic_arn = aws_sns_topic.this.arn
  protocol  = "sqs"
  endpoint  = var.queue_arn
}

output "topic_arn" {
  description = "ARN of the member topic."
  value       = aws_sns_topic.this.arn
}
