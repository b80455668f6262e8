output "rule_arn" {
  description = "ARN of the rule (built from its name, so security-primary's eventbridge_rule_arns can take the primary instance's without a cycle)."
  value       = var.create ? try(local.rule_arn, null) : null
}

output "coverage_rule_arn" {
  description = "ARN of the coverage rule (\"<name_prefix>-inspector2-coverage\", built from its name), or null when it is not created."
  value       = local.create_coverage ? try(local.coverage_rule_arn, null) : null
}

output "rule_arns" {
  description = "ARNs of the rules created (findings, and coverage when created), built from their names: the primary instance's go to security-primary's eventbridge_rule_arns."
  value       = try(local.rule_arns, [])
}

output "rule_name" {
  description = "Name of the rule (\"<name_prefix>-inspector2-findings\")."
  value       = try(aws_cloudwatch_event_rule.this[0].name, null)
}

output "event_pattern" {
  description = "The rule's event pattern (JSON)."
  value       = var.create ? try(local.event_pattern, null) : null
}

output "coverage_event_pattern" {
  description = "The coverage rule's event pattern (JSON), or null when it is not created."
  value       = local.create_coverage ? try(local.coverage_event_pattern, null) : null
}

output "target_arns" {
  description = "What the rule delivers to: the central queues (primary region) or the primary region's default bus."
  value       = try([for t in aws_cloudwatch_event_target.this : t.arn], [])
}

output "dlq_arn" {
  description = "ARN of the targets' dead-letter queue."
  value       = try(aws_sqs_queue.dlq[0].arn, null)
}

output "dlq_url" {
  description = "URL of the targets' dead-letter queue."
  value       = try(aws_sqs_queue.dlq[0].url, null)
}

output "forward_role_arn" {
  description = "ARN of the role EventBridge assumes to put events on the primary bus (other regions), or null."
  value       = try(aws_iam_role.forward[0].arn, null)
}

output "forwards" {
  description = "True in a forwarding (non-primary) instance."
  value       = var.create ? local.forwards : null
}
