# The provider's region (here us-east-1: 316112463485, arn:aws:iam::316112463485:root).
data "inspectorlink_service_account" "current" {
  provider = inspectorlink.member_use1
}

# Any Inspector Classic region.
data "inspectorlink_service_account" "euw1" {
  provider = inspectorlink.member_use1
  region   = "eu-west-1"
}
