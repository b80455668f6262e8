//! The real send-findings binary under a local Lambda Runtime API: start-up, one SQS event,
//! the partial batch response; and a configuration error reported as an init error.

use std::path::Path;
use std::time::Duration;

use serde_json::json;
use test_support::lambda_runtime::{invoke, json_lines, offline_env, sqs_record, Invocation};

const BINARY: &str = env!("CARGO_BIN_EXE_send-findings");

#[test]
fn an_sqs_batch_gets_a_partial_batch_response_naming_only_the_poison_record() {
    let mut env = offline_env();
    env.insert("FINDINGS_BUCKET".into(), "findings".into());
    env.insert("MEMBER_ROLE_NAME".into(), "inspectorlink-read".into());
    let completed = json!({
        "template": "arn:aws:inspector:us-east-1:222222222222:target/0-aaaaaaaa/template/0-bbbbbbbb",
        "run": "arn:aws:inspector:us-east-1:222222222222:target/0-aaaaaaaa/template/0-bbbbbbbb/run/0-cccccccc",
        "time": "2026-11-23T23:00:00.000Z",
        "event": "ASSESSMENT_RUN_COMPLETED",
        "target": "arn:aws:inspector:us-east-1:222222222222:target/0-aaaaaaaa",
        "findingsCount": "{}"
    });
    let event = json!({"Records": [sqs_record("poison", "{not json"), sqs_record("completed", &completed.to_string())]});

    let run = invoke(Path::new(BINARY), &env, &event, Duration::from_secs(60));
    assert_eq!(
        run.invocation,
        Invocation::Response(json!({"batchItemFailures": [{"itemIdentifier": "poison"}]})),
        "{}",
        run.logs
    );
    // Structured JSON logs name the record and the reason; EMF metrics count the outcome.
    let lines = json_lines(&run.logs);
    assert!(
        lines.iter().any(|l| l["fields"]["message_id"] == "poison"
            && l["fields"]["reason"]
                .as_str()
                .unwrap_or("")
                .contains("not JSON")),
        "{}",
        run.logs
    );
    let metrics = run.metrics();
    assert_eq!(
        (
            metrics["RecordsFailed"].as_u64(),
            metrics["RecordsIgnored"].as_u64()
        ),
        (Some(1), Some(1))
    );
}

#[test]
fn a_missing_variable_stops_start_up_with_a_log_line_that_names_it() {
    let mut env = offline_env();
    env.insert("MEMBER_ROLE_NAME".into(), "inspectorlink-read".into());
    let run = invoke(
        Path::new(BINARY),
        &env,
        &json!({"Records": []}),
        Duration::from_secs(60),
    );
    assert_eq!(
        run.start_up_error(),
        "FINDINGS_BUCKET is not set: set it to the name of the S3 bucket findings are written to"
    );
}

/// `make bench`: start-up to the first `next` call and peak RSS of the binary named by
/// SEND_FINDINGS_BINARY (the cargo-lambda release bootstrap), median of 20 cold starts.
#[test]
#[ignore = "a benchmark: run by make bench"]
fn bench_bootstrap_init_time_and_peak_rss() {
    let binary = std::env::var("SEND_FINDINGS_BINARY").unwrap_or_else(|_| BINARY.to_owned());
    let mut env = offline_env();
    env.insert("FINDINGS_BUCKET".into(), "findings".into());
    env.insert("MEMBER_ROLE_NAME".into(), "inspectorlink-read".into());
    let event = json!({"Records": [sqs_record("poison", "{not json")]});
    let (mut init_ms, mut rss_mib) = (Vec::new(), Vec::new());
    for _ in 0..20 {
        let run = invoke(Path::new(&binary), &env, &event, Duration::from_secs(60));
        assert_eq!(
            run.invocation,
            Invocation::Response(json!({"batchItemFailures": [{"itemIdentifier": "poison"}]})),
            "{}",
            run.logs
        );
        init_ms.push(run.started_to_first_next.as_secs_f64() * 1000.0);
        rss_mib.push(
            run.peak_rss_kib
                .expect("the process was alive when it answered") as f64
                / 1024.0,
        );
    }
    let median = |values: &mut Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    println!(
        "BENCH send_findings_init_to_first_next {:.1} ms",
        median(&mut init_ms)
    );
    println!(
        "BENCH send_findings_peak_rss {:.1} MiB",
        median(&mut rss_mib)
    );
}
