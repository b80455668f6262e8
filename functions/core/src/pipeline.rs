//! send-findings' work on one SQS batch: parse every record, group the Classic findings by
//! member account and region, describe them in batches, enrich them from EC2 (Inspector v2
//! events carry the whole finding and skip both), write each to S3 and OpenSearch, and
//! report exactly the records that failed.

use std::collections::{btree_map, BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use aws_smithy_types::error::display::DisplayErrorContext;
use futures::future::join_all;
use tracing::{error, info, warn};

use aws_config::SdkConfig;

use crate::accounts::MemberAccounts;
use crate::classic::ClassicFinding;
use crate::config::SendFindingsConfig;
use crate::enrich::{describe_findings, describe_instances};
use crate::finding::{Enrichment, EnrichmentStatus, Finding};
use crate::message::{parse_record_body, Notification};
use crate::metrics;
use crate::opensearch::OpenSearchSink;
use crate::s3::S3Sink;

/// How many S3 writes run at once.
const S3_CONCURRENCY: usize = 16;

pub struct SendFindings {
    pub members: MemberAccounts,
    pub s3: S3Sink,
    pub opensearch: Option<OpenSearchSink>,
}

/// What happened to the records of one batch (the response, plus counts for metrics and tests).
#[derive(Debug, Default)]
pub struct BatchOutcome {
    /// message id → why it failed (it is returned to SQS, and after maxReceiveCount lands in the DLQ).
    pub failed: BTreeMap<String, String>,
    pub stored: Vec<Finding>,
    pub ignored: usize,
    pub gone: usize,
    /// Calls to AWS (Inspector, EC2, S3, OpenSearch) made for the batch, retries of
    /// OpenSearch included; credential refreshes happen inside the SDK and are not counted.
    pub api_calls: u64,
}

impl BatchOutcome {
    pub fn response(&self) -> SqsBatchResponse {
        let mut response = SqsBatchResponse::default();
        response.batch_item_failures = self
            .failed
            .keys()
            .map(|id| {
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = id.clone();
                failure
            })
            .collect();
        response
    }
}

/// The records of one account and region: finding ARN → the message ids that reported it
/// (a redelivery can put the same finding twice in one batch).
type Group = BTreeMap<String, Vec<String>>;

impl SendFindings {
    /// Builds the pipeline from its configuration and the Lambda's own SDK config.
    pub fn new(config: SendFindingsConfig, aws: &SdkConfig) -> Self {
        let credentials = aws
            .credentials_provider()
            .expect("the SDK config has a credentials provider");
        SendFindings {
            members: MemberAccounts::new(
                aws.clone(),
                config.member_role_name,
                config.member_role_external_id,
                "inspectorlink-send-findings",
            ),
            s3: S3Sink::new(
                aws_sdk_s3::Client::new(aws),
                config.bucket,
                config.prefix,
                config.kms_key_arn,
            ),
            opensearch: config
                .opensearch
                .map(|search| OpenSearchSink::new(search, credentials)),
        }
    }

    pub async fn handle(&self, event: SqsEvent) -> SqsBatchResponse {
        let outcome = self.process(event).await;
        metrics::emit_counts(
            "send-findings",
            &[
                ("FindingsStored", outcome.stored.len() as u64),
                ("RecordsFailed", outcome.failed.len() as u64),
                ("RecordsIgnored", outcome.ignored as u64),
                ("FindingsGone", outcome.gone as u64),
                ("ApiCalls", outcome.api_calls),
            ],
        );
        outcome.response()
    }

    pub async fn process(&self, event: SqsEvent) -> BatchOutcome {
        let mut outcome = BatchOutcome::default();
        let api_calls = AtomicU64::new(0);
        let mut groups: BTreeMap<(String, String), Group> = BTreeMap::new();
        let mut v2_documents: BTreeMap<String, (Finding, Vec<String>)> = BTreeMap::new();
        for record in event.records {
            let Some(message_id) = record.message_id else {
                error!("an SQS record without messageId cannot be reported as failed; skipping it");
                continue;
            };
            match parse_record_body(record.body.as_deref().unwrap_or_default()) {
                Ok(Notification::ClassicFinding { finding_arn }) => {
                    let key = (finding_arn.account.clone(), finding_arn.region.clone());
                    groups
                        .entry(key)
                        .or_default()
                        .entry(finding_arn.to_string())
                        .or_default()
                        .push(message_id);
                }
                Ok(Notification::ClassicOther {
                    event,
                    template_arn,
                }) => {
                    info!(%message_id, %event, template_arn, "not a finding; acknowledged");
                    outcome.ignored += 1;
                }
                Ok(Notification::V2Finding(finding)) => {
                    keep_newest(&mut v2_documents, *finding, message_id);
                }
                Ok(Notification::V2Other { detail_type }) => {
                    info!(%message_id, %detail_type, "not an Inspector v2 finding; acknowledged");
                    outcome.ignored += 1;
                }
                Err(reason) => {
                    warn!(%message_id, %reason, "unusable record; it will reach the dead-letter queue");
                    outcome.failed.insert(message_id, reason.to_string());
                }
            }
        }

        // Inspector v2 findings need no describe call: they go straight to the sinks.
        let mut documents: Vec<(Finding, Vec<String>)> = v2_documents.into_values().collect();
        let group_results = join_all(groups.into_iter().map(|((account, region), group)| {
            self.describe_group(account, region, group, &api_calls)
        }))
        .await;
        for result in group_results {
            documents.extend(result.documents);
            outcome.failed.extend(result.failed);
            outcome.gone += result.gone;
        }
        self.store(documents, &mut outcome, &api_calls).await;
        outcome.api_calls = api_calls.into_inner();
        outcome
    }

    async fn describe_group(
        &self,
        account: String,
        region: String,
        group: Group,
        api_calls: &AtomicU64,
    ) -> GroupResult {
        let mut result = GroupResult::default();
        let fail_all = |result: &mut GroupResult, reason: String| {
            for ids in group.values() {
                for id in ids {
                    result.failed.insert(id.clone(), reason.clone());
                }
            }
        };
        let config = self.members.config(&account, &region).await;
        let inspector = aws_sdk_inspector::Client::new(&config);
        let arns: Vec<String> = group.keys().cloned().collect();
        let described = match describe_findings(&inspector, &arns, api_calls).await {
            Ok(described) => described,
            Err(err) => {
                let reason = format!(
                    "describing findings in account {account} {region} as {}: {}",
                    self.members.role_arn(&account, &region),
                    DisplayErrorContext(&err)
                );
                error!(%account, %region, %reason, "findings of this account and region failed");
                fail_all(&mut result, reason);
                return result;
            }
        };
        let instance_ids: Vec<String> = {
            let mut ids: Vec<String> = described
                .found
                .values()
                .filter_map(|f| f.instance_id().map(str::to_owned))
                .collect();
            ids.sort();
            ids.dedup();
            ids
        };
        let ec2 = aws_sdk_ec2::Client::new(&config);
        let (instances, lookup_error) =
            match describe_instances(&ec2, &instance_ids, api_calls).await {
                Ok(instances) => (instances, None),
                // Findings are still worth storing without enrichment; say why in the document.
                Err(err) => (
                    BTreeMap::new(),
                    Some(format!(
                        "ec2:DescribeInstances failed: {}",
                        DisplayErrorContext(&err)
                    )),
                ),
            };

        for (arn, message_ids) in group {
            if let Some(missing) = described.missing.get(&arn) {
                if missing.retryable {
                    for id in message_ids {
                        result.failed.insert(
                            id,
                            format!(
                                "Inspector could not describe {arn} yet ({}); retrying",
                                missing.code
                            ),
                        );
                    }
                } else {
                    info!(%arn, code = %missing.code, "finding no longer exists in Inspector; acknowledged");
                    result.gone += 1;
                }
                continue;
            }
            let Some(classic) = described.found.get(&arn) else {
                for id in message_ids {
                    result.failed.insert(
                        id,
                        format!("Inspector returned neither the finding nor a failure for {arn}"),
                    );
                }
                continue;
            };
            match normalise(classic, &instances, lookup_error.as_deref()) {
                Ok(finding) => result.documents.push((finding, message_ids)),
                Err(reason) => {
                    warn!(%arn, %reason, "finding cannot be normalised");
                    for id in message_ids {
                        result.failed.insert(id, reason.clone());
                    }
                }
            }
        }
        result
    }

    async fn store(
        &self,
        documents: Vec<(Finding, Vec<String>)>,
        outcome: &mut BatchOutcome,
        api_calls: &AtomicU64,
    ) {
        let mut failures: HashMap<String, String> = HashMap::new();
        for chunk in documents.chunks(S3_CONCURRENCY) {
            api_calls.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            let writes = join_all(chunk.iter().map(|(finding, _)| self.s3.put(finding))).await;
            for ((finding, _), written) in chunk.iter().zip(writes) {
                if let Err(err) = written {
                    failures.insert(
                        finding.id.clone(),
                        format!("writing to S3: {}", DisplayErrorContext(&err)),
                    );
                }
            }
        }
        if let Some(opensearch) = &self.opensearch {
            let to_index: Vec<&Finding> = documents.iter().map(|(f, _)| f).collect();
            let sent_before = opensearch.requests_sent();
            let index_failures = opensearch.index(&to_index).await;
            api_calls.fetch_add(opensearch.requests_sent() - sent_before, Ordering::Relaxed);
            for (id, reason) in index_failures {
                failures.entry(id).or_insert(reason);
            }
        }
        for (finding, message_ids) in documents {
            match failures.get(&finding.id) {
                Some(reason) => {
                    warn!(finding_id = %finding.id, account = %finding.account_id, region = %finding.region, %reason, "finding not stored");
                    for id in message_ids {
                        outcome.failed.insert(id, reason.clone());
                    }
                }
                None => {
                    info!(finding_id = %finding.id, account = %finding.account_id, region = %finding.region, severity = finding.severity.as_str(), "finding stored");
                    outcome.stored.push(finding);
                }
            }
        }
    }
}

/// Adds an Inspector v2 finding to the batch's documents. Two events of one finding in a
/// batch (ACTIVE, then CLOSED) would race to the same S3 key and document: only the newer
/// is stored, and both records are done when it is.
fn keep_newest(
    documents: &mut BTreeMap<String, (Finding, Vec<String>)>,
    finding: Finding,
    message_id: String,
) {
    match documents.entry(finding.id.clone()) {
        btree_map::Entry::Vacant(entry) => {
            entry.insert((finding, vec![message_id]));
        }
        btree_map::Entry::Occupied(mut entry) => {
            let (kept, message_ids) = entry.get_mut();
            message_ids.push(message_id);
            if finding.supersedes(kept) {
                *kept = finding;
            }
        }
    }
}

#[derive(Default)]
struct GroupResult {
    documents: Vec<(Finding, Vec<String>)>,
    failed: BTreeMap<String, String>,
    gone: usize,
}

fn normalise(
    classic: &ClassicFinding,
    instances: &BTreeMap<String, crate::classic::InstanceDetails>,
    lookup_error: Option<&str>,
) -> Result<Finding, String> {
    let instance = classic.instance_id().and_then(|id| instances.get(id));
    let enrichment = match (instance, lookup_error) {
        (Some(_), _) => Enrichment {
            status: EnrichmentStatus::Enriched,
            detail: None,
        },
        (None, Some(error)) => Enrichment {
            status: EnrichmentStatus::InstanceNotFound,
            detail: Some(error.to_owned()),
        },
        (None, None) => Enrichment {
            status: EnrichmentStatus::InstanceNotFound,
            detail: Some("the instance is terminated or no longer exists; resource fields come from the finding".to_owned()),
        },
    };
    classic
        .normalise(instance, enrichment)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Status;

    #[test]
    fn of_two_events_of_one_v2_finding_the_newer_is_stored_for_both_records() {
        let event =
            include_str!("../../findings/tests/fixtures/inspector2/ec2-package-vulnerability.json");
        let mut active: serde_json::Value = serde_json::from_str(event).unwrap();
        active["detail"]["status"] = "ACTIVE".into();
        active["detail"]["updatedAt"] = "Wed Sep 04 16:59:44.356 UTC 2024".into();
        let v2 = |body: &str| match parse_record_body(body).unwrap() {
            Notification::V2Finding(finding) => *finding,
            other => panic!("{other:?}"),
        };
        let (closed, active) = (v2(event), v2(&active.to_string()));
        // Whatever order the queue delivers them in.
        for order in [[&active, &closed], [&closed, &active]] {
            let mut documents = BTreeMap::new();
            keep_newest(&mut documents, order[0].clone(), "m1".into());
            keep_newest(&mut documents, order[1].clone(), "m2".into());
            let [(finding, ids)]: [_; 1] = documents
                .into_values()
                .collect::<Vec<_>>()
                .try_into()
                .unwrap();
            assert_eq!(finding.status, Status::Closed);
            assert_eq!(ids, ["m1", "m2"]);
        }
    }
}
