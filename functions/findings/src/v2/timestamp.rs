//! The times of an Inspector v2 finding as RFC 3339 UTC. Events carry strings in a
//! Java-`Date`-like form, older documentation shows another, and the API's JSON (backfill)
//! has epoch seconds: all are read, with the `time` crate.

use time::format_description::well_known::Rfc3339;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

use super::V2Error;
use crate::rfc3339::{self, YEAR_10000};

/// `Wed Sep 04 16:59:44.356 UTC 2024`: what events carry (`EEE MMM dd HH:mm:ss.SSS zzz
/// yyyy`: milliseconds always three digits).
const EVENT: &[BorrowedFormatItem<'_>] = format_description!(
    "[weekday repr:short] [month repr:short] [day padding:none] [hour padding:none]:[minute]:[second][optional [.[subsecond digits:3]]] [first [UTC][GMT]] [year]"
);

/// `Dec 3, 2021, 6:02:30 PM`: older documented examples; no zone, and UTC is what every
/// documented example's `time` agrees with.
const DOCUMENTED: &[BorrowedFormatItem<'_>] = format_description!(
    "[month repr:short] [day padding:none], [year], [hour repr:12 padding:none]:[minute]:[second] [period]"
);

/// A v2 timestamp as RFC 3339 UTC; `None` when absent or null.
pub(super) fn timestamp(
    field: &'static str,
    value: Option<&serde_json::Value>,
) -> Result<Option<String>, V2Error> {
    let value = match value {
        None | Some(serde_json::Value::Null) => return Ok(None),
        Some(value) => value,
    };
    rfc3339_utc(value)
        .map(Some)
        .ok_or_else(|| V2Error::BadTimestamp {
            field,
            value: value.to_string(),
        })
}

/// A time in any form Inspector v2 writes (a string as [`timestamp`] reads it, or epoch
/// seconds) as RFC 3339 UTC; None when it is not one.
pub(crate) fn rfc3339_utc(value: &serde_json::Value) -> Option<String> {
    let time = match value {
        serde_json::Value::Number(n) => n.as_f64().and_then(from_epoch_seconds),
        serde_json::Value::String(s) => parse(s),
        _ => None,
    };
    time.and_then(rfc3339::format)
}

/// Epoch seconds to the millisecond AWS keeps; rounding to it undoes f64's binary noise
/// (1725469184.356 would otherwise print as ...44.355999Z).
fn from_epoch_seconds(seconds: f64) -> Option<OffsetDateTime> {
    if !(0.0..YEAR_10000 as f64).contains(&seconds) {
        return None;
    }
    let millis = (seconds * 1000.0).round() as i128;
    OffsetDateTime::from_unix_timestamp_nanos(millis * 1_000_000).ok()
}

/// The event form, the documented form, or RFC 3339 (any offset, read as UTC).
fn parse(s: &str) -> Option<OffsetDateTime> {
    if let Ok(time) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(time.to_offset(UtcOffset::UTC));
    }
    [EVENT, DOCUMENTED]
        .into_iter()
        .find_map(|form| PrimitiveDateTime::parse(s, form).ok())
        .map(PrimitiveDateTime::assume_utc)
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    #[test]
    fn timestamps_in_every_documented_form() {
        let cases = [
            (
                json!("Wed Sep 04 16:59:44.356 UTC 2024"),
                "2024-09-04T16:59:44.356Z",
            ),
            (
                json!("Wed Sep 04 16:59:44 UTC 2024"),
                "2024-09-04T16:59:44Z",
            ),
            (json!("Dec 3, 2021, 6:02:30 PM"), "2021-12-03T18:02:30Z"),
            (json!("Oct 16, 2019, 12:00:00 AM"), "2019-10-16T00:00:00Z"),
            (json!("Oct 16, 2019, 12:30:00 PM"), "2019-10-16T12:30:00Z"),
            (json!("2024-02-29T23:59:59.5Z"), "2024-02-29T23:59:59.5Z"),
            (json!(1725469184.356), "2024-09-04T16:59:44.356Z"),
            (json!(1725469184), "2024-09-04T16:59:44Z"),
        ];
        for (value, expected) in cases {
            assert_eq!(
                timestamp("t", Some(&value)).unwrap().as_deref(),
                Some(expected),
                "{value}"
            );
        }
        for bad in [
            json!("Wed Sep 04 16:59:44.356 CEST 2024"),
            json!("Feb 29, 2023, 1:00:00 PM"),
            json!("Dec 3, 2021, 13:02:30 PM"),
            json!("Dec 3, 2021, 0:02:30 AM"),
            json!("Wed Sep 04 24:00:00 UTC 2024"),
            json!("Wed Sep 04 16:59:44. UTC 2024"),
            json!("Wed Sep 04 16:59:44.1234567890 UTC 2024"),
            json!("Wed Sep 04 16:59 UTC 2024"),
            json!("Wed Sep 04 16:59:44:01 UTC 2024"),
            json!("Wed Sep 04 16:59:44.356 UTC 12024"),
            json!(1e300),
            json!(f64::MAX),
            json!([]),
        ] {
            assert!(timestamp("t", Some(&bad)).is_err(), "{bad}");
        }
        assert_eq!(timestamp("t", None), Ok(None));
        assert_eq!(timestamp("t", Some(&Value::Null)), Ok(None));
    }
}
