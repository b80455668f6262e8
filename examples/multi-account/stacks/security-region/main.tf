# Stack: the security account's findings topic in one region (one instance per region).
# After security-primary; before the member-region stacks of the region.

variable "region" {
  description = "The region of this instance (instances/security-region-<region>.tfvars)."
  type        = string
}

provider "aws" {
  region                      = var.region
  max_retries                 = local.max_retries
  skip_metadata_api_check     = var.local_aws
  skip_credentials_validation = var.local_aws
  assume_role {
    role_arn     = local.security_role_arn
    session_name = "inspectorlink-terraform"
  }
}

module "security_region" {
  source = "../../../../modules/security-region"

  name_prefix        = var.name_prefix
  member_account_ids = var.member_account_ids
  queue_arns         = local.central_queue_arns
  tags               = var.tags
}

check "region_is_listed" {
  assert {
    condition     = contains(var.regions, var.region)
    error_message = "Region ${var.region} is not in regions (estate.tfvars): the central queues would refuse its topic."
  }
}

output "topic_arn" {
  value = module.security_region.topic_arn
}
