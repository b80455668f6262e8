//! `data "inspectorlink_service_account"`: the account Inspector Classic publishes SNS
//! notifications from in a region, for topic policies. From inspector-facts, the table the
//! local AWS loads too.

use std::collections::HashMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::{
    Attribute, AttributeConstraint, AttributeType, Block, Description, Schema,
};
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, DataSource, Diagnostics};

use crate::config::{check_region, Connection};

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct State {
    pub region: Value<String>,
    pub account_id: Value<String>,
    pub principal_arn: Value<String>,
}

pub struct ServiceAccount {
    connection: Connection,
}

impl ServiceAccount {
    pub fn new(connection: Connection) -> Self {
        ServiceAccount { connection }
    }
}

#[async_trait]
impl DataSource for ServiceAccount {
    type State<'a> = State;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        let attribute = |constraint, description: &str| Attribute {
            attr_type: AttributeType::String,
            description: Description::markdown(description),
            constraint,
            ..Default::default()
        };
        use AttributeConstraint::{Computed, OptionalComputed};
        Some(Schema {
            version: 1,
            block: Block {
                description: Description::markdown("The Inspector Classic service account of a region: the account whose principal a topic policy must allow to `sns:Publish` for Inspector's notifications to arrive."),
                attributes: HashMap::from([
                    ("region".into(), attribute(OptionalComputed, "The region, e.g. `us-east-1`. Defaults to the provider's region.")),
                    ("account_id".into(), attribute(Computed, "The service account id, e.g. `316112463485` in us-east-1.")),
                    ("principal_arn".into(), attribute(Computed, "The principal to name in a topic policy, e.g. `arn:aws:iam::316112463485:root`.")),
                ]),
                ..Default::default()
            },
        })
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: State) -> Option<()> {
        if let Value::Value(region) = &config.region {
            check_region(diags, AttributePath::new("region"), region);
        }
        Some(())
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        config: State,
        _meta: ValueEmpty,
    ) -> Option<State> {
        let region = match config.region {
            Value::Value(region) => region,
            _ => self.connection.get(diags)?.region.clone(),
        };
        let Some(facts) = inspector_facts::classic_region(&region) else {
            check_region(diags, AttributePath::new("region"), &region);
            return None;
        };
        Some(State {
            account_id: Value::Value(facts.service_account_id.clone()),
            principal_arn: Value::Value(facts.service_principal_arn()),
            region: Value::Value(region),
        })
    }
}
