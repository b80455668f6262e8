//! `inspectorlink_inspector2_cis_scan_configuration`: one CIS scan configuration of the
//! provider's account and region. Everything the API can change is changed in place
//! (UpdateCisScanConfiguration; tags with TagResource/UntagResource); read lists it by ARN
//! and returns None when it is gone; destroy treats a missing configuration as done.

mod api;
mod schema;

use async_trait::async_trait;
use tf_provider::schema::Schema;
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, Diagnostics, Resource};

use crate::config::Connection;
use crate::diagnostics::{error, AwsFailure};
use schema::State;

pub struct Inspector2CisScanConfiguration {
    connection: Connection,
}

impl Inspector2CisScanConfiguration {
    pub fn new(connection: Connection) -> Self {
        Inspector2CisScanConfiguration { connection }
    }
}

/// "creating Inspector2 CIS scan configuration (name): cause", on `path`.
fn report(
    diags: &mut Diagnostics,
    action: &str,
    what: &str,
    failure: &AwsFailure,
    path: AttributePath,
) {
    let detail = match failure.exception.as_deref() {
        Some("AccessDeniedException") => "The provider's credentials may not manage CIS scan configurations here (inspector2:*CisScanConfiguration*, inspector2:TagResource).".to_owned(),
        Some("ValidationException") => "Inspector rejected the value of the attribute shown; see the message above for its rule.".to_owned(),
        _ => String::new(),
    };
    error(
        diags,
        path,
        format!(
            "{action} Inspector2 CIS scan configuration ({what}): {}",
            failure.cause
        ),
        detail,
    );
}

impl Inspector2CisScanConfiguration {
    /// Reads `arn` back after a change; `prior_tags_null` keeps an unset `tags` null.
    async fn read_back(
        &self,
        diags: &mut Diagnostics,
        action: &str,
        arn: &str,
        tags_null: bool,
    ) -> Option<State> {
        let client = &self.connection.get(diags)?.inspector2;
        match api::find(client, arn).await {
            Ok(Some(found)) => Some(api::state_of(&found, tags_null)),
            Ok(None) => {
                error(diags, AttributePath::root(), format!("{action} Inspector2 CIS scan configuration ({arn}): it is gone"), "Inspector does not list the configuration it just answered for; run terraform again.");
                None
            }
            Err(failure) => {
                report(diags, action, arn, &failure, AttributePath::root());
                None
            }
        }
    }
}

#[async_trait]
impl Resource for Inspector2CisScanConfiguration {
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
        let (Some(configured), Value::Value(arn)) = (self.connection.get(diags), &state.arn) else {
            return Some((state, private_state));
        };
        match api::find(&configured.inspector2, arn).await {
            Ok(Some(found)) => Some((api::state_of(&found, state.tags.is_null()), private_state)),
            Ok(None) => None,
            Err(failure) => {
                report(diags, "reading", arn, &failure, AttributePath::root());
                Some((state, private_state))
            }
        }
    }

    async fn plan_create<'a>(
        &self,
        _diags: &mut Diagnostics,
        proposed: State,
        _config: State,
        _meta: ValueEmpty,
    ) -> Option<(State, ValueEmpty)> {
        let planned = State {
            id: Value::Unknown,
            arn: Value::Unknown,
            ..proposed
        };
        Some((planned, ValueEmpty::default()))
    }

    async fn plan_update<'a>(
        &self,
        _diags: &mut Diagnostics,
        prior: State,
        proposed: State,
        _config: State,
        private_state: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(State, ValueEmpty, Vec<AttributePath>)> {
        let planned = State {
            id: prior.id,
            arn: prior.arn,
            ..proposed
        };
        Some((planned, private_state, Vec::new()))
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
        let client = &self.connection.get(diags)?.inspector2;
        let name = planned
            .scan_name
            .as_ref_option()
            .cloned()
            .unwrap_or_default();
        let arn = match api::create(client, &planned).await {
            Ok(arn) => arn,
            Err(failed) => {
                report(diags, "creating", &name, &failed.failure, failed.path);
                return None;
            }
        };
        let state = self
            .read_back(diags, "creating", &arn, planned.tags.is_null())
            .await?;
        Some((state, private_state))
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
        let client = &self.connection.get(diags)?.inspector2;
        let arn = prior.arn.as_ref_option().cloned().unwrap_or_default();
        if let Err(failed) = api::update(client, &arn, &prior, &planned).await {
            report(diags, "updating", &arn, &failed.failure, failed.path);
            // What Inspector holds now, so that Terraform tracks what was done.
            let state = self
                .read_back(diags, "reading", &arn, prior.tags.is_null())
                .await;
            return state.map(|s| (s, private_state));
        }
        let state = self
            .read_back(diags, "updating", &arn, planned.tags.is_null())
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
        let client = &self.connection.get(diags)?.inspector2;
        let arn = prior.arn.as_ref_option().cloned().unwrap_or_default();
        if let Err(failure) = api::delete(client, &arn).await {
            report(diags, "deleting", &arn, &failure, AttributePath::root());
            return None;
        }
        Some(())
    }

    async fn import<'a>(&self, diags: &mut Diagnostics, id: String) -> Option<(State, ValueEmpty)> {
        if let Err(problem) = schema::check_arn(&id) {
            error(
                diags,
                AttributePath::root(),
                format!("importing Inspector2 CIS scan configuration ({id}): invalid id"),
                problem,
            );
            return None;
        }
        let client = &self.connection.get(diags)?.inspector2;
        match api::find(client, &id).await {
            Ok(Some(found)) => Some((api::state_of(&found, true), ValueEmpty::default())),
            Ok(None) => {
                error(diags, AttributePath::root(), format!("importing Inspector2 CIS scan configuration ({id}): not found"), "The provider's account and region have no CIS scan configuration with this ARN: import with the provider alias of the account and region that own it.");
                None
            }
            Err(failure) => {
                report(diags, "importing", &id, &failure, AttributePath::root());
                None
            }
        }
    }
}
