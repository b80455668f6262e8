//! The findings report: read finding documents and coverage documents (S3 or
//! directories), aggregate them (`summary`, pure) and render one self-contained HTML page
//! (`html`). The CLI `inspectorlink-report` and the report Lambda are thin layers over
//! this.

pub mod cli;
pub mod dates;
pub mod html;
pub mod source;
pub mod summary;

pub use html::Page;
pub use source::{from_dir, from_s3, s3_client, Document, Loaded, SourceError};
pub use summary::{CoverageSummary, Limits, SlaDays, Summary};

use inspectorlink_findings::{Coverage, Finding};

/// The report page for `findings` (no coverage read), with the default table sizes and
/// SLA, open findings aged on the day the page is generated.
pub fn render(findings: &[Finding], page: &Page) -> String {
    render_with(findings, None, page, &SlaDays::default())
}

/// The report page for `findings` and the `coverage` documents read (None: not read),
/// open findings aged against `sla`.
pub fn render_with(
    findings: &[Finding],
    coverage: Option<&[Coverage]>,
    page: &Page,
    sla: &SlaDays,
) -> String {
    html::render(
        &summarise(findings, coverage, &page.generated_at, sla),
        page,
    )
}

/// The summary of `findings` and the `coverage` documents read (None: not read) with the
/// default table sizes, open findings aged against `sla` on the day of `generated_at`
/// (RFC 3339).
pub fn summarise(
    findings: &[Finding],
    coverage: Option<&[Coverage]>,
    generated_at: &str,
    sla: &SlaDays,
) -> Summary {
    let limits = Limits::default();
    let mut summary = Summary::of(findings, limits);
    if let Some(coverage) = coverage {
        summary = summary.covered(coverage, limits);
    }
    match dates::Day::parse(generated_at) {
        Some(today) => summary.aged(findings, sla, today),
        None => summary,
    }
}

/// Now, as RFC 3339 in UTC to the second (the report's "generated at").
pub fn now_rfc3339() -> String {
    use time::format_description::well_known::Rfc3339;
    let now = time::OffsetDateTime::now_utc();
    now.replace_nanosecond(0)
        .expect("0 is a nanosecond")
        .format(&Rfc3339)
        .expect("now formats as RFC 3339")
}
