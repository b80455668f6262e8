//! `data "inspectorlink_inspector2_coverage"`: how many resources Inspector covers in the
//! provider's account and region (the whole organisation, from the delegated
//! administrator), by resource type, scan status and reason (ListCoverageStatistics), so
//! that a root can assert coverage in a `check` block or a postcondition.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use async_trait::async_trait;
use aws_sdk_inspector2::types::{
    CoverageFilterCriteria, CoverageStringComparison, CoverageStringFilter, GroupKey,
};
use aws_sdk_inspector2::Client;
use serde::{Deserialize, Serialize};
use tf_provider::schema::{AttributeConstraint, AttributeType, Block, Description, Schema};
use tf_provider::value::{Value, ValueEmpty};
use tf_provider::{AttributePath, DataSource, Diagnostics};

use crate::config::Connection;
use crate::diagnostics::{error, AwsFailure};
use crate::inspector2::failure;
use crate::schema::attribute;

const STATUS_CODES: [&str; 2] = ["ACTIVE", "INACTIVE"];

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct State {
    pub account_ids: Value<BTreeSet<Value<String>>>,
    pub total: Value<i64>,
    pub active: Value<i64>,
    pub inactive: Value<i64>,
    pub by_resource_type: Value<BTreeMap<String, Value<TypeCounts>>>,
    pub statistics: Value<Vec<Value<Row>>>,
}

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypeCounts {
    pub total: Value<i64>,
    pub active: Value<i64>,
    pub inactive: Value<i64>,
    pub reasons: Value<BTreeMap<String, Value<i64>>>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Row {
    pub resource_type: Value<String>,
    pub scan_status_code: Value<String>,
    pub scan_status_reason: Value<String>,
    pub count: Value<i64>,
}

pub struct Inspector2Coverage {
    connection: Connection,
}

impl Inspector2Coverage {
    pub fn new(connection: Connection) -> Self {
        Inspector2Coverage { connection }
    }
}

fn equals(value: &str) -> Result<CoverageStringFilter, AwsFailure> {
    CoverageStringFilter::builder()
        .comparison(CoverageStringComparison::Equals)
        .value(value)
        .build()
        .map_err(|err| AwsFailure {
            exception: None,
            error_code: None,
            cause: err.to_string(),
        })
}

/// Counts by group value (`groupKey` carries the value, e.g. `AWS_EC2_INSTANCE`).
async fn counts(
    client: &Client,
    filter: CoverageFilterCriteria,
    group: GroupKey,
) -> Result<BTreeMap<String, i64>, AwsFailure> {
    let mut pages = client
        .list_coverage_statistics()
        .filter_criteria(filter)
        .group_by(group)
        .into_paginator()
        .send();
    let mut out = BTreeMap::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|err| failure(&err))?;
        for counted in page.counts_by_group() {
            if let Some(key) = counted.group_key() {
                *out.entry(key.as_str().to_owned()).or_insert(0) += counted.count();
            }
        }
    }
    Ok(out)
}

/// One row per resource type, status code and reason with at least one resource:
/// 1 + 2 × (resource types) calls.
async fn statistics(client: &Client, accounts: &[String]) -> Result<Vec<Row>, AwsFailure> {
    let base = || -> Result<_, AwsFailure> {
        let filters = accounts
            .iter()
            .map(|a| equals(a))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CoverageFilterCriteria::builder()
            .set_account_id((!filters.is_empty()).then_some(filters)))
    };
    let types = counts(client, base()?.build(), GroupKey::ResourceType).await?;
    let mut rows = Vec::new();
    for resource_type in types.keys() {
        for code in STATUS_CODES {
            let filter = base()?
                .resource_type(equals(resource_type)?)
                .scan_status_code(equals(code)?)
                .build();
            for (reason, count) in counts(client, filter, GroupKey::ScanStatusReason).await? {
                rows.push(Row {
                    resource_type: Value::Value(resource_type.clone()),
                    scan_status_code: Value::Value(code.to_owned()),
                    scan_status_reason: Value::Value(reason),
                    count: Value::Value(count),
                });
            }
        }
    }
    rows.sort();
    Ok(rows)
}

/// Totals by status code, overall and by resource type (with each type's reasons).
fn summarise(rows: &[Row]) -> (BTreeMap<&str, i64>, BTreeMap<String, Value<TypeCounts>>) {
    let mut totals: BTreeMap<&str, i64> = BTreeMap::from([("ACTIVE", 0), ("INACTIVE", 0)]);
    let mut by_type: BTreeMap<String, TypeCounts> = BTreeMap::new();
    for row in rows {
        let (Value::Value(kind), Value::Value(code), Value::Value(reason), Value::Value(count)) = (
            &row.resource_type,
            &row.scan_status_code,
            &row.scan_status_reason,
            row.count,
        ) else {
            continue;
        };
        let entry = by_type.entry(kind.clone()).or_insert_with(|| TypeCounts {
            total: Value::Value(0),
            active: Value::Value(0),
            inactive: Value::Value(0),
            reasons: Value::Value(BTreeMap::new()),
        });
        let add =
            |v: &mut Value<i64>| *v = Value::Value(v.as_ref_option().copied().unwrap_or(0) + count);
        add(&mut entry.total);
        if code == "ACTIVE" {
            add(&mut entry.active);
            *totals.entry("ACTIVE").or_insert(0) += count;
        } else {
            add(&mut entry.inactive);
            *totals.entry("INACTIVE").or_insert(0) += count;
        }
        if let Value::Value(reasons) = &mut entry.reasons {
            add(reasons.entry(reason.clone()).or_insert(Value::Value(0)));
        }
    }
    (
        totals,
        by_type
            .into_iter()
            .map(|(k, v)| (k, Value::Value(v)))
            .collect(),
    )
}

#[async_trait]
impl DataSource for Inspector2Coverage {
    type State<'a> = State;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        use AttributeConstraint::{Computed, Optional};
        use AttributeType::{List, Map, Number, Object, Set, String};
        let type_counts = Object(HashMap::from([
            ("total".into(), Number),
            ("active".into(), Number),
            ("inactive".into(), Number),
            ("reasons".into(), Map(Number.into())),
        ]));
        let row = Object(HashMap::from([
            ("resource_type".into(), String),
            ("scan_status_code".into(), String),
            ("scan_status_reason".into(), String),
            ("count".into(), Number),
        ]));
        Some(Schema {
            version: 1,
            block: Block {
                description: Description::markdown("Amazon Inspector coverage of the provider's account and region (of the whole organisation when the provider is the delegated administrator's): how many resources are covered, by resource type, scan status and reason."),
                attributes: HashMap::from([
                    ("account_ids".into(), attribute(Set(String.into()), Optional, "Count only the resources of these accounts (from the administrator: any member's). Default: every account the caller sees.")),
                    ("total".into(), attribute(Number, Computed, "How many resources Inspector covers.")),
                    ("active".into(), attribute(Number, Computed, "How many are actively scanned (scan status `ACTIVE`).")),
                    ("inactive".into(), attribute(Number, Computed, "How many are not (scan status `INACTIVE`); `statistics` says why.")),
                    ("by_resource_type".into(), attribute(Map(type_counts.into()), Computed, "By resource type (`AWS_EC2_INSTANCE`, `AWS_ECR_CONTAINER_IMAGE`, `AWS_ECR_REPOSITORY`, `AWS_LAMBDA_FUNCTION`, ...): `total`, `active`, `inactive`, and `reasons`, the count by scan status reason (e.g. `SUCCESSFUL`, `EXCLUDED_BY_TAG`, `UNMANAGED_EC2_INSTANCE`).")),
                    ("statistics".into(), attribute(List(row.into()), Computed, "One row per resource type, scan status code and reason (`resource_type`, `scan_status_code`, `scan_status_reason`, `count`), sorted.")),
                ]),
                ..Default::default()
            },
        })
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: State) -> Option<()> {
        for id in config
            .account_ids
            .iter()
            .flatten()
            .filter_map(|v| v.as_ref_option())
        {
            if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
                error(
                    diags,
                    AttributePath::new("account_ids"),
                    format!("invalid account id {id:?}"),
                    "An account id is 12 digits.",
                );
            }
        }
        Some(())
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        config: State,
        _meta: ValueEmpty,
    ) -> Option<State> {
        let configured = self.connection.get(diags)?;
        let accounts: Vec<String> = config
            .account_ids
            .iter()
            .flatten()
            .filter_map(|v| v.as_ref_option().cloned())
            .collect();
        match statistics(&configured.inspector2, &accounts).await {
            Ok(rows) => {
                let (totals, by_type) = summarise(&rows);
                Some(State {
                    total: Value::Value(totals.values().sum()),
                    active: Value::Value(totals["ACTIVE"]),
                    inactive: Value::Value(totals["INACTIVE"]),
                    by_resource_type: Value::Value(by_type),
                    statistics: Value::Value(rows.into_iter().map(Value::Value).collect()),
                    ..config
                })
            }
            Err(failure) => {
                error(
                    diags,
                    AttributePath::root(),
                    format!(
                        "reading Inspector2 coverage statistics ({}): {}",
                        configured.region, failure.cause
                    ),
                    "",
                );
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kind: &str, code: &str, reason: &str, count: i64) -> Row {
        let s = |v: &str| Value::Value(v.to_owned());
        Row {
            resource_type: s(kind),
            scan_status_code: s(code),
            scan_status_reason: s(reason),
            count: Value::Value(count),
        }
    }

    #[test]
    fn rows_add_up_by_status_and_by_type_with_their_reasons() {
        let rows = [
            row("AWS_EC2_INSTANCE", "ACTIVE", "SUCCESSFUL", 3),
            row("AWS_EC2_INSTANCE", "INACTIVE", "EXCLUDED_BY_TAG", 1),
            row("AWS_EC2_INSTANCE", "INACTIVE", "UNMANAGED_EC2_INSTANCE", 2),
            row("AWS_LAMBDA_FUNCTION", "ACTIVE", "SUCCESSFUL", 4),
        ];
        let (totals, by_type) = summarise(&rows);
        assert_eq!(totals, BTreeMap::from([("ACTIVE", 7), ("INACTIVE", 3)]));
        let Value::Value(ec2) = &by_type["AWS_EC2_INSTANCE"] else {
            panic!()
        };
        assert_eq!(
            (ec2.total, ec2.active, ec2.inactive),
            (Value::Value(6), Value::Value(3), Value::Value(3))
        );
        let Value::Value(reasons) = &ec2.reasons else {
            panic!()
        };
        assert_eq!(reasons["UNMANAGED_EC2_INSTANCE"], Value::Value(2));
        assert_eq!(reasons.len(), 3);
    }
}
