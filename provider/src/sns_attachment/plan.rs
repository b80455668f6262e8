//! What a plan proposes, from the configuration and the prior state alone.

use std::collections::BTreeSet;

use inspector_facts::{InspectorArn, InspectorEvent, TopicArn};
use tf_provider::value::Value;
use tf_provider::AttributePath;

use super::schema::{format_id, Events, State, TEMPLATE, TOPIC};

/// The events the configuration asks for: FINDING_REPORTED when it names none.
pub fn planned_events(config: &Events) -> Events {
    match config {
        Value::Null => Value::Value(BTreeSet::from([Value::Value(
            InspectorEvent::FindingReported.to_string(),
        )])),
        other => other.clone(),
    }
}

/// The id, when both ARNs are known at plan time (it is derived from them).
fn planned_id(config: &State) -> Value<String> {
    let template = config
        .assessment_template_arn
        .as_ref_option()
        .and_then(|arn| InspectorArn::parse_kind(arn, "assessment template").ok());
    let topic = config
        .topic_arn
        .as_ref_option()
        .and_then(|arn| arn.parse::<TopicArn>().ok());
    match (template, topic) {
        (Some(template), Some(topic)) => Value::Value(format_id(&template, &topic)),
        _ => Value::Unknown,
    }
}

pub fn plan_create(config: &State) -> State {
    State {
        id: planned_id(config),
        assessment_template_arn: config.assessment_template_arn.clone(),
        topic_arn: config.topic_arn.clone(),
        events: planned_events(&config.events),
        subscribed_at: Value::Unknown,
    }
}

/// The planned state and the attributes whose change replaces the resource.
pub fn plan_update(prior: &State, config: &State) -> (State, Vec<AttributePath>) {
    let mut replace = Vec::new();
    if config.assessment_template_arn != prior.assessment_template_arn {
        replace.push(AttributePath::new(TEMPLATE));
    }
    if config.topic_arn != prior.topic_arn {
        replace.push(AttributePath::new(TOPIC));
    }
    let events = planned_events(&config.events);
    let unchanged = replace.is_empty() && events == prior.events;
    let planned = State {
        id: if replace.is_empty() {
            prior.id.clone()
        } else {
            planned_id(config)
        },
        assessment_template_arn: config.assessment_template_arn.clone(),
        topic_arn: config.topic_arn.clone(),
        events,
        subscribed_at: if unchanged {
            prior.subscribed_at.clone()
        } else {
            Value::Unknown
        },
    };
    (planned, replace)
}

/// The events to subscribe and to unsubscribe to go from `prior` to `planned`.
pub fn changes(
    prior: &BTreeSet<InspectorEvent>,
    planned: &BTreeSet<InspectorEvent>,
) -> (BTreeSet<InspectorEvent>, BTreeSet<InspectorEvent>) {
    (
        planned.difference(prior).copied().collect(),
        prior.difference(planned).copied().collect(),
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    const TEMPLATE_ARN: &str =
        "arn:aws:inspector:us-east-1:222222222222:target/0-nvgVhaxX/template/0-7sbz2Kz0";
    const TOPIC_ARN: &str = "arn:aws:sns:us-east-1:111111111111:inspector-findings";

    fn known(s: &str) -> Value<String> {
        Value::Value(s.to_owned())
    }

    fn events(names: &[&str]) -> Events {
        Value::Value(names.iter().map(|n| known(n)).collect())
    }

    fn config(events: Events) -> State {
        State {
            assessment_template_arn: known(TEMPLATE_ARN),
            topic_arn: known(TOPIC_ARN),
            events,
            ..Default::default()
        }
    }

    fn applied(events_: &[&str]) -> State {
        State {
            id: known(&format!("{TEMPLATE_ARN},{TOPIC_ARN}")),
            subscribed_at: Value::Value(
                events_
                    .iter()
                    .map(|e| (e.to_string(), known("2026-11-24T00:00:00Z")))
                    .collect::<BTreeMap<_, _>>(),
            ),
            ..config(events(events_))
        }
    }

    #[test]
    fn create_defaults_events_and_knows_the_id() {
        let planned = plan_create(&config(Value::Null));
        assert_eq!(planned.events, events(&["FINDING_REPORTED"]));
        assert_eq!(planned.id, known(&format!("{TEMPLATE_ARN},{TOPIC_ARN}")));
        assert!(planned.subscribed_at.is_unknown());
    }

    #[test]
    fn create_with_an_unknown_topic_has_an_unknown_id() {
        let planned = plan_create(&State {
            topic_arn: Value::Unknown,
            ..config(Value::Null)
        });
        assert!(planned.id.is_unknown());
    }

    #[test]
    fn nothing_changed_plans_the_prior_state() {
        let prior = applied(&["FINDING_REPORTED"]);
        let (planned, replace) = plan_update(&prior, &config(Value::Null));
        assert_eq!(planned, prior);
        assert!(replace.is_empty());
    }

    #[test]
    fn changed_events_update_in_place() {
        let prior = applied(&["FINDING_REPORTED"]);
        let (planned, replace) = plan_update(
            &prior,
            &config(events(&["FINDING_REPORTED", "ASSESSMENT_RUN_COMPLETED"])),
        );
        assert!(replace.is_empty());
        assert_eq!(planned.id, prior.id);
        assert!(planned.subscribed_at.is_unknown());
    }

    #[test]
    fn removing_events_from_the_configuration_goes_back_to_the_default() {
        let prior = applied(&["FINDING_REPORTED", "OTHER"]);
        let (planned, _) = plan_update(&prior, &config(Value::Null));
        assert_eq!(planned.events, events(&["FINDING_REPORTED"]));
    }

    #[test]
    fn another_template_or_topic_replaces() {
        let prior = applied(&["FINDING_REPORTED"]);
        let other = State {
            topic_arn: known("arn:aws:sns:us-east-1:111111111111:other"),
            ..config(Value::Null)
        };
        let (planned, replace) = plan_update(&prior, &other);
        assert_eq!(replace, vec![AttributePath::new("topic_arn")]);
        assert_eq!(
            planned.id,
            known(&format!(
                "{TEMPLATE_ARN},arn:aws:sns:us-east-1:111111111111:other"
            ))
        );
    }

    #[test]
    fn changes_add_the_missing_and_remove_the_extra() {
        use InspectorEvent::*;
        let (add, remove) = changes(
            &BTreeSet::from([FindingReported, Other]),
            &BTreeSet::from([FindingReported, AssessmentRunCompleted]),
        );
        assert_eq!(add, BTreeSet::from([AssessmentRunCompleted]));
        assert_eq!(remove, BTreeSet::from([Other]));
    }
}
