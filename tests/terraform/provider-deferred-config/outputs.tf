output "cis_scan_configuration_arn" {
  value = inspectorlink_inspector2_cis_scan_configuration.weekly.arn
}

output "configuration_id" {
  value = inspectorlink_inspector2_configuration.org.id
}
