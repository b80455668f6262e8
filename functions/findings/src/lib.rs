//! The normalised finding document (documented in docs/finding-schema.md), the parsing of
//! SQS record bodies into notifications, and the normalisation of Inspector Classic and
//! Inspector v2 findings, and Inspector v2 coverage documents (`coverage`). Pure data code with no AWS SDK dependency: the core crate adds
//! the AWS calls.

pub mod classic;
pub mod coverage;
pub mod details;
pub mod finding;
#[doc(hidden)]
pub mod fuzzing;
mod lifecycle;
pub mod message;
pub mod ocsf;
#[cfg(feature = "parquet")]
pub mod ocsf_parquet;
pub mod priority;
mod rfc3339;
pub mod sweep;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod v2;

pub use coverage::{Coverage, CoverageSource, ScanStatus};
pub use details::{DetailsStatus, ExploitObserved, FindingDetails, Kev};
pub use finding::{finding_id, Engine, Finding, Severity, Status};
pub use priority::{Priority, PriorityLabel};
