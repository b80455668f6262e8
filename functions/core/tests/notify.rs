//! notify-findings against the local AWS: Classic findings from the emulator, announced to
//! a notifications topic with an SQS, an HTTP and two email subscribers; the dedupe table
//! is the local DynamoDB.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use inspectorlink_core::config::{Env, NotifyConfig};
use inspectorlink_core::dead_letter::REASON_ATTRIBUTE;
use inspectorlink_core::deadline::Deadline;
use inspectorlink_core::finding::{Engine, Finding, Severity, Status};
use inspectorlink_core::notify::dedupe::{record_key, Claim, DedupeTable, Seen};
use inspectorlink_core::notify::digest::DigestRequest;
use inspectorlink_core::notify::format::{email_text, subject};
use inspectorlink_core::notify::rules::RoutingRules;
use inspectorlink_core::notify::NotifyFindings;
use inspectorlink_core::resolve::Record;
use inspectorlink_core::{Priority, PriorityLabel};
use serde_json::{json, Value};
use test_support::classic::SecurityTopic;
use test_support::http_capture::HttpCapture;
use test_support::sqs::{batch, failed_ids, held, new_queue, received};
use test_support::{unique_suffix, LocalAws, MEMBER_ACCOUNTS, SECURITY_ACCOUNT};

use super::{inject_fault, queued, scan, PRIMARY};

const ALIAS: &str = "inspectorlink-member-a";

/// A notifications topic with its subscribers, a dedupe table, and the function over them.
struct Notifications {
    suffix: String,
    /// The notifications topic, and the SQS queue subscribed to it.
    topic: SecurityTopic,
    http: HttpCapture,
    /// Subscribed without a filter policy.
    email: String,
    /// Subscribed with a filter policy: severity_rank >= 3 (HIGH and CRITICAL).
    urgent_email: String,
    notify: NotifyFindings,
}

async fn dedupe_table(account: &str, suffix: &str) -> (aws_sdk_dynamodb::Client, String) {
    let config = LocalAws::shared().sdk_config(account, PRIMARY).await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let table = format!("notified-{suffix}");
    client
        .create_table()
        .table_name(&table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    (client, table)
}

impl Notifications {
    async fn new(min_severity: &str) -> Self {
        Self::in_account(SECURITY_ACCOUNT, min_severity).await
    }

    /// The topic, table and function in `account` (the function's own account).
    async fn in_account(account: &str, min_severity: &str) -> Self {
        let suffix = unique_suffix();
        let topic = SecurityTopic::create_in(account, &format!("notify-{suffix}"), PRIMARY).await;
        let http = HttpCapture::start("/inspector");
        let email = format!("security-{suffix}@example.com");
        let urgent_email = format!("on-call-{suffix}@example.com");
        for (protocol, endpoint) in [
            ("http", http.url.as_str()),
            ("email", email.as_str()),
            ("email", urgent_email.as_str()),
        ] {
            let mut subscribe = topic
                .sns
                .subscribe()
                .topic_arn(&topic.topic)
                .protocol(protocol)
                .endpoint(endpoint)
                .return_subscription_arn(true);
            if endpoint == urgent_email {
                subscribe = subscribe.attributes(
                    "FilterPolicy",
                    r#"{"severity_rank": [{"numeric": [">=", 3]}]}"#,
                );
            }
            subscribe.send().await.unwrap();
        }
        let (_, table) = dedupe_table(account, &suffix).await;
        let vars = BTreeMap::from([
            ("NOTIFICATIONS_TOPIC_ARN", topic.topic.clone()),
            ("NOTIFY_MIN_SEVERITY", min_severity.to_owned()),
            ("DEDUPE_TABLE", table),
            ("MEMBER_ROLE_NAME", "inspectorlink-read".to_owned()),
        ]);
        let config =
            NotifyConfig::from_env(&Env::new(|name: &str| vars.get(name).cloned())).unwrap();
        let security = LocalAws::shared().sdk_config(account, PRIMARY).await;
        Notifications {
            suffix,
            topic,
            http,
            email,
            urgent_email,
            notify: NotifyFindings::new(config, &security),
        }
    }

    /// The Finding documents the SQS subscriber received (the `default` message).
    async fn queued_documents(&self) -> Vec<Finding> {
        self.topic
            .drain()
            .await
            .into_iter()
            .map(|v| serde_json::from_value(v).unwrap())
            .collect()
    }
}

fn records(bodies: &[(String, String)]) -> Vec<Record> {
    bodies
        .iter()
        .map(|(id, body)| Record {
            message_id: id.clone(),
            body: body.clone(),
            source_arn: None,
        })
        .collect()
}

/// Gives the first member account an IAM alias (an account has at most one).
async fn alias_member_account() {
    let config = LocalAws::shared()
        .sdk_config(MEMBER_ACCOUNTS[0], PRIMARY)
        .await;
    let iam = aws_sdk_iam::Client::new(&config);
    let existing = iam.list_account_aliases().send().await.unwrap();
    if existing.account_aliases().first().map(String::as_str) != Some(ALIAS) {
        iam.create_account_alias()
            .account_alias(ALIAS)
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn findings_at_or_above_the_threshold_reach_sqs_http_and_email_once() {
    alias_member_account().await;
    let n = Notifications::new("MEDIUM").await;
    let findings_topic = SecurityTopic::create(&format!("found-{}", n.suffix), PRIMARY).await;
    // One instance: the emulator reports HIGH, MEDIUM, LOW and INFORMATIONAL findings.
    let (_template, _) = scan(MEMBER_ACCOUNTS[0], PRIMARY, &findings_topic, &n.suffix, 1).await;
    let bodies = queued(&findings_topic).await;
    assert_eq!(bodies.len(), 4);

    let outcome = n.notify.process(records(&bodies), Deadline::NONE).await;
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    assert_eq!(
        outcome.below_threshold, 2,
        "LOW and INFORMATIONAL stay silent"
    );
    let mut severities: Vec<Severity> = outcome.published.iter().map(|f| f.severity).collect();
    severities.sort();
    assert_eq!(severities, [Severity::Medium, Severity::High]);

    // SQS (and any protocol without a key of its own) gets the full normalised document.
    let mut queued_docs = n.queued_documents().await;
    queued_docs.sort_by_key(|f| f.severity);
    let mut published = outcome.published.clone();
    published.sort_by_key(|f| f.severity);
    assert_eq!(queued_docs, published);

    // HTTP: the SNS notification document, its Message the full JSON, with attributes.
    let posts = n.http.wait_for(2, Duration::from_secs(5));
    assert_eq!(posts.len(), 2);
    for post in &posts {
        assert_eq!(post.method, "POST");
        assert_eq!(post.headers["x-amz-sns-message-type"], "Notification");
        let notification: Value = serde_json::from_str(&post.body).unwrap();
        let finding: Finding =
            serde_json::from_str(notification["Message"].as_str().unwrap()).unwrap();
        assert!(published.contains(&finding));
        let attributes = &notification["MessageAttributes"];
        assert_eq!(attributes["severity"]["Value"], finding.severity.as_str());
        assert_eq!(attributes["account_id"]["Value"], MEMBER_ACCOUNTS[0]);
        assert_eq!(attributes["region"]["Value"], PRIMARY);
        assert_eq!(attributes["engine"]["Value"], "inspector_classic");
        assert_eq!(attributes["status"]["Value"], "ACTIVE");
        assert_eq!(attributes["severity_rank"]["Type"], "Number");
    }

    // Email: readable text, with the account's alias and the instance's Name tag.
    let mail = LocalAws::shared().mailbox(&n.email);
    assert_eq!(mail.len(), 2, "{mail:#?}");
    for finding in &published {
        let message = mail
            .iter()
            .find(|m| m["subject"] == subject(finding))
            .unwrap_or_else(|| panic!("no mail titled {}: {mail:#?}", subject(finding)));
        let body = message["body"].as_str().unwrap();
        assert!(
            body.starts_with(&email_text(finding, Some(ALIAS))),
            "{body}"
        );
        assert!(
            body.contains(&format!("Account:    {} ({ALIAS})", MEMBER_ACCOUNTS[0])),
            "{body}"
        );
        assert!(
            body.contains(&format!("Resource:   {}", finding.resource.id)),
            "{body}"
        );
        assert!(
            body.contains("CVEs:       ")
                && body.contains("https://us-east-1.console.aws.amazon.com/inspector/"),
            "{body}"
        );
        assert!(
            serde_json::from_str::<Value>(body).is_err(),
            "email is text, not JSON"
        );
    }
    // The on-call address filters on severity_rank: only the HIGH finding.
    let urgent = LocalAws::shared().mailbox(&n.urgent_email);
    assert_eq!(urgent.len(), 1, "{urgent:#?}");
    assert!(urgent[0]["subject"].as_str().unwrap().starts_with("[HIGH]"));

    // Redelivered (SQS at-least-once, or SNS retrying): nothing is published again.
    let again = n.notify.process(records(&bodies), Deadline::NONE).await;
    assert!(again.failed.is_empty(), "{:?}", again.failed);
    assert!(again.published.is_empty());
    assert_eq!((again.duplicates, again.below_threshold), (2, 2));
    assert!(n.queued_documents().await.is_empty());
    assert_eq!(n.http.wait_for(3, Duration::from_millis(500)).len(), 2);
    assert_eq!(LocalAws::shared().mailbox(&n.email).len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_records_fail_with_their_reason_and_publish_nothing() {
    let n = Notifications::new("INFORMATIONAL").await;
    let bodies = vec![
        ("not-json".to_owned(), "{oops".to_owned()),
        ("not-inspector".to_owned(), r#"{"hello": "world"}"#.to_owned()),
        (
            "bad-arn".to_owned(),
            r#"{"event": "FINDING_REPORTED", "finding": "arn:aws:inspector:us-east-1:222222222222:target/0-x"}"#
                .to_owned(),
        ),
    ];
    let outcome = n.notify.process(records(&bodies), Deadline::NONE).await;
    assert_eq!(outcome.failed.len(), 3, "{:?}", outcome.failed);
    assert!(outcome.failed["not-json"].contains("not JSON"));
    assert!(outcome.failed["not-inspector"].contains("\"event\" field"));
    assert!(outcome.failed["bad-arn"].contains("bad finding ARN"));
    assert!(outcome.published.is_empty());
    assert!(n.queued_documents().await.is_empty());
    assert!(n.http.wait_for(1, Duration::from_millis(300)).is_empty());
    assert!(LocalAws::shared().mailbox(&n.email).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_publish_fails_its_record_and_the_retry_announces_it_once() {
    // The function in an account of its own, so the injected fault hits only its publish.
    let publisher = "444444444444";
    let n = Notifications::in_account(publisher, "HIGH").await;
    let findings_topic = SecurityTopic::create(&format!("found-{}", n.suffix), PRIMARY).await;
    let (_template, _) = scan(MEMBER_ACCOUNTS[1], PRIMARY, &findings_topic, &n.suffix, 1).await;
    let bodies = queued(&findings_topic).await;

    inject_fault(publisher, "sns:Publish", "KMSAccessDenied", 400, 1);
    let failed = n.notify.process(records(&bodies), Deadline::NONE).await;
    assert_eq!(failed.failed.len(), 1, "{:?}", failed.failed);
    let reason = failed.failed.values().next().unwrap();
    assert!(
        reason.contains("publishing to") && reason.contains("sns:Publish"),
        "{reason}"
    );
    assert!(failed.published.is_empty());

    let retried = n.notify.process(records(&bodies), Deadline::NONE).await;
    assert!(retried.failed.is_empty(), "{:?}", retried.failed);
    assert_eq!(retried.published.len(), 1);
    assert_eq!(n.queued_documents().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_claim_lasts_as_long_as_the_invocation_that_made_it() {
    let suffix = unique_suffix();
    let (client, table) = dedupe_table(SECURITY_ACCOUNT, &suffix).await;
    let dedupe = DedupeTable::new(client, table, 30);
    let (crashed, running) = ("crashed#ACTIVE", "running#ACTIVE");
    // An invocation that claimed and then died: Lambda ended it at its deadline, so SQS's
    // redelivery (after the visibility timeout, longer than the function's timeout) takes
    // the claim over at once instead of failing until a fixed lease ends.
    let ended = std::time::SystemTime::now() - Duration::from_secs(2);
    let ended = Deadline::from_epoch_millis(
        ended
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64,
    );
    assert_eq!(dedupe.claim(crashed, ended).await.unwrap(), Claim::Won);
    assert_eq!(
        dedupe
            .claim(crashed, Deadline::after(Duration::from_secs(60)))
            .await
            .unwrap(),
        Claim::Won
    );
    // An invocation still running keeps its claim.
    let deadline = Deadline::after(Duration::from_secs(60));
    assert_eq!(dedupe.claim(running, deadline).await.unwrap(), Claim::Won);
    assert_eq!(
        dedupe.claim(running, Deadline::NONE).await.unwrap(),
        Claim::InFlight
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn records_without_time_before_the_deadline_fail_and_nothing_is_claimed_or_sent() {
    let n = Notifications::new("LOW").await;
    let (active, _) = v2_states();
    let bodies = [("a1".to_owned(), active)];

    // 4 s left: inside the 5 s kept for answering Lambda.
    let outcome = n
        .notify
        .process(records(&bodies), Deadline::after(Duration::from_secs(4)))
        .await;
    assert_eq!(
        outcome.failed.keys().collect::<Vec<_>>(),
        ["a1"],
        "{outcome:?}"
    );
    assert!(outcome.failed["a1"].contains("deadline"), "{outcome:?}");
    assert!(outcome.published.is_empty());
    assert!(n.queued_documents().await.is_empty());

    // Nothing was claimed: the redelivery announces it at once.
    let retried = n.notify.process(records(&bodies), Deadline::NONE).await;
    assert!(retried.failed.is_empty(), "{retried:?}");
    assert_eq!(retried.published.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dedupe_table_keys_claims_by_finding_and_state() {
    let suffix = unique_suffix();
    let (client, table) = dedupe_table(SECURITY_ACCOUNT, &suffix).await;
    let dedupe = DedupeTable::new(client.clone(), table.clone(), 30);
    let active = record_key("f1", Status::Active);
    let closed = record_key("f1", Status::Closed);
    assert_eq!(
        (active.as_str(), closed.as_str()),
        ("f1#ACTIVE", "f1#CLOSED")
    );

    assert_eq!(
        dedupe.claim(&active, Deadline::NONE).await.unwrap(),
        Claim::Won
    );
    assert_eq!(
        dedupe.claim(&active, Deadline::NONE).await.unwrap(),
        Claim::InFlight
    );
    dedupe.release(&active).await.unwrap();
    assert_eq!(
        dedupe.claim(&active, Deadline::NONE).await.unwrap(),
        Claim::Won
    );
    dedupe.confirm(&active).await.unwrap();
    assert_eq!(
        dedupe.claim(&active, Deadline::NONE).await.unwrap(),
        Claim::AlreadySent
    );
    // A released claim is gone; a confirmed one is not released by mistake.
    assert!(dedupe.release(&active).await.is_err());
    assert_eq!(
        dedupe.claim(&active, Deadline::NONE).await.unwrap(),
        Claim::AlreadySent
    );
    // A state change is a new announcement.
    assert_eq!(
        dedupe.claim(&closed, Deadline::NONE).await.unwrap(),
        Claim::Won
    );

    let item = client
        .get_item()
        .table_name(&table)
        .key("pk", AttributeValue::S(active.clone()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    let expires: u64 = item["expires_at"].as_n().unwrap().parse().unwrap();
    let claimed: u64 = item["claimed_at"].as_n().unwrap().parse().unwrap();
    assert_eq!(
        expires - claimed,
        30 * 86_400,
        "TTL attribute is DEDUPE_TTL_DAYS ahead"
    );
    assert_eq!(item["state"].as_s().unwrap(), "sent");

    // Without the table, the error names it and what the role needs.
    let missing = DedupeTable::new(client, format!("missing-{suffix}"), 30);
    let err = missing
        .claim("f2#ACTIVE", Deadline::NONE)
        .await
        .unwrap_err();
    assert!(
        err.contains(&format!("missing-{suffix}")) && err.contains("dynamodb:GetItem, PutItem"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_newest_state_record_judges_each_state_by_the_one_before_it() {
    let suffix = unique_suffix();
    let (client, table) = dedupe_table(SECURITY_ACCOUNT, &suffix).await;
    let dedupe = &DedupeTable::new(client.clone(), table.clone(), 30);
    let finding = |name: &str, status: Status| Finding {
        status,
        ..Finding::new(
            Engine::InspectorV2,
            &format!("arn:aws:inspector2:{PRIMARY}:222222222222:finding/{name}"),
            "222222222222",
            PRIMARY,
        )
    };
    let seen = |status: Status, version: i64| {
        let state = finding("f1", status);
        async move { dedupe.advance(&state, version).await.unwrap() }
    };
    use Status::{Active, Closed};
    assert_eq!(seen(Active, 10).await, Seen::Newest { news: true }, "new");
    // A redelivery: news as it was, and the claim keeps it to one notification.
    assert_eq!(seen(Active, 10).await, Seen::Again { news: true });
    assert_eq!(
        seen(Active, 20).await,
        Seen::Newest { news: false },
        "rescan"
    );
    assert_eq!(seen(Active, 20).await, Seen::Again { news: false });
    assert_eq!(seen(Closed, 15).await, Seen::Older, "late");
    assert_eq!(
        seen(Closed, 30).await,
        Seen::Newest { news: true },
        "closed"
    );
    assert_eq!(
        seen(Active, 40).await,
        Seen::Newest { news: true },
        "reopened"
    );
    assert!(!Seen::Older.is_news() && Seen::Again { news: true }.is_news());

    // A record of the format before previous_status (written after announcing, or for a
    // silent state): its state again is silent; the next state is judged as usual.
    let old = finding("f2", Active);
    client
        .put_item()
        .table_name(&table)
        .item("pk", AttributeValue::S(format!("{}#latest", old.id)))
        .item("status", AttributeValue::S("ACTIVE".to_owned()))
        .item("version", AttributeValue::N("5".to_owned()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        dedupe.advance(&old, 5).await.unwrap(),
        Seen::Again { news: false }
    );
    assert_eq!(
        dedupe.advance(&finding("f2", Closed), 6).await.unwrap(),
        Seen::Newest { news: true }
    );

    // Without the table, the error names it and what the role needs.
    let missing = DedupeTable::new(client, format!("missing-{suffix}"), 30);
    let err = missing.advance(&old, 7).await.unwrap_err();
    assert!(
        err.contains(&format!("missing-{suffix}")) && err.contains("dynamodb:GetItem, PutItem"),
        "{err}"
    );
}

/// The documented EC2 package-vulnerability event (CLOSED), and the same finding ACTIVE.
pub(super) fn v2_states() -> (String, String) {
    let closed =
        include_str!("../../findings/tests/fixtures/inspector2/ec2-package-vulnerability.json");
    let mut active: Value = serde_json::from_str(closed).unwrap();
    active["detail"]["status"] = "ACTIVE".into();
    active["detail"]["updatedAt"] = "Wed Sep 04 16:59:44.356 UTC 2024".into();
    (active.to_string(), closed.to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_inspector_v2_closure_is_announced_once_more_and_only_once() {
    let n = Notifications::new("INFORMATIONAL").await;
    let (active, closed) = v2_states();
    let batch = |bodies: &[(&str, &str)]| {
        bodies
            .iter()
            .map(|(id, body)| Record {
                message_id: id.to_string(),
                body: body.to_string(),
                source_arn: None,
            })
            .collect::<Vec<_>>()
    };

    let first = n
        .notify
        .process(batch(&[("a1", &active)]), Deadline::NONE)
        .await;
    assert!(first.failed.is_empty(), "{:?}", first.failed);
    assert_eq!(first.published.len(), 1);
    assert_eq!(first.published[0].status, Status::Active);
    let redelivered = n
        .notify
        .process(batch(&[("a2", &active)]), Deadline::NONE)
        .await;
    assert_eq!(
        (redelivered.published.len(), redelivered.duplicates),
        (0, 1)
    );

    // The closure, twice in one batch and once more later: one notification.
    let closure = n
        .notify
        .process(batch(&[("c1", &closed), ("c2", &closed)]), Deadline::NONE)
        .await;
    assert!(closure.failed.is_empty(), "{:?}", closure.failed);
    assert_eq!(closure.published.len(), 1);
    assert_eq!(closure.published[0].status, Status::Closed);
    assert_eq!(
        n.notify
            .process(batch(&[("c3", &closed)]), Deadline::NONE)
            .await
            .duplicates,
        1
    );

    // SQS keeps no order between messages: compare the states as a sorted list.
    let documents = n.queued_documents().await;
    let mut states: Vec<Status> = documents.iter().map(|f| f.status).collect();
    states.sort_by_key(|status| *status == Status::Closed);
    assert_eq!(states, [Status::Active, Status::Closed]);
    assert_eq!(documents[0].id, documents[1].id, "one finding, two states");
    let mail = LocalAws::shared().mailbox(&n.email);
    assert_eq!(mail.len(), 2);
    assert!(mail
        .iter()
        .any(|m| m["subject"].as_str().unwrap().starts_with("[CLOSED ")));
    let closed_mail = mail
        .iter()
        .find(|m| m["subject"].as_str().unwrap().starts_with("[CLOSED "))
        .unwrap();
    assert!(closed_mail["body"]
        .as_str()
        .unwrap()
        .starts_with("CLOSED: this "));
}

/// The documented event's finding in `status` at `updated_at` (Inspector's time format).
fn v2_state(status: &str, updated_at: &str) -> String {
    let (_, closed) = v2_states();
    let mut event: Value = serde_json::from_str(&closed).unwrap();
    event["detail"]["status"] = status.into();
    event["detail"]["updatedAt"] = updated_at.into();
    event.to_string()
}

/// As [`v2_state`], for another finding: the documented one's ARN ending in `finding`.
fn v2_state_of(finding: &str, status: &str, updated_at: &str) -> String {
    let mut event: Value = serde_json::from_str(&v2_state(status, updated_at)).unwrap();
    event["detail"]["findingArn"] =
        format!("arn:aws:inspector2:eu-central-1:123456789012:finding/{finding}").into();
    event.to_string()
}

/// An ACTIVE v2 finding (the documented one's ARN ending in `finding`) with these signals
/// and no fix.
fn v2_signals(finding: &str, severity: &str, score: f64, epss: f64, exploit: &str) -> String {
    let state = v2_state_of(finding, "ACTIVE", "Wed Sep 04 16:59:44.356 UTC 2024");
    let mut event: Value = serde_json::from_str(&state).unwrap();
    let detail = &mut event["detail"];
    detail["severity"] = severity.into();
    detail["inspectorScore"] = score.into();
    detail["epss"] = json!({ "score": epss });
    detail["exploitAvailable"] = exploit.into();
    detail["fixAvailable"] = "NO".into();
    event.to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn subscribers_filter_by_priority_and_a_minimum_priority_keeps_quiet_findings_out() {
    let mut n = Notifications::new("INFORMATIONAL").await;
    let by_priority = format!("p2-and-above-{}@example.com", n.suffix);
    n.topic
        .sns
        .subscribe()
        .topic_arn(&n.topic.topic)
        .protocol("email")
        .endpoint(&by_priority)
        .attributes(
            "FilterPolicy",
            r#"{"priority_score": [{"numeric": [">=", 60]}]}"#,
        )
        .send()
        .await
        .unwrap();
    // A CRITICAL nobody exploits (54.6, P3) and a HIGH being exploited (70.2, P2).
    let pair = |round: u32| {
        vec![
            Record {
                message_id: format!("{round}-quiet"),
                body: v2_signals(&format!("{round:031x}a"), "CRITICAL", 9.1, 0.003, "NO"),
                source_arn: None,
            },
            Record {
                message_id: format!("{round}-exploited"),
                body: v2_signals(&format!("{round:031x}b"), "HIGH", 7.2, 0.62, "YES"),
                source_arn: None,
            },
        ]
    };

    let both = n.notify.process(pair(1), Deadline::NONE).await;
    assert_eq!(
        (both.published.len(), both.below_threshold),
        (2, 0),
        "{both:?}"
    );
    let filtered = LocalAws::shared().mailbox(&by_priority);
    assert_eq!(filtered.len(), 1, "{filtered:#?}");
    assert!(filtered[0]["subject"]
        .as_str()
        .unwrap()
        .starts_with("[HIGH]"));

    n.notify.rules = RoutingRules::threshold(
        &n.topic.topic,
        Severity::Informational,
        Some(PriorityLabel::P2),
    );
    let outcome = n.notify.process(pair(2), Deadline::NONE).await;
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    assert_eq!(outcome.below_threshold, 1, "{outcome:?}");
    assert_eq!(outcome.published.len(), 1);
    assert_eq!(
        outcome.published[0].current_priority(),
        Priority {
            score: 70,
            label: PriorityLabel::P2
        }
    );
    assert_eq!(outcome.published[0].severity, Severity::High);
}

#[tokio::test(flavor = "multi_thread")]
async fn states_of_one_finding_handled_at_once_end_with_the_newest_announced() {
    let n = Notifications::new("INFORMATIONAL").await;
    let record = |id: String, body: String| Record {
        message_id: id,
        body,
        source_arn: None,
    };
    // Announced ACTIVE; then its closure and its reopening reach notify-findings together,
    // in two invocations (two batches) or in one batch, as SQS may deliver them.
    let findings: Vec<String> = (1..=4).map(|round| format!("{round:032x}")).collect();
    for (round, finding) in findings.iter().enumerate() {
        let state = |status: &str, at: &str| v2_state_of(finding, status, at);
        let first = n
            .notify
            .process(
                vec![record(
                    format!("{round}-active"),
                    state("ACTIVE", "Wed Sep 04 16:59:44.356 UTC 2024"),
                )],
                Deadline::NONE,
            )
            .await;
        assert_eq!(first.published.len(), 1, "{first:?}");
        let closed = record(
            format!("{round}-closed"),
            state("CLOSED", "Wed Sep 04 17:00:36.951 UTC 2024"),
        );
        let reopened = record(
            format!("{round}-reopened"),
            state("ACTIVE", "Thu Sep 12 08:15:00.000 UTC 2024"),
        );
        let outcomes = if round % 2 == 0 {
            let (a, b) = tokio::join!(
                n.notify.process(vec![closed], Deadline::NONE),
                n.notify.process(vec![reopened], Deadline::NONE)
            );
            vec![a, b]
        } else {
            vec![
                n.notify
                    .process(vec![closed, reopened], Deadline::NONE)
                    .await,
            ]
        };
        for outcome in outcomes {
            assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
        }
    }

    // What the subscribers were told, per finding, in the order of the states' versions.
    let mut told: BTreeMap<String, Vec<(i64, Status)>> = BTreeMap::new();
    for document in n.queued_documents().await {
        told.entry(document.id.clone())
            .or_default()
            .push((document.version().unwrap(), document.status));
    }
    assert_eq!(told.len(), findings.len(), "{told:#?}");
    for (finding, mut states) in told {
        states.sort_by_key(|(version, _)| *version);
        let versions: Vec<i64> = states.iter().map(|(version, _)| *version).collect();
        let mut distinct = versions.clone();
        distinct.dedup();
        assert_eq!(versions, distinct, "{finding}: a state announced twice");
        // Either the closure and the reopening (in the order the table settled on), or
        // neither (the reopening first: ACTIVE after ACTIVE; then the closure is history).
        let told: Vec<Status> = states.iter().map(|(_, status)| *status).collect();
        assert!(
            told == [Status::Active, Status::Closed, Status::Active] || told == [Status::Active],
            "{finding}: subscribers were told {told:?}; the finding is ACTIVE"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_finding_that_reopens_is_announced_again_and_older_states_stay_silent() {
    let n = Notifications::new("INFORMATIONAL").await;
    let announce = |id: &str, body: String| {
        let records = vec![Record {
            message_id: id.to_owned(),
            body,
            source_arn: None,
        }];
        async { n.notify.process(records, Deadline::NONE).await }
    };
    let active = || v2_state("ACTIVE", "Wed Sep 04 16:59:44.356 UTC 2024");
    let closed = || v2_state("CLOSED", "Wed Sep 04 17:00:36.951 UTC 2024");
    let reopened = || v2_state("ACTIVE", "Thu Sep 12 08:15:00.000 UTC 2024");

    let mut announced = Vec::new();
    for (id, body) in [("a", active()), ("c", closed()), ("r", reopened())] {
        let outcome = announce(id, body).await;
        assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
        assert_eq!(outcome.published.len(), 1, "{id}: {outcome:?}");
        announced.push(outcome.published[0].status);
    }
    assert_eq!(announced, [Status::Active, Status::Closed, Status::Active]);

    // Older states (redelivered, or late), and the same status with newer details: silent.
    for (id, body) in [
        ("a-again", active()),
        ("c-again", closed()),
        ("r-again", reopened()),
        (
            "rescanned",
            v2_state("ACTIVE", "Fri Sep 13 09:00:00.000 UTC 2024"),
        ),
    ] {
        let outcome = announce(id, body).await;
        assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
        assert_eq!(
            (outcome.published.len(), outcome.duplicates),
            (0, 1),
            "{id}: {outcome:?}"
        );
    }
    // The closure after the rescan is news again.
    let closed_again = announce("c2", v2_state("CLOSED", "Sat Sep 14 10:00:00.000 UTC 2024")).await;
    assert_eq!(closed_again.published.len(), 1, "{closed_again:?}");

    let mail = LocalAws::shared().mailbox(&n.email);
    assert_eq!(mail.len(), 4, "{mail:#?}");
}

/// A notify-findings with these routing rules (NOTIFY_RULES) over `n`'s topic and table,
/// and the `extra` variables; webhooks on the local AWS are plain HTTP.
fn with_rules(
    n: &Notifications,
    rules: Value,
    extra: &[(&'static str, String)],
    security: &aws_config::SdkConfig,
) -> NotifyFindings {
    let mut vars = BTreeMap::from([
        ("NOTIFICATIONS_TOPIC_ARN", n.topic.topic.clone()),
        ("NOTIFY_RULES", rules.to_string()),
        ("NOTIFY_ALLOW_PLAIN_HTTP_WEBHOOKS", "true".to_owned()),
        ("DEDUPE_TABLE", format!("notified-{}", n.suffix)),
    ]);
    vars.extend(extra.iter().cloned());
    let config = NotifyConfig::from_env(&Env::new(|name: &str| vars.get(name).cloned())).unwrap();
    NotifyFindings::new(config, security)
}

/// A secret holding `value` (None: created without one, as security-primary creates them).
async fn secret(security: &aws_config::SdkConfig, name: &str, value: Option<&str>) -> String {
    let client = aws_sdk_secretsmanager::Client::new(security);
    client
        .create_secret()
        .name(name)
        .set_secret_string(value.map(str::to_owned))
        .send()
        .await
        .unwrap()
        .arn()
        .unwrap()
        .to_owned()
}

/// A webhook of the local AWS at `path` (below /_localaws/webhooks/) and a secret named
/// after it that holds its URL: (URL, secret ARN).
async fn webhook(security: &aws_config::SdkConfig, path: &str) -> (String, String) {
    let url = format!(
        "{}/_localaws/webhooks/{path}",
        LocalAws::shared().endpoint()
    );
    let arn = secret(security, path, Some(&url)).await;
    (url, arn)
}

#[tokio::test(flavor = "multi_thread")]
async fn chat_destinations_get_each_state_once_and_a_failing_webhook_fails_only_its_record() {
    let n = Notifications::new("INFORMATIONAL").await;
    let aws = LocalAws::shared();
    let security = aws.sdk_config(SECURITY_ACCOUNT, PRIMARY).await;
    let (slack_url, slack) = webhook(&security, &format!("slack/T{}/B0/x", n.suffix)).await;
    let (teams_url, teams) = webhook(&security, &format!("teams/{}/wf", n.suffix)).await;
    let unset = secret(&security, &format!("{}/unset", n.suffix), None).await;
    let rules = json!({
        "rules": [
            {"name": "everything", "destinations": ["team-slack", "all-teams"]},
            {"name": "ops", "severities": ["CRITICAL"], "destinations": ["ops-slack"]},
        ],
        "destinations": {
            "team-slack": {"type": "slack", "secret_arn": slack},
            "all-teams": {"type": "teams", "secret_arn": teams},
            "ops-slack": {"type": "slack", "secret_arn": unset},
        }
    });
    let notify = with_rules(&n, rules, &[], &security);
    let fail = |path: String, status: u16, times: u32| {
        aws.admin(
            "/_localaws/webhooks",
            &json!({"fail": {"path": path, "status": status, "times": times, "retry_after": 1}}),
        );
    };
    let record = |id: &str, finding: &str| Record {
        message_id: id.to_owned(),
        body: v2_state_of(finding, "ACTIVE", "Wed Sep 04 16:59:44.356 UTC 2024"),
        source_arn: None,
    };
    let a = format!("{}a", &n.suffix);
    let b = format!("{}b", &n.suffix);

    // Slack rate-limits once (Retry-After 1 s), Teams fails once: both retried at once.
    fail(format!("/slack/T{}", n.suffix), 429, 1);
    fail(format!("/teams/{}", n.suffix), 503, 1);
    let outcome = notify.process(vec![record("a", &a)], Deadline::NONE).await;
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    assert_eq!(outcome.published.len(), 1);
    assert_eq!(
        (aws.mailbox(&slack_url).len(), aws.mailbox(&teams_url).len()),
        (1, 1)
    );
    let posted: Value =
        serde_json::from_str(aws.mailbox(&slack_url)[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(posted["blocks"][0]["type"], "header", "{posted}");

    // Teams keeps failing: the record fails with the reason, and Slack has it once.
    fail(format!("/teams/{}", n.suffix), 503, 100);
    let outcome = notify.process(vec![record("b", &b)], Deadline::NONE).await;
    let reason = &outcome.failed["b"];
    assert!(
        reason.contains("posting to destination all-teams: HTTP 503"),
        "{reason}"
    );
    assert!(
        !reason.contains(&teams_url),
        "the webhook URL is a credential: {reason}"
    );
    assert_eq!(
        (aws.mailbox(&slack_url).len(), aws.mailbox(&teams_url).len()),
        (2, 1)
    );
    // SQS delivers it again once Teams is back: Teams gets it, Slack not a second time.
    aws.admin(
        "/_localaws/webhooks",
        &json!({"clear": true, "path": format!("/teams/{}", n.suffix)}),
    );
    let outcome = notify.process(vec![record("b", &b)], Deadline::NONE).await;
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    assert_eq!(
        (aws.mailbox(&slack_url).len(), aws.mailbox(&teams_url).len()),
        (2, 2)
    );

    // A secret without a value fails its record, saying what to put there.
    let mut critical: Value = serde_json::from_str(&v2_state_of(
        &format!("{}c", n.suffix),
        "ACTIVE",
        "Wed Sep 04 16:59:44.356 UTC 2024",
    ))
    .unwrap();
    critical["detail"]["severity"] = "CRITICAL".into();
    let outcome = notify
        .process(
            vec![Record {
                message_id: "c".to_owned(),
                body: critical.to_string(),
                source_arn: None,
            }],
            Deadline::NONE,
        )
        .await;
    let reason = &outcome.failed["c"];
    assert!(
        reason.contains(&format!("secret {unset} has no value: put the slack webhook URL into it (aws secretsmanager put-secret-value --secret-id {unset}")),
        "{reason}"
    );
}

/// A digest table as security-primary creates it: partition key `rule`, sort key `entry`.
async fn digest_table(account: &str, suffix: &str) -> String {
    let config = LocalAws::shared().sdk_config(account, PRIMARY).await;
    let client = aws_sdk_dynamodb::Client::new(&config);
    let table = format!("digests-{suffix}");
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .unwrap()
    };
    let key = |name: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .unwrap()
    };
    client
        .create_table()
        .table_name(&table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attribute("rule"))
        .attribute_definitions(attribute("entry"))
        .key_schema(key("rule", KeyType::Hash))
        .key_schema(key("entry", KeyType::Range))
        .send()
        .await
        .unwrap();
    table
}

/// The documented v2 finding as `id`, on `resource` of `account` in `region`, about `cve`.
fn v2_on(
    id: &str,
    account: &str,
    region: &str,
    resource: &str,
    cve: &str,
    status: &str,
    at: &str,
) -> Record {
    let mut event: Value = serde_json::from_str(&v2_state(status, at)).unwrap();
    let detail = &mut event["detail"];
    detail["findingArn"] = format!("arn:aws:inspector2:{region}:{account}:finding/{id}").into();
    detail["awsAccountId"] = account.into();
    detail["resources"][0]["id"] = resource.into();
    detail["resources"][0]["region"] = region.into();
    detail["packageVulnerabilityDetails"]["vulnerabilityId"] = cve.into();
    event["account"] = account.into();
    event["region"] = region.into();
    Record {
        message_id: format!("{id}-{status}"),
        body: event.to_string(),
        source_arn: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_digest_sends_one_message_per_cve_once_and_then_only_what_changed() {
    let n = Notifications::new("INFORMATIONAL").await;
    let aws = LocalAws::shared();
    let security = aws.sdk_config(SECURITY_ACCOUNT, PRIMARY).await;
    let (slack_url, slack) = webhook(&security, &format!("slack/D{}/B0/x", n.suffix)).await;
    let rules = json!({
        "rules": [{"name": "daily", "destinations": ["notifications", "team-slack"], "digest_schedule": "cron(0 8 * * ? *)"}],
        "destinations": {"team-slack": {"type": "slack", "secret_arn": slack}}
    });
    let digests = digest_table(SECURITY_ACCOUNT, &n.suffix).await;
    let notify = with_rules(&n, rules, &[("DIGEST_TABLE", digests)], &security);
    let digest = |at: &str| DigestRequest {
        rule: "daily".to_owned(),
        scheduled_at: at.to_owned(),
    };
    const FIRST_SEEN: &str = "Wed Sep 04 16:59:44.356 UTC 2024";
    const CVE: &str = "CVE-2024-29069";

    // One CVE on 6 resources in 3 accounts and 2 regions, and another CVE on one resource.
    let mut records = Vec::new();
    for account in ["444444444444", "555555555555", "666666666666"] {
        for region in ["us-east-1", "us-west-2"] {
            let id = format!("{}{account}{region}", n.suffix);
            records.push(v2_on(
                &id,
                account,
                region,
                &format!("i-{account}{region}"),
                CVE,
                "ACTIVE",
                FIRST_SEEN,
            ));
        }
    }
    records.push(v2_on(
        &format!("{}other", n.suffix),
        "444444444444",
        "us-east-1",
        "i-other",
        "CVE-2024-0001",
        "ACTIVE",
        FIRST_SEEN,
    ));
    let outcome = notify.process(records.clone(), Deadline::NONE).await;
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    assert_eq!((outcome.collected, outcome.published.len()), (7, 0));
    assert!(
        aws.mailbox(&n.email).is_empty(),
        "a digest rule sends nothing until its schedule"
    );

    // Slack is down for the first digest: the topic gets both CVEs, the invocation fails.
    let fail =
        json!({"fail": {"path": format!("/slack/D{}", n.suffix), "status": 503, "times": 100}});
    aws.admin("/_localaws/webhooks", &fail);
    let error = notify
        .send_digest(&digest("2026-12-04T08:00:00Z"), Deadline::NONE)
        .await
        .unwrap_err();
    assert!(
        error.contains("posting to destination team-slack: HTTP 503"),
        "{error}"
    );
    let mail = aws.mailbox(&n.email);
    let mut subjects: Vec<&str> = mail
        .iter()
        .map(|m| m["subject"].as_str().unwrap())
        .collect();
    subjects.sort();
    assert_eq!(
        subjects,
        [
            "[DIGEST MEDIUM] CVE-2024-0001: 1 resource in 1 account and 1 region",
            "[DIGEST MEDIUM] CVE-2024-29069: 6 resources in 3 accounts and 2 regions",
        ]
    );
    // Lambda retries the same scheduled invocation: Slack gets both, email nothing again.
    aws.admin(
        "/_localaws/webhooks",
        &json!({"clear": true, "path": format!("/slack/D{}", n.suffix)}),
    );
    let sent = notify
        .send_digest(&digest("2026-12-04T08:00:00Z"), Deadline::NONE)
        .await
        .unwrap();
    assert_eq!(
        sent, 2,
        "Slack's two messages, and nothing for the topic twice"
    );
    assert_eq!(
        (aws.mailbox(&n.email).len(), aws.mailbox(&slack_url).len()),
        (2, 2)
    );

    // Nothing changed: the next day's digest is silent.
    assert_eq!(
        notify
            .send_digest(&digest("2026-12-05T08:00:00Z"), Deadline::NONE)
            .await,
        Ok(0)
    );

    // One resource is fixed (its finding closes), and SQS delivers the closure twice.
    let closed = v2_on(
        &format!("{}444444444444us-west-2", n.suffix),
        "444444444444",
        "us-west-2",
        "i-444444444444us-west-2",
        CVE,
        "CLOSED",
        "Thu Sep 05 09:00:00.000 UTC 2024",
    );
    for _ in 0..2 {
        let outcome = notify.process(vec![closed.clone()], Deadline::NONE).await;
        assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    }
    assert_eq!(
        notify
            .send_digest(&digest("2026-12-06T08:00:00Z"), Deadline::NONE)
            .await,
        Ok(2)
    );
    let latest: Vec<String> = aws
        .mailbox(&n.email)
        .iter()
        .skip(2)
        .map(|m| m["subject"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        latest,
        ["[DIGEST MEDIUM] CVE-2024-29069: 5 resources in 3 accounts and 2 regions, 1 resolved"],
        "only the CVE that changed, in its newest state"
    );
    // As the schedule asks, through the notify queue: nothing new, nothing sent.
    let scheduled = Record {
        message_id: "schedule".to_owned(),
        body: r#"{"inspectorlink": "digest", "rule": "daily", "scheduled_at": "2026-12-07T08:00:00Z"}"#.to_owned(),
        source_arn: None,
    };
    let outcome = notify
        .process(vec![scheduled.clone()], Deadline::NONE)
        .await;
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    assert_eq!(outcome.digests_sent, 0);
    // A schedule that outlived its rule fails its record, saying what to do.
    let orphan = Record {
        body: scheduled.body.replace("daily", "weekly"),
        ..scheduled
    };
    let outcome = notify.process(vec![orphan], Deadline::NONE).await;
    assert!(
        outcome.failed["schedule"].starts_with("no digest rule named \"weekly\" in NOTIFY_RULES"),
        "{:?}",
        outcome.failed
    );
}

/// A local Jira Cloud site (tests/localaws/localaws/jira.py) with project SEC.
fn jira_site(suffix: &str) -> (String, String) {
    let name = format!("acme-{suffix}").to_lowercase();
    LocalAws::shared().admin(
        "/_localaws/jira",
        &json!({"site": name, "users": {"bot@example.com": "api-token"}, "projects": {"SEC": ["Bug"]}}),
    );
    let url = format!("{}/_localaws/jira/{name}", LocalAws::shared().endpoint());
    (name, url)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_jira_ticket_opens_closes_and_reopens_with_its_finding_and_retries_never_make_a_second() {
    let n = Notifications::new("INFORMATIONAL").await;
    let aws = LocalAws::shared();
    let security = aws.sdk_config(SECURITY_ACCOUNT, PRIMARY).await;
    let (site, url) = jira_site(&n.suffix);
    let token = secret(&security, &format!("{}/jira", n.suffix), Some("api-token")).await;
    let wrong = secret(
        &security,
        &format!("{}/jira-wrong", n.suffix),
        Some("expired"),
    )
    .await;
    let jira = |secret_arn: &str| json!({"type": "jira", "url": url, "email": "bot@example.com", "project_key": "SEC", "secret_arn": secret_arn});
    let rules = json!({
        "rules": [
            {"name": "per-finding", "resource_tags": {"team": ["a"]}, "destinations": ["jira"]},
            {"name": "per-cve", "resource_tags": {"team": ["b"]}, "destinations": ["jira-cve"], "jira_ticket_per": "vulnerability"},
            {"name": "broken", "resource_tags": {"team": ["c"]}, "destinations": ["jira-wrong"]},
        ],
        "destinations": {"jira": jira(&token), "jira-cve": jira(&token), "jira-wrong": jira(&wrong)}
    });
    let notify = with_rules(&n, rules, &[], &security);
    let fail = |operation: &str, status: u16, times: u32| {
        aws.admin(
            "/_localaws/jira",
            &json!({"site": site, "fail": {"operation": operation, "status": status, "times": times, "retry_after": 1, "after_commit": operation == "create"}}),
        );
    };
    let state = |id: &str, team: &str, cve: &str, status: &str, at: &str| {
        let mut record = v2_on(
            id,
            "444444444444",
            "us-east-1",
            &format!("i-{id}"),
            cve,
            status,
            at,
        );
        let mut event: Value = serde_json::from_str(&record.body).unwrap();
        event["detail"]["resources"][0]["tags"] = json!({"team": team});
        record.body = event.to_string();
        record.message_id = format!("{id}-{status}-{at}");
        record
    };
    let process = |records: Vec<Record>| notify.process(records, Deadline::NONE);
    let a = format!("{}a", n.suffix);

    // Created once although Jira lost the create's answer (a 502 after it wrote the issue).
    fail("create", 502, 1);
    let outcome = process(vec![state(
        &a,
        "a",
        "CVE-2024-0001",
        "ACTIVE",
        "Wed Sep 04 10:00:00.000 UTC 2024",
    )])
    .await;
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    let issues = aws.jira_issues(&site);
    assert_eq!(issues.len(), 1, "{issues:#?}");
    assert!(
        issues[0]["summary"]
            .as_str()
            .unwrap()
            .starts_with("[MEDIUM]"),
        "{issues:#?}"
    );
    assert!(issues[0]["description"]
        .as_str()
        .unwrap()
        .contains("Open in Amazon Inspector"));
    // Redelivered: nothing more.
    process(vec![state(
        &a,
        "a",
        "CVE-2024-0001",
        "ACTIVE",
        "Wed Sep 04 10:00:00.000 UTC 2024",
    )])
    .await;
    assert_eq!(aws.jira_issues(&site)[0]["comments"], json!([]));

    // Closed (Jira rate-limits once on the way): a comment, then Done.
    fail("comment", 429, 1);
    let outcome = process(vec![state(
        &a,
        "a",
        "CVE-2024-0001",
        "CLOSED",
        "Thu Sep 05 10:00:00.000 UTC 2024",
    )])
    .await;
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    let issue = &aws.jira_issues(&site)[0];
    assert_eq!(
        (issue["status"].as_str(), issue["transitions"].clone()),
        (Some("Done"), json!(["Done"]))
    );
    assert!(
        issue["comments"][0]
            .as_str()
            .unwrap()
            .starts_with("CLOSED: AWS_EC2_INSTANCE i-"),
        "{issue:#?}"
    );

    // It comes back: reopened, not a second ticket; Jira fails until SQS delivers it again.
    fail("comment", 500, 100);
    let back = state(
        &a,
        "a",
        "CVE-2024-0001",
        "ACTIVE",
        "Fri Sep 06 10:00:00.000 UTC 2024",
    );
    let outcome = process(vec![back.clone()]).await;
    let reason = &outcome.failed[&back.message_id];
    assert!(
        reason.contains(
            "Jira destination jira: commenting on SEC-1: HTTP 500: Internal server error"
        ),
        "{reason}"
    );
    aws.admin(
        "/_localaws/jira",
        &json!({"site": site, "clear_failures": true}),
    );
    let outcome = process(vec![back]).await;
    assert!(outcome.failed.is_empty(), "{:?}", outcome.failed);
    let issues = aws.jira_issues(&site);
    assert_eq!(issues.len(), 1, "{issues:#?}");
    assert_eq!(issues[0]["status"], "To Do");
    assert_eq!(issues[0]["transitions"], json!(["Done", "To Do"]));

    // Per vulnerability: one ticket for two resources, done when both are fixed.
    let (b1, b2) = (format!("{}b1", n.suffix), format!("{}b2", n.suffix));
    let opened = process(vec![
        state(
            &b1,
            "b",
            "CVE-2024-0002",
            "ACTIVE",
            "Wed Sep 04 10:00:00.000 UTC 2024",
        ),
        state(
            &b2,
            "b",
            "CVE-2024-0002",
            "ACTIVE",
            "Wed Sep 04 10:00:00.000 UTC 2024",
        ),
    ])
    .await;
    // The second of a batch may find the first creating the ticket: SQS retries it.
    let retried: Vec<Record> = [&b1, &b2]
        .iter()
        .map(|id| {
            state(
                id,
                "b",
                "CVE-2024-0002",
                "ACTIVE",
                "Wed Sep 04 10:00:00.000 UTC 2024",
            )
        })
        .filter(|r| opened.failed.contains_key(&r.message_id))
        .collect();
    if !retried.is_empty() {
        let again = process(retried).await;
        assert!(again.failed.is_empty(), "{:?}", again.failed);
    }
    let cve_ticket = |issues: &[Value]| -> Value {
        issues
            .iter()
            .find(|i| i["summary"].as_str().unwrap().contains("CVE-2024-0002"))
            .unwrap()
            .clone()
    };
    assert_eq!(aws.jira_issues(&site).len(), 2);
    process(vec![state(
        &b1,
        "b",
        "CVE-2024-0002",
        "CLOSED",
        "Thu Sep 05 10:00:00.000 UTC 2024",
    )])
    .await;
    assert_eq!(
        cve_ticket(&aws.jira_issues(&site))["status"],
        "To Do",
        "one resource still has it"
    );
    process(vec![state(
        &b2,
        "b",
        "CVE-2024-0002",
        "SUPPRESSED",
        "Thu Sep 05 10:00:00.000 UTC 2024",
    )])
    .await;
    assert_eq!(cve_ticket(&aws.jira_issues(&site))["status"], "Done");

    // A token Jira refuses fails the record, saying what to do; nothing is created.
    let c = format!("{}c", n.suffix);
    let outcome = process(vec![state(
        &c,
        "c",
        "CVE-2024-0003",
        "ACTIVE",
        "Wed Sep 04 10:00:00.000 UTC 2024",
    )])
    .await;
    let reason = outcome.failed.values().next().unwrap();
    assert!(
        reason.contains("HTTP 401: the email and API token were refused"),
        "{reason}"
    );
    assert_eq!(aws.jira_issues(&site).len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_record_failing_its_last_receive_goes_to_the_dead_letter_queue_with_the_reason() {
    let n = Notifications::new("INFORMATIONAL").await;
    let aws = LocalAws::shared();
    let security = aws.sdk_config(SECURITY_ACCOUNT, PRIMARY).await;
    let sqs = aws_sdk_sqs::Client::new(&security);
    let dlq = new_queue(&sqs, &format!("notify-dlq-{}", n.suffix)).await;
    let (_, teams) = webhook(&security, &format!("teams/L{}/wf", n.suffix)).await;
    let rules = json!({"rules": [{"name": "all", "destinations": ["all-teams"]}],
                       "destinations": {"all-teams": {"type": "teams", "secret_arn": teams}}});
    let dead_letters = [
        ("DEAD_LETTER_QUEUE_URL", dlq.clone()),
        ("MAX_RECEIVE_COUNT", "3".to_owned()),
    ];
    let notify = with_rules(&n, rules, &dead_letters, &security);
    aws.admin(
        "/_localaws/webhooks",
        &json!({"fail": {"path": format!("/teams/L{}", n.suffix), "status": 503, "times": 100}}),
    );
    let body = |id: &str| {
        v2_state_of(
            &format!("{}{id}", n.suffix),
            "ACTIVE",
            "Wed Sep 04 16:59:44.356 UTC 2024",
        )
    };
    let event = batch(vec![
        received("last", &body("last"), 3),
        received("first", &body("first"), 1),
    ]);
    let response = notify.handle_sqs(event, Deadline::NONE).await;
    assert_eq!(
        failed_ids(&response),
        BTreeSet::from(["first"]),
        "the last receive is taken off its queue; the first is retried"
    );
    let [moved] = &held(&sqs, &dlq).await[..] else {
        panic!("one message in the DLQ")
    };
    let reason = &moved.attributes[REASON_ATTRIBUTE];
    assert!(
        reason.contains("posting to destination all-teams: HTTP 503"),
        "{reason}"
    );
    assert_eq!(
        moved.body,
        body("last"),
        "unchanged: a redrive puts it back as it came"
    );
    aws.admin(
        "/_localaws/webhooks",
        &json!({"clear": true, "path": format!("/teams/L{}", n.suffix)}),
    );
}
