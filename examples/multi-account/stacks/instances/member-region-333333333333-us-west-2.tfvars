member_account_id = "333333333333"
region            = "us-west-2"
