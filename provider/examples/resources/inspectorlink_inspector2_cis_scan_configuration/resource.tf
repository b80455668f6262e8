# Every Monday and Thursday at 02:30 Paris time, a level 1 CIS scan of the instances tagged
# InspectorCis = enabled in the administrator's account and two member accounts.
resource "inspectorlink_inspector2_cis_scan_configuration" "weekly" {
  provider       = inspectorlink.security_use1
  scan_name      = "weekly-cis-level-1"
  security_level = "LEVEL_1"

  schedule {
    weekly {
      days = ["MON", "THU"]
      start_time {
        time_of_day = "02:30"
        timezone    = "Europe/Paris"
      }
    }
  }

  targets {
    account_ids          = ["SELF", "222222222222", "333333333333"]
    target_resource_tags = { InspectorCis = ["enabled"] }
  }

  tags = { Team = "security" }
}
