//! send-findings: wiring only; the work is `inspectorlink_core::pipeline::SendFindings`.

use aws_lambda_events::event::sqs::SqsEvent;
use inspectorlink_core::config::SendFindingsConfig;
use inspectorlink_core::deadline::Deadline;
use inspectorlink_core::pipeline::SendFindings;
use inspectorlink_lambda_start::start;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let (config, aws) = start("send-findings", SendFindingsConfig::from_env).await;
    let pipeline = SendFindings::new(config, &aws);
    let pipeline = &pipeline;
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        let deadline = Deadline::from_epoch_millis(event.context.deadline);
        Ok::<_, Error>(pipeline.handle(event.payload, deadline).await)
    }))
    .await
}
