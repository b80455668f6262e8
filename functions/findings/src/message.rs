//! What an SQS record body says: an SNS envelope (or raw delivery) around an Inspector
//! Classic notification, or an EventBridge event from Inspector v2 (delivered by a rule's
//! SQS target, or through an SNS topic): a finding, or a resource's coverage. Anything
//! else is a [`MessageError`] with the reason, never a panic.

use inspector_facts::{InspectorArn, InspectorEvent};
use serde::Deserialize;

use crate::coverage::{self, Coverage, CoverageError};
use crate::finding::Finding;
use crate::sweep::{self, SweepPage, SweepRequest};
use crate::v2::{self, V2Error};

/// What a record asks of the pipeline.
#[derive(Debug, Clone, PartialEq)]
pub enum Notification {
    /// FINDING_REPORTED: fetch this finding, enrich it, store it.
    ClassicFinding { finding_arn: InspectorArn },
    /// Another Classic event (run started, completed, ...): acknowledged, nothing to store.
    ClassicOther {
        event: InspectorEvent,
        template_arn: Option<String>,
    },
    /// An `Inspector2 Finding` event: the whole finding, already normalised; store it.
    /// Its id is `finding_id(findingArn)`, so every state change of a finding (ACTIVE →
    /// CLOSED / SUPPRESSED) overwrites the same S3 object and OpenSearch document.
    V2Finding(Box<Finding>),
    /// An `Inspector2 Coverage` event (a scan status changed) or an `Inspector2 Scan` event
    /// that says a resource's first scan completed: the resource's coverage; store it.
    V2Coverage(Box<Coverage>),
    /// Another Inspector v2 event (`Inspector2 AutoEnable`, a Scan event of another
    /// `scan-status`, ...): acknowledged.
    V2Other { detail_type: String },
    /// The scheduled coverage sweep's request: list the coverage of these regions.
    CoverageSweep(SweepRequest),
    /// A page of a coverage sweep's ListCoverage answer: store each document.
    CoverageSweepPage(Vec<Coverage>),
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
    /// An `Inspector2 Finding` event that cannot become a document (the reason names the field).
    #[error(transparent)]
    BadV2Finding(#[from] V2Error),
    /// An `Inspector2 Coverage` or `Inspector2 Scan` event that cannot become a coverage
    /// document (the reason names the field).
    #[error(transparent)]
    BadCoverage(#[from] CoverageError),
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
    let mut inner = match sns_message(&value) {
        Some(message) => serde_json::from_str(message)
            .map_err(|e| MessageError::EnvelopeMessageNotJson(e.to_string()))?,
        None => value,
    };
    if let Some(notification) = eventbridge_event(&mut inner)? {
        return Ok(notification);
    }
    if let Some(kind) = inner.get(sweep::RECORD_KIND_FIELD) {
        return our_record(kind.clone(), inner);
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

/// One of inspectorlink's own records (sweep.rs), of `kind`.
fn our_record(
    kind: serde_json::Value,
    record: serde_json::Value,
) -> Result<Notification, MessageError> {
    let bad = |e: serde_json::Error| MessageError::NotInspector(format!("{kind} record: {e}"));
    match kind.as_str() {
        Some(sweep::SWEEP_REQUEST) => Ok(Notification::CoverageSweep(
            serde_json::from_value::<SweepRequest>(record).map_err(bad)?,
        )),
        Some(sweep::SWEEP_PAGE) => {
            let page = serde_json::from_value::<SweepPage>(record).map_err(bad)?;
            Ok(Notification::CoverageSweepPage(page.coverage()?))
        }
        _ => Err(MessageError::NotInspector(format!(
            "an inspectorlink record of unknown kind {kind} ({}, {})",
            sweep::SWEEP_REQUEST,
            sweep::SWEEP_PAGE
        ))),
    }
}

/// An Inspector v2 EventBridge event (`Ok(None)`: not an EventBridge event from Inspector v2).
fn eventbridge_event(event: &mut serde_json::Value) -> Result<Option<Notification>, MessageError> {
    let detail_type = event.get("detail-type").and_then(|t| t.as_str());
    if detail_type == Some(v2::DETAIL_TYPE) {
        let detail = match event.get_mut("detail").map(serde_json::Value::take) {
            Some(detail @ serde_json::Value::Object(_)) => detail,
            _ => return Err(V2Error::NoDetail.into()),
        };
        return Ok(Some(Notification::V2Finding(Box::new(v2::normalise(
            detail,
        )?))));
    }
    if detail_type == Some(coverage::COVERAGE_DETAIL_TYPE) {
        let coverage = Coverage::from_coverage_event(event)?;
        return Ok(Some(Notification::V2Coverage(Box::new(coverage))));
    }
    if detail_type == Some(coverage::SCAN_DETAIL_TYPE) {
        if let Some(coverage) = Coverage::from_scan_event(event)? {
            return Ok(Some(Notification::V2Coverage(Box::new(coverage))));
        }
    }
    let source = event.get("source").and_then(|s| s.as_str());
    match (source, detail_type) {
        (Some(v2::SOURCE), Some(other)) => Ok(Some(Notification::V2Other {
            detail_type: other.to_owned(),
        })),
        _ => Ok(None),
    }
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

    const V2_EVENT: &str =
        include_str!("../tests/fixtures/inspector2/ecr-package-vulnerability.json");

    #[test]
    fn an_inspector2_finding_event_raw_and_through_sns() {
        // A rule's SQS target delivers the event itself; an SNS target wraps it.
        for body in [V2_EVENT.to_owned(), envelope(V2_EVENT)] {
            let Notification::V2Finding(finding) = parse_record_body(&body).unwrap() else {
                panic!("{body}");
            };
            let arn = "arn:aws:inspector2:eu-central-1:123456789012:finding/2a5e4d3c1b0a9f8e7d6c5b4a39281716";
            assert_eq!(finding.finding_arn, arn);
            assert_eq!(finding.id, crate::finding_id(arn));
            assert_eq!(finding.engine, crate::Engine::InspectorV2);
            assert_eq!(
                finding.resource.repository_name.as_deref(),
                Some("inspector2")
            );
            // raw is the event's detail, not the whole event.
            assert_eq!(finding.raw["findingArn"], arn);
        }
    }

    const COVERAGE_EVENT: &str =
        include_str!("../tests/fixtures/inspector2/coverage-event-ec2-unmanaged.json");
    const SCAN_EVENT: &str = include_str!("../tests/fixtures/inspector2/scan-event-ecr-image.json");

    #[test]
    fn coverage_and_scan_events_raw_and_through_sns_are_coverage() {
        let cases = [
            (COVERAGE_EVENT, "i-249ed9db0585f7462", "UNMANAGED_EC2_INSTANCE"),
            (
                SCAN_EVENT,
                "arn:aws:ecr:eu-central-1:123456789012:repository/billing/sha256:5250b144e5c4fa5b08d9f8a1670693b20885e53914d35e3b9bff6c77d1d6f2ce",
                "SUCCESSFUL",
            ),
        ];
        for (event, resource, reason) in cases {
            for body in [event.to_owned(), envelope(event)] {
                let Notification::V2Coverage(coverage) = parse_record_body(&body).unwrap() else {
                    panic!("{body}");
                };
                assert_eq!(coverage.resource_id, resource);
                assert_eq!(coverage.scan_status_reason, reason);
                // raw is the whole event: a Coverage event names its resource only there.
                assert_eq!(
                    coverage.raw,
                    serde_json::from_str::<serde_json::Value>(event).unwrap()
                );
            }
        }
    }

    #[test]
    fn other_inspector2_events_are_acknowledged() {
        let mut scan: serde_json::Value = serde_json::from_str(SCAN_EVENT).unwrap();
        scan["detail"]["scan-status"] = "SCAN_IN_PROGRESS".into();
        let auto_enable = serde_json::json!({
            "version": "0", "detail-type": "Inspector2 AutoEnable", "source": "aws.inspector2",
            "account": "111122223333", "region": "us-east-1", "resources": [], "detail": {}
        });
        for event in [scan, auto_enable] {
            let event = event.to_string();
            let detail_type = serde_json::from_str::<serde_json::Value>(&event).unwrap()
                ["detail-type"]
                .as_str()
                .unwrap()
                .to_owned();
            for body in [event.clone(), envelope(&event)] {
                assert_eq!(
                    parse_record_body(&body).unwrap(),
                    Notification::V2Other {
                        detail_type: detail_type.clone()
                    }
                );
            }
        }
        // Another service's event is not ours.
        let guardduty =
            r#"{"detail-type": "GuardDuty Finding", "source": "aws.guardduty", "detail": {}}"#;
        assert!(parse_record_body(guardduty)
            .unwrap_err()
            .to_string()
            .contains("\"event\" field"));
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
                "Inspector2 Finding event without detail.findingArn",
            ),
            (
                "{\"detail-type\": \"Inspector2 Finding\", \"source\": \"aws.inspector2\"}"
                    .to_owned(),
                "Inspector2 Finding event without a detail object",
            ),
            (
                "{\"detail-type\": \"Inspector2 Finding\", \"detail\": [1]}".to_owned(),
                "without a detail object",
            ),
            ("[1, 2]".to_owned(), "not an Inspector notification"),
            (
                COVERAGE_EVENT.replace("statusCodeValue", "statusCode"),
                "Inspector2 Coverage event without detail.scanStatus.statusCodeValue",
            ),
            (
                SCAN_EVENT.replace("scan-status", "scanStatus"),
                "Inspector2 Scan event without detail.scan-status",
            ),
        ];
        for (body, expected) in cases {
            let err = parse_record_body(&body).unwrap_err().to_string();
            assert!(err.contains(expected), "{body}: {err}");
        }
    }
}
