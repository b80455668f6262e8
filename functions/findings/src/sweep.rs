//! inspectorlink's own records on the send queue, for the coverage sweep (documented in
//! docs/finding-schema.md, "The coverage sweep"). A scheduled EventBridge rule puts a
//! [`SweepRequest`] on the queue; send-findings answers it by calling ListCoverage in
//! each region it names and sending the answer back to the queue as [`SweepPage`]s,
//! which become coverage documents like any event does. Going through the queue spreads
//! a large organisation's coverage over many invocations, each with SQS's retries and
//! dead-letter queue.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::coverage::{Coverage, CoverageError, CoverageSource};

/// The field that marks a record body as inspectorlink's own; its value says which.
pub const RECORD_KIND_FIELD: &str = "inspectorlink";
/// [`SweepRequest`]'s kind.
pub const SWEEP_REQUEST: &str = "coverage-sweep";
/// [`SweepPage`]'s kind.
pub const SWEEP_PAGE: &str = "coverage-page";

/// "Sweep these regions now": the scheduled rule's constant input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepRequest {
    #[serde(rename = "inspectorlink")]
    pub kind: String,
    /// Where to call ListCoverage; empty: the region send-findings runs in.
    #[serde(default)]
    pub regions: Vec<String>,
}

/// Consecutive ListCoverage items of one region, as the API answered them at `observed_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepPage {
    #[serde(rename = "inspectorlink")]
    pub kind: String,
    pub region: String,
    /// RFC 3339: when the sweep's ListCoverage calls started.
    pub observed_at: String,
    /// `CoveredResource`s in the API's JSON.
    pub items: Vec<Value>,
}

impl SweepRequest {
    pub fn new(regions: Vec<String>) -> Self {
        SweepRequest {
            kind: SWEEP_REQUEST.to_owned(),
            regions,
        }
    }
}

impl SweepPage {
    /// A page of `items` listed in `region` by a sweep that started at `observed_at`.
    pub fn new(region: &str, observed_at: OffsetDateTime, items: Vec<Value>) -> Self {
        SweepPage {
            kind: SWEEP_PAGE.to_owned(),
            region: region.to_owned(),
            observed_at: observed_at
                .format(&Rfc3339)
                .expect("a sweep's start is a printable time"),
            items,
        }
    }

    /// Its coverage documents; the first item that cannot be one fails the page, and the
    /// error says which item.
    pub fn coverage(self) -> Result<Vec<Coverage>, CoverageError> {
        let observed_at = OffsetDateTime::parse(&self.observed_at, &Rfc3339).map_err(|_| {
            CoverageError::Invalid {
                shape: CoverageSource::ListCoverage,
                field: "observed_at",
                value: self.observed_at.clone(),
                expected: "an RFC 3339 time",
            }
        })?;
        let region = self.region;
        self.items
            .into_iter()
            .map(|item| Coverage::from_covered_resource(item, &region, observed_at))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{parse_record_body, MessageError, Notification};

    fn item(name: &str) -> Value {
        serde_json::from_str(match name {
            "excluded" => {
                include_str!("../tests/fixtures/inspector2/list-coverage-ec2-excluded-by-tag.json")
            }
            _ => include_str!("../tests/fixtures/inspector2/list-coverage-lambda.json"),
        })
        .unwrap()
    }

    #[test]
    fn a_page_round_trips_through_the_queue_into_coverage_documents() {
        let started = OffsetDateTime::from_unix_timestamp(1_797_724_800).unwrap();
        let page = SweepPage::new(
            "eu-central-1",
            started,
            vec![item("excluded"), item("lambda")],
        );
        let body = serde_json::to_string(&page).unwrap();
        let Notification::CoverageSweepPage(documents) = parse_record_body(&body).unwrap() else {
            panic!("{body}");
        };
        assert_eq!(documents.len(), 2);
        assert_eq!(documents[0].scan_status_reason, "EXCLUDED_BY_TAG");
        assert!(documents
            .iter()
            .all(|d| d.observed_at == "2026-12-20T00:00:00Z" && d.region == "eu-central-1"));
    }

    #[test]
    fn a_request_names_its_regions_or_none() {
        let parsed = |body: &str| match parse_record_body(body).unwrap() {
            Notification::CoverageSweep(request) => request.regions,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            parsed(r#"{"inspectorlink":"coverage-sweep","regions":["eu-west-1","us-east-1"]}"#),
            ["eu-west-1", "us-east-1"]
        );
        assert!(parsed(r#"{"inspectorlink":"coverage-sweep"}"#).is_empty());
    }

    #[test]
    fn a_bad_record_of_ours_says_what_is_wrong() {
        let error = |body: &str| parse_record_body(body).unwrap_err().to_string();
        assert_eq!(
            error(r#"{"inspectorlink":"coverage-sweeps"}"#),
            "the body is not an Inspector notification: an inspectorlink record of unknown kind \"coverage-sweeps\" (coverage-sweep, coverage-page)"
        );
        assert!(
            error(r#"{"inspectorlink":"coverage-page","region":"eu-west-1"}"#)
                .contains("missing field `observed_at`")
        );
        let mut page = serde_json::to_value(SweepPage::new(
            "eu-west-1",
            OffsetDateTime::UNIX_EPOCH,
            vec![serde_json::json!({"accountId": "123"})],
        ))
        .unwrap();
        assert!(matches!(
            parse_record_body(&page.to_string()),
            Err(MessageError::BadCoverage(_))
        ));
        page["observed_at"] = "yesterday".into();
        page["items"] = serde_json::json!([]);
        assert_eq!(
            error(&page.to_string()),
            "ListCoverage item with observed_at yesterday that is not an RFC 3339 time"
        );
    }
}
