//! What every Lambda's `main` does before serving: JSON logs, configuration read once (a
//! bad variable is one log line naming it, then exit), and the SDK config.

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, SdkConfig};

use crate::config::ConfigError;

/// JSON log lines (RUST_LOG filters; default info), no timestamps (CloudWatch adds them).
pub fn init_tracing() {
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
/// reports the exit as Runtime.ExitError.
pub fn config_or_exit<T>(function: &str, config: Result<T, ConfigError>) -> T {
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
pub async fn aws_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::adaptive().with_max_attempts(5))
        .load()
        .await
}
