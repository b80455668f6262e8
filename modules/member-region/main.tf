# A member account's Inspector Classic scanning in one region: the instances tagged
# scan_tag are assessed on a schedule with every rules package of the region, and the
# template notifies the security account's regional topic (inspectorlink_sns_attachment).
# Optionally, templates created outside Terraform are attached by the attach-template Lambda.

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

# Inspector Classic facts of the inspectorlink provider's region; the provider refuses a
# region that has no Inspector Classic and names the regions that have it (its table is
# functions/inspector-facts/classic-regions.json, the same file the local AWS loads).
data "inspectorlink_service_account" "this" {}

locals {
  create     = var.create
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  central_topic_name = var.central_topic_arn != null ? split(":", var.central_topic_arn)[5] : coalesce(var.central_topic_name, "${var.name_prefix}-findings")
  central_topic_arn  = coalesce(var.central_topic_arn, "arn:${local.partition}:sns:${local.region}:${var.security_account_id}:${local.central_topic_name}")

  scheduled = local.create && var.schedule_expression != null
  # The role's name is the last part of its ARN (a role may have a path).
  scheduler_role_arn  = coalesce(var.scheduler_role_arn, "(not set)")
  scheduler_role_name = element(split("/", local.scheduler_role_arn), length(split("/", local.scheduler_role_arn)) - 1)

  rules_package_arns = var.rules_package_arns != null ? var.rules_package_arns : try(data.aws_inspector_rules_packages.this[0].arns, [])
}

data "aws_inspector_rules_packages" "this" {
  count = local.create && var.rules_package_arns == null ? 1 : 0

  lifecycle {
    postcondition {
      # The region's rules packages belong to its Inspector service account (User Guide:
      # the rules package ARN table and the SNS set-up list the same accounts).
      condition     = length(self.arns) > 0 && alltrue([for arn in self.arns : split(":", arn)[4] == data.inspectorlink_service_account.this.account_id])
      error_message = "Inspector Classic lists no rules packages in ${data.aws_region.current.name}, or packages not owned by the region's Inspector account ${data.inspectorlink_service_account.this.account_id}."
    }
  }
}

################################################################################
# What to assess: resource group (by tag) -> target -> template
################################################################################

resource "aws_inspector_resource_group" "this" {
  count = local.create ? 1 : 0

  tags = { (var.scan_tag.key) = var.scan_tag.value }

  lifecycle {
    precondition {
      condition     = data.inspectorlink_service_account.this.region == data.aws_region.current.name
      error_message = "The aws provider (region ${data.aws_region.current.name}) and the inspectorlink provider (region ${data.inspectorlink_service_account.this.region}) given to member-region must be the same account and region."
    }
  }
}

resource "aws_inspector_assessment_target" "this" {
  count = local.create ? 1 : 0

  name               = coalesce(var.assessment_target_name, var.name_prefix)
  resource_group_arn = aws_inspector_resource_group.this[0].arn
}

resource "aws_inspector_assessment_template" "this" {
  count = local.create ? 1 : 0

  name               = coalesce(var.assessment_template_name, var.name_prefix)
  target_arn         = aws_inspector_assessment_target.this[0].arn
  duration           = var.duration
  rules_package_arns = local.rules_package_arns
  tags               = merge(var.tags, var.template_tags)

  lifecycle {
    # The subscriptions are inspectorlink_sns_attachment's (cross-account topic, drift
    # detection, import). hashicorp/aws reads every subscription of the template into
    # event_subscription and would unsubscribe them on the next apply.
    ignore_changes = [event_subscription]
  }
}

################################################################################
# Notifications to the security account's regional topic
################################################################################

resource "inspectorlink_sns_attachment" "this" {
  count = local.create ? 1 : 0

  assessment_template_arn = aws_inspector_assessment_template.this[0].arn
  topic_arn               = local.central_topic_arn
  events                  = var.events

  lifecycle {
    precondition {
      condition     = split(":", local.central_topic_arn)[3] == local.region && split(":", local.central_topic_arn)[4] == var.security_account_id
      error_message = "central_topic_arn ${local.central_topic_arn} must be the security account's (${var.security_account_id}) topic in ${local.region}: Inspector notifies topics of its own region only."
    }
  }
}

################################################################################
# Schedule: EventBridge starts a run of the template with the scheduler role
################################################################################

# The role is looked up rather than trusted as typed: a wrong ARN on the target makes
# EventBridge fail every scheduled run silently (the original system lost its scans that way).
data "aws_iam_roles" "scheduler" {
  count = local.scheduled ? 1 : 0

  name_regex = "^${replace(replace(local.scheduler_role_name, ".", "\\."), "+", "\\+")}$"

  lifecycle {
    postcondition {
      condition     = contains(self.arns, local.scheduler_role_arn)
      error_message = "scheduler_role_arn ${local.scheduler_role_arn} is not a role of this account (${local.account_id}): EventBridge would fail every scheduled run. Pass the member-account module's scheduler_role_arn output."
    }
  }
}

data "aws_iam_role" "scheduler" {
  count = length(data.aws_iam_roles.scheduler)

  name = one(data.aws_iam_roles.scheduler[0].names)

  lifecycle {
    postcondition {
      condition     = contains(flatten([for s in jsondecode(self.assume_role_policy).Statement : try(flatten([s.Principal.Service]), [])]), "events.amazonaws.com")
      error_message = "The scheduler role ${self.arn} does not trust events.amazonaws.com, so EventBridge could not start assessment runs with it."
    }
  }
}

resource "aws_cloudwatch_event_rule" "schedule" {
  count = local.scheduled ? 1 : 0

  name                = "${var.name_prefix}-assessment-schedule"
  description         = "inspectorlink: starts an Inspector Classic assessment run of ${coalesce(var.assessment_template_name, var.name_prefix)}"
  schedule_expression = var.schedule_expression
  tags                = var.tags

  lifecycle {
    precondition {
      condition     = var.scheduler_role_arn != null
      error_message = "scheduler_role_arn is required when schedule_expression is set (pass the member-account module's scheduler_role_arn output), or set schedule_expression = null."
    }
  }
}

resource "aws_cloudwatch_event_target" "schedule" {
  count = local.scheduled ? 1 : 0

  rule      = aws_cloudwatch_event_rule.schedule[0].name
  target_id = "assessment-template"
  arn       = aws_inspector_assessment_template.this[0].arn
  role_arn  = one(data.aws_iam_role.scheduler[*].arn)

  lifecycle {
    postcondition {
      condition     = self.role_arn == var.scheduler_role_arn && self.arn == aws_inspector_assessment_template.this[0].arn
      error_message = "The schedule's target must be the template, started with the scheduler role ${local.scheduler_role_arn}."
    }
  }
}
