//! The normalised finding document: one type for both engines, documented field by field
//! in docs/finding-schema.md. S3 objects and OpenSearch documents are this type as JSON.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::details::FindingDetails;
use crate::priority::Priority;

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

    // Added in schema version 1 for Inspector v2, additively: a document without them (all
    // written before them, and Classic ones still) reads back with the defaults, and they are
    // left out when empty, so a Classic document is what it was and an index mapped before
    // them still takes it.
    /// v2 `updatedAt` (RFC 3339, UTC): the engine's last change to the finding, a status
    /// change included (`last_observed_at` need not move when a finding closes). Classic: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// v2 `packageVulnerabilityDetails.vulnerabilityId`: a CVE id, or e.g. `GHSA-…`, `ALAS-…`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vulnerability_id: Option<String>,
    /// v2 `fixAvailable`: `YES`, `NO` or `PARTIAL` (some but not all packages have a fix).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix_available: Option<String>,
    /// v2 `exploitAvailable`: `YES` → true, `NO` → false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exploit_available: Option<bool>,
    /// v2 `epss.score`: the probability (0-1) that the vulnerability is exploited soon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epss_score: Option<f64>,
    /// The CVSS score the severity rests on (v2: Inspector's adjusted CVSS, else the vendor's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss: Option<Cvss>,
    /// v2 package vulnerability findings: the packages that carry the vulnerability.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vulnerable_packages: Vec<VulnerablePackage>,
    /// v2 network reachability findings: what is open and along which path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_reachability: Option<NetworkReachability>,
    /// v2 code vulnerability findings (Lambda code, code repositories): where and which rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_vulnerability: Option<CodeVulnerability>,
    /// v2 CLOSED findings: why Inspector closed it, when the event shows it; none when the
    /// event does not say (a fix looks the same as a terminated instance) and for open ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_reason: Option<ClosedReason>,
    /// Both engines: the priority (docs/finding-schema.md, "Priority"), set by
    /// normalisation. Documents written before it have none: [`Finding::current_priority`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    /// v2 package vulnerability findings: KEV, exploitation observed, ATT&CK techniques and
    /// tools from BatchGetFindingDetails, or why there are none. Set by send-findings (and
    /// notify-findings) after normalisation; none for other findings and for Classic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<FindingDetails>,

    // A v2 finding's lifecycle across its states (lifecycle.rs), set by send-findings from
    // the state stored before; additive like the v2 fields, and absent for Classic.
    /// RFC 3339, UTC: when the finding entered its current status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_changed_at: Option<String>,
    /// RFC 3339, UTC: when it closed (CLOSED only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<String>,
    /// How often it went from CLOSED back to ACTIVE; absent means 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub reopened_count: u32,
    /// From `first_observed_at` to `closed_at`, in seconds (CLOSED only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_to_remediate_seconds: Option<i64>,
}

fn is_zero(count: &u32) -> bool {
    *count == 0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cvss {
    pub base_score: Option<f64>,
    pub scoring_vector: Option<String>,
    /// e.g. `3.1`.
    pub version: Option<String>,
    /// Who scored it, e.g. `NVD`, `UBUNTU_CVE`.
    pub source: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VulnerablePackage {
    pub name: String,
    pub version: String,
    pub epoch: Option<i64>,
    pub release: Option<String>,
    pub arch: Option<String>,
    /// e.g. `OS`, `PIP`, `NPM`, `JAR`.
    pub package_manager: Option<String>,
    pub fixed_in_version: Option<String>,
    pub file_path: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkReachability {
    /// `TCP` or `UDP`.
    pub protocol: Option<String>,
    pub port_range_begin: Option<u32>,
    pub port_range_end: Option<u32>,
    /// The path from the outside to the resource, in order.
    pub path: Vec<NetworkPathStep>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkPathStep {
    pub component_id: String,
    /// e.g. `AWS::EC2::InternetGateway`, `AWS::EC2::SecurityGroup`.
    pub component_type: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeVulnerability {
    pub cwe_ids: Vec<String>,
    pub detector_id: Option<String>,
    pub detector_name: Option<String>,
    pub rule_id: Option<String>,
    /// The file's path in the function's code or the repository.
    pub file_path: Option<String>,
    pub start_line: Option<i64>,
    pub end_line: Option<i64>,
    /// The file's name (`filePath.fileName`); added after the fields above, additively.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
}

/// Why Inspector v2 closed a finding, as far as its event shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClosedReason {
    /// Inspector stopped scanning the resource; nothing was fixed. An ECR image's packages
    /// never change (its digest names its content), so its findings close only when
    /// Inspector stops monitoring it: its re-scan duration expired (coverage reason
    /// `SCAN_ELIGIBILITY_EXPIRED`) or it was deleted; the event does not say which.
    NoLongerScanned,
}

impl ClosedReason {
    pub fn as_str(self) -> &'static str {
        match self {
            ClosedReason::NoLongerScanned => "no_longer_scanned",
        }
    }
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
    /// v2: the vendor has not rated the vulnerability yet. Ordered above INFORMATIONAL (it
    /// may turn out to be anything; an informational finding is known to be minor) and
    /// below LOW, so that a threshold at LOW or above never takes it on no evidence, and a
    /// threshold at INFORMATIONAL (everything) still does.
    Untriaged,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Informational => "INFORMATIONAL",
            Severity::Untriaged => "UNTRIAGED",
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
    /// `AWS_EC2_INSTANCE` (and, with Inspector v2, `AWS_ECR_CONTAINER_IMAGE`,
    /// `AWS_LAMBDA_FUNCTION`, `CODE_REPOSITORY`, or whatever other type v2 names).
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
    // Added for Inspector v2 resources, additively like Finding's v2 fields.
    /// The OS platform Inspector saw, e.g. `UBUNTU_22_04` (EC2 instances, ECR images).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// ECR images: the repository name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository_name: Option<String>,
    /// ECR images: the image's tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_tags: Vec<String>,
    /// Lambda functions: the function name (`id` is its ARN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_name: Option<String>,
    /// Lambda functions: the runtime, e.g. `PYTHON_3_11`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    /// ECR images: when the image was pushed (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pushed_at: Option<String>,
    /// ECR images: when an ECS task or EKS pod last ran the image (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_in_use_at: Option<String>,
    /// ECR images: how many ECS tasks or EKS pods run the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_use_count: Option<i64>,
    /// Code repositories: the project's name at the provider (`id` is Inspector's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_name: Option<String>,
    /// Code repositories: the provider, `GITHUB` or `GITLAB_SELF_MANAGED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_type: Option<String>,
    /// Code repositories: the ARN of Inspector's code security integration with the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration_arn: Option<String>,
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
    /// A finding with its identity (engine, ARN, account, region; the id from the ARN) and
    /// nothing else yet: empty text and times, INFORMATIONAL, ACTIVE, no resource, no
    /// v2-only fields, no raw document. Normalisers and tests fill in the rest with struct
    /// update syntax (`Finding { title, ..Finding::new(...) }`).
    pub fn new(engine: Engine, finding_arn: &str, account_id: &str, region: &str) -> Finding {
        Finding {
            schema_version: SCHEMA_VERSION,
            id: finding_id(finding_arn),
            engine,
            finding_arn: finding_arn.to_owned(),
            account_id: account_id.to_owned(),
            region: region.to_owned(),
            title: String::new(),
            description: String::new(),
            recommendation: String::new(),
            severity: Severity::Informational,
            severity_score: None,
            finding_type: String::new(),
            cve_ids: Vec::new(),
            status: Status::Active,
            first_observed_at: String::new(),
            last_observed_at: String::new(),
            resource: Resource::default(),
            enrichment: Enrichment {
                status: EnrichmentStatus::NotNeeded,
                detail: None,
            },
            raw: serde_json::Value::Null,
            updated_at: None,
            vulnerability_id: None,
            fix_available: None,
            exploit_available: None,
            epss_score: None,
            cvss: None,
            vulnerable_packages: Vec::new(),
            network_reachability: None,
            code_vulnerability: None,
            closed_reason: None,
            priority: None,
            details: None,
            status_changed_at: None,
            closed_at: None,
            reopened_count: 0,
            time_to_remediate_seconds: None,
        }
    }

    /// This finding with its priority set from what it says now: the last step of
    /// normalisation (after enrichment, which a Classic finding's exposure depends on).
    pub fn prioritised(mut self) -> Finding {
        self.priority = Some(Priority::of(&self));
        self
    }

    /// Sets what BatchGetFindingDetails says of this finding, and the priority that
    /// follows from it.
    pub fn set_details(&mut self, details: FindingDetails) {
        self.details = Some(details);
        self.priority = Some(Priority::of(self));
    }

    /// What digests and tickets per vulnerability group findings by: the vulnerability id
    /// Inspector gives (a CVE, a GHSA, a Windows KB), else the first CVE, else the title.
    pub fn vulnerability_group(&self) -> String {
        self.vulnerability_id
            .clone()
            .or_else(|| self.cve_ids.first().cloned())
            .unwrap_or_else(|| self.title.trim().to_owned())
    }

    /// The stored priority or, for a document written before priorities, the priority of
    /// the document as it is.
    pub fn current_priority(&self) -> Priority {
        self.priority.unwrap_or_else(|| Priority::of(self))
    }

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

    /// The key of this state's history entry (a status change, core's s3.rs): the finding's
    /// own key under `prefix`, as a folder of one object per state, named by its version.
    /// None without a version to name it by.
    pub fn history_key(&self, prefix: &str) -> Option<String> {
        let folder = self.s3_key(prefix);
        let folder = folder.strip_suffix(".json").unwrap_or(&folder);
        Some(format!("{folder}/{}.json", self.version()?))
    }

    /// The version of this state of the finding, so that no write replaces a newer state
    /// with an older one (OpenSearch external versioning, S3 object metadata): `updated_at`
    /// (v2 moves it on every change, closure included), else `last_observed_at` (Classic has
    /// no `updated_at`), in milliseconds since the epoch. None when neither is a readable time.
    pub fn version(&self) -> Option<i64> {
        let millis = crate::rfc3339::millis;
        match &self.updated_at {
            Some(updated_at) => millis(updated_at),
            None => millis(&self.last_observed_at),
        }
    }

    /// Whether this state of a finding is at least as recent as `other`, another state of
    /// the same finding: by `version`; a finding without one is oldest.
    pub fn supersedes(&self, other: &Finding) -> bool {
        self.version() >= other.version()
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
        // Below every threshold but "everything": LOW and up never include it.
        assert!(
            Severity::Untriaged < Severity::Low && Severity::Untriaged > Severity::Informational
        );
        assert_eq!(
            serde_json::to_string(&Severity::Informational).unwrap(),
            "\"INFORMATIONAL\""
        );
        assert_eq!(
            serde_json::to_string(&Severity::Untriaged).unwrap(),
            format!("\"{}\"", Severity::Untriaged.as_str())
        );
        assert_eq!(
            serde_json::from_str::<Severity>("\"UNTRIAGED\"").unwrap(),
            Severity::Untriaged
        );
        assert_eq!(
            serde_json::to_string(&Engine::InspectorClassic).unwrap(),
            "\"inspector_classic\""
        );
    }

    #[test]
    fn documents_written_before_the_v2_fields_still_read() {
        // A schema version 1 document as the Classic pipeline wrote it before Inspector v2.
        let old = serde_json::json!({
            "schema_version": 1, "id": "0123456789abcdef0123456789abcdef",
            "engine": "inspector_classic",
            "finding_arn": "arn:aws:inspector:us-east-1:222222222222:target/0-a/template/0-b/run/0-c/finding/0-d",
            "account_id": "222222222222", "region": "us-east-1",
            "title": "t", "description": "d", "recommendation": "r",
            "severity": "HIGH", "severity_score": 9.0, "finding_type": "Common Vulnerabilities and Exposures",
            "cve_ids": ["CVE-2021-44228"], "status": "ACTIVE",
            "first_observed_at": "2025-11-24T16:00:00Z", "last_observed_at": "2025-11-24T16:00:00Z",
            "resource": {"type": "AWS_EC2_INSTANCE", "id": "i-1", "image_id": null, "hostname": null,
                "vpc_id": null, "subnet_ids": [], "security_group_ids": [], "private_ips": [],
                "public_ips": [], "tags": {}},
            "enrichment": {"status": "instance_not_found", "detail": null},
            "raw": {}
        });
        let doc: Finding = serde_json::from_value(old).unwrap();
        assert_eq!(
            (doc.fix_available, doc.cvss, doc.updated_at),
            (None, None, None)
        );
        assert!(doc.vulnerable_packages.is_empty() && doc.resource.image_tags.is_empty());
    }

    #[test]
    fn the_later_version_of_a_finding_supersedes() {
        let at = |updated: Option<&str>, last: &str| {
            let mut f: Finding = serde_json::from_value(serde_json::json!({
                "schema_version": 1, "id": "x", "engine": "inspector_v2", "finding_arn": "a",
                "account_id": "1", "region": "r", "title": "", "description": "",
                "recommendation": "", "severity": "LOW", "severity_score": null,
                "finding_type": "", "cve_ids": [], "status": "ACTIVE",
                "first_observed_at": "2024-01-01T00:00:00Z", "last_observed_at": last,
                "resource": {"type": "T", "id": "i", "image_id": null, "hostname": null,
                    "vpc_id": null, "subnet_ids": [], "security_group_ids": [],
                    "private_ips": [], "public_ips": [], "tags": {}},
                "enrichment": {"status": "not_needed", "detail": null}, "raw": null
            }))
            .unwrap();
            f.updated_at = updated.map(str::to_owned);
            f
        };
        // As times, not strings: "…44Z" sorts after "…44.5Z" as text.
        let earlier = at(Some("2024-09-04T16:59:44Z"), "2024-09-04T16:59:44Z");
        let later = at(Some("2024-09-04T16:59:44.5Z"), "2024-09-04T16:59:44Z");
        assert!(later.supersedes(&earlier) && !earlier.supersedes(&later));
        assert!(later.supersedes(&later.clone()));
        assert_eq!(later.version(), Some(1_725_469_184_500));
        // Without updated_at (Classic), last_observed_at decides.
        let (a, b) = (
            at(None, "2024-01-02T00:00:00Z"),
            at(None, "2024-01-01T00:00:00Z"),
        );
        assert!(a.supersedes(&b) && !b.supersedes(&a));
        assert_eq!(b.version(), Some(1_704_067_200_000));
        assert_eq!(at(None, "yesterday").version(), None);
    }
}
