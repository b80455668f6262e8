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

/// A failed HTTP call, without its URL.
#[derive(Debug, Clone, PartialEq)]
pub struct CallError {
    pub message: String,
    /// 429, 5xx, or no answer: worth another try.
    pub retryable: bool,
    pub retry_after: Option<Duration>,
    /// The HTTP status, when there was an answer.
    pub status: Option<u16>,
    /// The answer's body (its first 2000 characters), for the caller's own error messages.
    pub body: String,
}

/// HTTP calls to webhooks and Jira, with retries.
pub struct Http {
    client: reqwest::Client,
    /// Accept http:// URLs (a trusted network: the sandbox's local AWS).
    allow_plain_http: bool,
    min_delay: Duration,
}

impl Http {
    pub fn new(allow_plain_http: bool) -> Self {
        Http {
            client: reqwest::Client::builder()
                .timeout(WEBHOOK_TIMEOUT)
                .build()
                .expect("building the HTTP client (TLS roots)"),
            allow_plain_http,
            min_delay: Duration::from_millis(200),
        }
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Whether `url` may be called: https://, or http:// where plain HTTP is allowed.
    pub fn check_url(&self, what: &str, url: &str) -> Result<(), String> {
        if url.starts_with("https://") || (self.allow_plain_http && url.starts_with("http://")) {
            Ok(())
        } else {
            Err(format!("{what} is not an https:// URL"))
        }
    }

    /// The backoff between attempts: exponential from 200 ms, at most [`WEBHOOK_RETRIES`].
    pub fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(Duration::from_secs(5))
            .with_max_times(WEBHOOK_RETRIES)
            .with_jitter()
    }

    /// How long to wait before trying `err` again (`delay` is the backoff's), or None when
    /// not again: Retry-After over [`MAX_RETRY_AFTER`], or past `deadline`.
    pub fn wait(err: &CallError, delay: Option<Duration>, deadline: Deadline) -> Option<Duration> {
        let wait = match err.retry_after {
            Some(after) if after > MAX_RETRY_AFTER => return None,
            Some(after) => after,
            None => delay?,
        };
        deadline.allows(wait + WEBHOOK_TIMEOUT).then_some(wait)
    }

    /// One call: the request `build` makes; a non-2xx answer is an error.
    pub async fn once(&self, request: reqwest::RequestBuilder) -> Result<(u16, String), CallError> {
        let answer = request.send().await.map_err(|err| CallError {
            // without_url: reqwest's errors print the URL otherwise.
            message: format!("no answer: {}", err.without_url()),
            retryable: true,
            retry_after: None,
            status: None,
            body: String::new(),
        })?;
        let status = answer.status();
        let retry_after = answer
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let text: String = answer
            .text()
            .await
            .unwrap_or_default()
            .chars()
            .take(2000)
            .collect();
        if status.is_success() {
            return Ok((status.as_u16(), text));
        }
        let short: String = text.chars().take(200).collect();
        Err(CallError {
            message: format!("HTTP {}: {}", status.as_u16(), short.trim()),
            retryable: status.as_u16() == 429 || status.is_server_error(),
            retry_after,
            status: Some(status.as_u16()),
            body: text,
        })
    }

    /// Calls `build()` until it succeeds, or fails in a way not worth retrying, or the
    /// retries or `deadline` run out. `name` is the destination, for the logs.
    pub async fn call(
        &self,
        name: &str,
        build: impl Fn() -> reqwest::RequestBuilder,
        deadline: Deadline,
    ) -> Result<(u16, String), CallError> {
        (|| self.once(build()))
            .retry(self.backoff())
            .when(|err: &CallError| err.retryable)
            .adjust(|err: &CallError, delay| Self::wait(err, delay, deadline))
            .notify(|err: &CallError, wait| {
                warn!(destination = name, error = %err.message, ?wait, "call failed; trying again");
            })
            .await
    }

    /// POSTs `body` to the webhook `url` of destination `name`. The error names the
    /// destination, never the URL (a credential).
    pub async fn post_webhook(
        &self,
        name: &str,
        url: &str,
        body: &Value,
        deadline: Deadline,
    ) -> Result<(), String> {
        self.check_url(&format!("the webhook URL of destination {name}"), url)
            .map_err(|e| format!("{e}; put the URL the chat service gave into its secret"))?;
        let body = body.to_string();
        self.call(
            name,
            || {
                self.client
                    .post(url)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
            },
            deadline,
        )
        .await
        .map(|_| ())
        .map_err(|err| format!("posting to destination {name}: {}", err.message))
    }
}
