terraform {
  required_providers {
    inspectorlink = {
      source = "inspectorlink/inspectorlink"
    }
  }
}

# One provider instance per member account and region, as with hashicorp/aws aliases.
provider "inspectorlink" {
  alias  = "member_use1"
  region = "us-east-1"

  assume_role {
    role_arn     = "arn:aws:iam::222222222222:role/inspectorlink"
    external_id  = "inspectorlink"
    session_name = "terraform"
  }
}
