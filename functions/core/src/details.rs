//! Inspector v2 finding details (CISA KEV, exploitation observed, ATT&CK techniques and
//! tools) for package vulnerability findings, from BatchGetFindingDetails: at most 10 ARNs
//! a call, one call per account, region and 10 findings, as the Lambda itself (the
//! security account is Inspector's delegated administrator, which may read its members'
//! findings). Cached per execution environment by finding ARN and `updatedAt`, so a
//! redelivered or re-read state costs no call. A failed call never holds a finding back:
//! it is stored with `details.status = unavailable` and the reason, and its next event
//! asks again.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use aws_config::{Region, SdkConfig};
use aws_sdk_inspector2::types::{FindingDetail, FindingDetailsErrorCode};
use aws_smithy_types::date_time::Format;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::DateTime;
use futures::future::join_all;
use inspectorlink_findings::details::{DetailsStatus, ExploitObserved, FindingDetails, Kev};
use tracing::warn;

use crate::finding::{Engine, Finding};

/// BatchGetFindingDetails takes 1 to 10 finding ARNs.
pub const ARNS_PER_CALL: usize = 10;

/// Cached answers kept per execution environment; past this the cache starts again
/// (a warm Lambda sees a few thousand findings an hour; each entry is under a kilobyte).
const CACHE_CAPACITY: usize = 10_000;

/// The findings Inspector keeps details for.
pub fn wants_details(finding: &Finding) -> bool {
    finding.engine == Engine::InspectorV2 && finding.finding_type == "PACKAGE_VULNERABILITY"
}

pub struct DetailsSource {
    aws: SdkConfig,
    /// finding ARN → (`updated_at` of the state asked about, the answer). Only final
    /// answers (fetched, not found) are kept; an unavailable one is asked again.
    cache: Mutex<HashMap<String, (Option<String>, FindingDetails)>>,
}

/// What adding details to a batch came to.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct DetailsAdded {
    /// Findings stored without details because the call failed (EMF `DetailsUnavailable`).
    pub unavailable: usize,
}

impl DetailsSource {
    /// `aws` is the Lambda's own config: its role reads the details as the administrator.
    pub fn new(aws: SdkConfig) -> Self {
        DetailsSource {
            aws,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Sets `details` (and so the priority) of every finding in `findings` that
    /// [`wants_details`]. `api_calls` counts the BatchGetFindingDetails calls made.
    pub async fn add_to<'a>(
        &self,
        findings: impl IntoIterator<Item = &'a mut Finding>,
        api_calls: &AtomicU64,
    ) -> DetailsAdded {
        let mut to_ask: BTreeMap<(String, String), Vec<&'a mut Finding>> = BTreeMap::new();
        for finding in findings.into_iter().filter(|f| wants_details(f)) {
            match self.cached(finding) {
                Some(details) => finding.set_details(details),
                None => to_ask
                    .entry((finding.account_id.clone(), finding.region.clone()))
                    .or_default()
                    .push(finding),
            }
        }
        let mut calls = Vec::new();
        for ((account, region), group) in to_ask {
            let mut group = group.into_iter().peekable();
            while group.peek().is_some() {
                let chunk: Vec<&mut Finding> = group.by_ref().take(ARNS_PER_CALL).collect();
                calls.push(self.ask(account.clone(), region.clone(), chunk, api_calls));
            }
        }
        let unavailable = join_all(calls).await.into_iter().sum();
        DetailsAdded { unavailable }
    }

    fn cached(&self, finding: &Finding) -> Option<FindingDetails> {
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        match cache.get(&finding.finding_arn) {
            Some((updated_at, details)) if *updated_at == finding.updated_at => {
                Some(details.clone())
            }
            _ => None,
        }
    }

    fn remember(&self, finding: &Finding) {
        let Some(details) = &finding.details else {
            return;
        };
        if details.status == DetailsStatus::Unavailable {
            return;
        }
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CACHE_CAPACITY {
            cache.clear();
        }
        cache.insert(
            finding.finding_arn.clone(),
            (finding.updated_at.clone(), details.clone()),
        );
    }

    /// One call for up to 10 findings of one account and region; returns how many of them
    /// are left without details because it failed.
    async fn ask(
        &self,
        account: String,
        region: String,
        findings: Vec<&mut Finding>,
        api_calls: &AtomicU64,
    ) -> usize {
        let inspector = aws_sdk_inspector2::Client::from_conf(
            aws_sdk_inspector2::config::Builder::from(&self.aws)
                .region(Region::new(region.clone()))
                .build(),
        );
        // A batch may hold several states of one finding: each is asked about once.
        let arns: std::collections::BTreeSet<String> =
            findings.iter().map(|f| f.finding_arn.clone()).collect();
        api_calls.fetch_add(1, Ordering::Relaxed);
        let answer = inspector
            .batch_get_finding_details()
            .set_finding_arns(Some(arns.into_iter().collect()))
            .send()
            .await;
        let answer = match answer {
            Ok(answer) => answer,
            Err(err) => {
                let reason = format!(
                    "inspector2:BatchGetFindingDetails in {region} failed: {}",
                    DisplayErrorContext(&err)
                );
                warn!(%account, %region, findings = findings.len(), %reason, "storing these findings without details; their next event asks again");
                let unavailable = findings.len();
                for finding in findings {
                    finding.set_details(FindingDetails::missing(
                        DetailsStatus::Unavailable,
                        reason.clone(),
                    ));
                }
                return unavailable;
            }
        };
        let by_arn: HashMap<&str, &FindingDetail> = answer
            .finding_details()
            .iter()
            .filter_map(|d| d.finding_arn().map(|arn| (arn, d)))
            .collect();
        let errors: HashMap<&str, (&FindingDetailsErrorCode, &str)> = answer
            .errors()
            .iter()
            .map(|e| (e.finding_arn(), (e.error_code(), e.error_message())))
            .collect();
        let mut unavailable = 0;
        for finding in findings {
            let details = match (
                by_arn.get(finding.finding_arn.as_str()).copied(),
                errors.get(finding.finding_arn.as_str()),
            ) {
                (Some(detail), _) => fetched(detail),
                (None, Some((code, message))) => {
                    let reason = format!("{}: {message}", code.as_str());
                    match code {
                        // Final: Inspector keeps no details for it, or the ARN is not one.
                        FindingDetailsErrorCode::FindingDetailsNotFound
                        | FindingDetailsErrorCode::InvalidInput => {
                            FindingDetails::missing(DetailsStatus::NotFound, reason)
                        }
                        _ => {
                            warn!(finding_arn = %finding.finding_arn, %account, %region, %reason, "storing the finding without details; its next event asks again");
                            unavailable += 1;
                            FindingDetails::missing(DetailsStatus::Unavailable, reason)
                        }
                    }
                }
                (None, None) => {
                    unavailable += 1;
                    FindingDetails::missing(
                        DetailsStatus::Unavailable,
                        "BatchGetFindingDetails answered neither details nor an error for it",
                    )
                }
            };
            finding.set_details(details);
            self.remember(finding);
        }
        unavailable
    }
}

fn fetched(detail: &FindingDetail) -> FindingDetails {
    FindingDetails {
        status: DetailsStatus::Fetched,
        reason: None,
        // An empty section (no dates, no action) says nothing: not taken for an entry.
        kev: detail
            .cisa_data()
            .filter(|cisa| cisa.date_added().is_some() || cisa.action().is_some())
            .map(|cisa| Kev {
                date_added: cisa.date_added().and_then(rfc3339),
                due_date: cisa.date_due().and_then(rfc3339),
                required_action: cisa.action().map(str::to_owned),
            }),
        exploit_observed: detail
            .exploit_observed()
            .filter(|seen| seen.first_seen().is_some() || seen.last_seen().is_some())
            .map(|seen| ExploitObserved {
                first_seen: seen.first_seen().and_then(rfc3339),
                last_seen: seen.last_seen().and_then(rfc3339),
            }),
        ttps: detail.ttps().to_vec(),
        tools: detail.tools().to_vec(),
    }
}

fn rfc3339(time: &DateTime) -> Option<String> {
    time.fmt(Format::DateTime).ok()
}
