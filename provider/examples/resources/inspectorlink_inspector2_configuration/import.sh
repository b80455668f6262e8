# The id is <account_id>,<region> of the provider instance that manages it.
terraform import inspectorlink_inspector2_configuration.use1 '111111111111,us-east-1'
