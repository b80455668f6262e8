member_account_id = "222222222222"
