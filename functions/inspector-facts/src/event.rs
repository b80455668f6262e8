//! The events an assessment template can notify an SNS topic of (`SubscribeToEvent`).

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InspectorEvent {
    AssessmentRunStarted,
    AssessmentRunCompleted,
    AssessmentRunStateChanged,
    FindingReported,
    Other,
}

impl InspectorEvent {
    pub const ALL: [InspectorEvent; 5] = [
        InspectorEvent::AssessmentRunStarted,
        InspectorEvent::AssessmentRunCompleted,
        InspectorEvent::AssessmentRunStateChanged,
        InspectorEvent::FindingReported,
        InspectorEvent::Other,
    ];

    /// The name the API uses, e.g. `FINDING_REPORTED`.
    pub fn as_str(self) -> &'static str {
        match self {
            InspectorEvent::AssessmentRunStarted => "ASSESSMENT_RUN_STARTED",
            InspectorEvent::AssessmentRunCompleted => "ASSESSMENT_RUN_COMPLETED",
            InspectorEvent::AssessmentRunStateChanged => "ASSESSMENT_RUN_STATE_CHANGED",
            InspectorEvent::FindingReported => "FINDING_REPORTED",
            InspectorEvent::Other => "OTHER",
        }
    }
}

impl fmt::Display for InspectorEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not one of [`InspectorEvent::ALL`]; the message lists the valid ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownEvent(pub String);

impl fmt::Display for UnknownEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = InspectorEvent::ALL.iter().map(|e| e.as_str()).collect();
        write!(
            f,
            "{:?} is not an Inspector event; use one of {}",
            self.0,
            names.join(", ")
        )
    }
}

impl std::error::Error for UnknownEvent {}

impl FromStr for InspectorEvent {
    type Err = UnknownEvent;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        InspectorEvent::ALL
            .into_iter()
            .find(|e| e.as_str() == name)
            .ok_or_else(|| UnknownEvent(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for event in InspectorEvent::ALL {
            assert_eq!(event.as_str().parse::<InspectorEvent>(), Ok(event));
        }
    }

    #[test]
    fn unknown_names_list_the_valid_ones() {
        let err = "finding_reported".parse::<InspectorEvent>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "\"finding_reported\" is not an Inspector event; use one of ASSESSMENT_RUN_STARTED, ASSESSMENT_RUN_COMPLETED, ASSESSMENT_RUN_STATE_CHANGED, FINDING_REPORTED, OTHER"
        );
    }
}
