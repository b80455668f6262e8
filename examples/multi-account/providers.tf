# One provider configuration per account and region, as a landing zone has them: every
# account is reached by assuming var.account_role_name in it (OrganizationAccountAccessRole
# or your landing zone's deployment role). Terraform cannot create provider configurations
# in a loop, so a third member or region means six more lines here (see README), or use
# the per-stack layout in stacks/, which takes any number.
#
# With local_aws = true the providers talk to the local AWS (endpoint from AWS_ENDPOINT_URL):
# two retries (the local AWS answers 500 for operations it lacks), path-style S3, no EC2
# metadata or credential checks.

locals {
  max_retries = var.local_aws ? 2 : null
}

provider "aws" {
  alias                       = "security_primary"
  region                      = var.primary_region
  max_retries                 = local.max_retries
  s3_use_path_style           = var.local_aws
  skip_metadata_api_check     = var.local_aws
  skip_credentials_validation = var.local_aws
  assume_role {
    role_arn     = "arn:${var.partition}:iam::${var.security_account_id}:role/${var.account_role_name}"
    session_name = "inspectorlink-terraform"
  }
}

provider "aws" {
  alias                       = "security_secondary"
  region                      = var.secondary_region
  max_retries                 = local.max_retries
  s3_use_path_style           = var.local_aws
  skip_metadata_api_check     = var.local_aws
  skip_credentials_validation = var.local_aws
  assume_role {
    role_arn     = "arn:${var.partition}:iam::${var.security_account_id}:role/${var.account_role_name}"
    session_name = "inspectorlink-terraform"
  }
}

provider "aws" {
  alias                       = "member_a_primary"
  region                      = var.primary_region
  max_retries                 = local.max_retries
  s3_use_path_style           = var.local_aws
  skip_metadata_api_check     = var.local_aws
  skip_credentials_validation = var.local_aws
  assume_role {
    role_arn     = "arn:${var.partition}:iam::${var.member_account_ids[0]}:role/${var.account_role_name}"
    session_name = "inspectorlink-terraform"
  }
}

provider "aws" {
  alias                       = "member_a_secondary"
  region                      = var.secondary_region
  max_retries                 = local.max_retries
  s3_use_path_style           = var.local_aws
  skip_metadata_api_check     = var.local_aws
  skip_credentials_validation = var.local_aws
  assume_role {
    role_arn     = "arn:${var.partition}:iam::${var.member_account_ids[0]}:role/${var.account_role_name}"
    session_name = "inspectorlink-terraform"
  }
}

provider "aws" {
  alias                       = "member_b_primary"
  region                      = var.primary_region
  max_retries                 = local.max_retries
  s3_use_path_style           = var.local_aws
  skip_metadata_api_check     = var.local_aws
  skip_credentials_validation = var.local_aws
  assume_role {
    role_arn     = "arn:${var.partition}:iam::${var.member_account_ids[1]}:role/${var.account_role_name}"
    session_name = "inspectorlink-terraform"
  }
}

provider "aws" {
  alias                       = "member_b_secondary"
  region                      = var.secondary_region
  max_retries                 = local.max_retries
  s3_use_path_style           = var.local_aws
  skip_metadata_api_check     = var.local_aws
  skip_credentials_validation = var.local_aws
  assume_role {
    role_arn     = "arn:${var.partition}:iam::${var.member_account_ids[1]}:role/${var.account_role_name}"
    session_name = "inspectorlink-terraform"
  }
}

# The inspectorlink provider of each member account and region attaches the templates to
# the security account's topics.

provider "inspectorlink" {
  alias       = "member_a_primary"
  region      = var.primary_region
  max_retries = local.max_retries
  assume_role {
    role_arn     = "arn:${var.partition}:iam::${var.member_account_ids[0]}:role/${var.account_role_name}"
    session_name = "inspectorlink-terraform"
  }
}

provider "inspectorlink" {
  alias       = "member_a_secondary"
  region      = var.secondary_region
  max_retries = local.max_retries
  assume_role {
    role_arn     = "arn:${var.partition}:iam::${var.member_account_ids[0]}:role/${var.account_role_name}"
    session_name = "inspectorlink-terraform"
  }
}

provider "inspectorlink" {
  alias       = "member_b_primary"
  region      = var.primary_region
  max_retries = local.max_retries
  assume_role {
    role_arn     = "arn:${var.partition}:iam::${var.member_account_ids[1]}:role/${var.account_role_name}"
    session_name = "inspectorlink-terraform"
  }
}

provider "inspectorlink" {
  alias       = "member_b_secondary"
  region      = var.secondary_region
  max_retries = local.max_retries
  assume_role {
    role_arn     = "arn:${var.partition}:iam::${var.member_account_ids[1]}:role/${var.account_role_name}"
    session_name = "inspectorlink-terraform"
  }
}
