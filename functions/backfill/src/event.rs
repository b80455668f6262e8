//! One listed finding as the EventBridge `Inspector2 Finding` event that the forwarding
//! rule delivers to the central queue, so send-findings and notify-findings process a
//! backfilled finding exactly as a live one.
//!
//! ListFindings' JSON is the event's `detail` except for timestamps: the API sends epoch
//! seconds, events carry strings like `Wed Sep 04 16:59:44.356 UTC 2024` (see
//! functions/findings/tests/fixtures/inspector2/). Every number under a key ending in `At`
//! becomes such a string; nothing else is changed.

use inspectorlink_findings::message::{parse_record_body, Notification};
use inspectorlink_findings::v2::{DETAIL_TYPE, SOURCE};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use time::macros::{datetime, format_description};
use time::OffsetDateTime;

/// A finding ready to send: its ARN (for messages and tests) and the event's JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct FindingEvent {
    pub finding_arn: String,
    pub body: String,
}

/// The event for `finding`, listed in `listed_region`; an error says why the pipeline
/// could not use it (the same parser send-findings runs), so it is not sent.
pub fn finding_event(mut finding: Value, listed_region: &str) -> Result<FindingEvent, String> {
    let Some(arn) = finding
        .get("findingArn")
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        return Err("a listed finding without findingArn".to_owned());
    };
    let updated = finding
        .get("updatedAt")
        .or_else(|| finding.get("lastObservedAt"))
        .and_then(Value::as_f64);
    event_timestamps(&mut finding);
    // arn:aws:inspector2:REGION:ACCOUNT:finding/ID
    let arn_parts: Vec<&str> = arn.split(':').collect();
    let region = arn_parts
        .get(3)
        .filter(|r| !r.is_empty())
        .copied()
        .unwrap_or(listed_region);
    let account = finding
        .get("awsAccountId")
        .and_then(Value::as_str)
        .or(arn_parts.get(4).copied())
        .unwrap_or_default()
        .to_owned();
    let resources: Vec<Value> = finding
        .get("resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|resource| resource.get("id").cloned())
        .collect();
    let event = json!({
        "version": "0",
        "id": event_id(&arn, updated),
        "detail-type": DETAIL_TYPE,
        "source": SOURCE,
        "account": account,
        "time": updated.map(rfc3339).unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned()),
        "region": region,
        "resources": resources,
        "detail": finding,
    });
    let body = event.to_string();
    match parse_record_body(&body) {
        Ok(Notification::V2Finding(_)) => Ok(FindingEvent {
            finding_arn: arn,
            body,
        }),
        Ok(other) => Err(format!("{arn}: not a finding event ({other:?})")),
        Err(reason) => Err(format!("{arn}: {reason}")),
    }
}

/// The same id for the same state of a finding: derived from its ARN and `updatedAt`, so
/// a page sent twice (a crash before its checkpoint) repeats the same events.
fn event_id(arn: &str, updated: Option<f64>) -> String {
    let digest = Sha256::digest(format!("{arn}\n{}", updated.unwrap_or_default()).as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// Numbers under keys ending in `At` become the event's timestamp strings, at any depth.
fn event_timestamps(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            for (key, field) in fields.iter_mut() {
                match field.as_f64() {
                    Some(seconds) if key.ends_with("At") => *field = event_time(seconds).into(),
                    _ => event_timestamps(field),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(event_timestamps),
        _ => {}
    }
}

/// Epoch `seconds`, to the millisecond (the API's precision; NaN as the epoch).
fn utc(seconds: f64) -> OffsetDateTime {
    let millis = if seconds.is_nan() {
        0
    } else {
        (seconds * 1000.0).round() as i128
    };
    OffsetDateTime::from_unix_timestamp_nanos(millis * 1_000_000).unwrap_or(if millis < 0 {
        MIN
    } else {
        MAX
    })
}

/// The earliest and latest times an event can carry (four-digit years).
const MIN: OffsetDateTime = datetime!(0000-01-01 0:00 UTC);
const MAX: OffsetDateTime = datetime!(9999-12-31 23:59:59.999 UTC);

/// `Wed Sep 04 16:59:44.356 UTC 2024`, as Inspector's events write times.
pub fn event_time(seconds: f64) -> String {
    utc(seconds)
        .format(format_description!(
            "[weekday repr:short] [month repr:short] [day] [hour]:[minute]:[second].[subsecond digits:3] UTC [year]"
        ))
        .expect("a time in four-digit years formats")
}

/// `2024-09-04T17:00:36Z`, the event envelope's `time`.
fn rfc3339(seconds: f64) -> String {
    utc(seconds)
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
        ))
        .expect("a time in four-digit years formats")
}

#[cfg(test)]
mod tests {
    use super::*;

    const EC2: &str =
        include_str!("../../findings/tests/fixtures/inspector2/ec2-package-vulnerability.json");

    /// The documented event's detail as ListFindings returns it: epoch-second timestamps.
    fn listed() -> Value {
        let event: Value = serde_json::from_str(EC2).unwrap();
        let mut detail = event["detail"].clone();
        detail["firstObservedAt"] = json!(1725469184.356);
        detail["lastObservedAt"] = json!(1725469184.476);
        detail["updatedAt"] = json!(1725469236.951);
        detail["resources"][0]["details"]["awsEc2Instance"]["launchedAt"] = json!(1725469060);
        detail["packageVulnerabilityDetails"]["vendorCreatedAt"] = json!(1721938500.0);
        detail
    }

    #[test]
    fn a_listed_finding_becomes_the_documented_event() {
        let event = finding_event(listed(), "us-east-1").unwrap();
        let sent: Value = serde_json::from_str(&event.body).unwrap();
        let documented: Value = serde_json::from_str(EC2).unwrap();
        // The detail is the documented one, timestamps in the event's own format.
        assert_eq!(sent["detail"], documented["detail"]);
        for field in [
            "version",
            "detail-type",
            "source",
            "account",
            "time",
            "region",
            "resources",
        ] {
            assert_eq!(sent[field], documented[field], "{field}");
        }
        assert_eq!(event.finding_arn, documented["detail"]["findingArn"]);
        // The same state of a finding always gives the same event id.
        assert_eq!(finding_event(listed(), "us-east-1").unwrap(), event);
        let mut closed_later = listed();
        closed_later["updatedAt"] = json!(1725469299.0);
        assert_ne!(
            serde_json::from_str::<Value>(&finding_event(closed_later, "us-east-1").unwrap().body)
                .unwrap()["id"],
            sent["id"]
        );
    }

    #[test]
    fn times_are_written_as_inspector_writes_them() {
        assert_eq!(event_time(0.0), "Thu Jan 01 00:00:00.000 UTC 1970");
        assert_eq!(event_time(951782400.5), "Tue Feb 29 00:00:00.500 UTC 2000");
        assert_eq!(
            event_time(1735689599.9996),
            "Wed Jan 01 00:00:00.000 UTC 2025"
        );
        assert_eq!(event_time(-1.0), "Wed Dec 31 23:59:59.000 UTC 1969");
        assert_eq!(rfc3339(1725469236.951), "2024-09-04T17:00:36Z");
    }

    #[test]
    fn findings_the_pipeline_cannot_use_are_refused_with_the_reason() {
        let mut no_status = listed();
        no_status.as_object_mut().unwrap().remove("status");
        let err = finding_event(no_status, "us-east-1").unwrap_err();
        assert!(err.contains("detail.status"), "{err}");
        assert!(err.starts_with("arn:aws:inspector2:"), "{err}");
        let err = finding_event(json!({"title": "x"}), "us-east-1").unwrap_err();
        assert!(err.contains("without findingArn"), "{err}");
    }
}
