//! The schema and state of `inspectorlink_inspector2_configuration`, the id, and the checks
//! that need no AWS call.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use tf_provider::schema::{AttributeConstraint, AttributeType, Block, Description, Schema};
use tf_provider::value::Value;
use tf_provider::{AttributePath, Diagnostics};

use crate::inspector2::check_one_of;
use crate::schema::attribute;

pub const RESCAN_DURATION: &str = "ecr_rescan_duration";
pub const PULL_DATE_DURATION: &str = "ecr_pull_date_rescan_duration";
pub const PULL_DATE_MODE: &str = "ecr_pull_date_rescan_mode";
pub const SCAN_MODE: &str = "ec2_scan_mode";

/// The values of the API reference (EcrConfiguration, Ec2Configuration), as the SDK knows them.
pub const RESCAN_DURATIONS: [&str; 8] = [
    "LIFETIME", "DAYS_3", "DAYS_7", "DAYS_14", "DAYS_30", "DAYS_60", "DAYS_90", "DAYS_180",
];
pub const PULL_DATE_DURATIONS: [&str; 7] = [
    "DAYS_3", "DAYS_7", "DAYS_14", "DAYS_30", "DAYS_60", "DAYS_90", "DAYS_180",
];
pub const PULL_DATE_MODES: [&str; 2] = ["LAST_PULL_DATE", "LAST_IN_USE_AT"];
pub const SCAN_MODES: [&str; 2] = ["EC2_SSM_AGENT_BASED", "EC2_HYBRID"];

/// What destroy restores: the defaults the Inspector User Guide documents for a newly
/// activated account ("Configuring the Amazon ECR re-scan duration": 14 days, by last in
/// use date; "Scanning Amazon EC2 instances": hybrid scanning).
pub const DEFAULTS: Settings<'static> = Settings {
    rescan_duration: "DAYS_14",
    pull_date_rescan_duration: Some("DAYS_14"),
    pull_date_rescan_mode: Some("LAST_IN_USE_AT"),
    scan_mode: "EC2_HYBRID",
};

/// The settings one UpdateConfiguration sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings<'a> {
    pub rescan_duration: &'a str,
    pub pull_date_rescan_duration: Option<&'a str>,
    pub pull_date_rescan_mode: Option<&'a str>,
    pub scan_mode: &'a str,
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub id: Value<String>,
    pub account_id: Value<String>,
    pub region: Value<String>,
    pub ecr_rescan_duration: Value<String>,
    pub ecr_pull_date_rescan_duration: Value<String>,
    pub ecr_pull_date_rescan_mode: Value<String>,
    pub ec2_scan_mode: Value<String>,
    pub ecr_rescan_duration_status: Value<String>,
    pub ecr_updated_at: Value<String>,
    pub ec2_scan_mode_status: Value<String>,
}

impl State {
    /// The settings of a planned state: None until the required ones are known. An
    /// optional one that is null or unknown (left to Inspector) is not sent.
    pub fn settings(&self) -> Option<Settings<'_>> {
        Some(Settings {
            rescan_duration: self.ecr_rescan_duration.as_ref_option()?,
            pull_date_rescan_duration: self.ecr_pull_date_rescan_duration.as_deref_option(),
            pull_date_rescan_mode: self.ecr_pull_date_rescan_mode.as_deref_option(),
            scan_mode: self.ec2_scan_mode.as_ref_option()?,
        })
    }
}

pub fn format_id(account: &str, region: &str) -> String {
    format!("{account},{region}")
}

/// `<account_id>,<region>`.
pub fn parse_id(id: &str) -> Result<(String, String), String> {
    match id.split_once(',') {
        Some((account, region))
            if account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit())
                && !region.is_empty() =>
        {
            Ok((account.to_owned(), region.to_owned()))
        }
        _ => Err(format!(
            "{id:?} is not <account_id>,<region>, e.g. 111111111111,us-east-1."
        )),
    }
}

pub fn schema() -> Schema {
    use AttributeConstraint::{Computed, OptionalComputed, Required};
    let string =
        |constraint, description: String| attribute(AttributeType::String, constraint, description);
    let list = |values: &[&str]| {
        values
            .iter()
            .map(|v| format!("`{v}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    Schema {
        version: 1,
        block: Block {
            description: Description::markdown("The Amazon Inspector (v2) scan configuration of the provider's account and region: ECR re-scan durations and the EC2 scan mode. The delegated administrator's applies to every member of its organisation; members cannot set it. Destroy restores the documented defaults."),
            attributes: HashMap::from([
                ("id".into(), string(Computed, "`<account_id>,<region>`, the import id.".into())),
                ("account_id".into(), string(Computed, "The account whose configuration this is (the provider's).".into())),
                ("region".into(), string(Computed, "The region whose configuration this is (the provider's).".into())),
                (RESCAN_DURATION.into(), string(Required, format!("How long Inspector keeps rescanning an ECR image after it was pushed: {}.", list(&RESCAN_DURATIONS)))),
                (PULL_DATE_DURATION.into(), string(OptionalComputed, format!("How long Inspector keeps rescanning an ECR image after its last pull or last use (see `{PULL_DATE_MODE}`): {}. Left unset, Inspector's current value is kept.", list(&PULL_DATE_DURATIONS)))),
                (PULL_DATE_MODE.into(), string(OptionalComputed, format!("Which date `{PULL_DATE_DURATION}` counts from: {}. Left unset, Inspector's current value is kept.", list(&PULL_DATE_MODES)))),
                (SCAN_MODE.into(), string(Required, format!("How Inspector scans EC2 instances: {} (SSM agent only) or {} (agent where there is one, else agentless).", list(&SCAN_MODES[..1]), list(&SCAN_MODES[1..])))),
                ("ecr_rescan_duration_status".into(), string(Computed, "The status of the ECR settings as GetConfiguration reports it: `SUCCESS`, `PENDING` or `FAILED`.".into())),
                ("ecr_updated_at".into(), string(Computed, "When the ECR settings last changed (RFC 3339), as GetConfiguration reports it.".into())),
                ("ec2_scan_mode_status".into(), string(Computed, "The status of the EC2 scan mode as GetConfiguration reports it: `SUCCESS` or `PENDING`.".into())),
            ]),
            ..Default::default()
        },
    }
}

/// Every check that needs no AWS call, on whatever is known.
pub fn validate(diags: &mut Diagnostics, config: &State) {
    let checks: [(&str, &Value<String>, &[&str]); 4] = [
        (
            RESCAN_DURATION,
            &config.ecr_rescan_duration,
            &RESCAN_DURATIONS,
        ),
        (
            PULL_DATE_DURATION,
            &config.ecr_pull_date_rescan_duration,
            &PULL_DATE_DURATIONS,
        ),
        (
            PULL_DATE_MODE,
            &config.ecr_pull_date_rescan_mode,
            &PULL_DATE_MODES,
        ),
        (SCAN_MODE, &config.ec2_scan_mode, &SCAN_MODES),
    ];
    for (name, value, allowed) in checks {
        check_one_of(diags, AttributePath::new(name), name, value, allowed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(s: &str) -> Value<String> {
        Value::Value(s.to_owned())
    }

    #[test]
    fn each_bad_value_is_reported_on_its_attribute() {
        let config = State {
            ecr_rescan_duration: known("DAYS_365"),
            ecr_pull_date_rescan_duration: known("LIFETIME"),
            ecr_pull_date_rescan_mode: known("last_pull_date"),
            ec2_scan_mode: known("EC2_AGENTLESS"),
            ..Default::default()
        };
        let mut diags = Diagnostics::default();
        validate(&mut diags, &config);
        let paths: Vec<String> = diags
            .errors
            .iter()
            .map(|d| d.attribute.to_string())
            .collect();
        assert_eq!(
            paths,
            [
                RESCAN_DURATION,
                PULL_DATE_DURATION,
                PULL_DATE_MODE,
                SCAN_MODE
            ]
        );
        assert_eq!(
            diags.errors[3].summary,
            "invalid ec2_scan_mode: \"EC2_AGENTLESS\""
        );
    }

    #[test]
    fn settings_wait_for_the_required_values_and_leave_out_unset_optionals() {
        let mut state = State {
            ecr_rescan_duration: Value::Unknown,
            ec2_scan_mode: known("EC2_HYBRID"),
            ecr_pull_date_rescan_mode: Value::Unknown,
            ecr_pull_date_rescan_duration: known("DAYS_60"),
            ..Default::default()
        };
        assert_eq!(state.settings(), None);
        state.ecr_rescan_duration = known("DAYS_30");
        assert_eq!(
            state.settings(),
            Some(Settings {
                rescan_duration: "DAYS_30",
                pull_date_rescan_duration: Some("DAYS_60"),
                pull_date_rescan_mode: None,
                scan_mode: "EC2_HYBRID"
            })
        );
    }

    #[test]
    fn ids_name_an_account_and_a_region() {
        assert_eq!(
            parse_id("111111111111,us-east-1").unwrap(),
            ("111111111111".to_owned(), "us-east-1".to_owned())
        );
        assert!(parse_id(&format_id("111111111111", "eu-west-1")).is_ok());
        for bad in ["111111111111", "1111,us-east-1", "111111111111,"] {
            assert!(
                parse_id(bad).unwrap_err().contains("<account_id>,<region>"),
                "{bad}"
            );
        }
    }
}
