# Applies inspector2-organization in us-east-1 of the local AWS: the management account
# 131313131313 names 121212121212 (accounts of this test's own) Inspector's delegated
# administrator, which auto-enables new members, enables itself and associates and
# enables the listed members less the excluded one, and subscribes Security Hub. Plans
# check create = false, an administrator the landing zone already named, and the variable
# validation. Endpoints and keys come from the local AWS's env file (AWS_ENDPOINT_URL
# etc.); accounts are reached by assuming a role in them. Run by scripts/test-modules.sh.

provider "aws" {
  region                  = "us-east-1"
  max_retries             = 2
  skip_metadata_api_check = true
  assume_role {
    role_arn = "arn:aws:iam::121212121212:role/inspectorlink-test"
  }
}

provider "aws" {
  alias                   = "management"
  region                  = "us-east-1"
  max_retries             = 2
  skip_metadata_api_check = true
  assume_role {
    role_arn = "arn:aws:iam::131313131313:role/inspectorlink-test"
  }
}

variables {
  # The administrator itself is listed too: the module skips it.
  member_account_ids   = ["222222222222", "333333333333", "121212121212"]
  excluded_account_ids = ["333333333333"]
}

run "setup" {
  module {
    source = "./tests/setup"
  }
}

run "complete" {
  providers = {
    aws            = aws
    aws.management = aws.management
  }

  variables {
    auto_enable                     = { ec2 = true, ecr = false, lambda = true, lambda_code = true }
    resource_types                  = ["EC2", "ECR", "LAMBDA", "LAMBDA_CODE"]
    enable_security_hub_integration = true
  }

  assert {
    condition     = aws_inspector2_delegated_admin_account.this[0].account_id == "121212121212" && output.delegated_admin_relationship_status == "ENABLED" && output.delegated_admin_account_id == "121212121212"
    error_message = "the management account made the security account the delegated administrator"
  }

  assert {
    condition     = output.auto_enable == { ec2 = true, ecr = false, lambda = true, lambda_code = true }
    error_message = "new members get what auto_enable says: ${jsonencode(output.auto_enable)}"
  }

  assert {
    condition     = join(",", keys(aws_inspector2_member_association.this)) == "222222222222" && join(",", output.associated_account_ids) == "222222222222"
    error_message = "only the listed member that is neither excluded nor the administrator is associated"
  }

  assert {
    condition     = aws_inspector2_member_association.this["222222222222"].delegated_admin_account_id == "121212121212" && output.member_relationship_statuses == { "222222222222" = "ENABLED" }
    error_message = "the member is associated with the administrator, ENABLED"
  }

  assert {
    condition     = aws_inspector2_enabler.admin[0].account_ids == toset(["121212121212"]) && aws_inspector2_enabler.admin[0].resource_types == toset(["EC2", "ECR", "LAMBDA", "LAMBDA_CODE"])
    error_message = "the administrator is enabled for every resource type asked"
  }

  assert {
    condition     = aws_inspector2_enabler.members[0].account_ids == toset(["222222222222"]) && aws_inspector2_enabler.members[0].resource_types == toset(["EC2", "ECR", "LAMBDA", "LAMBDA_CODE"])
    error_message = "the associated member is enabled for the same types, in an enabler of its own"
  }

  assert {
    condition     = output.security_hub_product_subscription_arn == "arn:aws:securityhub:us-east-1:121212121212:product-subscription/aws/inspector"
    error_message = "Security Hub imports Inspector's findings"
  }
}

run "create_false_creates_nothing" {
  command = plan

  providers = {
    aws            = aws
    aws.management = aws.management
  }

  variables {
    create = false
  }

  assert {
    condition = (length(aws_inspector2_delegated_admin_account.this) + length(aws_inspector2_organization_configuration.this) +
    length(aws_inspector2_enabler.admin) + length(aws_inspector2_enabler.members) + length(aws_inspector2_member_association.this)) == 0
    error_message = "create = false creates nothing"
  }
}

run "an_administrator_named_by_the_landing_zone_is_left_alone" {
  command = plan

  providers = {
    aws            = aws
    aws.management = aws
  }

  variables {
    create_delegated_admin = false
    enable_admin_account   = false
  }

  assert {
    condition     = length(aws_inspector2_delegated_admin_account.this) == 0 && length(aws_inspector2_enabler.admin) == 0 && length(aws_inspector2_organization_configuration.this) == 1
    error_message = "without create_delegated_admin the module only configures, associates and enables"
  }

  assert {
    condition     = one(aws_inspector2_organization_configuration.this[0].auto_enable) == { ec2 = true, ecr = true, lambda = true, lambda_code = false }
    error_message = "the default auto_enable: EC2, ECR and Lambda, not Lambda code"
  }
}

run "invalid_inputs_are_refused" {
  command = plan

  providers = {
    aws            = aws
    aws.management = aws.management
  }

  variables {
    member_account_ids   = ["22222222222x"]
    excluded_account_ids = ["333"]
    resource_types       = ["EC2", "LAMBDA_CODE", "RDS"]
    auto_enable          = { lambda = false, lambda_code = true }
  }

  expect_failures = [var.member_account_ids, var.excluded_account_ids, var.resource_types, var.auto_enable]
}
