//! notify-findings' work: resolve the records into findings (as send-findings does), route
//! each by the rules (rules.rs) and send one notification per finding, state change and
//! destination (a reopened finding is a change), silently skipping what was already sent
//! and states older than the newest seen. A destination that fails fails the record; the
//! destinations that succeeded stay silent when SQS delivers it again.

pub mod chat;
pub mod dedupe;
pub mod deliver;
pub mod digest;
pub mod format;
pub mod jira;
pub mod rules;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_config::SdkConfig;
use aws_lambda_events::event::sns::SnsEvent;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use aws_sdk_sns::types::MessageAttributeValue;
use aws_smithy_types::error::display::DisplayErrorContext;
use futures::future::join_all;
use tracing::{info, warn};

use crate::accounts::MemberAccounts;
use crate::config::NotifyConfig;
use crate::dead_letter::DeadLetters;
use crate::deadline::{Deadline, DEADLINE_REACHED};
use crate::details::DetailsSource;
use crate::finding::Finding;
use crate::metrics;
use crate::resolve::{batch_response, FindingResolver, Record};
use chat::ChatMessage;
use dedupe::{announcement_key, Claim, DedupeTable};
use deliver::{Http, Secrets};
use digest::{pending_groups, DigestEntry, DigestRequest, DigestTable};
use format::Attribute;
use jira::{JiraSite, Tickets};
use rules::{Destination, Route, RoutingRules, NOTIFICATIONS};

/// How many findings are announced at once.
const PUBLISH_CONCURRENCY: usize = 8;

pub struct NotifyFindings {
    pub resolver: FindingResolver,
    pub sns: aws_sdk_sns::Client,
    pub rules: RoutingRules,
    pub secrets: Secrets,
    pub http: Http,
    pub report_url: Option<String>,
    pub dedupe: DedupeTable,
    /// Where digest rules collect findings; None when no rule has a digest.
    pub digests: Option<DigestTable>,
    /// Jira tickets' records (in the dedupe table).
    pub tickets: Tickets,
    /// Where a record failing its last receive goes, with the reason; None: SQS's redrive.
    pub dead_letters: Option<DeadLetters>,
}

/// What happened to the records of one invocation.
#[derive(Debug, Default)]
pub struct NotifyOutcome {
    /// message id → why it failed (SQS redelivers it; after maxReceiveCount it is in the DLQ).
    pub failed: BTreeMap<String, String>,
    /// The findings announced, in the state announced.
    pub published: Vec<Finding>,
    /// Findings already announced in this state: acknowledged silently.
    pub duplicates: usize,
    /// Findings kept for a digest and sent nowhere now.
    pub collected: usize,
    /// Digest messages sent (one per group and destination) for the digest requests.
    pub digests_sent: usize,
    /// Findings that match no routing rule (below the minimum severity or priority without
    /// rules): acknowledged silently.
    pub below_threshold: usize,
    pub ignored: usize,
    pub gone: usize,
    /// Findings judged without Inspector v2 details because BatchGetFindingDetails failed.
    pub details_unavailable: usize,
    /// Calls to AWS made for the invocation (Inspector, Inspector v2, EC2, DynamoDB, SNS).
    pub api_calls: u64,
}

/// The two ways the function is invoked: by the notify queue (findings, and the digest
/// rules' schedules) or by the topic itself.
#[derive(Debug)]
pub enum Trigger {
    Sqs(SqsEvent),
    Sns(SnsEvent),
}

impl Trigger {
    /// Tells an SQS batch from an SNS invocation by the records' event source.
    pub fn from_payload(payload: serde_json::Value) -> Result<Trigger, String> {
        let first = payload["Records"].get(0);
        let source = first
            .and_then(|r| r.get("eventSource").or_else(|| r.get("EventSource")))
            .and_then(|s| s.as_str())
            .map(str::to_owned);
        let parsed = match source.as_deref() {
            Some("aws:sqs") => serde_json::from_value(payload).map(Trigger::Sqs),
            Some("aws:sns") => serde_json::from_value(payload).map(Trigger::Sns),
            _ => {
                return Err(format!(
                    "expected an SQS batch or an SNS notification (Records[0].eventSource aws:sqs or aws:sns), got {}",
                    truncate(&payload.to_string(), 200)
                ))
            }
        };
        parsed.map_err(|e| format!("malformed {} event: {e}", source.unwrap_or_default()))
    }
}

fn truncate(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// One finding's state to announce, and the records that carried it.
type Announcement = (Finding, Route, Vec<String>);

enum Announced {
    Published,
    /// Kept for a digest only: nothing sent now.
    Collected,
    Duplicate,
}

impl NotifyFindings {
    pub fn new(config: NotifyConfig, aws: &SdkConfig) -> Self {
        NotifyFindings {
            resolver: FindingResolver::new(
                config.member_role_name.map(|role| {
                    MemberAccounts::new(
                        aws.clone(),
                        role,
                        config.member_role_external_id,
                        "inspectorlink-notify-findings",
                    )
                }),
                DetailsSource::new(aws.clone()),
            ),
            sns: aws_sdk_sns::Client::new(aws),
            rules: config.rules,
            secrets: Secrets::new(aws_sdk_secretsmanager::Client::new(aws)),
            http: Http::new(config.allow_plain_http_webhooks),
            report_url: config.report_url,
            dead_letters: DeadLetters::configured(aws, config.dead_letter_queue, "notify-findings"),
            tickets: Tickets::new(
                aws_sdk_dynamodb::Client::new(aws),
                config.dedupe_table.clone(),
            ),
            dedupe: DedupeTable::new(
                aws_sdk_dynamodb::Client::new(aws),
                config.dedupe_table,
                config.dedupe_ttl_days,
            ),
            digests: config
                .digest_table
                .map(|table| DigestTable::new(aws_sdk_dynamodb::Client::new(aws), table)),
        }
    }

    /// An SQS batch: the records that failed go back to the queue. `deadline` is the
    /// Lambda context's.
    pub async fn handle_sqs(&self, event: SqsEvent, deadline: Deadline) -> SqsBatchResponse {
        let last = self
            .dead_letters
            .as_ref()
            .map(|dead| dead.last_receives(&event))
            .unwrap_or_default();
        let mut outcome = self.process(Record::from_sqs(event), deadline).await;
        emit(&outcome);
        if let Some(dead) = &self.dead_letters {
            dead.bury(&last, &mut outcome.failed).await;
        }
        batch_response(&outcome.failed)
    }

    /// An SNS invocation: a failure is an error, so Lambda retries the event and then hands
    /// it to the function's on-failure destination.
    pub async fn handle_sns(&self, event: SnsEvent, deadline: Deadline) -> Result<(), String> {
        let outcome = self.process(Record::from_sns(event), deadline).await;
        emit(&outcome);
        if outcome.failed.is_empty() {
            Ok(())
        } else {
            let reasons: Vec<String> = outcome
                .failed
                .iter()
                .map(|(id, reason)| format!("{id}: {reason}"))
                .collect();
            Err(reasons.join("; "))
        }
    }

    /// Announces the records' findings; what `deadline` leaves no time for is failed, for
    /// SQS to deliver again. A claim on a notification lasts until `deadline`, so a
    /// redelivery after a crash can announce it at once.
    pub async fn process(&self, records: Vec<Record>, deadline: Deadline) -> NotifyOutcome {
        let api_calls = AtomicU64::new(0);
        let mut digests_failed = BTreeMap::new();
        let mut digests_sent = 0;
        let mut findings = Vec::with_capacity(records.len());
        for record in records {
            match DigestRequest::of_body(&record.body) {
                None => findings.push(record),
                Some(request) => {
                    let sent = match request {
                        Ok(request) => self.send_digest(&request, deadline).await,
                        Err(reason) => Err(reason),
                    };
                    match sent {
                        Ok(count) => digests_sent += count,
                        Err(reason) => {
                            warn!(message_id = %record.message_id, %reason, "digest not sent");
                            digests_failed.insert(record.message_id, reason);
                        }
                    }
                }
            }
        }
        let mut resolved = self.resolver.resolve(findings, &api_calls).await;
        resolved.failed.extend(digests_failed);
        // Coverage is send-findings' (its queue alone gets it): nothing to announce.
        let coverage_records: std::collections::BTreeSet<&String> =
            resolved.coverage.iter().map(|(_, id)| id).collect();
        let mut outcome = NotifyOutcome {
            ignored: resolved.ignored + coverage_records.len() + resolved.sweeps.len(),
            failed: resolved.failed,
            gone: resolved.gone,
            details_unavailable: resolved.details_unavailable,
            digests_sent,
            ..NotifyOutcome::default()
        };
        // One announcement per finding and state, however many records carried it.
        let mut by_key: BTreeMap<String, Announcement> = BTreeMap::new();
        for (finding, message_ids) in resolved.documents {
            let route = self.rules.route(&finding);
            if route.is_empty() {
                let priority = finding.current_priority();
                info!(finding_id = %finding.id, severity = finding.severity.as_str(), priority = priority.label.as_str(), "matches no routing rule; not announced");
                outcome.below_threshold += 1;
                continue;
            }
            let key = announcement_key(&finding);
            by_key
                .entry(key)
                .or_insert_with(|| (finding, route, Vec::new()))
                .2
                .extend(message_ids);
        }
        let announcements: Vec<(String, Announcement)> = by_key.into_iter().collect();
        for chunk in announcements.chunks(PUBLISH_CONCURRENCY) {
            if !deadline.allows(Duration::ZERO) {
                for (_, (_, _, message_ids)) in chunk {
                    for id in message_ids {
                        outcome
                            .failed
                            .insert(id.clone(), DEADLINE_REACHED.to_owned());
                    }
                }
                continue;
            }
            let results = join_all(chunk.iter().map(|(key, (finding, route, _))| {
                self.announce(key, finding, route, deadline, &api_calls)
            }))
            .await;
            for ((_, (finding, _, message_ids)), result) in chunk.iter().zip(results) {
                match result {
                    Ok(Announced::Published) => outcome.published.push(finding.clone()),
                    Ok(Announced::Duplicate) => outcome.duplicates += 1,
                    Ok(Announced::Collected) => outcome.collected += 1,
                    Err(reason) => {
                        warn!(finding_id = %finding.id, %reason, "notification not sent");
                        for id in message_ids {
                            outcome.failed.insert(id.clone(), reason.clone());
                        }
                    }
                }
            }
        }
        outcome.api_calls = api_calls.into_inner();
        outcome
    }

    async fn announce(
        &self,
        key: &str,
        finding: &Finding,
        route: &Route,
        deadline: Deadline,
        api_calls: &AtomicU64,
    ) -> Result<Announced, String> {
        if let Some(version) = finding.version() {
            api_calls.fetch_add(1, Ordering::Relaxed);
            let seen = self.dedupe.advance(finding, version).await?;
            if !seen.is_news() {
                info!(finding_id = %finding.id, %key, ?seen, "an older state, or the status the state before it had; silent");
                return Ok(Announced::Duplicate);
            }
        }
        if !route.digests.is_empty() {
            let Some(version) = finding.version() else {
                return Err(format!(
                    "finding {} has no readable updated_at or last_observed_at: a digest cannot tell its states apart",
                    finding.id
                ));
            };
            let digests = self.digests.as_ref().ok_or_else(|| {
                "a digest rule matched but DIGEST_TABLE is not set: deploy notify-findings with security-primary".to_owned()
            })?;
            let entry = DigestEntry::of(finding, version);
            for rule in &route.digests {
                api_calls.fetch_add(1, Ordering::Relaxed);
                digests.collect(rule, &entry).await?;
            }
            if route.now.is_empty() {
                info!(finding_id = %finding.id, digests = ?route.digests, "kept for the digest");
                return Ok(Announced::Collected);
            }
        }
        // Without member roles, notifications name the account by its id.
        let alias = match &self.resolver.members {
            Some(members) => members.alias(&finding.account_id, &finding.region).await,
            None => None,
        };
        let sent = join_all(route.now.iter().map(|destination| {
            self.send_once(
                key,
                destination,
                route,
                finding,
                alias.as_deref(),
                deadline,
                api_calls,
            )
        }))
        .await;
        let mut reasons = Vec::new();
        let mut published = false;
        for result in sent {
            match result {
                Ok(now) => published |= now,
                Err(reason) => reasons.push(reason),
            }
        }
        if !reasons.is_empty() {
            return Err(reasons.join("; "));
        }
        Ok(if published {
            Announced::Published
        } else {
            Announced::Duplicate
        })
    }

    /// A digest rule's schedule: one message per group with news, to each of the rule's
    /// destinations, once per schedule time whatever the retries; then the group's entries
    /// are settled. An error names what failed, for Lambda to retry the invocation.
    pub async fn send_digest(
        &self,
        request: &DigestRequest,
        deadline: Deadline,
    ) -> Result<usize, String> {
        let rule_name = request.rule.as_str();
        let rule = self
            .rules
            .rule(rule_name)
            .filter(|rule| rule.digest_schedule.is_some())
            .ok_or_else(|| format!("no digest rule named {rule_name:?} in NOTIFY_RULES: the schedule outlived its rule; apply security-primary again"))?;
        let digests = self
            .digests
            .as_ref()
            .ok_or("DIGEST_TABLE is not set: deploy notify-findings with security-primary")?;
        let groups = pending_groups(rule_name, digests.entries(rule_name).await?);
        let mut failures = Vec::new();
        let mut sent = 0;
        for group in &groups {
            if !deadline.allows(Duration::ZERO) {
                failures.push(format!("{}: {DEADLINE_REACHED}", group.key));
                continue;
            }
            let mut group_failures = Vec::new();
            for destination in &rule.destinations {
                let key = format!(
                    "digest#{rule_name}#{}#{}#{destination}",
                    group.key, request.scheduled_at
                );
                match self
                    .send_digest_once(&key, destination, group, deadline)
                    .await
                {
                    Ok(now) => sent += usize::from(now),
                    Err(reason) => group_failures.push(reason),
                }
            }
            if group_failures.is_empty() {
                for entry in group.entries.iter().filter(|e| e.pending) {
                    if let Err(reason) = digests.settle(rule_name, entry).await {
                        group_failures.push(reason);
                    }
                }
            }
            failures.extend(group_failures);
        }
        info!(rule = rule_name, scheduled_at = %request.scheduled_at, groups = groups.len(), sent, failed = failures.len(), "digest");
        if failures.is_empty() {
            Ok(sent)
        } else {
            Err(failures.join("; "))
        }
    }

    async fn send_digest_once(
        &self,
        key: &str,
        name: &str,
        group: &digest::DigestGroup,
        deadline: Deadline,
    ) -> Result<bool, String> {
        let destination = self
            .rules
            .destinations
            .get(name)
            .ok_or_else(|| format!("destination {name} is not configured"))?;
        let send = async {
            match destination {
                Destination::Topic { topic_arn } => {
                    self.publish(topic_arn, group.notification()?).await
                }
                Destination::Slack { secret_arn } | Destination::Teams { secret_arn } => {
                    let message = group.chat(self.report_url.as_deref());
                    self.post_chat(name, destination, secret_arn, message, deadline)
                        .await
                }
                // NOTIFY_RULES refuses a digest rule with a Jira destination (rules.rs).
                Destination::Jira(_) => Err(format!(
                    "destination {name} is a Jira project: digests go to topics, Slack and Teams"
                )),
            }
        };
        self.claimed(key, deadline, None, send).await
    }

    /// Runs `send` once per `key`, whatever the redeliveries: claims the key, then confirms
    /// it when `send` succeeded or releases it (for the retry) when it failed. Ok(false):
    /// sent before. `api_calls` counts the DynamoDB calls.
    async fn claimed(
        &self,
        key: &str,
        deadline: Deadline,
        api_calls: Option<&AtomicU64>,
        send: impl std::future::Future<Output = Result<(), String>>,
    ) -> Result<bool, String> {
        let count = || {
            if let Some(calls) = api_calls {
                calls.fetch_add(1, Ordering::Relaxed);
            }
        };
        count();
        match self.dedupe.claim(key, deadline).await? {
            Claim::AlreadySent => return Ok(false),
            Claim::InFlight => {
                return Err(format!(
                    "another invocation is sending {key} right now; retrying later"
                ))
            }
            Claim::Won => {}
        }
        let sent = send.await;
        count();
        if let Err(reason) = sent {
            if let Err(release) = self.dedupe.release(key).await {
                warn!(%key, %release, "the claim stays until its lease expires");
            }
            return Err(reason);
        }
        if let Err(reason) = self.dedupe.confirm(key).await {
            // Sent all the same; the unconfirmed claim only matters if this very key is
            // sent again after the lease, which would send it twice.
            warn!(%key, %reason, "sent but not recorded as sent");
        }
        Ok(true)
    }

    /// A chat message to a Slack or Teams destination, its webhook URL from its secret.
    async fn post_chat(
        &self,
        name: &str,
        destination: &Destination,
        secret_arn: &str,
        message: ChatMessage,
        deadline: Deadline,
    ) -> Result<(), String> {
        let what = format!("the {} webhook URL", destination.kind());
        let url = self.secrets.value(secret_arn, &what).await?;
        let body = match destination {
            Destination::Slack { .. } => message.slack(),
            _ => message.teams(),
        };
        self.http.post_webhook(name, &url, &body, deadline).await
    }

    /// Sends `finding` to one destination unless it was sent there before (its claim):
    /// true when sent now.
    #[allow(clippy::too_many_arguments)]
    async fn send_once(
        &self,
        key: &str,
        destination: &str,
        route: &Route,
        finding: &Finding,
        alias: Option<&str>,
        deadline: Deadline,
        api_calls: &AtomicU64,
    ) -> Result<bool, String> {
        // The notifications topic keeps the claim keys it had before there were rules.
        let claim_key = if destination == NOTIFICATIONS {
            key.to_owned()
        } else {
            format!("{key}#{destination}")
        };
        let key = claim_key.as_str();
        let send = self.send(destination, route, finding, alias, deadline, api_calls);
        if !self.claimed(key, deadline, Some(api_calls), send).await? {
            info!(finding_id = %finding.id, %key, destination, "already sent; redelivery stays silent");
            return Ok(false);
        }
        info!(finding_id = %finding.id, %key, destination, account = %finding.account_id, region = %finding.region, severity = finding.severity.as_str(), "notification sent");
        Ok(true)
    }

    async fn send(
        &self,
        name: &str,
        route: &Route,
        finding: &Finding,
        alias: Option<&str>,
        deadline: Deadline,
        api_calls: &AtomicU64,
    ) -> Result<(), String> {
        let destination = self.rules.destinations.get(name).ok_or_else(|| {
            format!(
                "destination {name} is not configured (NOTIFY_RULES names it in no destinations)"
            )
        })?;
        match destination {
            Destination::Topic { topic_arn } => {
                let notification = format::notification(finding, alias)?;
                if notification.raw_omitted {
                    warn!(finding_id = %finding.id, "the raw finding was left out of the notification to fit SNS's 256 KiB limit; S3 and the index keep it");
                }
                api_calls.fetch_add(1, Ordering::Relaxed);
                self.publish(topic_arn, notification).await
            }
            Destination::Slack { secret_arn } | Destination::Teams { secret_arn } => {
                // The secret (read once per SECRET_TTL) and the webhook.
                api_calls.fetch_add(2, Ordering::Relaxed);
                let message = ChatMessage::of_finding(finding, alias, self.report_url.as_deref());
                self.post_chat(name, destination, secret_arn, message, deadline)
                    .await
            }
            Destination::Jira(jira) => {
                api_calls.fetch_add(1, Ordering::Relaxed);
                let token = self
                    .secrets
                    .value(&jira.secret_arn, "the Jira API token")
                    .await?;
                let site = JiraSite {
                    name,
                    destination: jira,
                    token,
                    http: &self.http,
                };
                let per = route.ticket_per.get(name).copied().unwrap_or_default();
                jira::follow(&site, &self.tickets, finding, per, alias, deadline).await
            }
        }
    }

    async fn publish(
        &self,
        topic_arn: &str,
        notification: format::Notification,
    ) -> Result<(), String> {
        let attributes = notification
            .attributes
            .into_iter()
            .map(|(name, value)| {
                let (data_type, value) = match value {
                    Attribute::String(s) => ("String", s),
                    Attribute::Number(n) => ("Number", n.to_string()),
                };
                let value = MessageAttributeValue::builder()
                    .data_type(data_type)
                    .string_value(value)
                    .build()
                    .expect("data type is set");
                (name.to_owned(), value)
            })
            .collect();
        self.sns
            .publish()
            .topic_arn(topic_arn)
            .message_structure("json")
            .message(notification.message)
            .subject(notification.subject)
            .set_message_attributes(Some(attributes))
            .send()
            .await
            .map(|_| ())
            .map_err(|err| {
                format!(
                    "publishing to {topic_arn}: {}; the function's role needs sns:Publish on the topic (and kms:GenerateDataKey/Decrypt on its key)",
                    DisplayErrorContext(&err)
                )
            })
    }
}

fn emit(outcome: &NotifyOutcome) {
    metrics::emit_counts(
        "notify-findings",
        &[
            ("NotificationsPublished", outcome.published.len() as u64),
            ("DuplicatesSuppressed", outcome.duplicates as u64),
            ("CollectedForDigest", outcome.collected as u64),
            ("DigestMessagesSent", outcome.digests_sent as u64),
            ("BelowThreshold", outcome.below_threshold as u64),
            ("RecordsFailed", outcome.failed.len() as u64),
            ("RecordsIgnored", outcome.ignored as u64),
            ("DetailsUnavailable", outcome.details_unavailable as u64),
            ("ApiCalls", outcome.api_calls),
        ],
    );
}
