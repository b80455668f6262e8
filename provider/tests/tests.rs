//! Acceptance tests: the built provider under the real terraform, against the local AWS.
//! One binary; a module per area.

mod attachment;
mod deferred_config;
mod diagnostics;
mod inspector2_cis_scan_configuration;
mod inspector2_configuration;
mod inspector2_coverage;
mod release;
mod transport;
mod util;
