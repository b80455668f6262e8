output "queue_urls" {
  description = "The central queues' URLs: send (send-findings) and notify (notify-findings)."
  value = {
    send   = module.security_primary.queue_url
    notify = module.security_primary.notify_queue_url
  }
}

output "dlq_arns" {
  description = "The central queues' dead-letter queues: where a message lands after max_receive_count failed receives."
  value = {
    send   = module.security_primary.dlq_arn
    notify = module.security_primary.notify_dlq_arn
  }
}

output "findings_bucket" {
  description = "Where send-findings writes one object per finding."
  value       = module.security_primary.bucket_name
}

output "ocsf_location" {
  description = "Where the OCSF copy is written (docs/ocsf.md), or null when ocsf_output is off."
  value       = module.security_primary.ocsf_location
}

output "kms_key_arn" {
  description = "The pipeline's key (bucket, queues, topics, table)."
  value       = module.security_primary.kms_key_arn
}

output "notifications_topic_arn" {
  description = "The topic notify-findings publishes to; subscribe more endpoints here."
  value       = module.security_primary.notifications_topic_arn
}

output "alarm_topic_arns" {
  description = "Per region: the topic the region's alarms notify (the primary's is the notifications topic; main.tf says why the secondary has one of its own)."
  value = {
    (var.primary_region)   = module.security_primary.alarm_topic_arn
    (var.secondary_region) = module.alarms_secondary.topic_arn
  }
}

output "dedupe_table_name" {
  description = "notify-findings' record of what was announced (one item per finding and status)."
  value       = module.security_primary.dedupe_table_name
}

output "rules" {
  description = "Per region: the findings forwarding rule, its targets, the coverage rule, and the dead-letter queue of undeliverable events."
  value = {
    (var.primary_region)   = { rule = module.forward_primary.rule_arn, targets = module.forward_primary.target_arns, coverage_rule = module.forward_primary.coverage_rule_arn, dlq_url = module.forward_primary.dlq_url }
    (var.secondary_region) = { rule = module.forward_secondary.rule_arn, targets = module.forward_secondary.target_arns, coverage_rule = module.forward_secondary.coverage_rule_arn, dlq_url = module.forward_secondary.dlq_url }
  }
}

output "coverage_sweep_rule_arn" {
  description = "The scheduled rule that makes send-findings list Inspector v2's coverage in both regions (`python -m localaws fire-schedules` fires it on the local AWS)."
  value       = module.security_primary.coverage_sweep_rule_arn
}

output "associated_account_ids" {
  description = "Per region: the member accounts associated with the delegated administrator."
  value = {
    (var.primary_region)   = module.organization_primary.associated_account_ids
    (var.secondary_region) = module.organization_secondary.associated_account_ids
  }
}

output "notification_secret_arns" {
  description = "Per chat or Jira destination: the secret to put its webhook URL or API token into (aws secretsmanager put-secret-value)."
  value       = module.security_primary.notification_secret_arns
}
