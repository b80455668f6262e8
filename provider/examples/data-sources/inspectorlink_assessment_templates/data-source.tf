# Templates created outside Terraform (e.g. by a team's own tooling), tagged for central
# findings: attach each one to the region's topic.
data "inspectorlink_assessment_templates" "central" {
  provider    = inspectorlink.member_use1
  name_prefix = "team-"
  tags        = { Findings = "central" }
}

resource "inspectorlink_sns_attachment" "central" {
  for_each = toset(data.inspectorlink_assessment_templates.central.arns)

  provider                = inspectorlink.member_use1
  assessment_template_arn = each.value
  topic_arn               = "arn:aws:sns:us-east-1:111111111111:inspector-findings"
}
