//! The local AWS's Inspector v2 from the Rust SDK, as our provider and Lambdas call it: an
//! organisation of fresh accounts (management names the delegated administrator, the
//! administrator associates a member and enables EC2 scanning for both), the member's
//! instances found by the emulator's own scans, what each account may see, and a closure.

use std::time::{Duration, Instant};

use aws_sdk_inspector2::types::{
    CoverageResourceType, FilterCriteria, FindingStatus, ResourceScanType, ScanType, Status,
    StringComparison, StringFilter,
};
use test_support::{unique_account_id, LocalAws};

const REGION: &str = "us-east-1";
/// moto's Ubuntu image: the emulator's catalogue has Linux package findings for it.
const LINUX_AMI: &str = "ami-1e749f67";

async fn inspector2(account: &str) -> aws_sdk_inspector2::Client {
    aws_sdk_inspector2::Client::new(&LocalAws::shared().sdk_config(account, REGION).await)
}

async fn ec2(account: &str) -> aws_sdk_ec2::Client {
    aws_sdk_ec2::Client::new(&LocalAws::shared().sdk_config(account, REGION).await)
}

async fn run_instance(ec2: &aws_sdk_ec2::Client, tags: &[(&str, &str)]) -> String {
    use aws_sdk_ec2::types::{ResourceType, Tag, TagSpecification};
    let mut request = ec2
        .run_instances()
        .image_id(LINUX_AMI)
        .min_count(1)
        .max_count(1);
    if !tags.is_empty() {
        let mut spec = TagSpecification::builder().resource_type(ResourceType::Instance);
        for (key, value) in tags {
            spec = spec.tags(Tag::builder().key(*key).value(*value).build());
        }
        request = request.tag_specifications(spec.build());
    }
    let reservation = request.send().await.unwrap();
    reservation.instances()[0].instance_id().unwrap().to_owned()
}

/// Every finding `client` may see about `resource_id`, all pages.
async fn findings_of(
    client: &aws_sdk_inspector2::Client,
    resource_id: &str,
) -> Vec<aws_sdk_inspector2::types::Finding> {
    let criteria = FilterCriteria::builder()
        .resource_id(
            StringFilter::builder()
                .comparison(StringComparison::Equals)
                .value(resource_id)
                .build()
                .unwrap(),
        )
        .build();
    let mut found = Vec::new();
    let mut pages = client
        .list_findings()
        .filter_criteria(criteria)
        .max_results(50)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        found.extend(page.unwrap().findings().iter().cloned());
    }
    found
}

/// Polls until `check` holds on the findings of `resource_id` (the emulator scans in the
/// background within seconds), at most 30 s.
async fn wait_for_findings(
    client: &aws_sdk_inspector2::Client,
    resource_id: &str,
    what: &str,
    check: impl Fn(&[aws_sdk_inspector2::types::Finding]) -> bool,
) -> Vec<aws_sdk_inspector2::types::Finding> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let found = findings_of(client, resource_id).await;
        if check(&found) {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "after 30 s, no {what} for {resource_id}: {found:#?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_organisation_scans_its_members_instances_and_each_account_sees_what_it_may() {
    let (management, admin, member, outsider) = (
        unique_account_id("81"),
        unique_account_id("82"),
        unique_account_id("83"),
        unique_account_id("84"),
    );
    inspector2(&management)
        .await
        .enable_delegated_admin_account()
        .delegated_admin_account_id(&admin)
        .send()
        .await
        .unwrap();
    let administrator = inspector2(&admin).await;
    administrator
        .associate_member()
        .account_id(&member)
        .send()
        .await
        .unwrap();
    let enabled = administrator
        .enable()
        .account_ids(&admin)
        .account_ids(&member)
        .resource_types(ResourceScanType::Ec2)
        .send()
        .await
        .unwrap();
    assert!(enabled.failed_accounts().is_empty(), "{enabled:?}");

    // BatchGetAccountStatus: EC2 scanning is on for both accounts.
    let status = administrator
        .batch_get_account_status()
        .account_ids(&admin)
        .account_ids(&member)
        .send()
        .await
        .unwrap();
    assert_eq!(status.accounts().len(), 2, "{status:?}");
    for account in status.accounts() {
        let ec2 = account.resource_state().and_then(|s| s.ec2()).unwrap();
        assert_eq!(ec2.status(), &Status::Enabled, "{account:?}");
    }

    // The member runs two instances; one is excluded by tag.
    let member_ec2 = ec2(&member).await;
    let scanned = run_instance(&member_ec2, &[]).await;
    let excluded = run_instance(&member_ec2, &[("InspectorEc2Exclusion", "true")]).await;

    let found = wait_for_findings(&administrator, &scanned, "ACTIVE findings", |found| {
        !found.is_empty()
    })
    .await;
    for finding in &found {
        assert_eq!(finding.aws_account_id(), member.as_str());
        assert_eq!(finding.status(), &FindingStatus::Active);
        assert_eq!(finding.resources()[0].id(), scanned.as_str());
    }
    assert!(findings_of(&administrator, &excluded).await.is_empty());

    // The member sees its own findings; an account outside the organisation sees none.
    let own = findings_of(&inspector2(&member).await, &scanned).await;
    assert_eq!(own.len(), found.len());
    assert!(findings_of(&inspector2(&outsider).await, &scanned)
        .await
        .is_empty());

    // Coverage: the excluded instance is known and not scanned, and says why.
    let coverage = administrator
        .list_coverage()
        .send()
        .await
        .unwrap()
        .covered_resources()
        .to_vec();
    let excluded_coverage = coverage
        .iter()
        .find(|c| c.resource_id() == excluded)
        .unwrap_or_else(|| panic!("no coverage for {excluded}: {coverage:#?}"));
    assert_eq!(
        excluded_coverage.resource_type(),
        &CoverageResourceType::AwsEc2Instance
    );
    assert_eq!(excluded_coverage.scan_type(), &ScanType::Package);
    let reason = excluded_coverage
        .scan_status()
        .map(|s| s.reason().as_str().to_owned());
    assert_eq!(reason.as_deref(), Some("EXCLUDED_BY_TAG"));

    // Terminated: every finding of the instance goes CLOSED.
    member_ec2
        .terminate_instances()
        .instance_ids(&scanned)
        .send()
        .await
        .unwrap();
    let closed = wait_for_findings(&administrator, &scanned, "CLOSED findings", |found| {
        !found.is_empty() && found.iter().all(|f| f.status() == &FindingStatus::Closed)
    })
    .await;
    assert_eq!(closed.len(), found.len());
}
