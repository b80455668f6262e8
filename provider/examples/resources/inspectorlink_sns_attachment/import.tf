# Or with an import block; `terraform plan -generate-config-out=generated.tf` writes the
# resource block for you.
import {
  provider = inspectorlink.member_use1
  to       = inspectorlink_sns_attachment.use1
  id       = "arn:aws:inspector:us-east-1:222222222222:target/0-AbCd1234/template/0-EfGh5678,arn:aws:sns:us-east-1:111111111111:inspector-findings"
}
