# The id is the scan configuration's ARN.
terraform import inspectorlink_inspector2_cis_scan_configuration.weekly \
  'arn:aws:inspector2:us-east-1:111111111111:owner/111111111111/cis-configuration/0e1b0cf4-5b0c-4b7a-9e5e-2d4b8a0e3f11'
