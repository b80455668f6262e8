//! Inspector Classic building blocks for tests: a tagged template, a security-account
//! topic with a queue, and EC2 instances for runs to find.

use aws_sdk_inspector::types::{Attribute, InspectorEvent, ResourceGroupTag};
use aws_sdk_inspector::Client as Inspector;
use serde_json::{json, Value};

use crate::{LocalAws, SECURITY_ACCOUNT};

/// One of moto's built-in images.
pub const AMI: &str = "ami-12c6146b";

/// The documented rules packages of a Classic region.
pub fn rules_package_arns(region: &str) -> Vec<String> {
    let facts = inspector_facts::classic_region(region)
        .unwrap_or_else(|| panic!("{region} is not a Classic region"));
    facts.rules_packages.iter().map(|p| p.arn.clone()).collect()
}

/// A resource group selecting tag Inspect=<suffix>, its target and a template. The target
/// is deleted on drop: an account may have at most 50, and the members are shared.
pub struct TaggedTemplate {
    client: Inspector,
    pub group: String,
    pub target: String,
    pub template: String,
}

impl TaggedTemplate {
    pub async fn create(client: &Inspector, suffix: &str, region: &str) -> Self {
        let group = client
            .create_resource_group()
            .resource_group_tags(
                ResourceGroupTag::builder()
                    .key("Inspect")
                    .value(suffix)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap()
            .resource_group_arn;
        let target = client
            .create_assessment_target()
            .assessment_target_name(format!("target-{suffix}"))
            .resource_group_arn(&group)
            .send()
            .await
            .unwrap()
            .assessment_target_arn;
        let template = client
            .create_assessment_template()
            .assessment_target_arn(&target)
            .assessment_template_name(format!("template-{suffix}"))
            .duration_in_seconds(3600)
            .set_rules_package_arns(Some(rules_package_arns(region)))
            .user_attributes_for_findings(
                Attribute::builder()
                    .key("Team")
                    .value("platform")
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap()
            .assessment_template_arn;
        TaggedTemplate {
            client: client.clone(),
            group,
            target,
            template,
        }
    }
}

impl TaggedTemplate {
    /// Subscribes the template's `event` to `topic_arn`; panics with Inspector's answer if refused.
    pub async fn subscribe(&self, event: InspectorEvent, topic_arn: &str) {
        self.client
            .subscribe_to_event()
            .resource_arn(&self.template)
            .event(event)
            .topic_arn(topic_arn)
            .send()
            .await
            .unwrap_or_else(|err| panic!("subscribing {} to {topic_arn}: {err:?}", self.template));
    }
}

impl TaggedTemplate {
    /// Starts a run of the template (the local AWS completes it at once, notifying the
    /// subscribed topics) and returns the run's ARN and every finding it reported.
    pub async fn run(&self) -> (String, Vec<String>) {
        let run = self
            .client
            .start_assessment_run()
            .assessment_template_arn(&self.template)
            .send()
            .await
            .unwrap()
            .assessment_run_arn;
        let mut pages = self
            .client
            .list_findings()
            .assessment_run_arns(&run)
            .into_paginator()
            .send();
        let mut findings = Vec::new();
        while let Some(page) = pages.next().await {
            findings.extend(page.unwrap().finding_arns);
        }
        (run, findings)
    }
}

impl Drop for TaggedTemplate {
    fn drop(&mut self) {
        let (client, target) = (self.client.clone(), self.target.clone());
        // Drop cannot be async; a short runtime of its own deletes the target (and template).
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                client
                    .delete_assessment_target()
                    .assessment_target_arn(target)
                    .send()
                    .await
                    .ok()
            });
        })
        .join()
        .unwrap();
    }
}

/// An SNS topic in the security account whose policy lets Inspector publish (or not), and
/// an SQS queue subscribed to it.
pub struct SecurityTopic {
    pub sns: aws_sdk_sns::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub topic: String,
    pub queue_url: String,
}

impl SecurityTopic {
    pub async fn create(suffix: &str, region: &str) -> Self {
        Self::create_in(SECURITY_ACCOUNT, suffix, region).await
    }

    /// The same in another account (e.g. one a test injects faults into).
    pub async fn create_in(account: &str, suffix: &str, region: &str) -> Self {
        let config = LocalAws::shared().sdk_config(account, region).await;
        let (sns, sqs) = (
            aws_sdk_sns::Client::new(&config),
            aws_sdk_sqs::Client::new(&config),
        );
        let name = format!("classic-{suffix}");
        let topic = sns
            .create_topic()
            .name(&name)
            .send()
            .await
            .unwrap()
            .topic_arn
            .unwrap();
        let queue_url = sqs
            .create_queue()
            .queue_name(&name)
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        let queue_arn = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
            .clone();
        sns.subscribe()
            .topic_arn(&topic)
            .protocol("sqs")
            .endpoint(queue_arn)
            .send()
            .await
            .unwrap();
        let topic = SecurityTopic {
            sns,
            sqs,
            topic,
            queue_url,
        };
        let facts = inspector_facts::classic_region(region).expect("a Classic region");
        topic.let_publish(&facts.service_principal_arn()).await;
        topic
    }

    pub async fn let_publish(&self, principal: &str) {
        let policy = json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"AWS": principal},
                "Action": "SNS:Publish",
                "Resource": self.topic,
            }]
        });
        self.sns
            .set_topic_attributes()
            .topic_arn(&self.topic)
            .attribute_name("Policy")
            .attribute_value(policy.to_string())
            .send()
            .await
            .unwrap();
    }

    /// The `Message` of every notification in the queue (SNS delivers in-process).
    pub async fn drain(&self) -> Vec<Value> {
        crate::sqs::drain(&self.sqs, &self.queue_url)
            .await
            .into_iter()
            .map(|(_, body)| {
                let envelope: Value = serde_json::from_str(&body).unwrap();
                serde_json::from_str(envelope["Message"].as_str().unwrap()).unwrap()
            })
            .collect()
    }
}

pub async fn run_instances(
    account: &str,
    region: &str,
    count: i32,
    inspect_tag: Option<&str>,
) -> Vec<String> {
    let ec2 = aws_sdk_ec2::Client::new(&LocalAws::shared().sdk_config(account, region).await);
    let mut request = ec2
        .run_instances()
        .image_id(AMI)
        .min_count(count)
        .max_count(count);
    if let Some(value) = inspect_tag {
        request = request.tag_specifications(
            aws_sdk_ec2::types::TagSpecification::builder()
                .resource_type(aws_sdk_ec2::types::ResourceType::Instance)
                .tags(
                    aws_sdk_ec2::types::Tag::builder()
                        .key("Inspect")
                        .value(value)
                        .build(),
                )
                .build(),
        );
    }
    let reservation = request.send().await.unwrap();
    reservation
        .instances()
        .iter()
        .map(|i| i.instance_id().unwrap().to_owned())
        .collect()
}
