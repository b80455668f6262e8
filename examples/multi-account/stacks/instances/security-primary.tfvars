# The security account's primary region: everything it needs is in estate.tfvars.
