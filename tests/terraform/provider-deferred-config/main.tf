# A provider block that depends on a resource of the same configuration, as in a landing
# zone that creates an account's deployment role and configures Inspector in one apply:
# the role ARN comes from a resource (terraform_data here), so it is not known while a
# plan creates or changes that resource. Resources of the provider then plan without
# calling AWS and are applied once Terraform configures the provider with the known ARN;
# a data source, which needs AWS at plan time, is refused with a diagnostic that says why.

terraform {
  required_version = ">= 1.6"

  required_providers {
    inspectorlink = {
      source = "inspectorlink/inspectorlink"
    }
  }
}

resource "terraform_data" "admin_role" {
  input = {
    arn      = "arn:aws:iam::${var.admin_account_id}:role/inspectorlink-test"
    revision = var.role_revision
  }
}

provider "inspectorlink" {
  region      = var.region
  max_retries = 2
  assume_role {
    role_arn = terraform_data.admin_role.output.arn
  }
}

resource "inspectorlink_inspector2_configuration" "org" {
  ecr_rescan_duration = "DAYS_60"
  ec2_scan_mode       = "EC2_HYBRID"
}

resource "inspectorlink_inspector2_cis_scan_configuration" "weekly" {
  scan_name      = var.scan_name
  security_level = "LEVEL_1"

  schedule {
    weekly {
      days = ["MON"]
      start_time {
        time_of_day = "02:00"
        timezone    = "UTC"
      }
    }
  }

  targets {
    account_ids          = ["SELF"]
    target_resource_tags = { InspectorCis = ["enabled"] }
  }
}

data "inspectorlink_inspector2_coverage" "org" {
  count = var.read_coverage ? 1 : 0
}
