//! Inspector v2 findings: the `detail` of an EventBridge `Inspector2 Finding` event, which
//! is one API `Finding` object with the API's camelCase field names (see
//! tests/fixtures/inspector2/ for the documented examples), and its normalisation into
//! [`Finding`]. The event carries the whole finding, so nothing is fetched or enriched.
//!
//! Only the fields we read are typed, each optional, and unknown fields are ignored: the
//! document's `raw` keeps the detail exactly as it came. What the API marks as required and
//! we cannot do without (ARN, severity, status, first/last observed, the resource) is a
//! [`V2Error`] naming the field when absent; everything else falls back as documented in
//! docs/finding-schema.md.
//!
//! `wire` holds the API's shapes; `normalise` makes a document of one; `timestamp` reads
//! the forms of time Inspector v2 writes.

mod normalise;
mod timestamp;
mod wire;

pub use normalise::normalise;
pub(crate) use normalise::{is_account_id, is_region};
pub(crate) use timestamp::rfc3339_utc;
pub use wire::*;

/// The EventBridge `detail-type` of a finding event (source `aws.inspector2`).
pub const DETAIL_TYPE: &str = "Inspector2 Finding";
/// The EventBridge `source` of Inspector v2 events.
pub const SOURCE: &str = "aws.inspector2";

/// Why an `Inspector2 Finding` event cannot become a document. Every message starts with
/// "Inspector2 Finding event" so that a dead-lettered record says what it was.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum V2Error {
    #[error("Inspector2 Finding event without a detail object")]
    NoDetail,
    #[error("Inspector2 Finding event whose detail is not a finding: {0}")]
    Shape(String),
    #[error("Inspector2 Finding event without detail.{0}")]
    Missing(&'static str),
    #[error("Inspector2 Finding event with detail.findingArn {arn:?} that is not an Inspector v2 finding ARN: {problem}")]
    BadFindingArn { arn: String, problem: &'static str },
    #[error("Inspector2 Finding event with detail.severity {0:?}, not one of INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL, UNTRIAGED")]
    UnknownSeverity(String),
    #[error(
        "Inspector2 Finding event with detail.status {0:?}, not one of ACTIVE, SUPPRESSED, CLOSED"
    )]
    UnknownStatus(String),
    #[error("Inspector2 Finding event with detail.{field} {value} that is not a time in a known format (\"Wed Sep 04 16:59:44.356 UTC 2024\", \"Dec 3, 2021, 6:02:30 PM\", RFC 3339 UTC, or epoch seconds)")]
    BadTimestamp { field: &'static str, value: String },
}
