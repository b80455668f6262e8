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

/// Calendar fields of epoch `seconds`: (year, month, day, hour, minute, second, millisecond,
/// weekday with 0 = Sunday).
fn civil(seconds: f64) -> (i64, u32, u32, u32, u32, u32, u32, usize) {
    let mut millis_total = (seconds * 1000.0).round() as i64;
    if seconds.is_nan() {
        millis_total = 0;
    }
    let (whole, millis) = (
        millis_total.div_euclid(1000),
        millis_total.rem_euclid(1000) as u32,
    );
    let (days, of_day) = (whole.div_euclid(86_400), whole.rem_euclid(86_400) as u32);
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    // 1970-01-01 was a Thursday.
    let weekday = (days + 4).rem_euclid(7) as usize;
    (
        year,
        month,
        day,
        of_day / 3600,
        of_day / 60 % 60,
        of_day % 60,
        millis,
        weekday,
    )
}

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `Wed Sep 04 16:59:44.356 UTC 2024`, as Inspector's events write times.
pub fn event_time(seconds: f64) -> String {
    let (year, month, day, hour, minute, second, millis, weekday) = civil(seconds);
    format!(
        "{} {} {day:02} {hour:02}:{minute:02}:{second:02}.{millis:03} UTC {year}",
        WEEKDAYS[weekday],
        MONTHS[month as usize - 1]
    )
}

/// `2024-09-04T17:00:36Z`, the event envelope's `time`.
fn rfc3339(seconds: f64) -> String {
    let (year, month, day, hour, minute, second, _, _) = civil(seconds);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}Z")
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
