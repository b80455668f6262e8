//! Sending to a destination: SNS topics, and Slack and Teams webhooks whose URLs are secrets.
//!
//! A webhook URL is a credential (whoever has it can post): it is read from Secrets Manager
//! when first needed and kept for [`SECRET_TTL`], and never written to a log or an error;
//! errors name the destination and the secret's ARN instead. A webhook that answers 429 or
//! 5xx (or cannot be reached) is tried again with exponential backoff, after Retry-After
//! when it gives one, while the invocation's deadline allows; then the record fails and SQS
//! delivers it again, until its queue's redrive policy moves it to the dead-letter queue.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_smithy_types::error::display::DisplayErrorContext;
use backon::{ExponentialBuilder, Retryable};
use serde_json::Value;
use tokio::sync::Mutex;
use tracing::{instrument, warn};

use crate::deadline::Deadline;

/// How long a secret's value is used before it is read again (a rotated webhook URL is
/// picked up within this).
pub const SECRET_TTL: Duration = Duration::from_secs(300);
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts beyond the first, within one invocation.
const WEBHOOK_RETRIES: usize = 3;
/// The longest Retry-After honoured within an invocation; longer, and SQS's redelivery
/// waits instead.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(20);

/// Secrets Manager values, read once per [`SECRET_TTL`].
pub struct Secrets {
    client: aws_sdk_secretsmanager::Client,
    cache: Mutex<HashMap<String, (String, Instant)>>,
}

impl Secrets {
    pub fn new(client: aws_sdk_secretsmanager::Client) -> Self {
        Secrets {
            client,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The secret's current string value; `what` says what it holds, for the error.
    #[instrument(skip(self))]
    pub async fn value(&self, secret_arn: &str, what: &str) -> Result<String, String> {
        if let Some((value, read_at)) = self.cache.lock().await.get(secret_arn) {
            if read_at.elapsed() < SECRET_TTL {
                return Ok(value.clone());
            }
        }
        let answer = self
            .client
            .get_secret_value()
            .secret_id(secret_arn)
            .send()
            .await
            .map_err(|err| {
                let missing = err
                    .as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception());
                if missing {
                    format!(
                        "secret {secret_arn} has no value: put {what} into it (aws secretsmanager put-secret-value --secret-id {secret_arn} --secret-string ...)"
                    )
                } else {
                    format!(
                        "reading secret {secret_arn}: {}; the function's role needs secretsmanager:GetSecretValue on it and kms:Decrypt on its key",
                        DisplayErrorContext(&err)
                    )
                }
            })?;
        let value = answer
            .secret_string()
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .ok_or_else(|| {
                format!("secret {secret_arn} is empty or binary: put {what} into it as a string")
            })?
            .to_owned();
        self.cache
            .lock()
            .await
            .insert(secret_arn.to_owned(), (value.clone(), Instant::now()));
        Ok(value)
    }
}

/// A failed POST to a webhook, without its URL.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookError {
    pub message: String,
    /// 429, 5xx, or no answer: worth another try.
    pub retryable: bool,
    pub retry_after: Option<Duration>,
}

/// Posts JSON to webhooks, with retries.
pub struct Webhooks {
    http: reqwest::Client,
    /// Accept http:// URLs (a trusted network: the sandbox's local AWS).
    allow_plain_http: bool,
    min_delay: Duration,
}

impl Webhooks {
    pub fn new(allow_plain_http: bool) -> Self {
        Webhooks {
            http: reqwest::Client::builder()
                .timeout(WEBHOOK_TIMEOUT)
                .build()
                .expect("building the HTTP client (TLS roots)"),
            allow_plain_http,
            min_delay: Duration::from_millis(200),
        }
    }

    /// POSTs `body` to `url` (the destination `name`'s), retrying what is worth it while
    /// `deadline` allows. The error names the destination, never the URL.
    pub async fn post(
        &self,
        name: &str,
        url: &str,
        body: &Value,
        deadline: Deadline,
    ) -> Result<(), String> {
        let scheme_ok =
            url.starts_with("https://") || (self.allow_plain_http && url.starts_with("http://"));
        if !scheme_ok {
            return Err(format!(
                "the webhook URL of destination {name} is not an https:// URL; put the URL the chat service gave into its secret"
            ));
        }
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(Duration::from_secs(5))
            .with_max_times(WEBHOOK_RETRIES)
            .with_jitter();
        (|| self.post_once(url, body))
            .retry(backoff)
            .when(|err: &WebhookError| err.retryable)
            .adjust(|err: &WebhookError, delay| {
                let wait = match err.retry_after {
                    Some(after) if after > MAX_RETRY_AFTER => return None,
                    Some(after) => after,
                    None => delay?,
                };
                deadline.allows(wait + WEBHOOK_TIMEOUT).then_some(wait)
            })
            .notify(|err: &WebhookError, wait| {
                warn!(destination = name, error = %err.message, ?wait, "webhook failed; trying again");
            })
            .await
            .map_err(|err| format!("posting to destination {name}: {}", err.message))
    }

    async fn post_once(&self, url: &str, body: &Value) -> Result<(), WebhookError> {
        let answer = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await
            .map_err(|err| WebhookError {
                // without_url: reqwest's errors print the URL otherwise.
                message: format!("no answer: {}", err.without_url()),
                retryable: true,
                retry_after: None,
            })?;
        let status = answer.status();
        if status.is_success() {
            return Ok(());
        }
        let retry_after = answer
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let text = answer.text().await.unwrap_or_default();
        let text: String = text.chars().take(200).collect();
        Err(WebhookError {
            message: format!("HTTP {}: {}", status.as_u16(), text.trim()),
            retryable: status.as_u16() == 429 || status.is_server_error(),
            retry_after,
        })
    }
}
