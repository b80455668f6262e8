//! Inspector v2 finding details (BatchGetFindingDetails) in send-findings, over findings the
//! local AWS's v2 emulator produces for instances the members run: stored for every
//! package finding that has them, cached, counted, and never a reason to lose a finding.

use std::collections::BTreeMap;

use inspectorlink_core::deadline::Deadline;
use inspectorlink_core::finding::Finding;
use inspectorlink_core::priority::{Priority, PriorityLabel};
use inspectorlink_findings::details::DetailsStatus;
use serde_json::json;
use test_support::inspector2::{kev_and_exploitation, Organisation, LINUX_AMI, WINDOWS_AMI};
use test_support::sqs::event;
use test_support::LocalAws;

use super::{calls_of, calls_since, inject_fault, Sinks, PRIMARY};

fn details_status(finding: &Finding) -> Option<DetailsStatus> {
    finding.details.as_ref().map(|d| d.status)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_package_finding_is_stored_with_its_details_and_kev_makes_it_p1() {
    let org = Organisation::create("63", 1, PRIMARY).await;
    let member = &org.members[0];
    org.run_instances(member, WINDOWS_AMI, 1).await;
    org.run_instances(member, LINUX_AMI, 2).await;
    // KB4012212 for the Windows instance, two CVEs for each Linux one.
    let mut records = org.events(5).await;
    let sinks = Sinks::in_account(&org.admin).await;
    // Each event twice in the batch (a redelivery beside the first delivery): one
    // question per finding, and both copies get its answer.
    let again: Vec<(String, String)> = records
        .iter()
        .map(|(id, body)| (format!("{id}-again"), body.clone()))
        .collect();
    records.extend(again);

    let outcome = sinks
        .pipeline
        .process(event(&records), Deadline::NONE)
        .await;
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    assert_eq!(outcome.details_unavailable, 0);
    let stored: Vec<Finding> = sinks.objects().await.into_values().collect();
    assert_eq!(stored.len(), 5);
    let arns: Vec<(String, String)> = stored
        .iter()
        .map(|f| (f.region.clone(), f.finding_arn.clone()))
        .collect();
    let expected = kev_and_exploitation(&org.admin, &arns).await;
    assert_eq!(expected.len(), 5, "the emulator has details for each");
    for finding in &stored {
        let details = finding.details.as_ref().expect("details");
        assert_eq!(details.status, DetailsStatus::Fetched, "{}", finding.id);
        let (due, last_seen) = &expected[&finding.finding_arn];
        assert_eq!(
            details.kev.as_ref().and_then(|k| k.due_date.clone()),
            *due,
            "{}",
            finding.finding_arn
        );
        assert_eq!(
            details
                .exploit_observed
                .as_ref()
                .and_then(|e| e.last_seen.clone()),
            *last_seen
        );
    }
    let kb = stored
        .iter()
        .find(|f| f.vulnerability_id.as_deref() == Some("KB4012212"))
        .expect("the Windows update finding");
    let kev = kb.details.as_ref().unwrap().kev.as_ref().expect("in KEV");
    assert!(kev.date_added.is_some() && kev.required_action.is_some());
    assert_eq!(kb.current_priority().label, PriorityLabel::P1);
    for finding in &stored {
        assert_eq!(
            finding.priority,
            Some(Priority::of(finding)),
            "{}: the stored priority is the one its details give",
            finding.finding_arn
        );
    }

    // The index holds the same details, and the pipeline's own mapping takes them.
    let documents = sinks.opensearch(json!({}))["documents"]["inspector-findings"].clone();
    let indexed = &documents[&kb.id]["_source"]["details"];
    assert_eq!(indexed["status"], "fetched");
    assert_eq!(indexed["kev"]["due_date"].as_str(), kev.due_date.as_deref());
}

#[tokio::test(flavor = "multi_thread")]
async fn throttled_or_denied_details_lose_no_finding_and_the_next_event_fills_them_in() {
    let org = Organisation::create("63", 1, PRIMARY).await;
    let member = &org.members[0];
    org.run_instances(member, WINDOWS_AMI, 1).await;
    org.run_instances(member, LINUX_AMI, 1).await;
    let records = org.events(3).await;
    let sinks = Sinks::in_account(&org.admin).await;
    let stored_statuses = || async {
        sinks
            .objects()
            .await
            .into_values()
            .map(|f| (f.vulnerability_id.clone().unwrap(), f))
            .collect::<BTreeMap<String, Finding>>()
    };

    // Throttled for longer than the SDK retries, then denied outright: each time every
    // finding is stored, says why it has no details, and counts in DetailsUnavailable.
    for (code, status) in [("ThrottlingException", 400), ("AccessDeniedException", 403)] {
        inject_fault(
            &org.admin,
            "inspector2:BatchGetFindingDetails",
            code,
            status,
            10,
        );
        let outcome = sinks
            .pipeline
            .process(event(&records), Deadline::NONE)
            .await;
        LocalAws::shared().admin(
            "/_localaws/faults",
            &json!({"account_id": org.admin, "clear": true}),
        );
        assert!(outcome.failed.is_empty(), "{code}: {:?}", outcome.failed);
        assert_eq!(outcome.stored.len(), 3, "{code}");
        assert_eq!(outcome.details_unavailable, 3, "{code}");
        for (vulnerability, finding) in stored_statuses().await {
            let details = finding.details.as_ref().unwrap();
            assert_eq!(
                details.status,
                DetailsStatus::Unavailable,
                "{vulnerability}"
            );
            let reason = details.reason.as_deref().unwrap();
            assert!(
                reason.contains(code) && reason.contains("BatchGetFindingDetails"),
                "{reason}"
            );
        }
        for finding in stored_statuses().await.values() {
            assert_eq!(finding.priority, Some(Priority::of(finding)), "{code}");
        }
    }

    // The next event of each finding (here: the same events again) asks again.
    let outcome = sinks
        .pipeline
        .process(event(&records), Deadline::NONE)
        .await;
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    assert_eq!(outcome.details_unavailable, 0);
    let stored = stored_statuses().await;
    assert!(
        stored
            .values()
            .all(|f| details_status(f) == Some(DetailsStatus::Fetched)),
        "{:?}",
        stored.values().map(details_status).collect::<Vec<_>>()
    );
    assert_eq!(
        stored["KB4012212"].current_priority().label,
        PriorityLabel::P1
    );

    // An account that is not the findings' administrator is refused per finding
    // (ACCESS_DENIED): stored all the same, without details.
    let outsider = Sinks::in_account(&test_support::unique_account_id("63")).await;
    let outcome = outsider
        .pipeline
        .process(event(&records), Deadline::NONE)
        .await;
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    assert_eq!(outcome.details_unavailable, 3);
    for finding in outsider.objects().await.values() {
        let details = finding.details.as_ref().unwrap();
        assert_eq!(details.status, DetailsStatus::Unavailable);
        assert!(
            details
                .reason
                .as_deref()
                .unwrap()
                .starts_with("ACCESS_DENIED"),
            "{details:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ten_finding_v2_batch_costs_at_most_one_and_a_half_api_calls_per_finding() {
    let org = Organisation::create("64", 1, PRIMARY).await;
    let member = org.members[0].clone();
    let sinks = Sinks::in_account(&org.admin).await;
    let total = |calls: &BTreeMap<String, u64>| calls.values().sum::<u64>();

    // Cold: the first batch of an execution environment. Warm: the next batch, of new
    // findings (other instances), with the index template already put.
    let mut per_batch = Vec::new();
    let mut last_records = Vec::new();
    for _round in ["cold", "warm"] {
        org.run_instances(&member, WINDOWS_AMI, 2).await;
        org.run_instances(&member, LINUX_AMI, 4).await;
        let records = org.events(10).await;
        let before = calls_of(&org.admin);
        let outcome = sinks
            .pipeline
            .process(event(&records), Deadline::NONE)
            .await;
        assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
        assert_eq!(outcome.stored.len(), 10);
        let calls = calls_since(&before, &org.admin);
        assert_eq!(outcome.api_calls, total(&calls), "{calls:?}");
        per_batch.push(calls);
        last_records = records;
    }
    let [cold, warm] = &per_batch[..] else {
        unreachable!()
    };
    // Cold: BatchGetFindingDetails + 10 PutObject + index template + _bulk.
    assert_eq!(cold["inspector2:BatchGetFindingDetails"], 1, "{cold:?}");
    assert_eq!(cold["s3:PUT object"], 10, "{cold:?}");
    assert_eq!(cold["es:POST _bulk"], 1, "{cold:?}");
    assert!(total(cold) <= 15, "cold: {cold:?}");
    assert_eq!(warm["inspector2:BatchGetFindingDetails"], 1, "{warm:?}");
    assert!(!warm.contains_key("es:PUT _index_template"), "{warm:?}");
    assert!(total(warm) <= 13, "warm: {warm:?}");

    // A redelivered batch finds every state's details in the cache.
    let before = calls_of(&org.admin);
    sinks
        .pipeline
        .process(event(&last_records), Deadline::NONE)
        .await;
    let redelivered = calls_since(&before, &org.admin);
    assert!(
        !redelivered.contains_key("inspector2:BatchGetFindingDetails"),
        "{redelivered:?}"
    );
    println!(
        "BENCH send_findings_v2_api_calls_per_finding_cold {:.1} calls/finding",
        total(cold) as f64 / 10.0
    );
    println!(
        "BENCH send_findings_v2_api_calls_per_finding_warm {:.1} calls/finding",
        total(warm) as f64 / 10.0
    );
}
