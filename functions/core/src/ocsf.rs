//! The OCSF copy of the findings (docs/ocsf.md): each invocation's stored states as OCSF
//! 1.1.0 Vulnerability Findings, written as one Parquet object per Security Lake partition
//! (`<prefix>/region=…/accountId=…/eventDay=YYYYMMDD/<name>.parquet`).
//!
//! An object's name is a hash of the records' `metadata.uid`s: a batch delivered again
//! rewrites the same object instead of adding a copy.

use std::collections::BTreeMap;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use inspectorlink_findings::ocsf::VulnerabilityFinding;
pub use inspectorlink_findings::ocsf_parquet::{encode_parquet, read_parquet};
use sha2::{Digest, Sha256};

use crate::finding::Finding;

/// What wrote the records (`metadata.log_provider`).
pub const LOG_PROVIDER: &str = concat!("inspectorlink ", env!("CARGO_PKG_VERSION"));

/// Where the OCSF copy goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcsfConfig {
    pub bucket: String,
    /// No leading or trailing slash.
    pub prefix: String,
    pub kms_key_arn: Option<String>,
    /// A role to write as (a Security Lake custom source's provider role), and its
    /// external id.
    pub role_arn: Option<String>,
    pub external_id: Option<String>,
}

/// One Parquet object written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcsfObject {
    pub key: String,
    pub records: usize,
    pub bytes: usize,
}

pub struct OcsfSink {
    /// The Lambda's own SDK config; the client acts as `config.role_arn` when one is set.
    aws: Option<aws_config::SdkConfig>,
    s3: tokio::sync::OnceCell<aws_sdk_s3::Client>,
    config: OcsfConfig,
}

impl OcsfSink {
    pub fn new(aws: aws_config::SdkConfig, config: OcsfConfig) -> OcsfSink {
        OcsfSink {
            aws: Some(aws),
            s3: tokio::sync::OnceCell::new(),
            config,
        }
    }

    /// A sink writing with `s3` (a client set up for a local endpoint, in tests).
    pub fn with_client(s3: aws_sdk_s3::Client, config: OcsfConfig) -> OcsfSink {
        OcsfSink {
            aws: None,
            s3: tokio::sync::OnceCell::new_with(Some(s3)),
            config,
        }
    }

    /// The S3 client, as the configured role if any (built once: the SDK refreshes the
    /// role's credentials before they expire).
    async fn s3(&self) -> &aws_sdk_s3::Client {
        self.s3
            .get_or_init(|| async {
                let aws = self
                    .aws
                    .as_ref()
                    .expect("a sink made without its client has the SDK config");
                let Some(role_arn) = &self.config.role_arn else {
                    return aws_sdk_s3::Client::new(aws);
                };
                let mut role = aws_config::sts::AssumeRoleProvider::builder(role_arn)
                    .session_name("inspectorlink-ocsf");
                if let Some(external_id) = &self.config.external_id {
                    role = role.external_id(external_id);
                }
                let provider = role.configure(aws).build().await;
                let config = aws
                    .to_builder()
                    .credentials_provider(
                        aws_credential_types::provider::SharedCredentialsProvider::new(provider),
                    )
                    .build();
                aws_sdk_s3::Client::new(&config)
            })
            .await
    }

    /// The key of a partition's object holding records with these `uids`.
    fn key(&self, partition: &str, uids: &[&str]) -> String {
        let mut sorted = uids.to_vec();
        sorted.sort_unstable();
        let mut digest = Sha256::new();
        for uid in sorted {
            digest.update(uid.as_bytes());
            digest.update(b"\n");
        }
        let name = hex::encode(&digest.finalize()[..16]);
        match self.config.prefix.trim_matches('/') {
            "" => format!("{partition}/{name}.parquet"),
            prefix => format!("{prefix}/{partition}/{name}.parquet"),
        }
    }

    /// Writes `findings` as OCSF, one object per partition. Returns, per partition, the
    /// object written or why it was not, with the ids of the findings in it.
    pub async fn write(
        &self,
        findings: &[&Finding],
    ) -> Vec<(Result<OcsfObject, String>, Vec<String>)> {
        let mut partitions: BTreeMap<String, Vec<(VulnerabilityFinding, String)>> = BTreeMap::new();
        for finding in findings {
            let record = VulnerabilityFinding::from_finding(finding, LOG_PROVIDER);
            partitions
                .entry(record.partition())
                .or_default()
                .push((record, finding.id.clone()));
        }
        let writes = partitions
            .into_iter()
            .map(|(partition, entries)| async move {
                let ids: Vec<String> = entries.iter().map(|(_, id)| id.clone()).collect();
                let (records, _): (Vec<VulnerabilityFinding>, Vec<String>) =
                    entries.into_iter().unzip();
                (self.put(&partition, &records).await, ids)
            });
        futures::future::join_all(writes).await
    }

    async fn put(
        &self,
        partition: &str,
        records: &[VulnerabilityFinding],
    ) -> Result<OcsfObject, String> {
        let uids: Vec<&str> = records.iter().map(|r| r.metadata.uid.as_str()).collect();
        let key = self.key(partition, &uids);
        let body = encode_parquet(records)
            .map_err(|e| format!("encoding OCSF Parquet for {partition}: {e}"))?;
        let bytes = body.len();
        let mut put = self
            .s3()
            .await
            .put_object()
            .bucket(&self.config.bucket)
            .key(&key)
            .content_type("application/vnd.apache.parquet")
            .body(ByteStream::from(body));
        if let Some(key_arn) = &self.config.kms_key_arn {
            put = put
                .server_side_encryption(ServerSideEncryption::AwsKms)
                .ssekms_key_id(key_arn);
        }
        put.send().await.map_err(|e| {
            format!(
                "writing OCSF to s3://{}/{key}: {}",
                self.config.bucket,
                crate::s3::described(&e)
            )
        })?;
        Ok(OcsfObject {
            key,
            records: records.len(),
            bytes,
        })
    }
}
