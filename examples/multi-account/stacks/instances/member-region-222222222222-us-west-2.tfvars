member_account_id = "222222222222"
region            = "us-west-2"
