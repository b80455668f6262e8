# One provider configuration per account and region: the security account, where
# everything lives, and the management account, which only names the delegated
# administrator. Both are reached by assuming var.account_role_name. Member accounts need
# no provider: the delegated administrator associates and enables them.
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
  skip_metadata_api_check     = var.local_aws
  skip_credentials_validation = var.local_aws
  assume_role {
    role_arn     = "arn:${var.partition}:iam::${var.security_account_id}:role/${var.account_role_name}"
    session_name = "inspectorlink-terraform"
  }
}

provider "aws" {
  alias                       = "management_primary"
  region                      = var.primary_region
  max_retries                 = local.max_retries
  skip_metadata_api_check     = var.local_aws
  skip_credentials_validation = var.local_aws
  assume_role {
    role_arn     = "arn:${var.partition}:iam::${var.management_account_id}:role/${var.account_role_name}"
    session_name = "inspectorlink-terraform"
  }
}

provider "aws" {
  alias                       = "management_secondary"
  region                      = var.secondary_region
  max_retries                 = local.max_retries
  skip_metadata_api_check     = var.local_aws
  skip_credentials_validation = var.local_aws
  assume_role {
    role_arn     = "arn:${var.partition}:iam::${var.management_account_id}:role/${var.account_role_name}"
    session_name = "inspectorlink-terraform"
  }
}
