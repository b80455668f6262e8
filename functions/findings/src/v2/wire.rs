//! The fields of an Inspector v2 API `Finding` (the detail of an `Inspector2 Finding`
//! event) that the document is made from, with the API's camelCase names; unknown fields
//! are ignored and every field is optional (`normalise` says which ones it needs).

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

/// The fields of an API `Finding` that the document is made from.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct V2Finding {
    pub finding_arn: Option<String>,
    pub aws_account_id: Option<String>,
    #[serde(rename = "type")]
    pub finding_type: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub remediation: Option<Remediation>,
    pub severity: Option<String>,
    pub status: Option<String>,
    pub inspector_score: Option<f64>,
    pub inspector_score_details: Option<InspectorScoreDetails>,
    /// Timestamps: strings in events, numbers (epoch seconds) in the API's JSON.
    pub first_observed_at: Option<serde_json::Value>,
    pub last_observed_at: Option<serde_json::Value>,
    pub updated_at: Option<serde_json::Value>,
    pub fix_available: Option<String>,
    pub exploit_available: Option<String>,
    pub epss: Option<Epss>,
    #[serde(default, deserialize_with = "nullable")]
    pub resources: Vec<V2Resource>,
    pub package_vulnerability_details: Option<PackageVulnerabilityDetails>,
    pub network_reachability_details: Option<NetworkReachabilityDetails>,
    pub code_vulnerability_details: Option<CodeVulnerabilityDetails>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Remediation {
    pub recommendation: Option<Recommendation>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recommendation {
    pub text: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InspectorScoreDetails {
    pub adjusted_cvss: Option<AdjustedCvss>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdjustedCvss {
    pub score: Option<f64>,
    pub scoring_vector: Option<String>,
    pub version: Option<String>,
    pub score_source: Option<String>,
    pub cvss_source: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Epss {
    pub score: Option<f64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PackageVulnerabilityDetails {
    pub vulnerability_id: Option<String>,
    pub source: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub cvss: Vec<CvssScore>,
    #[serde(default, deserialize_with = "nullable")]
    pub related_vulnerabilities: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub vulnerable_packages: Vec<V2Package>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CvssScore {
    pub base_score: Option<f64>,
    pub scoring_vector: Option<String>,
    pub source: Option<String>,
    pub version: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct V2Package {
    pub name: Option<String>,
    pub version: Option<String>,
    pub epoch: Option<i64>,
    pub release: Option<String>,
    pub arch: Option<String>,
    pub package_manager: Option<String>,
    pub fixed_in_version: Option<String>,
    pub file_path: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkReachabilityDetails {
    pub protocol: Option<String>,
    pub open_port_range: Option<PortRange>,
    pub network_path: Option<NetworkPath>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PortRange {
    pub begin: Option<u32>,
    pub end: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct NetworkPath {
    #[serde(default, deserialize_with = "nullable")]
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    pub component_id: Option<String>,
    pub component_type: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeVulnerabilityDetails {
    #[serde(default, deserialize_with = "nullable")]
    pub cwes: Vec<String>,
    pub detector_id: Option<String>,
    pub detector_name: Option<String>,
    pub rule_id: Option<String>,
    pub file_path: Option<CodeFilePath>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeFilePath {
    pub file_name: Option<String>,
    pub file_path: Option<String>,
    pub start_line: Option<i64>,
    pub end_line: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct V2Resource {
    #[serde(rename = "type")]
    pub resource_type: Option<String>,
    pub id: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub tags: BTreeMap<String, Option<String>>,
    pub details: Option<ResourceDetails>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceDetails {
    pub aws_ec2_instance: Option<Ec2Instance>,
    pub aws_ecr_container_image: Option<EcrContainerImage>,
    pub aws_lambda_function: Option<LambdaFunction>,
    pub code_repository: Option<CodeRepository>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ec2Instance {
    pub image_id: Option<String>,
    pub vpc_id: Option<String>,
    pub subnet_id: Option<String>,
    pub platform: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub ip_v4_addresses: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub ip_v6_addresses: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EcrContainerImage {
    pub image_hash: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub image_tags: Vec<String>,
    pub repository_name: Option<String>,
    pub platform: Option<String>,
    /// Timestamps, like the finding's: strings in events, epoch seconds in the API's JSON.
    pub pushed_at: Option<serde_json::Value>,
    pub last_in_use_at: Option<serde_json::Value>,
    pub in_use_count: Option<i64>,
}

/// `CodeRepositoryDetails`: the repository a code security scan looked at.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeRepository {
    pub project_name: Option<String>,
    /// `GITHUB` or `GITLAB_SELF_MANAGED`.
    pub provider_type: Option<String>,
    pub integration_arn: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LambdaFunction {
    pub function_name: Option<String>,
    pub runtime: Option<String>,
    pub vpc_config: Option<LambdaVpcConfig>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LambdaVpcConfig {
    pub vpc_id: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub subnet_ids: Vec<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub security_group_ids: Vec<String>,
}

/// `null` reads as the default (empty list or map), like an absent field.
fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}
