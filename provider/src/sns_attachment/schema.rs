//! `inspectorlink_sns_attachment`: its schema, its state, its id, and the checks that need
//! no AWS call.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use inspector_facts::{InspectorArn, InspectorEvent, TopicArn};
use serde::{Deserialize, Serialize};
use tf_provider::schema::{AttributeConstraint, AttributeType, Block, Description, Schema};
use tf_provider::value::Value;
use tf_provider::{AttributePath, Diagnostics};

use crate::diagnostics::error;
use crate::schema::attribute;

pub type Events = Value<BTreeSet<Value<String>>>;

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub id: Value<String>,
    pub assessment_template_arn: Value<String>,
    pub topic_arn: Value<String>,
    pub events: Events,
    pub subscribed_at: Value<BTreeMap<String, Value<String>>>,
}

pub const TEMPLATE: &str = "assessment_template_arn";
pub const TOPIC: &str = "topic_arn";
pub const EVENTS: &str = "events";

const TEMPLATE_EXAMPLE: &str =
    "arn:aws:inspector:us-east-1:222222222222:target/0-AbCd1234/template/0-EfGh5678";
const TOPIC_EXAMPLE: &str = "arn:aws:sns:us-east-1:111111111111:inspector-findings";

pub fn schema() -> Schema {
    use AttributeConstraint::{Computed, OptionalComputed, Required};
    use AttributeType::{Map, Set, String};
    Schema {
        version: 1,
        block: Block {
            description: Description::markdown("Subscribes an Inspector Classic assessment template (in the account and region of the provider) to an SNS topic, which may belong to another account, for a set of events. The resource owns the subscriptions of its template to its topic: out-of-band removals show as drift, and destroy removes them and nothing else."),
            attributes: HashMap::from([
                ("id".into(), attribute(String, Computed, "`<assessment_template_arn>,<topic_arn>`, the import id.")),
                (TEMPLATE.into(), attribute(String, Required, format!("The ARN of the assessment template, e.g. `{TEMPLATE_EXAMPLE}`. Changing it replaces the resource."))),
                (TOPIC.into(), attribute(String, Required, format!("The ARN of the SNS topic in the template's region, e.g. `{TOPIC_EXAMPLE}`. Its policy must let the region's Inspector service account publish (see the `inspectorlink_service_account` data source). Changing it replaces the resource."))),
                (EVENTS.into(), attribute(Set(String.into()), OptionalComputed, format!("The events to notify the topic of: {}. Defaults to `[\"FINDING_REPORTED\"]`; changes are made in place.", event_names()))),
                ("subscribed_at".into(), attribute(Map(String.into()), Computed, "When each event was subscribed (RFC 3339), by event name.")),
            ]),
            ..Default::default()
        },
    }
}

fn event_names() -> String {
    let names: Vec<String> = InspectorEvent::ALL
        .iter()
        .map(|e| format!("`{e}`"))
        .collect();
    names.join(", ")
}

/// `<template ARN>,<topic ARN>`: neither ARN can contain a comma.
pub fn format_id(template: &InspectorArn, topic: &TopicArn) -> String {
    format!("{template},{topic}")
}

pub fn parse_id(id: &str) -> Result<(InspectorArn, TopicArn), String> {
    let (template, topic) = id.split_once(',').ok_or_else(|| {
        format!("{id:?} is not <assessment_template_arn>,<topic_arn>, e.g. {TEMPLATE_EXAMPLE},{TOPIC_EXAMPLE}")
    })?;
    let template =
        InspectorArn::parse_kind(template, "assessment template").map_err(|e| e.to_string())?;
    let topic = topic.parse::<TopicArn>().map_err(|e| e.to_string())?;
    Ok((template, topic))
}

/// The template ARN, if known and valid; reports it on `assessment_template_arn` if invalid.
pub fn template_arn(diags: &mut Diagnostics, value: &Value<String>) -> Option<InspectorArn> {
    let arn = value.as_ref_option()?;
    match InspectorArn::parse_kind(arn, "assessment template") {
        Ok(arn) => Some(arn),
        Err(err) => {
            error(
                diags,
                AttributePath::new(TEMPLATE),
                "invalid assessment_template_arn",
                format!("{err}. An assessment template ARN looks like {TEMPLATE_EXAMPLE}."),
            );
            None
        }
    }
}

/// The topic ARN, if known and valid; reports it on `topic_arn` if invalid.
pub fn topic_arn(diags: &mut Diagnostics, value: &Value<String>) -> Option<TopicArn> {
    let arn = value.as_ref_option()?;
    match arn.parse::<TopicArn>() {
        Ok(arn) => Some(arn),
        Err(err) => {
            error(
                diags,
                AttributePath::new(TOPIC),
                "invalid topic_arn",
                format!("{err}. An SNS topic ARN looks like {TOPIC_EXAMPLE}."),
            );
            None
        }
    }
}

/// The events, if all are known and valid (a null set means the default); reports unknown
/// names and an empty set on `events`.
pub fn events(diags: &mut Diagnostics, value: &Events) -> Option<BTreeSet<InspectorEvent>> {
    let names = match value {
        Value::Unknown => return None,
        Value::Null => return Some(BTreeSet::from([InspectorEvent::FindingReported])),
        Value::Value(names) => names,
    };
    if names.is_empty() {
        error(
            diags,
            AttributePath::new(EVENTS),
            "events is empty",
            format!("Name at least one event ({}), or leave events out for FINDING_REPORTED; to stop notifications, remove the resource.", event_names()),
        );
        return None;
    }
    let mut events = BTreeSet::new();
    let mut complete = true;
    for name in names {
        match name {
            Value::Value(name) => match name.parse::<InspectorEvent>() {
                Ok(event) => {
                    events.insert(event);
                }
                Err(err) => {
                    error(
                        diags,
                        AttributePath::new(EVENTS),
                        format!("unknown Inspector event {name:?}"),
                        format!("{err}."),
                    );
                    complete = false;
                }
            },
            _ => complete = false,
        }
    }
    complete.then_some(events)
}

/// Inspector notifies only topics of the template's own region and partition.
pub fn check_pair(diags: &mut Diagnostics, template: &InspectorArn, topic: &TopicArn) {
    if template.partition != topic.partition {
        error(
            diags,
            AttributePath::new(TOPIC),
            "assessment template and topic are in different partitions",
            format!(
                "The template is in partition {} and the topic in {}. Inspector only notifies topics of the template's own partition and region.",
                template.partition, topic.partition
            ),
        );
    } else if template.region != topic.region {
        error(
            diags,
            AttributePath::new(TOPIC),
            "assessment template and topic are in different regions",
            format!(
                "The template is in {} and the topic in {}. Inspector Classic only notifies topics in the template's own region: use the {} topic (one topic per region), or a template of {}.",
                template.region, topic.region, template.region, topic.region
            ),
        );
    }
}

/// Every check that needs no AWS call, on whatever is known.
pub fn validate(diags: &mut Diagnostics, config: &State) {
    let template = template_arn(diags, &config.assessment_template_arn);
    let topic = topic_arn(diags, &config.topic_arn);
    if let (Some(template), Some(topic)) = (&template, &topic) {
        check_pair(diags, template, topic);
    }
    events(diags, &config.events);
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE_ARN: &str =
        "arn:aws:inspector:us-east-1:222222222222:target/0-nvgVhaxX/template/0-7sbz2Kz0";
    const TOPIC_ARN: &str = "arn:aws:sns:us-east-1:111111111111:inspector-findings";

    fn known(s: &str) -> Value<String> {
        Value::Value(s.to_owned())
    }

    fn config(template: &str, topic: &str, events: &[&str]) -> State {
        State {
            assessment_template_arn: known(template),
            topic_arn: known(topic),
            events: Value::Value(events.iter().map(|e| known(e)).collect()),
            ..Default::default()
        }
    }

    fn problems(config: &State) -> Vec<(String, String, String)> {
        let mut diags = Diagnostics::default();
        validate(&mut diags, config);
        diags
            .errors
            .into_iter()
            .map(|d| {
                (
                    d.attribute.to_string(),
                    d.summary.into_owned(),
                    d.detail.into_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn ids_round_trip() {
        let (template, topic) = parse_id(&format!("{TEMPLATE_ARN},{TOPIC_ARN}")).unwrap();
        assert_eq!(
            format_id(&template, &topic),
            format!("{TEMPLATE_ARN},{TOPIC_ARN}")
        );
    }

    #[test]
    fn malformed_ids_say_what_an_id_looks_like() {
        let err = parse_id(TEMPLATE_ARN).unwrap_err();
        assert!(
            err.contains("is not <assessment_template_arn>,<topic_arn>"),
            "{err}"
        );
        let err = parse_id(&format!("{TOPIC_ARN},{TEMPLATE_ARN}")).unwrap_err();
        assert!(err.contains("is not a valid ARN"), "{err}");
    }

    #[test]
    fn a_valid_configuration_has_no_problems() {
        assert_eq!(
            problems(&config(
                TEMPLATE_ARN,
                TOPIC_ARN,
                &["FINDING_REPORTED", "OTHER"]
            )),
            vec![]
        );
    }

    #[test]
    fn unknown_values_are_not_judged() {
        let config = State {
            assessment_template_arn: Value::Unknown,
            topic_arn: known(TOPIC_ARN),
            events: Value::Value(BTreeSet::from([Value::Unknown])),
            ..Default::default()
        };
        assert_eq!(problems(&config), vec![]);
    }

    #[test]
    fn malformed_arns_are_reported_on_their_attribute() {
        let found = problems(&config(
            "arn:aws:inspector:us-east-1:222222222222:target/0-nvgVhaxX",
            "arn:aws:sqs:us-east-1:111111111111:queue",
            &["FINDING_REPORTED"],
        ));
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].0, "assessment_template_arn");
        assert!(
            found[0].2.contains("expected an assessment template"),
            "{found:?}"
        );
        assert_eq!(found[1].0, "topic_arn");
        assert!(
            found[1].2.contains("service \"sqs\", expected \"sns\""),
            "{found:?}"
        );
    }

    #[test]
    fn template_and_topic_must_share_region_and_partition() {
        let found = problems(&config(
            TEMPLATE_ARN,
            "arn:aws:sns:us-west-2:111111111111:t",
            &["OTHER"],
        ));
        assert_eq!(found[0].0, "topic_arn");
        assert_eq!(
            found[0].1,
            "assessment template and topic are in different regions"
        );
        let found = problems(&config(
            TEMPLATE_ARN,
            "arn:aws-us-gov:sns:us-east-1:111111111111:t",
            &["OTHER"],
        ));
        assert_eq!(
            found[0].1,
            "assessment template and topic are in different partitions"
        );
    }

    #[test]
    fn unknown_event_names_and_empty_sets_are_reported_on_events() {
        let found = problems(&config(
            TEMPLATE_ARN,
            TOPIC_ARN,
            &["finding_reported", "OTHER"],
        ));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "events");
        assert_eq!(found[0].1, "unknown Inspector event \"finding_reported\"");
        assert!(
            found[0].2.contains("use one of ASSESSMENT_RUN_STARTED"),
            "{found:?}"
        );
        let found = problems(&config(TEMPLATE_ARN, TOPIC_ARN, &[]));
        assert_eq!(found[0].1, "events is empty");
    }

    #[test]
    fn null_events_mean_finding_reported() {
        let mut diags = Diagnostics::default();
        assert_eq!(
            events(&mut diags, &Value::Null),
            Some(BTreeSet::from([InspectorEvent::FindingReported]))
        );
    }
}
