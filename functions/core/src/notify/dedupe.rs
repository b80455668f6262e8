//! "Exactly one notification per finding and state change": a DynamoDB record per
//! announcement (finding id, status and the state's version), claimed with a conditional
//! write before publishing and confirmed after; and a record per finding of the newest state
//! announced, so that a newer state with the same status (rescanned details) stays silent, an
//! older one (out of order, redelivered) too, and a finding that reopens is announced again.
//!
//! A claim that is never confirmed (the function died between claim and publish) expires
//! at the deadline of the invocation that made it (Lambda has ended that invocation by
//! then), so the redelivery SQS makes after the visibility timeout can publish; without a
//! deadline (outside Lambda) after [`CLAIM_LEASE`]. A confirmed record keeps every
//! redelivery silent until its TTL (DEDUPE_TTL_DAYS) removes it.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use aws_smithy_types::error::display::DisplayErrorContext;
use tracing::instrument;

use crate::deadline::Deadline;
use crate::finding::{Finding, Status};

/// The lease of a claim made without a deadline: longer than a Lambda can run (15 minutes).
pub const CLAIM_LEASE: Duration = Duration::from_secs(16 * 60);

const PENDING: &str = "pending";
const SENT: &str = "sent";

/// What a claim found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Ours: publish, then confirm (or release on failure).
    Won,
    /// Already announced: stay silent.
    AlreadySent,
    /// Another invocation is announcing it right now; retry later.
    InFlight,
}

pub struct DedupeTable {
    client: aws_sdk_dynamodb::Client,
    table: String,
    ttl: Duration,
}

/// The record's key: one per finding and state.
pub fn record_key(finding_id: &str, status: Status) -> String {
    format!("{finding_id}#{}", status_name(status))
}

/// The claim's key for announcing `finding` in its state: per finding, status and version
/// (a reopened finding's ACTIVE is another announcement than its first ACTIVE).
pub fn announcement_key(finding: &Finding) -> String {
    let key = record_key(&finding.id, finding.status);
    match finding.version() {
        Some(version) => format!("{key}#{version}"),
        None => key,
    }
}

fn status_name(status: Status) -> String {
    let status = serde_json::to_value(status).expect("a Status always serialises");
    status.as_str().unwrap_or_default().to_owned()
}

/// The key of a finding's newest announced state.
fn latest_key(finding_id: &str) -> String {
    format!("{finding_id}#latest")
}

/// The newest state of a finding that was announced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announced {
    pub status: String,
    pub version: i64,
}

/// Whether announcing `finding` would tell anything new after `latest` was announced.
pub fn is_news(finding: &Finding, latest: Option<&Announced>) -> bool {
    match (finding.version(), latest) {
        (Some(version), Some(latest)) => {
            version > latest.version && status_name(finding.status) != latest.status
        }
        _ => true,
    }
}

fn now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

fn number(value: Duration) -> AttributeValue {
    AttributeValue::N(value.as_secs().to_string())
}

impl DedupeTable {
    pub fn new(client: aws_sdk_dynamodb::Client, table: String, ttl_days: u32) -> Self {
        DedupeTable {
            client,
            table,
            ttl: Duration::from_secs(u64::from(ttl_days) * 86_400),
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Claims the notification `key` until `deadline` (the claiming invocation's).
    #[instrument(skip(self))]
    pub async fn claim(&self, key: &str, deadline: Deadline) -> Result<Claim, String> {
        let now = now();
        let lease_until = deadline
            .at()
            .and_then(|at| at.duration_since(UNIX_EPOCH).ok())
            .unwrap_or(now + CLAIM_LEASE);
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(HashMap::from([
                ("pk".to_owned(), AttributeValue::S(key.to_owned())),
                ("state".to_owned(), AttributeValue::S(PENDING.to_owned())),
                ("claimed_at".to_owned(), number(now)),
                ("lease_until".to_owned(), number(lease_until)),
                ("expires_at".to_owned(), number(now + self.ttl)),
            ])))
            // A pending claim is taken over once its lease has ended; claims written before
            // leases were recorded expire CLAIM_LEASE after they were made.
            .condition_expression(
                "attribute_not_exists(pk) OR (#state = :pending AND (lease_until < :now OR (attribute_not_exists(lease_until) AND claimed_at < :stale)))",
            )
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":pending", AttributeValue::S(PENDING.to_owned()))
            .expression_attribute_values(":now", number(now))
            .expression_attribute_values(":stale", number(now.saturating_sub(CLAIM_LEASE)))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Claim::Won),
            Err(SdkError::ServiceError(err)) => match err.err() {
                PutItemError::ConditionalCheckFailedException(failed) => {
                    let state = failed
                        .item()
                        .and_then(|item| item.get("state"))
                        .and_then(|state| state.as_s().ok());
                    Ok(match state.map(String::as_str) {
                        Some(PENDING) => Claim::InFlight,
                        _ => Claim::AlreadySent,
                    })
                }
                other => Err(self.error("claiming", key, other)),
            },
            Err(err) => Err(self.error("claiming", key, &err)),
        }
    }

    /// Marks the notification sent, for the TTL.
    #[instrument(skip(self))]
    pub async fn confirm(&self, key: &str) -> Result<(), String> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(key.to_owned()))
            .update_expression("SET #state = :sent, sent_at = :now")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":sent", AttributeValue::S(SENT.to_owned()))
            .expression_attribute_values(":now", number(now()))
            .send()
            .await
            .map(|_| ())
            .map_err(|err| self.error("confirming", key, &err))
    }

    /// Gives up a claim whose publish failed, so the retry can claim it at once.
    #[instrument(skip(self))]
    pub async fn release(&self, key: &str) -> Result<(), String> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(key.to_owned()))
            .condition_expression("#state = :pending")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":pending", AttributeValue::S(PENDING.to_owned()))
            .send()
            .await
            .map(|_| ())
            .map_err(|err| self.error("releasing", key, &err))
    }

    /// The newest state of the finding announced so far, if any.
    #[instrument(skip(self))]
    pub async fn latest(&self, finding_id: &str) -> Result<Option<Announced>, String> {
        let key = latest_key(finding_id);
        let item = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(key.clone()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| self.error("reading", &key, &err))?
            .item;
        Ok(item.and_then(|item| {
            Some(Announced {
                status: item.get("status")?.as_s().ok()?.clone(),
                version: item.get("version")?.as_n().ok()?.parse().ok()?,
            })
        }))
    }

    /// Records the finding's state as announced, unless a newer one is recorded already.
    #[instrument(skip(self, finding), fields(finding_id = %finding.id))]
    pub async fn record_latest(&self, finding: &Finding) -> Result<(), String> {
        let Some(version) = finding.version() else {
            return Ok(());
        };
        let key = latest_key(&finding.id);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(key.clone()))
            .update_expression("SET #status = :status, version = :version, expires_at = :expires")
            .condition_expression("attribute_not_exists(pk) OR version < :version")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":status", AttributeValue::S(status_name(finding.status)))
            .expression_attribute_values(":version", AttributeValue::N(version.to_string()))
            .expression_attribute_values(":expires", number(now() + self.ttl))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(err))
                if matches!(
                    err.err(),
                    UpdateItemError::ConditionalCheckFailedException(_)
                ) =>
            {
                Ok(()) // a newer state is recorded
            }
            Err(err) => Err(self.error("recording", &key, &err)),
        }
    }

    fn error(&self, doing: &str, key: &str, err: &dyn std::error::Error) -> String {
        format!(
            "{doing} the notification record {key} in DynamoDB table {}: {}; the function's role needs dynamodb:GetItem, PutItem, UpdateItem and DeleteItem on it",
            self.table,
            DisplayErrorContext(err)
        )
    }
}
