//! Least privilege on the deployed v2 sandbox. The local AWS enforces the identity policies
//! of every role the sandbox creates (scripts/sandbox.sh; tests/localaws/localaws/identity.py),
//! so a pipeline run that keeps up proves the policies are enough. These checks then show
//! they are not more than enough:
//!
//! - nothing was denied, and what each role is granted but never called is exactly
//!   [`V2_GRANTED_NOT_CALLED`] (Classic's: in sandbox_classic.rs), each entry with the
//!   reason it stays;
//! - every statement that allowed a call is needed: removed alone, the pipeline fails (or,
//!   where the design degrades instead, logs) naming the action it now denies; put back,
//!   the same messages go through, redriven from the dead-letter queue where they ended.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use aws_sdk_inspector2::types::{FilterAction, FilterCriteria, StringComparison, StringFilter};
use inspectorlink_findings::{Severity, Status};
use serde_json::Value;
use test_support::iam::RoleAccess;
use test_support::{LocalAws, REGIONS};

use crate::sandbox::{assert_pipeline_kept_up, queue_url, stored, Sandbox};

pub(crate) const LAST_RECEIVE: &str = "moves a record that fails its last receive to the dead-letter queue with the reason; a healthy run fails none";
pub(crate) const LOG_AGENT: &str = "Lambda writes the function's logs to CloudWatch with its execution role; the local runner writes them to files";

/// (role name suffix, Sid, action, why it stays) of what a sandbox's roles are granted and
/// do not call in a healthy run.
pub(crate) type Unused = [(&'static str, &'static str, &'static str, &'static str)];

/// The v2 sandbox's.
pub(crate) const V2_GRANTED_NOT_CALLED: &Unused = &[
    (
        "send-findings",
        "OwnLogGroup",
        "logs:CreateLogStream",
        LOG_AGENT,
    ),
    (
        "send-findings",
        "OwnLogGroup",
        "logs:PutLogEvents",
        LOG_AGENT,
    ),
    (
        "notify-findings",
        "OwnLogGroup",
        "logs:CreateLogStream",
        LOG_AGENT,
    ),
    (
        "notify-findings",
        "OwnLogGroup",
        "logs:PutLogEvents",
        LOG_AGENT,
    ),
    (
        "send-findings",
        "DeadLetterQueue",
        "sqs:SendMessage",
        LAST_RECEIVE,
    ),
    (
        "notify-findings",
        "DeadLetterQueue",
        "sqs:SendMessage",
        LAST_RECEIVE,
    ),
    (
        "notify-findings",
        "DedupeTable",
        "dynamodb:DeleteItem",
        "gives up a claim whose publish failed (the PublishNotifications removal below calls it)",
    ),
];

/// Roles of the sandbox that are not the pipeline's: the workloads' instance profiles (the
/// instances run no code here).
fn checked_elsewhere(role_suffix: &str) -> bool {
    role_suffix.ends_with("-instance")
}

/// What the roles of a healthy run did: nothing denied, unused grants as documented.
pub(crate) fn assert_healthy_run_needs_every_grant_but(sandbox: &Sandbox, documented: &Unused) {
    let access = LocalAws::shared().iam_access(&format!("{}-", sandbox.prefix));
    assert!(
        !access.is_empty(),
        "the local AWS saw no call of the sandbox's roles: is enforcement on?"
    );
    let mut unused = BTreeSet::new();
    for (role, seen) in &access {
        let denied: Vec<_> = seen.denied().collect();
        assert!(denied.is_empty(), "{role} was denied: {denied:#?}");
        let suffix = role_suffix(sandbox, role);
        if checked_elsewhere(&suffix) {
            continue;
        }
        for grant in &seen.unused {
            unused.insert((suffix.clone(), grant.sid.clone(), grant.action.clone()));
        }
    }
    let documented: BTreeSet<_> = documented
        .iter()
        .map(|(role, sid, action, _)| (role.to_string(), sid.to_string(), action.to_string()))
        .collect();
    assert_eq!(
        unused, documented,
        "granted but never called: remove it from the policy, or document why it stays"
    );
}

/// Removes each statement that allowed a call, one at a time, and sees the pipeline fail
/// naming the action it denies; returns the table (role, Sid, denied action, what broke).
pub(crate) async fn assert_each_statement_used_is_needed(sandbox: &Sandbox) -> Vec<[String; 4]> {
    let aws = LocalAws::shared();
    let access = aws.iam_access(&format!("{}-", sandbox.prefix));
    let iam = aws_sdk_iam::Client::new(&aws.sdk_config(&sandbox.security, REGIONS[0]).await);
    let inspector =
        aws_sdk_inspector2::Client::new(&aws.sdk_config(&sandbox.security, REGIONS[0]).await);
    let outputs = sandbox.outputs();
    let cve = open_vulnerabilities(sandbox, &outputs, REGIONS[0], 1)
        .await
        .remove(0);
    let mut suppression: Option<String> = None;
    let mut table = vec![];
    for (function, role) in [("send", "send-findings"), ("notify", "notify-findings")] {
        let role_arn = format!(
            "arn:aws:iam::{}:role/{}-{role}",
            sandbox.security, sandbox.prefix
        );
        for (policy_sid, actions) in statements_used(&access[&role_arn]) {
            let (policy, sid) = policy_sid.split_once('/').unwrap();
            let role_name = format!("{}-{role}", sandbox.prefix);
            let original = remove_statement(&iam, &role_name, policy, sid).await;

            // A real change for the pipeline to carry: Inspector suppresses (or no longer
            // suppresses) one vulnerability's findings, then the coverage sweep runs.
            suppression =
                toggle_suppression(&inspector, &cve, suppression, &suppression_rule(sandbox)).await;
            sandbox.py(&["scan"]).expect("sandbox.py scan");
            if function == "notify" {
                // The digest's statements are used when it is sent: a request waits too.
                sandbox
                    .py(&["fire-digests"])
                    .expect("sandbox.py fire-digests");
            }
            let log = sandbox
                .dir
                .join("logs")
                .join(format!("{}-{role}.log", sandbox.prefix));
            let logged_before = std::fs::metadata(&log).map(|m| m.len()).unwrap_or(0);
            let drain = sandbox.py(&["drain", "--only", function, "--timeout", "300"]);
            let logged = std::fs::read(&log).unwrap_or_default();
            let said = format!(
                "{}\n{}",
                drain.as_ref().unwrap_or_else(|e| e),
                String::from_utf8_lossy(&logged[logged_before as usize..])
            );
            let denied = actions
                .iter()
                .find(|action| said.contains(&format!("is not authorized to perform: {action}")))
                .unwrap_or_else(|| {
                    panic!("{role} without {sid}: nothing named a denied {actions:?}:\n{said}")
                });
            let broke = match &drain {
                Err(_) => "the queue's poller stops (messages stay in the queue)".to_owned(),
                Ok(_) => {
                    let failed = failed_records(&sandbox.dir.join("logs/drain.json"));
                    let dead = dlq_depth(sandbox, &outputs, function).await;
                    if failed > 0 {
                        format!(
                            "{} and {} in the DLQ",
                            count(failed, "failed receive"),
                            count(dead as u64, "message")
                        )
                    } else {
                        "went on without what it denies, and logged it (by design)".to_owned()
                    }
                }
            };
            table.push([role.to_owned(), sid.to_owned(), denied.clone(), broke]);

            put_policy(&iam, &role_name, policy, &original).await;
            redrive(sandbox, &outputs, function).await;
            sandbox
                .py(&["drain", "--timeout", "300"])
                .expect("the drain after the statement is back");
        }
    }
    // The suppression lifted, Inspector lists what the runs above left.
    if suppression.is_some() {
        toggle_suppression(&inspector, &cve, suppression, &suppression_rule(sandbox)).await;
    }
    table.push(forwarding_needs_its_statement(sandbox, &access, &iam, &outputs).await);
    sandbox.py(&["scan"]).expect("sandbox.py scan");
    sandbox
        .py(&["drain", "--timeout", "300"])
        .expect("the last drain");
    assert_pipeline_kept_up(sandbox, "after the statement removals").await;
    table
}

/// Inspector Classic: each statement the first member's read and scheduler roles used,
/// removed alone: the scan or the pipeline names the action it denies; put back, the next
/// scan goes through and what was left in a dead-letter queue is redriven.
pub(crate) async fn assert_each_member_statement_used_is_needed(
    sandbox: &Sandbox,
) -> Vec<[String; 4]> {
    let aws = LocalAws::shared();
    let access = aws.iam_access(&format!("{}-", sandbox.prefix));
    let member = &sandbox.members[0];
    let iam = aws_sdk_iam::Client::new(&aws.sdk_config(member, REGIONS[0]).await);
    let outputs = sandbox.outputs();
    let logs = sandbox.dir.join("logs");
    let log_of = |function: &str| logs.join(format!("{}-{function}.log", sandbox.prefix));
    let mut table = vec![];
    for role in ["read", "scheduler"] {
        let role_name = format!("{}-{role}", sandbox.prefix);
        let role_arn = format!("arn:aws:iam::{member}:role/{role_name}");
        for (policy_sid, actions) in statements_used(&access[&role_arn]) {
            let (policy, sid) = policy_sid.split_once('/').unwrap();
            let original = remove_statement(&iam, &role_name, policy, sid).await;

            let before: Vec<u64> = ["send-findings", "notify-findings"]
                .iter()
                .map(|f| std::fs::metadata(log_of(f)).map(|m| m.len()).unwrap_or(0))
                .collect();
            let scan = sandbox.py(&["scan"]);
            let drain = sandbox.py(&["drain", "--timeout", "300"]);
            let mut said = format!(
                "{}\n{}",
                scan.as_ref().unwrap_or_else(|e| e),
                drain.as_ref().unwrap_or_else(|e| e)
            );
            for (function, from) in ["send-findings", "notify-findings"].iter().zip(&before) {
                let logged = std::fs::read(log_of(function)).unwrap_or_default();
                said.push_str(&String::from_utf8_lossy(&logged[*from as usize..]));
            }
            let denied = actions
                .iter()
                .find(|action| said.contains(&format!("is not authorized to perform: {action}")))
                .unwrap_or_else(|| {
                    panic!("{role_name} without {sid}: nothing named a denied {actions:?}:\n{said}")
                });
            let failed = failed_records(&logs.join("drain.json"));
            let dead = dlq_depth(sandbox, &outputs, "send").await
                + dlq_depth(sandbox, &outputs, "notify").await;
            let broke = if scan.is_err() {
                "the schedule starts no assessment run (fire-schedules reports the error)"
                    .to_owned()
            } else if failed > 0 {
                format!(
                    "{} and {} in the DLQs (send- and notify-findings both describe the findings)",
                    count(failed, "failed receive"),
                    count(dead as u64, "message")
                )
            } else {
                "went on without what it denies, and logged it (by design)".to_owned()
            };
            table.push([role.to_owned(), sid.to_owned(), denied.clone(), broke]);

            put_policy(&iam, &role_name, policy, &original).await;
            redrive(sandbox, &outputs, "send").await;
            redrive(sandbox, &outputs, "notify").await;
            sandbox
                .py(&["drain", "--timeout", "300"])
                .expect("the drain after the statement is back");
        }
    }
    table
}

/// The secondary region's forwarding role without its statement: EventBridge cannot put the
/// region's events on the primary bus, and they wait in the rule's dead-letter queue with
/// the reason; its statement back, the next change of the same findings goes through.
async fn forwarding_needs_its_statement(
    sandbox: &Sandbox,
    access: &BTreeMap<String, RoleAccess>,
    iam: &aws_sdk_iam::Client,
    outputs: &Value,
) -> [String; 4] {
    let aws = LocalAws::shared();
    let region = REGIONS[1];
    let role_name = format!("{}-inspector2-forward-{region}", sandbox.prefix);
    let role_arn = format!("arn:aws:iam::{}:role/{role_name}", sandbox.security);
    let used = statements_used(&access[&role_arn]);
    assert_eq!(
        used.len(),
        1,
        "{role_name}: one statement used, not {used:?}"
    );
    let (policy_sid, actions) = used.into_iter().next().unwrap();
    let (policy, sid) = policy_sid.split_once('/').unwrap();
    let original = remove_statement(iam, &role_name, policy, sid).await;

    let inspector =
        aws_sdk_inspector2::Client::new(&aws.sdk_config(&sandbox.security, region).await);
    let cve = open_vulnerabilities(sandbox, outputs, region, 1)
        .await
        .remove(0);
    let suppression = toggle_suppression(&inspector, &cve, None, &suppression_rule(sandbox)).await;
    sandbox.py(&["scan"]).expect("sandbox.py scan");
    let sqs = aws_sdk_sqs::Client::new(&aws.sdk_config(&sandbox.security, region).await);
    let dlq = outputs["rules"][region]["dlq_url"].as_str().unwrap();
    let letters = sqs
        .receive_message()
        .queue_url(dlq)
        .max_number_of_messages(10)
        .message_attribute_names("All")
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default();
    assert!(
        !letters.is_empty(),
        "{role_name} without {sid}: nothing in {dlq}"
    );
    let denied = actions.into_iter().next().unwrap();
    for letter in &letters {
        let reason = letter
            .message_attributes()
            .and_then(|a| a.get("ERROR_MESSAGE"))
            .and_then(|v| v.string_value())
            .unwrap_or_default();
        assert!(
            reason.contains(&format!("is not authorized to perform: {denied}")),
            "{role_name} without {sid}: {reason}"
        );
    }
    // Undelivered, the suppression is in the dead letters only; emptied, as an operator
    // does once the next change has gone through.
    test_support::sqs::drain(&sqs, dlq).await;
    put_policy(iam, &role_name, policy, &original).await;
    toggle_suppression(&inspector, &cve, suppression, &suppression_rule(sandbox)).await;
    sandbox.py(&["scan"]).expect("sandbox.py scan");
    sandbox
        .py(&["drain", "--timeout", "300"])
        .expect("the drain after the statement is back");
    [
        format!("inspector2-forward-{region}"),
        sid.to_owned(),
        denied,
        format!(
            "{} in the forwarding rule's dead-letter queue, with the reason",
            count(letters.len() as u64, "event")
        ),
    ]
}

fn role_suffix(sandbox: &Sandbox, role_arn: &str) -> String {
    let name = role_arn.rsplit_once(":role/").unwrap().1;
    name.strip_prefix(&format!("{}-", sandbox.prefix))
        .unwrap_or(name)
        .to_owned()
}

/// The name of the suppression rule the removals create and lift.
fn suppression_rule(sandbox: &Sandbox) -> String {
    format!("{}-least-privilege", sandbox.prefix)
}

/// `<policy>/<Sid>` of each statement that allowed a call, with the actions it allowed.
fn statements_used(access: &RoleAccess) -> BTreeMap<String, BTreeSet<String>> {
    let mut used: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for call in access.calls.iter().filter(|call| call.allowed) {
        for statement in &call.statements {
            used.entry(statement.clone())
                .or_default()
                .insert(call.action.clone());
        }
    }
    used
}

/// Up to `count` open package vulnerabilities at or above the notification threshold in
/// `region`, each once, in order.
pub(crate) async fn open_vulnerabilities(
    sandbox: &Sandbox,
    outputs: &Value,
    region: &str,
    count: usize,
) -> Vec<String> {
    let bucket = outputs["findings_bucket"].as_str().unwrap();
    let found: BTreeSet<String> = stored(&sandbox.security, bucket)
        .await
        .into_iter()
        .map(|(_, finding)| finding)
        .filter(|f| {
            f.region == region && f.status == Status::Active && f.severity >= Severity::Medium
        })
        .filter(|f| f.finding_type == "PACKAGE_VULNERABILITY")
        .filter_map(|f| f.vulnerability_id)
        .collect();
    assert!(
        !found.is_empty(),
        "no open package vulnerability at MEDIUM or above in {region} to suppress"
    );
    found.into_iter().take(count).collect()
}

/// Creates a suppression rule for `cve`, or deletes the one there is; returns the rule's ARN
/// while it exists.
pub(crate) async fn toggle_suppression(
    inspector: &aws_sdk_inspector2::Client,
    cve: &str,
    existing: Option<String>,
    name: &str,
) -> Option<String> {
    if let Some(arn) = existing {
        inspector
            .delete_filter()
            .arn(arn)
            .send()
            .await
            .expect("DeleteFilter");
        return None;
    }
    let criteria = FilterCriteria::builder()
        .vulnerability_id(
            StringFilter::builder()
                .comparison(StringComparison::Equals)
                .value(cve)
                .build()
                .unwrap(),
        )
        .build();
    let created = inspector
        .create_filter()
        .name(name)
        .action(FilterAction::Suppress)
        .filter_criteria(criteria)
        .send()
        .await
        .expect("CreateFilter");
    Some(created.arn().to_owned())
}

/// Removes the statement `sid` from the role's inline policy `policy`; answers the policy as
/// it was, to put back.
async fn remove_statement(iam: &aws_sdk_iam::Client, role: &str, policy: &str, sid: &str) -> Value {
    let original = policy_document(iam, role, policy).await;
    let mut without = original.clone();
    without["Statement"]
        .as_array_mut()
        .unwrap()
        .retain(|statement| statement["Sid"] != sid);
    put_policy(iam, role, policy, &without).await;
    original
}

async fn policy_document(iam: &aws_sdk_iam::Client, role: &str, policy: &str) -> Value {
    let answer = iam
        .get_role_policy()
        .role_name(role)
        .policy_name(policy)
        .send()
        .await
        .expect("GetRolePolicy");
    // IAM answers the document URL-encoded.
    let text = percent_encoding::percent_decode_str(answer.policy_document())
        .decode_utf8()
        .unwrap()
        .into_owned();
    serde_json::from_str(&text).unwrap()
}

/// Puts the role's inline policy; one left without statements is deleted (IAM refuses an
/// empty policy).
async fn put_policy(iam: &aws_sdk_iam::Client, role: &str, policy: &str, document: &Value) {
    if document["Statement"].as_array().is_some_and(Vec::is_empty) {
        iam.delete_role_policy()
            .role_name(role)
            .policy_name(policy)
            .send()
            .await
            .expect("DeleteRolePolicy");
        return;
    }
    iam.put_role_policy()
        .role_name(role)
        .policy_name(policy)
        .policy_document(document.to_string())
        .send()
        .await
        .expect("PutRolePolicy");
}

fn failed_records(drain_json: &Path) -> u64 {
    let drain: Value = serde_json::from_str(&std::fs::read_to_string(drain_json).unwrap()).unwrap();
    drain["functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["failed_records"].as_u64().unwrap_or(0))
        .sum()
}

async fn dlq_depth(sandbox: &Sandbox, outputs: &Value, function: &str) -> usize {
    let endpoint = LocalAws::shared().endpoint();
    let url = queue_url(outputs["dlq_arns"][function].as_str().unwrap(), endpoint);
    crate::sandbox::depth(&sandbox.security, REGIONS[0], &url).await
}

/// Sends what the function's dead-letter queue holds back to its queue, as an operator
/// redrives it once the cause is fixed.
async fn redrive(sandbox: &Sandbox, outputs: &Value, function: &str) {
    let aws = LocalAws::shared();
    let sqs = aws_sdk_sqs::Client::new(&aws.sdk_config(&sandbox.security, REGIONS[0]).await);
    let dlq = queue_url(
        outputs["dlq_arns"][function].as_str().unwrap(),
        aws.endpoint(),
    );
    let source = outputs["queue_urls"][function].as_str().unwrap();
    for (_, body) in test_support::sqs::drain(&sqs, &dlq).await {
        sqs.send_message()
            .queue_url(source)
            .message_body(body)
            .send()
            .await
            .expect("sending a dead letter back");
    }
}

/// "1 message", "2 messages".
fn count(n: u64, thing: &str) -> String {
    format!("{n} {thing}{}", if n == 1 { "" } else { "s" })
}
