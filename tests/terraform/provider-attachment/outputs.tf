output "assessment_template_arn" {
  value = aws_inspector_assessment_template.scan.arn
}

output "topic_arn" {
  value = aws_sns_topic.findings.arn
}

output "attachment_id" {
  value = inspectorlink_sns_attachment.findings.id
}

output "events" {
  value = inspectorlink_sns_attachment.findings.events
}

output "subscribed_at" {
  value = inspectorlink_sns_attachment.findings.subscribed_at
}

output "service_account" {
  value = {
    account_id    = data.inspectorlink_service_account.inspector.account_id
    principal_arn = data.inspectorlink_service_account.inspector.principal_arn
  }
}

output "suite_template_arns" {
  description = "The templates inspectorlink_assessment_templates finds by this run's Suite tag."
  value       = data.inspectorlink_assessment_templates.suite.arns
}
