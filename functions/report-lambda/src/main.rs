//! report-lambda: wiring only; the work is `report_lambda::ScheduledReport`.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use inspectorlink_lambda_start::start;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use report_lambda::{Config, ScheduledReport};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let (config, aws) = start("report-lambda", Config::from_env).await;
    let report = ScheduledReport::new(config, &aws);
    let report = &report;
    run(service_fn(
        move |event: LambdaEvent<EventBridgeEvent>| async move {
            report.handle(event.payload).await.map_err(Error::from)
        },
    ))
    .await
}
