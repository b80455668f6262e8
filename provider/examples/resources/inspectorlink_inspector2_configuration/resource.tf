# The delegated administrator's configuration applies to every member of the organisation.
provider "inspectorlink" {
  alias  = "security_use1"
  region = "us-east-1"

  assume_role {
    role_arn = "arn:aws:iam::111111111111:role/inspectorlink"
  }
}

resource "inspectorlink_inspector2_configuration" "use1" {
  provider = inspectorlink.security_use1

  ecr_rescan_duration           = "DAYS_30"
  ecr_pull_date_rescan_duration = "DAYS_90"
  ecr_pull_date_rescan_mode     = "LAST_IN_USE_AT"
  ec2_scan_mode                 = "EC2_HYBRID"
}
