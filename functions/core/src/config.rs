//! Configuration from environment variables, read once at start-up. Every error names the
//! variable and says what it should hold.

use inspector_facts::{InspectorEvent, TopicArn};

use crate::finding::Severity;
use crate::notify::rules::RoutingRules;
pub use crate::ocsf::OcsfConfig;
use crate::PriorityLabel;

// The environment reader and its error belong to how a Lambda starts.
pub use inspectorlink_lambda_start::{ConfigError, Env};

/// Where the OpenSearch sink sends documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenSearchConfig {
    /// `https://search-domain-....region.es.amazonaws.com` (or a collection endpoint), no trailing slash.
    pub endpoint: String,
    pub index: String,
    /// The index of coverage documents (`OPENSEARCH_COVERAGE_INDEX`, default
    /// `inspector-coverage`).
    pub coverage_index: String,
    /// The SigV4 signing name: `es` for domains, `aoss` for OpenSearch Serverless.
    pub service: String,
    pub region: String,
}

/// Configuration of send-findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendFindingsConfig {
    pub bucket: String,
    pub prefix: String,
    /// Where a v2 finding's status changes are kept, one object each (s3.rs).
    pub history_prefix: String,
    /// Where coverage documents are kept, one object per resource and scan type.
    pub coverage_prefix: String,
    pub kms_key_arn: Option<String>,
    /// The role assumed in each member account to describe Inspector Classic findings and
    /// instances; None where the members have none (an Inspector v2 estate).
    pub member_role_name: Option<String>,
    pub member_role_external_id: Option<String>,
    pub opensearch: Option<OpenSearchConfig>,
    /// The OCSF Parquet copy (OCSF_BUCKET and the rest); None when OCSF_BUCKET is unset.
    pub ocsf: Option<OcsfConfig>,
    /// DEAD_LETTER_QUEUE_URL and MAX_RECEIVE_COUNT: where a record failing its last receive
    /// goes with the reason (dead_letter.rs).
    pub dead_letter_queue: Option<(String, u32)>,
}

impl SendFindingsConfig {
    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        let bucket = env.required(
            "FINDINGS_BUCKET",
            "the name of the S3 bucket findings are written to",
        )?;
        let member_role_name = member_role_name(env)?;
        let kms_key_arn = env.optional("FINDINGS_KMS_KEY_ARN");
        if let Some(key) = &kms_key_arn {
            if !key.starts_with("arn:") || !key.contains(":kms:") {
                return Err(ConfigError {
                    variable: "FINDINGS_KMS_KEY_ARN",
                    problem: format!("is {key:?}: give a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID) or leave it unset"),
                });
            }
        }
        let prefix = env
            .optional("FINDINGS_PREFIX")
            .unwrap_or_else(|| "findings".to_owned());
        let history_prefix = env
            .optional("HISTORY_PREFIX")
            .unwrap_or_else(|| "history".to_owned());
        let coverage_prefix = env
            .optional("COVERAGE_PREFIX")
            .unwrap_or_else(|| "coverage".to_owned());
        if prefixes_overlap(&history_prefix, &prefix) {
            return Err(ConfigError {
                variable: "HISTORY_PREFIX",
                problem: format!("is {history_prefix:?}, which overlaps FINDINGS_PREFIX {prefix:?}: readers of the findings would take history entries for findings; give a prefix beside it, e.g. \"history\""),
            });
        }
        for (name, other) in [
            ("FINDINGS_PREFIX", &prefix),
            ("HISTORY_PREFIX", &history_prefix),
        ] {
            if prefixes_overlap(&coverage_prefix, other) {
                return Err(ConfigError {
                    variable: "COVERAGE_PREFIX",
                    problem: format!("is {coverage_prefix:?}, which overlaps {name} {other:?}: the coverage sweep deletes objects under it that Inspector no longer lists; give a prefix beside it, e.g. \"coverage\""),
                });
            }
        }
        let ocsf = ocsf_from_env(env, &bucket, &[&prefix, &history_prefix, &coverage_prefix])?;
        Ok(SendFindingsConfig {
            ocsf,
            bucket,
            prefix,
            history_prefix,
            coverage_prefix,
            kms_key_arn,
            member_role_name,
            member_role_external_id: env.optional(MEMBER_ROLE_EXTERNAL_ID),
            opensearch: opensearch_from_env(env)?,
            dead_letter_queue: dead_letter_queue(env)?,
        })
    }
}

const MEMBER_ROLE_EXTERNAL_ID: &str = "MEMBER_ROLE_EXTERNAL_ID";

/// Whether two key prefixes of one bucket share objects: equal, or one inside the other
/// (slashes at either end ignored).
fn prefixes_overlap(a: &str, b: &str) -> bool {
    let inside = |inner: &str, outer: &str| {
        inner.trim_matches('/') == outer.trim_matches('/')
            || inner.starts_with(&format!("{}/", outer.trim_matches('/')))
    };
    inside(a, b) || inside(b, a)
}

/// OCSF_BUCKET (unset: no OCSF copy), OCSF_PREFIX (default `ocsf`), OCSF_KMS_KEY_ARN,
/// OCSF_ROLE_ARN and OCSF_EXTERNAL_ID. In the findings bucket, the prefix must stay clear
/// of the store's own prefixes (`store_prefixes`).
fn ocsf_from_env<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
    findings_bucket: &str,
    store_prefixes: &[&str],
) -> Result<Option<OcsfConfig>, ConfigError> {
    let Some(bucket) = env.optional("OCSF_BUCKET") else {
        for variable in [
            "OCSF_PREFIX",
            "OCSF_KMS_KEY_ARN",
            "OCSF_ROLE_ARN",
            "OCSF_EXTERNAL_ID",
        ] {
            if env.optional(variable).is_some() {
                return Err(ConfigError {
                    variable: "OCSF_BUCKET",
                    problem: format!("is unset while {variable} is set: give the bucket the OCSF Parquet objects go to, or unset {variable}"),
                });
            }
        }
        return Ok(None);
    };
    let prefix = env
        .optional("OCSF_PREFIX")
        .unwrap_or_else(|| "ocsf".to_owned());
    if prefix.starts_with('/') || prefix.ends_with('/') || prefix.contains("//") {
        return Err(ConfigError {
            variable: "OCSF_PREFIX",
            problem: format!("is {prefix:?}: give a key prefix without leading, trailing or double slashes, e.g. \"ocsf\" or \"ext/inspectorlink/1.0\""),
        });
    }
    if bucket == findings_bucket {
        if let Some(other) = store_prefixes
            .iter()
            .map(|p| p.trim_matches('/'))
            .find(|other| prefixes_overlap(&prefix, other))
        {
            return Err(ConfigError {
                variable: "OCSF_PREFIX",
                problem: format!("is {prefix:?}, which overlaps the store's prefix {other:?} in the findings bucket: readers of the store would take Parquet objects for documents; give a prefix beside it, e.g. \"ocsf\""),
            });
        }
    }
    let kms_key_arn = env.optional("OCSF_KMS_KEY_ARN");
    if let Some(key) = &kms_key_arn {
        if !key.starts_with("arn:") || !key.contains(":kms:") {
            return Err(ConfigError {
                variable: "OCSF_KMS_KEY_ARN",
                problem: format!("is {key:?}: give a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID) or leave it unset"),
            });
        }
    }
    let role_arn = env.optional("OCSF_ROLE_ARN");
    if let Some(role) = &role_arn {
        if !role.starts_with("arn:") || !role.contains(":role/") {
            return Err(ConfigError {
                variable: "OCSF_ROLE_ARN",
                problem: format!("is {role:?}: give the ARN of the role to write as (a Security Lake custom source's provider role, arn:aws:iam::ACCOUNT:role/NAME) or leave it unset"),
            });
        }
    }
    let external_id = env.optional("OCSF_EXTERNAL_ID");
    if external_id.is_some() && role_arn.is_none() {
        return Err(ConfigError {
            variable: "OCSF_EXTERNAL_ID",
            problem: "is set without OCSF_ROLE_ARN: the external id is for assuming that role; set both or neither".to_owned(),
        });
    }
    Ok(Some(OcsfConfig {
        bucket,
        prefix,
        kms_key_arn,
        role_arn,
        external_id,
    }))
}

/// MEMBER_ROLE_NAME: the read-only role's name (the same in every member account); unset
/// where the members have none (Inspector v2 needs none).
fn member_role_name<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
) -> Result<Option<String>, ConfigError> {
    let Some(name) = env.optional("MEMBER_ROLE_NAME") else {
        return Ok(None);
    };
    if name.contains(':') || name.contains('/') {
        return Err(ConfigError {
            variable: "MEMBER_ROLE_NAME",
            problem: format!("is {name:?}: give the role's name, not its ARN or path"),
        });
    }
    Ok(Some(name))
}

/// DEAD_LETTER_QUEUE_URL and MAX_RECEIVE_COUNT, both or neither: where a record failing its
/// last receive goes with the reason (dead_letter.rs).
fn dead_letter_queue<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
) -> Result<Option<(String, u32)>, ConfigError> {
    Ok(match (
        env.optional("DEAD_LETTER_QUEUE_URL"),
        env.optional("MAX_RECEIVE_COUNT"),
    ) {
        (None, None) => None,
        (Some(url), Some(count)) => Some((
            url,
            count
                .parse::<u32>()
                .ok()
                .filter(|count| (1..=1000).contains(count))
                .ok_or_else(|| ConfigError {
                    variable: "MAX_RECEIVE_COUNT",
                    problem: format!("is {count:?}: give the queue's maxReceiveCount (1-1000)"),
                })?,
        )),
        (Some(_), None) => {
            return Err(ConfigError {
                variable: "MAX_RECEIVE_COUNT",
                problem: "is not set but DEAD_LETTER_QUEUE_URL is: set it to the queue's maxReceiveCount".to_owned(),
            })
        }
        (None, Some(_)) => {
            return Err(ConfigError {
                variable: "DEAD_LETTER_QUEUE_URL",
                problem: "is not set but MAX_RECEIVE_COUNT is: set it to the URL of the queue's dead-letter queue".to_owned(),
            })
        }
    })
}

/// Configuration of notify-findings.
#[derive(Debug, Clone, PartialEq)]
pub struct NotifyConfig {
    pub topic_arn: TopicArn,
    /// Findings below this severity are not announced.
    pub min_severity: Severity,
    /// When set, findings of a lower priority (a higher label: P3 is below P2) are not
    /// announced either.
    pub min_priority: Option<PriorityLabel>,
    /// DynamoDB table of notifications sent (partition key `pk`, TTL attribute `expires_at`).
    pub dedupe_table: String,
    /// How long a sent notification is remembered, so redelivery stays silent.
    pub dedupe_ttl_days: u32,
    /// The member role, for the account alias in emails (and Classic findings); None
    /// where the members have none.
    pub member_role_name: Option<String>,
    pub member_role_external_id: Option<String>,
    /// NOTIFY_RULES, or without it one rule: min_severity (and min_priority) to the topic.
    pub rules: RoutingRules,
    /// NOTIFY_REPORT_URL: the estate's report, linked from chat messages.
    pub report_url: Option<String>,
    /// NOTIFY_ALLOW_PLAIN_HTTP_WEBHOOKS=true: accept http:// webhook URLs (trusted networks).
    pub allow_plain_http_webhooks: bool,
    /// DIGEST_TABLE: where digest rules collect findings (partition key `rule`, sort key
    /// `entry`); needed when a rule has a digest_schedule.
    pub digest_table: Option<String>,
    /// DEAD_LETTER_QUEUE_URL and MAX_RECEIVE_COUNT: where a record failing its last receive
    /// goes with the reason (dead_letter.rs).
    pub dead_letter_queue: Option<(String, u32)>,
}

impl NotifyConfig {
    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        let topic = env.required(
            "NOTIFICATIONS_TOPIC_ARN",
            "the ARN of the SNS topic people and tools subscribe to",
        )?;
        let topic_arn = topic.parse::<TopicArn>().map_err(|e| ConfigError {
            variable: "NOTIFICATIONS_TOPIC_ARN",
            problem: format!(
                "is {topic:?}: {e}; give the topic's ARN (arn:aws:sns:REGION:ACCOUNT:NAME)"
            ),
        })?;
        let min_severity = match env.optional("NOTIFY_MIN_SEVERITY") {
            None => Severity::Medium,
            Some(value) => parse_severity(&value).ok_or_else(|| ConfigError {
                variable: "NOTIFY_MIN_SEVERITY",
                problem: format!(
                    "is {value:?}: use one of INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL"
                ),
            })?,
        };
        let min_priority = match env.optional("NOTIFY_MIN_PRIORITY") {
            None => None,
            Some(value) => Some(parse_priority(&value).ok_or_else(|| ConfigError {
                variable: "NOTIFY_MIN_PRIORITY",
                problem: format!(
                    "is {value:?}: use one of P1, P2, P3, P4, P5 (P1 is the highest), or leave it unset"
                ),
            })?),
        };
        let dedupe_table = env.required(
            "DEDUPE_TABLE",
            "the name of the DynamoDB table that remembers notifications sent",
        )?;
        let dedupe_ttl_days = match env.optional("DEDUPE_TTL_DAYS") {
            None => 30,
            Some(value) => value
                .parse::<u32>()
                .ok()
                .filter(|days| (1..=3650).contains(days))
                .ok_or_else(|| ConfigError {
                    variable: "DEDUPE_TTL_DAYS",
                    problem: format!("is {value:?}: give a whole number of days from 1 to 3650"),
                })?,
        };
        let rules = match env.optional("NOTIFY_RULES") {
            None => RoutingRules::threshold(&topic, min_severity, min_priority),
            Some(document) => {
                for threshold in ["NOTIFY_MIN_SEVERITY", "NOTIFY_MIN_PRIORITY"] {
                    if env.optional(threshold).is_some() {
                        return Err(ConfigError {
                            variable: "NOTIFY_RULES",
                            problem: format!("is set and so is {threshold}: rules say what is announced; put the threshold in a rule (min_severity, min_priority) and unset {threshold}"),
                        });
                    }
                }
                RoutingRules::parse(&document, &topic).map_err(|problem| ConfigError {
                    variable: "NOTIFY_RULES",
                    problem,
                })?
            }
        };
        let report_url = env.optional("NOTIFY_REPORT_URL");
        if let Some(url) = &report_url {
            if !url.starts_with("https://") {
                return Err(ConfigError {
                    variable: "NOTIFY_REPORT_URL",
                    problem: format!("is {url:?}: give the report's https:// address"),
                });
            }
        }
        let allow_plain_http_webhooks =
            match env.optional("NOTIFY_ALLOW_PLAIN_HTTP_WEBHOOKS").as_deref() {
                None | Some("false") => false,
                Some("true") => true,
                Some(other) => {
                    return Err(ConfigError {
                        variable: "NOTIFY_ALLOW_PLAIN_HTTP_WEBHOOKS",
                        problem: format!("is {other:?}: use true or false"),
                    })
                }
            };
        let digest_table = env.optional("DIGEST_TABLE");
        if digest_table.is_none() {
            if let Some(rule) = rules.rules.iter().find(|r| r.digest_schedule.is_some()) {
                return Err(ConfigError {
                    variable: "DIGEST_TABLE",
                    problem: format!("is not set, and rule {:?} has a digest: set it to the DynamoDB table that keeps digest entries", rule.name),
                });
            }
        }
        let dead_letter_queue = dead_letter_queue(env)?;
        Ok(NotifyConfig {
            topic_arn,
            min_severity,
            min_priority,
            rules,
            digest_table,
            dead_letter_queue,
            report_url,
            allow_plain_http_webhooks,
            dedupe_table,
            dedupe_ttl_days,
            member_role_name: member_role_name(env)?,
            member_role_external_id: env.optional(MEMBER_ROLE_EXTERNAL_ID),
        })
    }
}

/// A severity as written in configuration (case-insensitive).
pub fn parse_severity(value: &str) -> Option<Severity> {
    [
        Severity::Informational,
        Severity::Untriaged,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ]
    .into_iter()
    .find(|severity| severity.as_str().eq_ignore_ascii_case(value))
}

pub fn parse_priority(value: &str) -> Option<PriorityLabel> {
    PriorityLabel::THRESHOLDS
        .into_iter()
        .map(|(label, _)| label)
        .find(|label| label.as_str().eq_ignore_ascii_case(value))
}

/// Configuration of attach-template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachConfig {
    /// The security account that owns the central topics.
    pub topic_account_id: String,
    /// The central topic's name, the same in every region.
    pub topic_name: String,
    /// The regions that have a central topic.
    pub topic_regions: Vec<String>,
    /// Attach only templates carrying this tag (and value, when given).
    pub tag_filter: Option<(String, Option<String>)>,
    pub events: Vec<InspectorEvent>,
    /// When set, the template's account is reached through this role (a central
    /// deployment); otherwise the function acts with its own role in its own account.
    pub member_role_name: Option<String>,
    pub member_role_external_id: Option<String>,
}

impl AttachConfig {
    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        let topic_account_id = env.required(
            "CENTRAL_TOPIC_ACCOUNT_ID",
            "the 12-digit id of the security account that owns the central topics",
        )?;
        if topic_account_id.len() != 12 || !topic_account_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ConfigError {
                variable: "CENTRAL_TOPIC_ACCOUNT_ID",
                problem: format!("is {topic_account_id:?}: give a 12-digit AWS account id"),
            });
        }
        let topic_name = env.required(
            "CENTRAL_TOPIC_NAME",
            "the name of the central findings topic (the same in every region)",
        )?;
        if topic_name.starts_with("arn:") || topic_name.contains(':') {
            return Err(ConfigError {
                variable: "CENTRAL_TOPIC_NAME",
                problem: format!("is {topic_name:?}: give the topic's name, not its ARN"),
            });
        }
        let regions = env.required(
            "CENTRAL_TOPIC_REGIONS",
            "the comma-separated regions that have a central topic (e.g. us-east-1,us-west-2)",
        )?;
        let topic_regions: Vec<String> = list(&regions);
        if let Some(bad) = topic_regions
            .iter()
            .find(|region| inspector_facts::classic_region(region).is_none())
        {
            return Err(ConfigError {
                variable: "CENTRAL_TOPIC_REGIONS",
                problem: format!(
                    "lists {bad:?}, which is not an Inspector Classic region; list only regions where Inspector Classic runs"
                ),
            });
        }
        let tag_filter =
            match (
                env.optional("TEMPLATE_TAG_KEY"),
                env.optional("TEMPLATE_TAG_VALUE"),
            ) {
                (Some(key), value) => Some((key, value)),
                (None, Some(_)) => return Err(ConfigError {
                    variable: "TEMPLATE_TAG_KEY",
                    problem:
                        "is not set but TEMPLATE_TAG_VALUE is: set the tag key too, or unset both"
                            .to_owned(),
                }),
                (None, None) => None,
            };
        let events = match env.optional("SUBSCRIBE_EVENTS") {
            None => vec![InspectorEvent::FindingReported],
            Some(value) => list(&value)
                .iter()
                .map(|event| event.parse::<InspectorEvent>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ConfigError {
                    variable: "SUBSCRIBE_EVENTS",
                    problem: format!("is {value:?}: {e}"),
                })?,
        };
        let member_role_name = member_role_name(env)?;
        Ok(AttachConfig {
            topic_account_id,
            topic_name,
            topic_regions,
            tag_filter,
            events,
            member_role_name,
            member_role_external_id: env.optional(MEMBER_ROLE_EXTERNAL_ID),
        })
    }
}

fn list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

fn opensearch_from_env<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
) -> Result<Option<OpenSearchConfig>, ConfigError> {
    let Some(endpoint) = env.optional("OPENSEARCH_ENDPOINT") else {
        return Ok(None);
    };
    let endpoint = endpoint.trim_end_matches('/').to_owned();
    if !(endpoint.starts_with("https://") || is_plain_http_to_this_machine(&endpoint)) {
        return Err(ConfigError {
            variable: "OPENSEARCH_ENDPOINT",
            problem: format!(
                "is {endpoint:?}: give the https:// endpoint of the domain or collection"
            ),
        });
    }
    let service = env
        .optional("OPENSEARCH_SERVICE")
        .unwrap_or_else(|| "es".to_owned());
    if service != "es" && service != "aoss" {
        return Err(ConfigError {
            variable: "OPENSEARCH_SERVICE",
            problem: format!(
                "is {service:?}: use es for an OpenSearch domain or aoss for OpenSearch Serverless"
            ),
        });
    }
    let region = env
        .optional("OPENSEARCH_REGION")
        .or_else(|| env.optional("AWS_REGION"))
        .ok_or_else(|| ConfigError {
            variable: "OPENSEARCH_REGION",
            problem: "is not set and neither is AWS_REGION: set it to the region of the OpenSearch endpoint".to_owned(),
        })?;
    Ok(Some(OpenSearchConfig {
        endpoint,
        index: env
            .optional("OPENSEARCH_INDEX")
            .unwrap_or_else(|| "inspector-findings".to_owned()),
        coverage_index: env
            .optional("OPENSEARCH_COVERAGE_INDEX")
            .unwrap_or_else(|| "inspector-coverage".to_owned()),
        service,
        region,
    }))
}

/// Plain HTTP is accepted only to this machine's loopback (a local test endpoint): the host
/// itself is compared, so `http://localhost.example.com` is not mistaken for it.
fn is_plain_http_to_this_machine(endpoint: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(endpoint) else {
        return false;
    };
    let loopback = match url.host_str() {
        Some("localhost" | "[::1]") => true,
        Some(host) => host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|address| address.is_loopback()),
        None => false,
    };
    url.scheme() == "http" && loopback
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env<impl Fn(&str) -> Option<String>> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Env::new(move |name: &str| map.get(name).cloned())
    }

    const MINIMAL: [(&str, &str); 2] = [
        ("FINDINGS_BUCKET", "findings"),
        ("MEMBER_ROLE_NAME", "inspectorlink-read"),
    ];

    #[test]
    fn minimal_configuration_takes_defaults() {
        let config = SendFindingsConfig::from_env(&env(&MINIMAL)).unwrap();
        assert_eq!(config.prefix, "findings");
        assert_eq!(config.history_prefix, "history");
        assert_eq!(config.opensearch, None);
        assert_eq!(config.kms_key_arn, None);
    }

    #[test]
    fn the_history_prefix_must_lie_beside_the_findings() {
        for (findings, history) in [
            ("findings", "findings"),
            ("findings", "findings/history"),
            ("inspector", "inspector/findings/../history"),
            ("inspector/findings", "inspector"),
        ] {
            let mut pairs = MINIMAL.to_vec();
            pairs.extend([("FINDINGS_PREFIX", findings), ("HISTORY_PREFIX", history)]);
            let err = SendFindingsConfig::from_env(&env(&pairs)).unwrap_err();
            assert_eq!(err.variable, "HISTORY_PREFIX", "{findings} {history}");
            assert!(
                err.problem.contains("overlaps FINDINGS_PREFIX"),
                "{}",
                err.problem
            );
        }
        let mut pairs = MINIMAL.to_vec();
        pairs.extend([
            ("FINDINGS_PREFIX", "inspector/findings"),
            ("HISTORY_PREFIX", "inspector/history"),
        ]);
        let config = SendFindingsConfig::from_env(&env(&pairs)).unwrap();
        assert_eq!(config.history_prefix, "inspector/history");
        assert_eq!(config.coverage_prefix, "coverage");
    }

    #[test]
    fn the_coverage_prefix_must_lie_beside_findings_and_history() {
        for (coverage, overlapped) in [
            ("findings", "FINDINGS_PREFIX"),
            ("findings/coverage", "FINDINGS_PREFIX"),
            ("history/coverage", "HISTORY_PREFIX"),
            ("/history/", "HISTORY_PREFIX"),
        ] {
            let mut pairs = MINIMAL.to_vec();
            pairs.push(("COVERAGE_PREFIX", coverage));
            let err = SendFindingsConfig::from_env(&env(&pairs)).unwrap_err();
            assert_eq!(err.variable, "COVERAGE_PREFIX", "{coverage}");
            assert!(
                err.problem.contains(&format!("overlaps {overlapped}")),
                "{}",
                err.problem
            );
        }
        let mut pairs = MINIMAL.to_vec();
        pairs.push(("COVERAGE_PREFIX", "inspector/coverage"));
        let config = SendFindingsConfig::from_env(&env(&pairs)).unwrap();
        assert_eq!(config.coverage_prefix, "inspector/coverage");
    }

    #[test]
    fn the_ocsf_copy_is_off_until_its_bucket_is_named() {
        let config = SendFindingsConfig::from_env(&env(&MINIMAL)).unwrap();
        assert_eq!(config.ocsf, None);
        let mut pairs = MINIMAL.to_vec();
        pairs.push(("OCSF_BUCKET", "findings"));
        let ocsf = SendFindingsConfig::from_env(&env(&pairs))
            .unwrap()
            .ocsf
            .unwrap();
        assert_eq!(
            (ocsf.bucket.as_str(), ocsf.prefix.as_str()),
            ("findings", "ocsf")
        );
        let mut pairs = MINIMAL.to_vec();
        pairs.extend([
            ("OCSF_BUCKET", "aws-security-data-lake-eu-west-1-abc"),
            ("OCSF_PREFIX", "ext/inspectorlink/1.0"),
            ("OCSF_ROLE_ARN", "arn:aws:iam::111111111111:role/AmazonSecurityLake-Provider-inspectorlink-eu-west-1"),
            ("OCSF_EXTERNAL_ID", "inspectorlink"),
        ]);
        let ocsf = SendFindingsConfig::from_env(&env(&pairs))
            .unwrap()
            .ocsf
            .unwrap();
        assert_eq!(ocsf.prefix, "ext/inspectorlink/1.0");
        assert_eq!(ocsf.external_id.as_deref(), Some("inspectorlink"));
    }

    #[test]
    fn a_bad_ocsf_setting_is_refused_naming_its_variable() {
        for (pairs, variable, says) in [
            (
                vec![("OCSF_PREFIX", "ocsf")],
                "OCSF_BUCKET",
                "OCSF_PREFIX is set",
            ),
            (
                vec![("OCSF_BUCKET", "b"), ("OCSF_PREFIX", "/ocsf/")],
                "OCSF_PREFIX",
                "without leading",
            ),
            (
                vec![
                    ("OCSF_BUCKET", "findings"),
                    ("OCSF_PREFIX", "findings/ocsf"),
                ],
                "OCSF_PREFIX",
                "overlaps the store's prefix \"findings\"",
            ),
            (
                vec![
                    ("OCSF_BUCKET", "findings"),
                    ("OCSF_PREFIX", "coverage/ocsf"),
                ],
                "OCSF_PREFIX",
                "overlaps the store's prefix \"coverage\"",
            ),
            (
                vec![("OCSF_BUCKET", "b"), ("OCSF_KMS_KEY_ARN", "alias/x")],
                "OCSF_KMS_KEY_ARN",
                "KMS key ARN",
            ),
            (
                vec![("OCSF_BUCKET", "b"), ("OCSF_ROLE_ARN", "provider")],
                "OCSF_ROLE_ARN",
                "provider role",
            ),
            (
                vec![("OCSF_BUCKET", "b"), ("OCSF_EXTERNAL_ID", "x")],
                "OCSF_EXTERNAL_ID",
                "without OCSF_ROLE_ARN",
            ),
        ] {
            let mut all = MINIMAL.to_vec();
            all.extend(pairs.iter().copied());
            let err = SendFindingsConfig::from_env(&env(&all)).unwrap_err();
            assert_eq!(err.variable, variable, "{pairs:?}");
            assert!(err.problem.contains(says), "{pairs:?}: {}", err.problem);
        }
        // In another bucket, the store's prefixes are no concern.
        let mut pairs = MINIMAL.to_vec();
        pairs.extend([("OCSF_BUCKET", "lake"), ("OCSF_PREFIX", "findings")]);
        assert!(SendFindingsConfig::from_env(&env(&pairs)).is_ok());
    }

    #[test]
    fn the_dead_letter_queue_takes_its_url_and_receive_count_together() {
        let url = "https://sqs.us-east-1.amazonaws.com/111111111111/inspectorlink-send-dlq";
        assert_eq!(
            SendFindingsConfig::from_env(&env(&MINIMAL))
                .unwrap()
                .dead_letter_queue,
            None
        );
        let mut pairs = MINIMAL.to_vec();
        pairs.extend([("DEAD_LETTER_QUEUE_URL", url), ("MAX_RECEIVE_COUNT", "5")]);
        assert_eq!(
            SendFindingsConfig::from_env(&env(&pairs))
                .unwrap()
                .dead_letter_queue,
            Some((url.to_owned(), 5))
        );
        for (pairs, variable, says) in [
            (
                vec![("DEAD_LETTER_QUEUE_URL", url)],
                "MAX_RECEIVE_COUNT",
                "is not set",
            ),
            (
                vec![("MAX_RECEIVE_COUNT", "5")],
                "DEAD_LETTER_QUEUE_URL",
                "is not set",
            ),
            (
                vec![("DEAD_LETTER_QUEUE_URL", url), ("MAX_RECEIVE_COUNT", "0")],
                "MAX_RECEIVE_COUNT",
                "maxReceiveCount (1-1000)",
            ),
            (
                vec![
                    ("DEAD_LETTER_QUEUE_URL", url),
                    ("MAX_RECEIVE_COUNT", "1001"),
                ],
                "MAX_RECEIVE_COUNT",
                "maxReceiveCount (1-1000)",
            ),
        ] {
            let mut all = MINIMAL.to_vec();
            all.extend(pairs.iter().copied());
            let err = SendFindingsConfig::from_env(&env(&all)).unwrap_err();
            assert_eq!(err.variable, variable, "{pairs:?}");
            assert!(err.problem.contains(says), "{pairs:?}: {}", err.problem);
        }
    }

    #[test]
    fn opensearch_is_configured_by_its_endpoint() {
        let mut pairs = MINIMAL.to_vec();
        pairs.extend([
            (
                "OPENSEARCH_ENDPOINT",
                "https://search-x.us-east-1.es.amazonaws.com/",
            ),
            ("AWS_REGION", "us-east-1"),
        ]);
        let search = SendFindingsConfig::from_env(&env(&pairs))
            .unwrap()
            .opensearch
            .unwrap();
        assert_eq!(
            search.endpoint,
            "https://search-x.us-east-1.es.amazonaws.com"
        );
        assert_eq!(
            (
                search.service.as_str(),
                search.index.as_str(),
                search.region.as_str()
            ),
            ("es", "inspector-findings", "us-east-1")
        );
    }

    #[test]
    fn plain_http_is_accepted_only_to_this_machine() {
        let accepted = |endpoint: &str| {
            let mut pairs = MINIMAL.to_vec();
            pairs.extend([
                ("OPENSEARCH_ENDPOINT", endpoint),
                ("AWS_REGION", "us-east-1"),
            ]);
            SendFindingsConfig::from_env(&env(&pairs)).is_ok()
        };
        for local in [
            "http://127.0.0.1:4566/_localaws/opensearch/findings",
            "http://localhost:9200",
            "http://[::1]:9200",
            "http://127.0.0.2",
        ] {
            assert!(accepted(local), "{local}");
        }
        for remote in [
            "http://localhost.example.com",
            "http://127.0.0.1.nip.io:9200",
            "http://search-x.us-east-1.es.amazonaws.com",
            "ftp://localhost",
            "localhost:9200",
        ] {
            assert!(!accepted(remote), "{remote}");
        }
    }

    #[test]
    fn errors_name_the_variable_and_the_fix() {
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (
                vec![("MEMBER_ROLE_NAME", "r")],
                "FINDINGS_BUCKET is not set: set it to the name of the S3 bucket",
            ),
            (
                vec![
                    ("FINDINGS_BUCKET", "b"),
                    ("MEMBER_ROLE_NAME", "arn:aws:iam::1:role/r"),
                ],
                "MEMBER_ROLE_NAME is \"arn:aws:iam::1:role/r\": give the role's name",
            ),
            (
                [MINIMAL.to_vec(), vec![("FINDINGS_KMS_KEY_ARN", "alias/x")]].concat(),
                "FINDINGS_KMS_KEY_ARN is \"alias/x\"",
            ),
            (
                [
                    MINIMAL.to_vec(),
                    vec![("OPENSEARCH_ENDPOINT", "http://search.example.com")],
                ]
                .concat(),
                "OPENSEARCH_ENDPOINT is \"http://search.example.com\": give the https:// endpoint",
            ),
            (
                [
                    MINIMAL.to_vec(),
                    vec![
                        ("OPENSEARCH_ENDPOINT", "https://x"),
                        ("OPENSEARCH_SERVICE", "es2"),
                        ("AWS_REGION", "us-east-1"),
                    ],
                ]
                .concat(),
                "OPENSEARCH_SERVICE is \"es2\"",
            ),
            (
                [MINIMAL.to_vec(), vec![("OPENSEARCH_ENDPOINT", "https://x")]].concat(),
                "OPENSEARCH_REGION is not set and neither is AWS_REGION",
            ),
        ];
        for (pairs, expected) in cases {
            let err = SendFindingsConfig::from_env(&env(&pairs))
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(expected), "{pairs:?}: {err}");
        }
    }

    const NOTIFY: [(&str, &str); 3] = [
        (
            "NOTIFICATIONS_TOPIC_ARN",
            "arn:aws:sns:us-east-1:111111111111:notifications",
        ),
        ("DEDUPE_TABLE", "notified"),
        ("MEMBER_ROLE_NAME", "inspectorlink-read"),
    ];

    #[test]
    fn an_inspector_v2_estate_needs_no_member_role() {
        let without =
            |pairs: &[(&'static str, &'static str)]| -> Vec<(&'static str, &'static str)> {
                pairs
                    .iter()
                    .filter(|(name, _)| *name != "MEMBER_ROLE_NAME")
                    .copied()
                    .collect()
            };
        let send = SendFindingsConfig::from_env(&env(&without(&MINIMAL))).unwrap();
        let notify = NotifyConfig::from_env(&env(&without(&NOTIFY))).unwrap();
        assert_eq!(
            (send.member_role_name, notify.member_role_name),
            (None, None)
        );
        let send = SendFindingsConfig::from_env(&env(&MINIMAL)).unwrap();
        assert_eq!(send.member_role_name.as_deref(), Some("inspectorlink-read"));
    }

    #[test]
    fn notify_rules_replace_the_threshold_and_are_checked_at_start() {
        let rules =
            r#"{"rules": [{"name": "kev", "kev": true, "destinations": ["notifications"]}]}"#;
        let with_rules = [NOTIFY.to_vec(), vec![("NOTIFY_RULES", rules)]].concat();
        let config = NotifyConfig::from_env(&env(&with_rules)).unwrap();
        assert_eq!(config.rules.rules[0].name, "kev");
        assert_eq!(
            config.rules.destinations.keys().collect::<Vec<_>>(),
            ["notifications"]
        );
        let both = [with_rules.clone(), vec![("NOTIFY_MIN_SEVERITY", "HIGH")]].concat();
        let err = NotifyConfig::from_env(&env(&both)).unwrap_err().to_string();
        assert!(
            err.starts_with("NOTIFY_RULES is set and so is NOTIFY_MIN_SEVERITY"),
            "{err}"
        );
        let missing = [
            NOTIFY.to_vec(),
            vec![(
                "NOTIFY_RULES",
                r#"{"rules": [{"name": "r", "destinations": ["pager"]}]}"#,
            )],
        ]
        .concat();
        let err = NotifyConfig::from_env(&env(&missing))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(
                "NOTIFY_RULES rule \"r\" sends to \"pager\", which is not a destination"
            ),
            "{err}"
        );
        for (variable, value, expected) in [
            (
                "NOTIFY_REPORT_URL",
                "http://x",
                "NOTIFY_REPORT_URL is \"http://x\": give the report's https:// address",
            ),
            (
                "NOTIFY_ALLOW_PLAIN_HTTP_WEBHOOKS",
                "yes",
                "NOTIFY_ALLOW_PLAIN_HTTP_WEBHOOKS is \"yes\": use true or false",
            ),
        ] {
            let pairs = [NOTIFY.to_vec(), vec![(variable, value)]].concat();
            let err = NotifyConfig::from_env(&env(&pairs))
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(expected), "{err}");
        }
    }

    #[test]
    fn notify_defaults_and_errors_name_the_variable() {
        let config = NotifyConfig::from_env(&env(&NOTIFY)).unwrap();
        assert_eq!(
            (config.min_severity, config.dedupe_ttl_days),
            (Severity::Medium, 30)
        );
        assert_eq!(
            config.min_priority, None,
            "no priority threshold by default"
        );
        let low = [NOTIFY.to_vec(), vec![("NOTIFY_MIN_SEVERITY", "low")]].concat();
        assert_eq!(
            NotifyConfig::from_env(&env(&low)).unwrap().min_severity,
            Severity::Low
        );
        let p2 = [NOTIFY.to_vec(), vec![("NOTIFY_MIN_PRIORITY", "p2")]].concat();
        assert_eq!(
            NotifyConfig::from_env(&env(&p2)).unwrap().min_priority,
            Some(PriorityLabel::P2)
        );
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (NOTIFY[1..].to_vec(), "NOTIFICATIONS_TOPIC_ARN is not set"),
            (
                [
                    NOTIFY[1..].to_vec(),
                    vec![("NOTIFICATIONS_TOPIC_ARN", "notifications")],
                ]
                .concat(),
                "NOTIFICATIONS_TOPIC_ARN is \"notifications\"",
            ),
            (
                [NOTIFY.to_vec(), vec![("DEDUPE_TTL_DAYS", "0")]].concat(),
                "DEDUPE_TTL_DAYS is \"0\": give a whole number of days from 1 to 3650",
            ),
            (vec![NOTIFY[0], NOTIFY[2]], "DEDUPE_TABLE is not set"),
            (
                [NOTIFY.to_vec(), vec![("NOTIFY_MIN_PRIORITY", "HIGH")]].concat(),
                "NOTIFY_MIN_PRIORITY is \"HIGH\": use one of P1, P2, P3, P4, P5",
            ),
        ];
        for (pairs, expected) in cases {
            let err = NotifyConfig::from_env(&env(&pairs))
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(expected), "{pairs:?}: {err}");
        }
    }

    const ATTACH: [(&str, &str); 3] = [
        ("CENTRAL_TOPIC_ACCOUNT_ID", "111111111111"),
        ("CENTRAL_TOPIC_NAME", "inspectorlink-findings"),
        ("CENTRAL_TOPIC_REGIONS", " us-east-1, us-west-2 ,"),
    ];

    #[test]
    fn attach_reads_lists_and_optional_filters() {
        let config = AttachConfig::from_env(&env(&ATTACH)).unwrap();
        assert_eq!(config.topic_regions, ["us-east-1", "us-west-2"]);
        assert_eq!(config.events, [InspectorEvent::FindingReported]);
        assert_eq!((config.tag_filter, config.member_role_name), (None, None));
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (
                [ATTACH.to_vec(), vec![("TEMPLATE_TAG_VALUE", "x")]].concat(),
                "TEMPLATE_TAG_KEY is not set but TEMPLATE_TAG_VALUE is",
            ),
            (
                [
                    ATTACH.to_vec(),
                    vec![("SUBSCRIBE_EVENTS", "FINDING_REPORTED,NOPE")],
                ]
                .concat(),
                "SUBSCRIBE_EVENTS is \"FINDING_REPORTED,NOPE\": \"NOPE\" is not an Inspector event",
            ),
            (
                vec![
                    ATTACH[0],
                    ("CENTRAL_TOPIC_NAME", "arn:aws:sns:us-east-1:111111111111:t"),
                    ATTACH[2],
                ],
                "CENTRAL_TOPIC_NAME is \"arn:aws:sns",
            ),
            (
                vec![("CENTRAL_TOPIC_ACCOUNT_ID", "1111"), ATTACH[1], ATTACH[2]],
                "CENTRAL_TOPIC_ACCOUNT_ID is \"1111\": give a 12-digit AWS account id",
            ),
        ];
        for (pairs, expected) in cases {
            let err = AttachConfig::from_env(&env(&pairs))
                .unwrap_err()
                .to_string();
            assert!(err.starts_with(expected), "{pairs:?}: {err}");
        }
    }
}
