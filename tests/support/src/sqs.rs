//! SQS in tests: read a queue empty, and hand what was read to a handler as Lambda would.

use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};

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

/// The SQS event of these (message id, body) pairs, as a handler receives a batch.
pub fn event(bodies: &[(String, String)]) -> SqsEvent {
    let mut event = SqsEvent::default();
    event.records = bodies
        .iter()
        .map(|(id, body)| {
            let mut message = SqsMessage::default();
            message.message_id = Some(id.clone());
            message.body = Some(body.clone());
            message
        })
        .collect();
    event
}
