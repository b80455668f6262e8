//! Inspector Classic findings: the API's JSON shape (what `raw` holds) and normalisation
//! into [`Finding`]. The conversion from aws-sdk-inspector's type lives in the core crate.

use std::collections::BTreeMap;

use inspector_facts::InspectorArn;
use serde::{Deserialize, Serialize};

use crate::finding::{Engine, Enrichment, Finding, Resource, Severity, Status};

/// A Classic finding as DescribeFindings returns it (the documented JSON field names), so
/// that `raw` keeps the engine's words and the normaliser can be fuzzed from bytes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClassicFinding {
    pub arn: String,
    pub schema_version: i32,
    pub service: Option<String>,
    pub service_attributes: Option<ServiceAttributes>,
    pub asset_type: Option<String>,
    pub asset_attributes: Option<AssetAttributes>,
    pub id: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub recommendation: Option<String>,
    pub severity: Option<String>,
    pub numeric_severity: Option<f64>,
    pub confidence: Option<i32>,
    pub indicator_of_compromise: Option<bool>,
    #[serde(default)]
    pub attributes: Vec<KeyValue>,
    #[serde(default)]
    pub user_attributes: Vec<KeyValue>,
    /// Seconds since the epoch, as the API's JSON carries timestamps.
    pub created_at: f64,
    pub updated_at: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceAttributes {
    pub schema_version: i32,
    pub assessment_run_arn: Option<String>,
    pub rules_package_arn: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetAttributes {
    pub schema_version: i32,
    pub agent_id: Option<String>,
    pub auto_scaling_group: Option<String>,
    pub ami_id: Option<String>,
    pub hostname: Option<String>,
    #[serde(default)]
    pub ipv4_addresses: Vec<String>,
    #[serde(default)]
    pub tags: Vec<KeyValue>,
    #[serde(default)]
    pub network_interfaces: Vec<NetworkInterface>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkInterface {
    pub network_interface_id: Option<String>,
    pub subnet_id: Option<String>,
    pub vpc_id: Option<String>,
    pub private_dns_name: Option<String>,
    pub private_ip_address: Option<String>,
    pub public_dns_name: Option<String>,
    pub public_ip: Option<String>,
    #[serde(default)]
    pub ipv6_addresses: Vec<String>,
    #[serde(default)]
    pub security_groups: Vec<SecurityGroup>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityGroup {
    pub group_name: Option<String>,
    pub group_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KeyValue {
    pub key: String,
    pub value: Option<String>,
}

/// What ec2:DescribeInstances adds to a finding's resource.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InstanceDetails {
    pub instance_id: String,
    pub image_id: Option<String>,
    pub vpc_id: Option<String>,
    pub subnet_ids: Vec<String>,
    pub security_group_ids: Vec<String>,
    pub private_ips: Vec<String>,
    pub public_ips: Vec<String>,
    pub hostname: Option<String>,
    pub tags: BTreeMap<String, String>,
}

/// Why a Classic finding cannot become a document.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NormaliseError {
    #[error("finding ARN: {0}")]
    Arn(#[from] inspector_facts::ArnError),
    #[error("finding {arn} has no asset attributes with an agent id, so it names no instance")]
    NoInstance { arn: String },
    #[error("finding {arn} has timestamp {value} that is not a time")]
    BadTimestamp { arn: String, value: f64 },
}

impl ClassicFinding {
    /// The EC2 instance the finding is about (Classic's agent id is the instance id).
    pub fn instance_id(&self) -> Option<&str> {
        self.asset_attributes.as_ref()?.agent_id.as_deref()
    }

    /// Normalises the finding; `instance` is what EC2 said of it (None: gone or not looked up).
    pub fn normalise(
        &self,
        instance: Option<&InstanceDetails>,
        enrichment: Enrichment,
    ) -> Result<Finding, NormaliseError> {
        let arn = InspectorArn::parse_kind(&self.arn, "finding")?;
        let instance_id = self
            .instance_id()
            .ok_or_else(|| NormaliseError::NoInstance {
                arn: self.arn.clone(),
            })?;
        let rules_package_arn = self
            .service_attributes
            .as_ref()
            .and_then(|s| s.rules_package_arn.as_deref());
        let finding_type = rules_package_arn
            .and_then(|package| {
                inspector_facts::classic_region(&arn.region)?
                    .rules_packages
                    .iter()
                    .find(|p| p.arn == package)
                    .map(|p| p.name.clone())
            })
            .or_else(|| rules_package_arn.map(str::to_owned))
            .unwrap_or_else(|| "Unknown rules package".to_owned());
        let mut cve_ids: Vec<String> = self
            .attributes
            .iter()
            .filter(|a| a.key == "CVE_ID")
            .filter_map(|a| a.value.clone())
            .collect();
        cve_ids.sort();
        cve_ids.dedup();

        // The fields Classic does not set are Inspector v2's only.
        Ok(Finding {
            title: self.title.clone().unwrap_or_default(),
            description: self.description.clone().unwrap_or_default(),
            recommendation: self.recommendation.clone().unwrap_or_default(),
            severity: classic_severity(self.severity.as_deref()),
            severity_score: self.numeric_severity,
            finding_type,
            cve_ids,
            // Classic findings have no lifecycle: a finding exists until its run is deleted.
            status: Status::Active,
            first_observed_at: rfc3339(&self.arn, self.created_at)?,
            last_observed_at: rfc3339(&self.arn, self.updated_at)?,
            resource: self.resource(instance_id, instance),
            enrichment,
            raw: serde_json::to_value(self).expect("a ClassicFinding always serialises"),
            ..Finding::new(
                Engine::InspectorClassic,
                &self.arn,
                &arn.account,
                &arn.region,
            )
        }
        .prioritised())
    }

    fn resource(&self, instance_id: &str, instance: Option<&InstanceDetails>) -> Resource {
        let asset = self.asset_attributes.clone().unwrap_or_default();
        let interfaces = &asset.network_interfaces;
        let collect = |f: &dyn Fn(&NetworkInterface) -> Vec<String>| -> Vec<String> {
            let mut values: Vec<String> = interfaces.iter().flat_map(f).collect();
            values.sort();
            values.dedup();
            values
        };
        let mut resource = Resource {
            resource_type: "AWS_EC2_INSTANCE".to_owned(),
            id: instance_id.to_owned(),
            image_id: asset.ami_id.clone(),
            hostname: asset.hostname.clone(),
            vpc_id: interfaces.iter().find_map(|n| n.vpc_id.clone()),
            subnet_ids: collect(&|n| n.subnet_id.iter().cloned().collect()),
            security_group_ids: collect(&|n| {
                n.security_groups
                    .iter()
                    .filter_map(|g| g.group_id.clone())
                    .collect()
            }),
            private_ips: {
                let mut ips = asset.ipv4_addresses.clone();
                ips.extend(
                    interfaces
                        .iter()
                        .filter_map(|n| n.private_ip_address.clone()),
                );
                ips.sort();
                ips.dedup();
                ips
            },
            public_ips: collect(&|n| n.public_ip.iter().cloned().collect()),
            tags: asset
                .tags
                .iter()
                .map(|t| (t.key.clone(), t.value.clone().unwrap_or_default()))
                .collect(),
            ..Resource::default()
        };
        if let Some(ec2) = instance {
            // EC2 is the current truth; the finding describes the instance at scan time.
            resource.image_id = ec2.image_id.clone().or(resource.image_id);
            resource.hostname = ec2.hostname.clone().or(resource.hostname);
            resource.vpc_id = ec2.vpc_id.clone().or(resource.vpc_id);
            resource.subnet_ids = ec2.subnet_ids.clone();
            resource.security_group_ids = ec2.security_group_ids.clone();
            resource.private_ips = ec2.private_ips.clone();
            resource.public_ips = ec2.public_ips.clone();
            resource.tags.extend(ec2.tags.clone());
        }
        resource
    }
}

fn classic_severity(severity: Option<&str>) -> Severity {
    match severity {
        Some("High") => Severity::High,
        Some("Medium") => Severity::Medium,
        Some("Low") => Severity::Low,
        // Informational, Undefined, or absent.
        _ => Severity::Informational,
    }
}

fn rfc3339(arn: &str, seconds: f64) -> Result<String, NormaliseError> {
    let bad = || NormaliseError::BadTimestamp {
        arn: arn.to_owned(),
        value: seconds,
    };
    crate::rfc3339::from_epoch_seconds(seconds)
        .and_then(crate::rfc3339::format)
        .ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{finding_id, EnrichmentStatus};

    const ARN: &str = "arn:aws:inspector:us-east-1:222222222222:target/0-aaaaaaaa/template/0-bbbbbbbb/run/0-cccccccc/finding/0-dddddddd";

    fn sample() -> ClassicFinding {
        serde_json::from_value(serde_json::json!({
            "arn": ARN,
            "schemaVersion": 1,
            "service": "Inspector",
            "serviceAttributes": {"schemaVersion": 1, "assessmentRunArn": "arn:aws:inspector:us-east-1:222222222222:target/0-aaaaaaaa/template/0-bbbbbbbb/run/0-cccccccc", "rulesPackageArn": "arn:aws:inspector:us-east-1:316112463485:rulespackage/0-gEjTy7T7"},
            "assetType": "ec2-instance",
            "assetAttributes": {
                "schemaVersion": 1, "agentId": "i-0123456789abcdef0", "amiId": "ami-12c6146b", "hostname": "ip-10-0-0-5.ec2.internal",
                "ipv4Addresses": ["10.0.0.5"], "tags": [{"key": "Name", "value": "web"}],
                "networkInterfaces": [{"subnetId": "subnet-1", "vpcId": "vpc-1", "privateIpAddress": "10.0.0.5", "publicIp": "54.1.2.3",
                    "securityGroups": [{"groupName": "web", "groupId": "sg-1"}]}]
            },
            "id": "CVE-2021-44228", "title": "Instance is vulnerable to CVE-2021-44228", "description": "d", "recommendation": "r",
            "severity": "High", "numericSeverity": 9.0, "confidence": 10, "indicatorOfCompromise": false,
            "attributes": [{"key": "CVE_ID", "value": "CVE-2021-44228"}], "userAttributes": [],
            "createdAt": 1764000000.25, "updatedAt": 1764000100.0
        }))
        .unwrap()
    }

    #[test]
    fn a_cve_finding_normalises_with_its_instance_from_the_finding() {
        let doc = sample()
            .normalise(
                None,
                Enrichment {
                    status: EnrichmentStatus::InstanceNotFound,
                    detail: None,
                },
            )
            .unwrap();
        assert_eq!(doc.id, finding_id(ARN));
        assert_eq!(
            (doc.account_id.as_str(), doc.region.as_str()),
            ("222222222222", "us-east-1")
        );
        assert_eq!(doc.severity, Severity::High);
        assert_eq!(doc.severity_score, Some(9.0));
        assert_eq!(doc.finding_type, "Common Vulnerabilities and Exposures");
        assert_eq!(doc.cve_ids, ["CVE-2021-44228"]);
        assert_eq!(doc.first_observed_at, "2025-11-24T16:00:00.25Z");
        assert_eq!(doc.resource.id, "i-0123456789abcdef0");
        assert_eq!(doc.resource.vpc_id.as_deref(), Some("vpc-1"));
        assert_eq!(doc.resource.security_group_ids, ["sg-1"]);
        assert_eq!(doc.resource.public_ips, ["54.1.2.3"]);
        assert_eq!(doc.resource.tags["Name"], "web");
        assert_eq!(doc.raw["assetAttributes"]["agentId"], "i-0123456789abcdef0");
        assert_eq!(doc.s3_key("findings"), format!("findings/engine=inspector_classic/account_id=222222222222/region=us-east-1/day=2025-11-24/{}.json", doc.id));
    }

    #[test]
    fn ec2_details_override_what_the_finding_saw() {
        let ec2 = InstanceDetails {
            instance_id: "i-0123456789abcdef0".into(),
            vpc_id: Some("vpc-2".into()),
            subnet_ids: vec!["subnet-2".into()],
            security_group_ids: vec!["sg-2".into(), "sg-3".into()],
            private_ips: vec!["10.0.1.9".into()],
            tags: BTreeMap::from([("Owner".to_owned(), "team".to_owned())]),
            ..Default::default()
        };
        let enriched = Enrichment {
            status: EnrichmentStatus::Enriched,
            detail: None,
        };
        let doc = sample().normalise(Some(&ec2), enriched).unwrap();
        assert_eq!(doc.resource.vpc_id.as_deref(), Some("vpc-2"));
        assert_eq!(doc.resource.security_group_ids, ["sg-2", "sg-3"]);
        assert_eq!(doc.resource.private_ips, ["10.0.1.9"]);
        assert_eq!(doc.resource.tags.len(), 2);
        assert_eq!(doc.resource.image_id.as_deref(), Some("ami-12c6146b"));
    }

    #[test]
    fn broken_findings_say_what_is_wrong() {
        let none = || Enrichment {
            status: EnrichmentStatus::InstanceNotFound,
            detail: None,
        };
        let mut bad_arn = sample();
        bad_arn.arn = "arn:aws:inspector:us-east-1:222222222222:target/0-aaaaaaaa".into();
        assert!(bad_arn
            .normalise(None, none())
            .unwrap_err()
            .to_string()
            .contains("expected a finding"));

        let mut no_agent = sample();
        no_agent.asset_attributes = None;
        assert!(matches!(
            no_agent.normalise(None, none()),
            Err(NormaliseError::NoInstance { .. })
        ));

        let mut bad_time = sample();
        bad_time.created_at = f64::NAN;
        assert!(matches!(
            bad_time.normalise(None, none()),
            Err(NormaliseError::BadTimestamp { .. })
        ));
    }
}
