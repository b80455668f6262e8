//! RFC 3339 in UTC, as the document writes every time: years 1970 to 9999, which RFC 3339
//! and OpenSearch date fields accept.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// The first second a document's times cannot hold (10000-01-01T00:00:00Z).
pub(crate) const YEAR_10000: i64 = 253_402_300_800;

/// `2024-09-04T16:59:44.356Z` (the fraction only as long as it needs to be), or None
/// outside 1970 to 9999.
pub(crate) fn format(time: OffsetDateTime) -> Option<String> {
    if !(0..YEAR_10000).contains(&time.unix_timestamp()) {
        return None;
    }
    time.format(&Rfc3339).ok()
}

/// Epoch `seconds` with their fraction truncated to nanoseconds (what Classic's JSON
/// carries), or None when not a number from 1970 to 9999.
pub(crate) fn from_epoch_seconds(seconds: f64) -> Option<OffsetDateTime> {
    if !seconds.is_finite() || !(0.0..YEAR_10000 as f64).contains(&seconds) {
        return None;
    }
    let whole = seconds.floor();
    let nanos = ((seconds - whole) * 1_000_000_000.0) as i64;
    Some(
        OffsetDateTime::from_unix_timestamp(whole as i64).ok()?
            + time::Duration::nanoseconds(nanos),
    )
}

/// Milliseconds since the epoch of an RFC 3339 time, or None when it is not one.
pub(crate) fn millis(text: &str) -> Option<i64> {
    let time = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    i64::try_from(time.unix_timestamp_nanos().div_euclid(1_000_000)).ok()
}
