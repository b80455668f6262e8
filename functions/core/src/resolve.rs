//! From record bodies to findings, shared by send-findings and notify-findings: parse every
//! record, group Classic findings by member account and region, describe them in batches
//! (≤ 10 per call), enrich them from EC2 (one DescribeInstances per account and region);
//! Inspector v2 events carry the whole finding and skip both, and their package
//! vulnerability findings get the details the event lacks (details.rs). Says exactly
//! which records failed and why.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;

use aws_lambda_events::event::sns::SnsEvent;
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use aws_smithy_types::error::display::DisplayErrorContext;
use futures::future::join_all;
use tracing::{error, info, warn};

use crate::accounts::MemberAccounts;
use crate::classic::{ClassicFinding, InstanceDetails};
use crate::details::DetailsSource;
use crate::enrich::{describe_findings, describe_instances};
use crate::finding::{Enrichment, EnrichmentStatus, Finding};
use crate::message::{parse_record_body, Notification};
use inspectorlink_findings::sweep::SweepRequest;
use inspectorlink_findings::Coverage;

/// One SQS message or SNS notification: its id (what a partial batch response names) and body.
#[derive(Debug, Clone)]
pub struct Record {
    pub message_id: String,
    pub body: String,
    /// The queue's ARN (SQS), where a coverage sweep sends its pages.
    pub source_arn: Option<String>,
}

impl Record {
    /// The records of an SQS batch. A record without a message id cannot be reported as
    /// failed, so it is logged and skipped (SQS always sets one).
    pub fn from_sqs(event: SqsEvent) -> Vec<Record> {
        event
            .records
            .into_iter()
            .filter_map(|record| {
                let Some(message_id) = record.message_id else {
                    error!(
                        "an SQS record without messageId cannot be reported as failed; skipping it"
                    );
                    return None;
                };
                Some(Record {
                    message_id,
                    body: record.body.unwrap_or_default(),
                    source_arn: record.event_source_arn,
                })
            })
            .collect()
    }

    /// The notifications of an SNS invocation (a function subscribed to the topic directly).
    pub fn from_sns(event: SnsEvent) -> Vec<Record> {
        event
            .records
            .into_iter()
            .map(|record| Record {
                message_id: record.sns.message_id,
                body: record.sns.message,
                source_arn: None,
            })
            .collect()
    }
}

/// An SQS partial batch response naming the `failed` message ids; each is logged with its reason.
pub fn batch_response(failed: &BTreeMap<String, String>) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failed
        .iter()
        .map(|(id, reason)| {
            // One line per failed record, by its message id: what explains a message that
            // ends in the dead-letter queue.
            warn!(message_id = %id, %reason, "record failed: SQS delivers it again, and moves it to the dead-letter queue after max_receive_count receives");
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id.clone();
            failure
        })
        .collect();
    response
}

/// What the records of a batch came to.
#[derive(Debug, Default)]
pub struct Resolved {
    /// Each finding with the message ids that reported it (a redelivery can put the same
    /// Classic finding twice in one batch). Every Inspector v2 event is its own document:
    /// one batch may hold several states of one finding.
    pub documents: Vec<(Finding, Vec<String>)>,
    /// message id → why it failed.
    pub failed: BTreeMap<String, String>,
    /// Records that are not findings (run started, completed, ...): acknowledged.
    pub ignored: usize,
    /// Findings Inspector no longer has: acknowledged, nothing to do.
    pub gone: usize,
    /// Documents left without Inspector v2 details because the call failed (they are
    /// still stored; the next event asks again).
    pub details_unavailable: usize,
    /// Coverage documents, each with the record that carried it (a sweep page carries many).
    pub coverage: Vec<(Coverage, String)>,
    /// Coverage sweep requests: the request, its message id and the queue it came from.
    pub sweeps: Vec<(SweepRequest, String, Option<String>)>,
}

/// The records of one account and region: finding ARN → the message ids that reported it.
type Group = BTreeMap<String, Vec<String>>;

/// Turns records into findings, reading Classic findings from the member accounts and
/// Inspector v2 details as the administrator.
pub struct FindingResolver {
    /// The member roles; None where the members have none (Inspector v2 needs none).
    pub members: Option<MemberAccounts>,
    pub details: DetailsSource,
}

impl FindingResolver {
    pub fn new(members: Option<MemberAccounts>, details: DetailsSource) -> Self {
        FindingResolver { members, details }
    }

    /// Resolves `records`; every record ends up in exactly one of documents or coverage (by
    /// message id), sweeps, failed, ignored or gone. `api_calls` counts the Inspector and EC2 calls made.
    pub async fn resolve(&self, records: Vec<Record>, api_calls: &AtomicU64) -> Resolved {
        let mut resolved = Resolved::default();
        let mut groups: BTreeMap<(String, String), Group> = BTreeMap::new();
        for Record {
            message_id,
            body,
            source_arn,
        } in records
        {
            match parse_record_body(&body) {
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
                    resolved.ignored += 1;
                }
                // Inspector v2 events carry the whole finding: no describe call.
                Ok(Notification::V2Finding(finding)) => {
                    resolved.documents.push((*finding, vec![message_id]));
                }
                Ok(Notification::V2Coverage(coverage)) => {
                    resolved.coverage.push((*coverage, message_id));
                }
                Ok(Notification::CoverageSweepPage(documents)) => {
                    if documents.is_empty() {
                        resolved.ignored += 1;
                    }
                    for coverage in documents {
                        resolved.coverage.push((coverage, message_id.clone()));
                    }
                }
                Ok(Notification::CoverageSweep(request)) => {
                    resolved.sweeps.push((request, message_id, source_arn));
                }
                Ok(Notification::V2Other { detail_type }) => {
                    info!(%message_id, %detail_type, "not an Inspector v2 finding; acknowledged");
                    resolved.ignored += 1;
                }
                Err(reason) => {
                    warn!(%message_id, %reason, "unusable record; it will reach the dead-letter queue");
                    resolved.failed.insert(message_id, reason.to_string());
                }
            }
        }

        let group_results = join_all(groups.into_iter().map(|((account, region), group)| {
            self.describe_group(account, region, group, api_calls)
        }))
        .await;
        for result in group_results {
            resolved.documents.extend(result.documents);
            resolved.failed.extend(result.failed);
            resolved.gone += result.gone;
        }
        let added = self
            .details
            .add_to(
                resolved.documents.iter_mut().map(|(finding, _)| finding),
                api_calls,
            )
            .await;
        resolved.details_unavailable = added.unavailable;
        resolved
    }

    async fn describe_group(
        &self,
        account: String,
        region: String,
        group: Group,
        api_calls: &AtomicU64,
    ) -> Resolved {
        let mut result = Resolved::default();
        let fail_all = |result: &mut Resolved, reason: String| {
            for ids in group.values() {
                for id in ids {
                    result.failed.insert(id.clone(), reason.clone());
                }
            }
        };
        let Some(members) = &self.members else {
            let reason = format!(
                "an Inspector Classic finding of account {account} {region}, but no member role is configured (MEMBER_ROLE_NAME is unset): deploy modules/member-account in that account and set security-primary's member_roles = true"
            );
            error!(%account, %region, %reason, "findings of this account and region failed");
            fail_all(&mut result, reason);
            return result;
        };
        let config = members.config(&account, &region).await;
        let inspector = aws_sdk_inspector::Client::new(&config);
        let arns: Vec<String> = group.keys().cloned().collect();
        let described = match describe_findings(&inspector, &arns, api_calls).await {
            Ok(described) => described,
            Err(err) => {
                let reason = format!(
                    "describing findings in account {account} {region} as {}: {}",
                    members.role_arn(&account, &region),
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
        let (instances, lookup_error) = match describe_instances(&ec2, &instance_ids, api_calls)
            .await
        {
            Ok(instances) => (instances, None),
            // Findings are still worth storing without enrichment; say why in the
            // document, and in the log for whoever watches the function.
            Err(err) => {
                let reason = format!(
                    "ec2:DescribeInstances failed: {}",
                    DisplayErrorContext(&err)
                );
                warn!(%account, %region, %reason, "instances not described: the findings go on without their details");
                (BTreeMap::new(), Some(reason))
            }
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
}

fn normalise(
    classic: &ClassicFinding,
    instances: &BTreeMap<String, InstanceDetails>,
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
