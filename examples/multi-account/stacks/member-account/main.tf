# Stack: a member account's roles (one instance per member account). After security-primary
# (IAM refuses to trust a role that does not exist yet); before its member-region stacks.

variable "member_account_id" {
  description = "The member account of this instance (instances/member-account-<id>.tfvars)."
  type        = string
}

provider "aws" {
  region                      = local.primary_region
  max_retries                 = local.max_retries
  skip_metadata_api_check     = var.local_aws
  skip_credentials_validation = var.local_aws
  assume_role {
    role_arn     = "arn:${var.partition}:iam::${var.member_account_id}:role/${var.account_role_name}"
    session_name = "inspectorlink-terraform"
  }
}

module "member_account" {
  source = "../../../../modules/member-account"

  name_prefix       = var.name_prefix
  central_role_arns = [local.send_findings_role_arn, local.notify_role_arn]
  external_id       = var.external_id
  organization_id   = var.organization_id
  tags              = var.tags
}

check "account_is_listed" {
  assert {
    condition     = contains(var.member_account_ids, var.member_account_id) && module.member_account.account_id == var.member_account_id
    error_message = "Account ${var.member_account_id} must be in member_account_ids (estate.tfvars), and the provider must reach it."
  }
}

output "read_role_arn" {
  value = module.member_account.read_role_arn
}

output "scheduler_role_arn" {
  value = module.member_account.scheduler_role_arn
}
