# One inspectorlink_inspector2_cis_scan_configuration owned by the delegated administrator
# and targeting itself and its member, every input a variable, so that the acceptance
# tests can change each in place and feed each kind of bad input; optionally a second
# block of the member's provider alias, for an import that must not find the
# administrator's configuration. The test makes the organisation with the SDK.

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
    role_arn = "arn:aws:iam::${coalesce(var.member_account_id, var.admin_account_id)}:role/inspectorlink-test"
  }
}

resource "inspectorlink_inspector2_cis_scan_configuration" "this" {
  provider       = inspectorlink.admin
  scan_name      = var.scan_name
  security_level = var.security_level

  schedule {
    dynamic "one_time" {
      for_each = contains(var.schedule.kinds, "one_time") ? [1] : []
      content {}
    }
    dynamic "daily" {
      for_each = contains(var.schedule.kinds, "daily") ? [1] : []
      content {
        start_time {
          time_of_day = var.schedule.time_of_day
          timezone    = var.schedule.timezone
        }
      }
    }
    dynamic "weekly" {
      for_each = contains(var.schedule.kinds, "weekly") ? [1] : []
      content {
        days = var.schedule.days
        start_time {
          time_of_day = var.schedule.time_of_day
          timezone    = var.schedule.timezone
        }
      }
    }
    dynamic "monthly" {
      for_each = contains(var.schedule.kinds, "monthly") ? [1] : []
      content {
        day = var.schedule.day
        start_time {
          time_of_day = var.schedule.time_of_day
          timezone    = var.schedule.timezone
        }
      }
    }
  }

  targets {
    account_ids          = var.account_ids
    target_resource_tags = var.target_resource_tags
  }

  tags = var.tags
}

resource "inspectorlink_inspector2_cis_scan_configuration" "member" {
  count          = var.member_account_id == null ? 0 : 1
  provider       = inspectorlink.member
  scan_name      = var.scan_name
  security_level = var.security_level

  schedule {
    one_time {}
  }

  targets {
    account_ids          = ["SELF"]
    target_resource_tags = var.target_resource_tags
  }
}
