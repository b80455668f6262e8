output "topic_arn" {
  description = "ARN of the regional findings topic; member templates subscribe to it."
  value       = try(aws_sns_topic.this[0].arn, null)
}

output "topic_name" {
  description = "Name of the regional findings topic (\"<name_prefix>-findings\")."
  value       = try(aws_sns_topic.this[0].name, null)
}

output "kms_key_arn" {
  description = "ARN of the key that encrypts the topic (created or given)."
  value       = try(local.kms_key_arn, null)
}

output "subscription_arns" {
  description = "ARNs of the topic's subscriptions, in the order of queue_arns."
  value       = try(aws_sns_topic_subscription.queues[*].arn, [])
}

output "inspector_service_account_id" {
  description = "The region's Inspector Classic service account, the only principal the topic policy lets publish."
  value       = try(local.facts.service_account_id, null)
}

output "member_filter_policy" {
  description = "The MessageBody filter policy on every subscription: the listed members' template ARN prefixes."
  value       = try(local.member_filter_policy, null)
}
