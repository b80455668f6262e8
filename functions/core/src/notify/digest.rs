//! Digests: a rule with a schedule collects the findings it matches, and on each schedule
//! sends one message per vulnerability (CVE, or the id Inspector gives such as a GHSA or
//! a Windows KB, else the finding's title) with how many resources, accounts and regions
//! it affects, instead of a message per finding.
//!
//! The digest table (partition key `rule`, sort key `entry` = "<group>#<finding id>") keeps
//! each collected finding's newest state (a conditional write on its version, so an older
//! state never replaces it). A state change marks the entry `pending`: a group is in the
//! next digest when one of its entries is. After a group was sent to every destination, its
//! pending entries are settled with a write conditional on the version sent: an ACTIVE one
//! stays (unmarked) for the counts of later digests, a closed or suppressed one is deleted;
//! a state that arrived meanwhile keeps its mark for the next digest. Nothing is lost.
//! Each (group, schedule time, destination) is claimed in the dedupe table before it is
//! sent, so Lambda's retries of a scheduled invocation send nothing twice.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write;
use std::time::Duration;

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_types::error::display::DisplayErrorContext;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tracing::instrument;

use super::chat::ChatMessage;
use super::dedupe::{now, number};
use super::format::{
    console_domain, percent_encode, severity_rank, sns_subject, status_str, Attribute,
    Notification, MESSAGE_BUDGET,
};
use crate::finding::{Finding, Severity, Status};

/// Resources listed in a digest message; the counts cover them all.
pub const LISTED_RESOURCES: usize = 50;

/// The message a digest rule's schedule puts on the notify queue (security-primary):
/// `{"inspectorlink": "digest", "rule": ..., "scheduled_at": <the event's time>}`. The time
/// is the same on every delivery of one schedule, so it names the digest.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DigestRequest {
    pub rule: String,
    pub scheduled_at: String,
}

/// The kind of inspectorlink message a digest request is.
pub const DIGEST_REQUEST: &str = "digest";

impl DigestRequest {
    /// The request `body` carries; None when it is not one. A malformed one is an error.
    pub fn of_body(body: &str) -> Option<Result<DigestRequest, String>> {
        let value: serde_json::Value = serde_json::from_str(body).ok()?;
        if value.get("inspectorlink").and_then(|kind| kind.as_str()) != Some(DIGEST_REQUEST) {
            return None;
        }
        Some(serde_json::from_value(value).map_err(|e| {
            format!("a digest request needs rule and scheduled_at (what security-primary's schedule sends): {e}")
        }))
    }
}

/// A digest's group key of `finding`.
pub fn group_key(finding: &Finding) -> String {
    finding.vulnerability_group()
}

/// One finding in a digest, in its newest state collected.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DigestEntry {
    pub group: String,
    pub finding_id: String,
    pub finding_arn: String,
    pub account_id: String,
    pub region: String,
    pub resource_type: String,
    pub resource_id: String,
    pub status: Status,
    pub severity: Severity,
    pub title: String,
    #[serde(skip)]
    pub version: i64,
    #[serde(skip)]
    pub pending: bool,
}

impl DigestEntry {
    pub fn of(finding: &Finding, version: i64) -> Self {
        DigestEntry {
            group: group_key(finding),
            finding_id: finding.id.clone(),
            finding_arn: finding.finding_arn.clone(),
            account_id: finding.account_id.clone(),
            region: finding.region.clone(),
            resource_type: finding.resource.resource_type.clone(),
            resource_id: finding.resource.id.clone(),
            status: finding.status,
            severity: finding.severity,
            title: finding.title.trim().to_owned(),
            version,
            pending: true,
        }
    }

    fn sort_key(&self) -> String {
        format!("{}#{}", self.group, self.finding_id)
    }
}

/// The entries of one group, for one digest message.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestGroup {
    pub rule: String,
    pub key: String,
    pub entries: Vec<DigestEntry>,
}

/// The groups of `entries` that have something new (a pending entry), by key.
pub fn pending_groups(rule: &str, entries: Vec<DigestEntry>) -> Vec<DigestGroup> {
    let mut by_key: BTreeMap<String, Vec<DigestEntry>> = BTreeMap::new();
    for entry in entries {
        by_key.entry(entry.group.clone()).or_default().push(entry);
    }
    by_key
        .into_iter()
        .filter(|(_, entries)| entries.iter().any(|e| e.pending))
        .map(|(key, entries)| DigestGroup {
            rule: rule.to_owned(),
            key,
            entries,
        })
        .collect()
}

impl DigestGroup {
    fn open(&self) -> Vec<&DigestEntry> {
        self.entries
            .iter()
            .filter(|e| e.status == Status::Active)
            .collect()
    }

    /// Closed or suppressed since the last digest.
    fn resolved(&self) -> Vec<&DigestEntry> {
        self.entries
            .iter()
            .filter(|e| e.pending && e.status != Status::Active)
            .collect()
    }

    pub fn severity(&self) -> Severity {
        self.entries
            .iter()
            .map(|e| e.severity)
            .max()
            .unwrap_or(Severity::Informational)
    }

    fn distinct<'a>(
        entries: &[&'a DigestEntry],
        field: fn(&'a DigestEntry) -> &'a str,
    ) -> Vec<&'a str> {
        entries
            .iter()
            .map(|e| field(e))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    }

    /// "CVE-2024-6119: 6 resources in 3 accounts and 2 regions".
    pub fn headline(&self) -> String {
        let open = self.open();
        let accounts = Self::distinct(&open, |e| &e.account_id).len();
        let regions = Self::distinct(&open, |e| &e.region).len();
        let resolved = self.resolved().len();
        let mut headline = match open.len() {
            0 => format!("{}: no open resources", self.key),
            n => format!(
                "{}: {n} resource{} in {accounts} account{} and {regions} region{}",
                self.key,
                plural(n),
                plural(accounts),
                plural(regions)
            ),
        };
        if resolved > 0 {
            let _ = write!(headline, ", {resolved} resolved");
        }
        headline
    }

    fn title(&self) -> &str {
        self.entries.first().map_or("", |e| e.title.as_str())
    }

    fn facts(&self) -> Vec<(String, String)> {
        let open = self.open();
        let mut by_type: BTreeMap<&str, usize> = BTreeMap::new();
        for entry in &open {
            *by_type.entry(entry.resource_type.as_str()).or_default() += 1;
        }
        let types = by_type
            .iter()
            .map(|(kind, n)| format!("{kind} {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let resolved = self.resolved();
        vec![
            ("Severity".to_owned(), self.severity().as_str().to_owned()),
            (
                "Open".to_owned(),
                if open.is_empty() {
                    "none".to_owned()
                } else {
                    format!("{} ({types})", open.len())
                },
            ),
            (
                "Accounts".to_owned(),
                Self::distinct(&open, |e| &e.account_id).join(", "),
            ),
            (
                "Regions".to_owned(),
                Self::distinct(&open, |e| &e.region).join(", "),
            ),
            (
                "Resolved since the last digest".to_owned(),
                resolved.len().to_string(),
            ),
            ("Finding".to_owned(), self.title().to_owned()),
        ]
    }

    fn listed(&self) -> impl Iterator<Item = &DigestEntry> {
        self.entries.iter().take(LISTED_RESOURCES)
    }

    pub fn email_text(&self) -> String {
        let mut text = String::new();
        let _ = writeln!(text, "{} (digest {})\n", self.headline(), self.rule);
        for (label, value) in self.facts() {
            let _ = writeln!(text, "{:<32}{value}", format!("{label}:"));
        }
        let _ = writeln!(text, "\nResources (newest state):");
        for entry in self.listed() {
            let _ = writeln!(
                text,
                "  {} {} {} {} {}",
                entry.account_id,
                entry.region,
                entry.resource_type,
                entry.resource_id,
                status_str(entry.status)
            );
        }
        if self.entries.len() > LISTED_RESOURCES {
            let _ = writeln!(text, "  and {} more", self.entries.len() - LISTED_RESOURCES);
        }
        text
    }

    pub fn document(&self) -> serde_json::Value {
        let open = self.open();
        json!({
            "kind": "digest",
            "digest": self.rule,
            "group": self.key,
            "severity": self.severity(),
            "open_resources": open.len(),
            "accounts": Self::distinct(&open, |e| &e.account_id),
            "regions": Self::distinct(&open, |e| &e.region),
            "resolved": self.resolved().len(),
            "resources": self.entries,
        })
    }

    /// The SNS notification: readable text for email, the JSON document for the rest.
    pub fn notification(&self) -> Result<Notification, String> {
        let document = self.document().to_string();
        let message = json!({
            "default": document,
            "email": self.email_text(),
            "http": document,
            "https": document,
        })
        .to_string();
        if message.len() > MESSAGE_BUDGET {
            return Err(format!(
                "the digest message of {} is {} bytes; SNS accepts at most 256 KiB",
                self.key,
                message.len()
            ));
        }
        let subject = sns_subject(&format!(
            "[DIGEST {}] {}",
            self.severity().as_str(),
            self.headline()
        ));
        let severity = self.severity();
        Ok(Notification {
            subject,
            message,
            attributes: BTreeMap::from([
                ("kind", Attribute::String("digest".to_owned())),
                ("severity", Attribute::String(severity.as_str().to_owned())),
                ("severity_rank", Attribute::Number(severity_rank(severity))),
            ]),
            raw_omitted: false,
        })
    }

    pub fn chat(&self, report_url: Option<&str>) -> ChatMessage {
        let mut summary = String::from("Resources (newest state):\n");
        for entry in self.listed().take(10) {
            let _ = writeln!(
                summary,
                "{} {} {} {}",
                entry.account_id,
                entry.region,
                entry.resource_id,
                status_str(entry.status)
            );
        }
        if self.entries.len() > 10 {
            let _ = writeln!(summary, "and {} more", self.entries.len() - 10);
        }
        let mut links = Vec::new();
        if let Some(region) = self.entries.first().map(|e| e.region.as_str()) {
            links.push((
                "Open in Amazon Inspector".to_owned(),
                format!(
                    "https://{}/inspector/v2/home?region={region}#/findings/all?search=vulnerabilityId%3D{}",
                    console_domain(region),
                    percent_encode(&self.key)
                ),
            ));
        }
        if let Some(url) = report_url {
            links.push(("Open the report".to_owned(), url.to_owned()));
        }
        ChatMessage {
            title: format!("Digest {}: {}", self.rule, self.headline()),
            summary: summary.trim_end().to_owned(),
            facts: self.facts(),
            links,
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// How long an entry is kept without a change of state: an open finding that long unchanged
/// leaves the counts (resolved entries are deleted once sent, not left to expire).
pub const ENTRY_TTL: Duration = Duration::from_secs(400 * 86_400);

/// The digest table.
pub struct DigestTable {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

impl DigestTable {
    pub fn new(client: aws_sdk_dynamodb::Client, table: String) -> Self {
        DigestTable { client, table }
    }

    /// Keeps `entry` for `rule`'s next digest, unless a newer state of it is kept.
    #[instrument(skip(self, entry), fields(finding_id = %entry.finding_id))]
    pub async fn collect(&self, rule: &str, entry: &DigestEntry) -> Result<(), String> {
        let status = serde_json::to_value(entry.status).expect("a Status serialises");
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("rule", s(rule))
            .item("entry", s(&entry.sort_key()))
            .item("group_key", s(&entry.group))
            .item("finding_id", s(&entry.finding_id))
            .item("finding_arn", s(&entry.finding_arn))
            .item("account_id", s(&entry.account_id))
            .item("region", s(&entry.region))
            .item("resource_type", s(&entry.resource_type))
            .item("resource_id", s(&entry.resource_id))
            .item("status", s(status.as_str().unwrap_or_default()))
            .item("severity", s(entry.severity.as_str()))
            .item("title", s(&entry.title))
            .item("version", AttributeValue::N(entry.version.to_string()))
            .item("pending", AttributeValue::Bool(true))
            .item("expires_at", number(now() + ENTRY_TTL))
            .condition_expression("attribute_not_exists(version) OR version < :version")
            .expression_attribute_values(":version", AttributeValue::N(entry.version.to_string()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // This state or a newer one is kept already: a redelivery, or out of order.
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(err) => Err(self.error("keeping a digest entry in", &err)),
        }
    }

    /// Every entry of `rule`.
    #[instrument(skip(self))]
    pub async fn entries(&self, rule: &str) -> Result<Vec<DigestEntry>, String> {
        let mut entries = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#rule = :rule")
                .expression_attribute_names("#rule", "rule")
                .expression_attribute_values(":rule", s(rule))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|err| self.error("reading the digest entries of", &err))?;
            for item in page.items() {
                entries.push(entry_of(item).map_err(|problem| {
                    format!(
                        "digest table {}: an entry of rule {rule} {problem}",
                        self.table
                    )
                })?);
            }
            match page.last_evaluated_key() {
                Some(key) if !key.is_empty() => start = Some(key.clone()),
                _ => break,
            }
        }
        Ok(entries)
    }

    /// After `entry` was sent: unmarked if still open, deleted if resolved; unless a newer
    /// state arrived meanwhile, which keeps its mark for the next digest.
    #[instrument(skip(self, entry), fields(finding_id = %entry.finding_id))]
    pub async fn settle(&self, rule: &str, entry: &DigestEntry) -> Result<(), String> {
        let version = AttributeValue::N(entry.version.to_string());
        let key = entry.sort_key();
        // A failed condition is a newer state: it keeps its mark.
        let failure = if entry.status == Status::Active {
            unless_newer(
                self.client
                    .update_item()
                    .table_name(&self.table)
                    .key("rule", s(rule))
                    .key("entry", s(&key))
                    .update_expression("REMOVE pending")
                    .condition_expression("version = :version")
                    .expression_attribute_values(":version", version)
                    .send()
                    .await,
            )
        } else {
            unless_newer(
                self.client
                    .delete_item()
                    .table_name(&self.table)
                    .key("rule", s(rule))
                    .key("entry", s(&key))
                    .condition_expression("version = :version")
                    .expression_attribute_values(":version", version)
                    .send()
                    .await,
            )
        };
        match failure {
            None => Ok(()),
            Some(cause) => Err(format!(
                "settling the digest entry {key} of rule {rule} in DynamoDB table {}: {cause}; the function's role needs dynamodb:UpdateItem and DeleteItem on it",
                self.table
            )),
        }
    }

    fn error(&self, doing: &str, err: &dyn std::error::Error) -> String {
        format!(
            "{doing} DynamoDB table {}: {}; the function's role needs dynamodb:PutItem, Query, UpdateItem and DeleteItem on it",
            self.table,
            DisplayErrorContext(err)
        )
    }
}

/// The cause of a failed settling write; None when it succeeded, or when its condition
/// failed because a newer state arrived.
fn unless_newer<O, E>(result: Result<O, SdkError<E, HttpResponse>>) -> Option<String>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match result {
        Ok(_) => None,
        Err(err) if err.code() == Some("ConditionalCheckFailedException") => None,
        Err(err) => Some(DisplayErrorContext(&err).to_string()),
    }
}

fn entry_of(item: &HashMap<String, AttributeValue>) -> Result<DigestEntry, String> {
    let text = |name: &str| -> Result<String, String> {
        item.get(name)
            .and_then(|v| v.as_s().ok())
            .cloned()
            .ok_or_else(|| format!("has no {name}"))
    };
    let parse = |name: &str| -> Result<serde_json::Value, String> { Ok(json!(text(name)?)) };
    Ok(DigestEntry {
        group: text("group_key")?,
        finding_id: text("finding_id")?,
        finding_arn: text("finding_arn")?,
        account_id: text("account_id")?,
        region: text("region")?,
        resource_type: text("resource_type")?,
        resource_id: text("resource_id")?,
        status: serde_json::from_value(parse("status")?).map_err(|e| format!("status: {e}"))?,
        severity: serde_json::from_value(parse("severity")?)
            .map_err(|e| format!("severity: {e}"))?,
        title: text("title")?,
        version: item
            .get("version")
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
            .ok_or("has no version")?,
        pending: item
            .get("pending")
            .and_then(|v| v.as_bool().ok())
            .copied()
            .unwrap_or(false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::format::tests::finding;

    fn entry(
        account: &str,
        region: &str,
        resource: &str,
        status: Status,
        pending: bool,
    ) -> DigestEntry {
        let mut finding = finding(Severity::High, status);
        finding.account_id = account.into();
        finding.region = region.into();
        finding.resource.id = resource.into();
        finding.id = format!("{account}-{region}-{resource}");
        let mut entry = DigestEntry::of(&finding, 1);
        entry.pending = pending;
        entry
    }

    #[test]
    fn a_cve_on_six_resources_in_three_accounts_is_one_entry_with_the_counts() {
        let mut entries = Vec::new();
        for account in ["111111111111", "222222222222", "333333333333"] {
            for region in ["us-east-1", "us-west-2"] {
                entries.push(entry(
                    account,
                    region,
                    &format!("i-{account}"),
                    Status::Active,
                    account == "333333333333",
                ));
            }
        }
        entries.push(entry(
            "222222222222",
            "us-east-1",
            "i-gone",
            Status::Closed,
            true,
        ));
        let groups = pending_groups("daily", entries);
        assert_eq!(groups.len(), 1);
        let group = &groups[0];
        assert_eq!(group.key, "CVE-2016-5195");
        assert_eq!(
            group.headline(),
            "CVE-2016-5195: 6 resources in 3 accounts and 2 regions, 1 resolved"
        );
        let document = group.document();
        assert_eq!(document["open_resources"], 6);
        assert_eq!(document["accounts"].as_array().unwrap().len(), 3);
        assert_eq!(document["resources"].as_array().unwrap().len(), 7);
        let notification = group.notification().unwrap();
        assert_eq!(
            notification.subject,
            "[DIGEST HIGH] CVE-2016-5195: 6 resources in 3 accounts and 2 regions, 1 resolved"
        );
        let email = group.email_text();
        assert!(
            email.contains("  222222222222 us-east-1 AWS_EC2_INSTANCE i-gone CLOSED"),
            "{email}"
        );
        let slack = group.chat(None).slack();
        assert!(slack["text"]
            .as_str()
            .unwrap()
            .starts_with("Digest daily: CVE-2016-5195"));
    }

    #[test]
    fn digest_requests_are_told_from_findings_by_their_kind() {
        let request = DigestRequest::of_body(
            r#"{"inspectorlink": "digest", "rule": "daily", "scheduled_at": "2026-12-04T08:00:00Z"}"#,
        );
        assert_eq!(
            request,
            Some(Ok(DigestRequest {
                rule: "daily".into(),
                scheduled_at: "2026-12-04T08:00:00Z".into()
            }))
        );
        assert_eq!(
            DigestRequest::of_body(r#"{"inspectorlink": "coverage-sweep"}"#),
            None
        );
        assert_eq!(
            DigestRequest::of_body("{\"detail-type\": \"Inspector2 Finding\"}"),
            None
        );
        let malformed = DigestRequest::of_body(r#"{"inspectorlink": "digest", "rule": "daily"}"#)
            .unwrap()
            .unwrap_err();
        assert!(
            malformed.contains("missing field `scheduled_at`"),
            "{malformed}"
        );
    }

    #[test]
    fn groups_without_news_are_left_out_and_findings_without_a_cve_group_by_title() {
        let quiet = entry("111111111111", "us-east-1", "i-1", Status::Active, false);
        assert!(pending_groups("daily", vec![quiet]).is_empty());
        let mut finding = finding(Severity::Low, Status::Active);
        finding.cve_ids.clear();
        finding.title = " Port 22 is reachable from an Internet Gateway ".into();
        assert_eq!(
            group_key(&finding),
            "Port 22 is reachable from an Internet Gateway"
        );
        finding.vulnerability_id = Some("GHSA-xxxx".into());
        assert_eq!(group_key(&finding), "GHSA-xxxx");
    }
}
