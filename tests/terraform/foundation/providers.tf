# One provider per account and region, as a landing zone has them. Endpoints and keys
# come from the local AWS's env file (AWS_ENDPOINT_URL etc.); every account is reached
# by assuming a role in it, which is how the local AWS tells accounts apart.

locals {
  role_name = "inspectorlink-test"
  # moto answers 500 for operations it lacks; the default retries would hang for minutes.
  max_retries = 2
}

provider "aws" {
  alias                   = "security_primary"
  region                  = var.primary_region
  max_retries             = local.max_retries
  skip_metadata_api_check = true
  assume_role {
    role_arn = "arn:aws:iam::${var.security_account_id}:role/${local.role_name}"
  }
}

provider "aws" {
  alias                   = "security_secondary"
  region                  = var.secondary_region
  max_retries             = local.max_retries
  skip_metadata_api_check = true
  assume_role {
    role_arn = "arn:aws:iam::${var.security_account_id}:role/${local.role_name}"
  }
}

provider "aws" {
  alias                   = "member_a_primary"
  region                  = var.primary_region
  max_retries             = local.max_retries
  skip_metadata_api_check = true
  assume_role {
    role_arn = "arn:aws:iam::${var.member_account_ids[0]}:role/${local.role_name}"
  }
}

provider "aws" {
  alias                   = "member_a_secondary"
  region                  = var.secondary_region
  max_retries             = local.max_retries
  skip_metadata_api_check = true
  assume_role {
    role_arn = "arn:aws:iam::${var.member_account_ids[0]}:role/${local.role_name}"
  }
}

provider "aws" {
  alias                   = "member_b_primary"
  region                  = var.primary_region
  max_retries             = local.max_retries
  skip_metadata_api_check = true
  assume_role {
    role_arn = "arn:aws:iam::${var.member_account_ids[1]}:role/${local.role_name}"
  }
}

provider "aws" {
  alias                   = "member_b_secondary"
  region                  = var.secondary_region
  max_retries             = local.max_retries
  skip_metadata_api_check = true
  assume_role {
    role_arn = "arn:aws:iam::${var.member_account_ids[1]}:role/${local.role_name}"
  }
}
