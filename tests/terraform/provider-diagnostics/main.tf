# One inspectorlink_sns_attachment whose every input is a variable, so that the acceptance
# tests can feed it each kind of bad input and read the diagnostic. The provider instance
# assumes a role in the member account, as users configure it.

terraform {
  required_version = ">= 1.6"

  required_providers {
    inspectorlink = {
      source = "inspectorlink/inspectorlink"
    }
  }
}

provider "inspectorlink" {
  region      = var.region
  max_retries = 2
  assume_role {
    role_arn = "arn:aws:iam::${var.member_account_id}:role/inspectorlink-test"
  }
}

resource "inspectorlink_sns_attachment" "this" {
  assessment_template_arn = var.assessment_template_arn
  topic_arn               = var.topic_arn
  events                  = var.events
}
