//! Configuration from environment variables, read once at start-up. Every error names the
//! variable and says what it should hold.

/// A missing or invalid variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable} {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

/// Reads variables through `lookup` (the process environment in Lambdas, a map in tests).
pub struct Env<F: Fn(&str) -> Option<String>> {
    lookup: F,
}

impl Env<fn(&str) -> Option<String>> {
    pub fn process() -> Self {
        Env {
            lookup: |name| std::env::var(name).ok(),
        }
    }
}

impl<F: Fn(&str) -> Option<String>> Env<F> {
    pub fn new(lookup: F) -> Self {
        Env { lookup }
    }

    /// The value, or None if unset or empty.
    pub fn optional(&self, variable: &'static str) -> Option<String> {
        (self.lookup)(variable)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    pub fn required(&self, variable: &'static str, what: &str) -> Result<String, ConfigError> {
        self.optional(variable).ok_or_else(|| ConfigError {
            variable,
            problem: format!("is not set: set it to {what}"),
        })
    }
}

/// Where the OpenSearch sink sends documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenSearchConfig {
    /// `https://search-domain-....region.es.amazonaws.com` (or a collection endpoint), no trailing slash.
    pub endpoint: String,
    pub index: String,
    /// The SigV4 signing name: `es` for domains, `aoss` for OpenSearch Serverless.
    pub service: String,
    pub region: String,
}

/// Configuration of send-findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendFindingsConfig {
    pub bucket: String,
    pub prefix: String,
    pub kms_key_arn: Option<String>,
    /// The role assumed in each member account to describe findings and instances.
    pub member_role_name: String,
    pub member_role_external_id: Option<String>,
    pub opensearch: Option<OpenSearchConfig>,
}

impl SendFindingsConfig {
    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Self, ConfigError> {
        let bucket = env.required(
            "FINDINGS_BUCKET",
            "the name of the S3 bucket findings are written to",
        )?;
        let member_role_name = env.required(
            "MEMBER_ROLE_NAME",
            "the name of the read-only role in every member account",
        )?;
        if member_role_name.contains(':') || member_role_name.contains('/') {
            return Err(ConfigError {
                variable: "MEMBER_ROLE_NAME",
                problem: format!(
                    "is {member_role_name:?}: give the role's name, not its ARN or path"
                ),
            });
        }
        let kms_key_arn = env.optional("FINDINGS_KMS_KEY_ARN");
        if let Some(key) = &kms_key_arn {
            if !key.starts_with("arn:") || !key.contains(":kms:") {
                return Err(ConfigError {
                    variable: "FINDINGS_KMS_KEY_ARN",
                    problem: format!("is {key:?}: give a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID) or leave it unset"),
                });
            }
        }
        Ok(SendFindingsConfig {
            bucket,
            prefix: env
                .optional("FINDINGS_PREFIX")
                .unwrap_or_else(|| "findings".to_owned()),
            kms_key_arn,
            member_role_name,
            member_role_external_id: env.optional("MEMBER_ROLE_EXTERNAL_ID"),
            opensearch: opensearch_from_env(env)?,
        })
    }
}

fn opensearch_from_env<F: Fn(&str) -> Option<String>>(
    env: &Env<F>,
) -> Result<Option<OpenSearchConfig>, ConfigError> {
    let Some(endpoint) = env.optional("OPENSEARCH_ENDPOINT") else {
        return Ok(None);
    };
    let endpoint = endpoint.trim_end_matches('/').to_owned();
    let plain_http_to_localhost =
        endpoint.starts_with("http://127.0.0.1") || endpoint.starts_with("http://localhost");
    if !endpoint.starts_with("https://") && !plain_http_to_localhost {
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
        service,
        region,
    }))
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
        assert_eq!(config.opensearch, None);
        assert_eq!(config.kms_key_arn, None);
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
    fn errors_name_the_variable_and_the_fix() {
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (
                vec![("MEMBER_ROLE_NAME", "r")],
                "FINDINGS_BUCKET is not set: set it to the name of the S3 bucket",
            ),
            (
                vec![("FINDINGS_BUCKET", "b"), ("MEMBER_ROLE_NAME", "  ")],
                "MEMBER_ROLE_NAME is not set",
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
}
