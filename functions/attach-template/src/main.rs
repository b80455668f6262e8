//! attach-template: wiring only; the work is `inspectorlink_core::attach::AttachTemplate`.

use inspectorlink_core::attach::AttachTemplate;
use inspectorlink_core::config::AttachConfig;
use inspectorlink_lambda_start::start;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let (config, aws) = start("attach-template", AttachConfig::from_env).await;
    let attach = AttachTemplate::new(config, &aws);
    let attach = &attach;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        match attach.handle(event.payload).await {
            Ok(outcome) => Ok::<_, Error>(serde_json::to_value(format!("{outcome:?}"))?),
            Err(error) => {
                // The error fails the invocation: Lambda retries it, then hands the event
                // to the on-failure destination (the DLQ); the log line says what to fix.
                tracing::error!(%error, "template not attached");
                Err(error.into())
            }
        }
    }))
    .await
}
