//! The foundation estate (tests/terraform/foundation): a security account and two member
//! accounts in two regions, applied with the real terraform and hashicorp/aws.

use std::collections::BTreeSet;

use serde_json::json;
use test_support::{unique_suffix, LocalAws, MEMBER_ACCOUNTS, REGIONS, SECURITY_ACCOUNT};

#[tokio::test(flavor = "multi_thread")]
async fn foundation_applies_delivers_plans_clean_and_destroys_without_leftovers() {
    let aws = LocalAws::shared();
    let suffix = unique_suffix();
    let tf = aws.terraform("tests/terraform/foundation");
    tf.set_vars(&json!({ "name_suffix": suffix }));

    let init = tf.init().assert_success();
    // This machine's TF_CLI_CONFIG_FILE names a missing file; ours must win, offline.
    assert!(
        !init
            .stderr
            .contains("Unable to open CLI configuration file"),
        "{init}"
    );
    assert!(init.stdout.contains("hashicorp/aws v5.100.0"), "{init}");
    tf.apply().assert_success();
    let plan = tf.plan();
    assert_eq!(plan.code, 0, "a second plan must show no drift:\n{plan}");

    // Every topic, in every account and region, delivers into the one central queue.
    let outputs = tf.outputs();
    let topics: Vec<String> = serde_json::from_value(outputs["topic_arns"].clone()).unwrap();
    assert_eq!(topics.len(), 6);
    for topic in &topics {
        let account = topic.split(':').nth(4).unwrap();
        let region = topic.split(':').nth(3).unwrap();
        let sns = aws_sdk_sns::Client::new(&aws.sdk_config(account, region).await);
        sns.publish()
            .topic_arn(topic)
            .message(format!("hello from {topic}"))
            .send()
            .await
            .unwrap();
    }
    let queue_url = outputs["central_queue_url"].as_str().unwrap();
    let received = drain(aws, queue_url, topics.len()).await;
    let senders: BTreeSet<String> = received
        .iter()
        .map(|body| {
            serde_json::from_str::<serde_json::Value>(body).unwrap()["TopicArn"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(senders, topics.iter().cloned().collect::<BTreeSet<_>>());

    tf.destroy().assert_success();
    assert_nothing_left(aws, &suffix).await;
}

async fn drain(aws: &LocalAws, queue_url: &str, expected: usize) -> Vec<String> {
    let sqs = aws_sdk_sqs::Client::new(&aws.sdk_config(SECURITY_ACCOUNT, REGIONS[0]).await);
    let mut bodies = Vec::new();
    for _ in 0..20 {
        let batch = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        bodies.extend(
            batch
                .messages
                .unwrap_or_default()
                .into_iter()
                .filter_map(|m| m.body),
        );
        if bodies.len() >= expected {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        bodies.len(),
        expected,
        "messages in the central queue: {bodies:?}"
    );
    bodies
}

async fn assert_nothing_left(aws: &LocalAws, suffix: &str) {
    let name = format!("foundation-{suffix}");
    for account in [SECURITY_ACCOUNT, MEMBER_ACCOUNTS[0], MEMBER_ACCOUNTS[1]] {
        for region in REGIONS {
            let config = aws.sdk_config(account, region).await;
            let topics = aws_sdk_sns::Client::new(&config)
                .list_topics()
                .send()
                .await
                .unwrap();
            let ours: Vec<_> = topics
                .topics()
                .iter()
                .filter_map(|t| t.topic_arn())
                .filter(|arn| arn.contains(&name))
                .collect();
            assert!(
                ours.is_empty(),
                "{account}/{region} still has topics {ours:?}"
            );
            let subscriptions = aws_sdk_sns::Client::new(&config)
                .list_subscriptions()
                .send()
                .await
                .unwrap();
            let ours: Vec<_> = subscriptions
                .subscriptions()
                .iter()
                .filter_map(|s| s.topic_arn())
                .filter(|arn| arn.contains(&name))
                .collect();
            assert!(
                ours.is_empty(),
                "{account}/{region} still has subscriptions to {ours:?}"
            );
            let queues = aws_sdk_sqs::Client::new(&config)
                .list_queues()
                .queue_name_prefix(&name)
                .send()
                .await
                .unwrap();
            assert!(
                queues.queue_urls().is_empty(),
                "{account}/{region} still has queues {:?}",
                queues.queue_urls()
            );
        }
    }
}
