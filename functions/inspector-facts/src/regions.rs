use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

/// The data file, embedded so that every binary carries the same facts.
const CLASSIC_REGIONS_JSON: &str = include_str!("../classic-regions.json");

/// One region where Inspector Classic ran.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ClassicRegion {
    #[serde(skip)]
    pub name: String,
    /// `aws` or `aws-us-gov`.
    pub partition: String,
    /// The account Inspector publishes SNS notifications from in this region: a topic's
    /// policy must allow it `sns:Publish`.
    pub service_account_id: String,
    pub rules_packages: Vec<RulesPackage>,
}

/// A rules package as `DescribeRulesPackages` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RulesPackage {
    pub arn: String,
    pub name: String,
    pub version: String,
    pub provider: String,
    pub description: String,
}

impl ClassicRegion {
    /// The IAM principal ARN of the region's Inspector service account, as topic policies name it.
    pub fn service_principal_arn(&self) -> String {
        format!(
            "arn:{}:iam::{}:root",
            self.partition, self.service_account_id
        )
    }
}

#[derive(Deserialize)]
struct DataFile {
    regions: BTreeMap<String, ClassicRegion>,
}

fn table() -> &'static BTreeMap<String, ClassicRegion> {
    static TABLE: OnceLock<BTreeMap<String, ClassicRegion>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut data: DataFile = serde_json::from_str(CLASSIC_REGIONS_JSON)
            .expect("classic-regions.json is valid (checked by this crate's tests)");
        for (name, region) in &mut data.regions {
            region.name = name.clone();
        }
        data.regions
    })
}

/// The Classic region named `region` (e.g. `us-east-1`), or None where Classic never ran.
pub fn classic_region(region: &str) -> Option<&'static ClassicRegion> {
    table().get(region)
}

/// Every Classic region, ordered by name.
pub fn classic_regions() -> impl Iterator<Item = &'static ClassicRegion> {
    table().values()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{InspectorArn, InspectorResource};

    #[test]
    fn us_east_1_has_the_documented_service_account() {
        let region = classic_region("us-east-1").unwrap();
        assert_eq!(region.service_account_id, "316112463485");
        assert_eq!(
            region.service_principal_arn(),
            "arn:aws:iam::316112463485:root"
        );
        assert_eq!(region.name, "us-east-1");
    }

    #[test]
    fn regions_without_classic_are_absent() {
        assert!(classic_region("af-south-1").is_none());
        assert!(classic_region("").is_none());
    }

    #[test]
    fn every_region_is_consistent_with_its_rules_package_arns() {
        let regions: Vec<_> = classic_regions().collect();
        assert!(regions.len() >= 14, "{} regions", regions.len());
        for region in regions {
            assert!(
                region.service_account_id.len() == 12
                    && region
                        .service_account_id
                        .bytes()
                        .all(|b| b.is_ascii_digit()),
                "{}: service account {:?}",
                region.name,
                region.service_account_id
            );
            let expected_partition = if region.name.starts_with("us-gov-") {
                "aws-us-gov"
            } else {
                "aws"
            };
            assert_eq!(region.partition, expected_partition, "{}", region.name);
            assert!(
                region.rules_packages.len() >= 3,
                "{} has {} rules packages",
                region.name,
                region.rules_packages.len()
            );
            for package in &region.rules_packages {
                let arn: InspectorArn = package
                    .arn
                    .parse()
                    .unwrap_or_else(|e| panic!("{}: {e}", region.name));
                assert_eq!(arn.region, region.name);
                assert_eq!(arn.partition, region.partition);
                assert_eq!(
                    arn.account, region.service_account_id,
                    "rules packages belong to the service account"
                );
                assert!(
                    matches!(arn.resource, InspectorResource::RulesPackage { .. }),
                    "{}",
                    package.arn
                );
                assert!(!package.name.is_empty() && !package.version.is_empty());
            }
            let cve = region
                .rules_packages
                .iter()
                .filter(|p| p.name == "Common Vulnerabilities and Exposures")
                .count();
            assert_eq!(cve, 1, "{} lists the CVE package once", region.name);
        }
    }
}
