output "topic_arns" {
  description = "The security account's findings topic per region."
  value = {
    (var.primary_region)   = module.security_region_primary.topic_arn
    (var.secondary_region) = module.security_region_secondary.topic_arn
  }
}

output "queue_arns" {
  description = "The central queues the topics deliver to (send-findings, notify-findings)."
  value       = module.security_primary.subscription_queue_arns
}

output "findings_bucket" {
  description = "Where send-findings writes one object per finding."
  value       = module.security_primary.bucket_name
}

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

output "notifications_topic_arn" {
  description = "The topic notify-findings publishes to (email / HTTP subscribers)."
  value       = module.security_primary.notifications_topic_arn
}

output "read_role_arns" {
  description = "The read role the central Lambdas assume, per member account."
  value = {
    (var.member_account_ids[0]) = module.member_a.read_role_arn
    (var.member_account_ids[1]) = module.member_b.read_role_arn
  }
}

output "assessment_template_arns" {
  description = "The scheduled template per member account and region (\"<account>/<region>\")."
  value = {
    "${var.member_account_ids[0]}/${var.primary_region}"   = module.member_a_primary.assessment_template_arn
    "${var.member_account_ids[0]}/${var.secondary_region}" = module.member_a_secondary.assessment_template_arn
    "${var.member_account_ids[1]}/${var.primary_region}"   = module.member_b_primary.assessment_template_arn
    "${var.member_account_ids[1]}/${var.secondary_region}" = module.member_b_secondary.assessment_template_arn
  }
}

output "scan_tag" {
  description = "Tag EC2 instances with this to have them assessed."
  value       = var.scan_tag
}
