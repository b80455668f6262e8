//! The provider block: its schema, its validation, and the AWS clients it configures.
//! Settings mirror hashicorp/aws (region, profile, assume_role, endpoints, max_retries);
//! credentials and anything left unset come from the standard AWS chain, including
//! `AWS_ENDPOINT_URL`, which is how tests reach the local AWS.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, ConfigLoader, Region};
use serde::{Deserialize, Serialize};
use tf_provider::schema::{
    Attribute, AttributeConstraint, AttributeType, Block, Description, NestedBlock, Schema,
};
use tf_provider::value::{serde_as_vec, Value};
use tf_provider::{AttributePath, Diagnostics};

use crate::diagnostics::{error, AwsFailure};

/// The `max_retries` hashicorp/aws users know: retries after the first attempt.
const DEFAULT_MAX_RETRIES: i64 = 3;

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Config {
    pub region: Value<String>,
    pub profile: Value<String>,
    pub max_retries: Value<i64>,
    #[serde(with = "serde_as_vec")]
    pub assume_role: Value<AssumeRole>,
    #[serde(with = "serde_as_vec")]
    pub endpoints: Value<Endpoints>,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct AssumeRole {
    pub role_arn: Value<String>,
    pub external_id: Value<String>,
    pub session_name: Value<String>,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Endpoints {
    pub inspector: Value<String>,
    pub inspector2: Value<String>,
    pub sts: Value<String>,
}

fn string(constraint: AttributeConstraint, description: &str) -> Attribute {
    Attribute {
        attr_type: AttributeType::String,
        description: Description::markdown(description),
        constraint,
        ..Default::default()
    }
}

pub fn schema() -> Schema {
    use AttributeConstraint::{Optional, Required};
    let attributes: HashMap<String, Attribute> = HashMap::from([
        ("region".into(), string(Optional, "The AWS region this provider instance manages, e.g. `us-east-1`. Defaults to `AWS_REGION` or the profile's region. One provider instance serves one account and region; use aliases for more. Inspector Classic resources and data sources need an Inspector Classic region.")),
        ("profile".into(), string(Optional, "The shared config/credentials profile to take credentials and region from. Defaults to `AWS_PROFILE`, then the standard AWS credential chain.")),
        ("max_retries".into(), Attribute {
            attr_type: AttributeType::Number,
            description: Description::markdown(format!("How many times to retry a failed AWS call (after the first attempt). Defaults to {DEFAULT_MAX_RETRIES}.")),
            constraint: Optional,
            ..Default::default()
        }),
    ]);
    let assume_role = Block {
        description: Description::markdown("Assume this IAM role (with the credentials of the chain or `profile`) for every call, e.g. into a member account."),
        attributes: HashMap::from([
            ("role_arn".into(), string(Required, "The ARN of the role to assume, e.g. `arn:aws:iam::222222222222:role/inspectorlink`.")),
            ("external_id".into(), string(Optional, "The external id the role's trust policy requires, if any.")),
            ("session_name".into(), string(Optional, "The role session name, as CloudTrail shows it. Defaults to `inspectorlink`.")),
        ]),
        ..Default::default()
    };
    let endpoints = Block {
        description: Description::markdown("Custom service endpoints, e.g. for a local AWS. `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>` apply too."),
        attributes: HashMap::from([
            ("inspector".into(), string(Optional, "The Inspector Classic endpoint URL.")),
            ("inspector2".into(), string(Optional, "The Amazon Inspector (v2) endpoint URL.")),
            ("sts".into(), string(Optional, "The STS endpoint URL, used to assume `assume_role.role_arn` and to find the provider's account (`GetCallerIdentity`, for `inspectorlink_inspector2_configuration`).")),
        ]),
        ..Default::default()
    };
    Schema {
        version: 1,
        block: Block {
            description: Description::markdown("Amazon Inspector settings hashicorp/aws cannot manage (Inspector v2 configuration, CIS scan configurations, coverage) and Inspector Classic SNS attachments, across accounts through provider aliases."),
            attributes,
            blocks: HashMap::from([
                ("assume_role".into(), NestedBlock::Optional(assume_role)),
                ("endpoints".into(), NestedBlock::Optional(endpoints)),
            ]),
            ..Default::default()
        },
    }
}

/// Checks the values that are known; reports every problem with its attribute path.
pub fn validate(diags: &mut Diagnostics, config: &Config) {
    if let Value::Value(region) = &config.region {
        if !is_region_name(region) {
            error(
                diags,
                AttributePath::new("region"),
                format!("invalid region: {region:?}"),
                "A region name looks like us-east-1 or eu-central-2.",
            );
        }
    }
    if let Value::Value(retries) = config.max_retries {
        if !(0..=100).contains(&retries) {
            error(
                diags,
                AttributePath::new("max_retries"),
                format!("invalid max_retries: {retries}"),
                "max_retries must be from 0 to 100.",
            );
        }
    }
    if let Value::Value(role) = &config.assume_role {
        let path = || AttributePath::new("assume_role").index(0);
        if let Value::Value(arn) = &role.role_arn {
            if let Err(problem) = check_role_arn(arn) {
                error(
                    diags,
                    path().attribute("role_arn"),
                    format!("invalid assume_role.role_arn: {arn:?}"),
                    format!("{problem}. A role ARN looks like arn:aws:iam::222222222222:role/inspectorlink."),
                );
            }
        }
        if let Value::Value(id) = &role.external_id {
            let ok = (2..=1224).contains(&id.len())
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+=,.@:/-_".contains(c));
            if !ok {
                error(
                    diags,
                    path().attribute("external_id"),
                    "invalid assume_role.external_id",
                    "An external id is 2 to 1224 letters, digits or any of +=,.@:/-_ (IAM's rule).",
                );
            }
        }
        if let Value::Value(name) = &role.session_name {
            let ok = (2..=64).contains(&name.len())
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+=,.@-_".contains(c));
            if !ok {
                error(
                    diags,
                    path().attribute("session_name"),
                    format!("invalid assume_role.session_name: {name:?}"),
                    "A session name is 2 to 64 letters, digits or any of +=,.@-_ (STS's rule).",
                );
            }
        }
    }
    if let Value::Value(endpoints) = &config.endpoints {
        let named = [
            ("inspector", &endpoints.inspector),
            ("inspector2", &endpoints.inspector2),
            ("sts", &endpoints.sts),
        ];
        for (name, url) in named {
            if let Value::Value(url) = url {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    error(
                        diags,
                        AttributePath::new("endpoints").index(0).attribute(name),
                        format!("invalid endpoints.{name}: {url:?}"),
                        "An endpoint is a URL such as https://inspector.us-east-1.amazonaws.com or http://127.0.0.1:4566.",
                    );
                }
            }
        }
    }
}

/// `us-east-1`, `us-gov-west-1`, `eu-central-2`: letters, hyphens, a final digit.
fn is_region_name(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

/// Inspector Classic exists only in some regions: name them rather than fail on every call.
pub fn check_region(diags: &mut Diagnostics, path: AttributePath, region: &str) {
    if inspector_facts::classic_region(region).is_none() {
        let known: Vec<&str> = inspector_facts::classic_regions()
            .map(|r| r.name.as_str())
            .collect();
        error(
            diags,
            path,
            format!("Inspector Classic is not available in region {region:?}"),
            format!(
                "Use one of the Inspector Classic regions: {}.",
                known.join(", ")
            ),
        );
    }
}

fn check_role_arn(arn: &str) -> Result<(), String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", partition, "iam", "", account, resource] => {
            if !matches!(*partition, "aws" | "aws-us-gov" | "aws-cn") {
                return Err(format!("unknown partition {partition:?}"));
            }
            if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("account {account:?} is not a 12-digit account id"));
            }
            match resource.strip_prefix("role/") {
                Some(name) if !name.is_empty() => Ok(()),
                _ => Err(format!("{resource:?} is not role/NAME")),
            }
        }
        _ => Err("expected arn:PARTITION:iam::ACCOUNT:role/NAME".into()),
    }
}

/// What a configured provider instance works with.
#[derive(Debug)]
pub struct Configured {
    pub inspector: aws_sdk_inspector::Client,
    pub inspector2: aws_sdk_inspector2::Client,
    sts: aws_sdk_sts::Client,
    pub region: String,
}

impl Configured {
    /// The account the provider's credentials act in (STS GetCallerIdentity).
    pub async fn account_id(&self) -> Result<String, AwsFailure> {
        let identity = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|err| AwsFailure::new(&err, |_| None))?;
        identity
            .account()
            .map(str::to_owned)
            .ok_or_else(|| AwsFailure {
                exception: None,
                error_code: None,
                cause: "STS GetCallerIdentity named no account".into(),
            })
    }
}

/// The provider's configuration, shared with its resources and data sources (which
/// Terraform creates before it configures the provider).
#[derive(Debug, Clone, Default)]
pub struct Connection(Arc<ConnectionState>);

#[derive(Debug, Default)]
struct ConnectionState {
    configured: OnceLock<Configured>,
    /// The first setting of the provider block that is not known yet (a role ARN from a
    /// resource this plan creates): Terraform configures the provider again with known
    /// values before it applies, so until then resources plan without calling AWS.
    unknown_setting: OnceLock<String>,
    /// The provider block's region while another setting is not known yet.
    deferred_region: OnceLock<String>,
}

impl Connection {
    pub fn get(&self, diags: &mut Diagnostics) -> Option<&Configured> {
        let configured = self.0.configured.get();
        if configured.is_none() {
            match self.0.unknown_setting.get() {
                Some(setting) => error(
                    diags,
                    AttributePath::root(),
                    format!("the inspectorlink provider's {setting} is not known until apply"),
                    "This needs AWS at plan time, and the provider block depends on a resource that is not created yet. Create that resource first (terraform apply -target=<its address>), or give the provider block values known at plan time.",
                ),
                None => error(
                    diags,
                    AttributePath::root(),
                    "the inspectorlink provider is not configured",
                    "Terraform called the provider before configuring it; this is a bug in the provider, please report it.",
                ),
            }
        }
        configured
    }

    /// True while the provider block holds values known only at apply: resources then
    /// keep their prior state on refresh and plan without remote checks.
    pub fn deferred(&self) -> bool {
        self.0.configured.get().is_none() && self.0.unknown_setting.get().is_some()
    }

    /// The region resources plan with: the configured one, or while the provider is
    /// deferred the block's own region if it is known (else unknown until apply).
    pub fn planned_region(&self) -> Value<String> {
        match (self.0.configured.get(), self.0.deferred_region.get()) {
            (Some(configured), _) => Value::Value(configured.region.clone()),
            (None, Some(region)) => Value::Value(region.clone()),
            (None, None) => Value::Unknown,
        }
    }

    /// Builds the Inspector client from the provider block (once per provider instance).
    /// A block with settings not known yet configures nothing: see `deferred`.
    pub async fn configure(&self, diags: &mut Diagnostics, config: &Config) -> Option<()> {
        if let Some(setting) = first_unknown(config) {
            if let Value::Value(region) = &config.region {
                let _ = self.0.deferred_region.set(region.clone());
            }
            let _ = self.0.unknown_setting.set(setting);
            return Some(());
        }
        let base = loader(config).load().await;
        let Some(region) = base.region().map(|r| r.to_string()) else {
            error(
                diags,
                AttributePath::new("region"),
                "no AWS region configured",
                "Set region in the provider block, or AWS_REGION, or a region in the AWS profile.",
            );
            return None;
        };
        let sdk_config = match config.assume_role.as_ref_option() {
            Some(role) => {
                let Value::Value(role_arn) = &role.role_arn else {
                    error(
                        diags,
                        AttributePath::new("assume_role").index(0).attribute("role_arn"),
                        "assume_role.role_arn is required",
                        "Name the role to assume, e.g. arn:aws:iam::222222222222:role/inspectorlink.",
                    );
                    return None;
                };
                let mut sts_config = base.to_builder();
                if let Some(url) = endpoint(config, |e| &e.sts) {
                    sts_config = sts_config.endpoint_url(url);
                }
                let mut role_provider = AssumeRoleProvider::builder(role_arn).session_name(
                    role.session_name
                        .as_ref_option()
                        .map_or("inspectorlink", String::as_str),
                );
                if let Some(id) = role.external_id.as_ref_option() {
                    role_provider = role_provider.external_id(id);
                }
                let role_provider = role_provider.configure(&sts_config.build()).build().await;
                loader(config)
                    .credentials_provider(role_provider)
                    .load()
                    .await
            }
            None => base,
        };
        let mut inspector = aws_sdk_inspector::config::Builder::from(&sdk_config);
        if let Some(url) = endpoint(config, |e| &e.inspector) {
            inspector = inspector.endpoint_url(url);
        }
        let mut inspector2 = aws_sdk_inspector2::config::Builder::from(&sdk_config);
        if let Some(url) = endpoint(config, |e| &e.inspector2) {
            inspector2 = inspector2.endpoint_url(url);
        }
        let mut sts = aws_sdk_sts::config::Builder::from(&sdk_config);
        if let Some(url) = endpoint(config, |e| &e.sts) {
            sts = sts.endpoint_url(url);
        }
        if diags.errors.is_empty() {
            // A second ConfigureProvider on the same instance keeps the first configuration.
            let _ = self.0.configured.set(Configured {
                inspector: aws_sdk_inspector::Client::from_conf(inspector.build()),
                inspector2: aws_sdk_inspector2::Client::from_conf(inspector2.build()),
                sts: aws_sdk_sts::Client::from_conf(sts.build()),
                region,
            });
            Some(())
        } else {
            None
        }
    }
}

/// The provider block's first setting that is not known yet, as its path reads.
fn first_unknown(config: &Config) -> Option<String> {
    let role =
        |unknown: fn(&AssumeRole) -> bool| config.assume_role.as_ref_option().is_some_and(unknown);
    let endpoint =
        |unknown: fn(&Endpoints) -> bool| config.endpoints.as_ref_option().is_some_and(unknown);
    let settings = [
        ("region", config.region.is_unknown()),
        ("profile", config.profile.is_unknown()),
        ("max_retries", config.max_retries.is_unknown()),
        ("assume_role", config.assume_role.is_unknown()),
        ("assume_role.role_arn", role(|r| r.role_arn.is_unknown())),
        (
            "assume_role.external_id",
            role(|r| r.external_id.is_unknown()),
        ),
        (
            "assume_role.session_name",
            role(|r| r.session_name.is_unknown()),
        ),
        ("endpoints", config.endpoints.is_unknown()),
        (
            "endpoints.inspector",
            endpoint(|e| e.inspector.is_unknown()),
        ),
        (
            "endpoints.inspector2",
            endpoint(|e| e.inspector2.is_unknown()),
        ),
        ("endpoints.sts", endpoint(|e| e.sts.is_unknown())),
    ];
    settings
        .into_iter()
        .find_map(|(name, unknown)| unknown.then(|| name.to_owned()))
}

/// The endpoint the provider block sets for one service, if any.
fn endpoint(config: &Config, service: impl Fn(&Endpoints) -> &Value<String>) -> Option<&String> {
    config
        .endpoints
        .as_ref_option()
        .and_then(|e| service(e).as_ref_option())
}

fn loader(config: &Config) -> ConfigLoader {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).retry_config(
        RetryConfig::standard().with_max_attempts(
            config
                .max_retries
                .as_ref_option()
                .copied()
                .unwrap_or(DEFAULT_MAX_RETRIES) as u32
                + 1,
        ),
    );
    if let Some(region) = config.region.as_ref_option() {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(profile) = config.profile.as_ref_option() {
        loader = loader.profile_name(profile);
    }
    loader
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(config: &Config) -> Vec<(String, String)> {
        let mut diags = Diagnostics::default();
        validate(&mut diags, config);
        diags
            .errors
            .into_iter()
            .map(|d| (d.attribute.to_string(), d.summary.into_owned()))
            .collect()
    }

    #[test]
    fn a_full_valid_block_has_no_problems() {
        let config = Config {
            region: Value::Value("us-east-1".into()),
            profile: Value::Value("member".into()),
            max_retries: Value::Value(2),
            assume_role: Value::Value(AssumeRole {
                role_arn: Value::Value("arn:aws:iam::222222222222:role/inspectorlink".into()),
                external_id: Value::Value("estate-1".into()),
                session_name: Value::Value("terraform".into()),
            }),
            endpoints: Value::Value(Endpoints {
                inspector: Value::Value("http://127.0.0.1:4566".into()),
                inspector2: Value::Value("https://inspector2.us-east-1.amazonaws.com".into()),
                sts: Value::Unknown,
            }),
        };
        assert_eq!(problems(&config), vec![]);
    }

    #[test]
    fn each_bad_setting_is_reported_on_its_own_path() {
        let config = Config {
            region: Value::Value("us_east_1".into()),
            max_retries: Value::Value(-1),
            assume_role: Value::Value(AssumeRole {
                role_arn: Value::Value("arn:aws:iam::2222:role/x".into()),
                session_name: Value::Value("has space".into()),
                ..Default::default()
            }),
            endpoints: Value::Value(Endpoints {
                inspector2: Value::Value("inspector2.us-east-1.amazonaws.com".into()),
                sts: Value::Value("127.0.0.1:4566".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let paths: Vec<String> = problems(&config)
            .into_iter()
            .map(|(path, _)| path)
            .collect();
        assert_eq!(
            paths,
            [
                "region",
                "max_retries",
                "assume_role[0].role_arn",
                "assume_role[0].session_name",
                "endpoints[0].inspector2",
                "endpoints[0].sts"
            ]
        );
    }

    #[test]
    fn region_names_are_checked_by_form_not_by_service() {
        for good in ["us-east-1", "af-south-1", "us-gov-west-1", "eu-central-2"] {
            assert!(is_region_name(good), "{good}");
        }
        for bad in [
            "us_east_1",
            "us-east",
            "US-EAST-1",
            "us-east-1a",
            "-east-1",
            "",
        ] {
            assert!(!is_region_name(bad), "{bad}");
        }
    }

    #[test]
    fn role_arns_must_name_a_role() {
        assert!(check_role_arn("arn:aws:iam::222222222222:role/a/b").is_ok());
        assert!(check_role_arn("arn:aws:iam::222222222222:user/a").is_err());
        assert!(check_role_arn("arn:aws:sts::222222222222:role/a").is_err());
        assert!(check_role_arn("role/a").is_err());
    }

    #[test]
    fn the_first_setting_not_known_until_apply_is_named_by_its_path() {
        let known = Config {
            region: Value::Value("us-east-1".into()),
            assume_role: Value::Value(AssumeRole {
                role_arn: Value::Value("arn:aws:iam::222222222222:role/inspectorlink".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(first_unknown(&known), None);
        let role_from_a_resource = Config {
            assume_role: Value::Value(AssumeRole {
                role_arn: Value::Unknown,
                ..Default::default()
            }),
            endpoints: Value::Value(Endpoints {
                sts: Value::Unknown,
                ..Default::default()
            }),
            ..known.clone()
        };
        assert_eq!(
            first_unknown(&role_from_a_resource).as_deref(),
            Some("assume_role.role_arn")
        );
        let whole_block = Config {
            endpoints: Value::Unknown,
            ..known
        };
        assert_eq!(first_unknown(&whole_block).as_deref(), Some("endpoints"));
    }
}
