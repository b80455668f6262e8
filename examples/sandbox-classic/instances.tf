# What the sandbox adds to examples/multi-account (whose files are linked here): EC2
# instances in every member account and region for Inspector to assess. The tagged ones
# carry var.scan_tag and are in the assessment targets; the untagged ones must never
# produce a finding.

variable "tagged_instances_per_region" {
  description = "Instances with the scan tag per member account and region."
  type        = number
  default     = 2

  validation {
    condition     = var.tagged_instances_per_region >= 0 && var.tagged_instances_per_region <= 20
    error_message = "tagged_instances_per_region must be 0-20."
  }
}

variable "untagged_instances_per_region" {
  description = "Instances without the scan tag per member account and region (not assessed)."
  type        = number
  default     = 1

  validation {
    condition     = var.untagged_instances_per_region >= 0 && var.untagged_instances_per_region <= 20
    error_message = "untagged_instances_per_region must be 0-20."
  }
}

variable "instance_ami" {
  description = "AMI of the sandbox instances (the default is one of the local AWS's built-in images)."
  type        = string
  default     = "ami-12c6146b"
}

locals {
  scan_tags = { (var.scan_tag.key) = coalesce(var.scan_tag.value, "true") }
  instance_tags = {
    tagged   = merge(var.tags, local.scan_tags)
    untagged = var.tags
  }
  # One list of instance names per kind: "<kind>-<n>", created in every member and region.
  instance_names = concat(
    [for n in range(var.tagged_instances_per_region) : "tagged-${n + 1}"],
    [for n in range(var.untagged_instances_per_region) : "untagged-${n + 1}"],
  )
}

resource "aws_instance" "member_a_primary" {
  provider = aws.member_a_primary
  for_each = toset(local.instance_names)

  ami           = var.instance_ami
  instance_type = "t3.micro"
  tags          = merge(local.instance_tags[split("-", each.key)[0]], { Name = "${var.name_prefix}-${each.key}" })
}

resource "aws_instance" "member_a_secondary" {
  provider = aws.member_a_secondary
  for_each = toset(local.instance_names)

  ami           = var.instance_ami
  instance_type = "t3.micro"
  tags          = merge(local.instance_tags[split("-", each.key)[0]], { Name = "${var.name_prefix}-${each.key}" })
}

resource "aws_instance" "member_b_primary" {
  provider = aws.member_b_primary
  for_each = toset(local.instance_names)

  ami           = var.instance_ami
  instance_type = "t3.micro"
  tags          = merge(local.instance_tags[split("-", each.key)[0]], { Name = "${var.name_prefix}-${each.key}" })
}

resource "aws_instance" "member_b_secondary" {
  provider = aws.member_b_secondary
  for_each = toset(local.instance_names)

  ami           = var.instance_ami
  instance_type = "t3.micro"
  tags          = merge(local.instance_tags[split("-", each.key)[0]], { Name = "${var.name_prefix}-${each.key}" })
}

output "instances" {
  description = "The sandbox's instance ids per \"<account>/<region>\", split into tagged (assessed) and untagged."
  value = {
    for key, instances in {
      "${var.member_account_ids[0]}/${var.primary_region}"   = aws_instance.member_a_primary
      "${var.member_account_ids[0]}/${var.secondary_region}" = aws_instance.member_a_secondary
      "${var.member_account_ids[1]}/${var.primary_region}"   = aws_instance.member_b_primary
      "${var.member_account_ids[1]}/${var.secondary_region}" = aws_instance.member_b_secondary
      } : key => {
      tagged   = [for name, instance in instances : instance.id if startswith(name, "tagged-")]
      untagged = [for name, instance in instances : instance.id if startswith(name, "untagged-")]
    }
  }
}
