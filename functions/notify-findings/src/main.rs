//! notify-findings: wiring only; the work is `inspectorlink_core::notify::NotifyFindings`.

use inspectorlink_core::config::NotifyConfig;
use inspectorlink_core::deadline::Deadline;
use inspectorlink_core::notify::{NotifyFindings, Trigger};
use inspectorlink_lambda_start::start;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let (config, aws) = start("notify-findings", NotifyConfig::from_env).await;
    let notify = NotifyFindings::new(config, &aws);
    let notify = &notify;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        let deadline = Deadline::from_epoch_millis(event.context.deadline);
        match Trigger::from_payload(event.payload)? {
            Trigger::Sqs(batch) => Ok::<_, Error>(serde_json::to_value(
                notify.handle_sqs(batch, deadline).await,
            )?),
            Trigger::Sns(event) => {
                notify.handle_sns(event, deadline).await?;
                Ok(Value::Null)
            }
        }
    }))
    .await
}
