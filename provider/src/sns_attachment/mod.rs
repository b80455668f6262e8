//! `inspectorlink_sns_attachment`: the subscriptions of one assessment template to one SNS
//! topic. Read lists them (out-of-band changes become drift), update adds and removes
//! events in place, destroy removes exactly the events in state.

mod plan;
mod schema;
mod subscriptions;

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use inspector_facts::{InspectorArn, InspectorEvent, TopicArn};
use tf_provider::schema::Schema;
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, Diagnostics, Resource};

use crate::config::Connection;
use crate::diagnostics::{error, AwsFailure};
use schema::{format_id, State, TEMPLATE};

pub struct SnsAttachment {
    connection: Connection,
}

impl SnsAttachment {
    pub fn new(connection: Connection) -> Self {
        SnsAttachment { connection }
    }

    /// The template must be in the provider's region (once the provider knows it).
    fn check_region(&self, diags: &mut Diagnostics, config: &State) {
        if let (Some(template), Value::Value(region)) = (
            schema::template_arn(diags, &config.assessment_template_arn),
            self.connection.planned_region(),
        ) {
            check_region(diags, &region, &template);
        }
    }
}

/// A failed call as the AWS provider words it: "creating Inspector event subscription (ID): cause".
fn report(
    diags: &mut Diagnostics,
    action: &str,
    failure: &AwsFailure,
    template: &InspectorArn,
    topic: &TopicArn,
) {
    let (path, detail) = subscriptions::explain(failure, template, topic);
    error(
        diags,
        path,
        format!(
            "{action} Inspector event subscription ({}): {}",
            format_id(template, topic),
            failure.cause
        ),
        detail,
    );
}

/// The provider instance's region must have Inspector Classic, and the template must be in
/// it: each instance serves one region.
fn check_region(diags: &mut Diagnostics, region: &str, template: &InspectorArn) {
    if inspector_facts::classic_region(region).is_none() {
        crate::config::check_region(diags, AttributePath::root(), region);
    } else if template.region != region {
        error(
            diags,
            AttributePath::new(TEMPLATE),
            "assessment template is in another region than the provider",
            format!(
                "This provider instance manages Inspector in {}, the template is in {}: set provider = inspectorlink.<alias> to a provider configured with region = \"{}\".",
                region, template.region, template.region
            ),
        );
    }
}

/// The state for `events` of the pair, with their subscription times from `listed`.
fn applied_state(
    template: &InspectorArn,
    topic: &TopicArn,
    events: &BTreeSet<InspectorEvent>,
    listed: &BTreeMap<String, String>,
) -> State {
    State {
        id: Value::Value(format_id(template, topic)),
        assessment_template_arn: Value::Value(template.to_string()),
        topic_arn: Value::Value(topic.to_string()),
        events: Value::Value(events.iter().map(|e| Value::Value(e.to_string())).collect()),
        subscribed_at: Value::Value(
            events
                .iter()
                .filter_map(|e| {
                    listed
                        .get(e.as_str())
                        .map(|at| (e.to_string(), Value::Value(at.clone())))
                })
                .collect(),
        ),
    }
}

/// The state of what Inspector lists for the pair, or None when nothing is subscribed.
fn listed_state(
    template: &InspectorArn,
    topic: &TopicArn,
    listed: &BTreeMap<String, String>,
) -> Option<State> {
    if listed.is_empty() {
        return None;
    }
    let events = listed.keys().filter_map(|name| name.parse().ok()).collect();
    Some(applied_state(template, topic, &events, listed))
}

impl SnsAttachment {
    /// Unsubscribes `remove`, subscribes `add`, stopping at the first failure, then reads
    /// the pair back. The state holds every event of `kept`, `add` and `remove` that is
    /// subscribed afterwards, so that after a failure Terraform still tracks what was done.
    async fn apply(
        &self,
        diags: &mut Diagnostics,
        action: &str,
        (template, topic): (&InspectorArn, &TopicArn),
        kept: BTreeSet<InspectorEvent>,
        add: BTreeSet<InspectorEvent>,
        remove: BTreeSet<InspectorEvent>,
    ) -> Option<State> {
        let client = &self.connection.get(diags)?.inspector;
        let mut failed = false;
        for event in &remove {
            if let Err(failure) = subscriptions::unsubscribe(client, template, topic, *event).await
            {
                report(diags, action, &failure, template, topic);
                failed = true;
                break;
            }
        }
        for event in &add {
            if failed {
                break;
            }
            if let Err(failure) = subscriptions::subscribe(client, template, topic, *event).await {
                report(diags, action, &failure, template, topic);
                failed = true;
            }
        }
        let mut events: BTreeSet<InspectorEvent> =
            kept.into_iter().chain(add).chain(remove).collect();
        let listed = match subscriptions::list(client, template, topic).await {
            Ok(listed) => {
                let listed = listed.unwrap_or_default();
                events.retain(|e| listed.contains_key(e.as_str()));
                listed
            }
            Err(failure) => {
                report(diags, "reading", &failure, template, topic);
                BTreeMap::new()
            }
        };
        Some(applied_state(template, topic, &events, &listed))
    }
}

#[async_trait]
impl Resource for SnsAttachment {
    type State<'a> = State;
    type PrivateState<'a> = ValueEmpty;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(schema::schema())
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: State) -> Option<()> {
        schema::validate(diags, &config);
        Some(())
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        state: State,
        private_state: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(State, ValueEmpty)> {
        if self.connection.deferred() {
            return Some((state, private_state));
        }
        let template = schema::template_arn(diags, &state.assessment_template_arn);
        let topic = schema::topic_arn(diags, &state.topic_arn);
        let (Some(template), Some(topic), Some(configured)) =
            (template, topic, self.connection.get(diags))
        else {
            return Some((state, private_state));
        };
        match subscriptions::list(&configured.inspector, &template, &topic).await {
            Ok(Some(listed)) => {
                listed_state(&template, &topic, &listed).map(|s| (s, private_state))
            }
            // The template is gone, and its subscriptions with it.
            Ok(None) => None,
            Err(failure) => {
                report(diags, "reading", &failure, &template, &topic);
                Some((state, private_state))
            }
        }
    }

    async fn plan_create<'a>(
        &self,
        diags: &mut Diagnostics,
        _proposed: State,
        config: State,
        _meta: ValueEmpty,
    ) -> Option<(State, ValueEmpty)> {
        self.check_region(diags, &config);
        Some((plan::plan_create(&config), ValueEmpty::default()))
    }

    async fn plan_update<'a>(
        &self,
        diags: &mut Diagnostics,
        prior: State,
        _proposed: State,
        config: State,
        private_state: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(State, ValueEmpty, Vec<AttributePath>)> {
        self.check_region(diags, &config);
        let (planned, replace) = plan::plan_update(&prior, &config);
        Some((planned, private_state, replace))
    }

    async fn plan_destroy<'a>(
        &self,
        _diags: &mut Diagnostics,
        _prior: State,
        private_state: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<ValueEmpty> {
        Some(private_state)
    }

    async fn create<'a>(
        &self,
        diags: &mut Diagnostics,
        planned: State,
        _config: State,
        private_state: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(State, ValueEmpty)> {
        let template = schema::template_arn(diags, &planned.assessment_template_arn)?;
        let topic = schema::topic_arn(diags, &planned.topic_arn)?;
        let events = schema::events(diags, &planned.events)?;
        let state = self
            .apply(
                diags,
                "creating",
                (&template, &topic),
                BTreeSet::new(),
                events,
                BTreeSet::new(),
            )
            .await?;
        // Nothing subscribed: there is no resource to track.
        let created = matches!(&state.events, Value::Value(events) if !events.is_empty());
        if !created && diags.errors.is_empty() {
            // Without a diagnostic Terraform would only say the provider returned no object.
            error(
                diags,
                AttributePath::root(),
                format!(
                    "creating Inspector event subscription ({}): Inspector lists none of it after subscribing",
                    format_id(&template, &topic)
                ),
                "Inspector accepted every SubscribeToEvent call, yet ListEventSubscriptions shows no subscription of the template to the topic: the template or the topic was probably deleted meanwhile. Check that both exist, then run terraform apply again.",
            );
        }
        created.then_some((state, private_state))
    }

    async fn update<'a>(
        &self,
        diags: &mut Diagnostics,
        prior: State,
        planned: State,
        _config: State,
        private_state: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(State, ValueEmpty)> {
        let template = schema::template_arn(diags, &planned.assessment_template_arn)?;
        let topic = schema::topic_arn(diags, &planned.topic_arn)?;
        let wanted = schema::events(diags, &planned.events)?;
        let had = schema::events(diags, &prior.events)?;
        let (add, remove) = plan::changes(&had, &wanted);
        let kept = had.intersection(&wanted).copied().collect();
        let state = self
            .apply(diags, "updating", (&template, &topic), kept, add, remove)
            .await?;
        Some((state, private_state))
    }

    async fn destroy<'a>(
        &self,
        diags: &mut Diagnostics,
        prior: State,
        _private_state: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<()> {
        let template = schema::template_arn(diags, &prior.assessment_template_arn)?;
        let topic = schema::topic_arn(diags, &prior.topic_arn)?;
        let events = schema::events(diags, &prior.events)?;
        let client = &self.connection.get(diags)?.inspector;
        for event in events {
            if let Err(failure) = subscriptions::unsubscribe(client, &template, &topic, event).await
            {
                report(diags, "deleting", &failure, &template, &topic);
                return None;
            }
        }
        Some(())
    }

    async fn import<'a>(&self, diags: &mut Diagnostics, id: String) -> Option<(State, ValueEmpty)> {
        let (template, topic) = match schema::parse_id(&id) {
            Ok(pair) => pair,
            Err(problem) => {
                error(
                    diags,
                    AttributePath::root(),
                    format!("importing Inspector event subscription ({id}): invalid id"),
                    problem,
                );
                return None;
            }
        };
        let configured = self.connection.get(diags)?;
        check_region(diags, &configured.region, &template);
        match subscriptions::list(&configured.inspector, &template, &topic).await {
            Ok(listed) => match listed
                .as_ref()
                .and_then(|l| listed_state(&template, &topic, l))
            {
                Some(state) => Some((state, ValueEmpty::default())),
                None => {
                    error(
                        diags,
                        AttributePath::root(),
                        format!("importing Inspector event subscription ({id}): not found"),
                        format!("Assessment template {template} does not exist or notifies {topic} of no event; there is nothing to import."),
                    );
                    None
                }
            },
            Err(failure) => {
                report(diags, "importing", &failure, &template, &topic);
                None
            }
        }
    }
}
