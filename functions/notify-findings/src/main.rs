//! notify-findings: wiring only; the work is `inspectorlink_core::notify::NotifyFindings`.

use inspectorlink_core::config::{Env, NotifyConfig};
use inspectorlink_core::lambda::{aws_config, config_or_exit, init_tracing};
use inspectorlink_core::notify::{NotifyFindings, Trigger};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    init_tracing();
    let config = config_or_exit("notify-findings", NotifyConfig::from_env(&Env::process()));
    let notify = NotifyFindings::new(config, &aws_config().await);
    let notify = &notify;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        match Trigger::from_payload(event.payload)? {
            Trigger::Sqs(batch) => {
                Ok::<_, Error>(serde_json::to_value(notify.handle_sqs(batch).await)?)
            }
            Trigger::Sns(event) => {
                notify.handle_sns(event).await?;
                Ok(Value::Null)
            }
        }
    }))
    .await
}
