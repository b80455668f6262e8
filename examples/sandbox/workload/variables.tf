variable "name_prefix" {
  description = "Prefix of every name."
  type        = string
}

variable "instances" {
  description = "EC2 instances by name. managed: has an instance profile (what SSM-agent-based scanning needs); ssh_from_internet: a security group open on port 22 to 0.0.0.0/0 (a NETWORK_REACHABILITY finding); excluded: tagged InspectorEc2Exclusion (Inspector leaves it alone); stopped: stopped after launch (not scanned)."
  type = map(object({
    ami               = string
    managed           = optional(bool, true)
    ssh_from_internet = optional(bool, false)
    excluded          = optional(bool, false)
    stopped           = optional(bool, false)
  }))
  default = {}

  validation {
    condition     = alltrue([for name in keys(var.instances) : can(regex("^[a-z0-9-]{1,32}$", name))])
    error_message = "instance names must be 1-32 lowercase letters, digits or dashes."
  }
}

variable "repositories" {
  description = "ECR repositories to create (the sandbox pushes an image into each: Terraform cannot push images)."
  type        = list(string)
  default     = []
}

variable "functions" {
  description = "Lambda functions by name, each with its runtime (e.g. python3.12, nodejs18.x, provided.al2023)."
  type        = map(object({ runtime = string }))
  default     = {}
}

variable "function_zip" {
  description = "Path of the zip every function is deployed with (Inspector scans the runtime's packages; the code is never run here). Required when functions is not empty."
  type        = string
  default     = null

  validation {
    condition     = var.function_zip == null || endswith(coalesce(var.function_zip, ".zip"), ".zip")
    error_message = "function_zip must be the path of a .zip file."
  }
}

variable "tags" {
  description = "Tags for every resource that takes tags."
  type        = map(string)
  default     = {}
}
