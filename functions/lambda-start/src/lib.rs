//! How every inspectorlink Lambda starts: JSON logs, configuration read once from the
//! environment (a bad variable is one log line naming it, then exit), and the SDK config.
//! A Lambda's `main` calls [`start`] and then wires its handler.

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, SdkConfig};

/// A missing or invalid variable: names it and says what it should hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable} {problem}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
}

/// Reads variables through `lookup` (the process environment in Lambdas, a map in tests).
pub struct Env<F: Fn(&str) -> Option<String>> {
    lookup: F,
}

/// The process environment's lookup.
pub type ProcessLookup = fn(&str) -> Option<String>;

impl Env<ProcessLookup> {
    pub fn process() -> Self {
        Env {
            lookup: |name| std::env::var(name).ok(),
        }
    }
}

impl<F: Fn(&str) -> Option<String>> Env<F> {
    pub fn new(lookup: F) -> Self {
        Env { lookup }
    }

    /// The value, trimmed, or None if unset or empty.
    pub fn optional(&self, variable: &'static str) -> Option<String> {
        (self.lookup)(variable)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// The value, or an error that says what to set it to.
    pub fn required(&self, variable: &'static str, what: &str) -> Result<String, ConfigError> {
        self.optional(variable).ok_or_else(|| ConfigError {
            variable,
            problem: format!("is not set: set it to {what}"),
        })
    }
}

/// Everything before serving: logs, the configuration `read` from the process environment
/// (or exit), and the SDK config.
pub async fn start<T>(
    function: &str,
    read: impl FnOnce(&Env<ProcessLookup>) -> Result<T, ConfigError>,
) -> (T, SdkConfig) {
    init_tracing();
    let config = config_or_exit(function, read(&Env::process()));
    (config, aws_config().await)
}

/// JSON log lines (RUST_LOG filters; default info), no timestamps (CloudWatch adds them).
fn init_tracing() {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_current_span(false)
        .without_time()
        .init();
}

/// The configuration, or exit after one log line that names the variable to fix; Lambda
/// reports the exit as Runtime.ExitError. (Exiting, rather than returning the error from
/// `main`, keeps Rust's `Error: ...` debug print and backtrace hints out of the log.)
fn config_or_exit<T>(function: &str, config: Result<T, ConfigError>) -> T {
    match config {
        Ok(config) => config,
        Err(error) => {
            tracing::error!(%error, "{function} cannot start: fix the function's environment variables");
            std::process::exit(1);
        }
    }
}

/// The function's own SDK config. Adaptive retries back off on throttling across all calls
/// of the execution environment.
async fn aws_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::adaptive().with_max_attempts(5))
        .load()
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_values_are_unset_and_required_ones_say_what_to_set() {
        let env = Env::new(|name: &str| match name {
            "SET" => Some("  value ".to_owned()),
            "BLANK" => Some("   ".to_owned()),
            _ => None,
        });
        assert_eq!(env.optional("SET").as_deref(), Some("value"));
        assert_eq!(env.optional("BLANK"), None);
        assert_eq!(
            env.required("BLANK", "a bucket name")
                .unwrap_err()
                .to_string(),
            "BLANK is not set: set it to a bucket name"
        );
    }
}
