//! The sandbox's routing rules (scripts/sandbox.sh): team A's HIGH and above to its Slack
//! channel and Jira project (a ticket per CVE), KEV to every team's Teams channel,
//! everything else in the daily digest, MEDIUM and above to the SIEM. After each run, each
//! destination got exactly what the rules say, counted from what the pipeline stored:
//! a chat message per finding and state, a digest email per CVE with news, a Jira ticket
//! per CVE, done when its last resource is fixed and reopened when the CVE comes back,
//! never two for one CVE although Jira loses answers and rate-limits.

use std::collections::{BTreeMap, BTreeSet};

use inspectorlink_findings::{Finding, Severity, Status};
use percent_encoding::percent_decode_str;
use serde_json::{json, Value};
use test_support::{LocalAws, REGIONS};

use crate::sandbox::{status_name, Sandbox};

/// Where scripts/sandbox.py destinations said each destination's messages land.
fn destinations(sandbox: &Sandbox) -> Value {
    serde_json::from_str(&std::fs::read_to_string(sandbox.dir.join("destinations.json")).unwrap())
        .unwrap()
}

fn team_a_high(finding: &Finding) -> bool {
    finding.severity >= Severity::High
        && finding.resource.tags.get("team").map(String::as_str) == Some("a")
}

fn kev(finding: &Finding) -> bool {
    finding.details.as_ref().is_some_and(|d| d.kev.is_some())
}

/// Matched neither team A's rule nor the KEV rule: the digest's.
fn everything_else(finding: &Finding) -> bool {
    !team_a_high(finding) && !kev(finding)
}

/// Jira's first answers go wrong before run 1: one create is rate-limited, one is written
/// and its answer lost (a 502 after the write).
pub(crate) fn program_jira_faults(sandbox: &Sandbox) {
    for fail in [
        json!({"operation": "create", "status": 429, "times": 1, "retry_after": 1}),
        json!({"operation": "create", "status": 502, "times": 1, "after_commit": true}),
    ] {
        LocalAws::shared().admin(
            "/_localaws/jira",
            &json!({"site": sandbox.prefix, "fail": fail}),
        );
    }
}

/// (finding ARN, status) of each message a Slack or Teams webhook accepted: the status
/// fact, and the ARN in the console button's search.
fn chat_messages(url: &str, kind: &str) -> Vec<(String, String)> {
    LocalAws::shared()
        .mailbox(url)
        .iter()
        .filter_map(|message| {
            let body: Value = serde_json::from_str(message["body"].as_str()?).ok()?;
            let (status, link) = if kind == "slack" {
                let blocks = &body["blocks"];
                (
                    blocks[1]["fields"][1]["text"]
                        .as_str()?
                        .rsplit('\n')
                        .next()?
                        .to_owned(),
                    blocks[3]["elements"][0]["url"].as_str()?.to_owned(),
                )
            } else {
                let card = &body["attachments"][0]["content"];
                (
                    card["body"][1]["facts"][1]["value"].as_str()?.to_owned(),
                    card["actions"][0]["url"].as_str()?.to_owned(),
                )
            };
            let arn = percent_decode_str(link.rsplit("findingArn%3D").next()?)
                .decode_utf8()
                .ok()?
                .into_owned();
            Some((arn, status))
        })
        .collect()
}

/// (finding ARN, status) pairs.
type States = BTreeSet<(String, String)>;

/// The states of the findings `matching`: (their status now, ACTIVE before it). A state
/// overtaken before notify-findings saw it (ACTIVE and CLOSED in one batch) is history,
/// not news: the status now must have been sent, ACTIVE may have been.
fn states(
    findings: &BTreeMap<String, Finding>,
    matching: fn(&Finding) -> bool,
) -> (States, States) {
    let now: BTreeSet<(String, String)> = findings
        .values()
        .filter(|f| matching(f))
        .map(|f| (f.finding_arn.clone(), status_name(f.status).to_owned()))
        .collect();
    let mut possible = now.clone();
    possible.extend(
        now.iter()
            .map(|(arn, _)| (arn.clone(), "ACTIVE".to_owned())),
    );
    (now, possible)
}

fn assert_chat(
    run: &str,
    name: &str,
    destination: &Value,
    (now, possible): (States, States),
) -> usize {
    let got = chat_messages(
        destination["url"].as_str().unwrap(),
        destination["type"].as_str().unwrap(),
    );
    let distinct: BTreeSet<(String, String)> = got.iter().cloned().collect();
    assert_eq!(
        distinct.len(),
        got.len(),
        "{run}: {name} got a finding's state twice: {got:#?}"
    );
    assert!(
        !now.is_empty(),
        "{run}: no finding matches {name}'s rule: the sandbox lost its point"
    );
    let missing: Vec<_> = now.difference(&distinct).collect();
    assert!(missing.is_empty(), "{run}: {name} never got {missing:#?}");
    let unexpected: Vec<_> = distinct.difference(&possible).collect();
    assert!(
        unexpected.is_empty(),
        "{run}: {name} got what its rule does not match: {unexpected:#?}"
    );
    got.len()
}

/// The digest emails: their subjects, in order.
fn digest_subjects(sandbox: &Sandbox) -> Vec<String> {
    LocalAws::shared()
        .mailbox(&format!("digest@{}.example.com", sandbox.prefix))
        .iter()
        .map(|m| m["subject"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Every destination got exactly what the rules send it after `run`; `before` is the
/// findings after the run before (None for the first). Answers the count per destination.
pub(crate) fn assert_routed(
    sandbox: &Sandbox,
    run: &str,
    findings: &BTreeMap<String, Finding>,
    before: Option<&BTreeMap<String, Finding>>,
    digests_before: usize,
) -> BTreeMap<String, usize> {
    let destinations = destinations(sandbox);
    let mut counts = BTreeMap::new();
    counts.insert(
        "team-a-slack".to_owned(),
        assert_chat(
            run,
            "team-a-slack",
            &destinations["team-a-slack"],
            states(findings, team_a_high),
        ),
    );
    counts.insert(
        "all-teams".to_owned(),
        assert_chat(
            run,
            "all-teams",
            &destinations["all-teams"],
            states(findings, kev),
        ),
    );

    // The digest: one email per CVE (or title) with news among everything else's findings.
    let changed: Vec<&Finding> = findings
        .values()
        .filter(|f| everything_else(f))
        .filter(|f| {
            before.is_none_or(|b| {
                b.get(&f.finding_arn)
                    .is_none_or(|old| old.status != f.status)
            })
        })
        .collect();
    let groups: BTreeSet<String> = changed.iter().map(|f| f.vulnerability_group()).collect();
    let subjects = digest_subjects(sandbox);
    let this_run = &subjects[digests_before.min(subjects.len())..];
    assert_eq!(
        this_run.len(),
        groups.len(),
        "{run}: one digest email per group with news ({groups:?}), got {this_run:#?}"
    );
    for group in &groups {
        assert!(
            this_run.iter().any(|s| s.contains(&format!("] {group}: "))),
            "{run}: no digest entry for {group}: {this_run:#?}"
        );
    }
    counts.insert("digest".to_owned(), subjects.len());

    // Jira: a ticket per CVE of team A's rule, done once none of its findings is open.
    let site = destinations["team-a-jira"]["site"].as_str().unwrap();
    let issues = LocalAws::shared().jira_issues(site);
    let labels: Vec<&str> = issues
        .iter()
        .map(|i| i["labels"][1].as_str().unwrap())
        .collect();
    let distinct: BTreeSet<&str> = labels.iter().copied().collect();
    assert_eq!(
        distinct.len(),
        labels.len(),
        "{run}: two tickets for one CVE: {issues:#?}"
    );
    let mut expected: BTreeMap<String, bool> = BTreeMap::new();
    for finding in findings.values().filter(|f| team_a_high(f)) {
        *expected.entry(finding.vulnerability_group()).or_default() |=
            finding.status == Status::Active;
    }
    assert_eq!(
        issues.len(),
        expected.len(),
        "{run}: a ticket per CVE: {expected:?} {issues:#?}"
    );
    for (group, open) in &expected {
        let issue = issues
            .iter()
            .find(|i| {
                i["summary"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("] {group}: "))
            })
            .unwrap_or_else(|| panic!("{run}: no ticket for {group}: {issues:#?}"));
        let status = if *open { "To Do" } else { "Done" };
        assert_eq!(
            issue["status"], status,
            "{run}: {group}'s ticket: {issue:#?}"
        );
    }
    counts.insert("team-a-jira".to_owned(), issues.len());
    counts
}

/// The CVE of the terminated web instance comes back on a new instance of team A: its
/// ticket, done since run 2, is reopened; no second ticket.
pub(crate) async fn assert_a_returning_cve_reopens_its_ticket(sandbox: &Sandbox, closed_cve: &str) {
    let ec2 = aws_sdk_ec2::Client::new(
        &LocalAws::shared()
            .sdk_config(&sandbox.members[0], REGIONS[0])
            .await,
    );
    let tags = aws_sdk_ec2::types::TagSpecification::builder()
        .resource_type(aws_sdk_ec2::types::ResourceType::Instance)
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key("team")
                .value("a")
                .build(),
        )
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key("Name")
                .value(format!("{}-web-again", sandbox.prefix))
                .build(),
        )
        .build();
    ec2.run_instances()
        .image_id("ami-1e749f67")
        .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
        .min_count(1)
        .max_count(1)
        .tag_specifications(tags)
        .send()
        .await
        .expect("RunInstances");
    sandbox.py(&["scan"]).expect("sandbox.py scan");
    sandbox
        .py(&["drain", "--timeout", "300"])
        .expect("sandbox.py drain");
    let site = destinations(sandbox)["team-a-jira"]["site"]
        .as_str()
        .unwrap()
        .to_owned();
    let issues = LocalAws::shared().jira_issues(&site);
    let ticket = issues
        .iter()
        .find(|i| {
            i["summary"]
                .as_str()
                .unwrap()
                .contains(&format!("] {closed_cve}: "))
        })
        .unwrap_or_else(|| panic!("no ticket for {closed_cve}: {issues:#?}"));
    assert_eq!(ticket["status"], "To Do", "{ticket:#?}");
    assert_eq!(
        ticket["transitions"],
        json!(["Done", "To Do"]),
        "done when web went, reopened now"
    );
    let labels: BTreeSet<&str> = issues
        .iter()
        .map(|i| i["labels"][1].as_str().unwrap())
        .collect();
    assert_eq!(labels.len(), issues.len(), "a second ticket: {issues:#?}");
}

/// The digest's entry for `cve`: one email, counting its resources and accounts.
pub(crate) fn assert_one_digest_entry_for_a_cve_across_accounts(
    sandbox: &Sandbox,
    cve: &str,
    resources: usize,
    accounts: usize,
) {
    let subjects = digest_subjects(sandbox);
    let entries: Vec<&String> = subjects
        .iter()
        .filter(|s| s.contains(&format!("] {cve}: ")))
        .collect();
    assert_eq!(
        entries.len(),
        1,
        "one digest email for {cve}: {subjects:#?}"
    );
    assert!(
        entries[0].contains(&format!(
            "{cve}: {resources} resources in {accounts} accounts"
        )),
        "{entries:?}"
    );
}
