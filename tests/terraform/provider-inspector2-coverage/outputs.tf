output "org" {
  value = {
    total            = data.inspectorlink_inspector2_coverage.org.total
    active           = data.inspectorlink_inspector2_coverage.org.active
    inactive         = data.inspectorlink_inspector2_coverage.org.inactive
    by_resource_type = data.inspectorlink_inspector2_coverage.org.by_resource_type
    statistics       = data.inspectorlink_inspector2_coverage.org.statistics
  }
}

output "member_from_admin" {
  value = {
    total            = data.inspectorlink_inspector2_coverage.member_from_admin.total
    by_resource_type = data.inspectorlink_inspector2_coverage.member_from_admin.by_resource_type
  }
}

output "member" {
  value = {
    total            = data.inspectorlink_inspector2_coverage.member.total
    by_resource_type = data.inspectorlink_inspector2_coverage.member.by_resource_type
  }
}
