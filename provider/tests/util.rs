//! What every acceptance test needs: the provider installed where terraform finds it, and
//! Inspector and SNS clients of the test estate's accounts.

use std::collections::BTreeMap;
use std::path::Path;

use aws_sdk_inspector::types::InspectorEvent;
use test_support::{install_provider, LocalAws, Terraform, SECURITY_ACCOUNT};

pub const REGION: &str = "us-east-1";
pub const MEMBER: &str = test_support::MEMBER_ACCOUNTS[0];

/// A terraform working copy of `root` that uses the provider binary cargo built for this test.
pub fn terraform(root: &str) -> Terraform {
    install_provider(Path::new(env!(
        "CARGO_BIN_EXE_terraform-provider-inspectorlink"
    )));
    LocalAws::shared().terraform(root)
}

pub async fn inspector(account: &str) -> aws_sdk_inspector::Client {
    aws_sdk_inspector::Client::new(&LocalAws::shared().sdk_config(account, REGION).await)
}

/// The events `template` notifies `topic` of, as Inspector lists them.
pub async fn subscribed(template: &str, topic: &str) -> Vec<String> {
    let listed = inspector(MEMBER)
        .await
        .list_event_subscriptions()
        .resource_arn(template)
        .send()
        .await
        .unwrap();
    let mut events: Vec<String> = listed
        .subscriptions()
        .iter()
        .filter(|s| s.topic_arn() == topic)
        .flat_map(|s| {
            s.event_subscriptions()
                .iter()
                .map(|e| e.event().as_str().to_owned())
        })
        .collect();
    events.sort();
    events
}

pub async fn unsubscribe(template: &str, topic: &str, event: &str) {
    inspector(MEMBER)
        .await
        .unsubscribe_from_event()
        .resource_arn(template)
        .topic_arn(topic)
        .event(InspectorEvent::from(event))
        .send()
        .await
        .unwrap();
}

pub async fn delete_topic(topic: &str) {
    let sns = aws_sdk_sns::Client::new(
        &LocalAws::shared()
            .sdk_config(SECURITY_ACCOUNT, REGION)
            .await,
    );
    sns.delete_topic().topic_arn(topic).send().await.unwrap();
}

/// `terraform output` values as strings.
pub fn output(tf: &Terraform, name: &str) -> String {
    tf.outputs()[name]
        .as_str()
        .unwrap_or_else(|| panic!("output {name} is not a string"))
        .to_owned()
}

/// Subscription times by event, as the resource reports them.
pub fn subscribed_at(tf: &Terraform) -> BTreeMap<String, String> {
    serde_json::from_value(tf.outputs()["subscribed_at"].clone()).unwrap()
}
