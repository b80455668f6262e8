# One member account's part of the plan benchmark: its templates (hashicorp/aws), each
# attached to the security account's topic (inspectorlink).

terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
    inspectorlink = {
      source = "inspectorlink/inspectorlink"
    }
  }
}

variable "name" {
  description = "Prefix of the target's and the templates' names."
  type        = string
}

variable "templates" {
  description = "How many templates, and as many attachments (an account holds at most 500 templates)."
  type        = number
}

variable "topic_arn" {
  description = "The security account's topic the templates are attached to."
  type        = string
}

data "aws_inspector_rules_packages" "available" {}

resource "aws_inspector_assessment_target" "all" {
  name = var.name
}

resource "aws_inspector_assessment_template" "bench" {
  count = var.templates

  name               = "${var.name}-${count.index}"
  target_arn         = aws_inspector_assessment_target.all.arn
  duration           = 3600
  rules_package_arns = data.aws_inspector_rules_packages.available.arns
}

resource "inspectorlink_sns_attachment" "bench" {
  count = var.templates

  assessment_template_arn = aws_inspector_assessment_template.bench[count.index].arn
  topic_arn               = var.topic_arn
}
