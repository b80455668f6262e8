//! send-findings: wiring only; the work is `inspectorlink_core::pipeline::SendFindings`.

use aws_lambda_events::event::sqs::SqsEvent;
use inspectorlink_core::config::{Env, SendFindingsConfig};
use inspectorlink_core::lambda::{aws_config, config_or_exit, init_tracing};
use inspectorlink_core::pipeline::SendFindings;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let config = config_or_exit(
        "send-findings",
        SendFindingsConfig::from_env(&Env::process()),
    );
    let pipeline = SendFindings::new(config, &aws_config().await);
    let pipeline = &pipeline;
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<_, Error>(pipeline.handle(event.payload).await)
    }))
    .await
}
