# Inspector v2 for the organisation, in one region: the security account becomes
# Inspector's delegated administrator (a call the management account makes), new members
# are scanned automatically, and the administrator and the listed members are enabled
# and associated now. One instance per region: every Inspector v2 setting is regional.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  region     = data.aws_region.current.name
  partition  = data.aws_partition.current.partition
  account_id = data.aws_caller_identity.current.account_id

  # The accounts to associate and enable: the members, less the excluded ones and never
  # the administrator itself (it is enabled on its own: the aws provider refuses an
  # enabler that mixes the administrator with members).
  members = sort(tolist(setsubtract(toset(var.member_account_ids), toset(concat(var.excluded_account_ids, [local.account_id])))))

  # Inspector v2 and Classic share one Security Hub product.
  security_hub_product_arn = "arn:${local.partition}:securityhub:${local.region}::product/aws/inspector"
}

# The management account names the security account as Inspector's delegated
# administrator for the organisation (in this region).
resource "aws_inspector2_delegated_admin_account" "this" {
  count    = var.create && var.create_delegated_admin ? 1 : 0
  provider = aws.management

  account_id = local.account_id
}

# What new member accounts get, automatically: the delegated administrator sets it.
resource "aws_inspector2_organization_configuration" "this" {
  count = var.create ? 1 : 0

  auto_enable {
    ec2         = var.auto_enable.ec2
    ecr         = var.auto_enable.ecr
    lambda      = var.auto_enable.lambda
    lambda_code = var.auto_enable.lambda_code
  }

  depends_on = [aws_inspector2_delegated_admin_account.this]
}

resource "aws_inspector2_enabler" "admin" {
  count = var.create && var.enable_admin_account ? 1 : 0

  account_ids    = [local.account_id]
  resource_types = var.resource_types

  depends_on = [aws_inspector2_delegated_admin_account.this]
}

# Existing members: associated with the administrator, then enabled for resource_types.
resource "aws_inspector2_member_association" "this" {
  for_each = var.create ? toset(local.members) : toset([])

  account_id = each.value

  depends_on = [aws_inspector2_delegated_admin_account.this]
}

resource "aws_inspector2_enabler" "members" {
  count = var.create && length(local.members) > 0 ? 1 : 0

  account_ids    = local.members
  resource_types = var.resource_types

  depends_on = [aws_inspector2_member_association.this]
}

# Inspector's findings in Security Hub (this region). Needs Security Hub enabled in the
# account; Inspector v2 and Classic are one product, so leave this off where
# security-primary's enable_security_hub already subscribes it.
resource "aws_securityhub_product_subscription" "inspector" {
  count = var.create && var.enable_security_hub_integration ? 1 : 0

  product_arn = local.security_hub_product_arn
}
