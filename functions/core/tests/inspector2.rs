//! Inspector v2 end to end over the local AWS: examples/inspector2 applied with the real
//! terraform (a clean plan after it); `Inspector2 Finding` events built from the documented
//! examples are put on the security account's default bus in the primary and a second
//! region; the forwarding rules route them to the send and notify queues; send-findings
//! and notify-findings run in-process over what the queues hold.

use std::collections::BTreeMap;

use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use inspectorlink_core::config::{Env, NotifyConfig, SendFindingsConfig};
use inspectorlink_core::deadline::Deadline;
use inspectorlink_core::finding::{Engine, Finding, Status};
use inspectorlink_core::notify::format::subject;
use inspectorlink_core::notify::NotifyFindings;
use inspectorlink_core::resolve::Record;
use serde_json::{json, Value};
use test_support::sqs::{drain, event};
use test_support::{unique_account_id, unique_suffix, LocalAws, REGIONS};

use super::notify::v2_states;
use super::{inspector2_event, objects_in, pipeline_over};

/// The documented events (functions/findings/tests/fixtures/inspector2/) other than the
/// EC2 package vulnerability, whose ACTIVE and CLOSED states the test sends apart.
const OTHERS: [&str; 4] = [
    "ec2-network-reachability",
    "ecr-package-vulnerability",
    "lambda-package-vulnerability",
    "lambda-code-vulnerability",
];

/// Puts `event` (a whole EventBridge event, as documented) on the default bus of the
/// security account in `region`, as Inspector does: source, detail-type, resources, detail.
async fn put_event(security_account: &str, region: &str, event: &Value) {
    let config = LocalAws::shared()
        .sdk_config(security_account, region)
        .await;
    let events = aws_sdk_eventbridge::Client::new(&config);
    let resources = event["resources"].as_array().unwrap().iter();
    let entry = PutEventsRequestEntry::builder()
        .source(event["source"].as_str().unwrap())
        .detail_type(event["detail-type"].as_str().unwrap())
        .set_resources(Some(
            resources.map(|r| r.as_str().unwrap().to_owned()).collect(),
        ))
        .detail(event["detail"].to_string())
        .build();
    let put = events.put_events().entries(entry).send().await.unwrap();
    assert_eq!(put.failed_entry_count(), 0, "{put:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn v2_events_from_two_regions_reach_s3_once_and_a_closure_is_announced_once() {
    let aws = LocalAws::shared();
    let suffix = unique_suffix();
    let tf = aws.terraform("examples/inspector2");
    let zip = tf.stand_in_zip();
    let email = format!("secops-{suffix}@example.com");
    // Accounts of the test's own: the local AWS's Inspector v2 scans what the enabled
    // accounts run, and the shared member accounts run other tests' instances, whose real
    // findings would reach these queues beside the documented events this test counts.
    let (security_account, member, excluded, management) = (
        unique_account_id("74"),
        unique_account_id("75"),
        unique_account_id("79"),
        unique_account_id("71"),
    );
    let security_account = security_account.as_str();
    tf.set_vars(&json!({
        "name_prefix": format!("ilv2-{suffix}"),
        "security_account_id": security_account,
        "management_account_id": management,
        "member_account_ids": [member, excluded],
        "excluded_account_ids": [excluded],
        "primary_region": REGIONS[0],
        "secondary_region": REGIONS[1],
        "account_role_name": "inspectorlink-test",
        "severities": ["MEDIUM", "HIGH", "CRITICAL"],
        "notify_min_severity": "INFORMATIONAL",
        "notification_emails": [email],
        "local_aws": true,
        "bucket_force_destroy": true,
        "send_findings_zip": zip,
        "notify_findings_zip": zip,
    }));
    let _deployed = tf.deploy();
    let outputs = tf.outputs();
    for region in REGIONS {
        assert_eq!(
            outputs["associated_account_ids"][region],
            json!([member]),
            "{region}: the excluded member is left alone"
        );
    }
    let out = |name: &str| match outputs[name].as_str() {
        Some(value) => value.to_owned(),
        None => panic!("no output {name} in {outputs:#}"),
    };

    let (primary, other) = (REGIONS[0], REGIONS[1]);
    let security = aws.sdk_config(security_account, primary).await;
    let sqs = aws_sdk_sqs::Client::new(&security);
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&security)
            .force_path_style(true)
            .build(),
    );
    let vars = BTreeMap::from([
        ("FINDINGS_BUCKET", out("findings_bucket")),
        ("FINDINGS_KMS_KEY_ARN", out("kms_key_arn")),
        ("NOTIFICATIONS_TOPIC_ARN", out("notifications_topic_arn")),
        ("NOTIFY_MIN_SEVERITY", "INFORMATIONAL".to_owned()),
        ("DEDUPE_TABLE", out("dedupe_table_name")),
        ("MEMBER_ROLE_NAME", "inspectorlink-read".to_owned()),
        ("AWS_REGION", primary.to_owned()),
    ]);
    let env = Env::new(|name: &str| vars.get(name).cloned());
    let send = pipeline_over(SendFindingsConfig::from_env(&env).unwrap(), &security, &s3);
    let notify = NotifyFindings::new(NotifyConfig::from_env(&env).unwrap(), &security);
    let (send_url, notify_url) = (
        outputs["queue_urls"]["send"].as_str().unwrap(),
        outputs["queue_urls"]["notify"].as_str().unwrap(),
    );

    // Round 1: every finding type, ACTIVE, alternately in the primary and the other region.
    let (active, closed) = v2_states();
    let mut sent: Vec<Value> = OTHERS
        .iter()
        .map(|name| serde_json::from_str(&inspector2_event(name)).unwrap())
        .collect();
    sent.push(serde_json::from_str(&active).unwrap());
    for (i, event) in sent.iter().enumerate() {
        put_event(security_account, REGIONS[i % 2], event).await;
    }
    // Below the rules' severities: dropped in either region (counted out below).
    let mut low: Value = serde_json::from_str(&inspector2_event(OTHERS[0])).unwrap();
    low["detail"]["severity"] = "LOW".into();
    for region in REGIONS {
        put_event(security_account, region, &low).await;
    }
    let to_send = drain(&sqs, send_url).await;
    let to_notify = drain(&sqs, notify_url).await;
    // SQS holds the whole event as EventBridge delivers it; a forwarded one keeps its region.
    // Delivery is at least once (and other runs' rules in this account forward too): count
    // events by id.
    let delivered = |messages: &[(String, String)]| -> BTreeMap<String, String> {
        messages
            .iter()
            .map(|(_, body)| {
                let body: Value = serde_json::from_str(body).unwrap();
                assert_eq!(body["detail-type"], "Inspector2 Finding");
                assert_eq!(body["account"], security_account);
                let region = body["region"].as_str().unwrap().to_owned();
                (body["id"].as_str().unwrap().to_owned(), region)
            })
            .collect()
    };
    let mut regions: Vec<String> = delivered(&to_send).into_values().collect();
    regions.sort();
    assert_eq!(
        regions,
        [primary, primary, primary, other, other],
        "no LOW event"
    );
    assert_eq!(delivered(&to_notify), delivered(&to_send));

    let stored = send.process(event(&to_send), Deadline::NONE).await;
    assert!(stored.failed.is_empty(), "{:?}", stored.failed);
    let announced = notify
        .process(Record::from_sqs(event(&to_notify)), Deadline::NONE)
        .await;
    assert!(announced.failed.is_empty(), "{:?}", announced.failed);
    assert_eq!(announced.published.len(), sent.len(), "one per finding");

    // One object per finding, with the engine, severity and resource of its event.
    let objects = objects_in::<Finding>(&s3, &out("findings_bucket"), "findings/").await;
    assert_eq!(objects.len(), sent.len(), "{:?}", objects.keys());
    for event in &sent {
        let detail = &event["detail"];
        let finding: &Finding = objects
            .values()
            .find(|f| f.finding_arn == detail["findingArn"])
            .unwrap_or_else(|| panic!("no object for {}", detail["findingArn"]));
        assert_eq!(finding.engine, Engine::InspectorV2);
        assert_eq!(finding.severity.as_str(), detail["severity"]);
        assert_eq!(finding.resource.id, detail["resources"][0]["id"]);
        assert_eq!(finding.account_id, detail["awsAccountId"]);
        assert_eq!(finding.status, Status::Active);
    }

    // Round 2: the EC2 finding closes (in the primary region) and is delivered twice.
    let closed: Value = serde_json::from_str(&closed).unwrap();
    put_event(security_account, primary, &closed).await;
    put_event(security_account, primary, &closed).await;
    let to_send = drain(&sqs, send_url).await;
    let to_notify = drain(&sqs, notify_url).await;
    assert_eq!(delivered(&to_send).len(), 2);
    assert_eq!(delivered(&to_notify).len(), 2);
    let stored = send.process(event(&to_send), Deadline::NONE).await;
    assert!(stored.failed.is_empty(), "{:?}", stored.failed);
    let announced_closure = notify
        .process(Record::from_sqs(event(&to_notify)), Deadline::NONE)
        .await;
    assert!(
        announced_closure.failed.is_empty(),
        "{:?}",
        announced_closure.failed
    );
    assert_eq!(
        announced_closure.published.len(),
        1,
        "delivered twice, announced once"
    );

    let after = objects_in::<Finding>(&s3, &out("findings_bucket"), "findings/").await;
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        objects.keys().collect::<Vec<_>>(),
        "the closure overwrote the same object"
    );
    let ec2: Vec<&Finding> = after
        .values()
        .filter(|f| f.finding_arn == closed["detail"]["findingArn"])
        .collect();
    assert_eq!(ec2.len(), 1);
    assert_eq!(ec2[0].status, Status::Closed);

    // Two notifications of that finding: ACTIVE, then CLOSED; one mail per finding and state.
    let mail = aws.mailbox(&email);
    assert_eq!(mail.len(), sent.len() + 1, "{mail:#?}");
    let active_doc = announced
        .published
        .iter()
        .find(|f| f.finding_arn == closed["detail"]["findingArn"])
        .unwrap();
    let closed_doc = &announced_closure.published[0];
    assert_eq!(
        (active_doc.status, closed_doc.status),
        (Status::Active, Status::Closed)
    );
    for doc in [active_doc, closed_doc] {
        let titled = mail.iter().filter(|m| m["subject"] == subject(doc)).count();
        assert_eq!(titled, 1, "{}: {mail:#?}", subject(doc));
    }

    // Nothing was dead-lettered on the way.
    for region in REGIONS {
        let dlq = outputs["rules"][region]["dlq_url"].as_str().unwrap();
        let sqs = aws_sdk_sqs::Client::new(&aws.sdk_config(security_account, region).await);
        assert!(drain(&sqs, dlq).await.is_empty(), "{region}");
    }

    // Each region's alarms (every dead-letter queue has one) reach the email subscriber
    // through a topic of that region: a CloudWatch alarm notifies no topic of another.
    for region in REGIONS {
        let topic = outputs["alarm_topic_arns"][region].as_str().unwrap();
        assert_eq!(topic.split(':').nth(3), Some(region), "{topic}");
        let sns = aws_sdk_sns::Client::new(&aws.sdk_config(security_account, region).await);
        let subscribed = sns
            .list_subscriptions_by_topic()
            .topic_arn(topic)
            .send()
            .await
            .unwrap();
        let emails: Vec<&str> = subscribed
            .subscriptions()
            .iter()
            .filter(|subscription| subscription.protocol() == Some("email"))
            .filter_map(|subscription| subscription.endpoint())
            .collect();
        assert_eq!(emails, [email.as_str()], "{region}: {topic}");
    }
}
