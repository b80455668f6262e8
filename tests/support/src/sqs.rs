//! SQS in tests: read a queue empty or look at what it holds, and hand records to a handler
//! as Lambda would.

use std::collections::{BTreeMap, BTreeSet};

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};

/// Creates the queue `name`; returns its URL.
pub async fn new_queue(sqs: &aws_sdk_sqs::Client, name: &str) -> String {
    sqs.create_queue()
        .queue_name(name)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap()
}

/// The message ids a handler reported failed.
pub fn failed_ids(response: &SqsBatchResponse) -> BTreeSet<&str> {
    response
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect()
}

/// Every message the queue `url` holds now, as (message id, body); deletes them as read.
pub async fn drain(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<(String, String)> {
    let mut bodies = Vec::new();
    loop {
        let batch = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        let messages = batch.messages.unwrap_or_default();
        if messages.is_empty() {
            return bodies;
        }
        for message in messages {
            bodies.push((
                message.message_id().unwrap().to_owned(),
                message.body().unwrap().to_owned(),
            ));
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(message.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
}

/// Every message body seen on the queues at `urls` within `window`, each once; messages
/// are left in place (received with a visibility timeout of 0).
pub async fn peek(
    sqs: &aws_sdk_sqs::Client,
    urls: &[String],
    window: std::time::Duration,
) -> Vec<String> {
    let mut bodies = std::collections::BTreeMap::new();
    let deadline = std::time::Instant::now() + window;
    while std::time::Instant::now() < deadline {
        for url in urls {
            let batch = sqs
                .receive_message()
                .queue_url(url)
                .max_number_of_messages(10)
                .visibility_timeout(0)
                .send()
                .await
                .unwrap();
            for message in batch.messages.unwrap_or_default() {
                if let (Some(id), Some(body)) = (message.message_id, message.body) {
                    bodies.insert(id, body);
                }
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    bodies.into_values().collect()
}

/// A message as its queue holds it: id, body, and its string-valued attributes.
#[derive(Debug, Clone)]
pub struct Held {
    pub id: String,
    pub body: String,
    pub attributes: BTreeMap<String, String>,
}

/// What the queue `url` holds now, each message once, left in place (three passes
/// received with a visibility timeout of 0).
pub async fn held(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<Held> {
    let mut seen = BTreeMap::new();
    for _ in 0..3 {
        let batch = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .visibility_timeout(0)
            .message_attribute_names("All")
            .send()
            .await
            .unwrap();
        for message in batch.messages.unwrap_or_default() {
            let attributes = message
                .message_attributes()
                .into_iter()
                .flatten()
                .filter_map(|(name, value)| Some((name.clone(), value.string_value()?.to_owned())))
                .collect();
            let id = message.message_id.unwrap_or_default();
            seen.insert(
                id.clone(),
                Held {
                    id,
                    body: message.body.unwrap_or_default(),
                    attributes,
                },
            );
        }
    }
    seen.into_values().collect()
}

/// The SQS event of these (message id, body) pairs, as a handler receives a batch on each
/// record's first receive.
pub fn event(bodies: &[(String, String)]) -> SqsEvent {
    batch(
        bodies
            .iter()
            .map(|(id, body)| received(id, body, 1))
            .collect(),
    )
}

/// A record as Lambda hands it over on its `receive_count`-th receive.
pub fn received(id: &str, body: &str, receive_count: u32) -> SqsMessage {
    let mut message = SqsMessage::default();
    message.message_id = Some(id.to_owned());
    message.body = Some(body.to_owned());
    message.attributes.insert(
        "ApproximateReceiveCount".to_owned(),
        receive_count.to_string(),
    );
    message
}

/// The SQS event of these records.
pub fn batch(records: Vec<SqsMessage>) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = records;
    event
}
