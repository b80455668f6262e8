//! The Inspector calls behind the resource, and what their failures mean for the user.

use std::collections::BTreeMap;

use aws_sdk_inspector::operation::list_event_subscriptions::ListEventSubscriptionsError;
use aws_sdk_inspector::operation::subscribe_to_event::SubscribeToEventError;
use aws_sdk_inspector::operation::unsubscribe_from_event::UnsubscribeFromEventError;
use aws_sdk_inspector::primitives::DateTimeFormat;
use aws_sdk_inspector::Client;
use inspector_facts::{InspectorArn, InspectorEvent, TopicArn};
use tf_provider::AttributePath;

use super::schema::{TEMPLATE, TOPIC};
use crate::diagnostics::AwsFailure;

/// Inspector's `errorCode` for the three exceptions that carry one.
macro_rules! error_code {
    ($error:ident) => {
        |err: &$error| match err {
            $error::AccessDeniedException(e) => Some(e.error_code().as_str().to_owned()),
            $error::NoSuchEntityException(e) => Some(e.error_code().as_str().to_owned()),
            $error::InvalidInputException(e) => Some(e.error_code().as_str().to_owned()),
            _ => None,
        }
    };
}

/// The events `template` notifies `topic` of, with when each was subscribed (RFC 3339);
/// None when the template does not exist.
pub async fn list(
    client: &Client,
    template: &InspectorArn,
    topic: &TopicArn,
) -> Result<Option<BTreeMap<String, String>>, AwsFailure> {
    let mut pages = client
        .list_event_subscriptions()
        .resource_arn(template.to_string())
        .max_results(500)
        .into_paginator()
        .send();
    let topic = topic.to_string();
    let mut events = BTreeMap::new();
    while let Some(page) = pages.next().await {
        let page = match page {
            Ok(page) => page,
            Err(err) => {
                let failure = AwsFailure::new(&err, error_code!(ListEventSubscriptionsError));
                if failure.exception.as_deref() == Some("NoSuchEntityException") {
                    return Ok(None);
                }
                return Err(failure);
            }
        };
        for subscription in page.subscriptions() {
            if subscription.topic_arn() != topic {
                continue;
            }
            for event in subscription.event_subscriptions() {
                let at = event
                    .subscribed_at()
                    .fmt(DateTimeFormat::DateTime)
                    .unwrap_or_default();
                events.insert(event.event().as_str().to_owned(), at);
            }
        }
    }
    Ok(Some(events))
}

pub async fn subscribe(
    client: &Client,
    template: &InspectorArn,
    topic: &TopicArn,
    event: InspectorEvent,
) -> Result<(), AwsFailure> {
    client
        .subscribe_to_event()
        .resource_arn(template.to_string())
        .topic_arn(topic.to_string())
        .event(event.as_str().into())
        .send()
        .await
        .map(|_| ())
        .map_err(|err| AwsFailure::new(&err, error_code!(SubscribeToEventError)))
}

/// Unsubscribing from a template that no longer exists is done, not a failure.
pub async fn unsubscribe(
    client: &Client,
    template: &InspectorArn,
    topic: &TopicArn,
    event: InspectorEvent,
) -> Result<(), AwsFailure> {
    let result = client
        .unsubscribe_from_event()
        .resource_arn(template.to_string())
        .topic_arn(topic.to_string())
        .event(event.as_str().into())
        .send()
        .await;
    match result {
        Ok(_) => Ok(()),
        Err(err) => {
            let failure = AwsFailure::new(&err, error_code!(UnsubscribeFromEventError));
            if failure.error_code.as_deref() == Some("ASSESSMENT_TEMPLATE_DOES_NOT_EXIST") {
                Ok(())
            } else {
                Err(failure)
            }
        }
    }
}

/// The attribute at fault and what to do about it, for a failed call on `template`/`topic`.
pub fn explain(
    failure: &AwsFailure,
    template: &InspectorArn,
    topic: &TopicArn,
) -> (AttributePath, String) {
    match failure.error_code.as_deref() {
        Some("ACCESS_DENIED_TO_SNS_TOPIC") => {
            let advice = match inspector_facts::classic_region(&template.region) {
                Some(region) => format!(
                    "The policy of topic {topic} must allow sns:Publish to the Inspector service account of {}, {} (principal {}). Inspector publishes as that account, so a condition on aws:SourceAccount or aws:SourceArn never matches. The inspectorlink_service_account data source gives the principal.",
                    region.name, region.service_account_id, region.service_principal_arn()
                ),
                None => format!("The policy of topic {topic} must allow sns:Publish to the Inspector service account of {}.", template.region),
            };
            (AttributePath::new(TOPIC), advice)
        }
        Some("SNS_TOPIC_DOES_NOT_EXIST") => (
            AttributePath::new(TOPIC),
            format!("Topic {topic} does not exist, or is not in {} (Inspector only notifies topics of the template's own region). Create it first, or reference its arn so Terraform orders the two.", template.region),
        ),
        Some("INVALID_SNS_TOPIC_ARN") => (
            AttributePath::new(TOPIC),
            format!("Inspector rejected {topic} as a topic ARN."),
        ),
        Some("ASSESSMENT_TEMPLATE_DOES_NOT_EXIST") => (
            AttributePath::new(TEMPLATE),
            format!("No assessment template {template} exists in account {} and region {}. Check the ARN, or create the template first and reference its arn so Terraform orders the two.", template.account, template.region),
        ),
        Some("ACCESS_DENIED_TO_ASSESSMENT_TEMPLATE") => (
            AttributePath::new(TEMPLATE),
            format!("The provider's credentials may not use templates of account {}: configure this provider instance (assume_role) for account {} in {}, which owns the template.", template.account, template.account, template.region),
        ),
        Some("INVALID_ASSESSMENT_TEMPLATE_ARN") => (
            AttributePath::new(TEMPLATE),
            format!("Inspector rejected {template} as an assessment template ARN."),
        ),
        Some("INVALID_EVENT") => (
            AttributePath::new(super::schema::EVENTS),
            "Inspector rejected one of the events.".to_owned(),
        ),
        _ => (AttributePath::root(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(error_code: &str) -> AwsFailure {
        AwsFailure {
            exception: Some("AccessDeniedException".into()),
            error_code: Some(error_code.into()),
            cause: "AccessDeniedException: denied".into(),
        }
    }

    fn pair() -> (InspectorArn, TopicArn) {
        (
            "arn:aws:inspector:us-east-1:222222222222:target/0-nvgVhaxX/template/0-7sbz2Kz0"
                .parse()
                .unwrap(),
            "arn:aws:sns:us-east-1:111111111111:findings"
                .parse()
                .unwrap(),
        )
    }

    #[test]
    fn topic_access_denied_names_the_regions_service_account() {
        let (template, topic) = pair();
        let (path, detail) = explain(&failure("ACCESS_DENIED_TO_SNS_TOPIC"), &template, &topic);
        assert_eq!(path.to_string(), "topic_arn");
        assert!(
            detail.contains("Inspector service account of us-east-1, 316112463485"),
            "{detail}"
        );
        assert!(
            detail.contains("arn:aws:iam::316112463485:root"),
            "{detail}"
        );
    }

    #[test]
    fn a_missing_template_is_reported_on_the_template() {
        let (template, topic) = pair();
        let (path, detail) = explain(
            &failure("ASSESSMENT_TEMPLATE_DOES_NOT_EXIST"),
            &template,
            &topic,
        );
        assert_eq!(path.to_string(), "assessment_template_arn");
        assert!(
            detail.starts_with("No assessment template arn:aws:inspector:us-east-1:222222222222:"),
            "{detail}"
        );
    }

    #[test]
    fn other_failures_have_no_advice() {
        let (template, topic) = pair();
        let unknown = AwsFailure {
            exception: None,
            error_code: None,
            cause: "dispatch failure".into(),
        };
        assert_eq!(
            explain(&unknown, &template, &topic),
            (AttributePath::root(), String::new())
        );
    }
}
