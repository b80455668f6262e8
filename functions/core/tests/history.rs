//! A v2 finding's lifecycle and history, over states the local AWS's v2 emulator produces:
//! an instance excluded by tag (its findings close), included again (they reopen) and
//! excluded again, a day of the emulator's clock between each.

use std::collections::BTreeMap;

use inspectorlink_core::deadline::Deadline;
use inspectorlink_core::finding::{Finding, Status};
use serde_json::json;
use test_support::inspector2::{Organisation, LINUX_AMI};
use test_support::sqs::event;
use test_support::LocalAws;

use super::{objects_in, Sinks, PRIMARY};

const DAY: u64 = 86_400;
const EXCLUSION_TAG: &str = "InspectorEc2Exclusion";

/// Moves the emulator's clock by `seconds`, then makes a scan pass.
fn advance_and_scan(seconds: u64) {
    LocalAws::shared().admin(
        "/_localaws/inspector2/scan",
        &json!({"advance_seconds": seconds}),
    );
}

async fn set_excluded(member: &str, instance: &str, excluded: bool) {
    let ec2 = aws_sdk_ec2::Client::new(&LocalAws::shared().sdk_config(member, PRIMARY).await);
    let tag = aws_sdk_ec2::types::Tag::builder()
        .key(EXCLUSION_TAG)
        .value("true")
        .build();
    if excluded {
        ec2.create_tags()
            .resources(instance)
            .tags(tag)
            .send()
            .await
            .unwrap();
    } else {
        ec2.delete_tags()
            .resources(instance)
            .tags(tag)
            .send()
            .await
            .unwrap();
    }
}

/// The history entries under the sink's history prefix, by finding id, oldest first.
async fn history(sinks: &Sinks) -> BTreeMap<String, Vec<Finding>> {
    let prefix = format!("{}/", sinks.config.history_prefix);
    let mut entries: BTreeMap<String, Vec<Finding>> = BTreeMap::new();
    for (key, entry) in objects_in::<Finding>(&sinks.s3, &sinks.bucket, &prefix).await {
        assert!(
            key.ends_with(&format!("/{}/{}.json", entry.id, entry.version().unwrap())),
            "{key}: one object per finding and version"
        );
        entries.entry(entry.id.clone()).or_default().push(entry);
    }
    for found in entries.values_mut() {
        found.sort_by_key(Finding::version);
    }
    entries
}

#[tokio::test(flavor = "multi_thread")]
async fn closed_reopened_and_closed_again_leaves_three_history_entries_in_any_batching() {
    let org = Organisation::create("65", 1, PRIMARY).await;
    let member = org.members[0].clone();
    let [instance]: [String; 1] = org
        .run_instances(&member, LINUX_AMI, 1)
        .await
        .try_into()
        .unwrap();
    // One pipeline sees each state in a batch of its own, the other all states at once.
    let step_by_step = Sinks::in_account(&org.admin).await;
    let all_at_once = Sinks::in_account(&org.admin).await;
    let first = org.events(2).await;
    let mut every_record = first.clone();
    let mut batches = vec![first];
    for excluded in [true, false, true] {
        advance_and_scan(DAY);
        set_excluded(&member, &instance, excluded).await;
        advance_and_scan(0);
        let records = org.events(2).await;
        every_record.extend(records.clone());
        batches.push(records);
    }
    for records in batches {
        let outcome = step_by_step
            .pipeline
            .process(event(&records), Deadline::NONE)
            .await;
        assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
        assert_eq!(outcome.stored.len(), 2);
    }
    let outcome = all_at_once
        .pipeline
        .process(event(&every_record), Deadline::NONE)
        .await;
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);

    for sinks in [&step_by_step, &all_at_once] {
        let stored = sinks.objects().await;
        assert_eq!(stored.len(), 2);
        let history = history(sinks).await;
        let documents = sinks.opensearch(json!({}))["documents"]["inspector-findings"].clone();
        for finding in stored.values() {
            assert_eq!(finding.status, Status::Closed);
            assert_eq!(finding.reopened_count, 1, "{}", finding.finding_arn);
            let entries = &history[&finding.id];
            let statuses: Vec<Status> = entries.iter().map(|e| e.status).collect();
            assert_eq!(
                statuses,
                [Status::Closed, Status::Active, Status::Closed],
                "{}",
                finding.finding_arn
            );
            // The current document is the last entry; the closure it times is the second.
            assert_eq!(entries[2].closed_at, finding.closed_at);
            assert_eq!(finding.closed_at, finding.updated_at);
            assert_eq!(finding.status_changed_at, finding.updated_at);
            assert_eq!(entries[0].reopened_count, 0);
            assert_eq!(entries[1].reopened_count, 1);
            assert!(entries[1].closed_at.is_none());
            let first = entries[0].time_to_remediate_seconds.unwrap();
            let last = finding.time_to_remediate_seconds.unwrap();
            // First closed a day after first observed; closed again two days later.
            assert!((DAY as i64..2 * DAY as i64).contains(&first), "{first}");
            assert!(last >= first + 2 * DAY as i64, "{first} then {last}");
            let indexed = &documents[&finding.id]["_source"];
            assert_eq!(indexed["reopened_count"], 1);
            assert_eq!(indexed["time_to_remediate_seconds"], last);
        }
    }
}
