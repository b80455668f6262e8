//! send-findings' work on one SQS batch: resolve the records into findings and coverage
//! documents (resolve.rs), write each to S3 and OpenSearch, never over a newer state
//! (s3.rs, opensearch.rs), answer coverage sweep requests (sweep.rs), and report exactly
//! the records that failed.

use std::collections::{btree_map, BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_config::SdkConfig;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use futures::future::join_all;
use tracing::{info, warn};

use crate::accounts::MemberAccounts;
use crate::config::SendFindingsConfig;
use crate::dead_letter::DeadLetters;
use crate::deadline::{Deadline, DEADLINE_REACHED};
use crate::details::DetailsSource;
use crate::finding::Finding;
use crate::metrics;
use crate::ocsf::{OcsfObject, OcsfSink};
use crate::opensearch::OpenSearchSink;
use crate::resolve::{batch_response, FindingResolver, Record};
use crate::s3::{CoverageWritten, S3Sink, Written};
use crate::sweep::CoverageSweeper;
use inspectorlink_findings::Coverage;

/// How many S3 writes run at once.
const S3_CONCURRENCY: usize = 16;

pub struct SendFindings {
    pub resolver: FindingResolver,
    pub s3: S3Sink,
    pub opensearch: Option<OpenSearchSink>,
    /// The coverage documents' index, on the same domain or collection.
    pub coverage_index: Option<OpenSearchSink>,
    pub sweeper: CoverageSweeper,
    /// The OCSF Parquet copy, when configured.
    pub ocsf: Option<OcsfSink>,
    /// Where a record failing its last receive goes with the reason, when configured.
    pub dead_letters: Option<DeadLetters>,
}

/// What happened to the records of one batch (the response, plus counts for metrics and tests).
#[derive(Debug, Default)]
pub struct BatchOutcome {
    /// message id → why it failed (it is returned to SQS, and after maxReceiveCount lands in the DLQ).
    pub failed: BTreeMap<String, String>,
    pub stored: Vec<Finding>,
    /// Findings whose store already held a newer state (kept, and their records done).
    pub superseded: Vec<Finding>,
    pub ignored: usize,
    pub gone: usize,
    /// Findings stored without Inspector v2 details because BatchGetFindingDetails failed.
    pub details_unavailable: usize,
    /// Coverage documents written (or already stored as they are), as S3 now holds them.
    pub coverage: Vec<Coverage>,
    /// Of those, the ones S3 already held in this state (not written again).
    pub coverage_unchanged: usize,
    /// Coverage states older than the stored ones (kept, and their records done).
    pub coverage_superseded: usize,
    /// Sweeps answered: pages sent back to the queue, and coverage objects removed.
    pub sweep_pages_sent: usize,
    pub coverage_removed: usize,
    /// The OCSF Parquet objects written: one per partition of the stored findings.
    pub ocsf_objects: Vec<OcsfObject>,
    /// Calls to AWS (Inspector, Inspector v2, EC2, S3, OpenSearch) made for the batch, retries of
    /// OpenSearch included; credential refreshes happen inside the SDK and are not counted.
    pub api_calls: u64,
}

impl BatchOutcome {
    pub fn response(&self) -> SqsBatchResponse {
        batch_response(&self.failed)
    }
}

impl SendFindings {
    /// Builds the pipeline from its configuration and the Lambda's own SDK config.
    pub fn new(config: SendFindingsConfig, aws: &SdkConfig) -> Self {
        let credentials = aws
            .credentials_provider()
            .expect("the SDK config has a credentials provider");
        SendFindings {
            resolver: FindingResolver::new(
                config.member_role_name.map(|role| {
                    MemberAccounts::new(
                        aws.clone(),
                        role,
                        config.member_role_external_id,
                        "inspectorlink-send-findings",
                    )
                }),
                DetailsSource::new(aws.clone()),
            ),
            s3: S3Sink::new(
                aws_sdk_s3::Client::new(aws),
                config.bucket,
                config.prefix,
                config.history_prefix,
                config.coverage_prefix,
                config.kms_key_arn,
            ),
            opensearch: config
                .opensearch
                .clone()
                .map(|search| OpenSearchSink::findings(search, credentials.clone())),
            coverage_index: config
                .opensearch
                .map(|search| OpenSearchSink::coverage(search, credentials)),
            sweeper: CoverageSweeper::new(aws.clone()),
            ocsf: config.ocsf.map(|ocsf| OcsfSink::new(aws.clone(), ocsf)),
            dead_letters: DeadLetters::configured(aws, config.dead_letter_queue, "send-findings"),
        }
    }

    /// One invocation: `deadline` is the Lambda context's.
    pub async fn handle(&self, event: SqsEvent, deadline: Deadline) -> SqsBatchResponse {
        let last = self
            .dead_letters
            .as_ref()
            .map(|dead| dead.last_receives(&event))
            .unwrap_or_default();
        let mut outcome = self.process(event, deadline).await;
        metrics::emit_counts(
            "send-findings",
            &[
                ("FindingsStored", outcome.stored.len() as u64),
                ("FindingsSuperseded", outcome.superseded.len() as u64),
                ("RecordsFailed", outcome.failed.len() as u64),
                ("RecordsIgnored", outcome.ignored as u64),
                ("FindingsGone", outcome.gone as u64),
                ("DetailsUnavailable", outcome.details_unavailable as u64),
                ("CoverageStored", outcome.coverage.len() as u64),
                ("CoverageRemoved", outcome.coverage_removed as u64),
                (
                    "OcsfRecordsWritten",
                    outcome.ocsf_objects.iter().map(|o| o.records as u64).sum(),
                ),
                ("OcsfObjectsWritten", outcome.ocsf_objects.len() as u64),
                ("ApiCalls", outcome.api_calls),
            ],
        );
        if let Some(dead) = &self.dead_letters {
            dead.bury(&last, &mut outcome.failed).await;
        }
        outcome.response()
    }

    /// Resolves and stores the batch; what `deadline` leaves no time for is failed, for SQS
    /// to deliver again.
    pub async fn process(&self, event: SqsEvent, deadline: Deadline) -> BatchOutcome {
        let api_calls = AtomicU64::new(0);
        let resolved = self
            .resolver
            .resolve(Record::from_sqs(event), &api_calls)
            .await;
        let mut outcome = BatchOutcome {
            failed: resolved.failed,
            ignored: resolved.ignored,
            gone: resolved.gone,
            details_unavailable: resolved.details_unavailable,
            ..BatchOutcome::default()
        };
        self.store(
            newest_per_finding(resolved.documents),
            &mut outcome,
            &api_calls,
            deadline,
        )
        .await;
        self.store_coverage(resolved.coverage, &mut outcome, &api_calls, deadline)
            .await;
        for (request, message_id, queue_arn) in resolved.sweeps {
            let Some(queue_arn) = queue_arn else {
                outcome.failed.insert(message_id, "a coverage sweep request must come from send-findings' SQS queue (its pages go back there); this one names no queue".to_owned());
                continue;
            };
            match self
                .sweeper
                .sweep(
                    &request,
                    &queue_arn,
                    &self.s3,
                    self.coverage_index.as_ref(),
                    deadline,
                    &api_calls,
                )
                .await
            {
                Ok(swept) => {
                    for region in swept {
                        outcome.sweep_pages_sent += region.pages_sent;
                        outcome.coverage_removed += region.removed;
                    }
                }
                Err(reason) => {
                    warn!(%message_id, %reason, "coverage sweep failed; the request will be retried");
                    outcome.failed.insert(message_id, reason);
                }
            }
        }
        outcome.api_calls = api_calls.into_inner();
        outcome
    }

    async fn store(
        &self,
        batched: Vec<Batched>,
        outcome: &mut BatchOutcome,
        api_calls: &AtomicU64,
        deadline: Deadline,
    ) {
        let mut failures: HashMap<String, String> = HashMap::new();
        let mut superseded: HashSet<String> = HashSet::new();
        let mut documents: Vec<(Finding, Vec<String>)> = Vec::with_capacity(batched.len());
        for chunk in batched.chunks(S3_CONCURRENCY) {
            if !deadline.allows(Duration::ZERO) {
                for batched in chunk {
                    failures.insert(batched.finding.id.clone(), DEADLINE_REACHED.to_owned());
                    documents.push((batched.finding.clone(), batched.message_ids.clone()));
                }
                continue;
            }
            let writes = join_all(chunk.iter().map(|b| self.s3.put(&b.finding, &b.earlier))).await;
            for (batched, written) in chunk.iter().zip(writes) {
                let finding = &batched.finding;
                // What S3 holds now (with the lifecycle fields) is what the index gets.
                let mut document = finding.clone();
                match written {
                    Ok(put) => {
                        api_calls.fetch_add(put.calls, Ordering::Relaxed);
                        if put.written == Written::Superseded {
                            superseded.insert(finding.id.clone());
                        }
                        document = put.document;
                    }
                    Err(err) => {
                        api_calls.fetch_add(err.calls, Ordering::Relaxed);
                        failures.insert(finding.id.clone(), format!("writing to S3: {err}"));
                    }
                }
                documents.push((document, batched.message_ids.clone()));
            }
        }
        if let Some(opensearch) = &self.opensearch {
            // A superseded state is not indexed: the newer one's own record indexes it (and
            // the index refuses older versions anyway).
            let to_index: Vec<&Finding> = documents
                .iter()
                .map(|(f, _)| f)
                .filter(|f| !superseded.contains(&f.id) && !failures.contains_key(&f.id))
                .collect();
            let sent_before = opensearch.requests_sent();
            let index_failures = opensearch.index(&to_index, deadline).await;
            api_calls.fetch_add(opensearch.requests_sent() - sent_before, Ordering::Relaxed);
            for (id, reason) in index_failures {
                failures.entry(id).or_insert(reason);
            }
        }
        if let Some(ocsf) = &self.ocsf {
            // Every stored state, a redelivered one too: its first delivery may have failed
            // here after S3 took it. A redelivered batch rewrites the same objects.
            let to_write: Vec<&Finding> = documents
                .iter()
                .map(|(f, _)| f)
                .filter(|f| !superseded.contains(&f.id) && !failures.contains_key(&f.id))
                .collect();
            if !to_write.is_empty() && !deadline.allows(Duration::ZERO) {
                for finding in to_write {
                    failures.insert(finding.id.clone(), DEADLINE_REACHED.to_owned());
                }
            } else if !to_write.is_empty() {
                for (written, ids) in ocsf.write(&to_write).await {
                    match written {
                        Ok(object) => {
                            api_calls.fetch_add(1, Ordering::Relaxed);
                            info!(key = %object.key, records = object.records, bytes = object.bytes, "OCSF records written");
                            outcome.ocsf_objects.push(object);
                        }
                        Err(reason) => {
                            api_calls.fetch_add(1, Ordering::Relaxed);
                            for id in ids {
                                failures.entry(id).or_insert_with(|| reason.clone());
                            }
                        }
                    }
                }
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
                None if superseded.contains(&finding.id) => {
                    info!(finding_id = %finding.id, account = %finding.account_id, region = %finding.region, "a newer state of the finding is stored; this one is not");
                    outcome.superseded.push(finding);
                }
                None => {
                    info!(finding_id = %finding.id, account = %finding.account_id, region = %finding.region, severity = finding.severity.as_str(), "finding stored");
                    outcome.stored.push(finding);
                }
            }
        }
    }
}

impl SendFindings {
    /// Writes the newest state of each coverage document to S3, then indexes what S3
    /// holds; a record fails with the first of its documents that did not make it.
    async fn store_coverage(
        &self,
        records: Vec<(Coverage, String)>,
        outcome: &mut BatchOutcome,
        api_calls: &AtomicU64,
        deadline: Deadline,
    ) {
        let mut newest: BTreeMap<String, (Coverage, Vec<String>)> = BTreeMap::new();
        for (coverage, message_id) in records {
            match newest.entry(coverage.id.clone()) {
                btree_map::Entry::Vacant(entry) => {
                    entry.insert((coverage, vec![message_id]));
                }
                btree_map::Entry::Occupied(mut entry) => {
                    let (kept, ids) = entry.get_mut();
                    ids.push(message_id);
                    if coverage.supersedes(kept) {
                        *kept = coverage;
                    }
                }
            }
        }
        let newest: Vec<(Coverage, Vec<String>)> = newest.into_values().collect();
        let mut failures: HashMap<String, String> = HashMap::new();
        let mut stored: Vec<(Coverage, &[String])> = Vec::new();
        for chunk in newest.chunks(S3_CONCURRENCY) {
            if !deadline.allows(Duration::ZERO) {
                for (coverage, _) in chunk {
                    failures.insert(coverage.id.clone(), DEADLINE_REACHED.to_owned());
                }
                continue;
            }
            let writes = join_all(chunk.iter().map(|(c, _)| self.s3.put_coverage(c))).await;
            for ((coverage, message_ids), written) in chunk.iter().zip(writes) {
                match written {
                    Ok(put) => {
                        api_calls.fetch_add(put.calls, Ordering::Relaxed);
                        match put.written {
                            CoverageWritten::Superseded => outcome.coverage_superseded += 1,
                            CoverageWritten::Unchanged => {
                                outcome.coverage_unchanged += 1;
                                stored.push((put.document, message_ids));
                            }
                            CoverageWritten::Stored => stored.push((put.document, message_ids)),
                        }
                    }
                    Err(err) => {
                        api_calls.fetch_add(err.calls, Ordering::Relaxed);
                        failures.insert(
                            coverage.id.clone(),
                            format!("writing coverage to S3: {err}"),
                        );
                    }
                }
            }
        }
        if let Some(index) = &self.coverage_index {
            // Unchanged ones too: their earlier indexing may have been what failed.
            let documents: Vec<&Coverage> = stored.iter().map(|(c, _)| c).collect();
            let sent_before = index.requests_sent();
            let index_failures = index.index(&documents, deadline).await;
            api_calls.fetch_add(index.requests_sent() - sent_before, Ordering::Relaxed);
            failures.extend(index_failures);
        }
        for (coverage, message_ids) in &newest {
            if let Some(reason) = failures.get(&coverage.id) {
                warn!(coverage_id = %coverage.id, resource_id = %coverage.resource_id, %reason, "coverage not stored");
                for id in message_ids {
                    outcome
                        .failed
                        .entry(id.clone())
                        .or_insert_with(|| reason.clone());
                }
            }
        }
        for (coverage, _) in stored {
            if !failures.contains_key(&coverage.id) {
                info!(coverage_id = %coverage.id, account = %coverage.account_id, region = %coverage.region, resource_id = %coverage.resource_id, scan_status = coverage.scan_status.as_str(), reason = %coverage.scan_status_reason, "coverage stored");
                outcome.coverage.push(coverage);
            }
        }
    }
}

/// A finding's newest state in a batch, the older states of it in the same batch, and
/// the records that reported any of them.
struct Batched {
    finding: Finding,
    earlier: Vec<Finding>,
    message_ids: Vec<String>,
}

/// One document per finding. Two events of one Inspector v2 finding in a batch (ACTIVE,
/// then CLOSED) would race to the same S3 key and document: only the newer is stored (the
/// older ones are followed for its lifecycle and history), and all their records are done
/// when it is.
fn newest_per_finding(documents: Vec<(Finding, Vec<String>)>) -> Vec<Batched> {
    let mut newest: BTreeMap<String, Batched> = BTreeMap::new();
    for (finding, message_ids) in documents {
        match newest.entry(finding.id.clone()) {
            btree_map::Entry::Vacant(entry) => {
                entry.insert(Batched {
                    finding,
                    earlier: Vec::new(),
                    message_ids,
                });
            }
            btree_map::Entry::Occupied(mut entry) => {
                let kept = entry.get_mut();
                kept.message_ids.extend(message_ids);
                if finding.supersedes(&kept.finding) {
                    let older = std::mem::replace(&mut kept.finding, finding);
                    kept.earlier.push(older);
                } else {
                    kept.earlier.push(finding);
                }
            }
        }
    }
    newest.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Status;
    use crate::message::{parse_record_body, Notification};

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
            let documents = newest_per_finding(vec![
                (order[0].clone(), vec!["m1".to_owned()]),
                (order[1].clone(), vec!["m2".to_owned()]),
            ]);
            let [batched]: [_; 1] = documents.try_into().ok().unwrap();
            assert_eq!(batched.finding.status, Status::Closed);
            assert_eq!(batched.earlier[0].status, Status::Active);
            assert_eq!(batched.message_ids, ["m1", "m2"]);
        }
    }
}
