//! Batched reads from member accounts: DescribeFindings (at most 10 ARNs a call) and one
//! DescribeInstances per account and region for the distinct instances of a batch.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_ec2::types::Filter;
use tracing::instrument;

use crate::classic::{ClassicFinding, InstanceDetails};

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
) -> Result<DescribedFindings, aws_sdk_inspector::Error> {
    let mut described = DescribedFindings::default();
    for chunk in arns.chunks(DESCRIBE_FINDINGS_MAX) {
        let output = inspector
            .describe_findings()
            .set_finding_arns(Some(chunk.to_vec()))
            .locale(aws_sdk_inspector::types::Locale::EnUs)
            .send()
            .await?;
        for finding in output.findings() {
            described
                .found
                .insert(finding.arn().to_owned(), ClassicFinding::from(finding));
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
