//! Sending events to an SQS queue: SendMessageBatch with at most 10 entries and 256 KiB a
//! call, the entries SQS could not take retried with backoff, the ones it refuses as the
//! sender's fault reported per finding.

use std::time::Duration;

use aws_sdk_sqs::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_sqs::types::{QueueAttributeName, SendMessageBatchRequestEntry};

use crate::event::FindingEvent;

/// SQS's limit for one message, and for the sum of a batch's messages.
pub const MAX_BYTES: usize = 256 * 1024;
const MAX_ENTRIES: usize = 10;
const ATTEMPTS: u32 = 5;

/// One queue, named by the option that gave it (for messages).
#[derive(Debug, Clone)]
pub struct Queue {
    pub client: aws_sdk_sqs::Client,
    pub url: String,
    pub option: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("{option} {url}: the queue does not exist ({code}); give the URL of the queue in the security account (aws sqs get-queue-url --queue-name NAME)")]
    Missing {
        option: &'static str,
        url: String,
        code: String,
    },
    #[error("{option} {url}: access denied ({message}); the backfill's credentials need sqs:GetQueueAttributes and sqs:SendMessage on it (and kms:GenerateDataKey if it is encrypted with a KMS key)")]
    Denied {
        option: &'static str,
        url: String,
        message: String,
    },
    #[error("{option} {url}: {detail}")]
    Other {
        option: &'static str,
        url: String,
        detail: String,
    },
}

impl Queue {
    fn error<E, R>(&self, err: aws_sdk_sqs::error::SdkError<E, R>) -> QueueError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        let (option, url) = (self.option, self.url.clone());
        let code = err.code().unwrap_or_default().to_owned();
        let message = err.message().unwrap_or_default().to_owned();
        if code.contains("NonExistentQueue") || code.contains("QueueDoesNotExist") {
            QueueError::Missing { option, url, code }
        } else if code.contains("AccessDenied") || code.contains("KMS.AccessDenied") {
            QueueError::Denied {
                option,
                url,
                message,
            }
        } else {
            QueueError::Other {
                option,
                url,
                detail: DisplayErrorContext(&err).to_string(),
            }
        }
    }

    /// Fails early, before anything is listed or sent, when the queue is not there.
    pub async fn check(&self) -> Result<(), QueueError> {
        self.client
            .get_queue_attributes()
            .queue_url(&self.url)
            .attribute_names(QueueAttributeName::QueueArn)
            .send()
            .await
            .map(|_| ())
            .map_err(|err| self.error(err))
    }

    /// Sends every event; returns the ones SQS refused for good, with the reason.
    pub async fn send_all(
        &self,
        events: &[FindingEvent],
    ) -> Result<Vec<(String, String)>, QueueError> {
        let mut refused = Vec::new();
        for batch in batches(events) {
            refused.extend(self.send_batch(&batch).await?);
        }
        Ok(refused)
    }

    async fn send_batch(
        &self,
        batch: &[&FindingEvent],
    ) -> Result<Vec<(String, String)>, QueueError> {
        // Entry id = index in the batch.
        let mut pending: Vec<usize> = (0..batch.len()).collect();
        let mut refused = Vec::new();
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
            }
            let entries = pending
                .iter()
                .map(|&i| {
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(&batch[i].body)
                        .build()
                        .expect("id and body are set")
                })
                .collect();
            let output = self
                .client
                .send_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|err| self.error(err))?;
            let mut retry = Vec::new();
            for failed in output.failed() {
                let Ok(i) = failed.id().parse::<usize>() else {
                    continue;
                };
                let reason = format!(
                    "SQS refused it: {} {}",
                    failed.code(),
                    failed.message().unwrap_or_default()
                );
                if failed.sender_fault() {
                    refused.push((batch[i].finding_arn.clone(), reason));
                } else {
                    retry.push((i, reason));
                }
            }
            if retry.is_empty() {
                return Ok(refused);
            }
            if attempt + 1 == ATTEMPTS {
                return Err(QueueError::Other {
                    option: self.option,
                    url: self.url.clone(),
                    detail: format!(
                        "{} messages still failing after {ATTEMPTS} attempts, e.g. {}",
                        retry.len(),
                        retry[0].1
                    ),
                });
            }
            pending = retry.into_iter().map(|(i, _)| i).collect();
        }
        Ok(refused)
    }
}

/// Consecutive groups of at most 10 events and 256 KiB (events are each within the limit).
fn batches(events: &[FindingEvent]) -> Vec<Vec<&FindingEvent>> {
    let mut batches: Vec<Vec<&FindingEvent>> = Vec::new();
    let mut bytes = 0;
    for event in events {
        let size = event.body.len();
        match batches.last_mut() {
            Some(batch) if batch.len() < MAX_ENTRIES && bytes + size <= MAX_BYTES => {
                batch.push(event);
                bytes += size;
            }
            _ => {
                batches.push(vec![event]);
                bytes = size;
            }
        }
    }
    batches
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: usize, size: usize) -> FindingEvent {
        FindingEvent {
            finding_arn: format!("arn-{n}"),
            body: "x".repeat(size),
        }
    }

    #[test]
    fn batches_hold_at_most_ten_messages_and_256_kib() {
        let small: Vec<FindingEvent> = (0..23).map(|n| event(n, 1000)).collect();
        let sizes: Vec<usize> = batches(&small).iter().map(Vec::len).collect();
        assert_eq!(sizes, [10, 10, 3]);

        let large: Vec<FindingEvent> = (0..5).map(|n| event(n, 100 * 1024)).collect();
        let sizes: Vec<usize> = batches(&large).iter().map(Vec::len).collect();
        assert_eq!(sizes, [2, 2, 1]);
        let exact = [event(0, MAX_BYTES - 10), event(1, 10), event(2, 1)];
        let sizes: Vec<usize> = batches(&exact).iter().map(Vec::len).collect();
        assert_eq!(sizes, [2, 1]);
        // In order, nothing lost.
        let flat: Vec<&str> = batches(&small)
            .into_iter()
            .flatten()
            .map(|e| e.finding_arn.as_str())
            .collect();
        assert_eq!(flat.len(), 23);
        assert_eq!(flat[22], "arn-22");
    }
}
