output "topic_arn" {
  description = "ARN of the alarms topic: give it to the alarms of this region (inspector2-forwarding's alarm_topic_arn)."
  value       = try(aws_sns_topic.this[0].arn, null)
}

output "kms_key_arn" {
  description = "ARN of the key that encrypts the topic (created, or kms_key_arn)."
  value       = var.create ? local.kms_key_arn : null
}

output "email_subscription_arns" {
  description = "Email subscriptions by address (\"pending confirmation\" until the recipient confirms)."
  value       = { for email, subscription in aws_sns_topic_subscription.email : email => subscription.arn }
}
