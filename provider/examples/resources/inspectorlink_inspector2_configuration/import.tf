# Or with an import block.
import {
  provider = inspectorlink.security_use1
  to       = inspectorlink_inspector2_configuration.use1
  id       = "111111111111,us-east-1"
}
