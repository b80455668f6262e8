//! attach-template's work: a CloudTrail event (through EventBridge) says an Inspector
//! Classic assessment template was created (CreateAssessmentTemplate) or tagged
//! (SetTagsForResource) in a member account; subscribe it to the security account's
//! central topic of the same region, unless a tag filter leaves it out. Idempotent: a
//! template already subscribed is left as it is.

use aws_config::SdkConfig;
use aws_sdk_inspector::types::InspectorEvent as SdkEvent;
use aws_smithy_types::error::display::DisplayErrorContext;
use inspector_facts::{InspectorArn, InspectorEvent, TopicArn};
use serde::Deserialize;
use tracing::info;

use crate::accounts::MemberAccounts;
use crate::config::AttachConfig;
use crate::metrics;

const DETAIL_TYPE: &str = "AWS API Call via CloudTrail";

/// The template an event is about, and where it lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateEvent {
    /// A template was created or tagged: attach it if it qualifies.
    Template(InspectorArn),
    /// A well-formed event with nothing to do (a failed call, a tag change on a target…).
    Nothing(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttachOutcome {
    /// Subscribed to these events now.
    Attached {
        template_arn: String,
        topic_arn: String,
        events: Vec<InspectorEvent>,
    },
    /// Every configured event was already subscribed.
    AlreadyAttached {
        template_arn: String,
        topic_arn: String,
    },
    /// The template lacks the configured tag.
    NotTagged {
        template_arn: String,
        tag: String,
    },
    Ignored {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachError {
    #[error("not a CloudTrail event for an Inspector template: {0}")]
    Malformed(String),
    #[error("no central topic in {region}: CENTRAL_TOPIC_REGIONS lists {listed}. Deploy the security account's regional stack in {region} and add {region} to CENTRAL_TOPIC_REGIONS, or stop creating templates in {region}")]
    NoCentralTopic { region: String, listed: String },
    #[error("{doing} for {template_arn}: {cause}. {fix}")]
    Inspector {
        doing: &'static str,
        template_arn: String,
        cause: String,
        fix: String,
    },
}

#[derive(Deserialize)]
struct EventBridgeEvent {
    #[serde(rename = "detail-type")]
    detail_type: String,
    detail: ApiCall,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiCall {
    event_source: String,
    event_name: String,
    #[serde(default)]
    error_code: Option<String>,
    #[serde(default)]
    request_parameters: Option<serde_json::Value>,
    #[serde(default)]
    response_elements: Option<serde_json::Value>,
}

/// Reads the event EventBridge delivers for a CloudTrail-recorded Inspector call.
pub fn parse_event(event: &serde_json::Value) -> Result<TemplateEvent, AttachError> {
    let event: EventBridgeEvent = serde_json::from_value(event.clone()).map_err(|e| {
        AttachError::Malformed(format!(
            "expected detail-type, detail.eventSource and detail.eventName ({e})"
        ))
    })?;
    if event.detail_type != DETAIL_TYPE {
        return Err(AttachError::Malformed(format!(
            "detail-type is {:?}, expected {DETAIL_TYPE:?}",
            event.detail_type
        )));
    }
    let call = event.detail;
    if call.event_source != "inspector.amazonaws.com" {
        return Err(AttachError::Malformed(format!(
            "detail.eventSource is {:?}, expected \"inspector.amazonaws.com\"; check the rule's event pattern",
            call.event_source
        )));
    }
    if let Some(code) = call.error_code {
        return Ok(TemplateEvent::Nothing(format!(
            "{} failed with {code}: no template to attach",
            call.event_name
        )));
    }
    let arn = match call.event_name.as_str() {
        "CreateAssessmentTemplate" => call
            .response_elements
            .as_ref()
            .and_then(|r| r.get("assessmentTemplateArn"))
            .and_then(|a| a.as_str())
            .ok_or_else(|| {
                AttachError::Malformed(
                    "CreateAssessmentTemplate without detail.responseElements.assessmentTemplateArn"
                        .to_owned(),
                )
            })?,
        "SetTagsForResource" => {
            let arn = call
                .request_parameters
                .as_ref()
                .and_then(|r| r.get("resourceArn"))
                .and_then(|a| a.as_str())
                .ok_or_else(|| {
                    AttachError::Malformed(
                        "SetTagsForResource without detail.requestParameters.resourceArn".to_owned(),
                    )
                })?;
            if !arn.contains("/template/") {
                return Ok(TemplateEvent::Nothing(format!(
                    "tags changed on {arn}, which is not an assessment template"
                )));
            }
            arn
        }
        other => {
            return Err(AttachError::Malformed(format!(
                "detail.eventName is {other:?}; this function handles CreateAssessmentTemplate and SetTagsForResource: check the rule's event pattern"
            )))
        }
    };
    InspectorArn::parse_kind(arn, "assessment template")
        .map(TemplateEvent::Template)
        .map_err(|e| AttachError::Malformed(format!("bad template ARN: {e}")))
}

pub struct AttachTemplate {
    config: AttachConfig,
    own: SdkConfig,
    members: Option<MemberAccounts>,
}

impl AttachTemplate {
    pub fn new(config: AttachConfig, aws: &SdkConfig) -> Self {
        let members = config.member_role_name.as_ref().map(|role| {
            MemberAccounts::new(
                aws.clone(),
                role.clone(),
                config.member_role_external_id.clone(),
                "inspectorlink-attach-template",
            )
        });
        AttachTemplate {
            config,
            own: aws.clone(),
            members,
        }
    }

    /// The central topic of `region`, or the documented error when it has none.
    pub fn topic_for(&self, template: &InspectorArn) -> Result<TopicArn, AttachError> {
        if !self.config.topic_regions.contains(&template.region) {
            return Err(AttachError::NoCentralTopic {
                region: template.region.clone(),
                listed: self.config.topic_regions.join(", "),
            });
        }
        Ok(TopicArn {
            partition: template.partition.clone(),
            region: template.region.clone(),
            account: self.config.topic_account_id.clone(),
            name: self.config.topic_name.clone(),
        })
    }

    /// Attaches the event's template and emits the outcome as EMF metrics.
    pub async fn handle(&self, event: serde_json::Value) -> Result<AttachOutcome, AttachError> {
        let result = self.attach(event).await;
        let count = |matches: bool| u64::from(matches);
        metrics::emit_counts(
            "attach-template",
            &[
                (
                    "TemplatesAttached",
                    count(matches!(result, Ok(AttachOutcome::Attached { .. }))),
                ),
                (
                    "AlreadyAttached",
                    count(matches!(result, Ok(AttachOutcome::AlreadyAttached { .. }))),
                ),
                (
                    "TemplatesNotTagged",
                    count(matches!(result, Ok(AttachOutcome::NotTagged { .. }))),
                ),
                (
                    "EventsIgnored",
                    count(matches!(result, Ok(AttachOutcome::Ignored { .. }))),
                ),
                ("AttachFailed", count(result.is_err())),
            ],
        );
        result
    }

    async fn attach(&self, event: serde_json::Value) -> Result<AttachOutcome, AttachError> {
        let template = match parse_event(&event)? {
            TemplateEvent::Template(template) => template,
            TemplateEvent::Nothing(reason) => {
                info!(%reason, "nothing to attach");
                return Ok(AttachOutcome::Ignored { reason });
            }
        };
        let topic = self.topic_for(&template)?;
        let config = match &self.members {
            Some(members) => members.config(&template.account, &template.region).await,
            None => self
                .own
                .to_builder()
                .region(aws_config::Region::new(template.region.clone()))
                .build(),
        };
        let inspector = aws_sdk_inspector::Client::new(&config);
        let template_arn = template.to_string();
        let topic_arn = topic.to_string();
        let acting_as = match &self.members {
            Some(members) => format!(
                "the role {}",
                members.role_arn(&template.account, &template.region)
            ),
            None => "the function's role".to_owned(),
        };
        let inspector_error =
            |doing: &'static str, action: &str, err: String| AttachError::Inspector {
                doing,
                template_arn: template_arn.clone(),
                cause: err,
                fix: format!(
                    "{acting_as} needs inspector:{action} in account {}",
                    template.account
                ),
            };

        if let Some((key, value)) = &self.config.tag_filter {
            let tags = inspector
                .list_tags_for_resource()
                .resource_arn(&template_arn)
                .send()
                .await
                .map_err(|e| {
                    inspector_error(
                        "listing the tags",
                        "ListTagsForResource",
                        DisplayErrorContext(&e).to_string(),
                    )
                })?;
            let tagged = tags.tags().iter().any(|tag| {
                tag.key() == key
                    && value
                        .as_ref()
                        .is_none_or(|v| tag.value() == Some(v.as_str()))
            });
            if !tagged {
                let tag = match value {
                    Some(value) => format!("{key}={value}"),
                    None => key.clone(),
                };
                info!(%template_arn, %tag, "template lacks the tag; left unattached");
                return Ok(AttachOutcome::NotTagged { template_arn, tag });
            }
        }

        let subscribed = inspector
            .list_event_subscriptions()
            .resource_arn(&template_arn)
            .send()
            .await
            .map_err(|e| {
                inspector_error(
                    "listing the event subscriptions",
                    "ListEventSubscriptions",
                    DisplayErrorContext(&e).to_string(),
                )
            })?;
        let already: Vec<&str> = subscribed
            .subscriptions()
            .iter()
            .filter(|s| s.topic_arn() == topic_arn)
            .flat_map(|s| s.event_subscriptions())
            .map(|e| e.event().as_str())
            .collect();
        let missing: Vec<InspectorEvent> = self
            .config
            .events
            .iter()
            .copied()
            .filter(|event| !already.contains(&event.as_str()))
            .collect();
        if missing.is_empty() {
            info!(%template_arn, %topic_arn, "already attached");
            return Ok(AttachOutcome::AlreadyAttached {
                template_arn,
                topic_arn,
            });
        }
        for event in &missing {
            inspector
                .subscribe_to_event()
                .resource_arn(&template_arn)
                .event(SdkEvent::from(event.as_str()))
                .topic_arn(&topic_arn)
                .send()
                .await
                .map_err(|e| {
                    let cause = DisplayErrorContext(&e).to_string();
                    let fix = if cause.contains("SNS_TOPIC_DOES_NOT_EXIST") || cause.contains("does not exist") {
                        format!("The central topic {topic_arn} does not exist: deploy the security account's regional stack in {} (topic name {}) or correct CENTRAL_TOPIC_ACCOUNT_ID / CENTRAL_TOPIC_NAME", template.region, self.config.topic_name)
                    } else if cause.contains("ACCESS_DENIED_TO_SNS_TOPIC") {
                        format!("The policy of {topic_arn} must let the region's Inspector service account publish (sns:Publish)")
                    } else {
                        format!("{acting_as} needs inspector:SubscribeToEvent in account {}", template.account)
                    };
                    AttachError::Inspector {
                        doing: "subscribing to the central topic",
                        template_arn: template_arn.clone(),
                        cause,
                        fix,
                    }
                })?;
        }
        info!(%template_arn, %topic_arn, events = ?missing, "template attached");
        Ok(AttachOutcome::Attached {
            template_arn,
            topic_arn,
            events: missing,
        })
    }
}
