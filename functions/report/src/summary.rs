//! What the report shows, computed from the findings (and the coverage documents) alone:
//! pure, so every number in the HTML can be unit-tested here and compared with S3 in the
//! integration tests.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use inspectorlink_findings::{Coverage, Finding, ScanStatus, Severity, Status};

use crate::dates::{Bucketing, Day};

/// How many severities there are: the length of every per-severity count.
pub const SEVERITY_COUNT: usize = 6;

/// Every severity, most severe first (the order of the report's rows and legends); UNTRIAGED
/// (not rated yet) between LOW and INFORMATIONAL, where `Severity` orders it.
pub const SEVERITIES: [Severity; SEVERITY_COUNT] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Untriaged,
    Severity::Informational,
];

/// Every status, open first.
pub const STATUSES: [Status; 3] = [Status::Active, Status::Closed, Status::Suppressed];

/// The status as stored (`ACTIVE`, `CLOSED`, `SUPPRESSED`).
pub fn status_str(status: Status) -> &'static str {
    match status {
        Status::Active => "ACTIVE",
        Status::Closed => "CLOSED",
        Status::Suppressed => "SUPPRESSED",
    }
}

/// How many of each table the report lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub top_risks: usize,
    pub top_instances: usize,
    pub top_cves: usize,
    /// Rows of the account, region and finding-type breakdowns before "others".
    pub groups: usize,
    /// Not-scanned resources listed per account before "and N more".
    pub not_scanned_listed: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            top_risks: 25,
            top_instances: 15,
            top_cves: 15,
            groups: 12,
            not_scanned_listed: 50,
        }
    }
}

/// All findings and the open (ACTIVE) ones among them, for one group (an account, a
/// region, a finding type or a severity).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Count {
    pub all: usize,
    pub open: usize,
}

impl Count {
    fn add(&mut self, finding: &Finding) {
        self.all += 1;
        if finding.status == Status::Active {
            self.open += 1;
        }
    }
}

/// One row of a breakdown: the group's key and its counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub key: String,
    pub count: Count,
}

/// A breakdown with at most `Limits::groups` rows; the rest is summed in `others`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Breakdown {
    pub groups: Vec<Group>,
    /// How many groups were folded into `others`, and their counts.
    pub others_groups: usize,
    pub others: Count,
}

/// An instance (or other resource) with open findings.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    pub resource_id: String,
    pub resource_type: String,
    pub hostname: Option<String>,
    pub account_id: String,
    pub region: String,
    /// Open findings per severity, in `SEVERITIES` order.
    pub open_by_severity: [usize; SEVERITY_COUNT],
    pub open: usize,
    pub worst: Severity,
    pub max_score: Option<f64>,
}

/// A CVE named by open findings.
#[derive(Debug, Clone, PartialEq)]
pub struct Cve {
    pub id: String,
    /// Open findings naming it.
    pub open: usize,
    /// Distinct resources with an open finding naming it.
    pub resources: usize,
    pub worst: Severity,
    pub max_score: Option<f64>,
    /// Title and recommendation of its most severe (then most recently seen) finding.
    pub title: String,
    pub recommendation: String,
}

/// New findings (by day first observed) per time bucket and severity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    pub bucketing: Bucketing,
    /// (bucket start, counts in `SEVERITIES` order), every bucket from first to last.
    pub buckets: Vec<(Day, [usize; SEVERITY_COUNT])>,
    /// Findings whose first_observed_at is not an RFC 3339 date (not in any bucket).
    pub undated: usize,
}

/// Everything the report shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub total: usize,
    /// Per status, in `STATUSES` order.
    pub by_status: [usize; 3],
    /// Per severity, in `SEVERITIES` order.
    pub by_severity: [Count; SEVERITY_COUNT],
    pub by_account: Breakdown,
    pub by_region: Breakdown,
    pub by_finding_type: Breakdown,
    pub accounts: usize,
    pub regions: usize,
    /// Distinct resources with at least one finding, and with at least one open finding.
    pub resources: usize,
    pub open_resources: usize,
    /// Distinct CVEs named by open findings.
    pub open_cves: usize,
    pub top_instances: Vec<Instance>,
    pub top_cves: Vec<Cve>,
    /// Open findings, most severe first.
    pub top_risks: Vec<Finding>,
    pub timeline: Timeline,
    /// Earliest first_observed_at and latest last_observed_at (RFC 3339 strings).
    pub first_observed: Option<String>,
    pub last_observed: Option<String>,
    /// Mean time to remediate by severity (SEVERITIES order): closed Inspector v2
    /// findings with a `time_to_remediate_seconds`.
    pub remediation: [Remediation; SEVERITY_COUNT],
    /// SLA ageing, when the summary is aged on a day (`Summary::aged`).
    pub overdue: Overdue,
    /// What Inspector v2 scans and what it does not, when coverage documents were read
    /// (`Summary::covered`); None when they were not (not: when there were none).
    pub coverage: Option<CoverageSummary>,
}

/// The resource type a coverage document without one is counted under.
pub const UNKNOWN_RESOURCE_TYPE: &str = "(unknown)";

/// Coverage: one document per resource and scan type (a Lambda function is covered by
/// package and by code scanning), so every count here is of resources by scan type.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CoverageSummary {
    /// Coverage documents read.
    pub total: usize,
    /// `scan_status` ACTIVE.
    pub scanned: usize,
    /// `scan_status` INACTIVE.
    pub not_scanned: usize,
    /// Not scanned, per `scan_status_reason` over every account, most first.
    pub reasons: Vec<(String, usize)>,
    /// The resource types among the not-scanned, sorted: the columns of `NotScanned::reasons`.
    pub resource_types: Vec<String>,
    /// Not scanned, per account, most first.
    pub accounts: Vec<NotScanned>,
}

/// The resources of one account that Inspector does not scan.
#[derive(Debug, Clone, PartialEq)]
pub struct NotScanned {
    pub account_id: String,
    pub total: usize,
    /// Per reason, most first.
    pub reasons: Vec<NotScannedReason>,
    /// The first `Limits::not_scanned_listed`, by reason, resource type, region,
    /// resource and scan type.
    pub listed: Vec<Coverage>,
    /// How many more there are.
    pub more: usize,
}

/// The not-scanned resources of one account for one reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotScannedReason {
    pub reason: String,
    pub total: usize,
    /// Per resource type, in `CoverageSummary::resource_types` order.
    pub by_type: Vec<usize>,
}

impl CoverageSummary {
    pub fn of(coverage: &[Coverage], limits: Limits) -> CoverageSummary {
        fn resource_type(c: &Coverage) -> &str {
            c.resource_type.as_deref().unwrap_or(UNKNOWN_RESOURCE_TYPE)
        }
        let mut not_scanned: Vec<&Coverage> = coverage
            .iter()
            .filter(|c| c.scan_status == ScanStatus::Inactive)
            .collect();
        not_scanned.sort_by(|a, b| {
            (
                &a.account_id,
                &a.scan_status_reason,
                resource_type(a),
                &a.region,
                &a.resource_id,
                &a.scan_type,
            )
                .cmp(&(
                    &b.account_id,
                    &b.scan_status_reason,
                    resource_type(b),
                    &b.region,
                    &b.resource_id,
                    &b.scan_type,
                ))
        });
        let resource_types: Vec<String> = not_scanned
            .iter()
            .map(|c| resource_type(c))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .map(str::to_owned)
            .collect();
        let column = |c: &Coverage| {
            resource_types
                .iter()
                .position(|t| t == resource_type(c))
                .expect("every type is a column")
        };
        let mut reasons: HashMap<&str, usize> = HashMap::new();
        let mut accounts: Vec<NotScanned> = Vec::new();
        for document in &not_scanned {
            *reasons.entry(&document.scan_status_reason).or_default() += 1;
            if accounts
                .last()
                .is_none_or(|a| a.account_id != document.account_id)
            {
                accounts.push(NotScanned {
                    account_id: document.account_id.clone(),
                    total: 0,
                    reasons: Vec::new(),
                    listed: Vec::new(),
                    more: 0,
                });
            }
            let account = accounts.last_mut().expect("pushed above");
            account.total += 1;
            if account
                .reasons
                .last()
                .is_none_or(|r| r.reason != document.scan_status_reason)
            {
                account.reasons.push(NotScannedReason {
                    reason: document.scan_status_reason.clone(),
                    total: 0,
                    by_type: vec![0; resource_types.len()],
                });
            }
            let reason = account.reasons.last_mut().expect("pushed above");
            reason.total += 1;
            reason.by_type[column(document)] += 1;
            if account.listed.len() < limits.not_scanned_listed {
                account.listed.push((*document).clone());
            } else {
                account.more += 1;
            }
        }
        for account in &mut accounts {
            account
                .reasons
                .sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.reason.cmp(&b.reason)));
        }
        accounts.sort_by(|a, b| {
            b.total
                .cmp(&a.total)
                .then_with(|| a.account_id.cmp(&b.account_id))
        });
        let mut reasons: Vec<(String, usize)> = reasons
            .into_iter()
            .map(|(reason, n)| (reason.to_owned(), n))
            .collect();
        reasons.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        CoverageSummary {
            total: coverage.len(),
            scanned: coverage.len() - not_scanned.len(),
            not_scanned: not_scanned.len(),
            reasons,
            resource_types,
            accounts,
        }
    }
}

/// Days an open finding of each severity may stay open (SEVERITIES order; None: no
/// deadline), counted from `first_observed_at`. A finding in CISA's KEV is also due by the
/// catalogue's due date, whichever comes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaDays(pub [Option<i64>; SEVERITY_COUNT]);

impl Default for SlaDays {
    /// CRITICAL 15, HIGH 30, MEDIUM 90, LOW 180 days; UNTRIAGED and INFORMATIONAL none.
    fn default() -> Self {
        SlaDays([Some(15), Some(30), Some(90), Some(180), None, None])
    }
}

impl SlaDays {
    /// The defaults with the overrides of `spec`, a comma-separated list of SEVERITY=DAYS
    /// (`CRITICAL=7,HIGH=14`; DAYS a whole number from 1, or `none` for no deadline), as
    /// the CLI's `--sla-days` and the report Lambda's SLA_DAYS take it.
    pub fn parse(spec: &str) -> Result<SlaDays, String> {
        let mut sla = SlaDays::default();
        for item in spec.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let Some((name, days)) = item.split_once('=') else {
                return Err(format!("{item:?} is not SEVERITY=DAYS (e.g. CRITICAL=7)"));
            };
            let name = name.trim().to_ascii_uppercase();
            let Some(severity) = SEVERITIES.into_iter().find(|s| s.as_str() == name) else {
                return Err(format!(
                    "{name:?} is no severity: give one of {}",
                    SEVERITIES.map(Severity::as_str).join(", ")
                ));
            };
            sla.0[severity_index(severity)] = match days.trim() {
                "none" => None,
                days => match days.parse::<i64>() {
                    Ok(days) if days >= 1 => Some(days),
                    _ => {
                        return Err(format!(
                            "{name}={days}: give whole days from 1, or none for no deadline"
                        ))
                    }
                },
            };
        }
        Ok(sla)
    }

    pub fn days(&self, severity: Severity) -> Option<i64> {
        self.0[severity_index(severity)]
    }

    /// The day an open finding is due, None without a deadline.
    pub fn due(&self, finding: &Finding) -> Option<Day> {
        let by_severity = self
            .days(finding.severity)
            .and_then(|days| Some(Day::parse(&finding.first_observed_at)?.plus(days)));
        let by_kev = finding
            .details
            .as_ref()
            .and_then(|d| d.kev.as_ref())
            .and_then(|kev| Day::parse(kev.due_date.as_deref()?));
        match (by_severity, by_kev) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// Closed findings with a time to remediate, and its sum, for one severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Remediation {
    pub closed: usize,
    pub total_seconds: i64,
}

impl Remediation {
    /// The mean time to remediate in days, None when nothing was remediated.
    pub fn mean_days(&self) -> Option<f64> {
        (self.closed > 0).then(|| self.total_seconds as f64 / self.closed as f64 / 86_400.0)
    }
}

/// Open findings past their SLA (`SlaDays::due`) on a given day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overdue {
    /// The day they are aged on (the report's "generated at").
    pub on: Option<Day>,
    /// (account, overdue open findings), most first.
    pub by_account: Vec<(String, usize)>,
    pub total: usize,
    /// Of them, past a KEV due date.
    pub kev: usize,
    /// The SLA they were aged against.
    pub sla: SlaDays,
}

impl Overdue {
    pub fn of(findings: &[Finding], sla: &SlaDays, today: Day) -> Overdue {
        let mut by_account: HashMap<&str, usize> = HashMap::new();
        let (mut total, mut kev) = (0, 0);
        for finding in findings.iter().filter(|f| f.status == Status::Active) {
            let Some(due) = sla.due(finding) else {
                continue;
            };
            if today <= due {
                continue;
            }
            total += 1;
            *by_account.entry(&finding.account_id).or_default() += 1;
            let kev_due = finding
                .details
                .as_ref()
                .and_then(|d| d.kev.as_ref())
                .and_then(|k| Day::parse(k.due_date.as_deref()?));
            if kev_due.is_some_and(|kev_due| today > kev_due) {
                kev += 1;
            }
        }
        let mut by_account: Vec<(String, usize)> = by_account
            .into_iter()
            .map(|(account, n)| (account.to_owned(), n))
            .collect();
        by_account.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Overdue {
            on: Some(today),
            by_account,
            total,
            kev,
            sla: *sla,
        }
    }
}

impl Summary {
    pub fn open(&self) -> usize {
        self.by_status[0]
    }

    pub fn severity(&self, severity: Severity) -> Count {
        self.by_severity[severity_index(severity)]
    }

    pub fn status(&self, status: Status) -> usize {
        self.by_status[STATUSES.iter().position(|s| *s == status).unwrap()]
    }
}

/// Position of a severity in `SEVERITIES`.
pub fn severity_index(severity: Severity) -> usize {
    SEVERITIES.iter().position(|s| *s == severity).unwrap()
}

/// Highest priority first (docs/finding-schema.md, "Priority"), then most severe, highest
/// score, most recently seen, and id (stable).
fn risk_order(a: &Finding, b: &Finding) -> std::cmp::Ordering {
    let priority = |f: &Finding| f.current_priority().score;
    priority(b)
        .cmp(&priority(a))
        .then_with(|| b.severity.cmp(&a.severity))
        .then_with(|| {
            let score = |f: &Finding| f.severity_score.unwrap_or(-1.0);
            score(b).total_cmp(&score(a))
        })
        .then_with(|| b.last_observed_at.cmp(&a.last_observed_at))
        .then_with(|| a.id.cmp(&b.id))
}

fn max_score(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn breakdown(counts: HashMap<&str, Count>, limit: usize) -> Breakdown {
    let mut groups: Vec<Group> = counts
        .into_iter()
        .map(|(key, count)| Group {
            key: key.to_owned(),
            count,
        })
        .collect();
    groups.sort_by(|a, b| {
        (Reverse(a.count.open), Reverse(a.count.all), &a.key).cmp(&(
            Reverse(b.count.open),
            Reverse(b.count.all),
            &b.key,
        ))
    });
    let rest = if groups.len() > limit {
        groups.split_off(limit)
    } else {
        Vec::new()
    };
    let mut others = Count::default();
    for group in &rest {
        others.all += group.count.all;
        others.open += group.count.open;
    }
    Breakdown {
        groups,
        others_groups: rest.len(),
        others,
    }
}

impl Summary {
    /// Aggregates `findings`: every count covers all of them; the ranked tables (top
    /// risks, instances, CVEs) cover the open ones, which are what needs attention.
    pub fn of(findings: &[Finding], limits: Limits) -> Summary {
        let mut by_status = [0; 3];
        let mut by_severity = [Count::default(); SEVERITY_COUNT];
        let mut by_account: HashMap<&str, Count> = HashMap::new();
        let mut by_region: HashMap<&str, Count> = HashMap::new();
        let mut by_finding_type: HashMap<&str, Count> = HashMap::new();
        let mut resources = BTreeSet::new();
        let mut instances: HashMap<(&str, &str, &str), Instance> = HashMap::new();
        let mut cves: HashMap<&str, (Cve, BTreeSet<&str>, &Finding)> = HashMap::new();
        let mut first_observed: Option<&str> = None;
        let mut last_observed: Option<&str> = None;
        let mut days: BTreeMap<Day, [usize; SEVERITY_COUNT]> = BTreeMap::new();
        let mut undated = 0;
        let mut remediation = [Remediation::default(); SEVERITY_COUNT];

        for finding in findings {
            let severity = severity_index(finding.severity);
            by_status[STATUSES.iter().position(|s| *s == finding.status).unwrap()] += 1;
            by_severity[severity].add(finding);
            by_account
                .entry(&finding.account_id)
                .or_default()
                .add(finding);
            by_region.entry(&finding.region).or_default().add(finding);
            let finding_type = if finding.finding_type.is_empty() {
                "(none)"
            } else {
                &finding.finding_type
            };
            by_finding_type
                .entry(finding_type)
                .or_default()
                .add(finding);
            resources.insert((&finding.account_id, &finding.region, &finding.resource.id));
            if first_observed.is_none_or(|t| finding.first_observed_at.as_str() < t) {
                first_observed = Some(&finding.first_observed_at);
            }
            if last_observed.is_none_or(|t| finding.last_observed_at.as_str() > t) {
                last_observed = Some(&finding.last_observed_at);
            }
            match Day::parse(&finding.first_observed_at) {
                Some(day) => days.entry(day).or_default()[severity] += 1,
                None => undated += 1,
            }

            if let (Status::Closed, Some(seconds)) =
                (finding.status, finding.time_to_remediate_seconds)
            {
                remediation[severity].closed += 1;
                remediation[severity].total_seconds += seconds;
            }

            if finding.status != Status::Active {
                continue;
            }
            let instance = instances
                .entry((
                    finding.account_id.as_str(),
                    finding.region.as_str(),
                    finding.resource.id.as_str(),
                ))
                .or_insert_with(|| Instance {
                    resource_id: finding.resource.id.clone(),
                    resource_type: finding.resource.resource_type.clone(),
                    hostname: finding.resource.hostname.clone(),
                    account_id: finding.account_id.clone(),
                    region: finding.region.clone(),
                    open_by_severity: [0; SEVERITY_COUNT],
                    open: 0,
                    worst: finding.severity,
                    max_score: None,
                });
            instance.open_by_severity[severity] += 1;
            instance.open += 1;
            instance.worst = instance.worst.max(finding.severity);
            instance.max_score = max_score(instance.max_score, finding.severity_score);
            if instance.hostname.is_none() {
                instance.hostname = finding.resource.hostname.clone();
            }
            for cve_id in &finding.cve_ids {
                let (cve, cve_resources, representative) =
                    cves.entry(cve_id).or_insert_with(|| {
                        (
                            Cve {
                                id: cve_id.clone(),
                                open: 0,
                                resources: 0,
                                worst: finding.severity,
                                max_score: None,
                                title: String::new(),
                                recommendation: String::new(),
                            },
                            BTreeSet::new(),
                            finding,
                        )
                    });
                cve.open += 1;
                cve.worst = cve.worst.max(finding.severity);
                cve.max_score = max_score(cve.max_score, finding.severity_score);
                cve_resources.insert(&finding.resource.id);
                if risk_order(finding, representative).is_lt() {
                    *representative = finding;
                }
            }
        }

        let mut top_instances: Vec<Instance> = instances.into_values().collect();
        top_instances.sort_by(|a, b| {
            b.worst
                .cmp(&a.worst)
                .then(b.open_by_severity.cmp(&a.open_by_severity))
                .then_with(|| {
                    (&a.account_id, &a.region, &a.resource_id).cmp(&(
                        &b.account_id,
                        &b.region,
                        &b.resource_id,
                    ))
                })
        });
        let open_resources = top_instances.len();
        top_instances.truncate(limits.top_instances);

        let open_cves = cves.len();
        let mut top_cves: Vec<Cve> = cves
            .into_values()
            .map(|(mut cve, cve_resources, representative)| {
                cve.resources = cve_resources.len();
                cve.title = representative.title.clone();
                cve.recommendation = representative.recommendation.clone();
                cve
            })
            .collect();
        top_cves.sort_by(|a, b| {
            b.worst
                .cmp(&a.worst)
                .then(b.open.cmp(&a.open))
                .then(b.resources.cmp(&a.resources))
                .then_with(|| a.id.cmp(&b.id))
        });
        top_cves.truncate(limits.top_cves);

        let mut open: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.status == Status::Active)
            .collect();
        open.sort_by(|a, b| risk_order(a, b));
        let top_risks = open.into_iter().take(limits.top_risks).cloned().collect();

        let accounts = by_account.len();
        let regions = by_region.len();
        Summary {
            total: findings.len(),
            by_status,
            by_severity,
            by_account: breakdown(by_account, limits.groups),
            by_region: breakdown(by_region, limits.groups),
            by_finding_type: breakdown(by_finding_type, limits.groups),
            accounts,
            regions,
            resources: resources.len(),
            open_resources,
            open_cves,
            top_instances,
            top_cves,
            top_risks,
            timeline: Timeline::of(days, undated),
            first_observed: first_observed.map(str::to_owned),
            last_observed: last_observed.map(str::to_owned),
            remediation,
            overdue: Overdue::default(),
            coverage: None,
        }
    }

    /// This summary with the coverage of `coverage` (the documents read, maybe none).
    pub fn covered(mut self, coverage: &[Coverage], limits: Limits) -> Summary {
        self.coverage = Some(CoverageSummary::of(coverage, limits));
        self
    }

    /// This summary with `findings` aged against `sla` on `today`.
    pub fn aged(mut self, findings: &[Finding], sla: &SlaDays, today: Day) -> Summary {
        self.overdue = Overdue::of(findings, sla, today);
        self
    }
}

impl Timeline {
    fn of(days: BTreeMap<Day, [usize; SEVERITY_COUNT]>, undated: usize) -> Timeline {
        let (Some(first), Some(last)) = (days.keys().next(), days.keys().next_back()) else {
            return Timeline {
                bucketing: Bucketing::Day,
                buckets: Vec::new(),
                undated,
            };
        };
        let bucketing = Bucketing::for_span(*first, *last);
        let mut buckets: BTreeMap<Day, [usize; SEVERITY_COUNT]> = bucketing
            .starts(*first, *last)
            .into_iter()
            .map(|start| (start, [0; SEVERITY_COUNT]))
            .collect();
        for (day, counts) in days {
            let bucket = buckets.get_mut(&bucketing.start_of(day)).unwrap();
            for (total, n) in bucket.iter_mut().zip(counts) {
                *total += n;
            }
        }
        Timeline {
            bucketing,
            buckets: buckets.into_iter().collect(),
            undated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use inspectorlink_findings::testing::finding;

    #[test]
    fn counts_cover_every_finding_and_open_means_active() {
        let findings = vec![
            finding(
                "a",
                "111111111111",
                "us-east-1",
                Severity::High,
                Status::Active,
            ),
            finding(
                "b",
                "111111111111",
                "us-east-1",
                Severity::High,
                Status::Closed,
            ),
            finding(
                "c",
                "222222222222",
                "us-west-2",
                Severity::Low,
                Status::Suppressed,
            ),
            finding(
                "d",
                "222222222222",
                "us-west-2",
                Severity::Critical,
                Status::Active,
            ),
        ];
        let summary = Summary::of(&findings, Limits::default());
        assert_eq!(summary.total, 4);
        assert_eq!(summary.by_status, [2, 1, 1]);
        assert_eq!(summary.open(), 2);
        assert_eq!(summary.severity(Severity::High), Count { all: 2, open: 1 });
        assert_eq!(
            summary.severity(Severity::Critical),
            Count { all: 1, open: 1 }
        );
        assert_eq!(summary.severity(Severity::Medium), Count::default());
        assert_eq!(summary.accounts, 2);
        assert_eq!(summary.regions, 2);
        assert_eq!(
            summary.by_account.groups,
            vec![
                Group {
                    key: "111111111111".into(),
                    count: Count { all: 2, open: 1 }
                },
                Group {
                    key: "222222222222".into(),
                    count: Count { all: 2, open: 1 }
                },
            ]
        );
        // The ranked tables hold open findings only, highest priority first.
        let ids: Vec<&str> = summary.top_risks.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["d", "a"]);
    }

    #[test]
    fn a_medium_finding_being_exploited_is_a_higher_risk_than_a_quiet_high_one() {
        let quiet = finding(
            "quiet",
            "111111111111",
            "us-east-1",
            Severity::High,
            Status::Active,
        );
        let exploited = Finding {
            epss_score: Some(0.6),
            exploit_available: Some(true),
            ..finding(
                "exploited",
                "111111111111",
                "us-east-1",
                Severity::Medium,
                Status::Active,
            )
        };
        let summary = Summary::of(&[quiet, exploited], Limits::default());
        let ids: Vec<&str> = summary.top_risks.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["exploited", "quiet"]);
    }

    #[test]
    fn breakdowns_fold_what_is_beyond_the_limit_into_others() {
        let findings: Vec<Finding> = (0..5)
            .map(|i| {
                finding(
                    &format!("f{i}"),
                    &format!("00000000000{i}"),
                    "us-east-1",
                    Severity::Low,
                    Status::Active,
                )
            })
            .collect();
        let summary = Summary::of(
            &findings,
            Limits {
                groups: 3,
                ..Limits::default()
            },
        );
        assert_eq!(summary.by_account.groups.len(), 3);
        assert_eq!(summary.by_account.others_groups, 2);
        assert_eq!(summary.by_account.others, Count { all: 2, open: 2 });
        assert_eq!(summary.accounts, 5);
    }

    #[test]
    fn instances_and_cves_rank_open_findings_by_worst_severity() {
        let mut a = finding(
            "a",
            "111111111111",
            "us-east-1",
            Severity::Medium,
            Status::Active,
        );
        a.resource.id = "i-1".into();
        a.cve_ids = vec!["CVE-2024-0001".into(), "CVE-2024-0002".into()];
        a.title = "medium openssl".into();
        let mut b = finding(
            "b",
            "111111111111",
            "us-east-1",
            Severity::Critical,
            Status::Active,
        );
        b.resource.id = "i-2".into();
        b.cve_ids = vec!["CVE-2024-0002".into()];
        b.title = "critical openssl".into();
        b.recommendation = "upgrade openssl".into();
        let mut c = finding(
            "c",
            "111111111111",
            "us-east-1",
            Severity::Critical,
            Status::Closed,
        );
        c.resource.id = "i-3".into();
        c.cve_ids = vec!["CVE-2024-0003".into()];
        let mut d = finding(
            "d",
            "111111111111",
            "us-east-1",
            Severity::Low,
            Status::Active,
        );
        d.resource.id = "i-1".into();
        let summary = Summary::of(&[a, b, c, d], Limits::default());

        let instances: Vec<(&str, usize, Severity)> = summary
            .top_instances
            .iter()
            .map(|i| (i.resource_id.as_str(), i.open, i.worst))
            .collect();
        assert_eq!(
            instances,
            [("i-2", 1, Severity::Critical), ("i-1", 2, Severity::Medium)]
        );
        assert_eq!(summary.open_resources, 2);
        assert_eq!(summary.resources, 3);

        assert_eq!(
            summary.open_cves, 2,
            "CVE-2024-0003 is only in a closed finding"
        );
        let top = &summary.top_cves[0];
        assert_eq!(top.id, "CVE-2024-0002");
        assert_eq!(
            (top.open, top.resources, top.worst),
            (2, 2, Severity::Critical)
        );
        assert_eq!(
            top.title, "critical openssl",
            "the most severe finding speaks for it"
        );
        assert_eq!(top.recommendation, "upgrade openssl");
        assert_eq!(summary.top_cves[1].id, "CVE-2024-0001");
    }

    #[test]
    fn the_timeline_fills_gaps_and_counts_by_day_first_observed() {
        let mut a = finding("a", "1", "r", Severity::High, Status::Active);
        a.first_observed_at = "2026-03-01T10:00:00Z".into();
        let mut b = finding("b", "1", "r", Severity::Low, Status::Closed);
        b.first_observed_at = "2026-03-03T23:59:59Z".into();
        let mut c = finding("c", "1", "r", Severity::High, Status::Active);
        c.first_observed_at = "2026-03-03T00:00:00Z".into();
        let mut d = finding("d", "1", "r", Severity::High, Status::Active);
        d.first_observed_at = "yesterday".into();
        let mut e = finding("e", "1", "r", Severity::Untriaged, Status::Active);
        e.first_observed_at = "2026-03-02T12:00:00Z".into();
        let summary = Summary::of(&[a, b, c, d, e], Limits::default());
        let timeline = &summary.timeline;
        assert_eq!(timeline.bucketing, Bucketing::Day);
        assert_eq!(timeline.undated, 1);
        let rows: Vec<(String, [usize; SEVERITY_COUNT])> = timeline
            .buckets
            .iter()
            .map(|(day, counts)| (day.to_string(), *counts))
            .collect();
        assert_eq!(
            rows,
            [
                ("2026-03-01".to_owned(), [0, 1, 0, 0, 0, 0]),
                // UNTRIAGED has its own column, between LOW and INFORMATIONAL.
                ("2026-03-02".to_owned(), [0, 0, 0, 0, 1, 0]),
                ("2026-03-03".to_owned(), [0, 1, 0, 1, 0, 0]),
            ]
        );
    }

    #[test]
    fn no_findings_is_an_empty_summary() {
        let summary = Summary::of(&[], Limits::default());
        assert_eq!(summary.total, 0);
        assert!(summary.top_risks.is_empty() && summary.timeline.buckets.is_empty());
        assert_eq!(summary.first_observed, None);
    }

    #[test]
    fn sla_days_take_overrides_and_say_what_is_wrong() {
        let sla = SlaDays::parse("critical=7, HIGH=none").unwrap();
        assert_eq!(sla.days(Severity::Critical), Some(7));
        assert_eq!(sla.days(Severity::High), None);
        assert_eq!(sla.days(Severity::Medium), Some(90), "the default stands");
        assert_eq!(SlaDays::parse("").unwrap(), SlaDays::default());
        for (bad, says) in [
            ("CRITICAL", "not SEVERITY=DAYS"),
            ("SEVERE=3", "no severity"),
            ("HIGH=0", "whole days from 1"),
            ("HIGH=2.5", "whole days from 1"),
        ] {
            let err = SlaDays::parse(bad).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }

    #[test]
    fn overdue_counts_open_findings_past_their_days_or_their_kev_due_date() {
        let open = |id: &str, account: &str, severity: Severity, first: &str| Finding {
            first_observed_at: format!("{first}T10:00:00Z"),
            ..finding(id, account, "us-east-1", severity, Status::Active)
        };
        let mut kev = open("k", "222222222222", Severity::Low, "2026-03-01");
        kev.details = Some(inspectorlink_findings::FindingDetails {
            kev: Some(inspectorlink_findings::Kev {
                date_added: None,
                due_date: Some("2026-03-10T00:00:00Z".to_owned()),
                required_action: None,
            }),
            ..inspectorlink_findings::FindingDetails::missing(
                inspectorlink_findings::DetailsStatus::Fetched,
                "",
            )
        });
        let findings = vec![
            // Due 2026-03-16: overdue from the 17th.
            open("c", "111111111111", Severity::Critical, "2026-03-01"),
            open("h", "111111111111", Severity::High, "2026-03-01"),
            open("i", "111111111111", Severity::Informational, "2020-01-01"),
            kev,
            Finding {
                first_observed_at: "2020-01-01T00:00:00Z".to_owned(),
                ..finding(
                    "x",
                    "111111111111",
                    "us-east-1",
                    Severity::Critical,
                    Status::Closed,
                )
            },
        ];
        let at = |day: &str| Overdue::of(&findings, &SlaDays::default(), Day::parse(day).unwrap());
        assert_eq!((at("2026-03-10").total, at("2026-03-10").kev), (0, 0));
        let kev_only = at("2026-03-11");
        assert_eq!((kev_only.total, kev_only.kev), (1, 1));
        assert_eq!(at("2026-03-16").total, 1, "the last day is still in time");
        let later = at("2026-04-01");
        assert_eq!(later.total, 3);
        assert_eq!(
            later.by_account,
            [
                ("111111111111".to_owned(), 2),
                ("222222222222".to_owned(), 1)
            ]
        );
    }

    #[test]
    fn mean_time_to_remediate_is_per_severity_over_closed_findings_with_a_time() {
        let closed = |id: &str, severity: Severity, days: Option<i64>| Finding {
            time_to_remediate_seconds: days.map(|d| d * 86_400),
            ..finding(id, "111111111111", "us-east-1", severity, Status::Closed)
        };
        let summary = Summary::of(
            &[
                closed("a", Severity::High, Some(2)),
                closed("b", Severity::High, Some(5)),
                closed("c", Severity::High, None),
                closed("d", Severity::Low, Some(30)),
            ],
            Limits::default(),
        );
        let high = summary.remediation[severity_index(Severity::High)];
        assert_eq!((high.closed, high.mean_days()), (2, Some(3.5)));
        assert_eq!(
            summary.remediation[severity_index(Severity::Critical)].mean_days(),
            None
        );
    }
}
