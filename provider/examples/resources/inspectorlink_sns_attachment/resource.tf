# The security account's topic for us-east-1; its policy lets Inspector publish.
data "inspectorlink_service_account" "use1" {
  provider = inspectorlink.member_use1
}

resource "aws_sns_topic" "inspector_use1" {
  provider = aws.security_use1
  name     = "inspector-findings"
}

resource "aws_sns_topic_policy" "inspector_use1" {
  provider = aws.security_use1
  arn      = aws_sns_topic.inspector_use1.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "InspectorClassicPublish"
      Effect    = "Allow"
      Principal = { AWS = data.inspectorlink_service_account.use1.principal_arn }
      Action    = "SNS:Publish"
      Resource  = aws_sns_topic.inspector_use1.arn
    }]
  })
}

# The member account's template notifies that topic of every finding and completed run.
resource "inspectorlink_sns_attachment" "use1" {
  provider                = inspectorlink.member_use1
  assessment_template_arn = aws_inspector_assessment_template.use1.arn
  topic_arn               = aws_sns_topic.inspector_use1.arn
  events                  = ["FINDING_REPORTED", "ASSESSMENT_RUN_COMPLETED"]

  # Inspector refuses to subscribe a topic it may not publish to.
  depends_on = [aws_sns_topic_policy.inspector_use1]
}
