//! `inspectorlink_inspector2_configuration`: the Inspector v2 configuration of one account
//! and region (UpdateConfiguration / GetConfiguration). It always exists, so read never
//! loses it: out-of-band changes are drift; destroy restores the documented defaults.

mod schema;

use async_trait::async_trait;
use aws_sdk_inspector2::primitives::DateTimeFormat;
use aws_sdk_inspector2::types::{
    Ec2Configuration, Ec2ScanMode, EcrConfiguration, EcrPullDateRescanDuration,
    EcrPullDateRescanMode, EcrRescanDuration,
};
use tf_provider::schema::Schema;
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, Diagnostics, Resource};

use crate::config::{Configured, Connection};
use crate::diagnostics::{error, AwsFailure};
use crate::inspector2::failure;
use schema::{format_id, Settings, State, DEFAULTS};

pub struct Inspector2Configuration {
    connection: Connection,
}

impl Inspector2Configuration {
    pub fn new(connection: Connection) -> Self {
        Inspector2Configuration { connection }
    }
}

/// "updating Inspector2 configuration (111111111111, us-east-1): cause", with advice for
/// the refusal a member account gets.
fn report(
    diags: &mut Diagnostics,
    action: &str,
    account: &str,
    region: &str,
    failure: &AwsFailure,
) {
    let detail = if failure.exception.as_deref() == Some("AccessDeniedException") {
        format!("Inspector refused to change the configuration of account {account} in {region}. A member account of an Inspector organisation cannot change it: the delegated administrator sets the configuration, and it applies to every member. Manage this resource with a provider instance for the delegated administrator's account (provider = inspectorlink.<administrator alias>). Otherwise the credentials lack inspector2:UpdateConfiguration.")
    } else {
        String::new()
    };
    error(
        diags,
        AttributePath::root(),
        format!(
            "{action} Inspector2 configuration ({account}, {region}): {}",
            failure.cause
        ),
        detail,
    );
}

async fn update_configuration(
    client: &aws_sdk_inspector2::Client,
    settings: Settings<'_>,
) -> Result<(), AwsFailure> {
    let ecr = EcrConfiguration::builder()
        .rescan_duration(EcrRescanDuration::from(settings.rescan_duration))
        .set_pull_date_rescan_duration(
            settings
                .pull_date_rescan_duration
                .map(EcrPullDateRescanDuration::from),
        )
        .set_pull_date_rescan_mode(
            settings
                .pull_date_rescan_mode
                .map(EcrPullDateRescanMode::from),
        )
        .build()
        .map_err(|err| AwsFailure {
            exception: None,
            error_code: None,
            cause: err.to_string(),
        })?;
    let ec2 = Ec2Configuration::builder()
        .scan_mode(Ec2ScanMode::from(settings.scan_mode))
        .build()
        .map_err(|err| AwsFailure {
            exception: None,
            error_code: None,
            cause: err.to_string(),
        })?;
    client
        .update_configuration()
        .ecr_configuration(ecr)
        .ec2_configuration(ec2)
        .send()
        .await
        .map(|_| ())
        .map_err(|err| failure(&err))
}

/// The configuration as GetConfiguration reports it, as the state of `account` and `region`.
async fn get_configuration(
    client: &aws_sdk_inspector2::Client,
    account: &str,
    region: &str,
) -> Result<State, AwsFailure> {
    let got = client
        .get_configuration()
        .send()
        .await
        .map_err(|err| failure(&err))?;
    let string = |value: Option<&str>| value.map_or(Value::Null, |v| Value::Value(v.to_owned()));
    let ecr = got
        .ecr_configuration()
        .and_then(|c| c.rescan_duration_state());
    let ec2 = got.ec2_configuration().and_then(|c| c.scan_mode_state());
    Ok(State {
        id: Value::Value(format_id(account, region)),
        account_id: Value::Value(account.to_owned()),
        region: Value::Value(region.to_owned()),
        ecr_rescan_duration: string(ecr.and_then(|e| e.rescan_duration()).map(|v| v.as_str())),
        ecr_pull_date_rescan_duration: string(
            ecr.and_then(|e| e.pull_date_rescan_duration())
                .map(|v| v.as_str()),
        ),
        ecr_pull_date_rescan_mode: string(
            ecr.and_then(|e| e.pull_date_rescan_mode())
                .map(|v| v.as_str()),
        ),
        ec2_scan_mode: string(ec2.and_then(|e| e.scan_mode()).map(|v| v.as_str())),
        ecr_rescan_duration_status: string(ecr.and_then(|e| e.status()).map(|v| v.as_str())),
        ecr_updated_at: string(
            ecr.and_then(|e| e.updated_at())
                .and_then(|at| at.fmt(DateTimeFormat::DateTime).ok())
                .as_deref(),
        ),
        ec2_scan_mode_status: string(ec2.and_then(|e| e.scan_mode_status()).map(|v| v.as_str())),
    })
}

impl Inspector2Configuration {
    /// The provider's account, or a diagnostic naming the call that failed.
    async fn account(
        &self,
        diags: &mut Diagnostics,
        action: &str,
    ) -> Option<(&Configured, String)> {
        let configured = self.connection.get(diags)?;
        match configured.account_id().await {
            Ok(account) => Some((configured, account)),
            Err(failure) => {
                error(
                    diags,
                    AttributePath::root(),
                    format!(
                        "{action} Inspector2 configuration (?, {}): finding the provider's account: {}",
                        configured.region, failure.cause
                    ),
                    "",
                );
                None
            }
        }
    }

    /// Sets `planned`'s settings and reads the configuration back.
    async fn apply(&self, diags: &mut Diagnostics, action: &str, planned: &State) -> Option<State> {
        let Some(settings) = planned.settings() else {
            error(
                diags,
                AttributePath::root(),
                format!("{action} Inspector2 configuration: ecr_rescan_duration or ec2_scan_mode is not known"),
                "Terraform applied a plan whose required settings are unknown; this is a bug in the provider, please report it.",
            );
            return None;
        };
        let (configured, account) = self.account(diags, action).await?;
        let region = configured.region.as_str();
        if let Err(failure) = update_configuration(&configured.inspector2, settings).await {
            report(diags, action, &account, region, &failure);
            return None;
        }
        match get_configuration(&configured.inspector2, &account, region).await {
            Ok(state) => Some(state),
            Err(failure) => {
                report(diags, "reading", &account, region, &failure);
                None
            }
        }
    }
}

/// The planned value of an optional setting the service fills in when it is left unset.
fn optional_computed(config: &Value<String>, prior: Option<&Value<String>>) -> Value<String> {
    match (config, prior) {
        (Value::Null, Some(prior)) => prior.clone(),
        (Value::Null, None) => Value::Unknown,
        (value, _) => value.clone(),
    }
}

#[async_trait]
impl Resource for Inspector2Configuration {
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
        let Some(configured) = self.connection.get(diags) else {
            return Some((state, private_state));
        };
        let (Value::Value(account), Value::Value(region)) = (&state.account_id, &state.region)
        else {
            return Some((state, private_state));
        };
        match get_configuration(&configured.inspector2, account, region).await {
            Ok(read) => Some((read, private_state)),
            Err(failure) => {
                report(diags, "reading", account, region, &failure);
                Some((state, private_state))
            }
        }
    }

    async fn plan_create<'a>(
        &self,
        _diags: &mut Diagnostics,
        _proposed: State,
        config: State,
        _meta: ValueEmpty,
    ) -> Option<(State, ValueEmpty)> {
        let planned = State {
            id: Value::Unknown,
            account_id: Value::Unknown,
            region: self.connection.planned_region(),
            ecr_pull_date_rescan_duration: optional_computed(
                &config.ecr_pull_date_rescan_duration,
                None,
            ),
            ecr_pull_date_rescan_mode: optional_computed(&config.ecr_pull_date_rescan_mode, None),
            ecr_rescan_duration_status: Value::Unknown,
            ecr_updated_at: Value::Unknown,
            ec2_scan_mode_status: Value::Unknown,
            ..config
        };
        Some((planned, ValueEmpty::default()))
    }

    async fn plan_update<'a>(
        &self,
        _diags: &mut Diagnostics,
        prior: State,
        _proposed: State,
        config: State,
        private_state: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(State, ValueEmpty, Vec<AttributePath>)> {
        // A provider instance moved to another region manages another configuration. A
        // region not known until apply is taken to be the prior one.
        let region = match self.connection.planned_region() {
            Value::Value(region) => region,
            _ => prior.region.as_ref_option().cloned().unwrap_or_default(),
        };
        let mut replace = Vec::new();
        if prior.region.as_ref_option() != Some(&region) {
            replace.push(AttributePath::new("region"));
        }
        let mut planned = State {
            ecr_rescan_duration: config.ecr_rescan_duration.clone(),
            ecr_pull_date_rescan_duration: optional_computed(
                &config.ecr_pull_date_rescan_duration,
                Some(&prior.ecr_pull_date_rescan_duration),
            ),
            ecr_pull_date_rescan_mode: optional_computed(
                &config.ecr_pull_date_rescan_mode,
                Some(&prior.ecr_pull_date_rescan_mode),
            ),
            ec2_scan_mode: config.ec2_scan_mode.clone(),
            region: Value::Value(region),
            ..prior.clone()
        };
        if planned != prior {
            planned.ecr_rescan_duration_status = Value::Unknown;
            planned.ecr_updated_at = Value::Unknown;
            planned.ec2_scan_mode_status = Value::Unknown;
        }
        if !replace.is_empty() {
            planned.id = Value::Unknown;
            planned.account_id = Value::Unknown;
        }
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
        let state = self.apply(diags, "creating", &planned).await?;
        Some((state, private_state))
    }

    async fn update<'a>(
        &self,
        diags: &mut Diagnostics,
        _prior: State,
        planned: State,
        _config: State,
        private_state: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(State, ValueEmpty)> {
        let state = self.apply(diags, "updating", &planned).await?;
        Some((state, private_state))
    }

    async fn destroy<'a>(
        &self,
        diags: &mut Diagnostics,
        prior: State,
        _private_state: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<()> {
        let configured = self.connection.get(diags)?;
        let account = prior
            .account_id
            .as_ref_option()
            .cloned()
            .unwrap_or_default();
        if let Err(failure) = update_configuration(&configured.inspector2, DEFAULTS).await {
            report(diags, "deleting", &account, &configured.region, &failure);
            return None;
        }
        Some(())
    }

    async fn import<'a>(&self, diags: &mut Diagnostics, id: String) -> Option<(State, ValueEmpty)> {
        let (account, region) = match schema::parse_id(&id) {
            Ok(parsed) => parsed,
            Err(problem) => {
                error(
                    diags,
                    AttributePath::root(),
                    format!("importing Inspector2 configuration ({id}): invalid id"),
                    problem,
                );
                return None;
            }
        };
        let (configured, own) = self.account(diags, "importing").await?;
        if (own.as_str(), configured.region.as_str()) != (account.as_str(), region.as_str()) {
            error(
                diags,
                AttributePath::root(),
                format!("importing Inspector2 configuration ({id}): another account or region than the provider's"),
                format!("This provider instance manages account {own} in {}: import with provider = inspectorlink.<alias> of account {account} in {region}.", configured.region),
            );
            return None;
        }
        match get_configuration(&configured.inspector2, &account, &region).await {
            Ok(state) => Some((state, ValueEmpty::default())),
            Err(failure) => {
                report(diags, "importing", &account, &region, &failure);
                None
            }
        }
    }
}
