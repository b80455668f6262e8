//! Jira Cloud tickets that open and close with the finding (REST API v3: create issue,
//! enhanced JQL search, get issue, transitions, comments; Basic auth with the account's
//! email and an API token kept in Secrets Manager).
//!
//! One ticket per key, whatever the retries: the key (a finding, or a vulnerability when
//! the rule says `jira_ticket_per = "vulnerability"`) is claimed in the dedupe table before
//! a ticket is created, and the ticket's issue key is recorded there. The ticket carries a
//! label derived from the key, and a search by that label comes before every create: a
//! ticket created by an invocation that died before recording it, or whose answer was lost
//! (a 5xx after Jira wrote it), is found instead of created again.
//!
//! Lifecycle: ACTIVE creates the ticket, or comments on it, reopening it (the configured
//! transition) when it is done; CLOSED and SUPPRESSED comment and, once no finding of the
//! ticket is open, move it with the done transition. A finding never ticketed closes
//! nothing.

use std::time::Duration;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use aws_smithy_types::error::display::DisplayErrorContext;
use backon::BackoffBuilder;
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tracing::{info, instrument};

use super::chat::clip;
use super::dedupe::{lease_until, now, number};
use super::deliver::{CallError, Http};
use super::digest::group_key;
use super::format::{console_link, facts, headline, status_str};
use crate::deadline::Deadline;
use crate::finding::{Finding, Status};

const SUMMARY_MAX: usize = 255;
/// How long a ticket's record is kept after its last change.
const TICKET_TTL: Duration = Duration::from_secs(400 * 86_400);

/// A Jira destination, as NOTIFY_RULES gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JiraDestination {
    /// The site, e.g. https://acme.atlassian.net.
    pub url: String,
    /// The account the API token belongs to.
    pub email: String,
    pub project_key: String,
    pub issue_type: String,
    /// The transition (or target status) that closes a ticket, e.g. "Done".
    pub done_transition: String,
    /// The transition (or target status) that reopens one, e.g. "To Do".
    pub reopen_transition: String,
    /// The secret holding the API token.
    pub secret_arn: String,
}

/// What one ticket stands for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TicketPer {
    #[default]
    Finding,
    /// One ticket per CVE (or the id Inspector gives, else the title), across resources.
    Vulnerability,
}

/// The ticket key of `finding` for a destination.
pub fn ticket_key(finding: &Finding, per: TicketPer) -> String {
    match per {
        TicketPer::Finding => finding.id.clone(),
        TicketPer::Vulnerability => group_key(finding),
    }
}

/// The label a ticket carries, from its destination and key: no spaces, as Jira requires.
pub fn ticket_label(destination: &str, key: &str) -> String {
    let digest = Sha256::digest(format!("{destination}#{key}").as_bytes());
    format!("inspectorlink-{}", &hex::encode(digest)[..16])
}

/// What a ticket claim found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketClaim {
    /// Ours to create (after a search by label).
    Won,
    Existing(String),
    /// Another invocation is creating it right now.
    InFlight,
}

/// The tickets' records, in the dedupe table: `jira#<destination>#<key>` → issue key and,
/// for a ticket per vulnerability, the set of its open findings.
pub struct Tickets {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl Tickets {
    pub fn new(client: aws_sdk_dynamodb::Client, table: String) -> Self {
        Tickets { client, table }
    }

    fn error(&self, doing: &str, pk: &str, err: &dyn std::error::Error) -> String {
        format!(
            "{doing} the Jira ticket record {pk} in DynamoDB table {}: {}; the function's role needs dynamodb:PutItem, UpdateItem and DeleteItem on it",
            self.table,
            DisplayErrorContext(err)
        )
    }

    #[instrument(skip(self))]
    pub async fn claim(&self, pk: &str, deadline: Deadline) -> Result<TicketClaim, String> {
        let now = now();
        let lease_until = lease_until(deadline);
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", AttributeValue::S(pk.to_owned()))
            .item("state", AttributeValue::S("pending".to_owned()))
            .item("lease_until", number(lease_until))
            .item("expires_at", number(now + TICKET_TTL))
            .condition_expression(
                "attribute_not_exists(pk) OR (attribute_not_exists(issue_key) AND lease_until < :now)",
            )
            .expression_attribute_values(":now", number(now))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(TicketClaim::Won),
            Err(err) => match err.as_service_error() {
                Some(e) if e.is_conditional_check_failed_exception() => {
                    let key = match err.into_service_error() {
                        aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(failed) => failed
                            .item()
                            .and_then(|item| item.get("issue_key"))
                            .and_then(|key| key.as_s().ok())
                            .cloned(),
                        _ => None,
                    };
                    Ok(key.map_or(TicketClaim::InFlight, TicketClaim::Existing))
                }
                _ => Err(self.error("claiming", pk, &err)),
            },
        }
    }

    #[instrument(skip(self))]
    pub async fn record(&self, pk: &str, issue_key: &str) -> Result<(), String> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(pk.to_owned()))
            .update_expression("SET issue_key = :key, #state = :sent, expires_at = :expires")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":key", AttributeValue::S(issue_key.to_owned()))
            .expression_attribute_values(":sent", AttributeValue::S("sent".to_owned()))
            .expression_attribute_values(":expires", number(now() + TICKET_TTL))
            .send()
            .await
            .map(|_| ())
            .map_err(|err| self.error("recording", pk, &err))
    }

    #[instrument(skip(self))]
    pub async fn release(&self, pk: &str) -> Result<(), String> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(pk.to_owned()))
            .condition_expression("attribute_not_exists(issue_key)")
            .send()
            .await
            .map(|_| ())
            .map_err(|err| self.error("releasing", pk, &err))
    }

    /// Marks `finding_id` open or not in the ticket's record, if the ticket exists: its
    /// issue key and how many of its findings are open then. None: no ticket.
    #[instrument(skip(self))]
    pub async fn track(
        &self,
        pk: &str,
        finding_id: &str,
        open: bool,
    ) -> Result<Option<(String, usize)>, String> {
        let expression = if open {
            "ADD open_findings :id SET expires_at = :expires"
        } else {
            "DELETE open_findings :id SET expires_at = :expires"
        };
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(pk.to_owned()))
            .update_expression(expression)
            .condition_expression("attribute_exists(issue_key)")
            .expression_attribute_values(":id", AttributeValue::Ss(vec![finding_id.to_owned()]))
            .expression_attribute_values(":expires", number(now() + TICKET_TTL))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(output) => {
                let item = output.attributes();
                let key = item
                    .and_then(|item| item.get("issue_key"))
                    .and_then(|key| key.as_s().ok())
                    .cloned()
                    .ok_or_else(|| format!("the Jira ticket record {pk} has no issue key"))?;
                let open = item
                    .and_then(|item| item.get("open_findings"))
                    .and_then(|set| set.as_ss().ok())
                    .map_or(0, Vec::len);
                Ok(Some((key, open)))
            }
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(None)
            }
            Err(err) => Err(self.error("updating", pk, &err)),
        }
    }
}

/// A Jira site, as one destination's account.
pub struct JiraSite<'a> {
    pub name: &'a str,
    pub destination: &'a JiraDestination,
    pub token: String,
    pub http: &'a Http,
}

/// Jira's error body: {"errorMessages": [...], "errors": {field: message}}.
fn jira_error(err: &CallError) -> String {
    let parsed: Option<Value> = serde_json::from_str(&err.body).ok();
    let mut parts: Vec<String> = Vec::new();
    if let Some(body) = &parsed {
        for message in body["errorMessages"].as_array().into_iter().flatten() {
            parts.extend(message.as_str().map(str::to_owned));
        }
        for (field, message) in body["errors"].as_object().into_iter().flatten() {
            parts.push(format!("{field}: {}", message.as_str().unwrap_or_default()));
        }
    }
    match (err.status, parts.is_empty()) {
        (Some(401), _) => "HTTP 401: the email and API token were refused; put a valid API token of the destination's email into its secret".to_owned(),
        (Some(status), false) => format!("HTTP {status}: {}", parts.join("; ")),
        _ => err.message.clone(),
    }
}

/// An Atlassian Document of paragraphs; a (text, url) paragraph becomes a link.
fn document(paragraphs: &[String], link: Option<(&str, &str)>) -> Value {
    let mut content: Vec<Value> = paragraphs
        .iter()
        .filter(|text| !text.is_empty())
        .map(|text| json!({"type": "paragraph", "content": [{"type": "text", "text": text}]}))
        .collect();
    if let Some((text, url)) = link {
        content.push(json!({"type": "paragraph", "content": [{"type": "text", "text": text, "marks": [{"type": "link", "attrs": {"href": url}}]}]}));
    }
    json!({"type": "doc", "version": 1, "content": content})
}

fn summary(finding: &Finding, per: TicketPer) -> String {
    let text = match per {
        TicketPer::Finding => format!("[{}] {}", finding.severity.as_str(), finding.title.trim()),
        TicketPer::Vulnerability => format!(
            "[{}] {}: {}",
            finding.severity.as_str(),
            group_key(finding),
            finding.title.trim()
        ),
    };
    clip(&text.replace(['\n', '\r'], " "), SUMMARY_MAX)
}

/// "CLOSED: i-0abc in 222222222222 us-east-1 (HIGH finding: title)".
fn change_text(finding: &Finding) -> String {
    format!(
        "{}: {} {} in {} {} ({})",
        status_str(finding.status),
        finding.resource.resource_type,
        finding.resource.id,
        finding.account_id,
        finding.region,
        headline(finding)
    )
}

impl JiraSite<'_> {
    fn api(&self, path: &str) -> String {
        format!(
            "{}/rest/api/3{path}",
            self.destination.url.trim_end_matches('/')
        )
    }

    fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> reqwest::RequestBuilder {
        let request = self
            .http
            .client()
            .request(method, self.api(path))
            .basic_auth(&self.destination.email, Some(&self.token))
            .header(reqwest::header::ACCEPT, "application/json");
        match body {
            Some(body) => request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_string()),
            None => request,
        }
    }

    async fn call(
        &self,
        doing: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        deadline: Deadline,
    ) -> Result<Value, String> {
        let (_, text) = self
            .http
            .call(
                self.name,
                || self.request(method.clone(), path, body.as_ref()),
                deadline,
            )
            .await
            .map_err(|err| {
                format!(
                    "Jira destination {}: {doing}: {}",
                    self.name,
                    jira_error(&err)
                )
            })?;
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// The ticket that carries `label`, if any.
    pub async fn find(&self, label: &str, deadline: Deadline) -> Result<Option<String>, String> {
        let jql = format!(
            "project = \"{}\" AND labels = \"{label}\"",
            self.destination.project_key
        );
        let found = self
            .call(
                "searching by label",
                reqwest::Method::POST,
                "/search/jql",
                Some(json!({"jql": jql, "fields": ["status"], "maxResults": 1})),
                deadline,
            )
            .await?;
        Ok(found["issues"][0]["key"].as_str().map(str::to_owned))
    }

    /// Creates the ticket, searching by `label` before every retry: a create whose answer
    /// was lost may have created it.
    pub async fn create(
        &self,
        fields: Value,
        label: &str,
        deadline: Deadline,
    ) -> Result<String, String> {
        let mut delays = self.http.backoff().build();
        loop {
            let attempt = self
                .http
                .once(self.request(
                    reqwest::Method::POST,
                    "/issue",
                    Some(&json!({"fields": fields})),
                ))
                .await;
            let err = match attempt {
                Ok((_, text)) => {
                    let created: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                    return created["key"].as_str().map(str::to_owned).ok_or_else(|| {
                        format!("Jira destination {}: creating a ticket: the answer names no key: {text}", self.name)
                    });
                }
                Err(err) => err,
            };
            let failed = || {
                format!(
                    "Jira destination {}: creating a ticket: {}",
                    self.name,
                    jira_error(&err)
                )
            };
            if !err.retryable {
                return Err(failed());
            }
            let Some(wait) = Http::wait(&err, delays.next(), deadline) else {
                return Err(failed());
            };
            tokio::time::sleep(wait).await;
            if let Some(key) = self.find(label, deadline).await? {
                info!(destination = self.name, %key, "the create's answer was lost; found the ticket by its label");
                return Ok(key);
            }
        }
    }

    /// The status category of `key`: new, indeterminate or done.
    pub async fn status_category(&self, key: &str, deadline: Deadline) -> Result<String, String> {
        let issue = self
            .call(
                &format!("reading {key}"),
                reqwest::Method::GET,
                &format!("/issue/{key}?fields=status"),
                None,
                deadline,
            )
            .await?;
        Ok(issue["fields"]["status"]["statusCategory"]["key"]
            .as_str()
            .unwrap_or_default()
            .to_owned())
    }

    /// Moves `key` with the transition named `name` (or leading to the status named so).
    pub async fn transition(
        &self,
        key: &str,
        name: &str,
        deadline: Deadline,
    ) -> Result<(), String> {
        let offered = self
            .call(
                &format!("listing the transitions of {key}"),
                reqwest::Method::GET,
                &format!("/issue/{key}/transitions"),
                None,
                deadline,
            )
            .await?;
        let transitions = offered["transitions"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let chosen = transitions.iter().find(|t| {
            t["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
                || t["to"]["name"]
                    .as_str()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
        });
        let Some(id) = chosen.and_then(|t| t["id"].as_str()) else {
            let names: Vec<&str> = transitions
                .iter()
                .filter_map(|t| t["name"].as_str())
                .collect();
            return Err(format!(
                "Jira destination {}: {key} offers no transition {name:?} (it offers: {}); set done_transition and reopen_transition to transitions of the project's workflow",
                self.name,
                names.join(", ")
            ));
        };
        self.call(
            &format!("moving {key} with {name:?}"),
            reqwest::Method::POST,
            &format!("/issue/{key}/transitions"),
            Some(json!({"transition": {"id": id}})),
            deadline,
        )
        .await
        .map(|_| ())
    }

    pub async fn comment(&self, key: &str, body: Value, deadline: Deadline) -> Result<(), String> {
        self.call(
            &format!("commenting on {key}"),
            reqwest::Method::POST,
            &format!("/issue/{key}/comment"),
            Some(json!({"body": body})),
            deadline,
        )
        .await
        .map(|_| ())
    }
}

/// Follows `finding`'s new state in destination `name`'s ticket.
pub async fn follow(
    site: &JiraSite<'_>,
    tickets: &Tickets,
    finding: &Finding,
    per: TicketPer,
    alias: Option<&str>,
    deadline: Deadline,
) -> Result<(), String> {
    let key = ticket_key(finding, per);
    let pk = format!("jira#{}#{key}", site.name);
    let link = console_link(finding);
    let change = document(
        &[change_text(finding)],
        Some(("Open in Amazon Inspector", &link)),
    );
    if finding.status != Status::Active {
        // A closure of a finding never ticketed closes nothing.
        let Some((issue, open)) = tickets.track(&pk, &finding.id, false).await? else {
            info!(finding_id = %finding.id, destination = site.name, "no ticket to close");
            return Ok(());
        };
        site.comment(&issue, change, deadline).await?;
        if open == 0 && site.status_category(&issue, deadline).await? != "done" {
            site.transition(&issue, &site.destination.done_transition, deadline)
                .await?;
        }
        info!(finding_id = %finding.id, %issue, open, "ticket followed the closure");
        return Ok(());
    }
    let issue = match tickets.claim(&pk, deadline).await? {
        TicketClaim::Existing(issue) => issue,
        TicketClaim::InFlight => {
            return Err(format!(
                "another invocation is creating the Jira ticket of {key} right now; retrying later"
            ))
        }
        TicketClaim::Won => {
            let label = ticket_label(site.name, &key);
            let created = match site.find(&label, deadline).await {
                Ok(Some(issue)) => Ok(issue),
                Ok(None) => {
                    let mut paragraphs =
                        vec![format!("{}: {}", headline(finding), finding.title.trim())];
                    paragraphs.extend(
                        facts(finding, alias)
                            .into_iter()
                            .map(|(label, value)| format!("{label}: {value}")),
                    );
                    paragraphs.push(finding.description.trim().to_owned());
                    paragraphs.push(format!("What to do: {}", finding.recommendation.trim()));
                    let fields = json!({
                        "project": {"key": site.destination.project_key},
                        "issuetype": {"name": site.destination.issue_type},
                        "summary": summary(finding, per),
                        "description": document(&paragraphs, Some(("Open in Amazon Inspector", &link))),
                        "labels": ["inspectorlink", label],
                    });
                    site.create(fields, &label, deadline).await
                }
                Err(reason) => Err(reason),
            };
            let issue = match created {
                Ok(issue) => issue,
                Err(reason) => {
                    if let Err(release) = tickets.release(&pk).await {
                        tracing::warn!(%pk, %release, "the ticket claim stays until its lease expires");
                    }
                    return Err(reason);
                }
            };
            tickets.record(&pk, &issue).await?;
            tickets.track(&pk, &finding.id, true).await?;
            info!(finding_id = %finding.id, %issue, "ticket created");
            return Ok(());
        }
    };
    tickets.track(&pk, &finding.id, true).await?;
    if site.status_category(&issue, deadline).await? == "done" {
        site.transition(&issue, &site.destination.reopen_transition, deadline)
            .await?;
        info!(finding_id = %finding.id, %issue, "ticket reopened");
    }
    site.comment(&issue, change, deadline).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Severity;
    use crate::notify::format::tests::finding;

    #[test]
    fn labels_have_no_spaces_and_keys_follow_the_rule() {
        let finding = finding(Severity::High, Status::Active);
        assert_eq!(ticket_key(&finding, TicketPer::Finding), finding.id);
        assert_eq!(
            ticket_key(&finding, TicketPer::Vulnerability),
            "CVE-2016-5195"
        );
        let label = ticket_label("jira", "CVE-2016-5195");
        assert!(label.starts_with("inspectorlink-") && label.len() == 30 && !label.contains(' '));
        assert_ne!(label, ticket_label("jira-2", "CVE-2016-5195"));
    }

    #[test]
    fn summaries_are_one_line_within_jiras_limit() {
        let mut finding = finding(Severity::Critical, Status::Active);
        finding.title = format!("{}\nsecond line", "x".repeat(300));
        let summary = summary(&finding, TicketPer::Vulnerability);
        assert!(summary.starts_with("[CRITICAL] CVE-2016-5195: xxx"));
        assert_eq!(summary.chars().count(), SUMMARY_MAX);
        assert!(!summary.contains('\n'));
    }

    #[test]
    fn jira_errors_read_as_jira_wrote_them() {
        let err = |status: u16, body: &str| CallError {
            message: format!("HTTP {status}"),
            retryable: false,
            retry_after: None,
            status: Some(status),
            body: body.to_owned(),
        };
        assert_eq!(
            jira_error(&err(
                400,
                r#"{"errorMessages": [], "errors": {"issuetype": "Specify a valid issue type"}}"#
            )),
            "HTTP 400: issuetype: Specify a valid issue type"
        );
        assert!(jira_error(&err(401, "")).contains("put a valid API token"));
    }
}
