output "resource_group_arn" {
  description = "The resource group that selects the instances to assess."
  value       = aws_inspector_resource_group.scan.arn
}

output "assessment_target_arn" {
  value = aws_inspector_assessment_target.scan.arn
}

output "assessment_template_arn" {
  value = aws_inspector_assessment_template.scan.arn
}

output "rules_package_arns" {
  description = "The region's rules packages, as the template uses them (sorted)."
  value       = data.aws_inspector_rules_packages.available.arns
}

output "topic_arn" {
  description = "The security account's topic the template notifies."
  value       = aws_sns_topic.findings.arn
}

output "inspector_account_id" {
  description = "The region's Inspector Classic account, which the topic policy lets publish."
  value       = local.inspector_account_id
}

output "scan_tag" {
  description = "Tag EC2 instances of the member account with this key and value to have them assessed."
  value       = local.scan_tag
}

output "member_account_id" {
  value = var.member_account_id
}

output "region" {
  value = var.region
}
