//! send-findings: wiring only; the work is `inspectorlink_core::pipeline::SendFindings`.

use aws_config::retry::RetryConfig;
use aws_config::BehaviorVersion;
use aws_lambda_events::event::sqs::SqsEvent;
use inspectorlink_core::config::{Env, SendFindingsConfig};
use inspectorlink_core::pipeline::SendFindings;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_current_span(false)
        .without_time()
        .init();
    let Ok(config) = SendFindingsConfig::from_env(&Env::process()).inspect_err(|error| tracing::error!(%error, "send-findings cannot start: fix the function's environment variables")) else {
        // Lambda reports the exit as Runtime.ExitError; the log line above says what to fix.
        std::process::exit(1);
    };
    // Adaptive retries back off on throttling across all calls of the execution environment.
    let aws = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::adaptive().with_max_attempts(5))
        .load()
        .await;
    let pipeline = SendFindings::new(config, &aws);
    let pipeline = &pipeline;
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(pipeline.handle(event.payload).await)
    }))
    .await
}
