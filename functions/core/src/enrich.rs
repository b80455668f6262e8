//! Batched reads from member accounts: DescribeFindings (at most 10 ARNs a call) and one
//! DescribeInstances per account and region for the distinct instances of a batch.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_ec2::types::Filter;
use tracing::instrument;

use inspectorlink_findings::classic::{
    AssetAttributes, ClassicFinding, InstanceDetails, KeyValue, NetworkInterface, SecurityGroup,
    ServiceAttributes,
};

/// The most finding ARNs DescribeFindings accepts in one call.
pub const DESCRIBE_FINDINGS_MAX: usize = 10;
/// The most values an EC2 filter accepts.
const INSTANCE_FILTER_MAX: usize = 200;

/// A finding Inspector did not return, with its failure code and whether to retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingFinding {
    pub code: String,
    pub retryable: bool,
}

#[derive(Debug, Default)]
pub struct DescribedFindings {
    pub found: HashMap<String, ClassicFinding>,
    pub missing: HashMap<String, MissingFinding>,
}

/// Describes `arns` in calls of at most ten.
#[instrument(skip_all, fields(findings = arns.len()))]
pub async fn describe_findings(
    inspector: &aws_sdk_inspector::Client,
    arns: &[String],
    api_calls: &AtomicU64,
) -> Result<DescribedFindings, aws_sdk_inspector::Error> {
    let mut described = DescribedFindings::default();
    for chunk in arns.chunks(DESCRIBE_FINDINGS_MAX) {
        api_calls.fetch_add(1, Ordering::Relaxed);
        let output = inspector
            .describe_findings()
            .set_finding_arns(Some(chunk.to_vec()))
            .locale(aws_sdk_inspector::types::Locale::EnUs)
            .send()
            .await?;
        for finding in output.findings() {
            described
                .found
                .insert(finding.arn().to_owned(), classic_finding(finding));
        }
        for (arn, failure) in output.failed_items() {
            let missing = MissingFinding {
                code: failure.failure_code().as_str().to_owned(),
                retryable: failure.retryable(),
            };
            described.missing.insert(arn.clone(), missing);
        }
    }
    Ok(described)
}

/// Details of the instances that still exist; a terminated or unknown id is simply absent.
/// A filter rather than InstanceIds: with InstanceIds, one unknown id fails the whole call.
#[instrument(skip_all, fields(instances = instance_ids.len()))]
pub async fn describe_instances(
    ec2: &aws_sdk_ec2::Client,
    instance_ids: &[String],
    api_calls: &AtomicU64,
) -> Result<BTreeMap<String, InstanceDetails>, aws_sdk_ec2::Error> {
    let mut details = BTreeMap::new();
    for chunk in instance_ids.chunks(INSTANCE_FILTER_MAX) {
        let filter = Filter::builder()
            .name("instance-id")
            .set_values(Some(chunk.to_vec()))
            .build();
        let mut pages = ec2
            .describe_instances()
            .filters(filter)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            api_calls.fetch_add(1, Ordering::Relaxed);
            for instance in page?.reservations().iter().flat_map(|r| r.instances()) {
                let terminated = instance
                    .state()
                    .and_then(|s| s.name())
                    .is_some_and(|n| *n == aws_sdk_ec2::types::InstanceStateName::Terminated);
                if let (Some(id), false) = (instance.instance_id(), terminated) {
                    details.insert(id.to_owned(), instance_details(instance));
                }
            }
        }
    }
    Ok(details)
}

fn instance_details(instance: &aws_sdk_ec2::types::Instance) -> InstanceDetails {
    let interfaces = instance.network_interfaces();
    let sorted = |mut values: Vec<String>| {
        values.sort();
        values.dedup();
        values
    };
    let mut private_ips: Vec<String> = interfaces
        .iter()
        .flat_map(|n| n.private_ip_addresses())
        .filter_map(|a| a.private_ip_address().map(str::to_owned))
        .collect();
    private_ips.extend(instance.private_ip_address().map(str::to_owned));
    let mut public_ips: Vec<String> = interfaces
        .iter()
        .filter_map(|n| {
            n.association()
                .and_then(|a| a.public_ip())
                .map(str::to_owned)
        })
        .collect();
    public_ips.extend(instance.public_ip_address().map(str::to_owned));
    let mut subnet_ids: Vec<String> = interfaces
        .iter()
        .filter_map(|n| n.subnet_id().map(str::to_owned))
        .collect();
    subnet_ids.extend(instance.subnet_id().map(str::to_owned));
    let mut security_group_ids: Vec<String> = instance
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id().map(str::to_owned))
        .collect();
    security_group_ids.extend(
        interfaces
            .iter()
            .flat_map(|n| n.groups())
            .filter_map(|g| g.group_id().map(str::to_owned)),
    );
    InstanceDetails {
        instance_id: instance.instance_id().unwrap_or_default().to_owned(),
        image_id: instance.image_id().map(str::to_owned),
        vpc_id: instance.vpc_id().map(str::to_owned),
        subnet_ids: sorted(subnet_ids),
        security_group_ids: sorted(security_group_ids),
        private_ips: sorted(private_ips),
        public_ips: sorted(public_ips),
        hostname: instance
            .private_dns_name()
            .filter(|h| !h.is_empty())
            .map(str::to_owned),
        tags: instance
            .tags()
            .iter()
            .filter_map(|t| {
                Some((
                    t.key()?.to_owned(),
                    t.value().unwrap_or_default().to_owned(),
                ))
            })
            .collect(),
    }
}

/// A finding as aws-sdk-inspector returns it, in the API's JSON shape.
pub fn classic_finding(f: &aws_sdk_inspector::types::Finding) -> ClassicFinding {
    {
        let pairs = |attributes: &[aws_sdk_inspector::types::Attribute]| -> Vec<KeyValue> {
            attributes
                .iter()
                .map(|a| KeyValue {
                    key: a.key().to_owned(),
                    value: a.value().map(str::to_owned),
                })
                .collect()
        };
        ClassicFinding {
            arn: f.arn().to_owned(),
            schema_version: f.schema_version(),
            service: f.service().map(str::to_owned),
            service_attributes: f.service_attributes().map(|s| ServiceAttributes {
                schema_version: s.schema_version(),
                assessment_run_arn: s.assessment_run_arn().map(str::to_owned),
                rules_package_arn: s.rules_package_arn().map(str::to_owned),
            }),
            asset_type: f.asset_type().map(|t| t.as_str().to_owned()),
            asset_attributes: f.asset_attributes().map(|a| AssetAttributes {
                schema_version: a.schema_version(),
                agent_id: a.agent_id().map(str::to_owned),
                auto_scaling_group: a.auto_scaling_group().map(str::to_owned),
                ami_id: a.ami_id().map(str::to_owned),
                hostname: a.hostname().map(str::to_owned),
                ipv4_addresses: a.ipv4_addresses().to_vec(),
                tags: a
                    .tags()
                    .iter()
                    .map(|t| KeyValue {
                        key: t.key().to_owned(),
                        value: t.value().map(str::to_owned),
                    })
                    .collect(),
                network_interfaces: a
                    .network_interfaces()
                    .iter()
                    .map(|n| NetworkInterface {
                        network_interface_id: n.network_interface_id().map(str::to_owned),
                        subnet_id: n.subnet_id().map(str::to_owned),
                        vpc_id: n.vpc_id().map(str::to_owned),
                        private_dns_name: n.private_dns_name().map(str::to_owned),
                        private_ip_address: n.private_ip_address().map(str::to_owned),
                        public_dns_name: n.public_dns_name().map(str::to_owned),
                        public_ip: n.public_ip().map(str::to_owned),
                        ipv6_addresses: n.ipv6_addresses().to_vec(),
                        security_groups: n
                            .security_groups()
                            .iter()
                            .map(|g| SecurityGroup {
                                group_name: g.group_name().map(str::to_owned),
                                group_id: g.group_id().map(str::to_owned),
                            })
                            .collect(),
                    })
                    .collect(),
            }),
            id: f.id().map(str::to_owned),
            title: f.title().map(str::to_owned),
            description: f.description().map(str::to_owned),
            recommendation: f.recommendation().map(str::to_owned),
            severity: f.severity().map(|s| s.as_str().to_owned()),
            numeric_severity: Some(f.numeric_severity()),
            confidence: Some(f.confidence()),
            indicator_of_compromise: f.indicator_of_compromise(),
            attributes: pairs(f.attributes()),
            user_attributes: pairs(f.user_attributes()),
            created_at: f.created_at().as_secs_f64(),
            updated_at: f.updated_at().as_secs_f64(),
        }
    }
}
