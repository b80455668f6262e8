//! What every inspectorlink Lambda shares: the normalised finding, parsing of SQS record
//! bodies, cross-account access, batched enrichment, the S3 and OpenSearch sinks,
//! configuration and metrics. A Lambda binary is `main` plus wiring over this crate.

pub mod accounts;
pub mod classic;
pub mod config;
pub mod enrich;
pub mod finding;
pub mod message;
pub mod metrics;
pub mod opensearch;
pub mod pipeline;
pub mod s3;

pub use finding::{finding_id, Engine, Finding, Severity, Status};
