# inspectorlink for one security account and two member accounts in two regions, in one
# root: the security account's primary region (queues, Lambdas, bucket, notifications), a
# findings topic per region, and per member account the read and scheduler roles and, per
# region, a scheduled Inspector Classic template attached to that region's topic.
#
# Apply order is implied by references: security-primary (Lambda roles, queues) ->
# security-region (topics, whose policy lets Inspector publish) and member-account (roles
# trusting the Lambda roles) -> member-region (templates subscribed to the topics).

locals {
  regions = [var.primary_region, var.secondary_region]
}

################################################################################
# Security account
################################################################################

module "security_primary" {
  source    = "../../modules/security-primary"
  providers = { aws = aws.security_primary }

  name_prefix                 = var.name_prefix
  regions                     = local.regions
  member_account_ids          = var.member_account_ids
  member_role_external_id     = var.external_id
  notification_emails         = [for email in var.notification_emails : { endpoint = email }]
  notification_http_endpoints = var.notification_http_endpoints
  opensearch_endpoint         = var.opensearch_endpoint
  opensearch_arn              = var.opensearch_arn
  bucket_force_destroy        = var.bucket_force_destroy
  send_findings_zip           = var.send_findings_zip
  notify_findings_zip         = var.notify_findings_zip
  tags                        = var.tags

  allow_plain_http_notification_endpoints = var.allow_plain_http_notification_endpoints
}

module "security_region_primary" {
  source    = "../../modules/security-region"
  providers = { aws = aws.security_primary }

  name_prefix        = var.name_prefix
  member_account_ids = var.member_account_ids
  queue_arns         = module.security_primary.subscription_queue_arns
  tags               = var.tags
}

module "security_region_secondary" {
  source    = "../../modules/security-region"
  providers = { aws = aws.security_secondary }

  name_prefix        = var.name_prefix
  member_account_ids = var.member_account_ids
  queue_arns         = module.security_primary.subscription_queue_arns
  tags               = var.tags
}

################################################################################
# Member account A
################################################################################

module "member_a" {
  source    = "../../modules/member-account"
  providers = { aws = aws.member_a_primary }

  name_prefix       = var.name_prefix
  central_role_arns = [module.security_primary.send_findings_role_arn, module.security_primary.notify_findings_role_arn]
  external_id       = var.external_id
  organization_id   = var.organization_id
  tags              = var.tags
}

module "member_a_primary" {
  source = "../../modules/member-region"
  providers = {
    aws           = aws.member_a_primary
    inspectorlink = inspectorlink.member_a_primary
  }

  name_prefix         = var.name_prefix
  security_account_id = var.security_account_id
  central_topic_arn   = module.security_region_primary.topic_arn
  scheduler_role_arn  = module.member_a.scheduler_role_arn
  scan_tag            = var.scan_tag
  schedule_expression = var.schedule_expression
  tags                = var.tags
}

module "member_a_secondary" {
  source = "../../modules/member-region"
  providers = {
    aws           = aws.member_a_secondary
    inspectorlink = inspectorlink.member_a_secondary
  }

  name_prefix         = var.name_prefix
  security_account_id = var.security_account_id
  central_topic_arn   = module.security_region_secondary.topic_arn
  scheduler_role_arn  = module.member_a.scheduler_role_arn
  scan_tag            = var.scan_tag
  schedule_expression = var.schedule_expression
  tags                = var.tags
}

################################################################################
# Member account B
################################################################################

module "member_b" {
  source    = "../../modules/member-account"
  providers = { aws = aws.member_b_primary }

  name_prefix       = var.name_prefix
  central_role_arns = [module.security_primary.send_findings_role_arn, module.security_primary.notify_findings_role_arn]
  external_id       = var.external_id
  organization_id   = var.organization_id
  tags              = var.tags
}

module "member_b_primary" {
  source = "../../modules/member-region"
  providers = {
    aws           = aws.member_b_primary
    inspectorlink = inspectorlink.member_b_primary
  }

  name_prefix         = var.name_prefix
  security_account_id = var.security_account_id
  central_topic_arn   = module.security_region_primary.topic_arn
  scheduler_role_arn  = module.member_b.scheduler_role_arn
  scan_tag            = var.scan_tag
  schedule_expression = var.schedule_expression
  tags                = var.tags
}

module "member_b_secondary" {
  source = "../../modules/member-region"
  providers = {
    aws           = aws.member_b_secondary
    inspectorlink = inspectorlink.member_b_secondary
  }

  name_prefix         = var.name_prefix
  security_account_id = var.security_account_id
  central_topic_arn   = module.security_region_secondary.topic_arn
  scheduler_role_arn  = module.member_b.scheduler_role_arn
  scan_tag            = var.scan_tag
  schedule_expression = var.schedule_expression
  tags                = var.tags
}
