# inspectorlink_inspector2_configuration as an organisation sets it: by the delegated
# administrator's provider alias; optionally also by a member's alias, which Inspector
# refuses. The test makes the organisation (delegated administrator, member) with the SDK.
# Endpoints and keys come from the local AWS's env file (AWS_ENDPOINT_URL etc.).

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

resource "inspectorlink_inspector2_configuration" "org" {
  provider                      = inspectorlink.admin
  ecr_rescan_duration           = var.ecr_rescan_duration
  ecr_pull_date_rescan_duration = var.ecr_pull_date_rescan_duration
  ecr_pull_date_rescan_mode     = var.ecr_pull_date_rescan_mode
  ec2_scan_mode                 = var.ec2_scan_mode
}

resource "inspectorlink_inspector2_configuration" "member" {
  count               = var.configure_from_member ? 1 : 0
  provider            = inspectorlink.member
  ecr_rescan_duration = "DAYS_30"
  ec2_scan_mode       = "EC2_SSM_AGENT_BASED"
}
