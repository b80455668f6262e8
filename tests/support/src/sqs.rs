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
