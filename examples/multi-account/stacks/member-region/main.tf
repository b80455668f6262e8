# Stack: Inspector Classic scanning of a member account in one region (one instance per
# member account and region). After the account's member-account stack and the region's
# security-region stack.

variable "member_account_id" {
  description = "The member account of this instance."
  type        = string
}

variable "region" {
  description = "The region of this instance."
  type        = string
}

variable "auto_attach" {
  description = "Also attach templates created outside Terraform (attach-template Lambda; needs CloudTrail management events)."
  type        = bool
  default     = false
}

locals {
  member_role_arn = "arn:${var.partition}:iam::${var.member_account_id}:role/${var.account_role_name}"
}

provider "aws" {
  region                      = var.region
  max_retries                 = local.max_retries
  skip_metadata_api_check     = var.local_aws
  skip_credentials_validation = var.local_aws
  assume_role {
    role_arn     = local.member_role_arn
    session_name = "inspectorlink-terraform"
  }
}

provider "inspectorlink" {
  region      = var.region
  max_retries = local.max_retries
  assume_role {
    role_arn     = local.member_role_arn
    session_name = "inspectorlink-terraform"
  }
}

module "member_region" {
  source = "../../../../modules/member-region"

  name_prefix           = var.name_prefix
  security_account_id   = var.security_account_id
  scheduler_role_arn    = "arn:${var.partition}:iam::${var.member_account_id}:role/${var.name_prefix}-scheduler"
  scan_tag              = var.scan_tag
  schedule_expression   = var.schedule_expression
  auto_attach           = var.auto_attach
  central_topic_regions = var.regions
  tags                  = var.tags
}

check "account_and_region_are_listed" {
  assert {
    condition     = contains(var.member_account_ids, var.member_account_id) && contains(var.regions, var.region)
    error_message = "${var.member_account_id} / ${var.region} must be in member_account_ids and regions (estate.tfvars): the central topic drops notifications of unlisted accounts."
  }
}

output "assessment_template_arn" {
  value = module.member_region.assessment_template_arn
}

output "central_topic_arn" {
  value = module.member_region.central_topic_arn
}
