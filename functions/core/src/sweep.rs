//! The coverage sweep (findings' sweep.rs has the records): ListCoverage in each region
//! the request names, as the Lambda's own role (the delegated administrator sees its
//! members' resources), sent back to the queue the request came from as pages of at most
//! [`ITEMS_PER_PAGE`] items, so each page is stored by an invocation of its own. Then the
//! coverage objects of the region that the answer no longer names, and that were last
//! written before the sweep began, are deleted from S3 and the index: a terminated
//! instance or a deleted image is no longer a resource "not scanned". A write after the
//! sweep began came from a newer event and is kept; a resource deleted wrongly by a
//! race with such an event comes back with the next sweep.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_config::SdkConfig;
use aws_sdk_inspector2::types::CoveredResource;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use aws_smithy_types::error::display::DisplayErrorContext;
use inspectorlink_findings::coverage::coverage_id;
use inspectorlink_findings::sweep::{SweepPage, SweepRequest};
use serde_json::{json, Map, Value};
use time::OffsetDateTime;
use tracing::{info, warn};

use crate::deadline::Deadline;
use crate::opensearch::OpenSearchSink;
use crate::s3::S3Sink;

/// ListCoverage's largest page.
const LIST_COVERAGE_PAGE: i32 = 200;
/// Items per page record (about 500 bytes each)...
pub const ITEMS_PER_PAGE: usize = 100;
/// ...and bytes: an instance with many tags makes a larger item, and SQS takes 256 KiB.
const PAGE_BYTES: usize = 192 * 1024;
/// SendMessageBatch: at most 10 entries and 256 KiB in all.
const BATCH_ENTRIES: usize = 10;
const BATCH_BYTES: usize = 256 * 1024;

/// What a sweep of one region did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RegionSwept {
    pub region: String,
    /// Resources ListCoverage named (once per scan type).
    pub listed: usize,
    /// Items that cannot become a coverage document: logged, not sent.
    pub unusable: usize,
    pub pages_sent: usize,
    /// Coverage objects deleted because ListCoverage no longer names them.
    pub removed: usize,
}

/// The time a sweep's pages are observed at: Inspector's time, which is the wall clock;
/// tests set the clock of the local AWS's emulated Inspector, which they move forward.
pub type Clock = std::sync::Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

pub struct CoverageSweeper {
    aws: SdkConfig,
    pub clock: Clock,
}

impl CoverageSweeper {
    pub fn new(aws: SdkConfig) -> Self {
        CoverageSweeper {
            aws,
            clock: std::sync::Arc::new(OffsetDateTime::now_utc),
        }
    }

    /// Sweeps every region of `request` (none: the Lambda's own); pages go to the queue
    /// `queue_arn`. The first region that fails ends the sweep with the reason (the record
    /// is retried; what was sent is stored, what was deleted stays deleted).
    pub async fn sweep(
        &self,
        request: &SweepRequest,
        queue_arn: &str,
        s3: &S3Sink,
        index: Option<&OpenSearchSink>,
        deadline: Deadline,
        api_calls: &AtomicU64,
    ) -> Result<Vec<RegionSwept>, String> {
        let queue = Queue::of(&self.aws, queue_arn, api_calls).await?;
        let regions = if request.regions.is_empty() {
            vec![self
                .aws
                .region()
                .map(|r| r.to_string())
                .ok_or("the Lambda's SDK config has no region to sweep")?]
        } else {
            request.regions.clone()
        };
        let mut swept = Vec::new();
        for region in regions {
            // S3 stamps LastModified by its own clock, the wall clock.
            let started = OffsetDateTime::now_utc();
            let (listed_ids, mut region_swept) = self
                .list_and_send(&region, (self.clock)(), &queue, api_calls)
                .await?;
            region_swept.removed = remove_unlisted(
                &region,
                &listed_ids,
                started,
                s3,
                index,
                deadline,
                api_calls,
            )
            .await?;
            info!(
                region = %region_swept.region,
                listed = region_swept.listed,
                unusable = region_swept.unusable,
                pages = region_swept.pages_sent,
                removed = region_swept.removed,
                "coverage swept"
            );
            swept.push(region_swept);
        }
        Ok(swept)
    }

    /// Lists the coverage of `region` and sends it to `queue` as pages observed at
    /// `observed_at`; returns the ids of the coverage documents the pages make.
    async fn list_and_send(
        &self,
        region: &str,
        observed_at: OffsetDateTime,
        queue: &Queue,
        api_calls: &AtomicU64,
    ) -> Result<(HashSet<String>, RegionSwept), String> {
        let config = aws_sdk_inspector2::config::Builder::from(&self.aws)
            .region(aws_config::Region::new(region.to_owned()))
            .build();
        let inspector = aws_sdk_inspector2::Client::from_conf(config);
        let mut pages = inspector
            .list_coverage()
            .max_results(LIST_COVERAGE_PAGE)
            .into_paginator()
            .send();
        let mut swept = RegionSwept {
            region: region.to_owned(),
            ..RegionSwept::default()
        };
        let mut ids = HashSet::new();
        let mut items = Vec::new();
        while let Some(page) = pages.next().await {
            api_calls.fetch_add(1, Ordering::Relaxed);
            let page = page.map_err(|err| {
                format!(
                    "inspector2:ListCoverage in {region}: {}",
                    DisplayErrorContext(&err)
                )
            })?;
            for resource in page.covered_resources() {
                swept.listed += 1;
                let item = covered_resource_json(resource);
                match inspectorlink_findings::Coverage::from_covered_resource(
                    item.clone(),
                    region,
                    observed_at,
                ) {
                    Ok(_) => {
                        ids.insert(coverage_id(
                            resource.account_id(),
                            region,
                            resource.scan_type().as_str(),
                            resource.resource_id(),
                        ));
                        items.push(item);
                    }
                    Err(err) => {
                        warn!(%region, resource_id = resource.resource_id(), %err, "ListCoverage item cannot be a coverage document; left out");
                        swept.unusable += 1;
                    }
                }
            }
        }
        let bodies = pages_of(region, observed_at, items);
        swept.pages_sent = bodies.len();
        queue.send(bodies, api_calls).await?;
        Ok((ids, swept))
    }
}

/// The page records' bodies for `items`: at most [`ITEMS_PER_PAGE`] items and about
/// [`PAGE_BYTES`] each (an item larger than that alone).
fn pages_of(region: &str, observed_at: OffsetDateTime, items: Vec<Value>) -> Vec<String> {
    let body = |items: Vec<Value>| {
        serde_json::to_string(&SweepPage::new(region, observed_at, items))
            .expect("a page serialises")
    };
    let mut bodies = Vec::new();
    let mut page = Vec::new();
    let mut size = 0;
    for item in items {
        let item_size = item.to_string().len() + 1;
        if !page.is_empty() && (page.len() == ITEMS_PER_PAGE || size + item_size > PAGE_BYTES) {
            bodies.push(body(std::mem::take(&mut page)));
            size = 0;
        }
        size += item_size;
        page.push(item);
    }
    if !page.is_empty() {
        bodies.push(body(page));
    }
    bodies
}

/// Deletes the coverage objects of `region` that `listed` does not name and that were
/// last written before `started`, and their index documents; returns how many.
async fn remove_unlisted(
    region: &str,
    listed: &HashSet<String>,
    started: OffsetDateTime,
    s3: &S3Sink,
    index: Option<&OpenSearchSink>,
    deadline: Deadline,
    api_calls: &AtomicU64,
) -> Result<usize, String> {
    // S3's LastModified has whole seconds: an object written after the sweep began has
    // one of at least the second it began in.
    let started_ms = started.unix_timestamp().saturating_mul(1000);
    let (objects, calls) = s3
        .coverage_objects(region)
        .await
        .map_err(|(cause, calls)| {
            api_calls.fetch_add(calls, Ordering::Relaxed);
            cause
        })?;
    api_calls.fetch_add(calls, Ordering::Relaxed);
    let gone: Vec<_> = objects
        .into_iter()
        .filter(|o| !listed.contains(&o.id) && o.last_modified < started_ms)
        .collect();
    if gone.is_empty() {
        return Ok(0);
    }
    let keys: Vec<String> = gone.iter().map(|o| o.key.clone()).collect();
    let calls = s3.delete_coverage(&keys).await.map_err(|(cause, calls)| {
        api_calls.fetch_add(calls, Ordering::Relaxed);
        cause
    })?;
    api_calls.fetch_add(calls, Ordering::Relaxed);
    if let Some(index) = index {
        let ids: Vec<String> = gone.iter().map(|o| o.id.clone()).collect();
        let sent_before = index.requests_sent();
        let failed = index.delete(&ids, deadline).await;
        api_calls.fetch_add(index.requests_sent() - sent_before, Ordering::Relaxed);
        if let Some((id, reason)) = failed.into_iter().next() {
            return Err(format!(
                "deleting the coverage document {id} of a resource Inspector no longer lists from the index: {reason}"
            ));
        }
    }
    Ok(gone.len())
}

/// The queue pages go to: the one the sweep request came from.
struct Queue {
    client: aws_sdk_sqs::Client,
    url: String,
}

impl Queue {
    /// `arn:<partition>:sqs:<region>:<account>:<name>` → its URL (GetQueueUrl).
    async fn of(aws: &SdkConfig, arn: &str, api_calls: &AtomicU64) -> Result<Queue, String> {
        let parts: Vec<&str> = arn.split(':').collect();
        let [_, _, "sqs", region, account, name] = parts[..] else {
            return Err(format!(
                "the sweep request came from {arn:?}, not an SQS queue ARN: send it to send-findings' queue"
            ));
        };
        let config = aws_sdk_sqs::config::Builder::from(aws)
            .region(aws_config::Region::new(region.to_owned()))
            .build();
        let client = aws_sdk_sqs::Client::from_conf(config);
        api_calls.fetch_add(1, Ordering::Relaxed);
        let url = client
            .get_queue_url()
            .queue_name(name)
            .queue_owner_aws_account_id(account)
            .send()
            .await
            .map_err(|err| format!("sqs:GetQueueUrl of {arn}: {}", DisplayErrorContext(&err)))?
            .queue_url
            .ok_or_else(|| format!("sqs:GetQueueUrl of {arn} answered no URL"))?;
        Ok(Queue { client, url })
    }

    /// Sends `bodies` in batches of at most 10 entries and 256 KiB.
    async fn send(&self, bodies: Vec<String>, api_calls: &AtomicU64) -> Result<(), String> {
        let mut batches: Vec<Vec<String>> = Vec::new();
        let mut size = 0;
        for body in bodies {
            let full = batches
                .last()
                .is_none_or(|b| b.len() == BATCH_ENTRIES || size + body.len() > BATCH_BYTES);
            if full {
                batches.push(Vec::new());
                size = 0;
            }
            size += body.len();
            batches.last_mut().expect("pushed above").push(body);
        }
        for batch in batches {
            let entries = batch
                .into_iter()
                .enumerate()
                .map(|(i, body)| {
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(body)
                        .build()
                        .map_err(|err| format!("building a page message: {err}"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            api_calls.fetch_add(1, Ordering::Relaxed);
            let answer = self
                .client
                .send_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|err| {
                    format!(
                        "sending coverage pages to {}: {}",
                        self.url,
                        DisplayErrorContext(&err)
                    )
                })?;
            if let Some(failed) = answer.failed().first() {
                return Err(format!(
                    "SQS refused a coverage page for {}: {} {}",
                    self.url,
                    failed.code(),
                    failed.message().unwrap_or("")
                ));
            }
        }
        Ok(())
    }
}

/// A `CoveredResource` in the API's JSON: the fields the coverage document reads, and the
/// resource metadata a reader of `raw` most often wants (EC2 tags, platform and AMI; the
/// ECR repository and image; the Lambda function).
fn covered_resource_json(resource: &CoveredResource) -> Value {
    let mut item = json!({
        "accountId": resource.account_id(),
        "resourceId": resource.resource_id(),
        "resourceType": resource.resource_type().as_str(),
        "scanType": resource.scan_type().as_str(),
    });
    if let Some(status) = resource.scan_status() {
        item["scanStatus"] = json!({
            "statusCode": status.status_code().as_str(),
            "reason": status.reason().as_str(),
        });
    }
    if let Some(mode) = resource.scan_mode() {
        item["scanMode"] = mode.as_str().into();
    }
    if let Some(at) = resource.last_scanned_at() {
        item["lastScannedAt"] = at.as_secs_f64().into();
    }
    let mut metadata = Map::new();
    if let Some(meta) = resource.resource_metadata() {
        if let Some(ec2) = meta.ec2() {
            metadata.insert(
                "ec2".into(),
                json!({
                    "amiId": ec2.ami_id(),
                    "platform": ec2.platform().map(|p| p.as_str()),
                    "tags": ec2.tags(),
                }),
            );
        }
        if let Some(repository) = meta.ecr_repository() {
            metadata.insert(
                "ecrRepository".into(),
                json!({
                    "name": repository.name(),
                    "scanFrequency": repository.scan_frequency().map(|f| f.as_str()),
                }),
            );
        }
        if let Some(image) = meta.ecr_image() {
            metadata.insert(
                "ecrImage".into(),
                json!({
                    "tags": image.tags(),
                    "imagePulledAt": image.image_pulled_at().map(|t| t.as_secs_f64()),
                }),
            );
        }
        if let Some(function) = meta.lambda_function() {
            metadata.insert(
                "lambdaFunction".into(),
                json!({
                    "functionName": function.function_name(),
                    "runtime": function.runtime().map(|r| r.as_str()),
                    "functionTags": function.function_tags(),
                }),
            );
        }
    }
    if !metadata.is_empty() {
        item["resourceMetadata"] = Value::Object(metadata);
    }
    item
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_hold_at_most_100_items_and_192_kib() {
        let at = OffsetDateTime::UNIX_EPOCH;
        let small: Vec<Value> = (0..250)
            .map(|i| json!({"resourceId": format!("i-{i}")}))
            .collect();
        let sizes: Vec<usize> = pages_of("eu-west-1", at, small)
            .iter()
            .map(|b| serde_json::from_str::<SweepPage>(b).unwrap().items.len())
            .collect();
        assert_eq!(sizes, [100, 100, 50]);
        // Items of 10 KiB each (many tags): 19 to a page, under SQS's limit.
        let large: Vec<Value> = (0..40)
            .map(|i| json!({"resourceId": format!("i-{i}"), "tags": "x".repeat(10 * 1024)}))
            .collect();
        let bodies = pages_of("eu-west-1", at, large);
        assert!(bodies.iter().all(|b| b.len() < 256 * 1024));
        let items: usize = bodies
            .iter()
            .map(|b| serde_json::from_str::<SweepPage>(b).unwrap().items.len())
            .sum();
        assert_eq!((bodies.len(), items), (3, 40));
    }
}
