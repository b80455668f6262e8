//! The Inspector calls behind the resource, and the conversions between its state and the
//! API's shapes.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_inspector2::error::SdkError;
use aws_sdk_inspector2::operation::create_cis_scan_configuration::CreateCisScanConfigurationError;
use aws_sdk_inspector2::operation::update_cis_scan_configuration::UpdateCisScanConfigurationError;
use aws_sdk_inspector2::types::{
    CisScanConfiguration, CisSecurityLevel, CisStringComparison, CisStringFilter, CreateCisTargets,
    DailySchedule, Day, ListCisScanConfigurationsFilterCriteria, MonthlySchedule, OneTimeSchedule,
    Schedule as ApiSchedule, Time, UpdateCisTargets, WeeklySchedule,
};
use aws_sdk_inspector2::Client;
use tf_provider::value::{StructEmpty, Value};
use tf_provider::AttributePath;

use super::schema::{Daily, Monthly, Schedule, StartTime, State, Strings, Targets, Weekly};
use crate::diagnostics::AwsFailure;
use crate::inspector2::failure;

/// A failed call, and the attribute the API's ValidationException names (if any).
pub struct Failure {
    pub failure: AwsFailure,
    pub path: AttributePath,
}

impl From<AwsFailure> for Failure {
    fn from(failure: AwsFailure) -> Self {
        Failure {
            failure,
            path: AttributePath::root(),
        }
    }
}

fn build_failure(err: aws_sdk_inspector2::error::BuildError) -> AwsFailure {
    AwsFailure {
        exception: None,
        error_code: None,
        cause: err.to_string(),
    }
}

/// The attribute of a ValidationException field name such as
/// `schedule.daily.startTime.timezone` (blocks of one or none carry an index 0).
pub fn field_path(name: &str) -> AttributePath {
    let mut path = AttributePath::root();
    for (i, part) in name.split('.').enumerate() {
        let mut snake = String::new();
        for c in part.chars() {
            if c.is_ascii_uppercase() {
                snake.push('_');
                snake.push(c.to_ascii_lowercase());
            } else {
                snake.push(c);
            }
        }
        let listed = matches!(snake.as_str(), "one_time" | "daily" | "weekly" | "monthly");
        path = if i == 0 {
            AttributePath::new(snake)
        } else {
            path.attribute(snake)
        };
        if listed {
            path = path.index(0);
        }
    }
    path
}

fn first_field(err: &aws_sdk_inspector2::types::error::ValidationException) -> Option<String> {
    err.fields().first().map(|f| f.name().to_owned())
}

/// The failure of a create or update: a ValidationException names its field.
fn validation<E, R>(err: &SdkError<E, R>, fields: impl Fn(&E) -> Option<String>) -> Failure
where
    E: aws_sdk_inspector2::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let path = err
        .as_service_error()
        .and_then(fields)
        .map_or_else(AttributePath::root, |name| field_path(&name));
    Failure {
        failure: failure(err),
        path,
    }
}

fn strings(values: &Strings) -> Vec<String> {
    values
        .iter()
        .flatten()
        .filter_map(|v| v.as_ref_option().cloned())
        .collect()
}

fn time(start: &Value<StartTime>) -> Result<Option<Time>, AwsFailure> {
    let Value::Value(start) = start else {
        return Ok(None);
    };
    Time::builder()
        .set_time_of_day(start.time_of_day.as_ref_option().cloned())
        .set_timezone(start.timezone.as_ref_option().cloned())
        .build()
        .map(Some)
        .map_err(build_failure)
}

pub fn api_schedule(schedule: &Schedule) -> Result<ApiSchedule, AwsFailure> {
    if let Value::Value(daily) = &schedule.daily {
        return Ok(ApiSchedule::Daily(
            DailySchedule::builder()
                .set_start_time(time(&daily.start_time)?)
                .build(),
        ));
    }
    if let Value::Value(weekly) = &schedule.weekly {
        let days = strings(&weekly.days)
            .iter()
            .map(|d| Day::from(d.as_str()))
            .collect();
        return WeeklySchedule::builder()
            .set_start_time(time(&weekly.start_time)?)
            .set_days(Some(days))
            .build()
            .map(ApiSchedule::Weekly)
            .map_err(build_failure);
    }
    if let Value::Value(monthly) = &schedule.monthly {
        return MonthlySchedule::builder()
            .set_start_time(time(&monthly.start_time)?)
            .set_day(monthly.day.as_ref_option().map(|d| Day::from(d.as_str())))
            .build()
            .map(ApiSchedule::Monthly)
            .map_err(build_failure);
    }
    Ok(ApiSchedule::OneTime(OneTimeSchedule::builder().build()))
}

fn resource_tags(targets: &Targets) -> HashMap<String, Vec<String>> {
    targets
        .target_resource_tags
        .iter()
        .flatten()
        .map(|(key, values)| {
            let values = values
                .iter()
                .flatten()
                .filter_map(|v| v.as_ref_option().cloned())
                .collect();
            (key.clone(), values)
        })
        .collect()
}

pub fn tags(state: &State) -> BTreeMap<String, String> {
    state
        .tags
        .iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_ref_option().cloned().unwrap_or_default()))
        .collect()
}

/// The parts every call needs, from a planned state whose values are all known.
fn parts(planned: &State) -> Result<(String, CisSecurityLevel, ApiSchedule, Targets), AwsFailure> {
    let missing = |what: &str| AwsFailure {
        exception: None,
        error_code: None,
        cause: format!("{what} is not known"),
    };
    let name = planned
        .scan_name
        .as_ref_option()
        .cloned()
        .ok_or_else(|| missing("scan_name"))?;
    let level = planned
        .security_level
        .as_ref_option()
        .ok_or_else(|| missing("security_level"))?;
    let schedule = planned
        .schedule
        .as_ref_option()
        .ok_or_else(|| missing("schedule"))?;
    let targets = planned
        .targets
        .as_ref_option()
        .ok_or_else(|| missing("targets"))?;
    Ok((
        name,
        CisSecurityLevel::from(level.as_str()),
        api_schedule(schedule)?,
        targets.clone(),
    ))
}

pub async fn create(client: &Client, planned: &State) -> Result<String, Failure> {
    let (name, level, schedule, targets) = parts(planned)?;
    let api_targets = CreateCisTargets::builder()
        .set_account_ids(Some(strings(&targets.account_ids)))
        .set_target_resource_tags(Some(resource_tags(&targets)))
        .build()
        .map_err(build_failure)?;
    let tags = tags(planned);
    let created = client
        .create_cis_scan_configuration()
        .scan_name(name)
        .security_level(level)
        .schedule(schedule)
        .targets(api_targets)
        .set_tags((!tags.is_empty()).then(|| tags.into_iter().collect()))
        .send()
        .await
        .map_err(|err| {
            validation(&err, |e| match e {
                CreateCisScanConfigurationError::ValidationException(v) => first_field(v),
                _ => None,
            })
        })?;
    created
        .scan_configuration_arn()
        .map(str::to_owned)
        .ok_or_else(|| {
            AwsFailure {
                exception: None,
                error_code: None,
                cause: "Inspector answered no scanConfigurationArn".into(),
            }
            .into()
        })
}

/// Sends everything UpdateCisScanConfiguration can change, then the tag changes.
pub async fn update(
    client: &Client,
    arn: &str,
    prior: &State,
    planned: &State,
) -> Result<(), Failure> {
    let (name, level, schedule, targets) = parts(planned)?;
    client
        .update_cis_scan_configuration()
        .scan_configuration_arn(arn)
        .scan_name(name)
        .security_level(level)
        .schedule(schedule)
        .targets(
            UpdateCisTargets::builder()
                .set_account_ids(Some(strings(&targets.account_ids)))
                .set_target_resource_tags(Some(resource_tags(&targets)))
                .build(),
        )
        .send()
        .await
        .map_err(|err| {
            validation(&err, |e| match e {
                UpdateCisScanConfigurationError::ValidationException(v) => first_field(v),
                _ => None,
            })
        })?;
    let (had, wanted) = (tags(prior), tags(planned));
    let removed: Vec<String> = had
        .keys()
        .filter(|k| !wanted.contains_key(*k))
        .cloned()
        .collect();
    if !removed.is_empty() {
        client
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(removed))
            .send()
            .await
            .map_err(|err| Failure::from(failure(&err)))?;
    }
    let changed: HashMap<String, String> = wanted
        .into_iter()
        .filter(|(k, v)| had.get(k) != Some(v))
        .collect();
    if !changed.is_empty() {
        client
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(changed))
            .send()
            .await
            .map_err(|err| Failure::from(failure(&err)))?;
    }
    Ok(())
}

/// Deleting a configuration that is gone is done.
pub async fn delete(client: &Client, arn: &str) -> Result<(), AwsFailure> {
    match client
        .delete_cis_scan_configuration()
        .scan_configuration_arn(arn)
        .send()
        .await
    {
        Ok(_) => Ok(()),
        Err(err)
            if err
                .as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            Ok(())
        }
        Err(err) => Err(failure(&err)),
    }
}

/// The configuration with this ARN (ListCisScanConfigurations), or None when it is gone.
pub async fn find(client: &Client, arn: &str) -> Result<Option<CisScanConfiguration>, AwsFailure> {
    let filter = CisStringFilter::builder()
        .comparison(CisStringComparison::Equals)
        .value(arn)
        .build()
        .map_err(build_failure)?;
    let mut pages = client
        .list_cis_scan_configurations()
        .filter_criteria(
            ListCisScanConfigurationsFilterCriteria::builder()
                .scan_configuration_arn_filters(filter)
                .build(),
        )
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|err| failure(&err))?;
        if let Some(found) = page
            .scan_configurations()
            .iter()
            .find(|c| c.scan_configuration_arn() == arn)
        {
            return Ok(Some(found.clone()));
        }
    }
    Ok(None)
}

fn start_time(time: Option<&Time>) -> Value<StartTime> {
    time.map_or(Value::Null, |t| {
        Value::Value(StartTime {
            time_of_day: Value::Value(t.time_of_day().to_owned()),
            timezone: Value::Value(t.timezone().to_owned()),
        })
    })
}

fn to_strings<'a>(items: impl IntoIterator<Item = &'a str>) -> Strings {
    Value::Value(
        items
            .into_iter()
            .map(|s| Value::Value(s.to_owned()))
            .collect(),
    )
}

/// The state of what Inspector lists. `tags_were_null`: a configuration without tags keeps
/// `tags` null rather than an empty map (no diff against a configuration that sets none).
pub fn state_of(found: &CisScanConfiguration, tags_were_null: bool) -> State {
    let arn = found.scan_configuration_arn().to_owned();
    let mut schedule = Schedule::default();
    match found.schedule() {
        Some(ApiSchedule::OneTime(_)) => schedule.one_time = Value::Value(StructEmpty {}),
        Some(ApiSchedule::Daily(d)) => {
            schedule.daily = Value::Value(Daily {
                start_time: start_time(d.start_time()),
            })
        }
        Some(ApiSchedule::Weekly(w)) => {
            schedule.weekly = Value::Value(Weekly {
                days: to_strings(w.days().iter().map(|d| d.as_str())),
                start_time: start_time(w.start_time()),
            })
        }
        Some(ApiSchedule::Monthly(m)) => {
            schedule.monthly = Value::Value(Monthly {
                day: Value::Value(m.day().as_str().to_owned()),
                start_time: start_time(m.start_time()),
            })
        }
        _ => {}
    }
    let targets = found.targets().map_or(Value::Null, |t| {
        Value::Value(Targets {
            account_ids: to_strings(t.account_ids().iter().map(String::as_str)),
            target_resource_tags: Value::Value(
                t.target_resource_tags()
                    .into_iter()
                    .flatten()
                    .map(|(k, values)| {
                        (
                            k.clone(),
                            Value::Value(values.iter().map(|v| Value::Value(v.clone())).collect()),
                        )
                    })
                    .collect(),
            ),
        })
    });
    let tags: BTreeMap<String, Value<String>> = found
        .tags()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), Value::Value(v.clone())))
        .collect();
    State {
        id: Value::Value(arn.clone()),
        arn: Value::Value(arn),
        scan_name: found
            .scan_name()
            .map_or(Value::Null, |n| Value::Value(n.to_owned())),
        security_level: found
            .security_level()
            .map_or(Value::Null, |l| Value::Value(l.as_str().to_owned())),
        schedule: Value::Value(schedule),
        targets,
        tags: if tags.is_empty() && tags_were_null {
            Value::Null
        } else {
            Value::Value(tags)
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_fields_become_attribute_paths() {
        assert_eq!(
            field_path("schedule.daily.startTime.timezone").to_string(),
            field_path("schedule")
                .attribute("daily")
                .index(0)
                .attribute("start_time")
                .attribute("timezone")
                .to_string()
        );
        assert_eq!(
            field_path("targets.accountIds").to_string(),
            AttributePath::new("targets")
                .attribute("account_ids")
                .to_string()
        );
        assert_eq!(
            field_path("scanName").to_string(),
            AttributePath::new("scan_name").to_string()
        );
    }
}
