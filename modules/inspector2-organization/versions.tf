terraform {
  # Optional object attributes with defaults need 1.3; `terraform test` runs need 1.6.
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40, < 6.0"
      # aws: the delegated administrator (the security account) in this region.
      # aws.management: the organisation's management account in this region; used only
      # for aws_inspector2_delegated_admin_account (pass aws again when
      # create_delegated_admin is false).
      configuration_aliases = [aws.management]
    }
  }
}
