//! attach-template against the local AWS: CloudTrail-shaped events for templates created
//! in a member account, and the Classic emulator's event subscriptions as the outcome.

use std::collections::BTreeMap;

use aws_sdk_inspector::types::Tag;
use inspector_facts::InspectorEvent;
use inspectorlink_core::attach::{AttachError, AttachOutcome, AttachTemplate};
use inspectorlink_core::config::{AttachConfig, Env};
use serde_json::{json, Value};
use test_support::classic::{SecurityTopic, TaggedTemplate};
use test_support::{unique_suffix, LocalAws, MEMBER_ACCOUNTS, SECURITY_ACCOUNT};

use super::PRIMARY;

const MEMBER: &str = MEMBER_ACCOUNTS[0];
const SECONDARY: &str = "us-west-2";

/// The event EventBridge delivers for a CloudTrail-recorded Inspector call.
fn cloudtrail(event_name: &str, region: &str, request: Value, response: Option<Value>) -> Value {
    json!({
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.inspector",
        "account": MEMBER,
        "time": "2026-11-24T10:00:00Z",
        "region": region,
        "resources": [],
        "detail": {
            "eventVersion": "1.08",
            "userIdentity": {"type": "AssumedRole", "accountId": MEMBER, "arn": format!("arn:aws:sts::{MEMBER}:assumed-role/platform/jane")},
            "eventTime": "2026-11-24T10:00:00Z",
            "eventSource": "inspector.amazonaws.com",
            "eventName": event_name,
            "awsRegion": region,
            "sourceIPAddress": "198.51.100.7",
            "userAgent": "aws-cli/2.15.0",
            "requestParameters": request,
            "responseElements": response,
            "requestID": "0c1f7a2e-1111-4b4b-9c9c-000000000001",
            "eventID": "0c1f7a2e-2222-4b4b-9c9c-000000000002",
            "readOnly": false,
            "eventType": "AwsApiCall",
            "managementEvent": true,
            "recipientAccountId": MEMBER,
        }
    })
}

fn created(template: &TaggedTemplate, region: &str) -> Value {
    cloudtrail(
        "CreateAssessmentTemplate",
        region,
        json!({"assessmentTargetArn": template.target, "assessmentTemplateName": "t", "durationInSeconds": 3600, "rulesPackageArns": []}),
        Some(json!({"assessmentTemplateArn": template.template})),
    )
}

struct Setup {
    suffix: String,
    topic: SecurityTopic,
}

impl Setup {
    /// A central topic in the primary region only.
    async fn new() -> Self {
        let suffix = unique_suffix();
        let topic = SecurityTopic::create(&format!("central-{suffix}"), PRIMARY).await;
        Setup { suffix, topic }
    }

    fn topic_name(&self) -> String {
        self.topic.topic.rsplit(':').next().unwrap().to_owned()
    }

    /// The function as deployed in the member account (its own role), with `extra` settings.
    async fn function(&self, extra: &[(&str, &str)]) -> AttachTemplate {
        let mut vars = BTreeMap::from([
            (
                "CENTRAL_TOPIC_ACCOUNT_ID".to_owned(),
                SECURITY_ACCOUNT.to_owned(),
            ),
            ("CENTRAL_TOPIC_NAME".to_owned(), self.topic_name()),
            ("CENTRAL_TOPIC_REGIONS".to_owned(), PRIMARY.to_owned()),
        ]);
        vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let config =
            AttachConfig::from_env(&Env::new(|name: &str| vars.get(name).cloned())).unwrap();
        let own = LocalAws::shared().sdk_config(MEMBER, PRIMARY).await;
        AttachTemplate::new(config, &own)
    }

    async fn template(&self, region: &str) -> (TaggedTemplate, aws_sdk_inspector::Client) {
        let client =
            aws_sdk_inspector::Client::new(&LocalAws::shared().sdk_config(MEMBER, region).await);
        let template = TaggedTemplate::create(&client, &self.suffix, region).await;
        (template, client)
    }
}

/// topic ARN → events the template is subscribed to.
async fn subscriptions(
    client: &aws_sdk_inspector::Client,
    template: &TaggedTemplate,
) -> BTreeMap<String, Vec<String>> {
    let listed = client
        .list_event_subscriptions()
        .resource_arn(&template.template)
        .send()
        .await
        .unwrap();
    listed
        .subscriptions()
        .iter()
        .map(|s| {
            (
                s.topic_arn().to_owned(),
                s.event_subscriptions()
                    .iter()
                    .map(|e| e.event().as_str().to_owned())
                    .collect(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_template_is_subscribed_once_and_the_same_event_twice_is_harmless() {
    let setup = Setup::new().await;
    let function = setup.function(&[]).await;
    let (template, client) = setup.template(PRIMARY).await;
    let event = created(&template, PRIMARY);

    let outcome = function.handle(event.clone()).await.unwrap();
    assert_eq!(
        outcome,
        AttachOutcome::Attached {
            template_arn: template.template.clone(),
            topic_arn: setup.topic.topic.clone(),
            events: vec![InspectorEvent::FindingReported],
        }
    );
    let expected = BTreeMap::from([(
        setup.topic.topic.clone(),
        vec!["FINDING_REPORTED".to_owned()],
    )]);
    assert_eq!(subscriptions(&client, &template).await, expected);

    let again = function.handle(event).await.unwrap();
    assert!(
        matches!(again, AttachOutcome::AlreadyAttached { .. }),
        "{again:?}"
    );
    assert_eq!(subscriptions(&client, &template).await, expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_central_deployment_reaches_the_member_through_its_role_and_subscribes_more_events() {
    let setup = Setup::new().await;
    let function = setup
        .function(&[
            ("MEMBER_ROLE_NAME", "inspectorlink-read"),
            (
                "SUBSCRIBE_EVENTS",
                "FINDING_REPORTED, ASSESSMENT_RUN_COMPLETED",
            ),
        ])
        .await;
    let (template, client) = setup.template(PRIMARY).await;
    function.handle(created(&template, PRIMARY)).await.unwrap();
    let mut events = subscriptions(&client, &template).await[&setup.topic.topic].clone();
    events.sort();
    assert_eq!(events, ["ASSESSMENT_RUN_COMPLETED", "FINDING_REPORTED"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn with_a_tag_filter_untagged_templates_are_left_alone_until_tagged() {
    let setup = Setup::new().await;
    let function = setup
        .function(&[
            ("TEMPLATE_TAG_KEY", "ScanType"),
            ("TEMPLATE_TAG_VALUE", "Inspector"),
        ])
        .await;
    let (template, client) = setup.template(PRIMARY).await;

    let outcome = function.handle(created(&template, PRIMARY)).await.unwrap();
    assert_eq!(
        outcome,
        AttachOutcome::NotTagged {
            template_arn: template.template.clone(),
            tag: "ScanType=Inspector".to_owned(),
        }
    );
    assert!(subscriptions(&client, &template).await.is_empty());

    // Tagged later (hashicorp/aws tags right after creating): SetTagsForResource attaches it.
    client
        .set_tags_for_resource()
        .resource_arn(&template.template)
        .tags(
            Tag::builder()
                .key("ScanType")
                .value("Inspector")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let tagged = cloudtrail(
        "SetTagsForResource",
        PRIMARY,
        json!({"resourceArn": template.template, "tags": [{"key": "ScanType", "value": "Inspector"}]}),
        None,
    );
    let outcome = function.handle(tagged).await.unwrap();
    assert!(
        matches!(outcome, AttachOutcome::Attached { .. }),
        "{outcome:?}"
    );
    assert_eq!(subscriptions(&client, &template).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_region_without_a_central_topic_gives_the_documented_error() {
    let setup = Setup::new().await;
    let (template, client) = setup.template(SECONDARY).await;

    // Not listed in CENTRAL_TOPIC_REGIONS: refused before any call.
    let function = setup.function(&[]).await;
    let err = function
        .handle(created(&template, SECONDARY))
        .await
        .unwrap_err();
    assert!(matches!(err, AttachError::NoCentralTopic { .. }));
    assert_eq!(
        err.to_string(),
        "no central topic in us-west-2: CENTRAL_TOPIC_REGIONS lists us-east-1. Deploy the security account's regional stack in us-west-2 and add us-west-2 to CENTRAL_TOPIC_REGIONS, or stop creating templates in us-west-2"
    );

    // Listed, but the topic was never deployed there: Inspector's refusal, explained.
    let listed = setup
        .function(&[("CENTRAL_TOPIC_REGIONS", "us-east-1,us-west-2")])
        .await;
    let err = listed
        .handle(created(&template, SECONDARY))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("does not exist: deploy the security account's regional stack in us-west-2"),
        "{err}"
    );
    assert!(subscriptions(&client, &template).await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_events_are_errors_that_subscribe_nothing() {
    let setup = Setup::new().await;
    let function = setup.function(&[]).await;
    let (template, client) = setup.template(PRIMARY).await;
    let mut wrong_source = created(&template, PRIMARY);
    wrong_source["detail"]["eventSource"] = json!("ec2.amazonaws.com");
    let mut wrong_type = created(&template, PRIMARY);
    wrong_type["detail-type"] = json!("Scheduled Event");
    let mut other_call = created(&template, PRIMARY);
    other_call["detail"]["eventName"] = json!("DeleteAssessmentTemplate");
    let mut bad_arn = created(&template, PRIMARY);
    bad_arn["detail"]["responseElements"]["assessmentTemplateArn"] = json!(template.target);
    let cases = [
        (json!({"hello": "world"}), "expected detail-type"),
        (json!([1, 2, 3]), "expected detail-type"),
        (wrong_type, "detail-type is \"Scheduled Event\""),
        (wrong_source, "eventSource is \"ec2.amazonaws.com\""),
        (other_call, "eventName is \"DeleteAssessmentTemplate\""),
        (
            cloudtrail("CreateAssessmentTemplate", PRIMARY, json!({}), None),
            "without detail.responseElements.assessmentTemplateArn",
        ),
        (bad_arn, "bad template ARN"),
    ];
    for (event, expected) in cases {
        let err = function.handle(event.clone()).await.unwrap_err();
        assert!(matches!(err, AttachError::Malformed(_)), "{event}: {err:?}");
        assert!(err.to_string().contains(expected), "{event}: {err}");
    }
    assert!(subscriptions(&client, &template).await.is_empty());

    // A call that failed in CloudTrail has nothing to attach; it is not an error.
    let mut failed = created(&template, PRIMARY);
    failed["detail"]["errorCode"] = json!("AccessDeniedException");
    let outcome = function.handle(failed).await.unwrap();
    assert!(
        matches!(outcome, AttachOutcome::Ignored { .. }),
        "{outcome:?}"
    );
}
