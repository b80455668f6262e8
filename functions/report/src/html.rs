//! The report as one self-contained HTML page: inline CSS, inline SVG charts, no script
//! and nothing fetched from the network. Every string from a finding is escaped; every
//! number carries `data-metric` (+ `data-key`) and `data-value` so tests can read it.

use std::fmt::Write;

use inspectorlink_findings::{Engine, Finding, Severity};

use crate::summary::{status_str, Breakdown, Count, Summary, SEVERITIES, STATUSES};

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
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// 1234567 → "1,234,567".
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A number the tests can find: `<tag data-metric=… data-key=… data-value=…>1,234</tag>`.
fn metric(tag: &str, class: &str, name: &str, key: Option<&str>, value: usize) -> String {
    let key = key
        .map(|k| format!(r#" data-key="{}""#, escape(k)))
        .unwrap_or_default();
    let class = if class.is_empty() {
        String::new()
    } else {
        format!(r#" class="{class}""#)
    };
    format!(
        r#"<{tag}{class} data-metric="{name}"{key} data-value="{value}">{}</{tag}>"#,
        grouped(value)
    )
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
        Severity::Informational => "Informational",
    }
}

fn short_label(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "Crit",
        Severity::High => "High",
        Severity::Medium => "Med",
        Severity::Low => "Low",
        Severity::Informational => "Info",
    }
}

fn severity_chip(severity: Severity) -> String {
    format!(
        r#"<span class="chip {}">{}</span>"#,
        severity_class(severity),
        severity_label(severity)
    )
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
    let mut html = String::with_capacity(64 * 1024);
    let title = escape(&page.title);
    let _ = write!(
        html,
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<meta name="generator" content="inspectorlink-report">
<title>{title}</title>
<style>{CSS}</style>
</head>
<body>
<header class="masthead">
<div class="wrap">
<p class="eyebrow">inspectorlink · Amazon Inspector findings</p>
<h1>{title}</h1>
<p class="meta">Generated <time datetime="{generated}">{generated_text}</time> from <code>{source}</code>{observed}</p>
</div>
</header>
<main class="wrap">
"#,
        generated = escape(&page.generated_at),
        generated_text = escape(&page.generated_at.replace('T', " ").replace('Z', " UTC")),
        source = escape(&page.source),
        observed = match (&summary.first_observed, &summary.last_observed) {
            (Some(first), Some(last)) => format!(
                " · findings observed between {} and {}",
                escape(first.get(..10).unwrap_or(first)),
                escape(last.get(..10).unwrap_or(last))
            ),
            _ => String::new(),
        },
    );
    if page.skipped > 0 {
        let _ = write!(
            html,
            r#"<p class="notice">{} object(s) under the source could not be read as findings and are not counted.</p>"#,
            metric("strong", "", "skipped", None, page.skipped)
        );
    }
    kpis(&mut html, summary);
    html.push_str(r#"<div class="grid two">"#);
    severity_card(&mut html, summary);
    status_card(&mut html, summary);
    html.push_str("</div>\n");
    timeline_card(&mut html, summary);
    html.push_str(r#"<div class="grid three">"#);
    breakdown_card(
        &mut html,
        "Accounts",
        "account",
        &summary.by_account,
        "accounts",
    );
    breakdown_card(
        &mut html,
        "Regions",
        "region",
        &summary.by_region,
        "regions",
    );
    breakdown_card(
        &mut html,
        "Finding types",
        "finding-type",
        &summary.by_finding_type,
        "types",
    );
    html.push_str("</div>\n");
    top_risks(&mut html, summary);
    top_instances(&mut html, summary);
    top_cves(&mut html, summary);
    let _ = write!(
        html,
        r#"</main>
<footer class="wrap footer">
<p>Counts cover every finding; the ranked tables cover open (<code>ACTIVE</code>) findings. Bars show open findings in colour over all findings in grey. Generated by <code>inspectorlink-report</code>; the finding document is described in the project's docs/finding-schema.md.</p>
</footer>
</body>
</html>
"#
    );
    html
}

fn kpis(html: &mut String, summary: &Summary) {
    let cards: [(&str, String, &str); 8] = [
        (
            "Findings",
            metric("span", "kpi-value", "total", None, summary.total),
            "",
        ),
        (
            "Open",
            metric("span", "kpi-value", "open", None, summary.open()),
            "accent",
        ),
        (
            "Closed",
            metric(
                "span",
                "kpi-value",
                "closed",
                None,
                summary.status(inspectorlink_findings::Status::Closed),
            ),
            "",
        ),
        (
            "Suppressed",
            metric(
                "span",
                "kpi-value",
                "suppressed",
                None,
                summary.status(inspectorlink_findings::Status::Suppressed),
            ),
            "",
        ),
        (
            "Open critical",
            metric(
                "span",
                "kpi-value",
                "open-critical",
                None,
                summary.severity(Severity::Critical).open,
            ),
            "sev-critical-text",
        ),
        (
            "Open high",
            metric(
                "span",
                "kpi-value",
                "open-high",
                None,
                summary.severity(Severity::High).open,
            ),
            "sev-high-text",
        ),
        (
            "Accounts",
            metric("span", "kpi-value", "accounts", None, summary.accounts),
            "",
        ),
        (
            "Open resources",
            metric(
                "span",
                "kpi-value",
                "open-resources",
                None,
                summary.open_resources,
            ),
            "",
        ),
    ];
    html.push_str(r#"<section class="kpis" aria-label="Key figures">"#);
    for (label, value, class) in cards {
        let _ = write!(
            html,
            r#"<div class="kpi {class}"><span class="kpi-label">{label}</span>{value}</div>"#
        );
    }
    html.push_str("</section>\n");
}

/// One horizontal bar: grey for all, coloured for open, scaled to `max`.
fn bar(count: Count, max: usize, class: &str) -> String {
    let width = |n: usize| {
        if max == 0 {
            0.0
        } else {
            n as f64 * 100.0 / max as f64
        }
    };
    format!(
        r#"<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true"><rect class="bar-all" width="{:.2}" height="10"/><rect class="bar-open {class}" width="{:.2}" height="10"/></svg>"#,
        width(count.all),
        width(count.open)
    )
}

fn bar_row(
    html: &mut String,
    label: &str,
    name: &str,
    key: &str,
    count: Count,
    max: usize,
    class: &str,
) {
    let _ = write!(
        html,
        r#"<li class="bar-row"><span class="bar-label" title="{label}">{label}</span><span class="bar-track">{bar}</span><span class="bar-value">{open}<span class="of"> / {all}</span></span></li>"#,
        label = escape(label),
        bar = bar(count, max, class),
        open = metric("b", "", &format!("{name}-open"), Some(key), count.open),
        all = metric("span", "", &format!("{name}-all"), Some(key), count.all),
    );
}

fn severity_card(html: &mut String, summary: &Summary) {
    html.push_str(
        r#"<article class="card"><h2>Severity</h2><p class="sub">Open / all findings</p><ul class="bars">"#,
    );
    let max = summary.by_severity.iter().map(|c| c.all).max().unwrap_or(0);
    for severity in SEVERITIES {
        let count = summary.severity(severity);
        bar_row(
            html,
            severity_label(severity),
            "severity",
            severity.as_str(),
            count,
            max,
            &severity_class(severity),
        );
    }
    html.push_str("</ul></article>");
}

fn status_card(html: &mut String, summary: &Summary) {
    html.push_str(r#"<article class="card"><h2>Open vs closed</h2><p class="sub">Status of every finding</p><div class="donut-wrap">"#);
    // A donut of circumference 100: each status is a dash of its percentage.
    let mut svg = String::from(
        r#"<svg class="donut" viewBox="0 0 42 42" role="img" aria-label="Findings by status"><circle class="donut-hole" cx="21" cy="21" r="15.915" fill="none" stroke-width="6"/>"#,
    );
    let mut offset = 0.0;
    for status in STATUSES {
        let n = summary.status(status);
        if n == 0 || summary.total == 0 {
            continue;
        }
        let pct = n as f64 * 100.0 / summary.total as f64;
        let _ = write!(
            svg,
            r#"<circle class="seg status-{}" cx="21" cy="21" r="15.915" fill="none" stroke-width="6" stroke-dasharray="{pct:.3} {:.3}" stroke-dashoffset="{:.3}"><title>{}: {n}</title></circle>"#,
            status_str(status).to_ascii_lowercase(),
            100.0 - pct,
            25.0 - offset,
            status_str(status),
        );
        offset += pct;
    }
    let open_pct = (summary.open() * 100 + summary.total / 2)
        .checked_div(summary.total)
        .unwrap_or(0);
    let _ = write!(
        svg,
        r#"<text x="21" y="21" class="donut-big">{open_pct}%</text><text x="21" y="26.5" class="donut-small">open</text></svg>"#
    );
    html.push_str(&svg);
    html.push_str(r#"<ul class="legend">"#);
    for status in STATUSES {
        let label = match status {
            inspectorlink_findings::Status::Active => "Open (ACTIVE)",
            inspectorlink_findings::Status::Closed => "Closed",
            inspectorlink_findings::Status::Suppressed => "Suppressed",
        };
        let _ = write!(
            html,
            r#"<li><span class="swatch status-{}"></span>{label}{}</li>"#,
            status_str(status).to_ascii_lowercase(),
            metric(
                "b",
                "",
                "status",
                Some(status_str(status)),
                summary.status(status)
            ),
        );
    }
    html.push_str("</ul></div></article>\n");
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

fn timeline_card(html: &mut String, summary: &Summary) {
    let timeline = &summary.timeline;
    let _ = write!(
        html,
        r#"<article class="card"><h2>New findings per {} by severity</h2><p class="sub">By the {} they were first observed</p>"#,
        timeline.bucketing.noun(),
        timeline.bucketing.noun()
    );
    if timeline.buckets.is_empty() {
        html.push_str(r#"<p class="empty">No dated findings.</p></article>"#);
        return;
    }
    const W: f64 = 900.0;
    const H: f64 = 260.0;
    const LEFT: f64 = 40.0;
    const RIGHT: f64 = 8.0;
    const TOP: f64 = 10.0;
    const BOTTOM: f64 = 26.0;
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let totals: Vec<usize> = timeline
        .buckets
        .iter()
        .map(|(_, c)| c.iter().sum())
        .collect();
    let (axis_max, step) = nice_axis(totals.iter().copied().max().unwrap_or(0));
    let y = |v: usize| TOP + plot_h - v as f64 * plot_h / axis_max as f64;
    let mut svg = format!(
        r#"<div class="chart-scroll"><svg class="timeline" viewBox="0 0 {W} {H}" role="img" aria-label="New findings per {} by severity">"#,
        timeline.bucketing.noun()
    );
    let mut tick = 0;
    while tick <= axis_max {
        let _ = write!(
            svg,
            r#"<line class="grid-line" x1="{LEFT}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}"/><text class="axis" x="{:.1}" y="{:.1}" text-anchor="end">{tick}</text>"#,
            W - RIGHT,
            LEFT - 6.0,
            y(tick) + 3.5,
            y = y(tick),
        );
        tick += step;
    }
    let n = timeline.buckets.len();
    let band = plot_w / n as f64;
    let bar_w = (band * 0.72).max(1.0);
    let label_every = n.div_ceil(8).max(1);
    for (i, ((start, counts), total)) in timeline.buckets.iter().zip(&totals).enumerate() {
        let x = LEFT + band * i as f64 + (band - bar_w) / 2.0;
        let label = start.label(timeline.bucketing);
        let _ = write!(
            svg,
            r#"<g data-bucket="{start}" data-total="{total}"><title>{label}: {total} new</title>"#
        );
        let mut base = 0;
        for (severity, count) in SEVERITIES.iter().zip(counts) {
            if *count == 0 {
                continue;
            }
            let _ = write!(
                svg,
                r#"<rect class="{}" x="{x:.2}" y="{:.2}" width="{bar_w:.2}" height="{:.2}"/>"#,
                severity_class(*severity),
                y(base + count),
                y(base) - y(base + count),
            );
            base += count;
        }
        svg.push_str("</g>");
        if i % label_every == 0 {
            let _ = write!(
                svg,
                r#"<text class="axis" x="{:.1}" y="{:.1}" text-anchor="middle">{label}</text>"#,
                x + bar_w / 2.0,
                H - 8.0
            );
        }
    }
    let _ = write!(
        svg,
        r#"<line class="base-line" x1="{LEFT}" x2="{:.1}" y1="{:.1}" y2="{:.1}"/></svg></div>"#,
        W - RIGHT,
        TOP + plot_h,
        TOP + plot_h
    );
    html.push_str(&svg);
    html.push_str(r#"<ul class="legend inline">"#);
    for severity in SEVERITIES {
        let _ = write!(
            html,
            r#"<li><span class="swatch {}"></span>{}</li>"#,
            severity_class(severity),
            severity_label(severity)
        );
    }
    html.push_str("</ul>");
    if timeline.undated > 0 {
        let _ = write!(
            html,
            r#"<p class="sub">{} finding(s) without a valid first_observed_at are not shown.</p>"#,
            metric("b", "", "undated", None, timeline.undated)
        );
    }
    html.push_str("</article>\n");
}

fn breakdown_card(html: &mut String, title: &str, name: &str, breakdown: &Breakdown, noun: &str) {
    let _ = write!(
        html,
        r#"<article class="card"><h2>{title}</h2><p class="sub">Open / all findings</p>"#
    );
    if breakdown.groups.is_empty() {
        html.push_str(r#"<p class="empty">None.</p></article>"#);
        return;
    }
    html.push_str(r#"<ul class="bars stacked">"#);
    let max = breakdown
        .groups
        .iter()
        .map(|g| g.count.all)
        .chain([breakdown.others.all])
        .max()
        .unwrap_or(0);
    for group in &breakdown.groups {
        bar_row(
            html,
            &group.key,
            name,
            &group.key,
            group.count,
            max,
            "bar-accent",
        );
    }
    if breakdown.others_groups > 0 {
        bar_row(
            html,
            &format!("{} other {noun}", breakdown.others_groups),
            name,
            "(others)",
            breakdown.others,
            max,
            "bar-accent",
        );
    }
    html.push_str("</ul></article>");
}

fn cve_list(cves: &[String]) -> String {
    if cves.is_empty() {
        return r#"<span class="muted">–</span>"#.into();
    }
    let mut out = String::new();
    for cve in cves.iter().take(3) {
        let _ = write!(out, r#"<span class="cve">{}</span> "#, escape(cve));
    }
    if cves.len() > 3 {
        let _ = write!(
            out,
            r#"<span class="muted">+{} more</span>"#,
            cves.len() - 3
        );
    }
    out
}

fn top_risks(html: &mut String, summary: &Summary) {
    let _ = write!(
        html,
        r#"<article class="card wide"><h2>Top risks</h2><p class="sub">The {} most severe of {} open findings</p>"#,
        summary.top_risks.len(),
        grouped(summary.open())
    );
    if summary.top_risks.is_empty() {
        html.push_str(r#"<p class="empty">No open findings.</p></article>"#);
        return;
    }
    html.push_str(r#"<div class="table-scroll"><table class="risks"><thead><tr><th>Severity</th><th class="num">Score</th><th>Finding</th><th>Account</th><th>Region</th><th>Resource</th><th>CVEs</th><th>Last seen</th><th class="link-col"></th></tr></thead><tbody>"#);
    for finding in &summary.top_risks {
        let resource = match &finding.resource.hostname {
            Some(host) if !host.is_empty() => format!(
                r#"<code>{}</code><br><span class="muted nowrap">{}</span>"#,
                escape(&finding.resource.id),
                escape(host)
            ),
            _ => format!("<code>{}</code>", escape(&finding.resource.id)),
        };
        let link = console_url(finding)
            .map(|url| {
                format!(
                    r#"<a href="{}" title="{}" rel="noopener noreferrer">Console</a>"#,
                    escape(&url),
                    escape(&finding.finding_arn)
                )
            })
            .unwrap_or_default();
        let _ = write!(
            html,
            r#"<tr data-finding="{id}"><td>{chip}</td><td class="num">{score}</td><td class="title-cell"><span class="finding-title">{title}</span><br><span class="muted">{ftype}</span></td><td><code>{account}</code></td><td class="nowrap">{region}</td><td>{resource}</td><td>{cves}</td><td class="nowrap">{seen}</td><td class="link-col">{link}</td></tr>"#,
            id = escape(&finding.id),
            chip = severity_chip(finding.severity),
            score = score(finding.severity_score),
            title = escape(&finding.title),
            ftype = escape(&finding.finding_type),
            account = escape(&finding.account_id),
            region = escape(&finding.region),
            cves = cve_list(&finding.cve_ids),
            seen = escape(
                finding
                    .last_observed_at
                    .get(..10)
                    .unwrap_or(&finding.last_observed_at)
            ),
        );
    }
    html.push_str("</tbody></table></div></article>\n");
}

fn top_instances(html: &mut String, summary: &Summary) {
    let _ = write!(
        html,
        r#"<article class="card wide"><h2>Resources needing attention</h2><p class="sub">{} of {} resources with open findings, worst first</p>"#,
        summary.top_instances.len(),
        grouped(summary.open_resources)
    );
    if summary.top_instances.is_empty() {
        html.push_str(r#"<p class="empty">No open findings.</p></article>"#);
        return;
    }
    html.push_str(r#"<div class="table-scroll"><table class="instances"><thead><tr><th>Resource</th><th>Account</th><th>Region</th>"#);
    for severity in SEVERITIES {
        let _ = write!(
            html,
            r#"<th class="num"><span class="swatch {}"></span>{}</th>"#,
            severity_class(severity),
            short_label(severity)
        );
    }
    html.push_str(r#"<th class="num">Open</th><th class="num">Max score</th></tr></thead><tbody>"#);
    for instance in &summary.top_instances {
        let key = format!(
            "{}/{}/{}",
            instance.account_id, instance.region, instance.resource_id
        );
        let host = instance
            .hostname
            .as_deref()
            .filter(|h| !h.is_empty())
            .map(|h| format!(r#"<br><span class="muted nowrap">{}</span>"#, escape(h)))
            .unwrap_or_default();
        let _ = write!(
            html,
            r#"<tr data-resource="{key}"><td><code>{id}</code>{host}</td><td><code>{account}</code></td><td class="nowrap">{region}</td>"#,
            key = escape(&key),
            id = escape(&instance.resource_id),
            account = escape(&instance.account_id),
            region = escape(&instance.region),
        );
        for (severity, n) in SEVERITIES.iter().zip(instance.open_by_severity) {
            let _ = write!(
                html,
                r#"<td class="num{}">{}</td>"#,
                if n == 0 { " zero" } else { "" },
                metric(
                    "span",
                    "",
                    &format!("resource-{}", severity.as_str().to_ascii_lowercase()),
                    Some(&key),
                    n
                )
            );
        }
        let _ = write!(
            html,
            r#"<td class="num">{}</td><td class="num">{}</td></tr>"#,
            metric("b", "", "resource-open", Some(&key), instance.open),
            score(instance.max_score)
        );
    }
    html.push_str("</tbody></table></div></article>\n");
}

fn top_cves(html: &mut String, summary: &Summary) {
    let _ = write!(
        html,
        r#"<article class="card wide"><h2>Top CVEs</h2><p class="sub">{} of {} CVEs named by open findings, with the advice of their most severe finding</p>"#,
        summary.top_cves.len(),
        grouped(summary.open_cves)
    );
    if summary.top_cves.is_empty() {
        html.push_str(r#"<p class="empty">No open findings name a CVE.</p></article>"#);
        return;
    }
    html.push_str(r#"<div class="table-scroll"><table class="cves"><thead><tr><th>CVE</th><th>Worst</th><th class="num">Open findings</th><th class="num">Resources</th><th>Title</th><th>Recommendation</th></tr></thead><tbody>"#);
    for cve in &summary.top_cves {
        let id = escape(&cve.id);
        let nvd = if cve.id.starts_with("CVE-")
            && cve.id[4..].chars().all(|c| c.is_ascii_digit() || c == '-')
        {
            format!(
                r#"<a href="https://nvd.nist.gov/vuln/detail/{id}" rel="noopener noreferrer">{id}</a>"#
            )
        } else {
            id.clone()
        };
        let _ = write!(
            html,
            r#"<tr data-cve="{id}"><td class="nowrap">{nvd}</td><td>{chip}</td><td class="num">{open}</td><td class="num">{resources}</td><td class="title-cell">{title}</td><td class="advice">{advice}</td></tr>"#,
            chip = severity_chip(cve.worst),
            open = metric("b", "", "cve-open", Some(&cve.id), cve.open),
            resources = metric("span", "", "cve-resources", Some(&cve.id), cve.resources),
            title = escape(&cve.title),
            advice = escape(&cve.recommendation),
        );
    }
    html.push_str("</tbody></table></div></article>\n");
}

const CSS: &str = r#"
:root{--bg:#f4f6f8;--card:#fff;--ink:#1b2430;--muted:#5f6b7a;--line:#e2e6eb;--accent:#2f5fd0;--navy:#0f1b2d;
--critical:#8e1538;--high:#d93a26;--medium:#e59a1b;--low:#3a7bd5;--info:#9aa5b1;
--active:#d93a26;--closed:#3b9b6d;--suppressed:#9aa5b1}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
.wrap{max-width:1200px;margin:0 auto;padding:0 20px}
.masthead{background:var(--navy);color:#fff;padding:22px 0 20px;margin-bottom:20px}
.masthead h1{margin:2px 0 6px;font-size:26px;font-weight:650;letter-spacing:-.01em;overflow-wrap:anywhere}
.eyebrow{margin:0;font-size:12px;letter-spacing:.08em;text-transform:uppercase;color:#9fb3d1}
.meta{margin:0;color:#c9d4e3;font-size:13px;overflow-wrap:anywhere}
.meta code{color:#fff}
code{font:12.5px/1.3 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.notice{background:#fff7e6;border:1px solid #f3d19c;border-radius:8px;padding:10px 14px}
.kpis{display:grid;grid-template-columns:repeat(4,1fr);gap:12px;margin-bottom:16px}
@media (min-width:1020px){.kpis{grid-template-columns:repeat(8,1fr)}}
.kpi{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 14px;display:flex;flex-direction:column;justify-content:space-between;gap:2px;box-shadow:0 1px 2px rgba(16,24,40,.04);min-width:0}
.kpi-label{font-size:11.5px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em;line-height:1.25}
.kpi-value{font-size:28px;font-weight:650;font-variant-numeric:tabular-nums}
.kpi.accent .kpi-value{color:var(--accent)}
.kpi.sev-critical-text .kpi-value{color:var(--critical)}
.kpi.sev-high-text .kpi-value{color:var(--high)}
.grid{display:grid;gap:16px;margin-bottom:16px}
.grid.two{grid-template-columns:repeat(auto-fit,minmax(300px,1fr))}
.grid.three{grid-template-columns:repeat(auto-fit,minmax(260px,1fr))}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 18px;box-shadow:0 1px 2px rgba(16,24,40,.04);min-width:0}
.card.wide,main>.card{margin-bottom:16px}
.card h2{margin:0;font-size:16px;font-weight:650}
.sub{margin:2px 0 12px;color:var(--muted);font-size:13px}
.empty{color:var(--muted);font-style:italic}
.muted{color:var(--muted);font-size:12.5px}
.bars{list-style:none;margin:0;padding:0;display:grid;gap:8px}
.bar-row{display:grid;grid-template-columns:minmax(80px,9.5em) 1fr auto;align-items:center;gap:10px}
.bar-label{overflow:hidden;text-overflow:ellipsis;white-space:nowrap;font-size:13.5px}
.bars.stacked .bar-row{grid-template-columns:1fr auto;grid-template-areas:"label value" "track track";gap:3px 10px}
.bars.stacked .bar-label{grid-area:label;white-space:normal;overflow-wrap:anywhere}
.bars.stacked .bar-value{grid-area:value;min-width:0}
.bars.stacked .bar-track{grid-area:track;height:8px}
.bars.stacked{gap:10px}
.bar-track{display:block;height:12px;border-radius:3px;overflow:hidden;background:#f0f2f5}
.bar{display:block;width:100%;height:100%}
.bar-all{fill:#d5dbe2}
.bar-open.bar-accent{fill:var(--accent)}
.bar-value{font-variant-numeric:tabular-nums;font-size:13.5px;text-align:right;min-width:4.5em}
.of{color:var(--muted)}
.sev-critical{fill:var(--critical);background:var(--critical)}
.sev-high{fill:var(--high);background:var(--high)}
.sev-medium{fill:var(--medium);background:var(--medium)}
.sev-low{fill:var(--low);background:var(--low)}
.sev-informational{fill:var(--info);background:var(--info)}
.status-active{stroke:var(--active);background:var(--active)}
.status-closed{stroke:var(--closed);background:var(--closed)}
.status-suppressed{stroke:var(--suppressed);background:var(--suppressed)}
.donut-wrap{display:flex;align-items:center;gap:24px;flex-wrap:wrap}
.donut{width:150px;height:150px;flex:none}
.donut-hole{stroke:#eef1f4}
.donut-big{font-size:8px;font-weight:700;text-anchor:middle;fill:var(--ink)}
.donut-small{font-size:3.6px;text-anchor:middle;fill:var(--muted)}
.legend{list-style:none;margin:0;padding:0;display:grid;gap:8px;font-size:14px}
.legend li{display:flex;align-items:center;gap:8px}
.legend li b{margin-left:auto;padding-left:16px;font-variant-numeric:tabular-nums}
.legend.inline{display:flex;flex-wrap:wrap;gap:6px 16px;margin-top:8px;font-size:13px}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;flex:none;margin-right:4px;vertical-align:baseline}
.chart-scroll{overflow-x:auto}
.timeline{display:block;width:100%;min-width:660px;height:auto}
.grid-line{stroke:#e9edf1;stroke-width:1}
.base-line{stroke:#aab4c0;stroke-width:1}
.axis{font-size:12px;fill:var(--muted)}
.table-scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;margin:0 -4px;padding:0 4px}
table{border-collapse:collapse;width:100%;font-size:13.5px}
table.risks{min-width:960px}
table.risks .title-cell{min-width:19em}
table.instances{min-width:640px}
table.cves{min-width:820px}
th{text-align:left;font-size:11.5px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);font-weight:600;border-bottom:1px solid var(--line);padding:8px;white-space:nowrap;background:#fafbfc}
td{border-bottom:1px solid var(--line);padding:8px;vertical-align:top}
td code{white-space:nowrap}
tbody tr:nth-child(even) td{background:#fbfcfd}
.num{text-align:right;font-variant-numeric:tabular-nums}
td.zero{color:#c3cad3}
.nowrap{white-space:nowrap}
.title-cell{min-width:15em;max-width:30em;overflow-wrap:anywhere}
.finding-title{font-weight:550}
.advice{min-width:18em;max-width:34em;color:#2f3a48;overflow-wrap:anywhere}
.chip{display:inline-block;padding:1px 8px;border-radius:999px;color:#fff;font-size:11.5px;font-weight:650;white-space:nowrap}
.chip.sev-medium{color:#3d2a00}
.chip.sev-informational{color:#1b2430}
.cve{display:inline-block;font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#eef2f8;border-radius:4px;padding:0 4px;margin:1px 0;white-space:nowrap}
a{color:var(--accent)}
.footer{color:var(--muted);font-size:12.5px;padding-top:4px;padding-bottom:28px}
@media (max-width:620px){.kpis{grid-template-columns:repeat(2,1fr)}}
@media (max-width:520px){
.wrap{padding:0 12px}
.masthead h1{font-size:21px}
.kpis{gap:8px}
.kpi-value{font-size:23px}
.card{padding:14px}
.bar-row{grid-template-columns:minmax(70px,7.5em) 1fr auto;gap:8px}
}
@media print{
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
@page{size:A4;margin:12mm}
body{background:#fff;font-size:11px}
.wrap{max-width:none;padding:0}
.masthead{background:#fff;color:#000;padding:0 0 8px;margin-bottom:12px;border-bottom:2px solid #1b2430}
.eyebrow,.meta,.meta code{color:#333}
.card,.kpi{box-shadow:none;border-color:#cfd5dc;break-inside:avoid;page-break-inside:avoid}
.card.wide{break-inside:auto;page-break-inside:auto}
.card h2,.sub{break-after:avoid;page-break-after:avoid}
.kpis{grid-template-columns:repeat(4,1fr)}
.grid.two{grid-template-columns:1fr 1fr}
.grid.three{grid-template-columns:1fr 1fr 1fr}
.table-scroll,.chart-scroll{overflow:visible}
table.risks,table.instances,table.cves,.timeline{min-width:0}
tr,td,th{break-inside:avoid;page-break-inside:avoid}
thead{display:table-header-group}
th{background:#fff}
tbody tr:nth-child(even) td{background:#fff}
a{color:inherit;text-decoration:none}
.title-cell,.advice,table.risks .title-cell{max-width:none;min-width:0}
.masthead h1{font-size:20px}
.kpi{padding:8px 10px}
.kpi-value{font-size:20px}
.card{padding:10px 12px}
.card h2{font-size:13px}
.sub,.legend,.bar-label,.bar-value{font-size:10.5px}
table{font-size:9.5px}
th{font-size:8.5px;padding:4px 5px}
td{padding:4px 5px}
code,.cve{font-size:8.5px}
.muted{font-size:9px}
.chip{font-size:8.5px;padding:0 5px}
td .muted.nowrap{white-space:normal;overflow-wrap:anywhere}
.link-col{display:none}
.donut{width:110px;height:110px}
}
"#;

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
