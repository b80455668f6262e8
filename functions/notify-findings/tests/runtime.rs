//! The real notify-findings binary under a local Lambda Runtime API: an SQS batch, an SNS
//! invocation, a payload that is neither, and a configuration error.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde_json::json;
use test_support::lambda_runtime::{invoke, offline_env, sns_record, sqs_record, Invocation};

const BINARY: &str = env!("CARGO_BIN_EXE_notify-findings");

fn configured() -> BTreeMap<String, String> {
    let mut env = offline_env();
    env.extend([
        (
            "NOTIFICATIONS_TOPIC_ARN".to_owned(),
            "arn:aws:sns:us-east-1:111111111111:inspectorlink-notifications".to_owned(),
        ),
        (
            "DEDUPE_TABLE".to_owned(),
            "inspectorlink-notified".to_owned(),
        ),
        (
            "MEMBER_ROLE_NAME".to_owned(),
            "inspectorlink-read".to_owned(),
        ),
    ]);
    env
}

fn run_completed() -> String {
    json!({
        "template": "arn:aws:inspector:us-east-1:222222222222:target/0-aaaaaaaa/template/0-bbbbbbbb",
        "run": "arn:aws:inspector:us-east-1:222222222222:target/0-aaaaaaaa/template/0-bbbbbbbb/run/0-cccccccc",
        "time": "2026-11-24T10:00:00.000Z",
        "event": "ASSESSMENT_RUN_COMPLETED",
        "target": "arn:aws:inspector:us-east-1:222222222222:target/0-aaaaaaaa",
        "findingsCount": "{}"
    })
    .to_string()
}

#[test]
fn an_sqs_batch_gets_a_partial_batch_response_and_metrics() {
    let event = json!({"Records": [sqs_record("poison", "{not json"), sqs_record("completed", &run_completed())]});
    let run = invoke(
        Path::new(BINARY),
        &configured(),
        &event,
        Duration::from_secs(60),
    );
    assert_eq!(
        run.invocation,
        Invocation::Response(json!({"batchItemFailures": [{"itemIdentifier": "poison"}]})),
        "{}",
        run.logs
    );
    let metrics = run.metrics();
    assert_eq!(metrics["Function"], "notify-findings");
    assert_eq!(
        (
            metrics["RecordsFailed"].as_u64(),
            metrics["RecordsIgnored"].as_u64(),
            metrics["NotificationsPublished"].as_u64()
        ),
        (Some(1), Some(1), Some(0))
    );
}

#[test]
fn an_sns_invocation_fails_as_a_whole_when_a_notification_is_unusable() {
    let good = json!({"Records": [sns_record("completed", &run_completed())]});
    let run = invoke(
        Path::new(BINARY),
        &configured(),
        &good,
        Duration::from_secs(60),
    );
    assert_eq!(
        run.invocation,
        Invocation::Response(json!(null)),
        "{}",
        run.logs
    );

    let bad = json!({"Records": [sns_record("poison", "{not json")]});
    let run = invoke(
        Path::new(BINARY),
        &configured(),
        &bad,
        Duration::from_secs(60),
    );
    let message = run.error_message();
    assert!(
        message.contains("poison: the body is not JSON"),
        "{message}"
    );
}

#[test]
fn a_payload_that_is_neither_sqs_nor_sns_is_an_error_that_says_so() {
    let run = invoke(
        Path::new(BINARY),
        &configured(),
        &json!({"detail-type": "Scheduled Event"}),
        Duration::from_secs(60),
    );
    let message = run.error_message();
    assert!(
        message.starts_with("expected an SQS batch or an SNS notification"),
        "{message}"
    );
}

#[test]
fn a_bad_variable_stops_start_up_with_a_log_line_that_names_it() {
    let mut env = configured();
    env.insert("NOTIFY_MIN_SEVERITY".into(), "urgent".into());
    let run = invoke(
        Path::new(BINARY),
        &env,
        &json!({"Records": []}),
        Duration::from_secs(60),
    );
    assert_eq!(
        run.start_up_error(),
        "NOTIFY_MIN_SEVERITY is \"urgent\": use one of INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL"
    );
}
