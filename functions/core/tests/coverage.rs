//! Coverage documents from what the local AWS's v2 emulator says of a member's instances:
//! one scanned, one without the agent (SSM-agent scan mode, no instance profile), one
//! excluded by tag; then the scheduled sweep, which lists the coverage, sends it back to
//! the queue as pages, and removes a terminated instance's document.

use std::collections::BTreeMap;

use aws_lambda_events::event::sqs::SqsEvent;
use aws_sdk_inspector2::types::{Ec2Configuration, Ec2ScanMode};
use inspectorlink_core::deadline::Deadline;
use inspectorlink_findings::sweep::{SweepPage, SweepRequest};
use inspectorlink_findings::{Coverage, CoverageSource, ScanStatus};
use serde_json::json;
use test_support::inspector2::{Organisation, LINUX_AMI};
use test_support::sqs::{drain, event};
use test_support::{unique_suffix, LocalAws};

use super::{objects_in, Sinks, PRIMARY};

const EXCLUSION_TAG: &str = "InspectorEc2Exclusion";

/// The coverage documents in the sinks' bucket, by resource id.
async fn stored(sinks: &Sinks) -> BTreeMap<String, Coverage> {
    let prefix = format!("{}/", sinks.config.coverage_prefix);
    objects_in::<Coverage>(&sinks.s3, &sinks.bucket, &prefix)
        .await
        .into_iter()
        .map(|(key, coverage)| {
            assert_eq!(key, coverage.s3_key(&sinks.config.coverage_prefix));
            (coverage.resource_id.clone(), coverage)
        })
        .collect()
}

/// The coverage documents in the sinks' index, by resource id.
fn indexed(sinks: &Sinks) -> BTreeMap<String, serde_json::Value> {
    let state = sinks.opensearch(json!({}));
    state["documents"]["inspector-coverage"]
        .as_object()
        .map(|docs| {
            docs.values()
                .map(|doc| {
                    let source = doc.get("_source").unwrap_or(doc).clone();
                    (source["resource_id"].as_str().unwrap().to_owned(), source)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The member's three instances: (scanned, without the agent, excluded).
async fn three_instances(org: &Organisation) -> (String, String, String) {
    let member = &org.members[0];
    let config = LocalAws::shared().sdk_config(member, PRIMARY).await;
    let iam = aws_sdk_iam::Client::new(&config);
    let profile = format!("ssm-managed-{}", unique_suffix());
    iam.create_instance_profile()
        .instance_profile_name(&profile)
        .send()
        .await
        .unwrap();
    let ec2 = aws_sdk_ec2::Client::new(&config);
    let run = |profile: Option<&str>, excluded: bool| {
        let mut request = ec2
            .run_instances()
            .image_id(LINUX_AMI)
            .min_count(1)
            .max_count(1);
        if let Some(profile) = profile {
            request = request.iam_instance_profile(
                aws_sdk_ec2::types::IamInstanceProfileSpecification::builder()
                    .name(profile)
                    .build(),
            );
        }
        if excluded {
            request = request.tag_specifications(
                aws_sdk_ec2::types::TagSpecification::builder()
                    .resource_type(aws_sdk_ec2::types::ResourceType::Instance)
                    .tags(
                        aws_sdk_ec2::types::Tag::builder()
                            .key(EXCLUSION_TAG)
                            .value("true")
                            .build(),
                    )
                    .build(),
            );
        }
        async move {
            request.send().await.unwrap().instances()[0]
                .instance_id()
                .unwrap()
                .to_owned()
        }
    };
    let scanned = run(Some(&profile), false).await;
    let unmanaged = run(None, false).await;
    let excluded = run(Some(&profile), true).await;
    (scanned, unmanaged, excluded)
}

/// `records` as SQS delivers them from `queue_arn`.
fn from_queue(records: &[(String, String)], queue_arn: &str) -> SqsEvent {
    let mut event = event(records);
    for record in &mut event.records {
        record.event_source_arn = Some(queue_arn.to_owned());
    }
    event
}

#[tokio::test(flavor = "multi_thread")]
async fn coverage_of_scanned_unmanaged_and_excluded_instances_and_the_sweep_that_follows_them() {
    let org = Organisation::create("66", 1, PRIMARY).await;
    // Agent-based scanning: an instance without an instance profile has no SSM agent.
    org.administrator()
        .await
        .update_configuration()
        .ec2_configuration(
            Ec2Configuration::builder()
                .scan_mode(Ec2ScanMode::Ec2SsmAgentBased)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let (scanned, unmanaged, excluded) = three_instances(&org).await;
    let sinks = Sinks::in_account(&org.admin).await;

    // The Coverage events (one per instance), as send-findings receives them.
    let events = org.coverage_events(3).await;
    let outcome = sinks.pipeline.process(event(&events), Deadline::NONE).await;
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    assert_eq!(outcome.coverage.len(), 3);
    let documents = stored(&sinks).await;
    let reason = |id: &str| {
        let doc = &documents[id];
        (doc.scan_status, doc.scan_status_reason.as_str(), doc.source)
    };
    assert_eq!(
        reason(&scanned),
        (
            ScanStatus::Active,
            "SUCCESSFUL",
            CoverageSource::CoverageEvent
        )
    );
    assert_eq!(
        reason(&unmanaged),
        (
            ScanStatus::Inactive,
            "UNMANAGED_EC2_INSTANCE",
            CoverageSource::CoverageEvent
        )
    );
    assert_eq!(
        reason(&excluded),
        (
            ScanStatus::Inactive,
            "EXCLUDED_BY_TAG",
            CoverageSource::CoverageEvent
        )
    );
    assert!(documents
        .values()
        .all(|d| d.account_id == org.members[0] && d.region == PRIMARY));
    let index = indexed(&sinks);
    assert_eq!(
        index.keys().collect::<Vec<_>>(),
        documents.keys().collect::<Vec<_>>()
    );
    assert_eq!(
        index[&unmanaged]["scan_status_reason"],
        "UNMANAGED_EC2_INSTANCE"
    );

    // The unmanaged instance goes; Inspector says nothing of it, the sweep notices.
    let ec2 = aws_sdk_ec2::Client::new(
        &LocalAws::shared()
            .sdk_config(&org.members[0], PRIMARY)
            .await,
    );
    ec2.terminate_instances()
        .instance_ids(&unmanaged)
        .send()
        .await
        .unwrap();
    LocalAws::shared().admin(
        "/_localaws/inspector2/scan",
        &json!({"advance_seconds": 60}),
    );
    // S3's LastModified has whole seconds: the sweep must begin in a later one.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    let sqs = aws_sdk_sqs::Client::new(&LocalAws::shared().sdk_config(&org.admin, PRIMARY).await);
    let queue = format!("send-{}", unique_suffix());
    let queue_url = test_support::sqs::new_queue(&sqs, &queue).await;
    let queue_arn = format!("arn:aws:sqs:{PRIMARY}:{}:{queue}", org.admin);
    let request = serde_json::to_string(&SweepRequest::new(vec![PRIMARY.to_owned()])).unwrap();
    // Inspector's time is the emulator's, which tests move forward (the events' times).
    let ahead = LocalAws::shared().get("/_localaws/inspector2/scan")["clock"]
        .as_f64()
        .unwrap()
        - time::OffsetDateTime::now_utc().unix_timestamp() as f64;
    let mut sinks = sinks;
    sinks.pipeline.sweeper.clock = std::sync::Arc::new(move || {
        time::OffsetDateTime::now_utc() + time::Duration::seconds_f64(ahead)
    });
    let swept = sinks
        .pipeline
        .process(
            from_queue(&[("sweep-1".into(), request)], &queue_arn),
            Deadline::NONE,
        )
        .await;
    assert!(swept.failed.is_empty(), "{:?}", swept.failed);
    assert_eq!(swept.coverage_removed, 1);
    assert_eq!(swept.sweep_pages_sent, 1);
    let documents = stored(&sinks).await;
    assert!(!documents.contains_key(&unmanaged), "{documents:?}");
    assert!(!indexed(&sinks).contains_key(&unmanaged));

    // Its page, received from the queue and processed, completes the two left.
    let pages = drain(&sqs, &queue_url).await;
    assert_eq!(pages.len(), 1);
    let page: SweepPage = serde_json::from_str(&pages[0].1).unwrap();
    assert_eq!(page.items.len(), 2, "{page:?}");
    let stored_pages = sinks
        .pipeline
        .process(from_queue(&pages, &queue_arn), Deadline::NONE)
        .await;
    assert!(stored_pages.failed.is_empty(), "{:?}", stored_pages.failed);
    assert_eq!(stored_pages.coverage.len(), 2, "{stored_pages:?}");
    let documents = stored(&sinks).await;
    assert_eq!(documents.len(), 2);
    for id in [&scanned, &excluded] {
        let doc = &documents[id];
        assert_eq!(doc.source, CoverageSource::ListCoverage);
        assert_eq!(doc.scan_mode.as_deref(), Some("EC2_SSM_AGENT_BASED"));
        assert_eq!(doc.observed_at, page.observed_at);
    }
    assert!(documents[&scanned].last_scanned_at.is_some());
    assert_eq!(documents[&excluded].scan_status_reason, "EXCLUDED_BY_TAG");

    // The same page again (a redelivery) changes nothing: no write, nothing lost.
    let again = sinks
        .pipeline
        .process(from_queue(&pages, &queue_arn), Deadline::NONE)
        .await;
    assert!(again.failed.is_empty());
    assert_eq!(again.coverage_unchanged, 2);
    assert_eq!(stored(&sinks).await, documents);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_page_or_a_request_from_nowhere_fails_alone_with_its_reason() {
    let sinks = Sinks::new().await;
    let item = |reason: &str| {
        json!({
            "accountId": "123456789012", "resourceId": format!("i-0{}", &unique_suffix()[..8]),
            "resourceType": "AWS_EC2_INSTANCE", "scanType": "PACKAGE",
            "scanStatus": {"statusCode": "INACTIVE", "reason": reason},
        })
    };
    let good = SweepPage::new(
        PRIMARY,
        time::OffsetDateTime::now_utc(),
        vec![item("EXCLUDED_BY_TAG")],
    );
    let mut bad = SweepPage::new(
        PRIMARY,
        time::OffsetDateTime::now_utc(),
        vec![item("EXCLUDED_BY_TAG")],
    );
    bad.items[0]["scanStatus"]["statusCode"] = "PAUSED".into();
    let request = SweepRequest::new(vec![]);
    let records = [
        ("good".to_owned(), serde_json::to_string(&good).unwrap()),
        ("bad".to_owned(), serde_json::to_string(&bad).unwrap()),
        (
            "nowhere".to_owned(),
            serde_json::to_string(&request).unwrap(),
        ),
    ];
    // Not from a queue: the request cannot say where its pages go.
    let outcome = sinks
        .pipeline
        .process(event(&records), Deadline::NONE)
        .await;
    assert_eq!(
        outcome.failed.keys().collect::<Vec<_>>(),
        ["bad", "nowhere"]
    );
    assert_eq!(
        outcome.failed["bad"],
        "ListCoverage item with scanStatus.statusCode \"PAUSED\" that is not ACTIVE or INACTIVE"
    );
    assert!(
        outcome.failed["nowhere"].contains("must come from send-findings' SQS queue"),
        "{}",
        outcome.failed["nowhere"]
    );
    assert_eq!(outcome.coverage.len(), 1);
    assert_eq!(stored(&sinks).await.len(), 1);
}
