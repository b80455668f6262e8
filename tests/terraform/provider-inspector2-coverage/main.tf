# inspectorlink_inspector2_coverage as a root asserts coverage: from the delegated
# administrator (the organisation, or one member with account_ids) and from the member
# (itself only), with a check block that warns when an EC2 instance is not scanned.
# The test makes the organisation and its instances with the SDK.

terraform {
  required_version = ">= 1.6"

  required_providers {
    inspectorlink = {
      source = "inspectorlink/inspectorlink"
    }
  }
}

provider "inspectorlink" {
  alias       = "admin"
  region      = var.region
  max_retries = 2
  assume_role {
    role_arn = "arn:aws:iam::${var.admin_account_id}:role/inspectorlink-test"
  }
}

provider "inspectorlink" {
  alias       = "member"
  region      = var.region
  max_retries = 2
  assume_role {
    role_arn = "arn:aws:iam::${var.member_account_id}:role/inspectorlink-test"
  }
}

data "inspectorlink_inspector2_coverage" "org" {
  provider = inspectorlink.admin
}

data "inspectorlink_inspector2_coverage" "member_from_admin" {
  provider    = inspectorlink.admin
  account_ids = var.account_ids
}

data "inspectorlink_inspector2_coverage" "member" {
  provider = inspectorlink.member
}

check "every_instance_is_scanned" {
  assert {
    condition = try(data.inspectorlink_inspector2_coverage.org.by_resource_type["AWS_EC2_INSTANCE"].inactive, 0) == 0
    error_message = "Inspector does not scan every EC2 instance: ${jsonencode([
      for row in data.inspectorlink_inspector2_coverage.org.statistics : row
      if row.resource_type == "AWS_EC2_INSTANCE" && row.scan_status_code == "INACTIVE"
    ])}"
  }
}
