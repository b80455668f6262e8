output "arn" {
  value = inspectorlink_inspector2_cis_scan_configuration.this.arn
}

output "id" {
  value = inspectorlink_inspector2_cis_scan_configuration.this.id
}
