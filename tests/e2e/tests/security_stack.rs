//! tests/terraform/security-stack: the security account's side of the estate as a user
//! composes it (security-primary in us-east-1, security-region in both regions), applied,
//! planned clean, then Inspector Classic runs in a listed and an unlisted member of both
//! regions against its topics: exactly the listed member's findings reach both central
//! queues; then destroyed. SubscribeToEvent itself checks that a topic's policy lets the
//! region's Inspector service account publish (the local AWS refuses otherwise), so a
//! subscription that succeeds is the policy working.

use std::collections::BTreeMap;

use aws_sdk_inspector::types::InspectorEvent;
use serde_json::{json, Value};
use test_support::classic::{run_instances, TaggedTemplate};
use test_support::{unique_suffix, LocalAws, MEMBER_ACCOUNTS, REGIONS, SECURITY_ACCOUNT};

/// The stack lists the first member (local.members in main.tf) and not the second.
const LISTED: &str = MEMBER_ACCOUNTS[0];
const UNLISTED: &str = MEMBER_ACCOUNTS[1];

#[tokio::test(flavor = "multi_thread")]
#[ignore = "applies the security stack (minutes): make test-modules runs it"]
async fn security_stack_plans_clean_and_delivers_only_listed_members_findings_to_both_queues() {
    let aws = LocalAws::shared();
    let suffix = unique_suffix();
    let tf = aws.terraform("tests/terraform/security-stack");
    // The stack's event source mappings are off: the test reads the queues itself.
    let zip = tf.stand_in_zip();
    tf.set_vars(&json!({
        "name_suffix": suffix,
        "send_findings_zip": zip,
        "notify_findings_zip": zip,
    }));
    let _deployed = tf.deploy();
    let outputs = tf.outputs();
    let topics: Vec<String> = serde_json::from_value(outputs["topic_arns"].clone()).unwrap();
    let queues: Vec<String> = serde_json::from_value(outputs["queue_urls"].clone()).unwrap();
    assert_eq!(
        topics.len(),
        REGIONS.len(),
        "a topic per region: {outputs:#}"
    );

    // A tagged instance and a template subscribed to the region's topic, in each member
    // and region; each run reports its findings to the topic.
    let mut templates = Vec::new(); // deleted (targets, templates, runs) on drop
    let mut instances = Vec::new();
    let mut expected = Vec::new();
    for (region, topic) in REGIONS.iter().zip(&topics) {
        for account in [LISTED, UNLISTED] {
            let tag = format!("ilstack-{suffix}-{}", &account[..3]);
            let ids = run_instances(account, region, 1, Some(&tag)).await;
            let config = aws.sdk_config(account, region).await;
            let template =
                TaggedTemplate::create(&aws_sdk_inspector::Client::new(&config), &tag, region)
                    .await;
            template
                .subscribe(InspectorEvent::FindingReported, topic)
                .await;
            let (_, findings) = template.run().await;
            assert!(
                !findings.is_empty(),
                "{account} {region}: the run found nothing"
            );
            println!(
                "  {account} {region}: {} findings reported to {topic}",
                findings.len()
            );
            if account == LISTED {
                expected.extend(findings);
            }
            templates.push(template);
            instances.push((aws_sdk_ec2::Client::new(&config), ids));
        }
    }
    expected.sort();

    // Both central queues hold exactly the listed member's findings, nothing of the other.
    let sqs = aws_sdk_sqs::Client::new(&aws.sdk_config(SECURITY_ACCOUNT, REGIONS[0]).await);
    for (name, url) in ["send", "notify"].iter().zip(&queues) {
        let messages: Vec<Value> = test_support::sqs::drain(&sqs, url)
            .await
            .into_iter()
            .map(|(_, body)| {
                let envelope: Value = serde_json::from_str(&body).unwrap();
                serde_json::from_str(envelope["Message"].as_str().unwrap()).unwrap()
            })
            .collect();
        let mut by_account: BTreeMap<String, usize> = BTreeMap::new();
        for message in &messages {
            let account = message["template"]
                .as_str()
                .unwrap()
                .split(':')
                .nth(4)
                .unwrap();
            *by_account.entry(account.to_owned()).or_default() += 1;
        }
        println!(
            "  {name} queue: {} messages, by template account {by_account:?}",
            messages.len()
        );
        let mut got: Vec<String> = messages
            .iter()
            .filter(|m| m["event"] == "FINDING_REPORTED")
            .map(|m| m["finding"].as_str().unwrap().to_owned())
            .collect();
        got.sort();
        assert!(
            !by_account.contains_key(UNLISTED),
            "the {name} queue holds messages of the unlisted member {UNLISTED}: {by_account:?}"
        );
        assert_eq!(
            got, expected,
            "the {name} queue holds exactly the findings of the listed member {LISTED}"
        );
    }

    for (ec2, ids) in instances {
        ec2.terminate_instances()
            .set_instance_ids(Some(ids))
            .send()
            .await
            .unwrap();
    }
}
