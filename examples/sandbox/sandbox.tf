# What the sandbox adds to examples/inspector2 (whose main.tf, providers.tf, variables.tf,
# outputs.tf and versions.tf are linked here): workloads in two member accounts and two
# regions for Inspector v2 to scan (module "workload"), shared instances in the security
# account, the topic of the daily digest, and, from the second `make sandbox` on, a change
# of state to watch: one instance terminated, one CVE suppressed. The teams' routing rules
# are variables (scripts/sandbox.sh writes them): a team tag on each workload says whose
# it is.

variable "function_zip" {
  description = "The zip the sandbox's Lambda functions are deployed with (scripts/sandbox.sh writes one; Inspector scans the runtime's packages, and the code never runs here)."
  type        = string
}

variable "show_lifecycle" {
  description = "false on the first `make sandbox`; true from the second on: the first member's web instance is terminated (its findings close) and CVE-2024-6119 is suppressed as an accepted risk (its findings are suppressed)."
  type        = bool
  default     = false
}

variable "linux_ami" {
  description = "AMI of the Linux instances (the default is one of the local AWS's built-in Ubuntu images)."
  type        = string
  default     = "ami-1e749f67"
}

variable "windows_ami" {
  description = "AMI of the Windows instance (the default is the local AWS's built-in Windows Server 2008 R2 image)."
  type        = string
  default     = "ami-12c6146b"
}

locals {
  member_a = var.member_account_ids[0]
  member_b = var.member_account_ids[1]
  # The first member's primary region: a web server open to SSH from the internet (gone
  # once show_lifecycle is set), an old Windows server, an instance excluded by tag, and a
  # container repository.
  member_a_primary_instances = merge(
    var.show_lifecycle ? {} : { web = { ami = var.linux_ami, ssh_from_internet = true } },
    {
      legacy-windows = { ami = var.windows_ami }
      excluded       = { ami = var.linux_ami, excluded = true }
    },
  )
}

################################################################################
# Member accounts: one provider per account and region, as in examples/multi-account
################################################################################

provider "aws" {
  alias                       = "member_a_primary"
  region                      = var.primary_region
  max_retries                 = local.max_retries
  skip_metadata_api_check     = var.local_aws
  skip_credentials_validation = var.local_aws
  assume_role {
    role_arn     = "arn:${var.partition}:iam::${local.member_a}:role/${var.account_role_name}"
    session_name = "inspectorlink-terraform"
  }
}

provider "aws" {
  alias                       = "member_a_secondary"
  region                      = var.secondary_region
  max_retries                 = local.max_retries
  skip_metadata_api_check     = var.local_aws
  skip_credentials_validation = var.local_aws
  assume_role {
    role_arn     = "arn:${var.partition}:iam::${local.member_a}:role/${var.account_role_name}"
    session_name = "inspectorlink-terraform"
  }
}

provider "aws" {
  alias                       = "member_b_primary"
  region                      = var.primary_region
  max_retries                 = local.max_retries
  skip_metadata_api_check     = var.local_aws
  skip_credentials_validation = var.local_aws
  assume_role {
    role_arn     = "arn:${var.partition}:iam::${local.member_b}:role/${var.account_role_name}"
    session_name = "inspectorlink-terraform"
  }
}

provider "aws" {
  alias                       = "member_b_secondary"
  region                      = var.secondary_region
  max_retries                 = local.max_retries
  skip_metadata_api_check     = var.local_aws
  skip_credentials_validation = var.local_aws
  assume_role {
    role_arn     = "arn:${var.partition}:iam::${local.member_b}:role/${var.account_role_name}"
    session_name = "inspectorlink-terraform"
  }
}

################################################################################
# Workloads
################################################################################

module "member_a_primary" {
  source    = "./workload"
  providers = { aws = aws.member_a_primary }
  # Inspector reports what it finds once: the forwarding must be in place first.
  depends_on = [module.forward_primary, module.forward_secondary]

  name_prefix  = var.name_prefix
  instances    = local.member_a_primary_instances
  repositories = ["shop-api"]
  tags         = merge(var.tags, { team = "a" })
}

module "member_a_secondary" {
  source    = "./workload"
  providers = { aws = aws.member_a_secondary }
  # Inspector reports what it finds once: the forwarding must be in place first.
  depends_on = [module.forward_primary, module.forward_secondary]

  name_prefix  = var.name_prefix
  instances    = { app = { ami = var.linux_ami, managed = false } } # scanned agentless
  functions    = { thumbnails = { runtime = "nodejs18.x" } }
  function_zip = var.function_zip
  tags         = merge(var.tags, { team = "b" })
}

module "member_b_primary" {
  source    = "./workload"
  providers = { aws = aws.member_b_primary }
  # Inspector reports what it finds once: the forwarding must be in place first.
  depends_on = [module.forward_primary, module.forward_secondary]

  name_prefix = var.name_prefix
  instances = {
    app   = { ami = var.linux_ami }
    batch = { ami = var.linux_ami, stopped = true }
  }
  functions = {
    orders        = { runtime = "python3.12" }
    legacy-report = { runtime = "java8.al2" }
    edge          = { runtime = "provided.al2023" } # a runtime Inspector does not scan
  }
  function_zip = var.function_zip
  tags         = merge(var.tags, { team = "b" })
}

module "member_b_secondary" {
  source    = "./workload"
  providers = { aws = aws.member_b_secondary }
  # Inspector reports what it finds once: the forwarding must be in place first.
  depends_on = [module.forward_primary, module.forward_secondary]

  name_prefix  = var.name_prefix
  repositories = ["shop-web"]
  tags         = merge(var.tags, { team = "b" })
}

# The platform team's shared instances in the security account (Inspector's delegated
# administrator scans its own account too): with the members' Ubuntu instances, one CVE on
# six resources in three accounts, which the daily digest reports as one entry.
module "shared_primary" {
  source    = "./workload"
  providers = { aws = aws.security_primary }
  # Inspector reports what it finds once: the forwarding must be in place first.
  depends_on = [module.forward_primary, module.forward_secondary, module.organization_primary]

  name_prefix = "${var.name_prefix}-shared"
  instances = {
    bastion = { ami = var.linux_ami }
    build   = { ami = var.linux_ami }
    jump    = { ami = var.linux_ami }
  }
  tags = merge(var.tags, { team = "platform" })
}

################################################################################
# The daily digest's topic (a notification destination of its own: scripts/sandbox.sh)
################################################################################

resource "aws_sns_topic" "digest" {
  provider = aws.security_primary

  name              = "${var.name_prefix}-digest"
  kms_master_key_id = module.security_primary.kms_key_arn
  tags              = var.tags
}

resource "aws_sns_topic_subscription" "digest" {
  provider = aws.security_primary

  topic_arn = aws_sns_topic.digest.arn
  protocol  = "email"
  endpoint  = "digest@${var.name_prefix}.example.com"
}

################################################################################
# Accepted risk: a suppression rule of the delegated administrator, in both regions
################################################################################

locals {
  accepted_risk = {
    reason = "Accepted risk: CVE-2024-6119 needs a crafted certificate that our services never parse (sandbox example)"
    cve    = "CVE-2024-6119"
  }
}

resource "aws_inspector2_filter" "accepted_risk_primary" {
  count    = var.show_lifecycle ? 1 : 0
  provider = aws.security_primary

  name        = "${var.name_prefix}-accepted-risk"
  action      = "SUPPRESS"
  description = local.accepted_risk.reason
  tags        = var.tags

  filter_criteria {
    vulnerability_id {
      comparison = "EQUALS"
      value      = local.accepted_risk.cve
    }
  }

  depends_on = [module.organization_primary]
}

resource "aws_inspector2_filter" "accepted_risk_secondary" {
  count    = var.show_lifecycle ? 1 : 0
  provider = aws.security_secondary

  name        = "${var.name_prefix}-accepted-risk"
  action      = "SUPPRESS"
  description = local.accepted_risk.reason
  tags        = var.tags

  filter_criteria {
    vulnerability_id {
      comparison = "EQUALS"
      value      = local.accepted_risk.cve
    }
  }

  depends_on = [module.organization_secondary]
}

output "workloads" {
  description = "What Inspector scans, per \"<account>/<region>\": instance ids by name, repository names, function ARNs by name."
  value = {
    for key, workload in {
      "${var.security_account_id}/${var.primary_region}" = module.shared_primary
      "${local.member_a}/${var.primary_region}"          = module.member_a_primary
      "${local.member_a}/${var.secondary_region}"        = module.member_a_secondary
      "${local.member_b}/${var.primary_region}"          = module.member_b_primary
      "${local.member_b}/${var.secondary_region}"        = module.member_b_secondary
      } : key => {
      instances    = workload.instance_ids
      repositories = workload.repository_names
      functions    = workload.function_arns
    }
  }
}

output "accepted_risk" {
  description = "The CVE the sandbox suppresses once show_lifecycle is set, and why."
  value       = local.accepted_risk
}

output "digest_topic_arn" {
  description = "The daily digest's topic; its email subscriber is digest@<name_prefix>.example.com."
  value       = aws_sns_topic.digest.arn
}
