//! The scheduled report: on each EventBridge schedule event, read every finding and
//! coverage document in the findings bucket, write the HTML report to S3 (SSE-KMS when a key is configured) and,
//! when a topic is configured, publish a presigned link to it. The report itself is
//! `inspectorlink_report`; this is configuration and the S3/SNS calls around it.

use std::time::Duration;

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use inspectorlink_findings::{Coverage, Finding, Severity};
pub use inspectorlink_lambda_start::{ConfigError, Env};
use inspectorlink_report::{html, s3_client, Loaded, Page, SlaDays, SourceError, Summary};
use serde::Serialize;
use tracing::{info, instrument, warn};

/// The longest a SigV4 presigned URL may be valid (7 days).
pub const MAX_LINK_EXPIRY_SECONDS: u64 = 604_800;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub findings_bucket: String,
    pub findings_prefix: String,
    /// COVERAGE_PREFIX: where send-findings writes coverage documents, in the same bucket.
    pub coverage_prefix: String,
    pub report_bucket: String,
    /// May contain `{date}`: the schedule event's day (YYYY-MM-DD).
    pub report_key: String,
    pub kms_key_arn: Option<String>,
    pub topic_arn: Option<String>,
    pub link_expiry: Duration,
    pub title: String,
    /// SLA_DAYS (SlaDays::parse): overrides of the report's SLA days per severity.
    pub sla: SlaDays,
}

impl Config {
    /// Reads the configuration from `env` (the process environment in the Lambda).
    pub fn from_env<F: Fn(&str) -> Option<String>>(env: &Env<F>) -> Result<Config, ConfigError> {
        let get = |name: &'static str| env.optional(name);
        let error = |variable: &'static str, problem: String| ConfigError { variable, problem };
        let findings_bucket = env.required(
            "FINDINGS_BUCKET",
            "the bucket send-findings writes finding objects to",
        )?;
        let report_key =
            get("REPORT_KEY").unwrap_or_else(|| "reports/inspector-findings-{date}.html".into());
        if report_key.starts_with('/') || report_key.ends_with('/') {
            return Err(error(
                "REPORT_KEY",
                format!("is {report_key:?}: give an object key such as reports/findings-{{date}}.html, without a leading or trailing slash"),
            ));
        }
        let arn = |variable: &'static str, service: &str| -> Result<Option<String>, ConfigError> {
            match get(variable) {
                Some(v) if !v.starts_with("arn:") || v.split(':').nth(2) != Some(service) => Err(error(
                    variable,
                    format!("is {v:?}: give the ARN of the {service} resource (arn:aws:{service}:...)"),
                )),
                other => Ok(other),
            }
        };
        let link_expiry = match get("LINK_EXPIRY_SECONDS") {
            None => Duration::from_secs(86_400),
            Some(v) => match v.parse::<u64>() {
                Ok(secs) if (1..=MAX_LINK_EXPIRY_SECONDS).contains(&secs) => Duration::from_secs(secs),
                _ => {
                    return Err(error(
                        "LINK_EXPIRY_SECONDS",
                        format!("is {v:?}: give whole seconds from 1 to {MAX_LINK_EXPIRY_SECONDS} (7 days, the presigning limit)"),
                    ))
                }
            },
        };
        Ok(Config {
            findings_prefix: get("FINDINGS_PREFIX").unwrap_or_else(|| "findings".into()),
            coverage_prefix: get("COVERAGE_PREFIX").unwrap_or_else(|| "coverage".into()),
            report_bucket: get("REPORT_BUCKET").unwrap_or_else(|| findings_bucket.clone()),
            findings_bucket,
            report_key,
            kms_key_arn: arn("REPORT_KMS_KEY_ARN", "kms")?,
            topic_arn: arn("REPORT_TOPIC_ARN", "sns")?,
            link_expiry,
            title: get("REPORT_TITLE").unwrap_or_else(|| "Amazon Inspector findings".into()),
            sla: match get("SLA_DAYS") {
                Some(spec) => {
                    SlaDays::parse(&spec).map_err(|problem| error("SLA_DAYS", problem))?
                }
                None => SlaDays::default(),
            },
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("writing the report to s3://{bucket}/{key}: {cause}")]
    Put {
        bucket: String,
        key: String,
        cause: String,
    },
    #[error("presigning a link to s3://{bucket}/{key}: {cause}")]
    Presign {
        bucket: String,
        key: String,
        cause: String,
    },
    #[error("publishing the report link to {topic}: {cause}")]
    Publish { topic: String, cause: String },
}

/// What one run did (the Lambda's response).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Outcome {
    pub bucket: String,
    pub key: String,
    pub findings: usize,
    pub open: usize,
    pub skipped: usize,
    /// Coverage documents read (resources by scan type), and of them not scanned.
    pub coverage: usize,
    pub not_scanned: usize,
    /// Objects under the coverage prefix that are not coverage documents.
    pub coverage_skipped: usize,
    /// The presigned GET link (also in the notification).
    pub link: String,
    /// The SNS message id, when a topic is configured.
    pub message_id: Option<String>,
}

pub struct ScheduledReport {
    s3: aws_sdk_s3::Client,
    sns: aws_sdk_sns::Client,
    config: Config,
}

impl ScheduledReport {
    pub fn new(config: Config, aws: &aws_config::SdkConfig) -> Self {
        ScheduledReport {
            s3: s3_client(aws),
            sns: aws_sdk_sns::Client::new(aws),
            config,
        }
    }

    /// The object key for an event: `{date}` becomes the event's day (else today's).
    pub fn key_for(&self, event: &EventBridgeEvent) -> String {
        let day = event
            .time
            .map(|t| t.to_rfc3339())
            .unwrap_or_else(inspectorlink_report::now_rfc3339);
        self.config
            .report_key
            .replace("{date}", day.get(..10).unwrap_or(&day))
    }

    #[instrument(skip_all, fields(bucket = %self.config.findings_bucket, prefix = %self.config.findings_prefix, coverage_prefix = %self.config.coverage_prefix))]
    pub async fn handle(&self, event: EventBridgeEvent) -> Result<Outcome, ReportError> {
        let config = &self.config;
        let findings_bucket = &config.findings_bucket;
        let loaded: Loaded<Finding> =
            inspectorlink_report::from_s3(&self.s3, findings_bucket, &config.findings_prefix)
                .await?;
        let coverage: Loaded<Coverage> =
            inspectorlink_report::from_s3(&self.s3, findings_bucket, &config.coverage_prefix)
                .await?;
        for (key, why) in &loaded.skipped {
            warn!(%key, %why, "skipped an object that is not a finding document");
        }
        for (key, why) in &coverage.skipped {
            warn!(%key, %why, "skipped an object that is not a coverage document");
        }
        let generated_at = inspectorlink_report::now_rfc3339();
        let summary = inspectorlink_report::summarise(
            &loaded.documents,
            Some(&coverage.documents),
            &generated_at,
            &config.sla,
        );
        let label = inspectorlink_report::source::s3_source_label;
        let page = Page {
            title: config.title.clone(),
            source: label(findings_bucket, &config.findings_prefix),
            generated_at,
            skipped: loaded.skipped.len(),
            coverage_source: Some(label(findings_bucket, &config.coverage_prefix)),
            coverage_skipped: coverage.skipped.len(),
        };
        let body = html::render(&summary, &page);

        let key = self.key_for(&event);
        let bucket = &config.report_bucket;
        let mut put = self
            .s3
            .put_object()
            .bucket(bucket)
            .key(&key)
            .content_type("text/html; charset=utf-8")
            .cache_control("no-cache")
            .body(ByteStream::from(body.into_bytes()));
        if let Some(key_arn) = &config.kms_key_arn {
            put = put
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .ssekms_key_id(key_arn)
                .bucket_key_enabled(true);
        }
        put.send().await.map_err(|e| ReportError::Put {
            bucket: bucket.clone(),
            key: key.clone(),
            cause: DisplayErrorContext(e).to_string(),
        })?;

        let presign_error = |cause: String| ReportError::Presign {
            bucket: bucket.clone(),
            key: key.clone(),
            cause,
        };
        let presigning = PresigningConfig::expires_in(config.link_expiry)
            .map_err(|e| presign_error(e.to_string()))?;
        let link = self
            .s3
            .get_object()
            .bucket(bucket)
            .key(&key)
            .presigned(presigning)
            .await
            .map_err(|e| presign_error(DisplayErrorContext(e).to_string()))?
            .uri()
            .to_owned();

        let message_id = match &config.topic_arn {
            None => None,
            Some(topic) => Some(
                self.notify(topic, &summary, &page, bucket, &key, &link)
                    .await?,
            ),
        };
        info!(%bucket, %key, findings = summary.total, open = summary.open(), "report written");
        Ok(Outcome {
            bucket: bucket.clone(),
            key,
            findings: summary.total,
            open: summary.open(),
            skipped: page.skipped,
            coverage: summary.coverage.as_ref().map_or(0, |c| c.total),
            not_scanned: summary.coverage.as_ref().map_or(0, |c| c.not_scanned),
            coverage_skipped: page.coverage_skipped,
            link,
            message_id,
        })
    }

    async fn notify(
        &self,
        topic: &str,
        summary: &Summary,
        page: &Page,
        bucket: &str,
        key: &str,
        link: &str,
    ) -> Result<String, ReportError> {
        let critical = summary.severity(Severity::Critical).open;
        let high = summary.severity(Severity::High).open;
        let subject = format!(
            "Inspector findings report: {} open ({critical} critical, {high} high)",
            summary.open()
        );
        let hours = self.config.link_expiry.as_secs().div_ceil(3600);
        let coverage = match &summary.coverage {
            Some(c) if c.total > 0 => format!(
                "{} of {} resources (by scan type) are not scanned by Inspector: see the report's Coverage section.\n\n",
                c.not_scanned, c.total
            ),
            _ => format!(
                "No coverage documents under {}: the report cannot say which resources Inspector does not scan.\n\n",
                page.coverage_source.as_deref().unwrap_or("the coverage prefix")
            ),
        };
        let message = format!(
            "The Amazon Inspector findings report is ready.\n\n\
             {} findings in {} accounts: {} open ({critical} critical, {high} high), {} resources with open findings.\n\n\
             {coverage}\
             Download the report (the link works for up to {hours} hour(s), and no longer than the credentials that signed it):\n{link}\n\n\
             Stored at s3://{bucket}/{key}\nGenerated {} from {}\n",
            summary.total,
            summary.accounts,
            summary.open(),
            summary.open_resources,
            page.generated_at,
            page.source,
        );
        let published = self
            .sns
            .publish()
            .topic_arn(topic)
            .subject(subject)
            .message(message)
            .send()
            .await
            .map_err(|e| ReportError::Publish {
                topic: topic.to_owned(),
                cause: DisplayErrorContext(e).to_string(),
            })?;
        Ok(published.message_id.unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: BTreeMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_env(&Env::new(|name: &str| vars.get(name).cloned()))
    }

    #[test]
    fn defaults_need_only_the_findings_bucket() {
        let config = config(&[("FINDINGS_BUCKET", "b")]).unwrap();
        assert_eq!(config.report_bucket, "b");
        assert_eq!(config.findings_prefix, "findings");
        assert_eq!(config.coverage_prefix, "coverage");
        assert_eq!(config.report_key, "reports/inspector-findings-{date}.html");
        assert_eq!(config.link_expiry, Duration::from_secs(86_400));
        assert_eq!((config.topic_arn, config.kms_key_arn), (None, None));
        assert_eq!(config.sla, SlaDays::default());
        let tighter =
            self::config(&[("FINDINGS_BUCKET", "b"), ("SLA_DAYS", "CRITICAL=7")]).unwrap();
        assert_eq!(tighter.sla.days(Severity::Critical), Some(7));
    }

    #[test]
    fn every_error_names_its_variable() {
        for (vars, variable) in [
            (&[][..], "FINDINGS_BUCKET"),
            (
                &[("FINDINGS_BUCKET", "b"), ("LINK_EXPIRY_SECONDS", "604801")][..],
                "LINK_EXPIRY_SECONDS",
            ),
            (
                &[("FINDINGS_BUCKET", "b"), ("LINK_EXPIRY_SECONDS", "1h")][..],
                "LINK_EXPIRY_SECONDS",
            ),
            (
                &[("FINDINGS_BUCKET", "b"), ("REPORT_TOPIC_ARN", "my-topic")][..],
                "REPORT_TOPIC_ARN",
            ),
            (
                &[
                    ("FINDINGS_BUCKET", "b"),
                    ("REPORT_KMS_KEY_ARN", "arn:aws:sns:us-east-1:1:t"),
                ][..],
                "REPORT_KMS_KEY_ARN",
            ),
            (
                &[("FINDINGS_BUCKET", "b"), ("SLA_DAYS", "HIGH=soon")][..],
                "SLA_DAYS",
            ),
            (
                &[("FINDINGS_BUCKET", "b"), ("REPORT_KEY", "/abs.html")][..],
                "REPORT_KEY",
            ),
        ] {
            let err = config(vars).unwrap_err();
            assert_eq!(err.variable, variable);
            assert!(err.to_string().starts_with(variable), "{err}");
        }
    }
}
