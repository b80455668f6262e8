# inspectorlink on Inspector v2 for an AWS Organization, in one root: the security account
# becomes Inspector's delegated administrator in two regions and scans the members
# continuously; each region's "Inspector2 Finding" events go, through the primary region's
# default bus, to the central queues, where send-findings stores each finding (S3, optional
# OpenSearch) and notify-findings announces it and its closure. Coverage (is each resource
# scanned, and why not) takes the same way to the send queue, and a daily sweep lists it in
# both regions.
#
# The event carries the whole finding, so unlike Inspector Classic (examples/multi-account)
# nothing is deployed in the member accounts.

################################################################################
# Pipeline (primary region)
################################################################################

module "security_primary" {
  source    = "../../modules/security-primary"
  providers = { aws = aws.security_primary }

  name_prefix           = var.name_prefix
  regions               = [var.primary_region]
  member_account_ids    = var.member_account_ids
  member_roles          = false                            # the events carry the findings: nothing is deployed in the members
  eventbridge_rule_arns = module.forward_primary.rule_arns # built from names: no cycle
  notify_min_severity   = var.notify_min_severity
  notify_min_priority   = var.notify_min_priority
  notification_emails   = [for email in var.notification_emails : { endpoint = email }]
  enable_security_hub   = var.enable_security_hub
  bucket_force_destroy  = var.bucket_force_destroy
  send_findings_zip     = var.send_findings_zip
  notify_findings_zip   = var.notify_findings_zip
  tags                  = var.tags

  coverage_sweep_regions      = [var.primary_region, var.secondary_region]
  notification_http_endpoints = var.notification_http_endpoints
  opensearch_endpoint         = var.opensearch_endpoint
  opensearch_arn              = var.opensearch_arn
  ocsf_output                 = var.ocsf_output

  allow_plain_http_notification_endpoints = var.allow_plain_http_notification_endpoints

  notification_destinations                   = var.notification_destinations
  notification_rules                          = var.notification_rules
  notification_secret_recovery_window_in_days = var.notification_secret_recovery_window_in_days
}

################################################################################
# Inspector v2 enablement, per region
################################################################################

module "organization_primary" {
  source    = "../../modules/inspector2-organization"
  providers = { aws = aws.security_primary, aws.management = aws.management_primary }

  member_account_ids   = var.member_account_ids
  excluded_account_ids = var.excluded_account_ids
  auto_enable          = var.auto_enable
  resource_types       = var.resource_types
}

module "organization_secondary" {
  source    = "../../modules/inspector2-organization"
  providers = { aws = aws.security_secondary, aws.management = aws.management_secondary }

  member_account_ids   = var.member_account_ids
  excluded_account_ids = var.excluded_account_ids
  auto_enable          = var.auto_enable
  resource_types       = var.resource_types
}

################################################################################
# Finding and coverage events: secondary region -> primary bus -> central queues
################################################################################

module "forward_primary" {
  source    = "../../modules/inspector2-forwarding"
  providers = { aws = aws.security_primary }

  name_prefix        = var.name_prefix
  queue_arns         = module.security_primary.subscription_queue_arns
  coverage_queue_arn = module.security_primary.coverage_queue_arn # the send queue, built from its name
  severities         = var.severities
  alarm_topic_arn    = module.security_primary.alarm_topic_arn
  create_dlq_alarm   = true # alarm_topic_arn is known only after apply
  tags               = var.tags
}

module "forward_secondary" {
  source    = "../../modules/inspector2-forwarding"
  providers = { aws = aws.security_secondary }

  name_prefix      = var.name_prefix
  event_bus_arn    = "arn:${var.partition}:events:${var.primary_region}:${var.security_account_id}:event-bus/default"
  severities       = var.severities
  alarm_topic_arn  = module.alarms_secondary.topic_arn
  create_dlq_alarm = true # alarm_topic_arn is known only after apply
  tags             = var.tags
}

# A CloudWatch alarm can only notify a topic of its own region, so the secondary rule's
# dead-letter queue alarm gets a topic there, with the notifications' email subscribers.
# (HTTP endpoints get the primary region's alarms only: they are machines that want findings.)
module "alarms_secondary" {
  source    = "../../modules/alarm-topic"
  providers = { aws = aws.security_secondary }

  name_prefix = var.name_prefix
  emails      = var.notification_emails
  tags        = var.tags
}
