output "id" {
  value = inspectorlink_inspector2_configuration.org.id
}

output "configuration" {
  value = {
    account_id                    = inspectorlink_inspector2_configuration.org.account_id
    region                        = inspectorlink_inspector2_configuration.org.region
    ecr_rescan_duration           = inspectorlink_inspector2_configuration.org.ecr_rescan_duration
    ecr_pull_date_rescan_duration = inspectorlink_inspector2_configuration.org.ecr_pull_date_rescan_duration
    ecr_pull_date_rescan_mode     = inspectorlink_inspector2_configuration.org.ecr_pull_date_rescan_mode
    ec2_scan_mode                 = inspectorlink_inspector2_configuration.org.ec2_scan_mode
    ecr_rescan_duration_status    = inspectorlink_inspector2_configuration.org.ecr_rescan_duration_status
    ec2_scan_mode_status          = inspectorlink_inspector2_configuration.org.ec2_scan_mode_status
    ecr_updated_at                = inspectorlink_inspector2_configuration.org.ecr_updated_at
  }
}
