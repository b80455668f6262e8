//! A record that fails on its last receive goes to the dead-letter queue with the reason.
//!
//! SQS's redrive policy moves a message to the dead-letter queue after maxReceiveCount
//! receives, but moves it bare: whoever reads the queue must search the function's logs
//! for why. On the last receive (ApproximateReceiveCount ≥ MAX_RECEIVE_COUNT) the function
//! sends the message there itself, unchanged (a redrive puts it back as it came), with the
//! reason in message attributes, and reports it done so SQS deletes it from its queue. If
//! that send fails, the record is reported failed as before and SQS's redrive moves it.

use std::collections::BTreeMap;

use aws_config::SdkConfig;
use aws_lambda_events::event::sqs::SqsEvent;
use aws_sdk_sqs::types::MessageAttributeValue;
use aws_smithy_types::error::display::DisplayErrorContext;
use tracing::{info, warn};

/// The message attribute that says why the record failed.
pub const REASON_ATTRIBUTE: &str = "inspectorlink_failure_reason";
/// SQS message attribute values may be long, but a reason past this helps nobody.
const REASON_MAX: usize = 4000;

pub struct DeadLetters {
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
    max_receive_count: u32,
    function: &'static str,
}

/// A record's last receive: its id, body and receive count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastReceive {
    pub message_id: String,
    pub body: String,
    pub receive_count: u32,
}

impl DeadLetters {
    pub fn new(
        sqs: aws_sdk_sqs::Client,
        queue_url: String,
        max_receive_count: u32,
        function: &'static str,
    ) -> Self {
        DeadLetters {
            sqs,
            queue_url,
            max_receive_count,
            function,
        }
    }

    /// From a function's DEAD_LETTER_QUEUE_URL and MAX_RECEIVE_COUNT (config.rs), if set.
    pub fn configured(
        aws: &SdkConfig,
        queue: Option<(String, u32)>,
        function: &'static str,
    ) -> Option<Self> {
        queue.map(|(queue_url, max_receive_count)| {
            DeadLetters::new(
                aws_sdk_sqs::Client::new(aws),
                queue_url,
                max_receive_count,
                function,
            )
        })
    }

    /// The records of `event` on their last receive.
    pub fn last_receives(&self, event: &SqsEvent) -> Vec<LastReceive> {
        event
            .records
            .iter()
            .filter_map(|record| {
                let count: u32 = record
                    .attributes
                    .get("ApproximateReceiveCount")?
                    .parse()
                    .ok()?;
                let message_id = record.message_id.clone()?;
                (count >= self.max_receive_count).then(|| LastReceive {
                    message_id,
                    body: record.body.clone().unwrap_or_default(),
                    receive_count: count,
                })
            })
            .collect()
    }

    /// Sends each record of `last` that failed (`failed`: id → reason) to the dead-letter
    /// queue with its reason, and takes it out of `failed`.
    pub async fn bury(&self, last: &[LastReceive], failed: &mut BTreeMap<String, String>) {
        for record in last {
            let Some(reason) = failed.get(&record.message_id) else {
                continue;
            };
            let reason: String = reason.chars().take(REASON_MAX).collect();
            let string = |value: String| {
                MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value(value)
                    .build()
                    .expect("data type is set")
            };
            let sent = self
                .sqs
                .send_message()
                .queue_url(&self.queue_url)
                .message_body(&record.body)
                .message_attributes(REASON_ATTRIBUTE, string(reason.clone()))
                .message_attributes("inspectorlink_function", string(self.function.to_owned()))
                .message_attributes(
                    "inspectorlink_receive_count",
                    MessageAttributeValue::builder()
                        .data_type("Number")
                        .string_value(record.receive_count.to_string())
                        .build()
                        .expect("data type is set"),
                )
                .message_attributes(
                    "inspectorlink_source_message_id",
                    string(record.message_id.clone()),
                )
                .send()
                .await;
            match sent {
                Ok(_) => {
                    info!(message_id = %record.message_id, %reason, "failed on its last receive: moved to the dead-letter queue with the reason");
                    failed.remove(&record.message_id);
                }
                Err(err) => warn!(
                    message_id = %record.message_id,
                    error = %DisplayErrorContext(&err),
                    "could not move the record to the dead-letter queue with its reason (the role needs sqs:SendMessage on it); SQS's redrive moves it without"
                ),
            }
        }
    }
}
