output "delegated_admin_account_id" {
  description = "The security account, Inspector's delegated administrator (whether this module or the landing zone made it so)."
  value       = var.create ? try(local.account_id, null) : null
}

output "delegated_admin_relationship_status" {
  description = "The delegated administrator's relationship status as Inspector reports it (ENABLED), or null when not created here."
  value       = try(aws_inspector2_delegated_admin_account.this[0].relationship_status, null)
}

output "auto_enable" {
  description = "The organisation configuration's auto_enable, as applied."
  value       = try(one(aws_inspector2_organization_configuration.this[0].auto_enable), null)
}

output "associated_account_ids" {
  description = "The member accounts associated and enabled here (member_account_ids less excluded_account_ids and the administrator), sorted."
  value       = var.create ? try(local.members, []) : []
}

output "member_relationship_statuses" {
  description = "Account id → relationship status of each association (ENABLED)."
  value       = try({ for id, m in aws_inspector2_member_association.this : id => m.relationship_status }, {})
}

output "enabled_resource_types" {
  description = "The scan types enabled for the administrator and the members."
  value       = var.create ? try(sort(var.resource_types), []) : []
}

output "security_hub_product_subscription_arn" {
  description = "ARN of the Security Hub product subscription, or null."
  value       = try(aws_securityhub_product_subscription.inspector[0].arn, null)
}
