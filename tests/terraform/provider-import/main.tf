# Adopts an existing subscription with an `import {}` block, the way users bring
# subscriptions made outside Terraform under management: `terraform plan
# -generate-config-out=generated.tf` writes the resource block.

terraform {
  required_version = ">= 1.6"

  required_providers {
    inspectorlink = {
      source = "inspectorlink/inspectorlink"
    }
  }
}

provider "inspectorlink" {
  alias       = "member"
  region      = "us-east-1"
  max_retries = 2
  assume_role {
    role_arn = "arn:aws:iam::${var.member_account_id}:role/inspectorlink-test"
  }
}

import {
  provider = inspectorlink.member
  to       = inspectorlink_sns_attachment.adopted
  id       = var.attachment_id
}
