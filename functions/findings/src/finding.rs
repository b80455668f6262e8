//! The normalised finding document: one type for both engines, documented field by field
//! in docs/finding-schema.md. S3 objects and OpenSearch documents are this type as JSON.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Bumped when a field changes meaning or type; readers check it.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub schema_version: u32,
    /// Stable across redelivery and state changes: derived from `finding_arn` only.
    pub id: String,
    pub engine: Engine,
    pub finding_arn: String,
    pub account_id: String,
    pub region: String,
    pub title: String,
    pub description: String,
    pub recommendation: String,
    pub severity: Severity,
    /// The engine's numeric score (Classic: numericSeverity 0-10; v2: inspectorScore).
    pub severity_score: Option<f64>,
    /// Classic: the rules package name; v2: the finding type.
    pub finding_type: String,
    pub cve_ids: Vec<String>,
    pub status: Status,
    /// RFC 3339, UTC.
    pub first_observed_at: String,
    /// RFC 3339, UTC.
    pub last_observed_at: String,
    pub resource: Resource,
    pub enrichment: Enrichment,
    /// The finding as the engine returned it.
    pub raw: serde_json::Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    InspectorClassic,
    InspectorV2,
}

impl Engine {
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::InspectorClassic => "inspector_classic",
            Engine::InspectorV2 => "inspector_v2",
        }
    }
}

/// Severity normalised across engines, ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Severity {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Informational => "INFORMATIONAL",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    Active,
    Closed,
    Suppressed,
}

/// The resource a finding is about. Classic findings are always about EC2 instances.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    /// `AWS_EC2_INSTANCE` (and, with Inspector v2, `AWS_ECR_CONTAINER_IMAGE`, `AWS_LAMBDA_FUNCTION`).
    #[serde(rename = "type")]
    pub resource_type: String,
    pub id: String,
    pub image_id: Option<String>,
    pub hostname: Option<String>,
    pub vpc_id: Option<String>,
    pub subnet_ids: Vec<String>,
    pub security_group_ids: Vec<String>,
    pub private_ips: Vec<String>,
    pub public_ips: Vec<String>,
    pub tags: BTreeMap<String, String>,
}

/// Whether `resource` was completed from EC2, and if not, why not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrichment {
    pub status: EnrichmentStatus,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnrichmentStatus {
    /// Resource fields come from the engine and from ec2:DescribeInstances.
    Enriched,
    /// The instance is terminated or gone: resource fields come from the engine only.
    InstanceNotFound,
    /// The engine's event carried everything (Inspector v2) or the resource is not EC2.
    NotNeeded,
}

/// The document id of a finding: the first 128 bits of SHA-256 over its ARN, in hex.
/// Short enough for S3 keys and OpenSearch `_id`s, and the same for every redelivery.
pub fn finding_id(finding_arn: &str) -> String {
    let digest = Sha256::digest(finding_arn.as_bytes());
    hex::encode(&digest[..16])
}

impl Finding {
    /// The S3 key: Hive-style partitions (engine, account, region, day first observed) so
    /// Athena can prune, then the id. Derived only from the finding: redelivery overwrites.
    pub fn s3_key(&self, prefix: &str) -> String {
        let day = self.first_observed_at.get(..10).unwrap_or("unknown");
        let prefix = prefix.trim_matches('/');
        let prefix = if prefix.is_empty() {
            String::new()
        } else {
            format!("{prefix}/")
        };
        format!(
            "{prefix}engine={}/account_id={}/region={}/day={day}/{}.json",
            self.engine.as_str(),
            self.account_id,
            self.region,
            self.id
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_short_and_distinct() {
        let a = finding_id(
            "arn:aws:inspector:us-east-1:222222222222:target/0-a/template/0-b/run/0-c/finding/0-d",
        );
        let b = finding_id(
            "arn:aws:inspector:us-east-1:222222222222:target/0-a/template/0-b/run/0-c/finding/0-e",
        );
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert_eq!(a, finding_id("arn:aws:inspector:us-east-1:222222222222:target/0-a/template/0-b/run/0-c/finding/0-d"));
    }

    #[test]
    fn severities_order_and_serialise_in_upper_case() {
        assert!(Severity::Critical > Severity::High && Severity::Low > Severity::Informational);
        assert_eq!(
            serde_json::to_string(&Severity::Informational).unwrap(),
            "\"INFORMATIONAL\""
        );
        assert_eq!(
            serde_json::to_string(&Engine::InspectorClassic).unwrap(),
            "\"inspector_classic\""
        );
    }
}
