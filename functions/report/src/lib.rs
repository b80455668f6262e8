//! The findings report: read finding documents (S3 or a directory), aggregate them
//! (`summary`, pure) and render one self-contained HTML page (`html`). The CLI
//! `inspectorlink-report` and the report Lambda are thin layers over this.

pub mod cli;
pub mod dates;
pub mod html;
pub mod source;
pub mod summary;

pub use html::Page;
pub use source::{from_dir, from_s3, s3_client, Loaded, SourceError};
pub use summary::{Limits, Summary};

use inspectorlink_findings::Finding;

/// The report page for `findings`, with the default table sizes.
pub fn render(findings: &[Finding], page: &Page) -> String {
    html::render(&Summary::of(findings, Limits::default()), page)
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
