# From the delegated administrator: the coverage of the whole organisation in us-east-1.
data "inspectorlink_inspector2_coverage" "org" {
  provider = inspectorlink.security_use1
}

# A plan or apply warns when an EC2 instance is not scanned, and says why.
check "every_instance_is_scanned" {
  assert {
    condition = try(data.inspectorlink_inspector2_coverage.org.by_resource_type["AWS_EC2_INSTANCE"].inactive, 0) == 0
    error_message = "Inspector does not scan every EC2 instance: ${jsonencode([
      for row in data.inspectorlink_inspector2_coverage.org.statistics : row
      if row.resource_type == "AWS_EC2_INSTANCE" && row.scan_status_code == "INACTIVE"
    ])}"
  }
}
