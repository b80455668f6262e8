//! The report as one self-contained HTML page: inline CSS, inline SVG charts, no script
//! and nothing fetched from the network. The markup is templates/report.html (askama,
//! checked at compile time) with its CSS in templates/report.css; this module computes
//! what the template shows. Every string from a finding is escaped (by [`Escape`]); every
//! number carries `data-metric` (+ `data-key`) and `data-value` so tests can read it.

use std::fmt;

use askama::Template;
use inspectorlink_findings::{Engine, Finding, Severity, Status};

use crate::summary::{
    status_str, Breakdown, Count, CoverageSummary, NotScanned, Summary, SEVERITIES, STATUSES,
};

/// What the page says about itself besides the findings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub title: String,
    /// Where the findings came from, e.g. `s3://bucket/findings/`.
    pub source: String,
    /// When the report was made (RFC 3339, UTC).
    pub generated_at: String,
    /// Objects that could not be read as findings (named on stderr / in the log).
    pub skipped: usize,
    /// Where the coverage documents came from, e.g. `s3://bucket/coverage/`; None when
    /// none were read.
    pub coverage_source: Option<String>,
    /// Objects there that could not be read as coverage documents (named likewise).
    pub coverage_skipped: usize,
}

/// The template's escaper: the five characters that matter in element content and quoted
/// attributes, as named entities (askama's own writes numeric ones).
#[derive(Debug, Clone, Copy, Default)]
pub struct Escape;

impl askama::filters::Escaper for Escape {
    fn write_escaped_str<W: fmt::Write>(&self, mut out: W, text: &str) -> fmt::Result {
        let mut rest = text;
        while let Some(at) = rest.find(['&', '<', '>', '"', '\'']) {
            out.write_str(&rest[..at])?;
            out.write_str(match rest.as_bytes()[at] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                _ => "&#39;",
            })?;
            rest = &rest[at + 1..];
        }
        out.write_str(rest)
    }
}

/// 1234567 → "1,234,567".
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A number the tests can find: `<tag data-metric=… data-key=… data-value=…>1,234</tag>`.
struct Metric {
    tag: &'static str,
    class: &'static str,
    name: String,
    key: Option<String>,
    value: usize,
}

impl Metric {
    fn new(tag: &'static str, name: impl Into<String>, key: Option<&str>, value: usize) -> Metric {
        Metric {
            tag,
            class: "",
            name: name.into(),
            key: key.map(str::to_owned),
            value,
        }
    }

    fn shown(&self) -> String {
        grouped(self.value)
    }
}

fn severity_class(severity: Severity) -> String {
    format!("sev-{}", severity.as_str().to_ascii_lowercase())
}

fn severity_label(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "Critical",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
        Severity::Untriaged => "Untriaged",
        Severity::Informational => "Informational",
    }
}

fn short_label(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "Crit",
        Severity::High => "High",
        Severity::Medium => "Med",
        Severity::Low => "Low",
        Severity::Untriaged => "Untr",
        Severity::Informational => "Info",
    }
}

/// A severity's colour class and names, for chips, swatches and legends.
struct SeverityKey {
    class: String,
    label: &'static str,
    short: &'static str,
}

impl SeverityKey {
    fn of(severity: Severity) -> SeverityKey {
        SeverityKey {
            class: severity_class(severity),
            label: severity_label(severity),
            short: short_label(severity),
        }
    }
}

fn score(score: Option<f64>) -> String {
    score
        .map(|s| format!("{s:.1}"))
        .unwrap_or_else(|| "–".into())
}

/// The engine's console in the finding's region (v2: its findings list; Classic: its home
/// page). Neither console documents a link to one finding, so the ARN is the link's title.
pub fn console_url(finding: &Finding) -> Option<String> {
    let region = &finding.region;
    if region.is_empty()
        || !region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return None;
    }
    Some(match finding.engine {
        Engine::InspectorV2 => format!(
            "https://{region}.console.aws.amazon.com/inspector/v2/home?region={region}#/findings/all"
        ),
        Engine::InspectorClassic => format!(
            "https://{region}.console.aws.amazon.com/inspector/home?region={region}"
        ),
    })
}

/// The whole page.
pub fn render(summary: &Summary, page: &Page) -> String {
    Report::new(summary, page)
        .render()
        .expect("the report template writes to a String")
}

/// What templates/report.html shows.
#[derive(Template)]
#[template(path = "report.html")]
struct Report<'a> {
    page: &'a Page,
    css: &'static str,
    generated_text: String,
    /// First and last day findings were observed.
    observed: Option<(String, String)>,
    skipped: Option<Metric>,
    kpis: Vec<Kpi>,
    severities: Vec<BarRow>,
    donut: Vec<DonutSegment>,
    open_percent: usize,
    legend: Vec<LegendItem>,
    noun: &'static str,
    timeline: Option<Chart>,
    severity_keys: Vec<SeverityKey>,
    breakdowns: Vec<BreakdownCard>,
    open: String,
    risks: Vec<Risk>,
    open_resources: String,
    instances: Vec<InstanceRow>,
    open_cves: String,
    cves: Vec<CveRow>,
    remediation: Vec<RemediationRow>,
    sla: Option<SlaCard>,
    /// None when no coverage documents were read.
    coverage: Option<CoverageCard>,
}

/// The coverage section: resources scanned and not, and the not-scanned by account and
/// reason.
struct CoverageCard {
    source: String,
    skipped: Option<Metric>,
    /// Coverage documents read: none makes the section say so.
    total: usize,
    documents: Metric,
    scanned: Metric,
    not_scanned: Metric,
    /// (reason, not-scanned resources for it over every account).
    reasons: Vec<(String, Metric)>,
    /// The resource types among the not-scanned: the columns of each account's table.
    types: Vec<String>,
    accounts: Vec<AccountCoverage>,
}

/// The resources of one account that Inspector does not scan.
struct AccountCoverage {
    account: String,
    total: Metric,
    /// (reason, counts per type in `CoverageCard::types` order, total).
    reasons: Vec<(String, Vec<Metric>, Metric)>,
    listed: Vec<NotScannedRow>,
    more: Option<Metric>,
}

/// A resource Inspector does not scan.
struct NotScannedRow {
    id: String,
    resource: String,
    resource_type: String,
    scan_type: String,
    region: String,
    reason: String,
    /// The day, or `–` when no document said.
    last_scanned: String,
}

impl CoverageCard {
    fn of(coverage: &CoverageSummary, page: &Page) -> CoverageCard {
        let headline = |name: &str, n: usize| Metric::new("b", name, None, n);
        CoverageCard {
            source: page.coverage_source.clone().unwrap_or_default(),
            skipped: (page.coverage_skipped > 0)
                .then(|| Metric::new("strong", "coverage-skipped", None, page.coverage_skipped)),
            total: coverage.total,
            documents: headline("coverage-documents", coverage.total),
            scanned: headline("coverage-scanned", coverage.scanned),
            not_scanned: headline("coverage-not-scanned", coverage.not_scanned),
            reasons: coverage
                .reasons
                .iter()
                .map(|(reason, n)| {
                    let metric = Metric::new("b", "not-scanned-reason", Some(reason), *n);
                    (reason.clone(), metric)
                })
                .collect(),
            types: coverage.resource_types.clone(),
            accounts: coverage
                .accounts
                .iter()
                .map(|account| AccountCoverage::of(account, &coverage.resource_types))
                .collect(),
        }
    }
}

impl AccountCoverage {
    fn of(account: &NotScanned, types: &[String]) -> AccountCoverage {
        let id = &account.account_id;
        AccountCoverage {
            account: id.clone(),
            total: Metric::new("b", "not-scanned-account", Some(id), account.total),
            reasons: account
                .reasons
                .iter()
                .map(|row| {
                    let key = format!("{id}/{}", row.reason);
                    let by_type = types
                        .iter()
                        .zip(&row.by_type)
                        .map(|(t, n)| {
                            Metric::new("span", "not-scanned-type", Some(&format!("{key}/{t}")), *n)
                        })
                        .collect();
                    let total = Metric::new("b", "not-scanned", Some(&key), row.total);
                    (row.reason.clone(), by_type, total)
                })
                .collect(),
            listed: account
                .listed
                .iter()
                .map(|c| NotScannedRow {
                    id: c.id.clone(),
                    resource: c.resource_id.clone(),
                    resource_type: c
                        .resource_type
                        .clone()
                        .unwrap_or_else(|| crate::summary::UNKNOWN_RESOURCE_TYPE.to_owned()),
                    scan_type: c.scan_type.clone(),
                    region: c.region.clone(),
                    reason: c.scan_status_reason.clone(),
                    last_scanned: c
                        .last_scanned_at
                        .as_deref()
                        .map_or_else(|| "–".to_owned(), |t| t.get(..10).unwrap_or(t).to_owned()),
                })
                .collect(),
            more: (account.more > 0)
                .then(|| Metric::new("b", "not-scanned-more", Some(id), account.more)),
        }
    }
}

/// Mean time to remediate for one severity, and its SLA.
struct RemediationRow {
    /// As stored, e.g. `CRITICAL`.
    severity: &'static str,
    key: SeverityKey,
    closed: String,
    /// e.g. `12.5 days`, or `–` when none was remediated.
    mean: String,
    /// e.g. `30 days`, or `–` without a deadline.
    sla: String,
}

/// Open findings past their SLA on the day the report was generated.
struct SlaCard {
    on: String,
    total_count: usize,
    total: String,
    kev: String,
    /// (account, overdue open findings, the same grouped), most first.
    accounts: Vec<(String, usize, String)>,
}

impl<'a> Report<'a> {
    fn new(summary: &Summary, page: &'a Page) -> Report<'a> {
        let day = |t: &String| t.get(..10).unwrap_or(t).to_owned();
        Report {
            page,
            css: include_str!("../templates/report.css"),
            generated_text: page.generated_at.replace('T', " ").replace('Z', " UTC"),
            observed: match (&summary.first_observed, &summary.last_observed) {
                (Some(first), Some(last)) => Some((day(first), day(last))),
                _ => None,
            },
            skipped: (page.skipped > 0)
                .then(|| Metric::new("strong", "skipped", None, page.skipped)),
            kpis: kpis(summary),
            severities: severity_rows(summary),
            donut: donut(summary),
            open_percent: (summary.open() * 100 + summary.total / 2)
                .checked_div(summary.total)
                .unwrap_or(0),
            legend: STATUSES
                .into_iter()
                .map(|status| LegendItem::of(status, summary))
                .collect(),
            noun: summary.timeline.bucketing.noun(),
            timeline: Chart::of(summary),
            severity_keys: SEVERITIES.into_iter().map(SeverityKey::of).collect(),
            breakdowns: vec![
                BreakdownCard::of("Accounts", "account", &summary.by_account, "accounts"),
                BreakdownCard::of("Regions", "region", &summary.by_region, "regions"),
                BreakdownCard::of(
                    "Finding types",
                    "finding-type",
                    &summary.by_finding_type,
                    "types",
                ),
            ],
            open: grouped(summary.open()),
            risks: summary.top_risks.iter().map(Risk::of).collect(),
            open_resources: grouped(summary.open_resources),
            instances: summary.top_instances.iter().map(InstanceRow::of).collect(),
            open_cves: grouped(summary.open_cves),
            cves: summary.top_cves.iter().map(CveRow::of).collect(),
            remediation: SEVERITIES
                .into_iter()
                .zip(summary.remediation)
                .map(|(severity, remediation)| RemediationRow {
                    severity: severity.as_str(),
                    key: SeverityKey::of(severity),
                    closed: grouped(remediation.closed),
                    mean: remediation
                        .mean_days()
                        .map_or_else(|| "–".to_owned(), |days| format!("{days:.1} days")),
                    sla: summary
                        .overdue
                        .sla
                        .days(severity)
                        .map_or_else(|| "–".to_owned(), |days| format!("{days} days")),
                })
                .collect(),
            sla: summary.overdue.on.map(|on| SlaCard {
                on: on.to_string(),
                total_count: summary.overdue.total,
                total: grouped(summary.overdue.total),
                kev: grouped(summary.overdue.kev),
                accounts: summary
                    .overdue
                    .by_account
                    .iter()
                    .map(|(account, n)| (account.clone(), *n, grouped(*n)))
                    .collect(),
            }),
            coverage: summary
                .coverage
                .as_ref()
                .map(|coverage| CoverageCard::of(coverage, page)),
        }
    }
}

struct Kpi {
    label: &'static str,
    value: Metric,
    class: &'static str,
}

fn kpis(summary: &Summary) -> Vec<Kpi> {
    [
        ("Findings", "total", summary.total, ""),
        ("Open", "open", summary.open(), "accent"),
        ("Closed", "closed", summary.status(Status::Closed), ""),
        (
            "Suppressed",
            "suppressed",
            summary.status(Status::Suppressed),
            "",
        ),
        (
            "Open critical",
            "open-critical",
            summary.severity(Severity::Critical).open,
            "sev-critical-text",
        ),
        (
            "Open high",
            "open-high",
            summary.severity(Severity::High).open,
            "sev-high-text",
        ),
        ("Accounts", "accounts", summary.accounts, ""),
        (
            "Open resources",
            "open-resources",
            summary.open_resources,
            "",
        ),
    ]
    .into_iter()
    .map(|(label, name, value, class)| Kpi {
        label,
        value: Metric {
            class: "kpi-value",
            ..Metric::new("span", name, None, value)
        },
        class,
    })
    .collect()
}

/// One horizontal bar: grey for all, coloured for open, scaled to `max`.
struct BarRow {
    label: String,
    class: String,
    all_width: String,
    open_width: String,
    open: Metric,
    all: Metric,
}

impl BarRow {
    fn new(label: &str, name: &str, key: &str, count: Count, max: usize, class: &str) -> BarRow {
        let width = |n: usize| {
            let width = if max == 0 {
                0.0
            } else {
                n as f64 * 100.0 / max as f64
            };
            format!("{width:.2}")
        };
        BarRow {
            label: label.to_owned(),
            class: class.to_owned(),
            all_width: width(count.all),
            open_width: width(count.open),
            open: Metric::new("b", format!("{name}-open"), Some(key), count.open),
            all: Metric::new("span", format!("{name}-all"), Some(key), count.all),
        }
    }
}

fn severity_rows(summary: &Summary) -> Vec<BarRow> {
    let max = summary.by_severity.iter().map(|c| c.all).max().unwrap_or(0);
    SEVERITIES
        .into_iter()
        .map(|severity| {
            BarRow::new(
                severity_label(severity),
                "severity",
                severity.as_str(),
                summary.severity(severity),
                max,
                &severity_class(severity),
            )
        })
        .collect()
}

/// A donut of circumference 100: each status is a dash of its percentage.
struct DonutSegment {
    class: String,
    status: &'static str,
    count: usize,
    dash: String,
    gap: String,
    offset: String,
}

fn donut(summary: &Summary) -> Vec<DonutSegment> {
    let mut segments = Vec::new();
    let mut offset = 0.0;
    for status in STATUSES {
        let n = summary.status(status);
        if n == 0 || summary.total == 0 {
            continue;
        }
        let pct = n as f64 * 100.0 / summary.total as f64;
        segments.push(DonutSegment {
            class: status_str(status).to_ascii_lowercase(),
            status: status_str(status),
            count: n,
            dash: format!("{pct:.3}"),
            gap: format!("{:.3}", 100.0 - pct),
            offset: format!("{:.3}", 25.0 - offset),
        });
        offset += pct;
    }
    segments
}

struct LegendItem {
    class: String,
    label: &'static str,
    value: Metric,
}

impl LegendItem {
    fn of(status: Status, summary: &Summary) -> LegendItem {
        LegendItem {
            class: status_str(status).to_ascii_lowercase(),
            label: match status {
                Status::Active => "Open (ACTIVE)",
                Status::Closed => "Closed",
                Status::Suppressed => "Suppressed",
            },
            value: Metric::new(
                "b",
                "status",
                Some(status_str(status)),
                summary.status(status),
            ),
        }
    }
}

/// A round axis maximum at or above `max` and its tick step (4 or 5 ticks).
fn nice_axis(max: usize) -> (usize, usize) {
    if max <= 4 {
        return (4.max(max), 1);
    }
    let raw = max.div_ceil(4);
    let magnitude = 10usize.pow((raw as f64).log10().floor() as u32);
    let step = [1, 2, 5, 10]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap();
    (max.div_ceil(step) * step, step)
}

/// The timeline's stacked bars, in SVG user units.
struct Chart {
    width: f64,
    height: f64,
    left: f64,
    right: String,
    tick_x: String,
    base_y: String,
    label_y: String,
    bar_width: String,
    ticks: Vec<Tick>,
    bars: Vec<TimeBar>,
    undated: Option<Metric>,
}

struct Tick {
    value: usize,
    y: String,
    text_y: String,
}

struct TimeBar {
    start: String,
    total: usize,
    label: String,
    x: String,
    rects: Vec<TimeRect>,
    /// Where the bar's label goes, when it has one (at most about eight do).
    label_x: Option<String>,
}

struct TimeRect {
    class: String,
    y: String,
    height: String,
}

impl Chart {
    fn of(summary: &Summary) -> Option<Chart> {
        const W: f64 = 900.0;
        const H: f64 = 260.0;
        const LEFT: f64 = 40.0;
        const RIGHT: f64 = 8.0;
        const TOP: f64 = 10.0;
        const BOTTOM: f64 = 26.0;
        let timeline = &summary.timeline;
        if timeline.buckets.is_empty() {
            return None;
        }
        let plot_w = W - LEFT - RIGHT;
        let plot_h = H - TOP - BOTTOM;
        let totals: Vec<usize> = timeline
            .buckets
            .iter()
            .map(|(_, c)| c.iter().sum())
            .collect();
        let (axis_max, step) = nice_axis(totals.iter().copied().max().unwrap_or(0));
        let y = |v: usize| TOP + plot_h - v as f64 * plot_h / axis_max as f64;
        let ticks = (0..=axis_max)
            .step_by(step)
            .map(|tick| Tick {
                value: tick,
                y: format!("{:.1}", y(tick)),
                text_y: format!("{:.1}", y(tick) + 3.5),
            })
            .collect();
        let n = timeline.buckets.len();
        let band = plot_w / n as f64;
        let bar_w = (band * 0.72).max(1.0);
        let label_every = n.div_ceil(8).max(1);
        let bars = timeline
            .buckets
            .iter()
            .zip(&totals)
            .enumerate()
            .map(|(i, ((start, counts), total))| {
                let x = LEFT + band * i as f64 + (band - bar_w) / 2.0;
                let mut base = 0;
                let mut rects = Vec::new();
                for (severity, count) in SEVERITIES.iter().zip(counts) {
                    if *count == 0 {
                        continue;
                    }
                    rects.push(TimeRect {
                        class: severity_class(*severity),
                        y: format!("{:.2}", y(base + count)),
                        height: format!("{:.2}", y(base) - y(base + count)),
                    });
                    base += count;
                }
                TimeBar {
                    start: start.to_string(),
                    total: *total,
                    label: start.label(timeline.bucketing),
                    x: format!("{x:.2}"),
                    rects,
                    label_x: i
                        .is_multiple_of(label_every)
                        .then(|| format!("{:.1}", x + bar_w / 2.0)),
                }
            })
            .collect();
        Some(Chart {
            width: W,
            height: H,
            left: LEFT,
            right: format!("{:.1}", W - RIGHT),
            tick_x: format!("{:.1}", LEFT - 6.0),
            base_y: format!("{:.1}", TOP + plot_h),
            label_y: format!("{:.1}", H - 8.0),
            bar_width: format!("{bar_w:.2}"),
            ticks,
            bars,
            undated: (timeline.undated > 0)
                .then(|| Metric::new("b", "undated", None, timeline.undated)),
        })
    }
}

struct BreakdownCard {
    title: &'static str,
    rows: Vec<BarRow>,
}

impl BreakdownCard {
    fn of(title: &'static str, name: &str, breakdown: &Breakdown, noun: &str) -> BreakdownCard {
        let max = breakdown
            .groups
            .iter()
            .map(|g| g.count.all)
            .chain([breakdown.others.all])
            .max()
            .unwrap_or(0);
        let mut rows: Vec<BarRow> = breakdown
            .groups
            .iter()
            .map(|group| BarRow::new(&group.key, name, &group.key, group.count, max, "bar-accent"))
            .collect();
        if breakdown.others_groups > 0 {
            rows.push(BarRow::new(
                &format!("{} other {noun}", breakdown.others_groups),
                name,
                "(others)",
                breakdown.others,
                max,
                "bar-accent",
            ));
        }
        BreakdownCard { title, rows }
    }
}

/// A severity chip: its colour class and label.
struct Chip {
    class: String,
    label: &'static str,
}

impl Chip {
    fn of(severity: Severity) -> Chip {
        Chip {
            class: severity_class(severity),
            label: severity_label(severity),
        }
    }
}

/// A row of the top risks.
struct Risk {
    id: String,
    /// Label and score, e.g. `P2 83`.
    priority: String,
    chip: Chip,
    score: String,
    title: String,
    finding_type: String,
    account: String,
    region: String,
    resource: String,
    host: Option<String>,
    /// The first three CVEs; `more_cves` counts the rest.
    cves: Vec<String>,
    more_cves: usize,
    /// What says it is exploited: `KEV, due <day>`, `seen <day>`, `exploit public`, or none.
    exploited: Option<String>,
    last_seen: String,
    /// The console link and the finding's ARN.
    console: Option<(String, String)>,
}

/// The strongest evidence of exploitation a finding carries (docs/finding-schema.md,
/// "Finding details"): in CISA's KEV (with its remediation due date), exploitation
/// observed (last seen), or a public exploit.
fn exploited(finding: &Finding) -> Option<String> {
    let day = |t: &String| t.get(..10).unwrap_or(t).to_owned();
    let details = finding.details.as_ref();
    if let Some(kev) = details.and_then(|d| d.kev.as_ref()) {
        return Some(match &kev.due_date {
            Some(due) => format!("KEV, due {}", day(due)),
            None => "KEV".to_owned(),
        });
    }
    if let Some(seen) = details.and_then(|d| d.exploit_observed.as_ref()) {
        return Some(match &seen.last_seen {
            Some(last) => format!("seen {}", day(last)),
            None => "seen".to_owned(),
        });
    }
    (finding.exploit_available == Some(true)).then(|| "exploit public".to_owned())
}

impl Risk {
    fn of(finding: &Finding) -> Risk {
        let priority = finding.current_priority();
        Risk {
            id: finding.id.clone(),
            priority: format!("{} {}", priority.label.as_str(), priority.score),
            chip: Chip::of(finding.severity),
            score: score(finding.severity_score),
            title: finding.title.clone(),
            finding_type: finding.finding_type.clone(),
            account: finding.account_id.clone(),
            region: finding.region.clone(),
            resource: finding.resource.id.clone(),
            host: finding.resource.hostname.clone().filter(|h| !h.is_empty()),
            cves: finding.cve_ids.iter().take(3).cloned().collect(),
            more_cves: finding.cve_ids.len().saturating_sub(3),
            exploited: exploited(finding),
            last_seen: finding
                .last_observed_at
                .get(..10)
                .unwrap_or(&finding.last_observed_at)
                .to_owned(),
            console: console_url(finding).map(|url| (url, finding.finding_arn.clone())),
        }
    }
}

/// A row of the resources needing attention.
struct InstanceRow {
    key: String,
    id: String,
    host: Option<String>,
    account: String,
    region: String,
    by_severity: Vec<Metric>,
    open: Metric,
    max_score: String,
}

impl InstanceRow {
    fn of(instance: &crate::summary::Instance) -> InstanceRow {
        let key = format!(
            "{}/{}/{}",
            instance.account_id, instance.region, instance.resource_id
        );
        InstanceRow {
            id: instance.resource_id.clone(),
            host: instance.hostname.clone().filter(|h| !h.is_empty()),
            account: instance.account_id.clone(),
            region: instance.region.clone(),
            by_severity: SEVERITIES
                .iter()
                .zip(instance.open_by_severity)
                .map(|(severity, n)| {
                    let name = format!("resource-{}", severity.as_str().to_ascii_lowercase());
                    Metric::new("span", name, Some(&key), n)
                })
                .collect(),
            open: Metric::new("b", "resource-open", Some(&key), instance.open),
            max_score: score(instance.max_score),
            key,
        }
    }
}

/// A row of the top CVEs.
struct CveRow {
    id: String,
    /// Whether the id is a CVE id that NVD has a page for.
    nvd: bool,
    chip: Chip,
    open: Metric,
    resources: Metric,
    title: String,
    recommendation: String,
}

impl CveRow {
    fn of(cve: &crate::summary::Cve) -> CveRow {
        CveRow {
            id: cve.id.clone(),
            nvd: cve.id.starts_with("CVE-")
                && cve.id[4..].chars().all(|c| c.is_ascii_digit() || c == '-'),
            chip: Chip::of(cve.worst),
            open: Metric::new("b", "cve-open", Some(&cve.id), cve.open),
            resources: Metric::new("span", "cve-resources", Some(&cve.id), cve.resources),
            title: cve.title.clone(),
            recommendation: cve.recommendation.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::Limits;
    use inspectorlink_findings::testing::finding;
    use inspectorlink_findings::Status;

    fn page() -> Page {
        Page {
            title: "Findings <report>".into(),
            source: "s3://bucket/findings/".into(),
            generated_at: "2026-03-04T05:06:07Z".into(),
            skipped: 0,
            coverage_source: None,
            coverage_skipped: 0,
        }
    }

    #[test]
    fn strings_from_findings_are_escaped_everywhere() {
        let mut hostile = finding(
            "x",
            "111111111111",
            "us-east-1",
            Severity::High,
            Status::Active,
        );
        hostile.title = r#"<script>alert("pwned")</script> & 'quotes'"#.into();
        hostile.recommendation = "<img src=x onerror=alert(1)>".into();
        hostile.cve_ids = vec!["CVE-2024-0001".into()];
        hostile.resource.hostname = Some("<b>host</b>".into());
        hostile.finding_type = "\"><svg onload=alert(1)>".into();
        let html = render(&Summary::of(&[hostile], Limits::default()), &page());
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"));
        assert!(!html.contains("<svg onload"));
        assert!(!html.contains("<b>host"));
        assert!(html.contains(
            "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;"
        ));
        assert!(html.contains("<title>Findings &lt;report&gt;</title>"));
    }

    #[test]
    fn numbers_carry_metric_attributes() {
        let findings = [
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
        ];
        let html = render(&Summary::of(&findings, Limits::default()), &page());
        for needle in [
            r#"data-metric="total" data-value="2">2<"#,
            r#"data-metric="open" data-value="1">1<"#,
            r#"data-metric="severity-all" data-key="HIGH" data-value="2">2<"#,
            r#"data-metric="severity-open" data-key="HIGH" data-value="1">1<"#,
            r#"data-metric="status" data-key="CLOSED" data-value="1">1<"#,
            r#"data-metric="account-all" data-key="111111111111" data-value="2">2<"#,
        ] {
            assert!(html.contains(needle), "{needle} missing");
        }
    }

    #[test]
    fn the_page_is_self_contained() {
        let html = render(&Summary::of(&[], Limits::default()), &page());
        for external in ["<script", "<link", "src=", "@import", "url("] {
            assert!(!html.contains(external), "{external}");
        }
        assert!(html.contains(r#"<meta name="viewport""#));
        assert!(html.contains("@media print"));
    }

    #[test]
    fn console_links_need_a_plain_region() {
        let mut f = finding("a", "1", "eu-west-1", Severity::Low, Status::Active);
        assert_eq!(
            console_url(&f).unwrap(),
            "https://eu-west-1.console.aws.amazon.com/inspector/home?region=eu-west-1"
        );
        f.region = "evil.example/x".into();
        assert_eq!(console_url(&f), None);
    }

    #[test]
    fn grouping_and_axes() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(1234567), "1,234,567");
        assert_eq!(nice_axis(0), (4, 1));
        assert_eq!(nice_axis(7), (8, 2));
        assert_eq!(nice_axis(37), (40, 10));
        assert_eq!(nice_axis(101), (150, 50));
    }
}
