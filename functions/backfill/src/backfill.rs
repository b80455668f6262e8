//! The run: for each region, page through ListFindings from the checkpoint, turn every
//! finding into its event, send the page to the queue(s), then checkpoint the page.
//!
//! A page is checkpointed only after all its messages were sent, so an interrupted run
//! resumes at the first page not completely sent: a failure between pages (an error, a
//! throttle, Ctrl-C while waiting) repeats nothing; a crash in the middle of a page sends
//! that page's first messages again on resume. That is harmless: send-findings writes a
//! finding to the same S3 key and OpenSearch `_id` every time (the id comes from the
//! finding ARN), notify-findings remembers what it announced per finding and state, and
//! the repeated events are identical (event id from ARN and `updatedAt`).

use std::path::PathBuf;
use std::time::Instant;

use aws_config::{Region, SdkConfig};

use crate::event::finding_event;
use crate::inspector::{list_page, Filters, ListError};
use crate::queue::{Queue, QueueError, MAX_BYTES};
use crate::rate::RateLimiter;
use crate::state::{self, Query, State, StateError};

/// What the command line asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub regions: Vec<String>,
    pub filters: Filters,
    pub page_size: i32,
    pub queue_url: String,
    pub notify_queue_url: Option<String>,
    pub state_file: PathBuf,
    pub restart: bool,
    pub max_requests_per_second: f64,
}

impl Options {
    pub fn query(&self) -> Query {
        Query {
            statuses: self.filters.statuses.clone(),
            severities: self.filters.severities.clone(),
            account_ids: self.filters.account_ids.clone(),
            page_size: self.page_size,
            queue_url: self.queue_url.clone(),
            notify_queue_url: self.notify_queue_url.clone(),
        }
    }
}

/// What this run did (a resumed run counts only its own pages).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub found: u64,
    pub sent: u64,
    pub skipped: u64,
    pub pages: u64,
    pub regions: Vec<String>,
    pub seconds: f64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "found={} sent={} skipped={} pages={} regions={} seconds={:.1}",
            self.found,
            self.sent,
            self.skipped,
            self.pages,
            self.regions.join(","),
            self.seconds
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BackfillError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error(transparent)]
    List(#[from] ListError),
}

/// The queue a URL names, with an SQS client in the URL's region when it says one
/// (`https://sqs.REGION.amazonaws.com/...`), else the configured region.
pub fn queue(sdk: &SdkConfig, url: &str, option: &'static str) -> Queue {
    let mut config = aws_sdk_sqs::config::Builder::from(sdk);
    if let Some(region) = url_region(url) {
        config = config.region(Region::new(region));
    }
    Queue {
        client: aws_sdk_sqs::Client::from_conf(config.build()),
        url: url.to_owned(),
        option,
    }
}

fn url_region(url: &str) -> Option<String> {
    let host = url.split("://").nth(1)?.split('/').next()?;
    let labels: Vec<&str> = host.split('.').collect();
    match labels.as_slice() {
        ["sqs", region, "amazonaws", ..] => Some(region.to_string()),
        [region, "queue", "amazonaws", ..] => Some(region.to_string()),
        _ => None,
    }
}

/// Runs the backfill; `progress` receives one line per page and per region.
pub async fn run(
    options: &Options,
    sdk: &SdkConfig,
    mut progress: impl FnMut(&str),
) -> Result<Summary, BackfillError> {
    let started = Instant::now();
    let query = options.query();
    let mut state = match options.restart {
        true => None,
        false => state::load(&options.state_file, &query)?,
    }
    .unwrap_or_else(|| State::new(query));

    let mut queues = vec![queue(sdk, &options.queue_url, "--queue-url")];
    if let Some(url) = &options.notify_queue_url {
        queues.push(queue(sdk, url, "--notify-queue-url"));
    }
    for queue in &queues {
        queue.check().await?;
    }
    // Fail on an unwritable state file before anything is sent.
    state::save(&options.state_file, &state)?;

    let criteria = options.filters.criteria();
    let mut limiter = RateLimiter::new(options.max_requests_per_second);
    let mut summary = Summary {
        regions: options.regions.clone(),
        ..Summary::default()
    };
    for region in &options.regions {
        let inspector = aws_sdk_inspector2::Client::from_conf(
            aws_sdk_inspector2::config::Builder::from(sdk)
                .region(Region::new(region.clone()))
                .build(),
        );
        let mut progress_of = state.regions.get(region).cloned().unwrap_or_default();
        if progress_of.done {
            progress(&format!(
                "{region}: already done ({} findings sent in {} pages, per the state file)",
                progress_of.sent, progress_of.pages
            ));
            continue;
        }
        if progress_of.next_token.is_some() {
            progress(&format!(
                "{region}: resuming after page {} ({} findings sent)",
                progress_of.pages, progress_of.sent
            ));
        }
        loop {
            limiter.acquire().await;
            let page = list_page(
                &inspector,
                region,
                &criteria,
                options.page_size,
                progress_of.next_token.as_deref(),
            )
            .await?;
            let found = page.findings.len() as u64;
            let mut events = Vec::with_capacity(page.findings.len());
            let mut skipped = Vec::new();
            for finding in page.findings {
                match finding_event(finding, region) {
                    Ok(event) if event.body.len() > MAX_BYTES => skipped.push((
                        event.finding_arn,
                        format!(
                            "its event is {} bytes, over SQS's 256 KiB limit",
                            event.body.len()
                        ),
                    )),
                    Ok(event) => events.push(event),
                    Err(reason) => skipped.push((String::new(), reason)),
                }
            }
            for queue in &queues {
                let refused = queue.send_all(&events).await?;
                // A message the send queue refused is not sent; one refused by the notify
                // queue only misses its notification.
                if queue.option == "--queue-url" {
                    events.retain(|e| !refused.iter().any(|(arn, _)| arn == &e.finding_arn));
                    skipped.extend(refused);
                } else {
                    for (arn, reason) in refused {
                        progress(&format!("{region}: not notified: {arn}: {reason}"));
                    }
                }
            }
            for (arn, reason) in &skipped {
                let what = if arn.is_empty() { "" } else { ": " };
                progress(&format!("{region}: not sent: {arn}{what}{reason}"));
            }
            let sent = events.len() as u64;
            progress_of.pages += 1;
            progress_of.found += found;
            progress_of.sent += sent;
            progress_of.skipped += skipped.len() as u64;
            progress_of.done = page.next_token.is_none();
            progress_of.next_token = page.next_token;
            state.regions.insert(region.clone(), progress_of.clone());
            state::save(&options.state_file, &state)?;
            summary.pages += 1;
            summary.found += found;
            summary.sent += sent;
            summary.skipped += skipped.len() as u64;
            progress(&format!(
                "{region}: page {}: {found} found, {sent} sent ({} sent in {region} so far)",
                progress_of.pages, progress_of.sent
            ));
            if progress_of.done {
                progress(&format!(
                    "{region}: done: {} findings sent in {} pages",
                    progress_of.sent, progress_of.pages
                ));
                break;
            }
        }
    }
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queue_url_names_its_region() {
        for (url, region) in [
            (
                "https://sqs.eu-west-1.amazonaws.com/111111111111/q",
                Some("eu-west-1"),
            ),
            (
                "https://us-east-2.queue.amazonaws.com/111111111111/q",
                Some("us-east-2"),
            ),
            (
                "https://sqs.cn-north-1.amazonaws.com.cn/111111111111/q",
                Some("cn-north-1"),
            ),
            ("http://127.0.0.1:4566/111111111111/q", None),
        ] {
            assert_eq!(url_region(url).as_deref(), region, "{url}");
        }
    }
}
