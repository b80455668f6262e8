//! What every inspectorlink Lambda shares: the normalised finding, parsing of SQS record
//! bodies, cross-account access, batched enrichment, the S3 and OpenSearch sinks,
//! configuration and metrics. A Lambda binary is `main` plus wiring over this crate (and
//! `inspectorlink-lambda-start`, which starts it).

pub mod accounts;
pub mod attach;
pub mod config;
pub mod dead_letter;
pub mod deadline;
pub mod details;
pub mod enrich;
pub mod metrics;
pub mod notify;
pub mod ocsf;
pub mod opensearch;
pub mod pipeline;
pub mod resolve;
pub mod s3;
pub mod sweep;

// The finding model has no AWS SDK dependency; its modules are re-exported under the
// same paths so Lambdas need only this crate.
pub use inspectorlink_findings::{classic, finding, message, priority, v2};
pub use inspectorlink_findings::{
    finding_id, Engine, Finding, Priority, PriorityLabel, Severity, Status,
};
