# The id is <assessment_template_arn>,<topic_arn>; events are read from Inspector.
terraform import inspectorlink_sns_attachment.use1 \
  'arn:aws:inspector:us-east-1:222222222222:target/0-AbCd1234/template/0-EfGh5678,arn:aws:sns:us-east-1:111111111111:inspector-findings'
