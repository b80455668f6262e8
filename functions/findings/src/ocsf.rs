//! A finding as an OCSF 1.1.0 Vulnerability Finding (class 2002), for Amazon Security Lake
//! and SIEMs. docs/ocsf.md has the mapping table; what OCSF has no place for goes to
//! `unmapped`. Security Lake's custom sources and Security Hub read OCSF 1.1.0, which is
//! why the version is pinned here and not the newest one.
//!
//! Empty values are left out, not written as null: OCSF's schema types every attribute,
//! and a null is not a string. The Parquet columns (modules/security-primary/athena/
//! ocsf-columns.json) hold every field these types can write; core checks that they do.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::details::DetailsStatus;
use crate::finding::{Engine, Finding, Severity, Status};
use crate::rfc3339;

/// The OCSF schema version of every record (`metadata.version`).
pub const OCSF_VERSION: &str = "1.1.0";
/// Vulnerability Finding.
pub const CLASS_UID: u32 = 2002;
/// Findings.
pub const CATEGORY_UID: u32 = 2;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VulnerabilityFinding {
    pub activity_id: u32,
    pub activity_name: String,
    pub category_uid: u32,
    pub category_name: String,
    pub class_uid: u32,
    pub class_name: String,
    pub type_uid: u32,
    pub type_name: String,
    /// When the finding last changed, epoch milliseconds.
    pub time: i64,
    pub message: String,
    pub severity_id: u32,
    pub severity: String,
    pub status_id: u32,
    pub status: String,
    pub metadata: Metadata,
    pub cloud: Cloud,
    pub finding_info: FindingInfo,
    pub resource: ResourceDetails,
    pub vulnerabilities: Vec<Vulnerability>,
    pub unmapped: Unmapped,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    pub version: String,
    pub product: Product,
    /// Unique per state of a finding: `<id>:<time>`. Consumers deduplicate on it.
    pub uid: String,
    pub log_provider: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_time: Option<String>,
    pub profiles: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    pub name: String,
    pub vendor_name: String,
    pub feature: Feature,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feature {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cloud {
    pub provider: String,
    pub region: String,
    pub account: Account,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub uid: String,
    /// 10: AWS Account.
    pub type_id: u32,
    #[serde(rename = "type")]
    pub account_type: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingInfo {
    /// The finding's ARN.
    pub uid: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desc: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_time: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceDetails {
    pub uid: String,
    #[serde(rename = "type")]
    pub resource_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub region: String,
    pub cloud_partition: String,
    /// The resource's tags as `key=value`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    pub data: ResourceData,
}

/// OCSF's `resource.data` is free-form: ours is the document's resource, network included.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResourceData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subnet_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_group_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub private_ips: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub public_ips: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository_name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pushed_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_in_use_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_use_count: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integration_arn: Option<String>,
    /// `enriched`, `instance_not_found` or `not_needed` (docs/finding-schema.md).
    pub enrichment_status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vulnerability {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desc: Option<String>,
    pub severity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cve: Option<Cve>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwe: Option<Cwe>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kb_article_list: Vec<KbArticle>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub affected_packages: Vec<AffectedPackage>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub affected_code: Vec<AffectedCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_exploit_available: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_fix_available: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<Remediation>,
    /// Who scored the vulnerability (the CVSS source, e.g. `NVD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen_time: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cve {
    pub uid: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cvss: Vec<Cvss>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epss: Option<Epss>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cvss {
    pub base_score: f64,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vector_string: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Epss {
    /// OCSF 1.1.0 types the score as a string.
    pub score: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cwe {
    pub uid: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KbArticle {
    pub uid: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AffectedPackage {
    pub name: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epoch: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_manager: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_in_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AffectedCode {
    pub file: File,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_line: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_line: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct File {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// 1: Regular File.
    pub type_id: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Remediation {
    pub desc: String,
}

/// What OCSF 1.1.0 has no attribute for: our enrichment, KEV, the lifecycle.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Unmapped {
    /// The document's id (docs/finding-schema.md): the same for every state.
    pub id: String,
    pub engine: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vulnerability_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cve_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity_score: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_score: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority_label: Option<String>,
    /// `YES`, `NO` or `PARTIAL` (`is_fix_available` is true for YES and PARTIAL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix_available: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kev: Option<UnmappedKev>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exploit_observed: Option<UnmappedExploitObserved>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ttps: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_reachability: Option<UnmappedNetworkReachability>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<UnmappedCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_changed_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_reason: Option<String>,
    pub reopened_count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_to_remediate_seconds: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnmappedKev {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_added: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_action: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnmappedExploitObserved {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnmappedNetworkReachability {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_range_begin: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_range_end: Option<u32>,
    /// `component_type:component_id`, from the outside in.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub path: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnmappedCode {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cwe_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detector_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detector_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_id: Option<String>,
}

/// OCSF's activity of a finding's state: what happened to the finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    /// Its first state: observed once, never closed or reopened.
    Create = 1,
    /// Any later state that leaves it open or suppressed.
    Update = 2,
    /// Closed.
    Close = 3,
}

impl Activity {
    pub fn of(finding: &Finding) -> Activity {
        if finding.status == Status::Closed {
            Activity::Close
        } else if finding.reopened_count == 0
            && finding.last_observed_at == finding.first_observed_at
        {
            Activity::Create
        } else {
            Activity::Update
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Activity::Create => "Create",
            Activity::Update => "Update",
            Activity::Close => "Close",
        }
    }
}

impl VulnerabilityFinding {
    /// `finding` (a stored state) as OCSF; `log_provider` names what wrote it, e.g.
    /// `inspectorlink 0.1.0`.
    pub fn from_finding(finding: &Finding, log_provider: &str) -> VulnerabilityFinding {
        let activity = Activity::of(finding);
        let millis = |text: &str| rfc3339::millis(text);
        let first_seen = millis(&finding.first_observed_at);
        let last_seen = millis(&finding.last_observed_at);
        let modified = finding.updated_at.as_deref().and_then(millis);
        let time = modified.or(last_seen).or(first_seen).unwrap_or(0);
        let (severity_id, severity) = severity(finding.severity);
        let (status_id, status) = status(finding);
        let (product, feature) = match finding.engine {
            Engine::InspectorV2 => ("Amazon Inspector", "Inspector v2"),
            Engine::InspectorClassic => ("Amazon Inspector Classic", "Inspector Classic"),
        };
        let resource = &finding.resource;
        let non_empty = |text: &str| (!text.is_empty()).then(|| text.to_owned());
        let details = finding.details.as_ref();
        let priority = finding.current_priority();
        VulnerabilityFinding {
            activity_id: activity as u32,
            activity_name: activity.name().to_owned(),
            category_uid: CATEGORY_UID,
            category_name: "Findings".to_owned(),
            class_uid: CLASS_UID,
            class_name: "Vulnerability Finding".to_owned(),
            type_uid: CLASS_UID * 100 + activity as u32,
            type_name: format!("Vulnerability Finding: {}", activity.name()),
            time,
            message: finding.title.clone(),
            severity_id,
            severity: severity.to_owned(),
            status_id,
            status: status.to_owned(),
            metadata: Metadata {
                version: OCSF_VERSION.to_owned(),
                product: Product {
                    name: product.to_owned(),
                    vendor_name: "AWS".to_owned(),
                    feature: Feature {
                        name: feature.to_owned(),
                    },
                },
                uid: format!("{}:{time}", finding.id),
                log_provider: log_provider.to_owned(),
                original_time: finding.updated_at.clone(),
                profiles: vec!["cloud".to_owned()],
            },
            cloud: Cloud {
                provider: "AWS".to_owned(),
                region: finding.region.clone(),
                account: Account {
                    uid: finding.account_id.clone(),
                    type_id: 10,
                    account_type: "AWS Account".to_owned(),
                },
            },
            finding_info: FindingInfo {
                uid: finding.finding_arn.clone(),
                title: finding.title.clone(),
                desc: non_empty(&finding.description),
                types: non_empty(&finding.finding_type).into_iter().collect(),
                created_time: first_seen,
                first_seen_time: first_seen,
                last_seen_time: last_seen,
                modified_time: modified,
            },
            resource: ResourceDetails {
                uid: resource.id.clone(),
                resource_type: resource.resource_type.clone(),
                name: resource
                    .hostname
                    .clone()
                    .or_else(|| resource.function_name.clone())
                    .or_else(|| resource.repository_name.clone())
                    .or_else(|| resource.project_name.clone()),
                region: finding.region.clone(),
                cloud_partition: partition(&finding.finding_arn).to_owned(),
                labels: resource
                    .tags
                    .iter()
                    .map(|(key, value)| format!("{key}={value}"))
                    .collect(),
                data: ResourceData {
                    image_id: resource.image_id.clone(),
                    hostname: resource.hostname.clone(),
                    platform: resource.platform.clone(),
                    vpc_id: resource.vpc_id.clone(),
                    subnet_ids: resource.subnet_ids.clone(),
                    security_group_ids: resource.security_group_ids.clone(),
                    private_ips: resource.private_ips.clone(),
                    public_ips: resource.public_ips.clone(),
                    tags: resource.tags.clone(),
                    repository_name: resource.repository_name.clone(),
                    image_tags: resource.image_tags.clone(),
                    pushed_at: resource.pushed_at.clone(),
                    last_in_use_at: resource.last_in_use_at.clone(),
                    in_use_count: resource.in_use_count,
                    function_name: resource.function_name.clone(),
                    runtime: resource.runtime.clone(),
                    project_name: resource.project_name.clone(),
                    provider_type: resource.provider_type.clone(),
                    integration_arn: resource.integration_arn.clone(),
                    enrichment_status: enrichment_status(finding).to_owned(),
                },
            },
            vulnerabilities: vulnerabilities(finding, severity, first_seen, last_seen),
            unmapped: Unmapped {
                id: finding.id.clone(),
                engine: finding.engine.as_str().to_owned(),
                vulnerability_id: finding.vulnerability_id.clone(),
                cve_ids: finding.cve_ids.clone(),
                severity_score: finding.severity_score,
                priority_score: Some(u32::from(priority.score)),
                priority_label: Some(priority.label.as_str().to_owned()),
                fix_available: finding.fix_available.clone(),
                details_status: details.map(|d| details_status(d.status).to_owned()),
                details_reason: details.and_then(|d| d.reason.clone()),
                kev: details.and_then(|d| d.kev.as_ref()).map(|kev| UnmappedKev {
                    date_added: kev.date_added.clone(),
                    due_date: kev.due_date.clone(),
                    required_action: kev.required_action.clone(),
                }),
                exploit_observed: details
                    .and_then(|d| d.exploit_observed.as_ref())
                    .map(|seen| UnmappedExploitObserved {
                        first_seen: seen.first_seen.clone(),
                        last_seen: seen.last_seen.clone(),
                    }),
                ttps: details.map(|d| d.ttps.clone()).unwrap_or_default(),
                tools: details.map(|d| d.tools.clone()).unwrap_or_default(),
                network_reachability: finding.network_reachability.as_ref().map(|reach| {
                    UnmappedNetworkReachability {
                        protocol: reach.protocol.clone(),
                        port_range_begin: reach.port_range_begin,
                        port_range_end: reach.port_range_end,
                        path: reach
                            .path
                            .iter()
                            .map(|step| format!("{}:{}", step.component_type, step.component_id))
                            .collect(),
                    }
                }),
                code: finding
                    .code_vulnerability
                    .as_ref()
                    .map(|code| UnmappedCode {
                        cwe_ids: code.cwe_ids.clone(),
                        detector_id: code.detector_id.clone(),
                        detector_name: code.detector_name.clone(),
                        rule_id: code.rule_id.clone(),
                    }),
                status_changed_at: finding.status_changed_at.clone(),
                closed_at: finding.closed_at.clone(),
                closed_reason: finding.closed_reason.map(|r| r.as_str().to_owned()),
                reopened_count: finding.reopened_count,
                time_to_remediate_seconds: finding.time_to_remediate_seconds,
            },
        }
    }

    /// The Security Lake partition of this record: `region=…/accountId=…/eventDay=YYYYMMDD`,
    /// the day (UTC) of `time`.
    pub fn partition(&self) -> String {
        let day = time::OffsetDateTime::from_unix_timestamp(self.time.div_euclid(1000))
            .map(|t| {
                let date = t.date();
                format!(
                    "{:04}{:02}{:02}",
                    date.year(),
                    u8::from(date.month()),
                    date.day()
                )
            })
            .unwrap_or_else(|_| "19700101".to_owned());
        format!(
            "region={}/accountId={}/eventDay={day}",
            self.cloud.region, self.cloud.account.uid
        )
    }
}

fn severity(severity: Severity) -> (u32, &'static str) {
    match severity {
        Severity::Informational => (1, "Informational"),
        Severity::Low => (2, "Low"),
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
        // Not rated yet by its vendor: OCSF's "Other", with our caption.
        Severity::Untriaged => (99, "Untriaged"),
    }
}

fn status(finding: &Finding) -> (u32, &'static str) {
    match finding.status {
        Status::Active => (1, "New"),
        Status::Suppressed => (3, "Suppressed"),
        // Closed because Inspector stopped scanning the resource: nothing was resolved.
        Status::Closed if finding.closed_reason.is_some() => (99, "Closed: no longer scanned"),
        Status::Closed => (4, "Resolved"),
    }
}

fn details_status(status: DetailsStatus) -> &'static str {
    match status {
        DetailsStatus::Fetched => "fetched",
        DetailsStatus::NotFound => "not_found",
        DetailsStatus::Unavailable => "unavailable",
    }
}

fn enrichment_status(finding: &Finding) -> &'static str {
    match finding.enrichment.status {
        crate::finding::EnrichmentStatus::Enriched => "enriched",
        crate::finding::EnrichmentStatus::InstanceNotFound => "instance_not_found",
        crate::finding::EnrichmentStatus::NotNeeded => "not_needed",
    }
}

/// `aws`, `aws-cn`, `aws-us-gov`: the ARN's second field.
fn partition(arn: &str) -> &str {
    arn.split(':')
        .nth(1)
        .filter(|p| !p.is_empty())
        .unwrap_or("aws")
}

/// The CWE of a finding with no CVE: CWE-668 (Exposure of Resource to Wrong Sphere) for
/// what is reachable from where it should not be, CWE-16 (Configuration) for the rest.
fn weakness_without_cve(finding: &Finding) -> &'static str {
    let reachability = finding.network_reachability.is_some()
        || finding
            .finding_type
            .eq_ignore_ascii_case("NETWORK_REACHABILITY")
        || finding
            .finding_type
            .eq_ignore_ascii_case("Network Reachability");
    if reachability {
        "CWE-668"
    } else {
        "CWE-16"
    }
}

/// One vulnerability per CVE of a Windows KB finding (each with the KB), else one.
fn vulnerabilities(
    finding: &Finding,
    severity: &str,
    first_seen: Option<i64>,
    last_seen: Option<i64>,
) -> Vec<Vulnerability> {
    let kb = finding
        .vulnerability_id
        .as_deref()
        .filter(|id| id.starts_with("KB"));
    // A package finding's id is a CVE id or, for a vulnerability without one, the
    // advisory's (GHSA-…, ALAS-…): `cve.uid` holds it either way, as Inspector names it.
    let cves: Vec<&str> = match (kb, finding.vulnerability_id.as_deref()) {
        (Some(_), _) => finding.cve_ids.iter().map(String::as_str).collect(),
        (None, Some(id)) => vec![id],
        (None, None) => finding
            .cve_ids
            .first()
            .map(String::as_str)
            .into_iter()
            .collect(),
    };
    // OCSF 1.1.0 wants a CVE or a CWE on every vulnerability: a finding with neither is
    // an exposure (network reachability) or a configuration weakness (Classic's CIS and
    // best-practice rules), docs/ocsf.md.
    let cwe = finding
        .code_vulnerability
        .as_ref()
        .and_then(|code| code.cwe_ids.first().cloned())
        .or_else(|| {
            cves.is_empty()
                .then(|| weakness_without_cve(finding).to_owned())
        })
        .map(|uid| Cwe { uid });
    let cvss: Vec<Cvss> = finding
        .cvss
        .iter()
        .filter_map(|cvss| {
            Some(Cvss {
                base_score: cvss.base_score?,
                version: cvss.version.clone()?,
                vector_string: cvss.scoring_vector.clone(),
            })
        })
        .collect();
    let cve = |uid: &str| Cve {
        uid: uid.to_owned(),
        cvss: cvss.clone(),
        epss: finding.epss_score.map(|score| Epss {
            score: score.to_string(),
        }),
    };
    let one = |cve: Option<Cve>| Vulnerability {
        title: cve
            .as_ref()
            .map(|c| c.uid.clone())
            .or_else(|| finding.vulnerability_id.clone())
            .unwrap_or_else(|| finding.title.clone()),
        desc: (!finding.description.is_empty()).then(|| finding.description.clone()),
        severity: severity.to_owned(),
        cve,
        cwe: cwe.clone(),
        kb_article_list: kb
            .map(|uid| KbArticle {
                uid: uid.to_owned(),
            })
            .into_iter()
            .collect(),
        affected_packages: finding
            .vulnerable_packages
            .iter()
            .map(|p| AffectedPackage {
                name: p.name.clone(),
                version: p.version.clone(),
                epoch: p.epoch,
                release: p.release.clone(),
                architecture: p.arch.clone(),
                package_manager: p.package_manager.clone(),
                fixed_in_version: p.fixed_in_version.clone(),
                path: p.file_path.clone(),
            })
            .collect(),
        affected_code: finding
            .code_vulnerability
            .iter()
            .filter_map(|code| {
                let path = code.file_path.clone();
                let name = code.file_name.clone().or_else(|| {
                    path.as_deref()
                        .and_then(|p| p.rsplit('/').next())
                        .map(str::to_owned)
                })?;
                Some(AffectedCode {
                    file: File {
                        name,
                        path,
                        type_id: 1,
                    },
                    start_line: code.start_line,
                    end_line: code.end_line,
                })
            })
            .collect(),
        is_exploit_available: finding.exploit_available,
        is_fix_available: finding
            .fix_available
            .as_deref()
            .map(|fix| fix == "YES" || fix == "PARTIAL"),
        remediation: (!finding.recommendation.is_empty()).then(|| Remediation {
            desc: finding.recommendation.clone(),
        }),
        vendor_name: finding.cvss.as_ref().and_then(|c| c.source.clone()),
        first_seen_time: first_seen,
        last_seen_time: last_seen,
    };
    if cves.is_empty() {
        vec![one(None)]
    } else {
        cves.into_iter().map(|uid| one(Some(cve(uid)))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::details::{ExploitObserved, FindingDetails, Kev};
    use crate::finding::ClosedReason;
    use crate::testing;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/inspector2");
    /// The expected records, checked in; tests/localaws validates each against the OCSF
    /// schema. `INSPECTORLINK_WRITE_OCSF_EXAMPLES=1 cargo test -p inspectorlink-findings
    /// ocsf` rewrites them after a deliberate change: review the diff.
    const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ocsf");

    fn v2(name: &str) -> Finding {
        let text = std::fs::read_to_string(format!("{FIXTURES}/{name}.json")).unwrap();
        let mut event: serde_json::Value = serde_json::from_str(&text).unwrap();
        crate::v2::normalise(event["detail"].take()).unwrap()
    }

    /// Every shape the pipeline stores, one record each.
    fn examples() -> Vec<(String, Finding)> {
        let mut examples: Vec<(String, Finding)> = [
            "ec2-package-vulnerability",
            "ec2-network-reachability",
            "ecr-package-vulnerability",
            "lambda-package-vulnerability",
            "lambda-code-vulnerability",
            "ec2-windows-kb-package-vulnerability",
            "ecr-package-vulnerability-closed-expired",
            "ecr-package-vulnerability-untriaged",
            "code-repository-code-vulnerability",
        ]
        .into_iter()
        .map(|name| (name.to_owned(), v2(name)))
        .collect();
        let mut kev = v2("ec2-windows-kb-package-vulnerability");
        kev.set_details(FindingDetails {
            status: DetailsStatus::Fetched,
            reason: None,
            kev: Some(Kev {
                date_added: Some("2022-03-25T00:00:00Z".to_owned()),
                due_date: Some("2022-04-15T00:00:00Z".to_owned()),
                required_action: Some("Apply updates per vendor instructions.".to_owned()),
            }),
            exploit_observed: Some(ExploitObserved {
                first_seen: Some("2017-05-12T00:00:00Z".to_owned()),
                last_seen: Some("2026-11-30T00:00:00Z".to_owned()),
            }),
            ttps: vec!["T1210".to_owned()],
            tools: vec!["EternalBlue".to_owned()],
        });
        examples.push(("ec2-windows-kb-with-kev-details".to_owned(), kev));
        let mut closed = v2("ec2-package-vulnerability");
        closed.status = Status::Closed;
        closed.updated_at = Some("2026-03-10T08:00:00Z".to_owned());
        closed.status_changed_at = closed.updated_at.clone();
        closed.closed_at = closed.updated_at.clone();
        closed.reopened_count = 1;
        closed.time_to_remediate_seconds = Some(86_400);
        examples.push(("ec2-package-vulnerability-fixed".to_owned(), closed));
        let mut classic = testing::finding(
            "0c1a551c",
            "222222222222",
            "eu-west-1",
            Severity::High,
            Status::Active,
        );
        classic.cve_ids = vec!["CVE-2021-44228".to_owned()];
        classic.description = "Log4Shell".to_owned();
        classic.recommendation = "Update log4j".to_owned();
        classic
            .resource
            .tags
            .insert("team".to_owned(), "payments".to_owned());
        classic.resource.vpc_id = Some("vpc-0a1b".to_owned());
        classic.resource.public_ips = vec!["203.0.113.7".to_owned()];
        examples.push(("classic-cve".to_owned(), classic.prioritised()));
        let mut cis = testing::finding(
            "0c15be4c",
            "222222222222",
            "eu-west-1",
            Severity::Medium,
            Status::Active,
        );
        cis.finding_type = "CIS Operating System Security Configuration Benchmarks".to_owned();
        examples.push(("classic-cis-benchmark".to_owned(), cis.prioritised()));
        examples
    }

    #[test]
    fn every_shape_maps_to_its_checked_in_record() {
        let write = std::env::var_os("INSPECTORLINK_WRITE_OCSF_EXAMPLES").is_some();
        for (name, finding) in examples() {
            let record = VulnerabilityFinding::from_finding(&finding, "inspectorlink test");
            let json = serde_json::to_string_pretty(&record).unwrap() + "\n";
            let path = format!("{EXAMPLES}/{name}.json");
            if write {
                std::fs::create_dir_all(EXAMPLES).unwrap();
                std::fs::write(&path, &json).unwrap();
            }
            let expected = std::fs::read_to_string(&path).unwrap_or_else(|err| {
                panic!("{path}: {err}; write it with INSPECTORLINK_WRITE_OCSF_EXAMPLES=1")
            });
            assert_eq!(json, expected, "{name}: the record differs from {path}");
            let back: VulnerabilityFinding = serde_json::from_str(&json).unwrap();
            assert_eq!(back, record, "{name} does not read back");
        }
    }

    #[test]
    fn the_class_activity_and_type_agree() {
        for (name, finding) in examples() {
            let record = VulnerabilityFinding::from_finding(&finding, "t");
            assert_eq!(record.type_uid, 200_200 + record.activity_id, "{name}");
            assert_eq!(record.class_uid, 2002);
            assert!(!record.vulnerabilities.is_empty(), "{name}");
            let expected = match finding.status {
                Status::Closed => Activity::Close,
                _ if finding.last_observed_at == finding.first_observed_at => Activity::Create,
                _ => Activity::Update,
            };
            assert_eq!(record.activity_id, expected as u32, "{name}");
        }
    }

    #[test]
    fn a_windows_kb_finding_is_one_vulnerability_per_cve_each_naming_the_kb() {
        let finding = v2("ec2-windows-kb-package-vulnerability");
        let record = VulnerabilityFinding::from_finding(&finding, "t");
        let cves: Vec<&str> = record
            .vulnerabilities
            .iter()
            .map(|v| v.cve.as_ref().unwrap().uid.as_str())
            .collect();
        assert_eq!(
            cves,
            finding
                .cve_ids
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
        );
        assert!(cves.len() > 1);
        for vulnerability in &record.vulnerabilities {
            assert_eq!(vulnerability.kb_article_list[0].uid, "KB4012212");
        }
    }

    #[test]
    fn closed_because_no_longer_scanned_is_not_resolved() {
        let mut expired = v2("ecr-package-vulnerability-closed-expired");
        assert_eq!(expired.closed_reason, Some(ClosedReason::NoLongerScanned));
        let record = VulnerabilityFinding::from_finding(&expired, "t");
        assert_eq!(
            (record.status_id, record.status.as_str()),
            (99, "Closed: no longer scanned")
        );
        expired.closed_reason = None;
        let record = VulnerabilityFinding::from_finding(&expired, "t");
        assert_eq!((record.status_id, record.status.as_str()), (4, "Resolved"));
    }

    #[test]
    fn a_finding_without_a_cve_names_the_weakness_ocsf_asks_for() {
        let cwe = |finding: &Finding| {
            let record = VulnerabilityFinding::from_finding(finding, "t");
            let vulnerability = &record.vulnerabilities[0];
            assert!(vulnerability.cve.is_none());
            vulnerability.cwe.as_ref().unwrap().uid.clone()
        };
        assert_eq!(cwe(&v2("ec2-network-reachability")), "CWE-668");
        let code = v2("lambda-code-vulnerability");
        assert_eq!(
            cwe(&code),
            code.code_vulnerability.as_ref().unwrap().cwe_ids[0]
        );
        let cis = testing::finding("1", "1", "r", Severity::Low, Status::Active);
        assert_eq!(cwe(&cis), "CWE-16");
    }

    #[test]
    fn the_partition_is_the_utc_day_of_the_time() {
        let mut finding = v2("ec2-package-vulnerability");
        finding.updated_at = Some("2026-12-31T23:59:59.999Z".to_owned());
        let record = VulnerabilityFinding::from_finding(&finding, "t");
        assert_eq!(
            record.partition(),
            format!(
                "region={}/accountId={}/eventDay=20261231",
                finding.region, finding.account_id
            )
        );
    }
}
