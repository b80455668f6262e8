//! The schema and state of `inspectorlink_inspector2_cis_scan_configuration`, and the
//! checks that need no AWS call (the API reference's rules: CreateCisScanConfiguration,
//! Schedule, Time, CreateCisTargets).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use tf_provider::schema::{
    AttributeConstraint, AttributeType, Block, Description, NestedBlock, Schema,
};
use tf_provider::value::{StructEmpty, Value};
use tf_provider::{AttributePath, Diagnostics};

use crate::diagnostics::error;
use crate::inspector2::check_one_of;
use crate::schema::attribute;

pub const LEVELS: [&str; 2] = ["LEVEL_1", "LEVEL_2"];
pub const DAYS: [&str; 7] = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"];
pub const KINDS: [&str; 4] = ["one_time", "daily", "weekly", "monthly"];

pub type Strings = Value<BTreeSet<Value<String>>>;
pub type TagMap = Value<BTreeMap<String, Value<String>>>;
pub type ResourceTags = Value<BTreeMap<String, Value<Vec<Value<String>>>>>;

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub id: Value<String>,
    pub arn: Value<String>,
    pub scan_name: Value<String>,
    pub security_level: Value<String>,
    pub schedule: Value<Schedule>,
    pub targets: Value<Targets>,
    pub tags: TagMap,
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Schedule {
    #[serde(with = "crate::inspector2::optional_block")]
    pub one_time: Value<StructEmpty>,
    #[serde(with = "crate::inspector2::optional_block")]
    pub daily: Value<Daily>,
    #[serde(with = "crate::inspector2::optional_block")]
    pub weekly: Value<Weekly>,
    #[serde(with = "crate::inspector2::optional_block")]
    pub monthly: Value<Monthly>,
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Daily {
    pub start_time: Value<StartTime>,
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Weekly {
    pub days: Strings,
    pub start_time: Value<StartTime>,
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Monthly {
    pub day: Value<String>,
    pub start_time: Value<StartTime>,
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartTime {
    pub time_of_day: Value<String>,
    pub timezone: Value<String>,
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Targets {
    pub account_ids: Strings,
    pub target_resource_tags: ResourceTags,
}

fn start_time() -> NestedBlock {
    use AttributeConstraint::Required;
    NestedBlock::Single(Block {
        description: Description::markdown("When the scan starts."),
        attributes: HashMap::from([
            (
                "time_of_day".into(),
                attribute(
                    AttributeType::String,
                    Required,
                    "The time of day, `HH:MM` (24-hour), e.g. `02:30`.",
                ),
            ),
            (
                "timezone".into(),
                attribute(
                    AttributeType::String,
                    Required,
                    "The IANA time zone of `time_of_day`, e.g. `UTC` or `Europe/Paris`.",
                ),
            ),
        ]),
        ..Default::default()
    })
}

pub fn schema() -> Schema {
    use AttributeConstraint::{Computed, Optional, Required};
    use AttributeType::{List, Map, Set, String};
    let strings = || Set(String.into());
    let schedule = Block {
        description: Description::markdown("When the scan runs: exactly one of `one_time`, `daily`, `weekly`, `monthly`."),
        blocks: HashMap::from([
            ("one_time".into(), NestedBlock::Optional(Block {
                description: Description::markdown("Run once, as soon as the configuration is created or updated to this schedule (an empty block)."),
                ..Default::default()
            })),
            ("daily".into(), NestedBlock::Optional(Block {
                description: Description::markdown("Run every day at `start_time`."),
                blocks: HashMap::from([("start_time".into(), start_time())]),
                ..Default::default()
            })),
            ("weekly".into(), NestedBlock::Optional(Block {
                description: Description::markdown("Run on `days` at `start_time`."),
                attributes: HashMap::from([("days".into(), attribute(strings(), Required, "The days of the week: `MON`, `TUE`, `WED`, `THU`, `FRI`, `SAT`, `SUN`."))]),
                blocks: HashMap::from([("start_time".into(), start_time())]),
                ..Default::default()
            })),
            ("monthly".into(), NestedBlock::Optional(Block {
                description: Description::markdown("Run once a month on `day` at `start_time`."),
                attributes: HashMap::from([("day".into(), attribute(String, Required, "The day of the week: `MON` … `SUN`."))]),
                blocks: HashMap::from([("start_time".into(), start_time())]),
                ..Default::default()
            })),
        ]),
        ..Default::default()
    };
    let targets = Block {
        description: Description::markdown("Which instances the scan covers."),
        attributes: HashMap::from([
            ("account_ids".into(), attribute(strings(), Required, "The accounts to scan: 12-digit account ids, `SELF` (the provider's account) or `ALL_ACCOUNTS` (the administrator's organisation).")),
            ("target_resource_tags".into(), attribute(Map(List(String.into()).into()), Required, "The EC2 instances to scan: each key is a tag key, with 1 to 5 values an instance's tag may have; 1 to 5 keys.")),
        ]),
        ..Default::default()
    };
    Schema {
        version: 1,
        block: Block {
            description: Description::markdown("An Amazon Inspector CIS scan configuration: a named, scheduled CIS benchmark scan of tagged EC2 instances of one or more accounts."),
            attributes: HashMap::from([
                ("id".into(), attribute(String, Computed, "The ARN, the import id.")),
                ("arn".into(), attribute(String, Computed, "The ARN of the scan configuration.")),
                ("scan_name".into(), attribute(String, Required, "The scan name, 1 to 128 characters.")),
                ("security_level".into(), attribute(String, Required, "The CIS benchmark level: `LEVEL_1` or `LEVEL_2` (level 1 and 2 checks).")),
                ("tags".into(), attribute(Map(String.into()), Optional, "Tags of the scan configuration; changed in place (TagResource, UntagResource).")),
            ]),
            blocks: HashMap::from([
                ("schedule".into(), NestedBlock::Single(schedule)),
                ("targets".into(), NestedBlock::Single(targets)),
            ]),
            ..Default::default()
        },
    }
}

/// The pattern of the API reference's TimeOfDay: `([0-1]?[0-9]|2[0-3]):[0-5][0-9]`.
pub fn is_time_of_day(text: &str) -> bool {
    let Some((hour, minute)) = text.split_once(':') else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(hour)
        && hour.len() <= 2
        && hour.parse::<u8>().is_ok_and(|h| h <= 23)
        && digits(minute)
        && minute.len() == 2
        && minute.parse::<u8>().is_ok_and(|m| m <= 59)
}

fn check_length(
    diags: &mut Diagnostics,
    path: AttributePath,
    name: &str,
    text: &str,
    range: std::ops::RangeInclusive<usize>,
) {
    let length = text.chars().count();
    if !range.contains(&length) {
        error(
            diags,
            path,
            format!("invalid {name}: {length} characters"),
            format!(
                "{name} is {} to {} characters long.",
                range.start(),
                range.end()
            ),
        );
    }
}

fn check_start_time(diags: &mut Diagnostics, path: AttributePath, start: &Value<StartTime>) {
    let Value::Value(start) = start else { return };
    if let Value::Value(time) = &start.time_of_day {
        if !is_time_of_day(time) {
            error(
                diags,
                path.clone().attribute("time_of_day"),
                format!("invalid time_of_day: {time:?}"),
                "A time of day is HH:MM on a 24-hour clock, e.g. 02:30 or 23:00.",
            );
        }
    }
    if let Value::Value(zone) = &start.timezone {
        check_length(diags, path.attribute("timezone"), "timezone", zone, 1..=50);
    }
}

fn check_schedule(diags: &mut Diagnostics, schedule: &Schedule) {
    let path = || AttributePath::new("schedule");
    let given = [
        schedule.one_time.is_value(),
        schedule.daily.is_value(),
        schedule.weekly.is_value(),
        schedule.monthly.is_value(),
    ];
    let count = given.iter().filter(|g| **g).count();
    let unknown = [
        schedule.one_time.is_unknown(),
        schedule.daily.is_unknown(),
        schedule.weekly.is_unknown(),
        schedule.monthly.is_unknown(),
    ];
    // A `dynamic` block whose for_each is not known yet may turn out absent.
    if count != 1 && !unknown.contains(&true) {
        let named: Vec<&str> = KINDS
            .iter()
            .zip(given)
            .filter(|(_, g)| *g)
            .map(|(k, _)| *k)
            .collect();
        // On the second kind given (Terraform shows its block), else on the schedule.
        let at = match named.get(1) {
            Some(second) => path().attribute(*second).index(0),
            None => path(),
        };
        error(
            diags,
            at,
            format!("schedule has {count} kinds of schedule"),
            format!(
                "Give exactly one of one_time {{}}, daily {{}}, weekly {{}} or monthly {{}}{}.",
                if named.is_empty() {
                    String::new()
                } else {
                    format!(" (found {})", named.join(", "))
                }
            ),
        );
    }
    if let Value::Value(daily) = &schedule.daily {
        check_start_time(
            diags,
            path().attribute("daily").index(0).attribute("start_time"),
            &daily.start_time,
        );
    }
    if let Value::Value(weekly) = &schedule.weekly {
        let at = || path().attribute("weekly").index(0);
        if let Value::Value(days) = &weekly.days {
            if days.is_empty() {
                error(
                    diags,
                    at().attribute("days"),
                    "weekly days is empty",
                    "Name 1 to 7 days, e.g. [\"MON\", \"THU\"].",
                );
            }
            for day in days {
                check_one_of(diags, at().attribute("days"), "day", day, &DAYS);
            }
        }
        check_start_time(diags, at().attribute("start_time"), &weekly.start_time);
    }
    if let Value::Value(monthly) = &schedule.monthly {
        let at = || path().attribute("monthly").index(0);
        check_one_of(diags, at().attribute("day"), "day", &monthly.day, &DAYS);
        check_start_time(diags, at().attribute("start_time"), &monthly.start_time);
    }
}

fn is_account_target(id: &str) -> bool {
    matches!(id, "SELF" | "ALL_ACCOUNTS")
        || (id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()))
}

fn check_targets(diags: &mut Diagnostics, targets: &Targets) {
    let path = || AttributePath::new("targets");
    if let Value::Value(ids) = &targets.account_ids {
        if ids.is_empty() {
            error(
                diags,
                path().attribute("account_ids"),
                "targets account_ids is empty",
                "Name at least one account: a 12-digit id, SELF or ALL_ACCOUNTS.",
            );
        }
        for id in ids.iter().filter_map(|id| id.as_ref_option()) {
            if !is_account_target(id) {
                error(
                    diags,
                    path().attribute("account_ids"),
                    format!("invalid account id {id:?}"),
                    "An account target is a 12-digit account id, SELF or ALL_ACCOUNTS.",
                );
            }
        }
    }
    if let Value::Value(tags) = &targets.target_resource_tags {
        let at = || path().attribute("target_resource_tags");
        if !(1..=5).contains(&tags.len()) {
            error(diags, at(), format!("target_resource_tags has {} keys", tags.len()), "Give 1 to 5 tag keys, each with 1 to 5 values, e.g. { InspectorCis = [\"enabled\"] }.");
        }
        for (key, values) in tags {
            check_length(diags, at().key(key.clone()), "tag key", key, 1..=128);
            let Value::Value(values) = values else {
                continue;
            };
            if !(1..=5).contains(&values.len()) {
                error(
                    diags,
                    at().key(key.clone()),
                    format!("target_resource_tags[{key:?}] has {} values", values.len()),
                    "Give 1 to 5 values for each tag key.",
                );
            }
            for value in values.iter().filter_map(|v| v.as_ref_option()) {
                check_length(diags, at().key(key.clone()), "tag value", value, 1..=256);
            }
        }
    }
}

fn check_tags(diags: &mut Diagnostics, tags: &TagMap) {
    let Value::Value(tags) = tags else { return };
    for (key, value) in tags {
        let at = || AttributePath::new("tags").key(key.clone());
        check_length(diags, at(), "tag key", key, 1..=128);
        if key.to_ascii_lowercase().starts_with("aws:") {
            error(
                diags,
                at(),
                format!("invalid tag key {key:?}"),
                "Tag keys starting with aws: are reserved for AWS.",
            );
        }
        if let Value::Value(value) = value {
            check_length(diags, at(), "tag value", value, 0..=256);
        }
    }
}

/// Every check that needs no AWS call, on whatever is known.
pub fn validate(diags: &mut Diagnostics, config: &State) {
    if let Value::Value(name) = &config.scan_name {
        check_length(
            diags,
            AttributePath::new("scan_name"),
            "scan_name",
            name,
            1..=128,
        );
    }
    check_one_of(
        diags,
        AttributePath::new("security_level"),
        "security_level",
        &config.security_level,
        &LEVELS,
    );
    if let Value::Value(schedule) = &config.schedule {
        check_schedule(diags, schedule);
    }
    if let Value::Value(targets) = &config.targets {
        check_targets(diags, targets);
    }
    check_tags(diags, &config.tags);
}

/// A CIS scan configuration ARN as the API reference's pattern has it (roughly): the
/// resource checks the form; Inspector decides whether it exists.
pub fn check_arn(arn: &str) -> Result<(), String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, "inspector2", region, account, resource]
            if !region.is_empty()
                && account.len() == 12
                && resource.starts_with("owner/")
                && resource.contains("/cis-configuration/") =>
        {
            Ok(())
        }
        _ => Err(format!("{arn:?} is not a CIS scan configuration ARN: arn:aws:inspector2:REGION:ACCOUNT:owner/OWNER/cis-configuration/ID")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(s: &str) -> Value<String> {
        Value::Value(s.to_owned())
    }

    fn strings(items: &[&str]) -> Strings {
        Value::Value(items.iter().map(|s| known(s)).collect())
    }

    fn start(time: &str) -> Value<StartTime> {
        Value::Value(StartTime {
            time_of_day: known(time),
            timezone: known("UTC"),
        })
    }

    fn valid() -> State {
        State {
            scan_name: known("weekly-cis"),
            security_level: known("LEVEL_1"),
            schedule: Value::Value(Schedule {
                weekly: Value::Value(Weekly {
                    days: strings(&["MON", "THU"]),
                    start_time: start("02:30"),
                }),
                ..Default::default()
            }),
            targets: Value::Value(Targets {
                account_ids: strings(&["SELF", "222222222222"]),
                target_resource_tags: Value::Value(BTreeMap::from([(
                    "InspectorCis".to_owned(),
                    Value::Value(vec![known("enabled")]),
                )])),
            }),
            tags: Value::Value(BTreeMap::from([("Team".to_owned(), known("security"))])),
            ..Default::default()
        }
    }

    fn paths(config: &State) -> Vec<String> {
        let mut diags = Diagnostics::default();
        validate(&mut diags, config);
        diags
            .errors
            .iter()
            .map(|d| d.attribute.to_string())
            .collect()
    }

    #[test]
    fn a_valid_configuration_has_no_problems() {
        assert_eq!(paths(&valid()), Vec::<String>::new());
    }

    #[test]
    fn times_of_day_follow_the_api_pattern() {
        for good in ["00:00", "2:30", "09:05", "23:59"] {
            assert!(is_time_of_day(good), "{good}");
        }
        for bad in ["24:00", "12:60", "1230", "12:5", "ab:cd", "", "123:00"] {
            assert!(!is_time_of_day(bad), "{bad}");
        }
    }

    #[test]
    fn each_bad_value_is_reported_on_its_attribute() {
        let mut config = valid();
        config.scan_name = known("");
        config.security_level = known("LEVEL_3");
        config.schedule = Value::Value(Schedule {
            one_time: Value::Value(StructEmpty {}),
            weekly: Value::Value(Weekly {
                days: strings(&["MONDAY"]),
                start_time: start("25:00"),
            }),
            ..Default::default()
        });
        config.targets = Value::Value(Targets {
            account_ids: strings(&["2222"]),
            target_resource_tags: Value::Value(BTreeMap::new()),
        });
        config.tags = Value::Value(BTreeMap::from([("aws:x".to_owned(), known("y"))]));
        assert_eq!(
            paths(&config),
            [
                "scan_name",
                "security_level",
                "schedule.weekly[0]",
                "schedule.weekly[0].days",
                "schedule.weekly[0].start_time.time_of_day",
                "targets.account_ids",
                "targets.target_resource_tags",
                "tags[\"aws:x\"]",
            ]
        );
    }

    #[test]
    fn no_schedule_kind_is_reported_too_but_unknown_blocks_are_not_judged() {
        let mut config = valid();
        config.schedule = Value::Value(Schedule::default());
        assert_eq!(paths(&config), ["schedule"]);
        config.schedule = Value::Value(Schedule {
            one_time: Value::Unknown,
            daily: Value::Unknown,
            ..Default::default()
        });
        assert_eq!(paths(&config), Vec::<String>::new());
    }

    #[test]
    fn arns_must_name_a_cis_configuration() {
        assert!(check_arn("arn:aws:inspector2:us-east-1:111111111111:owner/111111111111/cis-configuration/0e1b0cf4-5b0c-4b7a-9e5e-2d4b8a0e3f11").is_ok());
        assert!(check_arn("arn:aws:inspector2:us-east-1:111111111111:finding/abc").is_err());
        assert!(check_arn("cis-configuration/abc").is_err());
    }
}
