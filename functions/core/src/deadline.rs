//! The time an invocation has. Lambda ends an invocation at its deadline and SQS then
//! counts every record of the batch as failed, healthy ones included; so the Lambdas stop
//! retrying [`MARGIN`] before the deadline and answer with exactly the records they could
//! not finish (SQS delivers those again).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Kept free before the deadline to log, emit metrics and answer Lambda.
pub const MARGIN: Duration = Duration::from_secs(5);

/// Why a record was left for SQS to deliver again.
pub const DEADLINE_REACHED: &str =
    "left for SQS to deliver again: the invocation was 5 s from its deadline";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline(Option<SystemTime>);

impl Deadline {
    /// No deadline: a batch processed outside Lambda (the backfill CLI, tests).
    pub const NONE: Deadline = Deadline(None);

    /// The Lambda context's deadline (milliseconds since the epoch).
    pub fn from_epoch_millis(millis: u64) -> Self {
        Deadline(Some(UNIX_EPOCH + Duration::from_millis(millis)))
    }

    /// A deadline `duration` from now.
    pub fn after(duration: Duration) -> Self {
        Deadline(Some(SystemTime::now() + duration))
    }

    /// When the invocation ends, if it has a deadline.
    pub fn at(&self) -> Option<SystemTime> {
        self.0
    }

    /// The time left for work: until [`MARGIN`] before the deadline (None: no limit).
    pub fn time_left(&self) -> Option<Duration> {
        self.0.map(|at| {
            at.duration_since(SystemTime::now())
                .unwrap_or_default()
                .saturating_sub(MARGIN)
        })
    }

    /// Whether `work` more still ends [`MARGIN`] before the deadline.
    pub fn allows(&self, work: Duration) -> bool {
        self.time_left().is_none_or(|left| work < left)
    }

    /// `limit`, shortened to the time left.
    pub fn cap(&self, limit: Duration) -> Duration {
        self.time_left().map_or(limit, |left| left.min(limit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_is_allowed_until_the_margin_before_the_deadline() {
        let deadline = Deadline::after(Duration::from_secs(65));
        assert!(deadline.allows(Duration::from_secs(50)));
        assert!(!deadline.allows(Duration::from_secs(61)));
        assert_eq!(
            deadline.cap(Duration::from_secs(30)),
            Duration::from_secs(30)
        );
        assert!(deadline.cap(Duration::from_secs(300)) <= Duration::from_secs(60));
    }

    #[test]
    fn a_deadline_closer_than_the_margin_allows_nothing() {
        let deadline = Deadline::after(Duration::from_secs(3));
        assert!(!deadline.allows(Duration::ZERO));
        assert_eq!(deadline.cap(Duration::from_secs(30)), Duration::ZERO);
        let passed = Deadline::from_epoch_millis(1_000);
        assert!(!passed.allows(Duration::ZERO));
    }

    #[test]
    fn without_a_deadline_everything_is_allowed() {
        assert!(Deadline::NONE.allows(Duration::from_secs(86_400)));
        assert_eq!(
            Deadline::NONE.cap(Duration::from_secs(30)),
            Duration::from_secs(30)
        );
    }
}
