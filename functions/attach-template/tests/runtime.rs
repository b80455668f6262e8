//! The real attach-template binary under a local Lambda Runtime API: its errors fail the
//! invocation (so Lambda retries and then uses the on-failure destination) with a message
//! that says what to fix, and a configuration error stops start-up.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde_json::json;
use test_support::lambda_runtime::{invoke, json_lines, offline_env};

const BINARY: &str = env!("CARGO_BIN_EXE_attach-template");

fn configured() -> BTreeMap<String, String> {
    let mut env = offline_env();
    env.extend([
        (
            "CENTRAL_TOPIC_ACCOUNT_ID".to_owned(),
            "111111111111".to_owned(),
        ),
        (
            "CENTRAL_TOPIC_NAME".to_owned(),
            "inspectorlink-findings".to_owned(),
        ),
        ("CENTRAL_TOPIC_REGIONS".to_owned(), "us-east-1".to_owned()),
    ]);
    env
}

fn error_message(env: &BTreeMap<String, String>, event: serde_json::Value) -> String {
    let run = invoke(Path::new(BINARY), env, &event, Duration::from_secs(60));
    let message = run.error_message();
    // The same reason is logged as a structured line for the operator.
    assert!(
        json_lines(&run.logs)
            .iter()
            .any(|l| l["level"] == "ERROR" && l["fields"]["error"] == message.as_str()),
        "{}",
        run.logs
    );
    assert_eq!(run.metrics()["AttachFailed"], 1);
    message
}

#[test]
fn a_malformed_event_fails_the_invocation_with_the_reason() {
    let message = error_message(
        &configured(),
        json!({"detail-type": "Scheduled Event", "detail": {"eventSource": "aws.events", "eventName": "x"}}),
    );
    assert_eq!(
        message,
        "not a CloudTrail event for an Inspector template: detail-type is \"Scheduled Event\", expected \"AWS API Call via CloudTrail\""
    );
}

#[test]
fn a_template_in_a_region_without_a_central_topic_says_what_to_deploy() {
    let event = json!({
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.inspector",
        "region": "eu-west-1",
        "detail": {
            "eventSource": "inspector.amazonaws.com",
            "eventName": "CreateAssessmentTemplate",
            "awsRegion": "eu-west-1",
            "requestParameters": {"assessmentTemplateName": "t"},
            "responseElements": {"assessmentTemplateArn": "arn:aws:inspector:eu-west-1:222222222222:target/0-aaaaaaaa/template/0-bbbbbbbb"}
        }
    });
    let message = error_message(&configured(), event);
    assert!(
        message
            .starts_with("no central topic in eu-west-1: CENTRAL_TOPIC_REGIONS lists us-east-1."),
        "{message}"
    );
}

#[test]
fn a_bad_variable_stops_start_up_with_a_log_line_that_names_it() {
    let mut env = configured();
    env.insert(
        "CENTRAL_TOPIC_REGIONS".into(),
        "us-east-1,mars-north-1".into(),
    );
    let run = invoke(Path::new(BINARY), &env, &json!({}), Duration::from_secs(60));
    let error = run.start_up_error();
    assert!(
        error.starts_with("CENTRAL_TOPIC_REGIONS lists \"mars-north-1\", which is not an Inspector Classic region"),
        "{error}"
    );
}
