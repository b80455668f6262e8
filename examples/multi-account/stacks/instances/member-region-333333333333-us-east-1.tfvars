member_account_id = "333333333333"
region            = "us-east-1"
