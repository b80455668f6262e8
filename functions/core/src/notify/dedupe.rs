//! "Exactly one notification per finding and state change": a DynamoDB record per
//! announcement (finding id, status and the state's version), claimed with a conditional
//! write before publishing and confirmed after; and a record per finding of the newest state
//! seen, advanced with a conditional write before anything is claimed, so that a newer state
//! with the same status (rescanned details) stays silent, an older one (out of order,
//! redelivered) too, and a finding that reopens is announced again.
//!
//! The newest-seen record is advanced and compared in one write: two invocations holding
//! different states of one finding at once are put in one order by DynamoDB, and each state
//! is compared with the state before it in that order. (Reading the record, then writing it
//! after publishing, let both compare with the same old state: a closure and the reopening
//! after it read ACTIVE, the closure was announced and the reopening kept silent.)
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
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
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

/// The key of the record of a finding's newest state seen.
fn latest_key(finding_id: &str) -> String {
    format!("{finding_id}#latest")
}

/// Where a state of a finding stands among the states of it seen before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// The newest state so far; `news` when its status differs from the state's before it
    /// (or it is the first): a new finding, a closure, a suppression, a reopening.
    Newest { news: bool },
    /// This very state was seen before (a redelivery, or another batch's copy); `news` as it
    /// was then. Its claim decides whether it still is to be announced.
    Again { news: bool },
    /// A newer state was seen: this one is history.
    Older,
}

impl Seen {
    /// Whether this state is to be announced (once: the claim sees to that).
    pub fn is_news(self) -> bool {
        matches!(
            self,
            Seen::Newest { news: true } | Seen::Again { news: true }
        )
    }
}

/// Now, as seconds since the epoch go into DynamoDB (also the digest and ticket records').
pub(crate) fn now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// A time as a DynamoDB number of seconds since the epoch.
pub(crate) fn number(value: Duration) -> AttributeValue {
    AttributeValue::N(value.as_secs().to_string())
}

/// Until when a claim made now lasts: the claiming invocation's deadline, else
/// [`CLAIM_LEASE`].
pub(crate) fn lease_until(deadline: Deadline) -> Duration {
    deadline
        .at()
        .and_then(|at| at.duration_since(UNIX_EPOCH).ok())
        .unwrap_or(now() + CLAIM_LEASE)
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
        let lease_until = lease_until(deadline);
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

    /// Records `finding`'s state, of `version`, as the newest seen unless a newer one is,
    /// and tells where it stands: one conditional write, so that concurrent invocations are
    /// put in one order.
    #[instrument(skip(self, finding), fields(finding_id = %finding.id))]
    pub async fn advance(&self, finding: &Finding, version: i64) -> Result<Seen, String> {
        let key = latest_key(&finding.id);
        let status = status_name(finding.status);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(key.clone()))
            // Every operand is read from the item as it was, so previous_status is the
            // status before this write ("" for the first): what a redelivery is judged by.
            .update_expression(
                "SET previous_status = if_not_exists(#status, :none), #status = :status, version = :version, expires_at = :expires",
            )
            .condition_expression("attribute_not_exists(pk) OR version < :version")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":none", AttributeValue::S(String::new()))
            .expression_attribute_values(":status", AttributeValue::S(status.clone()))
            .expression_attribute_values(":version", AttributeValue::N(version.to_string()))
            .expression_attribute_values(":expires", number(now() + self.ttl))
            .return_values(ReturnValue::AllOld)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(output) => {
                let before = output
                    .attributes()
                    .and_then(|item| item.get("status"))
                    .and_then(|status| status.as_s().ok());
                Ok(Seen::Newest {
                    news: before != Some(&status),
                })
            }
            Err(SdkError::ServiceError(err)) => match err.err() {
                UpdateItemError::ConditionalCheckFailedException(failed) => {
                    let item = failed.item();
                    let text = |name: &str| {
                        item.and_then(|item| item.get(name))
                            .and_then(|value| value.as_s().ok())
                    };
                    let recorded: Option<i64> = item
                        .and_then(|item| item.get("version"))
                        .and_then(|value| value.as_n().ok())
                        .and_then(|value| value.parse().ok());
                    Ok(if recorded == Some(version) {
                        // Records written before previous_status was kept were written
                        // after announcing, or for a silent state: silent either way.
                        let news = matches!(
                            (text("previous_status"), text("status")),
                            (Some(before), Some(now)) if before != now
                        );
                        Seen::Again { news }
                    } else {
                        Seen::Older
                    })
                }
                other => Err(self.error("recording", &key, other)),
            },
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
