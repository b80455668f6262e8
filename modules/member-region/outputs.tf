output "region" {
  description = "The region this instance scans."
  value       = try(data.aws_region.current.name, null)
}

output "resource_group_arn" {
  description = "The Inspector Classic resource group (instances tagged scan_tag)."
  value       = try(aws_inspector_resource_group.this[0].arn, null)
}

output "assessment_target_arn" {
  description = "The assessment target."
  value       = try(aws_inspector_assessment_target.this[0].arn, null)
}

output "assessment_template_arn" {
  description = "The assessment template that is run on the schedule and notifies the central topic."
  value       = try(aws_inspector_assessment_template.this[0].arn, null)
}

output "rules_package_arns" {
  description = "The rules packages of the template."
  value       = try(aws_inspector_assessment_template.this[0].rules_package_arns, null)
}

output "central_topic_arn" {
  description = "The security account's topic the template notifies."
  value       = local.create ? local.central_topic_arn : null
}

output "subscribed_events" {
  description = "The events the template notifies the central topic of, as subscribed."
  value       = try(inspectorlink_sns_attachment.this[0].events, null)
}

output "schedule_rule_arn" {
  description = "The EventBridge rule that starts assessment runs, if scheduled."
  value       = try(aws_cloudwatch_event_rule.schedule[0].arn, null)
}

output "attach_template_function_arn" {
  description = "The attach-template Lambda, when auto_attach is on."
  value       = try(aws_lambda_function.attach[0].arn, null)
}

output "attach_template_dlq_arn" {
  description = "The DLQ for events the attach-template Lambda could not get or process, when auto_attach is on."
  value       = try(aws_sqs_queue.attach_dlq[0].arn, null)
}

output "attach_template_rule_arn" {
  description = "The EventBridge rule matching CloudTrail's CreateAssessmentTemplate / SetTagsForResource, when auto_attach is on."
  value       = try(aws_cloudwatch_event_rule.attach[0].arn, null)
}
