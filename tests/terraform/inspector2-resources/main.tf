# hashicorp/aws's aws_inspector2_* resources against the local AWS's Inspector v2
# emulator (tests/localaws/tests/test_inspector2_terraform.py applies, re-plans and destroys
# it): the management account names the delegated administrator; the administrator sets
# the organisation configuration, associates and enables a member, enables itself, and
# suppresses one vulnerability of the member's findings.

terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

variable "management_account_id" {
  type        = string
  description = "The organisation's management account (names the delegated administrator)."
}

variable "admin_account_id" {
  type        = string
  description = "The delegated administrator (the security account)."
}

variable "member_account_id" {
  type        = string
  description = "A member account, associated and enabled by the administrator."
}

variable "suppressed_vulnerability" {
  type        = string
  description = "The vulnerability id the suppression rule hides in the member's findings."
}

variable "name" {
  type        = string
  description = "Name of the suppression rule."
}

locals {
  resource_types = ["EC2", "ECR", "LAMBDA"]
}

provider "aws" {
  alias                       = "management"
  region                      = "us-east-1"
  max_retries                 = 2
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true
  assume_role {
    role_arn = "arn:aws:iam::${var.management_account_id}:role/inspectorlink-test"
  }
}

provider "aws" {
  region                      = "us-east-1"
  max_retries                 = 2
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true
  assume_role {
    role_arn = "arn:aws:iam::${var.admin_account_id}:role/inspectorlink-test"
  }
}

resource "aws_inspector2_delegated_admin_account" "this" {
  provider   = aws.management
  account_id = var.admin_account_id
}

resource "aws_inspector2_organization_configuration" "this" {
  auto_enable {
    ec2    = true
    ecr    = true
    lambda = true
  }
  depends_on = [aws_inspector2_delegated_admin_account.this]
}

resource "aws_inspector2_enabler" "admin" {
  account_ids    = [var.admin_account_id]
  resource_types = local.resource_types
  depends_on     = [aws_inspector2_delegated_admin_account.this]
}

resource "aws_inspector2_member_association" "member" {
  account_id = var.member_account_id
  depends_on = [aws_inspector2_delegated_admin_account.this]
}

resource "aws_inspector2_enabler" "member" {
  account_ids    = [var.member_account_id]
  resource_types = local.resource_types
  depends_on     = [aws_inspector2_member_association.member]
}

resource "aws_inspector2_filter" "suppress" {
  name   = var.name
  action = "SUPPRESS"
  reason = "accepted risk (test)"

  filter_criteria {
    aws_account_id {
      comparison = "EQUALS"
      value      = var.member_account_id
    }
    vulnerability_id {
      comparison = "EQUALS"
      value      = var.suppressed_vulnerability
    }
  }
  depends_on = [aws_inspector2_delegated_admin_account.this]
}

output "filter_arn" {
  value = aws_inspector2_filter.suppress.arn
}
