# ---------------------------------------------------------------------------------------
# Names, scope, composition
# ---------------------------------------------------------------------------------------

variable "create" {
  description = "Whether to create anything. Set to false to switch the module off without removing its block."
  type        = bool
  default     = true
}

variable "name_prefix" {
  description = "Prefix of every name. Use the same prefix for security-region (the topics this module's queues accept are \"<name_prefix>-findings\" in each of `regions`) and the member modules."
  type        = string
  default     = "inspectorlink"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,40}$", var.name_prefix))
    error_message = "name_prefix must be 1-40 letters, digits, hyphens or underscores."
  }
}

variable "tags" {
  description = "Tags for every resource that takes tags."
  type        = map(string)
  default     = {}
}

variable "regions" {
  description = "The Inspector Classic regions that have a security-region topic (including this one). The central queues accept messages from \"<name_prefix>-findings\" in these regions only."
  type        = list(string)

  validation {
    condition     = length(var.regions) >= 1 && alltrue([for r in var.regions : can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$", r))])
    error_message = "regions must list at least one AWS region name, e.g. us-east-1."
  }
}

variable "member_account_ids" {
  description = "The member accounts whose findings the Lambdas read: they may assume <member_role_name> in these accounts and nowhere else."
  type        = list(string)

  validation {
    condition     = length(var.member_account_ids) >= 1 && alltrue([for id in var.member_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "member_account_ids must list at least one 12-digit AWS account id."
  }
}

variable "member_role_name" {
  description = "Name of the read-only role in each member account (member-account module). Defaults to \"<name_prefix>-read\", the member-account module's default."
  type        = string
  default     = null

  validation {
    condition     = var.member_role_name == null || can(regex("^[a-zA-Z0-9+=,.@_-]{1,64}$", var.member_role_name))
    error_message = "member_role_name must be 1-64 characters: letters, digits and +=,.@_-."
  }
}

variable "member_role_external_id" {
  description = "The sts:ExternalId the member read roles require (the member-account module's external_id). Passed to both Lambdas as MEMBER_ROLE_EXTERNAL_ID."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.member_role_external_id == null || try(length(var.member_role_external_id) >= 2 && length(var.member_role_external_id) <= 1224 && can(regex("^[a-zA-Z0-9+=,.@:/_-]+$", var.member_role_external_id)), false)
    error_message = "member_role_external_id must be 2-1224 characters: letters, digits and +=,.@:/_-."
  }
}

variable "member_roles" {
  description = "Whether each member account has the read-only role of modules/member-account (member_role_name), which the Lambdas assume to describe Inspector Classic findings and to name accounts by their alias in emails. false for an Inspector v2 estate, which deploys nothing in the members: the Lambdas are then granted no sts:AssumeRole, an Inspector Classic finding fails saying what to deploy, and emails name accounts by id."
  type        = bool
  default     = true
  nullable    = false
}

variable "eventbridge_rule_arns" {
  description = "EventBridge rules (e.g. Inspector v2 finding forwarding) that may also send to the send and notify queues: ARNs with a region and an account; the rule name may end in a * pattern."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.eventbridge_rule_arns : can(regex("^arn:aws[a-z-]*:events:[a-z]{2}(-[a-z]+)+-[0-9]:[0-9]{12}:rule/[^*]+\\*?$", arn))])
    error_message = "eventbridge_rule_arns must be EventBridge rule ARNs with a region and a 12-digit account (arn:<partition>:events:<region>:<account>:rule/<name>); only the name may end in *. A * account or region would let any account's rules send findings to the queues."
  }
}

variable "permissions_boundary" {
  description = "ARN of a permissions boundary policy for both Lambda roles, when the landing zone requires one."
  type        = string
  default     = null

  validation {
    condition     = var.permissions_boundary == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", var.permissions_boundary))
    error_message = "permissions_boundary must be an IAM policy ARN."
  }
}

# ---------------------------------------------------------------------------------------
# KMS
# ---------------------------------------------------------------------------------------

variable "kms_key_arn" {
  description = "An existing KMS key (ARN, in this region) for the queues, bucket, table, topics, log groups and Lambda environments. Its policy must grant what this module's own key policy grants (see README). When null, the module creates the key."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)."
  }
}

variable "create_kms_key" {
  description = "Whether to create the key. Null: create it when kms_key_arn is null. Set explicitly when kms_key_arn comes from a resource of the same configuration (known only after apply)."
  type        = bool
  default     = null
}

variable "kms_key_deletion_window_in_days" {
  description = "Waiting period before the created KMS key is deleted (7-30 days)."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_key_deletion_window_in_days >= 7 && var.kms_key_deletion_window_in_days <= 30
    error_message = "kms_key_deletion_window_in_days must be from 7 to 30."
  }
}

# ---------------------------------------------------------------------------------------
# Queues and alarms
# ---------------------------------------------------------------------------------------

variable "max_receive_count" {
  description = "Receives before a message moves to the dead-letter queue."
  type        = number
  default     = 5

  validation {
    condition     = var.max_receive_count >= 1 && var.max_receive_count <= 1000
    error_message = "max_receive_count must be from 1 to 1000."
  }
}

variable "message_retention_seconds" {
  description = "How long the send and notify queues keep a message (60-1209599 s). Shorter than the dead-letter queues' 14 days: SQS keeps a message's first enqueue time when it moves it to the DLQ, so a DLQ that keeps messages no longer than its queue can drop them on arrival."
  type        = number
  default     = 345600

  validation {
    condition     = var.message_retention_seconds >= 60 && var.message_retention_seconds < 1209600
    error_message = "message_retention_seconds must be from 60 to 1209599: less than the dead-letter queues' 14 days (1209600 s), or failed messages could expire as they reach them."
  }
}

variable "queue_age_alarm_seconds" {
  description = "Alarm when the oldest message in the send or notify queue is older than this (a consumer that stopped or cannot keep up)."
  type        = number
  default     = 1800

  validation {
    condition     = var.queue_age_alarm_seconds >= 60
    error_message = "queue_age_alarm_seconds must be at least 60."
  }
}

variable "alarm_topic_arn" {
  description = "SNS topic for the alarms (dead-letter queues, age of the oldest queued message, Lambda errors and throttles, findings stored without details). Defaults to the notifications topic."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[a-zA-Z0-9_-]{1,256}$", var.alarm_topic_arn))
    error_message = "alarm_topic_arn must be an SNS topic ARN."
  }
}

# ---------------------------------------------------------------------------------------
# S3
# ---------------------------------------------------------------------------------------

variable "bucket_name" {
  description = "An existing bucket for the finding documents (e.g. the landing zone's central log bucket); the module then only grants send-findings s3:GetObject and s3:PutObject under findings_prefix and history_prefix. When null, the module creates \"<name_prefix>-findings-<account id>\" (lowercase)."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)."
  }
}

variable "create_bucket" {
  description = "Whether to create the bucket. Null: create it when bucket_name is null. Set explicitly when bucket_name comes from a resource of the same configuration (known only after apply)."
  type        = bool
  default     = null
}

variable "findings_prefix" {
  description = "Key prefix of the finding objects (FINDINGS_PREFIX); send-findings may write under it only."
  type        = string
  default     = "findings"

  validation {
    condition     = can(regex("^[a-zA-Z0-9!_.*'()-]+(/[a-zA-Z0-9!_.*'()-]+)*$", var.findings_prefix))
    error_message = "findings_prefix must be one or more path segments without leading or trailing slashes, e.g. findings or inspector/findings."
  }
}

variable "history_prefix" {
  description = "Key prefix of the Inspector v2 findings' history (HISTORY_PREFIX): one object per status change, beside findings_prefix and outside its expiration, so the record of how long fixes took outlives Inspector's (which deletes closed findings after 3 to 30 days)."
  type        = string
  default     = "history"

  validation {
    condition     = can(regex("^[a-zA-Z0-9!_.*'()-]+(/[a-zA-Z0-9!_.*'()-]+)*$", var.history_prefix))
    error_message = "history_prefix must be one or more path segments without leading or trailing slashes, e.g. history or inspector/history."
  }
}

variable "coverage_prefix" {
  description = "Key prefix of the Inspector v2 coverage documents (COVERAGE_PREFIX): one object per resource and scan type, beside findings_prefix and history_prefix; the coverage sweep deletes those of resources Inspector no longer lists."
  type        = string
  default     = "coverage"

  validation {
    condition     = can(regex("^[a-zA-Z0-9!_.*'()-]+(/[a-zA-Z0-9!_.*'()-]+)*$", var.coverage_prefix))
    error_message = "coverage_prefix must be one or more path segments without leading or trailing slashes, e.g. coverage or inspector/coverage."
  }
}

variable "coverage_sweep_schedule" {
  description = "When the coverage sweep runs: an EventBridge schedule expression (rate(...) or cron(...)) for the rule \"<name_prefix>-coverage-sweep\", which sends send-findings a message that makes it list Inspector v2's coverage (ListCoverage, as the delegated administrator) in coverage_sweep_regions and drop what Inspector no longer lists. Null: no sweep (coverage comes from events only)."
  type        = string
  default     = "rate(1 day)"

  validation {
    condition     = var.coverage_sweep_schedule == null || can(regex("^(rate\\((1 (minute|hour|day)|([2-9]|[1-9][0-9]+) (minutes|hours|days))\\)|cron\\([^ ()]+( [^ ()]+){5}\\))$", var.coverage_sweep_schedule))
    error_message = "coverage_sweep_schedule must be rate(<n> <unit>) (minute, hour or day; singular for 1, plural otherwise) or cron(<6 fields>), e.g. rate(1 day) or cron(0 3 * * ? *)."
  }
}

variable "coverage_sweep_regions" {
  description = "The regions the coverage sweep lists (where Inspector v2 scans for the delegated administrator). Empty: this region only."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for r in var.coverage_sweep_regions : can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$", r))]) && length(distinct(var.coverage_sweep_regions)) == length(var.coverage_sweep_regions)
    error_message = "coverage_sweep_regions must be distinct region names, e.g. us-east-1."
  }
}

variable "bucket_force_destroy" {
  description = "Let terraform destroy the created bucket with its objects (for sandboxes and tests)."
  type        = bool
  default     = false
}

variable "bucket_expiration_days" {
  description = "Days after which finding objects expire in the created bucket; null keeps them."
  type        = number
  default     = null

  validation {
    condition     = var.bucket_expiration_days == null || try(var.bucket_expiration_days >= 1, false)
    error_message = "bucket_expiration_days must be null or at least 1."
  }
}

variable "bucket_noncurrent_version_expiration_days" {
  description = "Days after which overwritten (noncurrent) versions of finding objects expire in the created bucket."
  type        = number
  default     = 90

  validation {
    condition     = var.bucket_noncurrent_version_expiration_days >= 1
    error_message = "bucket_noncurrent_version_expiration_days must be at least 1."
  }
}

variable "bucket_access_log_bucket" {
  description = "A bucket for S3 server access logs of the created bucket (the landing zone's log bucket); null: no access logging."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_access_log_bucket == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_access_log_bucket))
    error_message = "bucket_access_log_bucket must be a valid S3 bucket name."
  }
}

# ---------------------------------------------------------------------------------------
# Athena (athena.tf)
# ---------------------------------------------------------------------------------------

variable "create_athena" {
  description = "Create a Glue database with the findings and history tables (partition projection on engine, account_id, region, day), an Athena workgroup with encrypted results in the bucket, and the named queries of queries/*.sql."
  type        = bool
  default     = true
}

variable "athena_database_name" {
  description = "Name of the Glue database. Null: \"<name_prefix>_findings\", lowercased, hyphens as underscores."
  type        = string
  default     = null

  validation {
    condition     = var.athena_database_name == null || can(regex("^[a-z0-9_]{1,255}$", var.athena_database_name))
    error_message = "athena_database_name must be 1-255 lowercase letters, digits or underscores (Athena needs no quoting then)."
  }
}

variable "athena_account_ids" {
  description = "The accounts the tables' account_id partitions enumerate (partition projection). Null: member_account_ids. Findings of an account not listed are invisible to Athena: list every account whose findings reach the bucket (Inspector v2 members included)."
  type        = list(string)
  default     = null

  validation {
    condition     = var.athena_account_ids == null || try(length(var.athena_account_ids) >= 1 && alltrue([for id in var.athena_account_ids : can(regex("^[0-9]{12}$", id))]), false)
    error_message = "athena_account_ids must be null or list at least one 12-digit AWS account id."
  }
}

variable "athena_regions" {
  description = "The regions the tables' region partitions enumerate (partition projection). Null: regions. List every region whose findings reach the bucket (Inspector v2 forwarding regions included)."
  type        = list(string)
  default     = null

  validation {
    condition     = var.athena_regions == null || try(length(var.athena_regions) >= 1 && alltrue([for r in var.athena_regions : can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$", r))]), false)
    error_message = "athena_regions must be null or list at least one AWS region name, e.g. us-east-1."
  }
}

variable "athena_first_day" {
  description = "The first day (yyyy-MM-dd) the day partitions enumerate: findings first observed before it are invisible to Athena. The range ends today (NOW)."
  type        = string
  default     = "2020-01-01"

  validation {
    condition     = can(regex("^[0-9]{4}-[0-9]{2}-[0-9]{2}$", var.athena_first_day)) && can(formatdate("YYYY", "${var.athena_first_day}T00:00:00Z"))
    error_message = "athena_first_day must be a date written yyyy-MM-dd, e.g. 2020-01-01."
  }
}

variable "athena_results_prefix" {
  description = "Key prefix of the workgroup's query results in the bucket (encrypted with the key); beside findings_prefix and history_prefix, never inside them."
  type        = string
  default     = "athena-results"

  validation {
    condition     = can(regex("^[a-zA-Z0-9!_.*'()-]+(/[a-zA-Z0-9!_.*'()-]+)*$", var.athena_results_prefix))
    error_message = "athena_results_prefix must be an S3 key prefix without leading or trailing slashes."
  }
}

variable "athena_results_expiration_days" {
  description = "Days after which query results expire in the created bucket (they are copies of findings); null keeps them."
  type        = number
  default     = 30

  validation {
    condition     = var.athena_results_expiration_days == null ? true : var.athena_results_expiration_days >= 1
    error_message = "athena_results_expiration_days must be null or at least 1."
  }
}

variable "athena_bytes_scanned_cutoff_per_query" {
  description = "The workgroup cancels a query that scans more than this many bytes (at least 10 MB, Athena's minimum); null: no limit. The documents are JSON, so a query reads every object of the partitions it selects: filter on day, account_id, region to scan less."
  type        = number
  default     = 10737418240

  validation {
    condition     = var.athena_bytes_scanned_cutoff_per_query == null ? true : var.athena_bytes_scanned_cutoff_per_query >= 10485760
    error_message = "athena_bytes_scanned_cutoff_per_query must be null or at least 10485760 (10 MB)."
  }
}

variable "athena_workgroup_force_destroy" {
  description = "Let terraform destroy the workgroup even when it holds named queries or query history made outside Terraform (for sandboxes and tests)."
  type        = bool
  default     = false
}

# ---------------------------------------------------------------------------------------
# OpenSearch (optional)
# ---------------------------------------------------------------------------------------

variable "create_opensearch_domain" {
  description = "Create an OpenSearch domain for the findings (encrypted with the key, node-to-node TLS, HTTPS only, fine-grained access control with opensearch_master_user_arn). Leave false to use an existing domain (opensearch_endpoint + opensearch_arn) or to index nothing."
  type        = bool
  default     = false
}

variable "opensearch_domain_name" {
  description = "Name of the created domain (3-28 characters: a-z, 0-9, hyphen, starting with a letter). Null: \"<name_prefix>-findings\", lowercased and cut to 28 characters."
  type        = string
  default     = null

  validation {
    condition     = var.opensearch_domain_name == null || can(regex("^[a-z][a-z0-9-]{2,27}$", var.opensearch_domain_name))
    error_message = "opensearch_domain_name must be 3-28 characters: a-z, 0-9 and hyphens, starting with a letter."
  }
}

variable "opensearch_engine_version" {
  description = "Engine version of the created domain (2.7 or newer for the index template's flat_object)."
  type        = string
  default     = "OpenSearch_2.13"

  validation {
    condition     = can(regex("^OpenSearch_[0-9]+\\.[0-9]+$", var.opensearch_engine_version))
    error_message = "opensearch_engine_version must look like OpenSearch_2.13."
  }
}

variable "opensearch_instance_type" {
  description = "Data node instance type of the created domain."
  type        = string
  default     = "t3.small.search"
}

variable "opensearch_instance_count" {
  description = "Data nodes of the created domain; with 2 or more they are spread over two availability zones (use an even count)."
  type        = number
  default     = 1

  validation {
    condition     = var.opensearch_instance_count >= 1
    error_message = "opensearch_instance_count must be at least 1."
  }
}

variable "opensearch_volume_size" {
  description = "EBS (gp3) volume size per data node of the created domain, in GiB."
  type        = number
  default     = 20
}

variable "opensearch_master_user_arn" {
  description = "IAM role or user that administers the created domain (fine-grained access control master user). Required with create_opensearch_domain; map the send-findings role (output send_findings_role_arn) to a role that may write the index, from the OpenSearch security plugin."
  type        = string
  default     = null

  validation {
    condition     = var.opensearch_master_user_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:(role|user)/.+$", var.opensearch_master_user_arn))
    error_message = "opensearch_master_user_arn must be an IAM role or user ARN."
  }
}

variable "opensearch_endpoint" {
  description = "An existing OpenSearch domain or Serverless collection endpoint (https://...) that send-findings indexes into (OPENSEARCH_ENDPOINT). Null: no indexing (unless create_opensearch_domain)."
  type        = string
  default     = null

  validation {
    condition     = var.opensearch_endpoint == null || can(regex("^https://[^/]+$", var.opensearch_endpoint))
    error_message = "opensearch_endpoint must be https://<host> without a path."
  }
}

variable "opensearch_arn" {
  description = "ARN of that domain (arn:...:es:...:domain/<name>) or collection (arn:...:aoss:...:collection/<id>): send-findings gets es:ESHttpPost/ESHttpPut on the domain's paths, or aoss:APIAccessAll on the collection. Required with opensearch_endpoint."
  type        = string
  default     = null

  validation {
    condition     = var.opensearch_arn == null || can(regex("^arn:aws[a-z-]*:(es:[a-z0-9-]+:[0-9]{12}:domain|aoss:[a-z0-9-]+:[0-9]{12}:collection)/[a-z0-9-]+$", var.opensearch_arn))
    error_message = "opensearch_arn must be an OpenSearch domain or Serverless collection ARN."
  }
}

variable "opensearch_index" {
  description = "Index name (OPENSEARCH_INDEX); null: the Lambda's default (inspector-findings)."
  type        = string
  default     = null
}

variable "opensearch_coverage_index" {
  description = "Index of the coverage documents (OPENSEARCH_COVERAGE_INDEX); null: the Lambda's default (inspector-coverage). Set only with an OpenSearch endpoint; must differ from the findings index."
  type        = string
  default     = null

  validation {
    condition     = var.opensearch_coverage_index == null || can(regex("^[a-z0-9][a-z0-9._+-]{0,254}$", var.opensearch_coverage_index))
    error_message = "opensearch_coverage_index must be a lowercase OpenSearch index name: a-z, 0-9, '.', '_', '+', '-', starting with a letter or digit, at most 255 characters."
  }
}

variable "opensearch_region" {
  description = "Region of the OpenSearch endpoint (OPENSEARCH_REGION); null: the Lambda's region."
  type        = string
  default     = null
}

# ---------------------------------------------------------------------------------------
# Notifications
# ---------------------------------------------------------------------------------------

variable "notifications_topic_arn" {
  description = "An existing topic for notify-findings to publish to; the module then adds the subscriptions below to it. When null, the module creates \"<name_prefix>-notifications\" (KMS)."
  type        = string
  default     = null

  validation {
    condition     = var.notifications_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[a-zA-Z0-9_-]{1,256}$", var.notifications_topic_arn))
    error_message = "notifications_topic_arn must be an SNS topic ARN."
  }
}

variable "create_notifications_topic" {
  description = "Whether to create the notifications topic. Null: create it when notifications_topic_arn is null. Set explicitly when notifications_topic_arn comes from a resource of the same configuration (known only after apply)."
  type        = bool
  default     = null
}

variable "notification_emails" {
  description = "Email subscribers of the notifications topic (readable text). min_severity (INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL) drops findings below it; filter_policy is an SNS filter policy (JSON, message attributes severity, severity_rank, account_id, region, engine, status) merged with it. Alarm messages, which carry no severity, always pass min_severity."
  type = list(object({
    endpoint      = string
    min_severity  = optional(string)
    filter_policy = optional(string)
  }))
  default = []

  validation {
    condition     = alltrue([for s in var.notification_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", s.endpoint))])
    error_message = "notification_emails endpoints must be email addresses."
  }

  validation {
    condition     = alltrue([for s in var.notification_emails : s.min_severity == null || contains(["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"], coalesce(s.min_severity, "x"))])
    error_message = "min_severity must be one of INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL."
  }

  validation {
    condition     = alltrue([for s in var.notification_emails : s.filter_policy == null || can(keys(jsondecode(coalesce(s.filter_policy, "{}"))))])
    error_message = "filter_policy must be a JSON object (an SNS filter policy)."
  }
}

variable "notification_http_endpoints" {
  description = "HTTP(S) subscribers of the notifications topic (full JSON), e.g. ticketing or a SIEM; min_severity and filter_policy as for notification_emails. The endpoint must confirm the subscription."
  type = list(object({
    endpoint      = string
    min_severity  = optional(string)
    filter_policy = optional(string)
  }))
  default = []

  validation {
    condition     = alltrue([for s in var.notification_http_endpoints : can(regex("^https?://[^\\s]+$", s.endpoint))])
    error_message = "notification_http_endpoints endpoints must be http:// or https:// URLs."
  }

  validation {
    condition     = alltrue([for s in var.notification_http_endpoints : s.min_severity == null || contains(["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"], coalesce(s.min_severity, "x"))])
    error_message = "min_severity must be one of INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL."
  }

  validation {
    condition     = alltrue([for s in var.notification_http_endpoints : s.filter_policy == null || can(keys(jsondecode(coalesce(s.filter_policy, "{}"))))])
    error_message = "filter_policy must be a JSON object (an SNS filter policy)."
  }
}

variable "allow_plain_http_notification_endpoints" {
  description = "Accept http:// (unencrypted) notification_http_endpoints. Off: every notification carries a whole finding; only for endpoints on a trusted network (the sandbox's local mailbox)."
  type        = bool
  default     = false
}

variable "notify_min_severity" {
  description = "Without notification_rules: findings below this severity are not published at all (NOTIFY_MIN_SEVERITY); with rules, put thresholds in the rules. Order: INFORMATIONAL, UNTRIAGED (Inspector v2: not rated yet), LOW, MEDIUM, HIGH, CRITICAL."
  type        = string
  default     = "MEDIUM"

  validation {
    condition     = contains(["INFORMATIONAL", "UNTRIAGED", "LOW", "MEDIUM", "HIGH", "CRITICAL"], var.notify_min_severity)
    error_message = "notify_min_severity must be one of INFORMATIONAL, UNTRIAGED, LOW, MEDIUM, HIGH, CRITICAL."
  }
}

variable "notify_min_priority" {
  description = "Without notification_rules: when set (P1 highest to P5), findings of a lower priority are not published either (NOTIFY_MIN_PRIORITY); the priority weighs severity, exploitation, exposure and fix (docs/finding-schema.md). null: the severity threshold alone."
  type        = string
  default     = null

  validation {
    condition     = var.notify_min_priority == null || contains(["P1", "P2", "P3", "P4", "P5"], coalesce(var.notify_min_priority, "x"))
    error_message = "notify_min_priority must be one of P1, P2, P3, P4, P5 (P1 is the highest), or null."
  }
}

variable "notification_destinations" {
  description = <<-EOT
    Where notification_rules send findings, by name (letters, digits, - and _). "notifications" is always defined: the notifications topic (email and HTTP(S) subscribers above).
    - type = "topic": an SNS topic (topic_arn); email subscribers get readable text, others the finding's JSON. notify-findings may publish to it; an encrypted topic's key must let its role use it.
    - type = "slack" or "teams": an incoming webhook (Slack app webhook; Teams Workflows "post to a channel when a webhook request is received"). Its URL is a credential: the module creates the secret "<name_prefix>/notify/<name>" (encrypted with the module's key) and you put the URL into it, so it is never in Terraform state: aws secretsmanager put-secret-value --secret-id <arn from the output notification_secret_arns> --secret-string https://hooks.slack.com/services/... Or give secret_arn of a secret of your own (its key must let notify-findings' role decrypt).
    - type = "jira": Jira Cloud tickets that open with a finding and close with it (jira: url of the site, email of the account whose API token the secret holds, project_key, issue_type, and the done_transition and reopen_transition of the project's workflow, by transition or target status name). The secret holds the API token, put as for webhooks.
  EOT
  type = map(object({
    type       = string
    topic_arn  = optional(string)
    secret_arn = optional(string)
    jira = optional(object({
      url               = string
      email             = string
      project_key       = string
      issue_type        = optional(string, "Bug")
      done_transition   = optional(string, "Done")
      reopen_transition = optional(string, "To Do")
    }))
  }))
  default = {}

  validation {
    condition     = alltrue([for name, d in var.notification_destinations : can(regex("^[A-Za-z0-9_-]{1,64}$", name)) && name != "notifications"])
    error_message = "notification_destinations names are 1-64 letters, digits, - or _, and \"notifications\" is taken (the notifications topic)."
  }

  validation {
    condition     = alltrue([for d in var.notification_destinations : contains(["topic", "slack", "teams", "jira"], d.type)])
    error_message = "notification_destinations type must be topic, slack, teams or jira."
  }

  validation {
    condition = alltrue([for d in var.notification_destinations : (d.type == "jira") == (d.jira != null) && (d.jira == null ? true : (
      can(regex("^https?://[^/\\s]+", d.jira.url)) && can(regex("^[^@\\s]+@[^@\\s]+$", d.jira.email)) && can(regex("^[A-Z][A-Z0-9_]{1,9}$", d.jira.project_key))
    ))])
    error_message = "A destination of type jira needs jira { url (the site, https://<site>.atlassian.net), email (the token's account), project_key (2-10 upper-case letters, digits, _) }; the other types take none."
  }

  validation {
    condition     = alltrue([for d in var.notification_destinations : (d.type == "topic") == (d.topic_arn != null) && can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[a-zA-Z0-9_-]{1,256}$", coalesce(d.topic_arn, "arn:aws:sns:r-1:000000000000:x")))])
    error_message = "A destination of type topic needs topic_arn (an SNS topic ARN); the other types take none."
  }

  validation {
    condition     = alltrue([for d in var.notification_destinations : d.secret_arn == null || (d.type != "topic" && can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", coalesce(d.secret_arn, "x"))))])
    error_message = "secret_arn is for slack, teams and jira destinations, and must be a Secrets Manager secret ARN."
  }
}

variable "notification_rules" {
  description = <<-EOT
    Who hears about which findings. notify-findings evaluates every rule in the order given; a finding goes to the destinations of every rule it matches, once each. All conditions of a rule must hold; a condition left out (null) holds for every finding:
    - min_severity / severities: INFORMATIONAL, UNTRIAGED, LOW, MEDIUM, HIGH, CRITICAL;
    - min_priority / priorities: P1 (highest) to P5 (docs/finding-schema.md, "Priority"); min_priority = "P2" matches P1 and P2;
    - min_epss (0-1): EPSS at least this; kev: in CISA's KEV catalogue (true) or not (false); exploit_available: an exploit exists or was observed; fix_available: a fix exists for some or all packages;
    - accounts: 12-digit account ids; resource_types: AWS_EC2_INSTANCE, AWS_ECR_CONTAINER_IMAGE, AWS_LAMBDA_FUNCTION, CODE_REPOSITORY; resource_tags: tag key => accepted values (e.g. { team = ["payments"] }), every key must match;
    - otherwise = true: match only findings that no earlier rule matched ("everything else").
    jira_ticket_per: for the rule's Jira destinations, "finding" (default) or "vulnerability" (one ticket per CVE, done when every resource is fixed).
    digest_schedule (an EventBridge schedule expression, e.g. "cron(0 8 * * ? *)"): instead of a message per finding, one message per CVE (or Windows KB, or title for findings without one) on that schedule, with how many resources, accounts and regions it affects in their newest state.
    destinations names notification_destinations ("notifications" is the notifications topic). Empty (the default): one rule, notify_min_severity and notify_min_priority to "notifications".
  EOT
  type = list(object({
    name              = string
    destinations      = list(string)
    min_severity      = optional(string)
    severities        = optional(list(string))
    min_priority      = optional(string)
    priorities        = optional(list(string))
    min_epss          = optional(number)
    kev               = optional(bool)
    exploit_available = optional(bool)
    fix_available     = optional(bool)
    accounts          = optional(list(string))
    resource_types    = optional(list(string))
    resource_tags     = optional(map(list(string)))
    otherwise         = optional(bool, false)
    digest_schedule   = optional(string)
    jira_ticket_per   = optional(string)
  }))
  default = []

  validation {
    condition     = alltrue([for r in var.notification_rules : r.jira_ticket_per == null || contains(["finding", "vulnerability"], coalesce(r.jira_ticket_per, "x"))])
    error_message = "jira_ticket_per is finding (a ticket per finding, the default) or vulnerability (a ticket per CVE across resources)."
  }

  validation {
    condition     = alltrue([for r in var.notification_rules : r.digest_schedule == null || can(regex("^(cron\\([^)]+\\)|rate\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\))$", coalesce(r.digest_schedule, "x")))])
    error_message = "digest_schedule must be an EventBridge schedule expression, e.g. cron(0 8 * * ? *) (08:00 UTC daily) or rate(1 day)."
  }

  validation {
    condition     = length(distinct([for r in var.notification_rules : r.name])) == length(var.notification_rules) && alltrue([for r in var.notification_rules : can(regex("^[A-Za-z0-9_-]{1,64}$", r.name))])
    error_message = "notification_rules names must be unique, 1-64 letters, digits, - or _."
  }

  # That each names a destination is checked beside the function (main.tf): a validation
  # may refer to another variable only from Terraform 1.9.
  validation {
    condition     = alltrue([for r in var.notification_rules : length(r.destinations) > 0])
    error_message = "Every rule needs destinations: \"notifications\" or names of notification_destinations."
  }

  validation {
    condition = alltrue([for r in var.notification_rules : alltrue([
      for s in concat(r.min_severity == null ? [] : [r.min_severity], coalesce(r.severities, [])) :
      contains(["INFORMATIONAL", "UNTRIAGED", "LOW", "MEDIUM", "HIGH", "CRITICAL"], s)
    ])])
    error_message = "min_severity and severities take INFORMATIONAL, UNTRIAGED, LOW, MEDIUM, HIGH, CRITICAL."
  }

  validation {
    condition = alltrue([for r in var.notification_rules : alltrue([
      for p in concat(r.min_priority == null ? [] : [r.min_priority], coalesce(r.priorities, [])) : contains(["P1", "P2", "P3", "P4", "P5"], p)
    ])])
    error_message = "min_priority and priorities take P1, P2, P3, P4, P5 (P1 is the highest)."
  }

  validation {
    condition     = alltrue([for r in var.notification_rules : r.min_epss == null || (coalesce(r.min_epss, 0) >= 0 && coalesce(r.min_epss, 0) <= 1)])
    error_message = "min_epss is a probability: from 0 to 1 (0.1 is a 10% chance of exploitation in the next 30 days)."
  }

  validation {
    condition     = alltrue([for r in var.notification_rules : alltrue([for a in coalesce(r.accounts, []) : can(regex("^[0-9]{12}$", a))])])
    error_message = "accounts are 12-digit AWS account ids."
  }

  validation {
    condition     = alltrue([for r in var.notification_rules : alltrue([for t in coalesce(r.resource_types, []) : contains(["AWS_EC2_INSTANCE", "AWS_ECR_CONTAINER_IMAGE", "AWS_LAMBDA_FUNCTION", "CODE_REPOSITORY"], t)])])
    error_message = "resource_types take AWS_EC2_INSTANCE, AWS_ECR_CONTAINER_IMAGE, AWS_LAMBDA_FUNCTION, CODE_REPOSITORY."
  }

  validation {
    condition     = alltrue([for r in var.notification_rules : alltrue([for values in values(coalesce(r.resource_tags, {})) : length(values) > 0])])
    error_message = "Each key of resource_tags needs at least one accepted value."
  }
}

variable "notification_report_url" {
  description = "The https:// address of your findings report (e.g. where the scheduled report is published), linked from Slack and Teams messages beside the console. null: no report link."
  type        = string
  default     = null

  validation {
    condition     = var.notification_report_url == null || startswith(coalesce(var.notification_report_url, "x"), "https://")
    error_message = "notification_report_url must be an https:// address."
  }
}

variable "notification_secret_recovery_window_in_days" {
  description = "Days Secrets Manager keeps a destination's deleted secret recoverable (0: delete at once, 7-30)."
  type        = number
  default     = 30

  validation {
    condition     = var.notification_secret_recovery_window_in_days == 0 || (var.notification_secret_recovery_window_in_days >= 7 && var.notification_secret_recovery_window_in_days <= 30)
    error_message = "notification_secret_recovery_window_in_days must be 0 or from 7 to 30."
  }
}

variable "dedupe_ttl_days" {
  description = "Days notify-findings remembers a sent notification (DEDUPE_TTL_DAYS), so redeliveries are not notified twice."
  type        = number
  default     = 30

  validation {
    condition     = var.dedupe_ttl_days >= 1 && var.dedupe_ttl_days <= 365
    error_message = "dedupe_ttl_days must be from 1 to 365."
  }
}

# ---------------------------------------------------------------------------------------
# Lambdas
# ---------------------------------------------------------------------------------------

variable "send_findings_zip" {
  description = "Path of the send-findings deployment zip. Null: dist/lambda/send-findings.zip of this repository (`make zips`)."
  type        = string
  default     = null
}

variable "notify_findings_zip" {
  description = "Path of the notify-findings deployment zip. Null: dist/lambda/notify-findings.zip of this repository (`make zips`)."
  type        = string
  default     = null
}

variable "lambda_timeout" {
  description = "Timeout of both Lambdas in seconds. The queues' visibility timeout is six times this, as AWS recommends for SQS event sources."
  type        = number
  default     = 60

  validation {
    condition     = var.lambda_timeout >= 1 && var.lambda_timeout <= 900
    error_message = "lambda_timeout must be from 1 to 900 seconds."
  }
}

variable "lambda_memory_size" {
  description = "Memory of both Lambdas in MB."
  type        = number
  default     = 256

  validation {
    condition     = var.lambda_memory_size >= 128 && var.lambda_memory_size <= 10240
    error_message = "lambda_memory_size must be from 128 to 10240 MB."
  }
}

variable "send_findings_reserved_concurrency" {
  description = "Reserved concurrency of send-findings: caps the describe calls into member accounts and the writes to OpenSearch. Also the maximum concurrency of its event source mapping, so batches are never throttled."
  type        = number
  default     = 10

  validation {
    condition     = var.send_findings_reserved_concurrency >= 2 && var.send_findings_reserved_concurrency <= 1000
    error_message = "send_findings_reserved_concurrency must be from 2 to 1000: it is also the event source mapping's maximum concurrency, which SQS allows from 2 to 1000."
  }
}

variable "notify_findings_reserved_concurrency" {
  description = "Reserved concurrency of notify-findings; also the maximum concurrency of its event source mapping."
  type        = number
  default     = 5

  validation {
    condition     = var.notify_findings_reserved_concurrency >= 2 && var.notify_findings_reserved_concurrency <= 1000
    error_message = "notify_findings_reserved_concurrency must be from 2 to 1000: it is also the event source mapping's maximum concurrency, which SQS allows from 2 to 1000."
  }
}

variable "batch_size" {
  description = "Records per invocation for both event source mappings (1-10000; above 10 needs a batching window)."
  type        = number
  default     = 10

  validation {
    condition     = var.batch_size >= 1 && var.batch_size <= 10000
    error_message = "batch_size must be from 1 to 10000."
  }
}

variable "maximum_batching_window_in_seconds" {
  description = "How long the event source mappings gather records before invoking (0-300 s)."
  type        = number
  default     = 5

  validation {
    condition     = var.maximum_batching_window_in_seconds >= 0 && var.maximum_batching_window_in_seconds <= 300
    error_message = "maximum_batching_window_in_seconds must be from 0 to 300."
  }
}

variable "event_source_mappings_enabled" {
  description = "Whether the queues trigger the Lambdas. False pauses processing (messages wait in the queues), e.g. during an incident."
  type        = bool
  default     = true
}

variable "log_retention_in_days" {
  description = "Retention of the Lambdas' log groups (a value CloudWatch Logs accepts)."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."
  }
}

# ---------------------------------------------------------------------------------------
# Security Hub
# ---------------------------------------------------------------------------------------

variable "enable_security_hub" {
  description = "Enable Security Hub in this account and region and subscribe it to Amazon Inspector's findings. Leave false when the landing zone manages Security Hub."
  type        = bool
  default     = false
}

# --- The OCSF copy (docs/ocsf.md) ---------------------------------------------------------

variable "ocsf_output" {
  description = "The OCSF copy of the findings (docs/ocsf.md): every stored finding also as an OCSF 1.1.0 Vulnerability Finding in Parquet, under <prefix>/region=/accountId=/eventDay=/. bucket null: the module's findings bucket (then the Glue database gets an ocsf table). kms_key_arn: the objects' SSE-KMS key (null: the module's key in its own bucket, the bucket's default encryption elsewhere). role_arn and external_id: a role send-findings assumes to write. Null (the default): no OCSF copy. For Amazon Security Lake, set security_lake_custom_source instead."
  type = object({
    bucket      = optional(string)
    prefix      = optional(string, "ocsf")
    kms_key_arn = optional(string)
    role_arn    = optional(string)
    external_id = optional(string)
  })
  default = null

  validation {
    condition     = var.ocsf_output == null || can(regex("^[a-zA-Z0-9!_.*'()-]+(/[a-zA-Z0-9!_.*'()-]+)*$", var.ocsf_output.prefix))
    error_message = "ocsf_output.prefix must be one or more path segments without leading or trailing slashes, e.g. ocsf."
  }
  validation {
    condition     = try(var.ocsf_output.bucket == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.ocsf_output.bucket)), true)
    error_message = "ocsf_output.bucket must be an S3 bucket name (or null for the module's findings bucket)."
  }
  validation {
    condition     = try(var.ocsf_output.kms_key_arn == null || (startswith(var.ocsf_output.kms_key_arn, "arn:") && strcontains(var.ocsf_output.kms_key_arn, ":kms:")), true)
    error_message = "ocsf_output.kms_key_arn must be a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID), or null."
  }
  validation {
    condition     = try(var.ocsf_output.role_arn == null || can(regex("^arn:[a-z-]+:iam::[0-9]{12}:role/.+$", var.ocsf_output.role_arn)), true)
    error_message = "ocsf_output.role_arn must be an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME), or null."
  }
  validation {
    condition     = try(var.ocsf_output.external_id == null || var.ocsf_output.role_arn != null, true)
    error_message = "ocsf_output.external_id is for assuming ocsf_output.role_arn: set both or neither."
  }
}

variable "security_lake_custom_source" {
  description = "Write the OCSF copy into Amazon Security Lake as a custom source (docs/ocsf.md): the module creates the aws_securitylake_custom_log_source (event class VULNERABILITY_FINDING, this account as its provider, external_id) and, unless crawler_role_arn is given, the role Security Lake's Glue crawler runs as; send-findings writes into the source's location as the source's provider role. Security Lake must already be enabled in this region (aws_securitylake_data_lake, yours). source_name: at most 20 characters (AWS names the provider role after it). Null (the default): no custom source. Not together with ocsf_output."
  type = object({
    source_name      = string
    source_version   = optional(string)
    external_id      = string
    crawler_role_arn = optional(string)
  })
  default = null

  validation {
    condition     = var.security_lake_custom_source == null || can(regex("^[a-zA-Z0-9_-]{1,20}$", var.security_lake_custom_source.source_name))
    error_message = "security_lake_custom_source.source_name must be 1 to 20 letters, digits, hyphens or underscores (Security Lake names the provider role AmazonSecurityLake-Provider-<name>-<region>, which must fit in 64 characters)."
  }
  validation {
    condition     = try(length(var.security_lake_custom_source.external_id) >= 2, true)
    error_message = "security_lake_custom_source.external_id must be at least 2 characters: Security Lake's provider role requires it when send-findings assumes the role."
  }
  validation {
    condition     = try(var.security_lake_custom_source.crawler_role_arn == null || can(regex("^arn:[a-z-]+:iam::[0-9]{12}:role/.+$", var.security_lake_custom_source.crawler_role_arn)), true)
    error_message = "security_lake_custom_source.crawler_role_arn must be an IAM role ARN, or null for the module to create the crawler's role."
  }
}
