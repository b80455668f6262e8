# The estate, once for every stack (atlantis.yaml passes it first). Replace the account ids
# with yours; set TF_VAR_external_id in the Atlantis server's environment, never here.
security_account_id = "111111111111"
member_account_ids  = ["222222222222", "333333333333"]
regions             = ["us-east-1", "us-west-2"] # the first is the primary region
name_prefix         = "inspectorlink"
account_role_name   = "OrganizationAccountAccessRole"
# organization_id   = "o-a1b2c3d4e5"
scan_tag = { key = "InspectorScan", value = "true" }
