//! An Inspector v2 finding (its wire shape) as the normalised document: the fields it
//! cannot do without are a [`V2Error`] naming them; everything else falls back as
//! docs/finding-schema.md says.

use std::net::IpAddr;

use serde::Deserialize;

use super::timestamp::timestamp;
use super::wire::*;
use super::V2Error;
use crate::finding::{
    finding_id, ClosedReason, CodeVulnerability, Cvss, Engine, Enrichment, EnrichmentStatus,
    Finding, NetworkPathStep, NetworkReachability, Resource, Severity, Status, VulnerablePackage,
    SCHEMA_VERSION,
};

/// Normalises the `detail` of an `Inspector2 Finding` event (or a finding object from the
/// API's JSON). `raw` of the document is `detail` as given.
pub fn normalise(detail: serde_json::Value) -> Result<Finding, V2Error> {
    if !detail.is_object() {
        return Err(V2Error::NoDetail);
    }
    let finding = V2Finding::deserialize(&detail).map_err(|e| V2Error::Shape(e.to_string()))?;
    finding.normalise(detail)
}

impl V2Finding {
    /// Normalises the finding; `raw` is what the document keeps as the engine's finding.
    pub fn normalise(&self, raw: serde_json::Value) -> Result<Finding, V2Error> {
        let arn = self
            .finding_arn
            .as_deref()
            .ok_or(V2Error::Missing("findingArn"))?;
        let (arn_region, arn_account) = parse_finding_arn(arn)?;
        // The member account the finding is about; the ARN names the same account.
        let account_id = match self.aws_account_id.as_deref() {
            Some(account) if is_account_id(account) => account,
            _ => arn_account,
        };
        let severity = self
            .severity
            .as_deref()
            .ok_or(V2Error::Missing("severity"))?;
        let status = self.status.as_deref().ok_or(V2Error::Missing("status"))?;
        let first_observed_at = timestamp("firstObservedAt", self.first_observed_at.as_ref())?
            .ok_or(V2Error::Missing("firstObservedAt"))?;
        let last_observed_at = timestamp("lastObservedAt", self.last_observed_at.as_ref())?
            .ok_or(V2Error::Missing("lastObservedAt"))?;
        let updated_at = timestamp("updatedAt", self.updated_at.as_ref())?;
        let resource = self.resource()?;
        let status = v2_status(status)?;

        let packages = self.package_vulnerability_details.as_ref();
        let cvss = self.cvss();
        let mut cve_ids: Vec<String> = packages
            .into_iter()
            .flat_map(|p| p.vulnerability_id.iter().chain(&p.related_vulnerabilities))
            .filter(|id| is_cve(id))
            .cloned()
            .collect();
        cve_ids.sort();
        cve_ids.dedup();

        Ok(Finding {
            schema_version: SCHEMA_VERSION,
            id: finding_id(arn),
            engine: Engine::InspectorV2,
            finding_arn: arn.to_owned(),
            account_id: account_id.to_owned(),
            region: arn_region.to_owned(),
            title: self.title.clone().unwrap_or_default(),
            description: self.description.clone().unwrap_or_default(),
            recommendation: self
                .remediation
                .as_ref()
                .and_then(|r| r.recommendation.as_ref())
                .and_then(|r| r.text.clone())
                .unwrap_or_default(),
            severity: v2_severity(severity)?,
            severity_score: self
                .inspector_score
                .or_else(|| cvss.as_ref().and_then(|c| c.base_score)),
            finding_type: self.finding_type.clone().unwrap_or_default(),
            cve_ids,
            status,
            first_observed_at,
            last_observed_at,
            enrichment: Enrichment {
                status: EnrichmentStatus::NotNeeded,
                detail: None,
            },
            raw,
            updated_at,
            vulnerability_id: packages.and_then(|p| p.vulnerability_id.clone()),
            fix_available: self.fix_available.clone(),
            exploit_available: match self.exploit_available.as_deref() {
                Some("YES") => Some(true),
                Some("NO") => Some(false),
                _ => None,
            },
            epss_score: self.epss.as_ref().and_then(|e| e.score),
            cvss,
            vulnerable_packages: packages
                .map(|p| p.vulnerable_packages.iter().map(package).collect())
                .unwrap_or_default(),
            network_reachability: self.network_reachability_details.as_ref().map(|n| {
                NetworkReachability {
                    protocol: n.protocol.clone(),
                    port_range_begin: n.open_port_range.as_ref().and_then(|r| r.begin),
                    port_range_end: n.open_port_range.as_ref().and_then(|r| r.end),
                    path: steps(n)
                        .map(|s| NetworkPathStep {
                            component_id: s.component_id.clone().unwrap_or_default(),
                            component_type: s.component_type.clone().unwrap_or_default(),
                        })
                        .collect(),
                }
            }),
            code_vulnerability: self.code_vulnerability_details.as_ref().map(|c| {
                let path = c.file_path.clone().unwrap_or_default();
                CodeVulnerability {
                    cwe_ids: c.cwes.clone(),
                    detector_id: c.detector_id.clone(),
                    detector_name: c.detector_name.clone(),
                    rule_id: c.rule_id.clone(),
                    file_path: path.file_path,
                    start_line: path.start_line,
                    end_line: path.end_line,
                    file_name: path.file_name,
                }
            }),
            closed_reason: closed_reason(status, &resource.resource_type),
            resource,
            priority: None,
            details: None,
            status_changed_at: None,
            closed_at: None,
            reopened_count: 0,
            time_to_remediate_seconds: None,
        }
        .prioritised())
    }

    /// The CVSS the severity rests on: Inspector's own (adjusted) score when it gives one,
    /// else the vendor's entry from the vulnerability's source, else the newest CVSS version.
    fn cvss(&self) -> Option<Cvss> {
        let adjusted = self
            .inspector_score_details
            .as_ref()
            .and_then(|d| d.adjusted_cvss.as_ref());
        if let Some(a) = adjusted {
            return Some(Cvss {
                base_score: a.score,
                scoring_vector: a.scoring_vector.clone(),
                version: a.version.clone(),
                source: a.score_source.clone().or_else(|| a.cvss_source.clone()),
            });
        }
        let details = self.package_vulnerability_details.as_ref()?;
        let from_source = details
            .cvss
            .iter()
            .find(|c| c.source.is_some() && c.source == details.source);
        let chosen =
            from_source.or_else(|| details.cvss.iter().max_by(|a, b| a.version.cmp(&b.version)))?;
        Some(Cvss {
            base_score: chosen.base_score,
            scoring_vector: chosen.scoring_vector.clone(),
            version: chosen.version.clone(),
            source: chosen.source.clone(),
        })
    }

    /// The finding's resource. The API allows a list; Inspector's findings name one, and a
    /// further one (never seen) stays only in `raw`.
    fn resource(&self) -> Result<Resource, V2Error> {
        let first = self
            .resources
            .first()
            .ok_or(V2Error::Missing("resources"))?;
        let mut resource = Resource {
            resource_type: first
                .resource_type
                .clone()
                .ok_or(V2Error::Missing("resources[0].type"))?,
            id: first
                .id
                .clone()
                .ok_or(V2Error::Missing("resources[0].id"))?,
            tags: first
                .tags
                .iter()
                .map(|(k, v)| (k.clone(), v.clone().unwrap_or_default()))
                .collect(),
            ..Resource::default()
        };
        // Whichever details are present, whatever the type says: an unknown resource type
        // keeps its type, id and tags and nothing else.
        let details = first.details.clone().unwrap_or_default();
        if let Some(ec2) = details.aws_ec2_instance {
            resource.image_id = ec2.image_id;
            resource.vpc_id = ec2.vpc_id;
            resource.subnet_ids = ec2.subnet_id.into_iter().collect();
            resource.platform = ec2.platform;
            let (private, public) =
                split_ips(ec2.ip_v4_addresses.iter().chain(&ec2.ip_v6_addresses));
            resource.private_ips = private;
            resource.public_ips = public;
        }
        if let Some(ecr) = details.aws_ecr_container_image {
            resource.image_id = ecr.image_hash;
            resource.image_tags = ecr.image_tags;
            resource.repository_name = ecr.repository_name;
            resource.platform = ecr.platform;
            resource.pushed_at = timestamp(
                "resources[0].details.awsEcrContainerImage.pushedAt",
                ecr.pushed_at.as_ref(),
            )?;
            resource.last_in_use_at = timestamp(
                "resources[0].details.awsEcrContainerImage.lastInUseAt",
                ecr.last_in_use_at.as_ref(),
            )?;
            resource.in_use_count = ecr.in_use_count;
        }
        if let Some(repository) = details.code_repository {
            resource.project_name = repository.project_name;
            resource.provider_type = repository.provider_type;
            resource.integration_arn = repository.integration_arn;
        }
        if let Some(lambda) = details.aws_lambda_function {
            resource.function_name = lambda.function_name;
            resource.runtime = lambda.runtime;
            if let Some(vpc) = lambda.vpc_config {
                resource.vpc_id = vpc.vpc_id;
                resource.subnet_ids = vpc.subnet_ids;
                resource.security_group_ids = vpc.security_group_ids;
            }
        }
        // EC2 details carry no security groups; a network reachability finding's path names
        // the ones that let the traffic in.
        if let Some(network) = &self.network_reachability_details {
            resource.security_group_ids.extend(
                steps(network)
                    .filter(|s| s.component_type.as_deref() == Some("AWS::EC2::SecurityGroup"))
                    .filter_map(|s| s.component_id.clone()),
            );
        }
        for list in [
            &mut resource.subnet_ids,
            &mut resource.security_group_ids,
            &mut resource.image_tags,
        ] {
            list.sort();
            list.dedup();
        }
        Ok(resource)
    }
}

fn steps(network: &NetworkReachabilityDetails) -> impl Iterator<Item = &Step> {
    network.network_path.iter().flat_map(|p| &p.steps)
}

fn package(p: &V2Package) -> VulnerablePackage {
    VulnerablePackage {
        name: p.name.clone().unwrap_or_default(),
        version: p.version.clone().unwrap_or_default(),
        epoch: p.epoch,
        release: p.release.clone(),
        arch: p.arch.clone(),
        package_manager: p.package_manager.clone(),
        fixed_in_version: p.fixed_in_version.clone(),
        file_path: p.file_path.clone(),
    }
}

fn v2_severity(severity: &str) -> Result<Severity, V2Error> {
    Ok(match severity {
        "CRITICAL" => Severity::Critical,
        "HIGH" => Severity::High,
        "MEDIUM" => Severity::Medium,
        "LOW" => Severity::Low,
        "INFORMATIONAL" => Severity::Informational,
        // A package vulnerability the vendor has not rated yet (API reference,
        // Finding.severity); a later event for the same finding carries the rating.
        "UNTRIAGED" => Severity::Untriaged,
        other => return Err(V2Error::UnknownSeverity(other.to_owned())),
    })
}

/// Why a v2 finding closed, as far as its event shows it. A CLOSED event names no reason:
/// a fix, a terminated instance and a resource Inspector stopped scanning look alike. An
/// ECR image is the exception: its digest names its content, so its packages cannot be
/// fixed in place, and its findings close only when Inspector stops monitoring the image
/// (re-scan duration expired, or the image deleted; User Guide, "Configuring the Amazon ECR
/// re-scan duration").
fn closed_reason(status: Status, resource_type: &str) -> Option<ClosedReason> {
    (status == Status::Closed && resource_type == "AWS_ECR_CONTAINER_IMAGE")
        .then_some(ClosedReason::NoLongerScanned)
}

fn v2_status(status: &str) -> Result<Status, V2Error> {
    Ok(match status {
        "ACTIVE" => Status::Active,
        "SUPPRESSED" => Status::Suppressed,
        "CLOSED" => Status::Closed,
        other => return Err(V2Error::UnknownStatus(other.to_owned())),
    })
}

/// `arn:<partition>:inspector2:<region>:<account>:finding/<id>` → (region, account). The
/// region and account become S3 key partitions, so they are checked strictly.
fn parse_finding_arn(arn: &str) -> Result<(&str, &str), V2Error> {
    let bad = |problem| V2Error::BadFindingArn {
        arn: arn.to_owned(),
        problem,
    };
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts[..] else {
        return Err(bad(
            "expected arn:partition:inspector2:region:account:finding/id",
        ));
    };
    if prefix != "arn" || !partition.starts_with("aws") {
        return Err(bad("it does not start with arn:aws"));
    }
    if service != "inspector2" {
        return Err(bad("its service is not inspector2"));
    }
    if !is_region(region) {
        return Err(bad("its region is not a region name"));
    }
    if !is_account_id(account) {
        return Err(bad("its account is not 12 digits"));
    }
    match resource.strip_prefix("finding/") {
        Some(id) if !id.is_empty() => Ok((region, account)),
        _ => Err(bad("its resource is not finding/<id>")),
    }
}

/// Twelve digits: an AWS account id, safe as an S3 key partition.
pub(crate) fn is_account_id(value: &str) -> bool {
    value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit())
}

/// Lower-case letters, digits and hyphens: a region name, safe as an S3 key partition.
pub(crate) fn is_region(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// `CVE-<year>-<number>`.
fn is_cve(id: &str) -> bool {
    let Some(rest) = id.strip_prefix("CVE-") else {
        return false;
    };
    let Some((year, number)) = rest.split_once('-') else {
        return false;
    };
    year.len() == 4
        && number.len() >= 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && number.bytes().all(|b| b.is_ascii_digit())
}

/// Addresses Inspector lists for an instance, split into private (RFC 1918, shared,
/// loopback, link-local, IPv6 unique-local) and public; what does not parse as an IP
/// address (the documentation's own examples show `1.23.456.789`) is left out, since
/// the index maps these fields as `ip`; `raw` keeps it.
fn split_ips<'a>(addresses: impl Iterator<Item = &'a String>) -> (Vec<String>, Vec<String>) {
    let (mut private, mut public) = (Vec::new(), Vec::new());
    for address in addresses {
        let Ok(ip) = address.trim().parse::<IpAddr>() else {
            continue;
        };
        let is_private = match ip {
            IpAddr::V4(v4) => {
                let [a, b, ..] = v4.octets();
                v4.is_private()
                    || v4.is_loopback()
                    || v4.is_link_local()
                    || (a == 100 && (64..128).contains(&b))
            }
            IpAddr::V6(v6) => {
                let first = v6.segments()[0];
                v6.is_loopback() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
            }
        };
        let list = if is_private {
            &mut private
        } else {
            &mut public
        };
        list.push(ip.to_string());
    }
    for list in [&mut private, &mut public] {
        list.sort();
        list.dedup();
    }
    (private, public)
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    macro_rules! fixture {
        ($name:literal) => {
            include_str!(concat!("../../tests/fixtures/inspector2/", $name, ".json"))
        };
    }

    const FIXTURES: [(&str, &str); 10] = [
        (
            "ec2-package-vulnerability",
            fixture!("ec2-package-vulnerability"),
        ),
        (
            "ec2-network-reachability",
            fixture!("ec2-network-reachability"),
        ),
        (
            "ecr-package-vulnerability",
            fixture!("ecr-package-vulnerability"),
        ),
        (
            "ecr-package-vulnerability-2021",
            fixture!("ecr-package-vulnerability-2021"),
        ),
        (
            "lambda-package-vulnerability",
            fixture!("lambda-package-vulnerability"),
        ),
        (
            "lambda-code-vulnerability",
            fixture!("lambda-code-vulnerability"),
        ),
        (
            "ec2-windows-kb-package-vulnerability",
            fixture!("ec2-windows-kb-package-vulnerability"),
        ),
        (
            "ecr-package-vulnerability-closed-expired",
            fixture!("ecr-package-vulnerability-closed-expired"),
        ),
        (
            "ecr-package-vulnerability-untriaged",
            fixture!("ecr-package-vulnerability-untriaged"),
        ),
        (
            "code-repository-code-vulnerability",
            fixture!("code-repository-code-vulnerability"),
        ),
    ];

    fn detail(fixture: &str) -> Value {
        let mut event: Value = serde_json::from_str(fixture).unwrap();
        event["detail"].take()
    }

    fn doc(fixture: &str) -> Finding {
        normalise(detail(fixture)).unwrap()
    }

    /// The fixture's detail with `edit` applied.
    fn edited(fixture: &str, edit: impl FnOnce(&mut Value)) -> Value {
        let mut detail = detail(fixture);
        edit(&mut detail);
        detail
    }

    #[test]
    fn every_documented_example_normalises_and_survives_json() {
        for (name, fixture) in FIXTURES {
            let doc = normalise(detail(fixture)).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(doc.engine, Engine::InspectorV2, "{name}");
            assert_eq!(doc.enrichment.status, EnrichmentStatus::NotNeeded, "{name}");
            assert_eq!(
                doc.raw,
                detail(fixture),
                "{name}: raw is the detail as it came"
            );
            crate::fuzzing::document(&doc);
        }
    }

    #[test]
    fn ec2_package_vulnerability() {
        let doc = doc(fixture!("ec2-package-vulnerability"));
        let arn =
            "arn:aws:inspector2:eu-central-1:123456789012:finding/0e3c2b1a9f8e7d6c5b4a39281706f5e4";
        assert_eq!(doc.finding_arn, arn);
        assert_eq!(doc.id, finding_id(arn));
        assert_eq!(
            (doc.account_id.as_str(), doc.region.as_str()),
            ("123456789012", "eu-central-1")
        );
        assert_eq!(doc.title, "CVE-2024-29069 - snapd");
        assert!(doc
            .description
            .starts_with("In snapd versions prior to 2.62"));
        assert_eq!(doc.recommendation, "None Provided");
        assert_eq!(doc.severity, Severity::Medium);
        assert_eq!(doc.severity_score, Some(4.8));
        assert_eq!(doc.finding_type, "PACKAGE_VULNERABILITY");
        // USN-6940-1 is related but not a CVE.
        assert_eq!(doc.cve_ids, ["CVE-2024-29069"]);
        assert_eq!(doc.vulnerability_id.as_deref(), Some("CVE-2024-29069"));
        assert_eq!(doc.status, Status::Closed);
        assert_eq!(doc.first_observed_at, "2024-09-04T16:59:44.356Z");
        assert_eq!(doc.last_observed_at, "2024-09-04T16:59:44.476Z");
        assert_eq!(doc.updated_at.as_deref(), Some("2024-09-04T17:00:36.951Z"));
        assert_eq!(doc.fix_available.as_deref(), Some("YES"));
        assert_eq!(doc.exploit_available, Some(false));
        assert_eq!(doc.epss_score, Some(0.00043));
        assert_eq!(
            doc.cvss,
            Some(Cvss {
                base_score: Some(4.8),
                scoring_vector: Some("CVSS:3.1/AV:L/AC:L/PR:L/UI:R/S:U/C:L/I:L/A:L".into()),
                version: Some("3.1".into()),
                source: Some("UBUNTU_CVE".into()),
            })
        );
        assert_eq!(
            doc.vulnerable_packages,
            [VulnerablePackage {
                name: "snapd".into(),
                version: "2.63".into(),
                epoch: Some(0),
                release: None,
                arch: Some("ALL".into()),
                package_manager: Some("OS".into()),
                fixed_in_version: Some("0:2.63+22.04ubuntu0.1".into()),
                file_path: None,
            }]
        );
        assert_eq!(doc.network_reachability, None);
        assert_eq!(doc.code_vulnerability, None);
        let r = &doc.resource;
        assert_eq!(
            (r.resource_type.as_str(), r.id.as_str()),
            ("AWS_EC2_INSTANCE", "i-12345678901234567")
        );
        assert_eq!(r.image_id.as_deref(), Some("ami-02ff980600c693b38"));
        assert_eq!(r.vpc_id.as_deref(), Some("vpc-12345678"));
        assert_eq!(r.subnet_ids, ["subnet-12345678"]);
        assert_eq!(r.platform.as_deref(), Some("UBUNTU_22_04"));
        // The documentation's addresses (1.23.456.789, 123.45.67.890) are not addresses.
        assert!(r.private_ips.is_empty() && r.public_ips.is_empty());
        assert!(r.tags.is_empty() && r.security_group_ids.is_empty());
        assert_eq!(
            doc.s3_key("findings"),
            format!(
                "findings/engine=inspector_v2/account_id=123456789012/region=eu-central-1/day=2024-09-04/{}.json",
                doc.id
            )
        );
    }

    #[test]
    fn ec2_addresses_split_into_private_and_public_and_tags_are_kept() {
        let detail = edited(fixture!("ec2-package-vulnerability"), |d| {
            let resource = &mut d["resources"][0];
            resource["tags"] = json!({"Name": "web", "Team": "payments"});
            resource["details"]["awsEc2Instance"]["ipV4Addresses"] = json!([
                "10.0.1.5",
                "54.93.1.2",
                "100.64.0.1",
                "10.0.1.5",
                "not-an-ip"
            ]);
            resource["details"]["awsEc2Instance"]["ipV6Addresses"] =
                json!(["2a05:d014::1", "fd00::5"]);
        });
        let r = normalise(detail).unwrap().resource;
        assert_eq!(r.private_ips, ["10.0.1.5", "100.64.0.1", "fd00::5"]);
        assert_eq!(r.public_ips, ["2a05:d014::1", "54.93.1.2"]);
        assert_eq!(r.tags["Name"], "web");
        assert_eq!(r.tags.len(), 2);
    }

    #[test]
    fn ec2_network_reachability() {
        let doc = doc(fixture!("ec2-network-reachability"));
        assert_eq!(doc.finding_type, "NETWORK_REACHABILITY");
        assert_eq!(
            doc.title,
            "Port 22 is reachable from an Internet Gateway - TCP"
        );
        assert_eq!(doc.severity, Severity::Medium);
        // No inspectorScore and no CVSS: no score.
        assert_eq!(doc.severity_score, None);
        assert_eq!(doc.cvss, None);
        assert!(doc.cve_ids.is_empty() && doc.vulnerable_packages.is_empty());
        assert_eq!(
            (doc.fix_available.as_deref(), doc.exploit_available),
            (None, None)
        );
        assert_eq!(doc.status, Status::Active);
        assert_eq!(doc.first_observed_at, "2024-09-05T13:06:56.334Z");
        assert!(doc.recommendation.starts_with("You can restrict access"));
        let network = doc.network_reachability.unwrap();
        assert_eq!(network.protocol.as_deref(), Some("TCP"));
        assert_eq!(
            (network.port_range_begin, network.port_range_end),
            (Some(22), Some(22))
        );
        assert_eq!(network.path.len(), 5);
        assert_eq!(network.path[0].component_id, "igw-261bab4d");
        assert_eq!(network.path[0].component_type, "AWS::EC2::InternetGateway");
        // The security group on the path is the instance's that lets the traffic in.
        assert_eq!(doc.resource.security_group_ids, ["sg-0d34debf87410f2d9"]);
        assert_eq!(doc.resource.id, "i-12345678901234567");
    }

    #[test]
    fn ecr_image_package_vulnerability() {
        let doc = doc(fixture!("ecr-package-vulnerability"));
        let r = &doc.resource;
        assert_eq!(r.resource_type, "AWS_ECR_CONTAINER_IMAGE");
        assert_eq!(r.id, "arn:aws:ecr:eu-central-1:123456789012:repository/inspector2/sha256:84f507df33c6864d49c296fb734192696e4cb6f78166ac51ac8b9b118181085d");
        assert_eq!(
            r.image_id.as_deref(),
            Some("sha256:84f507df33c6864d49c296fb734192696e4cb6f78166ac51ac8b9b118181085d")
        );
        assert_eq!(r.repository_name.as_deref(), Some("inspector2"));
        assert_eq!(r.image_tags, ["ubuntu_latest"]);
        assert_eq!(r.platform.as_deref(), Some("UBUNTU_24_04"));
        assert_eq!(r.vpc_id, None);
        assert_eq!(doc.cve_ids, ["CVE-2024-6119"]);
        // No inspectorScore and an empty CVSS list.
        assert_eq!((doc.severity_score, doc.cvss.as_ref()), (None, None));
        assert_eq!(doc.severity, Severity::Medium);
        let names: Vec<&str> = doc
            .vulnerable_packages
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(names, ["libssl3t64", "openssl"]);
        assert_eq!(
            doc.vulnerable_packages[1].release.as_deref(),
            Some("0ubuntu3.2")
        );
        assert_eq!(doc.vulnerable_packages[1].arch.as_deref(), Some("ARM64"));
        assert_eq!(doc.epss_score, Some(0.00045));
    }

    #[test]
    fn the_2021_ecr_example_lacks_the_newer_sections_and_uses_another_date_form() {
        let doc = doc(fixture!("ecr-package-vulnerability-2021"));
        assert_eq!(doc.first_observed_at, "2021-12-03T18:02:30Z");
        assert_eq!(doc.last_observed_at, "2021-12-03T18:02:30Z");
        assert_eq!(doc.region, "us-east-2");
        assert_eq!(
            (doc.fix_available, doc.exploit_available, doc.epss_score),
            (None, None, None)
        );
        assert_eq!(doc.severity_score, Some(6.5));
        assert_eq!(doc.cvss.unwrap().source.as_deref(), Some("REDHAT_CVE"));
        assert_eq!(
            doc.resource.repository_name.as_deref(),
            Some("amazon/amazon-ecs-sample")
        );
        assert_eq!(doc.vulnerable_packages[0].fixed_in_version, None);
    }

    #[test]
    fn without_inspector_score_the_vendor_cvss_scores() {
        let without = |d: &mut Value| {
            let d = d.as_object_mut().unwrap();
            d.remove("inspectorScore");
            d.remove("inspectorScoreDetails");
        };
        // The entry from the vulnerability's own source (REDHAT_CVE, 6.5) ...
        let doc = normalise(edited(fixture!("ecr-package-vulnerability-2021"), without)).unwrap();
        assert_eq!(doc.severity_score, Some(6.5));
        assert_eq!(doc.cvss.unwrap().version.as_deref(), Some("3.0"));
        // ... else the newest CVSS version (NVD 3.1, 8.1).
        let doc = normalise(edited(fixture!("ecr-package-vulnerability-2021"), |d| {
            without(d);
            d["packageVulnerabilityDetails"]["source"] = json!("OTHER");
        }))
        .unwrap();
        assert_eq!(doc.severity_score, Some(8.1));
        let cvss = doc.cvss.unwrap();
        assert_eq!(
            (cvss.version.as_deref(), cvss.source.as_deref()),
            (Some("3.1"), Some("NVD"))
        );
    }

    #[test]
    fn lambda_function_package_vulnerability() {
        let doc = doc(fixture!("lambda-package-vulnerability"));
        let r = &doc.resource;
        assert_eq!(r.resource_type, "AWS_LAMBDA_FUNCTION");
        assert_eq!(
            r.id,
            "arn:aws:lambda:eu-central-1:123456789012:function:VulnerableFunction:$LATEST"
        );
        assert_eq!(r.function_name.as_deref(), Some("VulnerableFunction"));
        assert_eq!(r.runtime.as_deref(), Some("PYTHON_3_11"));
        assert_eq!((r.image_id.as_ref(), r.vpc_id.as_ref()), (None, None));
        assert_eq!(doc.severity, Severity::High);
        assert_eq!(doc.severity_score, Some(7.5));
        assert_eq!(doc.exploit_available, Some(true));
        assert_eq!(doc.cve_ids, ["CVE-2023-30861"]);
        let flask = &doc.vulnerable_packages[0];
        assert_eq!(
            (
                flask.name.as_str(),
                flask.package_manager.as_deref(),
                flask.file_path.as_deref()
            ),
            ("flask", Some("PIP"), Some("requirements.txt"))
        );
        assert_eq!(flask.fixed_in_version.as_deref(), Some("2.3.2"));
    }

    #[test]
    fn lambda_in_a_vpc_names_its_network() {
        let detail = edited(fixture!("lambda-package-vulnerability"), |d| {
            d["resources"][0]["details"]["awsLambdaFunction"]["vpcConfig"] = json!({
                "vpcId": "vpc-0aaaaaaaaaaaaaaaa",
                "subnetIds": ["subnet-2", "subnet-1"],
                "securityGroupIds": ["sg-1"]
            });
        });
        let r = normalise(detail).unwrap().resource;
        assert_eq!(r.vpc_id.as_deref(), Some("vpc-0aaaaaaaaaaaaaaaa"));
        assert_eq!(r.subnet_ids, ["subnet-1", "subnet-2"]);
        assert_eq!(r.security_group_ids, ["sg-1"]);
    }

    #[test]
    fn lambda_code_vulnerability() {
        let doc = doc(fixture!("lambda-code-vulnerability"));
        assert_eq!(doc.finding_type, "CODE_VULNERABILITY");
        assert_eq!(doc.severity, Severity::Critical);
        assert!(doc.cve_ids.is_empty() && doc.vulnerable_packages.is_empty());
        assert_eq!(doc.vulnerability_id, None);
        let code = doc.code_vulnerability.unwrap();
        assert_eq!(code.cwe_ids, ["CWE-798"]);
        assert_eq!(code.detector_name.as_deref(), Some("Hardcoded credentials"));
        assert_eq!(
            code.rule_id.as_deref(),
            Some("python-detect-hardcoded-aws-credentials")
        );
        assert_eq!(
            (code.file_path.as_deref(), code.start_line, code.end_line),
            (Some("lambda_function.py"), Some(6), Some(6))
        );
        assert_eq!(code.file_name.as_deref(), Some("lambda_function.py"));
        assert_eq!(doc.resource.project_name, None);
    }

    #[test]
    fn active_then_closed_is_one_document_that_changes_status() {
        // The documented EC2 example is the CLOSED event; its ACTIVE event came before.
        let closed_detail = detail(fixture!("ec2-package-vulnerability"));
        let mut active_detail = closed_detail.clone();
        active_detail["status"] = json!("ACTIVE");
        active_detail["lastObservedAt"] = json!("Wed Sep 04 16:59:44.356 UTC 2024");
        active_detail["updatedAt"] = json!("Wed Sep 04 16:59:44.356 UTC 2024");
        let active = normalise(active_detail).unwrap();
        let closed = normalise(closed_detail).unwrap();
        assert_eq!(active.id, closed.id);
        assert_eq!(active.s3_key("findings"), closed.s3_key("findings"));
        assert_eq!(
            (active.status, closed.status),
            (Status::Active, Status::Closed)
        );
        assert!(closed.supersedes(&active) && !active.supersedes(&closed));
        // Nothing else differs but the times and the raw event.
        let mut closed_like_active = closed.clone();
        closed_like_active.status = active.status;
        closed_like_active.last_observed_at = active.last_observed_at.clone();
        closed_like_active.updated_at = active.updated_at.clone();
        closed_like_active.raw = active.raw.clone();
        assert_eq!(closed_like_active, active);
    }

    #[test]
    fn untriaged_is_its_own_severity_and_its_priority_rests_on_epss() {
        // As the local AWS emits CVE-2005-2541: no score, no CVSS, EPSS 0.0211, no fix.
        let doc = doc(fixture!("ecr-package-vulnerability-untriaged"));
        assert_eq!(doc.severity, Severity::Untriaged);
        assert_eq!((doc.severity_score, doc.cvss.as_ref()), (None, None));
        assert_eq!(doc.epss_score, Some(0.0211));
        assert_eq!(doc.fix_available.as_deref(), Some("NO"));
        let priority = doc.priority.unwrap();
        assert_eq!((priority.score, priority.label.as_str()), (4, "P5"));
        assert_eq!(
            serde_json::to_value(&doc).unwrap()["severity"],
            json!("UNTRIAGED")
        );
        // The vendor's rating in a later event replaces it.
        let rated = normalise(edited(
            fixture!("ecr-package-vulnerability-untriaged"),
            |d| {
                d["severity"] = json!("LOW");
                d["inspectorScore"] = json!(2.1);
            },
        ))
        .unwrap();
        assert_eq!(
            (rated.severity, rated.severity_score),
            (Severity::Low, Some(2.1))
        );
        assert_eq!(rated.id, doc.id);
    }

    #[test]
    fn a_windows_kb_finding_is_the_kb_with_all_its_cves() {
        // As the local AWS emits KB4012212 (MS17-010) for a Windows instance.
        let doc = doc(fixture!("ec2-windows-kb-package-vulnerability"));
        assert_eq!(doc.vulnerability_id.as_deref(), Some("KB4012212"));
        assert_eq!(
            doc.cve_ids,
            [
                "CVE-2017-0143",
                "CVE-2017-0144",
                "CVE-2017-0145",
                "CVE-2017-0146",
                "CVE-2017-0147",
                "CVE-2017-0148"
            ]
        );
        assert_eq!(
            doc.title,
            "KB4012212 - Windows SMB Server security update (MS17-010)"
        );
        assert_eq!(doc.finding_type, "PACKAGE_VULNERABILITY");
        // A KB finding carries the highest CVSS, EPSS and exploit of its CVEs.
        assert_eq!(
            (doc.severity, doc.severity_score),
            (Severity::High, Some(8.1))
        );
        let cvss = doc.cvss.as_ref().unwrap();
        assert_eq!(
            (cvss.version.as_deref(), cvss.source.as_deref()),
            (Some("3.0"), Some("NVD"))
        );
        assert_eq!(
            (
                doc.epss_score,
                doc.exploit_available,
                doc.fix_available.as_deref()
            ),
            (Some(0.97), Some(true), Some("YES"))
        );
        let update = &doc.vulnerable_packages[0];
        assert_eq!(
            (
                update.name.as_str(),
                update.fixed_in_version.as_deref(),
                update.package_manager.as_deref()
            ),
            ("KB4012212", Some("KB4012212"), Some("OS"))
        );
        assert_eq!(doc.resource.platform.as_deref(), Some("WINDOWS"));
        assert_eq!(doc.resource.private_ips, ["10.0.1.25"]);
        assert_eq!(doc.closed_reason, None);
        // The related ids of another scheme stay out of cve_ids, in any order Inspector
        // lists them, and a CVE listed twice counts once.
        let mixed = normalise(edited(
            fixture!("ec2-windows-kb-package-vulnerability"),
            |d| {
                d["packageVulnerabilityDetails"]["relatedVulnerabilities"] = json!([
                    "MS17-010",
                    "CVE-2017-0148",
                    "CVE-2017-0143",
                    "CVE-2017-0148"
                ]);
            },
        ))
        .unwrap();
        assert_eq!(mixed.cve_ids, ["CVE-2017-0143", "CVE-2017-0148"]);
        assert_eq!(mixed.vulnerability_id.as_deref(), Some("KB4012212"));
    }

    #[test]
    fn an_expired_image_closes_its_findings_as_no_longer_scanned_not_fixed() {
        // As the local AWS emits it when the image outlives the re-scan duration: CLOSED,
        // updatedAt moved, lastObservedAt and the resource as they were.
        let doc = doc(fixture!("ecr-package-vulnerability-closed-expired"));
        assert_eq!(doc.status, Status::Closed);
        assert_eq!(doc.closed_reason, Some(ClosedReason::NoLongerScanned));
        assert_eq!(
            serde_json::to_value(&doc).unwrap()["closed_reason"],
            json!("no_longer_scanned")
        );
        assert_eq!(doc.updated_at.as_deref(), Some("2024-12-18T09:00:00.123Z"));
        assert_eq!(doc.last_observed_at, "2024-12-03T09:00:00.123Z");
        assert_eq!(
            doc.resource.pushed_at.as_deref(),
            Some("2024-12-02T09:00:00.123Z")
        );
        // Open, the same image's finding has no reason; reopened, it loses it again.
        let open = normalise(edited(
            fixture!("ecr-package-vulnerability-closed-expired"),
            |d| {
                d["status"] = json!("ACTIVE");
            },
        ))
        .unwrap();
        assert_eq!(open.closed_reason, None);
        let suppressed = normalise(edited(
            fixture!("ecr-package-vulnerability-closed-expired"),
            |d| {
                d["status"] = json!("SUPPRESSED");
            },
        ))
        .unwrap();
        assert_eq!(suppressed.closed_reason, None);
        assert!(serde_json::to_value(&open)
            .unwrap()
            .get("closed_reason")
            .is_none());
    }

    #[test]
    fn a_closed_instance_or_function_finding_has_no_reason_the_event_does_not_give() {
        // A fix and a terminated instance send the same CLOSED event.
        let ec2 = doc(fixture!("ec2-package-vulnerability"));
        assert_eq!((ec2.status, ec2.closed_reason), (Status::Closed, None));
        let lambda = normalise(edited(fixture!("lambda-package-vulnerability"), |d| {
            d["status"] = json!("CLOSED");
        }))
        .unwrap();
        assert_eq!(lambda.closed_reason, None);
    }

    #[test]
    fn ecr_image_use_is_kept() {
        let detail = edited(fixture!("ecr-package-vulnerability"), |d| {
            let image = &mut d["resources"][0]["details"]["awsEcrContainerImage"];
            image["lastInUseAt"] = json!("Thu Sep 05 08:12:00.000 UTC 2024");
            image["inUseCount"] = json!(3);
        });
        let r = normalise(detail).unwrap().resource;
        assert_eq!(r.pushed_at.as_deref(), Some("2024-09-04T16:55:28Z"));
        assert_eq!(r.last_in_use_at.as_deref(), Some("2024-09-05T08:12:00Z"));
        assert_eq!(r.in_use_count, Some(3));
        // The 2021 example's older time form reads too.
        let old = doc(fixture!("ecr-package-vulnerability-2021")).resource;
        assert_eq!(old.pushed_at.as_deref(), Some("2021-12-03T18:02:13Z"));
        assert_eq!((old.last_in_use_at, old.in_use_count), (None, None));
    }

    #[test]
    fn a_code_repository_finding_names_the_repository_file_and_lines() {
        let doc = doc(fixture!("code-repository-code-vulnerability"));
        assert_eq!(doc.finding_type, "CODE_VULNERABILITY");
        let r = &doc.resource;
        assert_eq!(
            (r.resource_type.as_str(), r.id.as_str()),
            (
                "CODE_REPOSITORY",
                "project-3b241101-e2bb-4255-8caf-4136c566a962"
            )
        );
        assert_eq!(r.project_name.as_deref(), Some("acme/billing-service"));
        assert_eq!(r.provider_type.as_deref(), Some("GITHUB"));
        assert_eq!(
            r.integration_arn.as_deref(),
            Some("arn:aws:inspector2:eu-west-1:111111111111:codesecurity-integration/7c9e6679-7425-40de-944b-e07fc1f90ae7")
        );
        assert_eq!(
            (r.function_name.as_ref(), r.image_id.as_ref()),
            (None, None)
        );
        assert_eq!(
            doc.code_vulnerability,
            Some(CodeVulnerability {
                cwe_ids: vec!["CWE-798".into()],
                detector_id: Some("python/hardcoded-credentials@v1.0".into()),
                detector_name: Some("Hardcoded credentials".into()),
                rule_id: Some("python-detect-hardcoded-aws-credentials".into()),
                file_path: Some("services/billing/settings.py".into()),
                start_line: Some(12),
                end_line: Some(14),
                file_name: Some("settings.py".into()),
            })
        );
        // Through JSON and back, as S3 and OpenSearch keep it.
        let stored: Finding = serde_json::from_str(&serde_json::to_string(&doc).unwrap()).unwrap();
        assert_eq!(stored, doc);
        let json = serde_json::to_value(&doc).unwrap();
        assert_eq!(json["resource"]["provider_type"], "GITHUB");
        assert_eq!(json["code_vulnerability"]["start_line"], 12);
    }

    #[test]
    fn optional_sections_may_be_absent_or_null() {
        let detail = edited(fixture!("lambda-package-vulnerability"), |d| {
            let d = d.as_object_mut().unwrap();
            for key in [
                "description",
                "title",
                "remediation",
                "epss",
                "exploitAvailable",
                "exploitabilityDetails",
                "fixAvailable",
                "inspectorScore",
                "inspectorScoreDetails",
                "packageVulnerabilityDetails",
                "updatedAt",
                "type",
            ] {
                d.remove(key);
            }
            d.insert("networkReachabilityDetails".into(), Value::Null);
            d["resources"][0]["details"] = Value::Null;
            d["resources"][0]["tags"] = Value::Null;
        });
        let doc = normalise(detail).unwrap();
        assert_eq!(
            (
                doc.title.as_str(),
                doc.description.as_str(),
                doc.recommendation.as_str()
            ),
            ("", "", "")
        );
        assert_eq!(doc.finding_type, "");
        assert_eq!(
            (doc.severity_score, &doc.cvss, doc.epss_score),
            (None, &None, None)
        );
        assert!(doc.cve_ids.is_empty() && doc.vulnerable_packages.is_empty());
        assert_eq!(doc.updated_at, None);
        assert_eq!(doc.resource.function_name, None);
        crate::fuzzing::document(&doc);
    }

    #[test]
    fn an_unknown_resource_type_keeps_its_type_id_and_tags() {
        let detail = edited(fixture!("ecr-package-vulnerability"), |d| {
            d["resources"] = json!([{
                "type": "AWS_ECR_REPOSITORY",
                "id": "arn:aws:ecr:eu-central-1:123456789012:repository/abc",
                "tags": {"team": "a"},
                "details": {"awsEcrRepository": {"name": "abc"}}
            }]);
        });
        let r = normalise(detail).unwrap().resource;
        assert_eq!(r.resource_type, "AWS_ECR_REPOSITORY");
        assert!(r.id.ends_with("repository/abc"));
        assert_eq!(r.tags["team"], "a");
        assert_eq!((r.image_id, r.repository_name), (None, None));
    }

    #[test]
    fn broken_findings_say_what_is_wrong() {
        let ecr = fixture!("ecr-package-vulnerability");
        let remove = |key: &'static str| {
            edited(ecr, move |d| {
                d.as_object_mut().unwrap().remove(key);
            })
        };
        let set = |key: &'static str, value: Value| edited(ecr, move |d| d[key] = value);
        let cases = [
            (
                remove("findingArn"),
                "Inspector2 Finding event without detail.findingArn",
            ),
            (remove("severity"), "without detail.severity"),
            (remove("status"), "without detail.status"),
            (remove("firstObservedAt"), "without detail.firstObservedAt"),
            (remove("lastObservedAt"), "without detail.lastObservedAt"),
            (remove("resources"), "without detail.resources"),
            (
                set("resources", json!([{"type": "AWS_EC2_INSTANCE"}])),
                "without detail.resources[0].id",
            ),
            (
                set("resources", json!([{"id": "i-1"}])),
                "without detail.resources[0].type",
            ),
            (
                set("severity", json!("SEVERE")),
                "detail.severity \"SEVERE\", not one of",
            ),
            (
                set("status", json!("OPEN")),
                "detail.status \"OPEN\", not one of",
            ),
            (
                set(
                    "findingArn",
                    json!("arn:aws:inspector:eu-central-1:123456789012:finding/abc"),
                ),
                "its service is not inspector2",
            ),
            (
                set(
                    "findingArn",
                    json!("arn:aws:inspector2:eu-central-1:12345:finding/abc"),
                ),
                "its account is not 12 digits",
            ),
            (
                set(
                    "findingArn",
                    json!("arn:aws:inspector2:../x:123456789012:finding/abc"),
                ),
                "its region is not a region name",
            ),
            (
                set(
                    "findingArn",
                    json!("arn:aws:inspector2:eu-central-1:123456789012:finding/"),
                ),
                "not finding/<id>",
            ),
            (
                set("findingArn", json!("finding")),
                "expected arn:partition",
            ),
            (
                set("firstObservedAt", json!("yesterday")),
                "detail.firstObservedAt \"yesterday\" that is not a time",
            ),
            (
                set("lastObservedAt", json!("Wed Feb 30 16:59:44.356 UTC 2024")),
                "detail.lastObservedAt",
            ),
            (
                set("updatedAt", json!(-1)),
                "detail.updatedAt -1 that is not a time",
            ),
            (set("updatedAt", json!(true)), "detail.updatedAt true"),
            (
                edited(ecr, |d| {
                    d["resources"][0]["details"]["awsEcrContainerImage"]["pushedAt"] =
                        json!("last week")
                }),
                "detail.resources[0].details.awsEcrContainerImage.pushedAt \"last week\" that is not a time",
            ),
            (
                set("inspectorScore", json!("high")),
                "detail is not a finding: invalid type: string \"high\"",
            ),
            (json!([]), "without a detail object"),
        ];
        for (detail, expected) in cases {
            let err = normalise(detail.clone()).unwrap_err().to_string();
            assert!(err.contains(expected), "{detail}: {err}");
        }
    }

    #[test]
    fn only_cve_ids_count_as_cves() {
        for id in ["CVE-2024-29069", "CVE-2021-44228", "CVE-2024-1234567"] {
            assert!(is_cve(id), "{id}");
        }
        for id in [
            "USN-6940-1",
            "GHSA-xxxx-yyyy-zzzz",
            "CVE-24-1234",
            "CVE-2024-12",
            "CVE-2024-12a4",
            "cve-2024-1234",
        ] {
            assert!(!is_cve(id), "{id}");
        }
    }
}
