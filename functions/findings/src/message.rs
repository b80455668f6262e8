//! What an SQS record body says: an SNS envelope (or raw delivery) around an Inspector
//! Classic notification. Anything else is a [`MessageError`] with the reason, never a panic.

use inspector_facts::{InspectorArn, InspectorEvent};
use serde::Deserialize;

/// What a record asks of the pipeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notification {
    /// FINDING_REPORTED: fetch this finding, enrich it, store it.
    ClassicFinding { finding_arn: InspectorArn },
    /// Another Classic event (run started, completed, ...): acknowledged, nothing to store.
    ClassicOther {
        event: InspectorEvent,
        template_arn: Option<String>,
    },
}

/// Why a record body is not a notification we can act on. The record goes to the DLQ.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MessageError {
    #[error("the body is not JSON: {0}")]
    NotJson(String),
    #[error("the SNS envelope's Message is not JSON: {0}")]
    EnvelopeMessageNotJson(String),
    #[error("the body is not an Inspector notification: {0}")]
    NotInspector(String),
    #[error("Inspector v2 finding events are not handled by this version of the pipeline")]
    InspectorV2Unsupported,
    #[error("FINDING_REPORTED carries a bad finding ARN: {0}")]
    BadFindingArn(inspector_facts::ArnError),
}

/// The fields of a Classic notification we read (template, run, time, finding, event, target).
#[derive(Deserialize)]
struct ClassicMessage {
    event: String,
    template: Option<String>,
    finding: Option<String>,
}

/// Parses one SQS record body.
pub fn parse_record_body(body: &str) -> Result<Notification, MessageError> {
    let value: serde_json::Value =
        serde_json::from_str(body).map_err(|e| MessageError::NotJson(e.to_string()))?;
    let inner = match sns_message(&value) {
        Some(message) => serde_json::from_str(message)
            .map_err(|e| MessageError::EnvelopeMessageNotJson(e.to_string()))?,
        None => value,
    };
    if inner.get("detail-type").and_then(|t| t.as_str()) == Some("Inspector2 Finding") {
        return Err(MessageError::InspectorV2Unsupported);
    }
    let message: ClassicMessage = serde_json::from_value(inner).map_err(|e| {
        MessageError::NotInspector(format!("expected an object with an \"event\" field ({e})"))
    })?;
    let event: InspectorEvent = message
        .event
        .parse()
        .map_err(|e: inspector_facts::UnknownEvent| MessageError::NotInspector(e.to_string()))?;
    if event != InspectorEvent::FindingReported {
        return Ok(Notification::ClassicOther {
            event,
            template_arn: message.template,
        });
    }
    let arn = message.finding.ok_or_else(|| {
        MessageError::NotInspector("FINDING_REPORTED without a \"finding\" field".to_owned())
    })?;
    let finding_arn =
        InspectorArn::parse_kind(&arn, "finding").map_err(MessageError::BadFindingArn)?;
    Ok(Notification::ClassicFinding { finding_arn })
}

/// The `Message` of an SNS notification envelope (SNS → SQS without raw delivery).
fn sns_message(value: &serde_json::Value) -> Option<&str> {
    let is_envelope = value.get("Type").and_then(|t| t.as_str()) == Some("Notification")
        && value.get("TopicArn").is_some();
    if is_envelope {
        value.get("Message")?.as_str()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FINDING: &str = "arn:aws:inspector:us-east-1:222222222222:target/0-aaaaaaaa/template/0-bbbbbbbb/run/0-cccccccc/finding/0-dddddddd";

    fn classic(event: &str, finding: Option<&str>) -> String {
        let mut message = serde_json::json!({
            "template": "arn:aws:inspector:us-east-1:222222222222:target/0-aaaaaaaa/template/0-bbbbbbbb",
            "run": "arn:aws:inspector:us-east-1:222222222222:target/0-aaaaaaaa/template/0-bbbbbbbb/run/0-cccccccc",
            "time": "2026-11-23T23:00:00.000Z",
            "event": event,
            "target": "arn:aws:inspector:us-east-1:222222222222:target/0-aaaaaaaa",
        });
        if let Some(arn) = finding {
            message["finding"] = arn.into();
        }
        message.to_string()
    }

    fn envelope(message: &str) -> String {
        serde_json::json!({
            "Type": "Notification",
            "MessageId": "00000000-0000-0000-0000-000000000000",
            "TopicArn": "arn:aws:sns:us-east-1:111111111111:inspector",
            "Message": message,
            "Timestamp": "2026-11-23T23:00:00.000Z",
        })
        .to_string()
    }

    #[test]
    fn finding_reported_in_an_envelope_and_raw() {
        let raw = classic("FINDING_REPORTED", Some(FINDING));
        for body in [envelope(&raw), raw] {
            let Notification::ClassicFinding { finding_arn } = parse_record_body(&body).unwrap()
            else {
                panic!("{body}");
            };
            assert_eq!(finding_arn.to_string(), FINDING);
        }
    }

    #[test]
    fn other_events_are_acknowledged() {
        let parsed =
            parse_record_body(&envelope(&classic("ASSESSMENT_RUN_COMPLETED", None))).unwrap();
        assert!(matches!(
            parsed,
            Notification::ClassicOther {
                event: InspectorEvent::AssessmentRunCompleted,
                ..
            }
        ));
    }

    #[test]
    fn poison_bodies_say_why() {
        let cases = [
            ("not json".to_owned(), "not JSON"),
            (envelope("{broken"), "Message is not JSON"),
            ("{\"hello\": 1}".to_owned(), "\"event\" field"),
            (
                classic("FINDING_DELETED", Some(FINDING)),
                "\"FINDING_DELETED\" is not an Inspector event",
            ),
            (classic("FINDING_REPORTED", None), "without a \"finding\""),
            (
                classic(
                    "FINDING_REPORTED",
                    Some("arn:aws:inspector:us-east-1:222222222222:target/0-aaaaaaaa"),
                ),
                "expected a finding",
            ),
            (
                "{\"detail-type\": \"Inspector2 Finding\", \"detail\": {}}".to_owned(),
                "Inspector v2",
            ),
            ("[1, 2]".to_owned(), "not an Inspector notification"),
        ];
        for (body, expected) in cases {
            let err = parse_record_body(&body).unwrap_err().to_string();
            assert!(err.contains(expected), "{body}: {err}");
        }
    }
}
