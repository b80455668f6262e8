//! A finding's life across its states: when its status last changed, when it closed, how
//! often it reopened and how long its remediation took. Inspector v2 deletes closed
//! findings 3 to 30 days after closure, so these fields, kept in the stored document, and
//! the history entries written at each status change (core's s3.rs) are the only record
//! of how long fixes took. Only Inspector v2 findings have a lifecycle: a Classic finding
//! is ACTIVE in every run that reports it.

use crate::finding::{Engine, Finding, Status};
use crate::rfc3339;

impl Finding {
    /// This state's lifecycle fields, given the state stored before it (None: the first
    /// state stored). The time of a state is `updated_at`, which v2 moves on every change.
    pub fn following(mut self, previous: Option<&Finding>) -> Finding {
        if self.engine != Engine::InspectorV2 {
            return self;
        }
        let changed_at = self
            .updated_at
            .clone()
            .unwrap_or_else(|| self.last_observed_at.clone());
        let previous_status = previous.map(|p| p.status);
        self.status_changed_at = Some(match previous {
            Some(p) if p.status == self.status => p
                .status_changed_at
                .clone()
                .unwrap_or_else(|| p.first_observed_at.clone()),
            // The first state: a finding first stored ACTIVE has been so since Inspector first
            // saw it; one first stored CLOSED or SUPPRESSED changed at this state.
            None if self.status == Status::Active => self.first_observed_at.clone(),
            _ => changed_at.clone(),
        });
        self.reopened_count = previous.map_or(0, |p| p.reopened_count)
            + u32::from(previous_status == Some(Status::Closed) && self.status == Status::Active);
        self.closed_at = match (self.status, previous) {
            (Status::Closed, Some(p)) if p.status == Status::Closed => {
                p.closed_at.clone().or(Some(changed_at))
            }
            (Status::Closed, _) => Some(changed_at),
            _ => None,
        };
        // A closure that fixed nothing (an image Inspector stopped scanning) times no
        // remediation: it would flatter the mean time to remediate.
        let remediated = self.closed_reason.is_none();
        self.time_to_remediate_seconds =
            self.closed_at
                .as_deref()
                .filter(|_| remediated)
                .and_then(|closed| {
                    let seconds = (rfc3339::millis(closed)?
                        - rfc3339::millis(&self.first_observed_at)?)
                    .div_euclid(1000);
                    (seconds >= 0).then_some(seconds)
                });
        self
    }

    /// Whether this state is a status change from `previous`: what a history entry records.
    pub fn changes_status_of(&self, previous: &Finding) -> bool {
        self.engine == Engine::InspectorV2 && self.status != previous.status
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Severity;

    fn state(status: Status, updated_at: &str) -> Finding {
        Finding {
            severity: Severity::High,
            status,
            first_observed_at: "2026-01-01T00:00:00Z".to_owned(),
            last_observed_at: "2026-01-01T00:00:00Z".to_owned(),
            updated_at: Some(updated_at.to_owned()),
            ..Finding::new(
                Engine::InspectorV2,
                "arn:aws:inspector2:us-east-1:222222222222:finding/f",
                "222222222222",
                "us-east-1",
            )
        }
    }

    /// Each state following the one before it, as the sink stores them.
    fn lived(states: &[(Status, &str)]) -> Vec<Finding> {
        let mut stored: Vec<Finding> = Vec::new();
        for (status, at) in states {
            let next = state(*status, at).following(stored.last());
            stored.push(next);
        }
        stored
    }

    #[test]
    fn a_new_finding_has_been_active_since_first_observed() {
        let [new] = &lived(&[(Status::Active, "2026-01-01T00:00:00Z")])[..] else {
            unreachable!()
        };
        assert_eq!(
            new.status_changed_at.as_deref(),
            Some("2026-01-01T00:00:00Z")
        );
        assert_eq!((new.closed_at.as_deref(), new.reopened_count), (None, 0));
        assert_eq!(new.time_to_remediate_seconds, None);
    }

    #[test]
    fn closed_reopened_and_closed_again_counts_one_reopening_and_times_the_last_closure() {
        let states = lived(&[
            (Status::Active, "2026-01-01T00:00:00Z"),
            (Status::Active, "2026-01-02T00:00:00Z"),
            (Status::Closed, "2026-01-05T00:00:00Z"),
            (Status::Closed, "2026-01-06T00:00:00Z"),
            (Status::Active, "2026-01-10T00:00:00Z"),
            (Status::Closed, "2026-01-11T12:00:00Z"),
        ]);
        let closed_at: Vec<Option<&str>> = states.iter().map(|s| s.closed_at.as_deref()).collect();
        assert_eq!(
            closed_at,
            [
                None,
                None,
                Some("2026-01-05T00:00:00Z"),
                Some("2026-01-05T00:00:00Z"),
                None,
                Some("2026-01-11T12:00:00Z")
            ]
        );
        let reopened: Vec<u32> = states.iter().map(|s| s.reopened_count).collect();
        assert_eq!(reopened, [0, 0, 0, 0, 1, 1]);
        let changed: Vec<&str> = states
            .iter()
            .map(|s| s.status_changed_at.as_deref().unwrap())
            .collect();
        assert_eq!(
            changed,
            [
                "2026-01-01T00:00:00Z",
                "2026-01-01T00:00:00Z",
                "2026-01-05T00:00:00Z",
                "2026-01-05T00:00:00Z",
                "2026-01-10T00:00:00Z",
                "2026-01-11T12:00:00Z"
            ]
        );
        // Four days, then ten and a half from first observed to the last closure.
        assert_eq!(states[2].time_to_remediate_seconds, Some(4 * 86_400));
        assert_eq!(
            states[5].time_to_remediate_seconds,
            Some(10 * 86_400 + 43_200)
        );
        let changes: Vec<bool> = states
            .windows(2)
            .map(|w| w[1].changes_status_of(&w[0]))
            .collect();
        assert_eq!(changes, [false, true, false, true, true]);
    }

    #[test]
    fn unsuppressing_is_no_reopening_and_a_first_state_closed_closed_then() {
        let states = lived(&[
            (Status::Suppressed, "2026-01-03T00:00:00Z"),
            (Status::Active, "2026-01-04T00:00:00Z"),
        ]);
        assert_eq!(
            states[0].status_changed_at.as_deref(),
            Some("2026-01-03T00:00:00Z")
        );
        assert_eq!(states[1].reopened_count, 0);
        let [closed] = &lived(&[(Status::Closed, "2026-01-03T00:00:00Z")])[..] else {
            unreachable!()
        };
        assert_eq!(closed.closed_at.as_deref(), Some("2026-01-03T00:00:00Z"));
        assert_eq!(closed.time_to_remediate_seconds, Some(2 * 86_400));
    }

    #[test]
    fn a_closure_that_fixed_nothing_times_no_remediation() {
        let open = state(Status::Active, "2026-01-01T00:00:00Z").following(None);
        let expired = Finding {
            closed_reason: Some(crate::finding::ClosedReason::NoLongerScanned),
            ..state(Status::Closed, "2026-01-03T00:00:00Z")
        }
        .following(Some(&open));
        assert_eq!(expired.closed_at.as_deref(), Some("2026-01-03T00:00:00Z"));
        assert_eq!(expired.time_to_remediate_seconds, None);
    }

    #[test]
    fn classic_findings_have_no_lifecycle() {
        let classic = Finding {
            first_observed_at: "2026-01-01T00:00:00Z".to_owned(),
            ..Finding::new(
                Engine::InspectorClassic,
                "arn:aws:inspector:us-east-1:222222222222:target/0-a/template/0-b/run/0-c/finding/0-d",
                "222222222222",
                "us-east-1",
            )
        };
        let followed = classic.clone().following(Some(&classic));
        assert_eq!(followed, classic);
        assert!(!followed.changes_status_of(&classic));
    }
}
