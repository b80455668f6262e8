//! report-lambda: wiring only; the work is `report_lambda::ScheduledReport`.

use aws_config::retry::RetryConfig;
use aws_config::BehaviorVersion;
use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use report_lambda::{Config, ScheduledReport};

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
    let Ok(config) = Config::from_env(|name| std::env::var(name).ok()).inspect_err(
        |error| tracing::error!(%error, "report-lambda cannot start: fix the function's environment variables"),
    ) else {
        // Lambda reports the exit as Runtime.ExitError; the log line above says what to fix.
        std::process::exit(1);
    };
    let aws = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::adaptive().with_max_attempts(5))
        .load()
        .await;
    let report = ScheduledReport::new(config, &aws);
    let report = &report;
    run(service_fn(
        move |event: LambdaEvent<EventBridgeEvent>| async move {
            report.handle(event.payload).await.map_err(Error::from)
        },
    ))
    .await
}
