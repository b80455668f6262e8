//! The scheduled report against the local AWS, in-process: findings in the security
//! account's bucket, an EventBridge schedule event, then the report object (SSE-KMS), the
//! SNS notification as an SQS subscriber sees it, and the presigned link downloading it.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use inspectorlink_findings::testing::ec2_instance;
use inspectorlink_findings::{Engine, Finding, Severity, Status};
use lambda_runtime::{Context, LambdaEvent};
use report_lambda::{Config, Env, ScheduledReport};
use serde_json::{json, Value};
use test_support::classic::SecurityTopic;
use test_support::{unique_suffix, LocalAws, SECURITY_ACCOUNT};

const REGION: &str = "us-east-1";

fn finding(n: u32, severity: Severity, status: Status, cves: &[&str]) -> Finding {
    let arn = format!("arn:aws:inspector2:{REGION}:222222222222:finding/{n:032x}");
    Finding {
        title: format!("{} - openssl", cves.first().unwrap_or(&"no CVE")),
        description: "A vulnerable package.".into(),
        recommendation: "Upgrade the package.".into(),
        severity,
        severity_score: Some(7.5),
        finding_type: "PACKAGE_VULNERABILITY".into(),
        cve_ids: cves.iter().map(|c| c.to_string()).collect(),
        status,
        first_observed_at: "2026-03-01T08:00:00Z".into(),
        last_observed_at: "2026-03-03T08:00:00Z".into(),
        resource: ec2_instance(format!("i-0{n:016x}")),
        raw: json!({}),
        ..Finding::new(Engine::InspectorV2, &arn, "222222222222", REGION)
    }
}

fn schedule_event(time: &str) -> LambdaEvent<EventBridgeEvent> {
    let event: EventBridgeEvent = serde_json::from_value(json!({
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": SECURITY_ACCOUNT,
        "time": time,
        "region": REGION,
        "resources": [format!("arn:aws:events:{REGION}:{SECURITY_ACCOUNT}:rule/inspectorlink-report")],
        "detail": {}
    }))
    .unwrap();
    LambdaEvent::new(event, Context::default())
}

#[tokio::test]
async fn a_schedule_event_writes_the_report_and_announces_a_working_link() {
    let aws = LocalAws::shared();
    let sdk = aws.sdk_config(SECURITY_ACCOUNT, REGION).await;
    let suffix = unique_suffix();
    let s3 = inspectorlink_report::s3_client(&sdk);
    let bucket = format!("report-{suffix}");
    s3.create_bucket().bucket(&bucket).send().await.unwrap();
    let findings = [
        finding(1, Severity::Critical, Status::Active, &["CVE-2026-0001"]),
        finding(2, Severity::High, Status::Active, &["CVE-2026-0002"]),
        finding(3, Severity::High, Status::Closed, &[]),
    ];
    for f in &findings {
        s3.put_object()
            .bucket(&bucket)
            .key(f.s3_key("findings"))
            .body(ByteStream::from(serde_json::to_vec(f).unwrap()))
            .send()
            .await
            .unwrap();
    }

    // A topic with a queue subscribed, as an operator's mailbox would be.
    let subscribed =
        SecurityTopic::create_in(SECURITY_ACCOUNT, &format!("report-{suffix}"), REGION).await;
    let topic = subscribed.topic.clone();

    let kms_key =
        format!("arn:aws:kms:{REGION}:{SECURITY_ACCOUNT}:key/0000aaaa-bbbb-cccc-dddd-{suffix}");
    let vars = BTreeMap::from([
        ("FINDINGS_BUCKET", bucket.clone()),
        ("REPORT_KEY", "reports/{date}/findings.html".to_owned()),
        ("REPORT_TOPIC_ARN", topic.clone()),
        ("REPORT_KMS_KEY_ARN", kms_key.clone()),
        ("LINK_EXPIRY_SECONDS", "3600".to_owned()),
    ]);
    let config = Config::from_env(&Env::new(|name: &str| vars.get(name).cloned())).unwrap();
    let report = ScheduledReport::new(config, &sdk);
    let event = schedule_event("2026-03-04T06:00:00Z");
    let outcome = report.handle(event.payload).await.unwrap();

    assert_eq!(outcome.key, "reports/2026-03-04/findings.html");
    assert_eq!((outcome.findings, outcome.open, outcome.skipped), (3, 2, 0));
    let head = s3
        .head_object()
        .bucket(&bucket)
        .key(&outcome.key)
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("text/html; charset=utf-8"));
    assert_eq!(
        head.server_side_encryption(),
        Some(&ServerSideEncryption::AwsKms)
    );
    assert_eq!(head.ssekms_key_id(), Some(kms_key.as_str()));
    let stored = s3
        .get_object()
        .bucket(&bucket)
        .key(&outcome.key)
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    let stored = String::from_utf8(stored.to_vec()).unwrap();
    assert!(stored.contains(r#"data-metric="total" data-value="3""#));
    assert!(stored.contains(r#"data-metric="open-critical" data-value="1""#));

    // The subscriber gets the link, and the link downloads the report.
    let mut message = None;
    for _ in 0..10 {
        let received = subscribed
            .sqs
            .receive_message()
            .queue_url(&subscribed.queue_url)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        if let Some(m) = received.messages.unwrap_or_default().into_iter().next() {
            message = Some(m);
            break;
        }
    }
    let envelope: Value = serde_json::from_str(
        message
            .expect("no notification reached the queue")
            .body()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        envelope["Subject"],
        "Inspector findings report: 2 open (1 critical, 1 high)"
    );
    let text = envelope["Message"].as_str().unwrap();
    let link = text
        .lines()
        .find(|line| line.starts_with("http"))
        .unwrap_or_else(|| panic!("no link in {text}"));
    assert_eq!(link, outcome.link);
    assert!(link.contains("X-Amz-Expires=3600"), "{link}");
    assert!(text.contains(&format!("s3://{bucket}/reports/2026-03-04/findings.html")));

    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let response = http.get(link).send().await.unwrap();
    assert_eq!(response.status(), 200, "{link}");
    assert_eq!(response.text().await.unwrap(), stored);
}

#[tokio::test]
async fn without_a_topic_the_report_is_written_and_nothing_is_published() {
    let aws = LocalAws::shared();
    let sdk = aws.sdk_config(SECURITY_ACCOUNT, REGION).await;
    let suffix = unique_suffix();
    let s3 = inspectorlink_report::s3_client(&sdk);
    let bucket = format!("report-{suffix}");
    let reports = format!("reports-{suffix}");
    for name in [&bucket, &reports] {
        s3.create_bucket().bucket(name).send().await.unwrap();
    }
    let vars = BTreeMap::from([
        ("FINDINGS_BUCKET", bucket.clone()),
        ("REPORT_BUCKET", reports.clone()),
    ]);
    let report = ScheduledReport::new(
        Config::from_env(&Env::new(|n: &str| vars.get(n).cloned())).unwrap(),
        &sdk,
    );
    let outcome = report
        .handle(schedule_event("2026-03-05T06:00:00Z").payload)
        .await
        .unwrap();
    assert_eq!(outcome.bucket, reports);
    assert_eq!(outcome.key, "reports/inspector-findings-2026-03-05.html");
    assert_eq!((outcome.findings, outcome.message_id), (0, None));
    s3.head_object()
        .bucket(&reports)
        .key(&outcome.key)
        .send()
        .await
        .expect("the report is in the report bucket");
}

#[tokio::test]
async fn a_missing_findings_bucket_is_an_error_naming_it() {
    let aws = LocalAws::shared();
    let sdk = aws.sdk_config(SECURITY_ACCOUNT, REGION).await;
    let vars = BTreeMap::from([("FINDINGS_BUCKET", format!("missing-{}", unique_suffix()))]);
    let report = ScheduledReport::new(
        Config::from_env(&Env::new(|n: &str| vars.get(n).cloned())).unwrap(),
        &sdk,
    );
    let err = report
        .handle(schedule_event("2026-03-05T06:00:00Z").payload)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(&format!(
            "listing s3://{}/findings/",
            vars["FINDINGS_BUCKET"]
        )),
        "{err}"
    );
    assert!(err.contains("NoSuchBucket"), "{err}");
}
