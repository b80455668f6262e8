//! `make sandbox ENGINE=classic` as a user runs it, then what a pipeline must survive: the
//! first run deploys examples/sandbox-classic (a security account, two members in two
//! regions, tagged and untagged instances), fires the members' schedules and processes
//! what Inspector Classic reports. Then a second scan of the same instances, every one of
//! its messages delivered twice, and a message no parser understands. After each, every
//! finding the runs produced is in S3 and in the index exactly once, notified once if at
//! or above MEDIUM, untagged instances have none, and the member read roles let the
//! central Lambda role in only with the external id; the poison message ends in the DLQ
//! with send-findings' reason logged; the report, rendered by headless Chromium, shows the
//! numbers in S3.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::time::Duration;

use aws_sdk_sqs::types::{MessageAttributeValue, SendMessageBatchRequestEntry};
use aws_sdk_sts::error::ProvideErrorMetadata;
use inspectorlink_findings::{Finding, Severity};
use serde_json::Value;
use test_support::sqs::held;
use test_support::{chromium, target_debug_dir, LocalAws, REGIONS};

use super::least_privilege;
use super::sandbox::{indexed, stored, stored_once, Sandbox};

#[tokio::test(flavor = "multi_thread")]
#[ignore = "deploys the Classic sandbox (minutes): make test-sandbox runs it"]
async fn classic_sandbox_stores_every_finding_once_through_rescans_redelivery_and_poison() {
    let sandbox = Sandbox::new("classic");
    let first = sandbox.script("up");
    assert!(
        first.contains("Findings by account and region"),
        "the summary is printed"
    );
    let checked = assert_pipeline_kept_up(&sandbox, "run 1").await;

    // A second scan of the same instances; its messages saved before they are processed.
    sandbox_py(&sandbox, &["scan"]);
    let saved = snapshot(&sandbox).await;
    assert!(
        saved.values().all(|messages| !messages.is_empty()),
        "scan 2 queued nothing: {saved:?}"
    );
    sandbox_py(&sandbox, &["drain"]);
    let rescanned = assert_pipeline_kept_up(&sandbox, "scan 2").await;
    assert!(rescanned > checked, "scan 2 produced no finding of its own");

    // SQS delivers at least once: every message of scan 2 again.
    redeliver(&sandbox, &saved).await;
    sandbox_py(&sandbox, &["drain"]);
    assert_eq!(
        assert_pipeline_kept_up(&sandbox, "redelivery").await,
        rescanned,
        "a redelivery adds no finding"
    );

    poison_reaches_the_dlq(&sandbox).await;
    report_in_chromium_shows_s3(&sandbox).await;
    // Every run above went through with the roles' policies enforced by the local AWS; and
    // every statement of the member roles is needed.
    least_privilege::assert_healthy_run_needs_every_grant_but(&sandbox, CLASSIC_GRANTED_NOT_CALLED);
    let removals = least_privilege::assert_each_member_statement_used_is_needed(&sandbox).await;
    println!("| member role | statement removed | denied action | what broke |\n|---|---|---|---|");
    for [role, sid, action, broke] in removals {
        println!("| {role} | {sid} | {action} | {broke} |");
    }
    assert_pipeline_kept_up(&sandbox, "after the statement removals").await;
}

/// What the Classic sandbox's roles are granted and do not call (least_privilege.rs): the
/// log agent's, the dedupe's release after a failed publish, and what security-primary
/// grants for Inspector v2 whatever the engine (finding details; coverage events and the
/// sweep, which this sandbox never fires).
const CLASSIC_GRANTED_NOT_CALLED: &least_privilege::Unused = &[
    (
        "send-findings",
        "OwnLogGroup",
        "logs:CreateLogStream",
        least_privilege::LOG_AGENT,
    ),
    (
        "send-findings",
        "OwnLogGroup",
        "logs:PutLogEvents",
        least_privilege::LOG_AGENT,
    ),
    (
        "notify-findings",
        "OwnLogGroup",
        "logs:CreateLogStream",
        least_privilege::LOG_AGENT,
    ),
    (
        "notify-findings",
        "OwnLogGroup",
        "logs:PutLogEvents",
        least_privilege::LOG_AGENT,
    ),
    (
        "notify-findings",
        "DeadLetterQueue",
        "sqs:SendMessage",
        least_privilege::LAST_RECEIVE,
    ),
    (
        "notify-findings",
        "DedupeTable",
        "dynamodb:DeleteItem",
        "gives up a claim whose publish failed",
    ),
    (
        "send-findings",
        "InspectorFindingDetails",
        "inspector2:BatchGetFindingDetails",
        V2_ONLY,
    ),
    (
        "notify-findings",
        "InspectorFindingDetails",
        "inspector2:BatchGetFindingDetails",
        V2_ONLY,
    ),
    (
        "send-findings",
        "InspectorCoverage",
        "inspector2:ListCoverage",
        V2_ONLY,
    ),
    ("send-findings", "CoverageListing", "s3:ListBucket", V2_ONLY),
    ("send-findings", "CoverageObjects", "s3:GetObject", V2_ONLY),
    ("send-findings", "CoverageObjects", "s3:PutObject", V2_ONLY),
    (
        "send-findings",
        "CoverageObjects",
        "s3:DeleteObject",
        V2_ONLY,
    ),
    (
        "send-findings",
        "CoverageSweepPages",
        "sqs:GetQueueUrl",
        V2_ONLY,
    ),
    (
        "send-findings",
        "CoverageSweepPages",
        "sqs:SendMessage",
        V2_ONLY,
    ),
];
const V2_ONLY: &str = "Inspector v2's: security-primary grants it whatever the engine (an estate may run both while it migrates)";

/// `scripts/sandbox.py <command> <outputs.json> [<logs>]` (a step of `make sandbox`).
fn sandbox_py(sandbox: &Sandbox, args: &[&str]) -> String {
    sandbox.py(args).unwrap_or_else(|said| panic!("{said}"))
}

fn security_queue(sandbox: &Sandbox, kind: &str) -> String {
    sandbox.outputs()["queue_urls"][kind]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn sqs(sandbox: &Sandbox) -> aws_sdk_sqs::Client {
    let config = LocalAws::shared()
        .sdk_config(&sandbox.security, REGIONS[0])
        .await;
    aws_sdk_sqs::Client::new(&config)
}

/// The URL of the dead-letter queue of the `kind` queue.
async fn dlq_url(sandbox: &Sandbox, kind: &str) -> String {
    let outputs = sandbox.outputs();
    let name = outputs["dlq_arns"][kind]
        .as_str()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .to_owned();
    let url = sqs(sandbox)
        .await
        .get_queue_url()
        .queue_name(name)
        .send()
        .await
        .unwrap();
    url.queue_url.unwrap()
}

/// A message as it waited on a queue: body and message attributes.
type Saved = (
    String,
    Option<std::collections::HashMap<String, MessageAttributeValue>>,
);

/// Copies what waits on the send and notify queues, leaving it there.
async fn snapshot(sandbox: &Sandbox) -> BTreeMap<&'static str, Vec<Saved>> {
    let sqs = sqs(sandbox).await;
    let mut saved = BTreeMap::new();
    for kind in ["send", "notify"] {
        let url = security_queue(sandbox, kind);
        let mut seen: BTreeMap<String, Saved> = BTreeMap::new();
        let mut handles = Vec::new();
        loop {
            // Hidden while we look, so each is read once; made visible again below.
            let batch = sqs
                .receive_message()
                .queue_url(&url)
                .max_number_of_messages(10)
                .visibility_timeout(60)
                .message_attribute_names("All")
                .send()
                .await
                .unwrap();
            let messages = batch.messages.unwrap_or_default();
            if messages.is_empty() {
                break;
            }
            for message in messages {
                seen.insert(
                    message.message_id.clone().unwrap(),
                    (
                        message.body.clone().unwrap(),
                        message.message_attributes.clone(),
                    ),
                );
                handles.push(message.receipt_handle.unwrap());
            }
        }
        for handle in handles {
            sqs.change_message_visibility()
                .queue_url(&url)
                .receipt_handle(handle)
                .visibility_timeout(0)
                .send()
                .await
                .unwrap();
        }
        println!("{kind}: {} messages saved", seen.len());
        saved.insert(kind, seen.into_values().collect());
    }
    saved
}

/// Puts the saved messages on their queues again.
async fn redeliver(sandbox: &Sandbox, saved: &BTreeMap<&'static str, Vec<Saved>>) {
    let sqs = sqs(sandbox).await;
    for (kind, messages) in saved {
        let url = security_queue(sandbox, kind);
        for chunk in messages.chunks(10) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(i, (body, attributes))| {
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(body)
                        .set_message_attributes(attributes.clone().filter(|a| !a.is_empty()))
                        .build()
                        .unwrap()
                })
                .collect();
            let sent = sqs
                .send_message_batch()
                .queue_url(&url)
                .set_entries(Some(entries))
                .send()
                .await
                .unwrap();
            assert!(sent.failed().is_empty(), "{:?}", sent.failed());
        }
        println!("{kind}: {} messages delivered again", messages.len());
    }
}

/// Every finding the runs of the sandbox's templates produced, with its Classic severity
/// (ListAssessmentRuns, ListFindings, DescribeFindings).
async fn produced(sandbox: &Sandbox) -> BTreeMap<String, String> {
    let aws = LocalAws::shared();
    let outputs = sandbox.outputs();
    let mut found = BTreeMap::new();
    for (place, template) in outputs["assessment_template_arns"].as_object().unwrap() {
        let (account, region) = place.split_once('/').unwrap();
        let inspector = aws_sdk_inspector::Client::new(&aws.sdk_config(account, region).await);
        let runs = inspector
            .list_assessment_runs()
            .assessment_template_arns(template.as_str().unwrap())
            .send()
            .await
            .unwrap()
            .assessment_run_arns;
        if runs.is_empty() {
            continue;
        }
        let mut pages = inspector
            .list_findings()
            .set_assessment_run_arns(Some(runs))
            .into_paginator()
            .send();
        let mut arns = Vec::new();
        while let Some(page) = pages.next().await {
            arns.extend(page.unwrap().finding_arns);
        }
        for chunk in arns.chunks(10) {
            let described = inspector
                .describe_findings()
                .set_finding_arns(Some(chunk.to_vec()))
                .send()
                .await
                .unwrap();
            for finding in described.findings {
                let severity = finding.severity.map(|s| s.as_str().to_owned());
                found.insert(finding.arn, severity.unwrap_or_default());
            }
        }
    }
    found
}

/// Severity as the pipeline ranks a Classic finding's (Undefined counts as informational).
fn classic_severity(severity: &str) -> Severity {
    match severity {
        "High" => Severity::High,
        "Medium" => Severity::Medium,
        "Low" => Severity::Low,
        _ => Severity::Informational,
    }
}

/// The guarantees that hold after every run; returns how many findings are stored.
async fn assert_pipeline_kept_up(sandbox: &Sandbox, run: &str) -> usize {
    let outputs = sandbox.outputs();
    let produced = produced(sandbox).await;
    assert!(!produced.is_empty(), "{run}: the runs produced no finding");

    // Every finding Inspector produced is in S3 and in the index exactly once.
    let by_arn = stored_once(sandbox, &outputs, run).await;
    assert!(
        by_arn.keys().eq(produced.keys()),
        "{run}: S3 holds exactly the findings Inspector produced ({} stored, {} produced)",
        by_arn.len(),
        produced.len()
    );
    let index = indexed(&format!("{}-findings", sandbox.prefix));
    let mut indexed_arns = BTreeSet::new();
    for (id, (arn, _)) in &index {
        let finding = by_arn.get(arn).unwrap_or_else(|| {
            panic!("{run}: index document {id} is no finding Inspector produced")
        });
        assert_eq!(id, &finding.id, "{run}: the document id is the finding id");
        assert!(indexed_arns.insert(arn), "{run}: {arn} is indexed twice");
    }
    assert_eq!(
        indexed_arns.len(),
        produced.len(),
        "{run}: the index holds every finding"
    );
    println!(
        "ok: {run}: all {} findings Inspector produced are in S3 and in the index exactly once",
        produced.len()
    );

    // Notifications only at or above the threshold (MEDIUM), one per finding.
    let wanted: BTreeSet<&String> = produced
        .iter()
        .filter(|(_, severity)| classic_severity(severity) >= Severity::Medium)
        .map(|(arn, _)| arn)
        .collect();
    let notifications = sandbox.notifications();
    let mut notified: BTreeMap<&String, usize> = BTreeMap::new();
    for (arn, ..) in &notifications {
        *notified.entry(arn).or_default() += 1;
    }
    assert_eq!(
        notified.keys().copied().collect::<BTreeSet<_>>(),
        wanted,
        "{run}: notified findings are exactly those at MEDIUM or above"
    );
    assert!(
        notified.values().all(|&n| n == 1),
        "{run}: a finding was notified twice"
    );
    println!(
        "ok: {run}: {} notifications for the {} findings at MEDIUM or above; none for the {} below",
        notifications.len(),
        wanted.len(),
        produced.len() - wanted.len()
    );

    // Untagged instances produce no finding.
    let instances = |kind: &str| -> BTreeSet<String> {
        outputs["instances"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|place| place[kind].as_array().unwrap().iter())
            .map(|id| id.as_str().unwrap().to_owned())
            .collect()
    };
    let (tagged, untagged) = (instances("tagged"), instances("untagged"));
    assert!(!untagged.is_empty(), "the sandbox has untagged instances");
    let assessed: BTreeSet<String> = by_arn.values().map(|f| f.resource.id.clone()).collect();
    assert!(
        assessed.is_disjoint(&untagged),
        "{run}: untagged instances have findings: {:?}",
        assessed.intersection(&untagged).collect::<Vec<_>>()
    );
    assert!(
        assessed.is_subset(&tagged),
        "{run}: findings for instances the sandbox did not create: {:?}",
        assessed.difference(&tagged).collect::<Vec<_>>()
    );

    read_roles_want_the_external_id(sandbox, &outputs).await;
    by_arn.len()
}

/// The member read roles refuse the central Lambda role without the right external id.
async fn read_roles_want_the_external_id(sandbox: &Sandbox, outputs: &Value) {
    let external_id = format!("sandbox-{}-external-id", sandbox.prefix);
    let lambda_role = format!(
        "arn:aws:iam::{}:role/{}-send-findings",
        sandbox.security, sandbox.prefix
    );
    let config = LocalAws::shared()
        .service_config(
            &lambda_role,
            "lambda.amazonaws.com",
            &sandbox.security,
            REGIONS[0],
        )
        .await;
    let sts = aws_sdk_sts::Client::new(&config);
    let roles = outputs["read_role_arns"].as_object().unwrap();
    assert_eq!(roles.len(), sandbox.members.len());
    for role in roles.values() {
        let role = role.as_str().unwrap();
        for (session, given) in [
            ("no-external-id", None),
            ("wrong-external-id", Some(format!("{external_id}-wrong"))),
        ] {
            let assumed = sts
                .assume_role()
                .role_arn(role)
                .role_session_name(session)
                .set_external_id(given)
                .send()
                .await;
            match assumed {
                Ok(_) => panic!("{role} let the send-findings role in ({session})"),
                Err(err) => assert_eq!(err.code(), Some("AccessDenied"), "{role}: {err:?}"),
            }
        }
        sts.assume_role()
            .role_arn(role)
            .role_session_name("with-external-id")
            .external_id(&external_id)
            .send()
            .await
            .unwrap_or_else(|err| panic!("{role} refused the send-findings role: {err:?}"));
    }
}

/// An unparseable message on the send queue ends in its DLQ unchanged, moved there by
/// send-findings on its last receive with the reason, which it also logged.
async fn poison_reaches_the_dlq(sandbox: &Sandbox) {
    let sqs = sqs(sandbox).await;
    let body = r#"{"Type": "Notification", "Message": "this is not an Inspector notification""#;
    let sent = sqs
        .send_message()
        .queue_url(security_queue(sandbox, "send"))
        .message_body(body)
        .send()
        .await
        .unwrap();
    let message_id = sent.message_id.unwrap();
    sandbox_py(sandbox, &["drain", "--only", "send", "--timeout", "120"]);
    let dlq = dlq_url(sandbox, "send").await;
    let mut moved = None;
    for _ in 0..5 {
        moved = held(&sqs, &dlq).await.into_iter().find(|m| m.body == body);
        if moved.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let moved = moved.unwrap_or_else(|| panic!("the poison message {message_id} is not in {dlq}"));
    let attribute = |name: &str| {
        moved
            .attributes
            .get(name)
            .unwrap_or_else(|| panic!("the dead letter has no {name}: {moved:?}"))
    };
    let reason = attribute("inspectorlink_failure_reason");
    assert!(reason.contains("not JSON"), "{reason}");
    assert_eq!(attribute("inspectorlink_function"), "send-findings");
    assert_eq!(attribute("inspectorlink_source_message_id"), &message_id);
    let receives = attribute("inspectorlink_receive_count");
    let log_path = sandbox
        .dir
        .join("logs")
        .join(format!("{}-send-findings.log", sandbox.prefix));
    let log = String::from_utf8_lossy(&std::fs::read(&log_path).unwrap()).into_owned();
    assert!(
        log.lines()
            .any(|line| line.contains(&message_id) && line.contains("record failed")),
        "send-findings logged no failure of {message_id}"
    );
    println!(
        "ok: poison message {message_id} moved to the DLQ on its receive {receives}, with the reason: {}",
        reason.chars().take(300).collect::<String>()
    );
}

/// The report of the sandbox's findings, rendered by headless Chromium, shows the numbers
/// in S3; phone and desktop screenshots go to `<target>/test-artefacts/`.
async fn report_in_chromium_shows_s3(sandbox: &Sandbox) {
    let outputs = sandbox.outputs();
    let bucket = outputs["findings_bucket"].as_str().unwrap();
    let report = sandbox.dir.join("report-final.html");
    let built = Command::new(target_debug_dir().join("inspectorlink-report"))
        .args([
            "--bucket",
            bucket,
            "--prefix",
            "findings",
            "--title",
            "inspectorlink sandbox",
            "--out",
        ])
        .arg(&report)
        .envs(LocalAws::shared().env())
        .output()
        .expect("running inspectorlink-report (scripts/sandbox.sh builds it)");
    assert!(built.status.success(), "inspectorlink-report: {built:?}");
    let documents: Vec<Finding> = stored(&sandbox.security, bucket)
        .await
        .into_iter()
        .map(|(_, finding)| finding)
        .collect();

    let dom = chromium::run(&["--dump-dom".into(), chromium::url(&report)]);
    assert!(!dom.contains("<script"), "a script element reached the DOM");
    let shown = shown_metrics(&dom);
    assert_eq!(
        shown.get(&("total".into(), String::new())),
        Some(&documents.len()),
        "total shown, against S3"
    );
    let name = |value: Value| value.as_str().unwrap().to_owned();
    for (metric, field) in [
        ("severity-all", "severity"),
        ("account-all", "account_id"),
        ("region-all", "region"),
    ] {
        let mut expected: BTreeMap<String, usize> = BTreeMap::new();
        for finding in &documents {
            let value = serde_json::to_value(finding).unwrap()[field].clone();
            *expected.entry(name(value)).or_default() += 1;
        }
        let actual: BTreeMap<String, usize> = shown
            .iter()
            .filter(|((m, _), &value)| m == metric && value > 0)
            .map(|((_, key), &value)| (key.clone(), value))
            .collect();
        assert_eq!(actual, expected, "{metric}: shown, against S3");
    }
    println!(
        "ok: Chromium shows the {} findings in S3, by severity, account and region ({} numbers)",
        documents.len(),
        shown.len()
    );
    let artefacts = target_debug_dir().parent().unwrap().join("test-artefacts");
    std::fs::create_dir_all(&artefacts).unwrap();
    for (name, width, height) in [("phone", 390, 3000), ("desktop", 1366, 2400)] {
        let path = artefacts.join(format!("sandbox-report-{name}.png"));
        chromium::run(&[
            format!("--screenshot={}", path.display()),
            format!("--window-size={width},{height}"),
            chromium::url(&report),
        ]);
        let png = std::fs::read(&path).unwrap_or_default();
        assert!(
            png.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{} is not a PNG",
            path.display()
        );
        println!("ok: screenshot ({name}, {width} px): {}", path.display());
    }
}

/// Every number the report shows, (data-metric, data-key) → value; the element's text must
/// be its data-value (with thousands separators).
fn shown_metrics(dom: &str) -> BTreeMap<(String, String), usize> {
    let mut shown = BTreeMap::new();
    for (at, _) in dom.match_indices(" data-metric=\"") {
        let tag_end = at + dom[at..].find('>').expect("a closed tag");
        let attributes = &dom[at..tag_end];
        let attribute = |name: &str| {
            let start = attributes.find(&format!(" {name}=\""))? + name.len() + 3;
            let len = attributes[start..].find('"')?;
            Some(unescape(&attributes[start..start + len]))
        };
        let metric = attribute("data-metric").unwrap();
        let key = attribute("data-key").unwrap_or_default();
        let Some(value) = attribute("data-value") else {
            continue;
        };
        let text_end = tag_end + 1 + dom[tag_end + 1..].find('<').unwrap_or(0);
        let text = dom[tag_end + 1..text_end].replace(',', "");
        assert_eq!(
            text, value,
            "{metric} {key}: shows {text:?}, data-value {value}"
        );
        shown.insert((metric, key), value.parse().unwrap());
    }
    shown
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

#[test]
fn shown_metrics_reads_values_and_keys_and_checks_the_text() {
    let dom = r#"<p><span data-metric="total" data-value="1234">1,234</span><td data-metric="account-all" data-key="a&amp;b" data-value="3">3</td></p>"#;
    let shown = shown_metrics(dom);
    assert_eq!(shown[&("total".into(), String::new())], 1234);
    assert_eq!(shown[&("account-all".into(), "a&b".into())], 3);
}
